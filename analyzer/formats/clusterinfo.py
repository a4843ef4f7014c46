"""`kubectl cluster-info dump`: the --output-directory tree and the single stream on stdout.

Layout from kubernetes/kubectl pkg/cmd/clusterinfo/clusterinfo_dump.go: nodes.<ext>, then per namespace
<ns>/{events,replication-controllers,services,daemonsets,deployments,replicasets,pods}.<ext> (one List each)
and <ns>/<pod>/logs.txt (every container's log between `==== START logs for container <c> of pod <ns>/<pod> ====`
and `==== END ...` lines, or `Request log error: ...` when the log could not be fetched). Without
--output-directory the same lists are written one after another to stdout, each namespace's log blocks
after its PodList. Both shapes are read: versioned lists (kind, items) and the older kubectl's internal
Go structs (no kind, capitalized `Items`, Go field names, object metadata inlined in the item).
"""

from __future__ import annotations

import json
import re
from typing import Any

from analyzer.bundle import Member
from analyzer.formats import (
    MAX_READ,
    ForeignIngest,
    Format,
    Listing,
    Unit,
    api_records,
    json_member,
    register,
    salvage_list,
)
from analyzer.layout import Entry, layout

DUMP = "kubectl cluster-info dump"
FILES = {"nodes": "Node", "events": "Event", "replication-controllers": "ReplicationController", "services": "Service",
         "daemonsets": "DaemonSet", "deployments": "Deployment", "replicasets": "ReplicaSet", "pods": "Pod"}  # fmt: skip
ORDER = (
    "Event",
    "ReplicationController",
    "Service",
    "DaemonSet",
    "Deployment",
    "ReplicaSet",
    "Pod",
)  # per namespace, after the NodeList
START = "==== START logs for container "
END = "==== END logs for container "
LOG_ERROR = "Request log error: "

LAYOUT = layout(
    "cluster-info-dump",
    doc="kubectl cluster-info dump --output-directory",
    entries=[
        Entry("nodes.json", "cluster-info-list", ("api_nodes", "api_objects"), made_by=DUMP),
        *(
            Entry(
                f"*/{f}.json",
                "cluster-info-list",
                ("api_pods", "api_events", "api_workloads", "api_objects"),
                made_by=DUMP,
            )
            for f in FILES
            if f != "nodes"
        ),
        Entry(
            "*/*/logs.txt",
            "cluster-info-logs",
            ("log_files", "log_lines"),
            made_by=DUMP + " (kubectl logs of every container)",
        ),
    ],
)

STREAM = layout(
    "cluster-info-stream",
    doc="kubectl cluster-info dump to stdout",
    entries=[
        Entry(
            "*",
            "cluster-info-stream",
            ("api_nodes", "api_pods", "api_events", "api_workloads", "api_objects", "log_files", "log_lines"),
            made_by=DUMP + " > file",
        ),
    ],
)

# Go field names of the internal types whose JSON name is not the name with its first letter lowered
_USER_MAPS = {"Labels", "Annotations", "NodeSelector", "MatchLabels", "Data", "BinaryData", "Capacity", "Allocatable", "Limits",
              "Requests", "Selector", "labels", "annotations"}  # fmt: skip
OBJECT_META = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
               "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers")  # fmt: skip


def json_name(key: str) -> str:
    """A Go field name as its JSON name: UID -> uid, OSImage -> osImage, QOSClass -> qosClass, NodeName -> nodeName."""
    if not key[:1].isupper():
        return key
    if key.isupper():
        return key.lower()
    n = 0
    while n < len(key) and key[n].isupper():
        n += 1
    if n == 1:
        return key[0].lower() + key[1:]
    return key[: n - 1].lower() + key[n - 1 :]


def _from_go(v: Any, depth: int = 0) -> Any:
    if depth > 64:
        return v
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            jk = json_name(k) if isinstance(k, str) else k
            out[jk] = x if k in _USER_MAPS else _from_go(x, depth + 1)
        return out
    if isinstance(v, list):
        return [_from_go(x, depth + 1) for x in v]
    return v


def go_item(item: Any) -> Any:
    """An item of the internal Go shape as a versioned object: metadata gathered, field names as in the API."""
    if not isinstance(item, dict) or "metadata" in item:
        return item
    md = {k: item[k] for k in OBJECT_META if k in item}
    rest = {k: v for k, v in item.items() if k not in md}
    return {**_from_go(rest), "metadata": md}


def normalize(v: Any) -> Any:
    """A list of the Go shape ({"Items": [...]}, no kind) as a versioned list; anything else as it is."""
    if isinstance(v, dict) and isinstance(v.get("Items"), list) and "items" not in v:
        return {**{k: x for k, x in v.items() if k != "Items"}, "items": [go_item(i) for i in v["Items"]]}
    return v


def _kind_for(path: str) -> str | None:
    return FILES.get(path.rsplit("/", 1)[-1].rsplit(".", 1)[0])


def _list(ing: ForeignIngest, m: Member, path: str, entry: Entry) -> tuple[str, int]:
    values = json_member(ing, m, "cluster-info-list")
    if values is None:
        return "problem", 0
    return api_records(ing, path, [normalize(v) for v in values], _kind_for(path))


def _blocks(
    ing: ForeignIngest, member: str, text: str, start: int, stop: int, where: str | None = None
) -> int:
    """The START/END log blocks in text[start:stop]: one container log each (found by the markers, not per line)."""
    n = 0
    i = text.find(START, start, stop)
    while i >= 0:
        eol = text.find("\n", i, stop)
        header = text[i : eol if eol >= 0 else stop].strip()
        c, _, rest = header[len(START) :].partition(" of pod ")
        ns, _, pod = rest.removesuffix("====").strip().partition("/")
        body_start = eol + 1 if eol >= 0 else stop
        end = text.find("\n" + END, body_start - 1, stop)
        if not c or not ns or not pod:
            ing.problems.append(
                (
                    member,
                    "cluster-info-logs",
                    f"a log block whose header is not `container <c> of pod <ns>/<pod>`: {header[:120]!r}",
                )
            )
        body = text[body_start : end + 1 if end >= 0 else stop]
        if end < 0:
            ing.problems.append(
                (
                    member,
                    "cluster-info-logs",
                    f"the log of container {c} of pod {ns}/{pod} has no END line: cut short, read up to there",
                )
            )
        if body.startswith(LOG_ERROR):
            ing.problems.append(
                (
                    member,
                    "cluster-info-logs",
                    f"kubectl could not fetch the log of container {c} of pod {ns}/{pod}: {body[len(LOG_ERROR) :].strip()[:300]}",
                )
            )
        elif c and ns and pod:
            ing.add_log(None, {"path": f"{member}:{ns}/{pod}/{c}" if where is None else f"{member}:{c}", "member": member,
                               "namespace": ns, "pod": pod, "container": c}, data=body.encode("utf-8", "surrogateescape"))  # fmt: skip
            n += 1
        if end < 0:
            break
        i = text.find(START, end + 1, stop)
    return n


def _logs(ing: ForeignIngest, m: Member, path: str, entry: Entry) -> tuple[str, int]:
    data = m.read(MAX_READ + 1)
    if len(data) > MAX_READ:
        ing.problems.append((path, "cluster-info-logs", f"larger than {MAX_READ} bytes: not read"))
        return "problem", 0
    text = data.decode("utf-8", "surrogateescape")
    if not text.strip():
        return "empty", 0
    if not text.lstrip().startswith(START):
        ing.problems.append(
            (
                path,
                "cluster-info-logs",
                "no `==== START logs for container` line: not a cluster-info dump log",
            )
        )
        return "problem", 0
    n = _blocks(ing, path, text, 0, len(text), where="dir")
    return ("parsed" if n else "empty"), n


def _stream(ing: ForeignIngest, m: Member, path: str, entry: Entry) -> tuple[str, int]:
    """The stdout form: JSON lists one after another, log blocks after each namespace's PodList."""
    from analyzer.budgets import json_too_deep

    data = m.read(MAX_READ + 1)
    if len(data) > MAX_READ:
        ing.problems.append((path, "cluster-info-stream", f"larger than {MAX_READ} bytes: not read"))
        return "problem", 0
    text = data.decode("utf-8", "surrogateescape")
    dec = json.JSONDecoder()
    pos, n, docs, nlen = 0, 0, 0, len(text)
    values: list[tuple[Any, str | None]] = []  # (list, the kind its place in the stream implies)
    while pos < nlen:
        while pos < nlen and text[pos] in " \t\r\n":
            pos += 1
        if pos >= nlen:
            break
        if text.startswith(START, pos):
            nxt = _next_json(text, pos)
            n += _blocks(ing, path, text, pos, nxt)
            pos = nxt
            continue
        kind = "Node" if docs == 0 else ORDER[(docs - 1) % len(ORDER)]
        docs += 1
        line = text.count("\n", 0, pos) + 1
        nxt = _next_json(text, pos + 1)
        if text[pos] != "{":
            ing.problems.append(
                (
                    path,
                    "cluster-info-stream",
                    f"line {line}: text that is neither a JSON list nor a log block: skipped to the next one",
                )
            )
            pos = nxt
            continue
        if json_too_deep(text[pos:nxt]):
            ing.problems.append((path, "cluster-info-stream", f"line {line}: JSON nested too deep: not read"))
            pos = nxt
            continue
        try:
            v, pos = dec.raw_decode(text, pos)
            values.append((normalize(v), kind))
        except (ValueError, RecursionError) as e:
            got = salvage_list(text, pos)
            kept = len(got.get("items") or got.get("Items") or []) if got else 0
            ing.problems.append(
                (
                    path,
                    "cluster-info-stream",
                    f"line {line}: JSON broken ({getattr(e, 'msg', e)}): {kept} complete item(s) before the damage read",
                )
            )
            if got:
                values.append((normalize(got), kind))
            pos = nxt
    rows = 0
    for v, list_kind in values:
        hint = None if isinstance(v, dict) and v.get("kind") else list_kind
        _st, k = api_records(ing, path, [v], hint)
        rows += k
    if not rows and not n:
        return "empty", 0
    return "parsed", rows + n


NEXT = re.compile(r"\n(?=\{|==== START logs for container )")


def _next_json(text: str, pos: int) -> int:
    """Where the next JSON document or log block starts at a line's beginning (the end of the text if none)."""
    m = NEXT.search(text, pos)
    return m.end() if m else len(text)


def _is_list(h: bytes) -> bool:
    h = h.lstrip()
    return h.startswith(b"{") and (b'"Items"' in h or b'"items"' in h or b'List"' in h)


def _sniff_dir(listing: Listing) -> tuple[int, list[Unit]]:
    """nodes.json (a NodeList) beside <ns>/pods.json; or, when the tree is cut before nodes.json, <ns>/pods.json lists
    beside <ns>/<pod>/logs.txt files that start with kubectl's START line."""
    roots: set[str] = set()
    for p in listing.paths:
        parts = p.split("/")
        if parts[-1] == "nodes.json" and _is_list(listing.head(p)):
            root = "/".join(parts[:-1])
            pre = f"{root}/" if root else ""
            if any(
                q.startswith(pre) and q.endswith("/pods.json") and q.count("/") == pre.count("/") + 1
                for q in listing.paths
            ):
                roots.add(root)
        elif parts[-1] == "logs.txt" and len(parts) >= 3 and listing.head(p).startswith(START.encode()):
            root = "/".join(parts[:-3])
            pre = f"{root}/" if root else ""
            if _is_list(listing.head(f"{pre}{parts[-3]}/pods.json")) or listing.kinds.get(f"{pre}nodes.json"):
                roots.add(root)
    return (85, [Unit(r) for r in sorted(roots)]) if roots else (0, [])


def _sniff_stream(listing: Listing) -> tuple[int, list[Unit]]:
    if not listing.single or len(listing.paths) != 1:
        return 0, []
    h = listing.head(listing.paths[0]).lstrip()
    if h.startswith(b"{") and (
        b'"NodeList"' in h or (b'"Items"' in h and (b'"Spec"' in h or b'"Status"' in h or b'"name"' in h))
    ):
        return 85, [Unit("")]
    return 0, []


LACKS = {"runtime": "the dump is taken through the API: no crictl view of any node",
         "processes": "no process list (so no pod-to-shim-to-process join)",
         "journals": "no kubelet or runtime journal",
         "node-files": "no node files (static manifests, kubelet config)"}  # fmt: skip

FORMAT = register(
    Format(
        LAYOUT,
        _sniff_dir,
        "cluster",
        title=DUMP + " --output-directory",
        lacks=LACKS,
        readers={"cluster-info-list": _list, "cluster-info-logs": _logs},
    )
)
STREAM_FORMAT = register(
    Format(
        STREAM,
        _sniff_stream,
        "cluster",
        title=DUMP + " (stdout)",
        lacks=LACKS,
        readers={"cluster-info-stream": _stream},
    )
)
