"""crictl JSON: `pods -o json`, `ps -a -o json`, `images -o json`, `inspect`, `inspectp`; and `inspect -o yaml`.

Shapes (../shared/corpus/FORMATS.md §3): `{"items": [...]}` (pods), `{"containers": [...]}`
(ps), `{"images": [...]}`; inspect/inspectp print `{"status": ..., "info": ...}` per id,
several ids as concatenated documents (before crictl 1.26) or one JSON array (1.26+). `inspect -o yaml` prints the
same as YAML; crictl of 2020 (cri-o's) put the info's keys (pid, sandboxId) at the top, beside status.
List times are Unix-nanosecond strings, inspect times RFC 3339 (zero: 0001-01-01 or 1970);
2017 builds used nanosecond strings in inspect too and the key "container runtime spec".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from analyzer.errors import ParseError
from analyzer.models import ContainerObs, ImageObs, Record, Sandbox
from analyzer.parsers import as_int, json_values, shielded, str_dict, yaml_docs
from analyzer.registry import ParseContext, source
from analyzer.timeparse import parse_time

STATE = {
    "CONTAINER_RUNNING": "Running",
    "CONTAINER_EXITED": "Exited",
    "CONTAINER_CREATED": "Created",
    "CONTAINER_UNKNOWN": "Unknown",
    "SANDBOX_READY": "Ready",
    "SANDBOX_NOTREADY": "NotReady",
}


def _objects(ctx: ParseContext) -> Iterator[dict[str, Any]]:
    for v in json_values(ctx.text):
        items = v if isinstance(v, list) else [v]
        for it in items:
            if isinstance(it, dict):
                yield it
            else:
                ctx.problem(None, f"unexpected JSON value of type {type(it).__name__}")


def _dicts(ctx: ParseContext, v: object) -> Iterator[dict[str, Any]]:
    """The objects of a list field; anything else in it is a problem."""
    for it in v if isinstance(v, list) else []:
        if isinstance(it, dict):
            yield it
        else:
            ctx.problem(None, f"unexpected JSON value of type {type(it).__name__} in a list of objects")


def _doc_id(doc: dict[str, Any]) -> str:
    st = doc.get("status")
    return str(st.get("id"))[:13] if isinstance(st, dict) else "?"


def _pod_identity(md: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """A sandbox's pod: its CRI metadata, else the kubelet's labels."""
    return {
        "name": md.get("name") or labels.get("io.kubernetes.pod.name"),
        "namespace": md.get("namespace") or labels.get("io.kubernetes.pod.namespace"),
        "pod_uid": md.get("uid") or labels.get("io.kubernetes.pod.uid"),
        "attempt": as_int(md.get("attempt")),
    }


def _pod_sandbox(ctx: ParseContext, it: dict[str, Any]) -> Iterator[Record]:
    md = it.get("metadata") or {}
    if not it.get("id"):
        ctx.problem(None, "a pod sandbox without id")
        return
    labels = str_dict(it.get("labels")) or {}
    yield Sandbox(
        source="crictl-pods-json",
        sandbox_id=str(it["id"]),
        **_pod_identity(md, labels),
        state=STATE.get(str(it.get("state")), it.get("state")),
        created_at=parse_time(it.get("createdAt")),
        runtime_handler=it.get("runtimeHandler") or None,
        labels=labels,
        annotations=str_dict(it.get("annotations")),
    )


def _container(ctx: ParseContext, it: dict[str, Any]) -> Iterator[Record]:
    if not it.get("id"):
        ctx.problem(None, "a container without id")
        return
    md = it.get("metadata") or {}
    labels = str_dict(it.get("labels")) or {}
    image = (it.get("image") or {}).get("image") if isinstance(it.get("image"), dict) else it.get("image")
    yield ContainerObs(
        source="crictl-ps-json",
        container_id=str(it["id"]),
        sandbox_id=it.get("podSandboxId") or None,
        name=md.get("name") or labels.get("io.kubernetes.container.name"),
        attempt=as_int(md.get("attempt")),
        state=STATE.get(str(it.get("state")), it.get("state")),
        image=image,
        image_id=image if image and str(image).startswith("sha256:") else None,
        image_ref=it.get("imageRef") or None,
        created_at=parse_time(it.get("createdAt")),
        pod_name=labels.get("io.kubernetes.pod.name"),
        pod_namespace=labels.get("io.kubernetes.pod.namespace"),
        pod_uid=labels.get("io.kubernetes.pod.uid"),
        labels=labels,
        annotations=str_dict(it.get("annotations")),
    )


def _inspect_doc(ctx: ParseContext, doc: dict[str, Any]) -> Iterator[Record]:
    st = doc.get("status")
    if not isinstance(st, dict):
        ctx.problem(None, "an inspect document without status")
        return
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    assert isinstance(info, dict)
    spec = info.get("runtimeSpec") or info.get("container runtime spec") or {}
    md = st.get("metadata") or {}
    labels = str_dict(st.get("labels")) or {}
    image = st.get("image") if isinstance(st.get("image"), dict) else {}
    assert isinstance(image, dict)
    pid = as_int(info.get("pid"))
    cid = st.get("id")
    if not cid:
        ctx.problem(None, "an inspect document without status.id")
        return
    yield ContainerObs(
        source="crictl-inspect",
        container_id=str(cid),
        sandbox_id=info.get("sandboxID") or (spec.get("annotations") or {}).get("io.kubernetes.cri.sandbox-id") or None,
        name=md.get("name") or labels.get("io.kubernetes.container.name"),
        attempt=as_int(md.get("attempt")),
        state=STATE.get(str(st.get("state")), st.get("state")),
        image=image.get("image"),
        image_ref=st.get("imageRef") or None,
        image_id=(st.get("imageId") or None),
        created_at=parse_time(st.get("createdAt")),
        started_at=parse_time(st.get("startedAt")),
        finished_at=parse_time(st.get("finishedAt")),
        exit_code=as_int(st.get("exitCode")),
        reason=st.get("reason") or None,
        pid=pid if pid else None,
        log_path=st.get("logPath") or None,
        pod_name=labels.get("io.kubernetes.pod.name"),
        pod_namespace=labels.get("io.kubernetes.pod.namespace"),
        pod_uid=labels.get("io.kubernetes.pod.uid"),
        runtime_type=info.get("runtimeType") or None,
        cgroups_path=((spec.get("linux") or {}).get("cgroupsPath")) or None,
        labels=labels,
        annotations=str_dict(st.get("annotations")),
    )


def _inspectp_doc(ctx: ParseContext, doc: dict[str, Any]) -> Iterator[Record]:
    st = doc.get("status")
    if not isinstance(st, dict) or not st.get("id"):
        ctx.problem(None, "an inspectp document without status.id")
        return
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    assert isinstance(info, dict)
    cfg = info.get("config") or {}
    md = st.get("metadata") or {}
    net = st.get("network") or {}
    ns_opts = ((st.get("linux") or {}).get("namespaces") or {}).get("options") or {}
    pid = as_int(info.get("pid"))
    labels = str_dict(st.get("labels")) or {}
    if not isinstance(net, dict):
        raise ParseError("status.network is not an object")
    yield Sandbox(
        source="crictl-inspectp",
        sandbox_id=str(st["id"]),
        **_pod_identity(md, labels),
        state=STATE.get(str(st.get("state")), st.get("state")),
        created_at=parse_time(st.get("createdAt")),
        runtime_handler=st.get("runtimeHandler") or None,
        pid=pid if pid else None,
        ip=net.get("ip") or None,
        host_network=(ns_opts.get("network") == "NODE") if ns_opts.get("network") else None,
        cgroup_parent=((cfg.get("linux") or {}).get("cgroup_parent")) or None,
        log_directory=cfg.get("log_directory") or None,
        labels=labels,
        annotations=str_dict(st.get("annotations")),
    )


FIELD = r'"{key}"\s*:\s*(?:"(?P<s>[^"]*)"|(?P<n>-?\d+))'


def _field(text: str, key: str) -> str | None:
    m = re.search(FIELD.format(key=re.escape(key)), text)
    if not m:
        return None
    return m.group("s") if m.group("s") is not None else m.group("n")


def salvage(ctx: ParseContext, err: ParseError, kind: str) -> Record | None:
    """Fields of a cut inspect document that came before the cut (a truncated bundle, a paste)."""
    text = ctx.text
    cid = _field(text, "id")
    if not cid or not re.fullmatch(r"[0-9a-f]{6,64}", cid):
        return None
    ctx.problem(None, f"{err}; fields before the cut were kept")
    pid = as_int(_field(text, "pid"))
    state = _field(text, "state")
    if kind == "inspectp":
        return Sandbox(source="crictl-inspectp", sandbox_id=cid, name=_field(text, "name"), namespace=_field(text, "namespace"),
                       pod_uid=_field(text, "uid"), state=STATE.get(state or "", state), pid=pid or None,
                       created_at=parse_time(_field(text, "createdAt")))  # fmt: skip
    return ContainerObs(source="crictl-inspect", container_id=cid, sandbox_id=_field(text, "sandboxID"), name=_field(text, "name"),
                        state=STATE.get(state or "", state), pid=pid or None, log_path=_field(text, "logPath"),
                        image=_field(text, "image"), created_at=parse_time(_field(text, "createdAt")),
                        started_at=parse_time(_field(text, "startedAt")))  # fmt: skip


def _sniff_list(key: str, marker: str) -> Any:
    def s(head: str) -> int:
        h = head.lstrip()
        if h.startswith("{") and f'"{key}"' in h[:200] and marker in h:
            return 90
        return 0

    return s


@source("crictl-pods-json", sniff=_sniff_list("items", '"SANDBOX_'))
def parse_pods(ctx: ParseContext) -> Iterable[Record]:
    """crictl pods -o json"""
    for doc in _objects(ctx):
        for it in _dicts(ctx, doc.get("items")):
            yield from shielded(ctx, f"pod sandbox {str(it.get('id'))[:13]}", partial(_pod_sandbox, ctx, it))


@source("crictl-ps-json", sniff=_sniff_list("containers", '"CONTAINER_'))
def parse_ps(ctx: ParseContext) -> Iterable[Record]:
    """crictl ps -a -o json"""
    for doc in _objects(ctx):
        for it in _dicts(ctx, doc.get("containers")):
            yield from shielded(ctx, f"container {str(it.get('id'))[:13]}", partial(_container, ctx, it))


@source("crictl-images-json", sniff=_sniff_list("images", '"repoTags"'))
def parse_images(ctx: ParseContext) -> Iterable[Record]:
    """crictl images -o json"""
    for doc in _objects(ctx):
        for it in doc.get("images") or []:
            # (an image of the wrong shape is the capture's problem; the file's other images are read)
            yield from shielded(ctx, f"image {str(it.get('id') if isinstance(it, dict) else it)[:24]}", partial(_image, it))


def _image(it: dict[str, Any]) -> Iterable[ImageObs]:
    tags, digests, pinned = it.get("repoTags") or [], it.get("repoDigests") or [], it.get("pinned")
    if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags) and isinstance(digests, list)
            and all(isinstance(d, str) for d in digests) and (pinned is None or isinstance(pinned, bool))):
        raise ParseError("repoTags, repoDigests or pinned of another type than crictl's")
    return image_records("crictl-images-json", it.get("id"), tags, digests, as_int(it.get("size")), pinned)


def image_records(source: str, image_id: object, tags: list[str], digests: list[str], size: int | None, pinned: object) -> Iterable[ImageObs]:
    """An image's rows, one per repo tag (one `<none>` row when it has none), each with the digest of its repo."""
    base = {"source": source, "image_id": image_id, "size_bytes": size, "pinned": pinned}
    digest = digests[0].split("@", 1)[1] if digests and "@" in digests[0] else None
    if not tags:
        repo = digests[0].split("@", 1)[0] if digests else None
        yield ImageObs(**base, repo=repo, tag="<none>", digest=digest)
    for t in tags:
        repo, _, tag = t.rpartition(":") if ":" in t.rsplit("/", 1)[-1] else (t, "", "")
        dg = next((d.split("@", 1)[1] for d in digests if d.startswith(repo + "@")), digest)
        yield ImageObs(**base, repo=repo, tag=tag or None, digest=dg)


def _sniff_inspect(kind: str) -> Any:
    def s(head: str) -> int:
        h = head.lstrip()
        if not (h.startswith("{") or h.startswith("[")) or '"status"' not in h:
            return 0
        if kind == "inspect" and ('"sandboxID"' in h or '"logPath"' in h or '"CONTAINER_' in h):
            return 95
        if kind == "inspectp" and ('"SANDBOX_' in h or '"network"' in h) and '"logPath"' not in h:
            return 94
        return 0

    return s


def _sniff_inspecti(head: str) -> int:
    h = head.lstrip()
    return 90 if h.startswith(("{", "[")) and '"status"' in h and '"repoTags"' in h else 0


@source("crictl-inspecti", sniff=_sniff_inspecti)
def parse_inspecti(ctx: ParseContext) -> Iterable[Record]:
    """crictl inspecti IMAGE (status: id, repoTags, repoDigests, size)"""
    for doc in _objects(ctx):
        st = doc.get("status")
        if not isinstance(st, dict):
            ctx.problem(None, "an inspecti document without status")
            continue
        wrapped = {"images": [st]}
        for r in parse_images(ParseContext(ctx.path, json.dumps(wrapped).encode())):
            yield r.model_copy(update={"source": "crictl-inspecti"})


@source("crictl-inspect", sniff=_sniff_inspect("inspect"))
def parse_inspect(ctx: ParseContext) -> Iterable[Record]:
    """crictl inspect ID... (status and verbose info: pid, sandboxID, logPath, cgroups)"""
    try:
        docs = list(_objects(ctx))
    except ParseError as e:
        rec = salvage(ctx, e, "inspect")
        if rec is None:
            raise
        yield rec
        return
    for doc in _dicts(ctx, docs):
        yield from shielded(ctx, f"inspect document {_doc_id(doc)}", partial(_inspect_doc, ctx, doc))


def _sniff_inspect_yaml(head: str) -> int:
    # (YAML from its first line: a paste with the command above it is a paste, split before its yaml is read)
    if not re.match(r"(?:---[ \t]*\n)?[A-Za-z][A-Za-z0-9_]*:(?:[ \t\n]|$)", head.lstrip()) or not re.search(r"^status:[ \t]*$", head, re.M):
        return 0
    if re.search(r"^  id: [0-9a-f]{12,64}[ \t]*$", head, re.M) and (
        re.search(r"^(?:info:|sandboxI[dD]:|pid:)", head, re.M) or "io.kubernetes.container." in head
    ):
        return 85
    return 0


@source("crictl-inspect-yaml", sniff=_sniff_inspect_yaml)
def parse_inspect_yaml(ctx: ParseContext) -> Iterable[Record]:
    """crictl inspect -o yaml ID (status and info; crictl of 2020 printed the info's keys at the top)"""
    for doc in yaml_docs(ctx.text):
        if not isinstance(doc, dict):
            ctx.problem(None, "an inspect document that is no mapping")
            continue
        if not isinstance(doc.get("info"), dict):
            info = {k: v for k, v in doc.items() if k != "status"}
            if "sandboxId" in info:
                info.setdefault("sandboxID", info["sandboxId"])
            doc = {"status": doc.get("status"), "info": info}
        yield from shielded(ctx, f"inspect document {_doc_id(doc)}", partial(_inspect_doc, ctx, doc))


@source("crictl-inspectp", sniff=_sniff_inspect("inspectp"))
def parse_inspectp(ctx: ParseContext) -> Iterable[Record]:
    """crictl inspectp ID... (pause pid, network, cgroup parent, log directory)"""
    try:
        docs = list(_objects(ctx))
    except ParseError as e:
        rec = salvage(ctx, e, "inspectp")
        if rec is None:
            raise
        yield rec
        return
    for doc in _dicts(ctx, docs):
        yield from shielded(ctx, f"inspectp document {_doc_id(doc)}", partial(_inspectp_doc, ctx, doc))
