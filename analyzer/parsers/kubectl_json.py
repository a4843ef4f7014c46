"""kubectl JSON: `get <resource> -o json` lists ("kind": "List"), typed lists as support-bundle
tools store them (PodList, NodeList, EventList), single objects (GET pod), and objects
without kind/apiVersion (openshift/insights-operator); `kubectl version -o json`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from analyzer.errors import ParseError, SkipSource
from analyzer.models import (
    ApiContainer,
    ApiNode,
    ApiObject,
    ApiPod,
    Event,
    Lease,
    Record,
    Version,
    Workload,
)
from analyzer.parsers import as_int, json_values, shielded, str_dict, strip_scheme, yaml_docs
from analyzer.registry import ParseContext, source
from analyzer.timeparse import parse_time

WORKLOAD_KINDS = {"Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"}


def _kind_of(obj: dict[str, Any]) -> str | None:
    k = obj.get("kind")
    if isinstance(k, str) and k:
        return k
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    if isinstance(status, dict) and "nodeInfo" in status:
        return "Node"
    if isinstance(spec, dict) and "containers" in spec:
        return "Pod"
    if "involvedObject" in obj:
        return "Event"
    return None


def _items(ctx: ParseContext, values: Iterable[Any] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    for v in json_values(ctx.text) if values is None else values:
        if isinstance(v, list):
            docs = v
        elif isinstance(v, dict) and str(v.get("kind") or "").endswith("List") and "items" in v and v["items"] is None:
            continue  # an empty list written `items: null` (newer troubleshoot, oc adm inspect): no object, no problem
        elif isinstance(v, dict) and isinstance(v.get("items"), list):
            docs = v["items"]
            list_kind = str(v.get("kind") or "")
            implied = list_kind[:-4] if list_kind.endswith("List") and list_kind != "List" else None
            for it in docs:
                if isinstance(it, dict):
                    k = _kind_of(it) or implied
                    if k:
                        yield k, it
                    else:
                        ctx.problem(None, "an item whose kind cannot be told")
            continue
        else:
            docs = [v]
        for it in docs:
            if isinstance(it, dict):
                k = _kind_of(it)
                if k:
                    yield k, it
                elif "clientVersion" in it or "serverVersion" in it:
                    yield "Version", it
                else:
                    ctx.problem(None, "a JSON object that is not a Kubernetes object")


def _sniff(head: str) -> int:
    h = head.lstrip()
    if not h.startswith(("{", "[")):
        return 0
    if '"apiVersion"' in head and ('"kind": "List"' in head or '"kind":"List"' in head or 'List"' in head[:400]):
        return 85
    if '"metadata"' in head and ('"nodeName"' in head or '"nodeInfo"' in head or '"involvedObject"' in head):
        return 80
    if '"clientVersion"' in head or '"serverVersion"' in head:
        return 80
    if '"apiVersion"' in head and '"metadata"' in head:
        return 60
    return 0


@source("kubectl-json", sniff=_sniff, scope="cluster")
def parse(ctx: ParseContext) -> Iterable[Record]:
    """kubectl get ... -o json (any resource), kubectl version -o json"""
    yield from _objects(ctx, _items(ctx))


def _sniff_yaml(head: str) -> int:
    if "apiVersion:" in head and re.search(r"^apiVersion:\s*\S+", head, re.M) and re.search(r"^kind:\s*\S+", head, re.M):
        if re.search(r"^\s+containerStatuses:", head, re.M) or re.search(r"^kind:\s*(?:List|Node|ConfigMap|Event|Deployment|DaemonSet|StatefulSet)\b", head, re.M):
            return 80
        return 60
    return 0


@source("kubectl-yaml", sniff=_sniff_yaml, scope="cluster")
def parse_yaml(ctx: ParseContext) -> Iterable[Record]:
    """kubectl get ... -o yaml (any resource)"""
    docs = yaml_docs(ctx.text)
    if not docs:
        raise SkipSource("empty")
    yield from _objects(ctx, _items(ctx, docs))


def _objects(ctx: ParseContext, items: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[Record]:
    for kind, obj in items:
        md = obj.get("metadata")
        ns, name = (md.get("namespace") or "", md.get("name") or "") if isinstance(md, dict) else ("", "")
        yield from shielded(ctx, f"{kind} {ns}/{name}" if ns else f"{kind} {name}", partial(_object, kind, obj))


def _object(kind: str, obj: dict[str, Any]) -> Iterator[Record]:
    """The records of one API object (its raw form, and its table's row)."""
    if kind == "Version":
        cv = obj.get("clientVersion") or {}
        sv = obj.get("serverVersion") or {}
        yield Version(client_version=cv.get("gitVersion"), server_version=sv.get("gitVersion"))
        return
    md = obj.get("metadata") or {}
    if not isinstance(md, dict) or not isinstance(md.get("name"), str) or not md["name"]:
        raise ParseError("no metadata.name (a manifest cut short?): not stored")
    yield ApiObject(
        kind=kind,
        api_version=obj.get("apiVersion"),
        namespace=md.get("namespace"),
        name=md.get("name"),
        uid=md.get("uid"),
        created_at=parse_time(md.get("creationTimestamp")),
        raw=obj,
    )
    if kind == "Node":
        yield node(obj)
    elif kind == "Pod":
        yield from pod(obj)
    elif kind == "Event":
        yield event(obj)
    elif kind in WORKLOAD_KINDS:
        yield workload(kind, obj)
    elif kind == "Lease":
        spec = obj.get("spec") or {}
        yield Lease(
            namespace=md.get("namespace"),
            name=md.get("name") or "",
            holder=spec.get("holderIdentity"),
            renew_time=parse_time(spec.get("renewTime")),
            duration_s=as_int(spec.get("leaseDurationSeconds")),
        )


def _cond(conds: list[dict[str, Any]], t: str) -> str | None:
    for c in conds:
        if c.get("type") == t:
            return str(c.get("status"))
    return None


def node(obj: dict[str, Any]) -> ApiNode:
    md = obj.get("metadata") or {}
    st = obj.get("status") or {}
    spec = obj.get("spec") or {}
    info = st.get("nodeInfo") or {}
    conds = [c for c in st.get("conditions") or [] if isinstance(c, dict)]
    labels = str_dict(md.get("labels")) or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k)
    if not roles and labels.get("kubernetes.io/role"):
        roles = [labels["kubernetes.io/role"]]
    addrs = {a.get("type"): a.get("address") for a in st.get("addresses") or [] if isinstance(a, dict)}
    ready = _cond(conds, "Ready")
    status_text = {"True": "Ready", "False": "NotReady"}.get(ready or "", "Unknown")
    if spec.get("unschedulable"):
        status_text += ",SchedulingDisabled"
    return ApiNode(
        source="kubectl-json",
        name=md.get("name") or "",
        uid=md.get("uid"),
        roles=roles,
        ready=ready,
        status_text=status_text,
        # (a describe cut before Unschedulable: or Taints: leaves them unknown, None, not false and none)
        unschedulable=None if spec.get("unschedulable") is None and "unschedulable" in spec else bool(spec.get("unschedulable")),
        memory_pressure=_cond(conds, "MemoryPressure"),
        disk_pressure=_cond(conds, "DiskPressure"),
        pid_pressure=_cond(conds, "PIDPressure"),
        network_unavailable=_cond(conds, "NetworkUnavailable"),
        kubelet_version=info.get("kubeletVersion"),
        runtime_version=info.get("containerRuntimeVersion"),
        kernel_version=info.get("kernelVersion"),
        os_image=info.get("osImage"),
        architecture=info.get("architecture"),
        internal_ip=addrs.get("InternalIP"),
        external_ip=addrs.get("ExternalIP"),
        created_at=parse_time(md.get("creationTimestamp")),
        labels=labels,
        taints=None if "taints" in spec and spec["taints"] is None else [t for t in spec.get("taints") or [] if isinstance(t, dict)],
        conditions=conds,
        capacity=str_dict(st.get("capacity")),
        allocatable=str_dict(st.get("allocatable")),
    )


def pod_status_text(obj: dict[str, Any]) -> str | None:
    """The STATUS kubectl prints: a waiting/terminated reason beats the phase."""
    st = obj.get("status") or {}
    md = obj.get("metadata") or {}
    if md.get("deletionTimestamp"):
        return "Terminating"
    if st.get("reason"):
        return str(st["reason"])
    for c in st.get("initContainerStatuses") or []:
        s = c.get("state") or {}
        if "terminated" in s and s["terminated"].get("exitCode") == 0:
            continue
        if "waiting" in s and s["waiting"].get("reason"):
            return f"Init:{s['waiting']['reason']}"
        if "terminated" in s:
            return f"Init:{s['terminated'].get('reason') or 'Error'}"
    reason = st.get("phase")
    for c in st.get("containerStatuses") or []:
        s = c.get("state") or {}
        if "waiting" in s and s["waiting"].get("reason"):
            reason = s["waiting"]["reason"]
        elif "terminated" in s and s["terminated"].get("reason"):
            reason = s["terminated"]["reason"]
    return str(reason) if reason else None


def pod(obj: dict[str, Any]) -> Iterator[Record]:
    md = obj.get("metadata") or {}
    st = obj.get("status") or {}
    spec = obj.get("spec") or {}
    ann = str_dict(md.get("annotations")) or {}
    owners = [o for o in md.get("ownerReferences") or [] if isinstance(o, dict)]
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else {})
    statuses = [c for c in st.get("containerStatuses") or [] if isinstance(c, dict)]
    init_statuses = [c for c in st.get("initContainerStatuses") or [] if isinstance(c, dict)]
    restarts = sum(as_int(c.get("restartCount")) or 0 for c in statuses)
    ready = sum(1 for c in statuses if c.get("ready"))
    total = len(spec.get("containers") or statuses)
    yield ApiPod(
        source="kubectl-json",
        namespace=md.get("namespace"),
        name=md.get("name") or "",
        uid=md.get("uid"),
        node_name=spec.get("nodeName") or None,
        phase=st.get("phase"),
        reason=st.get("reason"),
        status_text=pod_status_text(obj),
        ready_text=f"{ready}/{total}",
        restarts=restarts,
        pod_ip=st.get("podIP"),
        host_ip=st.get("hostIP"),
        qos_class=st.get("qosClass"),
        created_at=parse_time(md.get("creationTimestamp")),
        start_time=parse_time(st.get("startTime")),
        owner_kind=owner.get("kind"),
        owner_name=owner.get("name"),
        static=ann.get("kubernetes.io/config.source") == "file" or "kubernetes.io/config.mirror" in ann,
        config_hash=ann.get("kubernetes.io/config.hash") or ann.get("kubernetes.io/config.mirror"),
        priority_class=spec.get("priorityClassName"),
        host_network=bool(spec.get("hostNetwork")),
        labels=str_dict(md.get("labels")),
        annotations={k: v for k, v in ann.items() if k != "kubectl.kubernetes.io/last-applied-configuration"},
        nominated_node=st.get("nominatedNodeName"),
    )
    spec_images = {c.get("name"): c.get("image") for c in (spec.get("containers") or []) + (spec.get("initContainers") or []) if isinstance(c, dict)}
    for init, lst in ((False, statuses), (True, init_statuses)):
        for c in lst:
            cid, scheme = strip_scheme(c.get("containerID"))
            state, sr, sm, ec, sa, fa = _state(c.get("state"))
            last, lr, _lm, lec, lsa, lfa = _state(c.get("lastState"))
            yield ApiContainer(
                namespace=md.get("namespace"),
                pod=md.get("name") or "",
                pod_uid=md.get("uid"),
                name=c.get("name") or "",
                init=init,
                image=c.get("image") or spec_images.get(c.get("name")),
                image_id=c.get("imageID") or None,
                container_id=cid,
                runtime_scheme=scheme,
                ready=c.get("ready"),
                started=c.get("started"),
                restart_count=as_int(c.get("restartCount")),
                state=state,
                state_reason=sr,
                state_message=sm,
                exit_code=ec,
                started_at=sa,
                finished_at=fa,
                last_state=last,
                last_reason=lr,
                last_exit_code=lec,
                last_started_at=lsa,
                last_finished_at=lfa,
            )


def _state(s: object) -> tuple[Any, Any, Any, Any, Any, Any]:
    if not isinstance(s, dict) or not s:
        return None, None, None, None, None, None
    for k in ("running", "waiting", "terminated"):
        if k in s and isinstance(s[k], dict):
            v = s[k]
            return (k, v.get("reason"), v.get("message"), as_int(v.get("exitCode")),
                    parse_time(v.get("startedAt")), parse_time(v.get("finishedAt")))  # fmt: skip
    return None, None, None, None, None, None


def event(obj: dict[str, Any]) -> Event:
    md = obj.get("metadata") or {}
    io = obj.get("involvedObject") or obj.get("regarding") or {}
    src = obj.get("source") or {}
    first = parse_time(obj.get("firstTimestamp") or obj.get("eventTime") or md.get("creationTimestamp"))
    last = parse_time(obj.get("lastTimestamp") or (obj.get("series") or {}).get("lastObservedTime")) or first
    return Event(
        namespace=io.get("namespace") or md.get("namespace"),
        kind=io.get("kind"),
        name=io.get("name"),
        uid=io.get("uid"),
        reason=obj.get("reason"),
        message=obj.get("message") or obj.get("note"),
        type=obj.get("type"),
        count=as_int(obj.get("count")) or as_int((obj.get("series") or {}).get("count")) or 1,
        first_seen=first,
        last_seen=last,
        component=src.get("component") or obj.get("reportingComponent") or obj.get("reportingController"),
        host=src.get("host") or obj.get("reportingInstance"),
    )


def workload(kind: str, obj: dict[str, Any]) -> Workload:
    md = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    st = obj.get("status") or {}
    tmpl = spec.get("template") or (spec.get("jobTemplate") or {}).get("spec", {}).get("template") or {}
    tspec = tmpl.get("spec") or {}
    images = [c.get("image") for c in (tspec.get("containers") or []) + (tspec.get("initContainers") or []) if isinstance(c, dict) and c.get("image")]
    if kind == "DaemonSet":
        desired, ready, avail = st.get("desiredNumberScheduled"), st.get("numberReady"), st.get("numberAvailable")
    elif kind in ("Job", "CronJob"):
        desired, ready, avail = spec.get("completions"), st.get("succeeded"), st.get("active")
    else:
        desired, ready, avail = spec.get("replicas"), st.get("readyReplicas"), st.get("availableReplicas")
    owners = [o for o in md.get("ownerReferences") or [] if isinstance(o, dict)]
    return Workload(
        kind=kind,
        namespace=md.get("namespace"),
        name=md.get("name") or "",
        uid=md.get("uid"),
        desired=as_int(desired),
        ready=as_int(ready) or 0,
        available=as_int(avail),
        images=images,
        selector=str_dict((spec.get("selector") or {}).get("matchLabels")),
        created_at=parse_time(md.get("creationTimestamp")),
        owner_kind=owners[0].get("kind") if owners else None,
        owner_name=owners[0].get("name") if owners else None,
    )
