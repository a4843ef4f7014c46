"""`kubesnap diff A B`: what changed between two collections of a site (two databases; the CLI ingests and checks
bundles into throw-away ones first): nodes and pods added or removed, restarts since, images changed, files under
/etc/kubernetes (static pod manifests included) as unified diffs, findings new and resolved. Findings are those the
rules stored at analyze / findings time: diff never runs the rules."""

from __future__ import annotations

import difflib
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analyzer.sanitize import cell, json_dumps, line
from analyzer.verbs import SiteView, open_site
from analyzer.verbs.get import pod_items


@dataclass
class State:
    label: str
    collected: str | None
    nodes: set[str]
    pods: dict[tuple[str, str], str]  # (ns, pod) -> node
    restarts: dict[tuple[str, str, str], int]
    images: dict[tuple[str, str], str]  # (node, repo:tag) -> image id
    files: dict[tuple[str, str], str]  # (node, path) -> content
    findings: dict[tuple[str, str, str, str], tuple[str, str]] | None  # (rule, node, ns, object) -> (severity, message); None: never checked


def state(sv: SiteView, label: str) -> State:
    collected = sv.q("SELECT max(collected_at) FROM v_snapshots WHERE site = $site")[0][0]
    nodes = {r[0] for r in sv.q("SELECT name FROM nodes WHERE site = $site")}
    pods: dict[tuple[str, str], str] = {}
    restarts: dict[tuple[str, str, str], int] = {}
    for it in pod_items(sv):
        pods[(it.namespace or "", it.name)] = (it.obj.get("spec") or {}).get("nodeName") or ""
        for cs in (it.obj.get("status") or {}).get("containerStatuses") or []:
            restarts[(it.namespace or "", it.name, cs.get("name", ""))] = int(cs.get("restartCount") or 0)
    images = {(n, f"{r}:{t}"): (i or "") for n, r, t, i in sv.q(
        "SELECT i.node, i.repo, coalesce(i.tag, '<none>'), i.image_id FROM images i JOIN v_snapshots s USING (snapshot_id) WHERE s.site = $site")}  # fmt: skip
    files = {(n, p): c for n, p, c in sv.q(
        """SELECT s.node, f.path, f.content FROM v_config_files f JOIN v_snapshots s USING (snapshot_id)
           WHERE s.site = $site AND f.path LIKE '/etc/kubernetes/%' AND f.content IS NOT NULL
           UNION ALL SELECT s.node, m.path, m.content FROM v_manifests m JOIN v_snapshots s USING (snapshot_id)
           WHERE s.site = $site AND m.content IS NOT NULL AND m.path LIKE '/etc/kubernetes/%'""")}  # fmt: skip
    findings: dict[tuple[str, str, str, str], tuple[str, str]] | None = None
    if sv.q("SELECT 1 FROM finding_checks WHERE site = $site"):
        findings = {(r, n, ns, o): (sev, msg) for r, n, ns, o, sev, msg in sv.q(
            """SELECT rule, coalesce(node, ''), coalesce(namespace, ''), coalesce(object, ''), severity, message
               FROM v_findings WHERE site = $site""")}  # fmt: skip
    return State(label, f"{collected:%Y-%m-%dT%H:%M:%SZ}" if collected else None, nodes, pods, restarts, images, files, findings)


@dataclass
class Diff:
    a: str
    b: str
    nodes_added: list[str] = field(default_factory=list)
    nodes_removed: list[str] = field(default_factory=list)
    pods_added: list[dict[str, str]] = field(default_factory=list)
    pods_removed: list[dict[str, str]] = field(default_factory=list)
    restarts: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    files: list[dict[str, str]] = field(default_factory=list)
    findings_new: list[dict[str, str]] = field(default_factory=list)
    findings_resolved: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def compare(a: State, b: State) -> Diff:
    d = Diff(f"{a.label} (collected {a.collected})", f"{b.label} (collected {b.collected})")
    d.nodes_added = sorted(b.nodes - a.nodes)
    d.nodes_removed = sorted(a.nodes - b.nodes)
    d.pods_added = [{"namespace": ns, "pod": p, "node": b.pods[(ns, p)]} for ns, p in sorted(set(b.pods) - set(a.pods))]
    d.pods_removed = [{"namespace": ns, "pod": p, "node": a.pods[(ns, p)]} for ns, p in sorted(set(a.pods) - set(b.pods))]
    for k in sorted(set(a.restarts) & set(b.restarts)):
        if b.restarts[k] > a.restarts[k]:
            d.restarts.append({"namespace": k[0], "pod": k[1], "container": k[2], "before": a.restarts[k], "after": b.restarts[k]})
    nodes = sorted({n for n, _ in a.images} | {n for n, _ in b.images})
    for n in nodes:
        ia = {r: i for (nn, r), i in a.images.items() if nn == n}
        ib = {r: i for (nn, r), i in b.images.items() if nn == n}
        d.images += [{"node": n, "change": "added", "image": r, "id": ib[r]} for r in sorted(set(ib) - set(ia))]
        d.images += [{"node": n, "change": "removed", "image": r, "id": ia[r]} for r in sorted(set(ia) - set(ib))]
        d.images += [{"node": n, "change": "changed", "image": r, "id": f"{ia[r]} -> {ib[r]}"} for r in sorted(set(ia) & set(ib)) if ia[r] != ib[r]]
    for fk in sorted(set(a.files) | set(b.files)):
        before, after = a.files.get(fk), b.files.get(fk)
        if before == after:
            continue
        udiff = "".join(difflib.unified_diff(_file_lines(before), _file_lines(after),
                                             f"a/{fk[0]}{fk[1]}", f"b/{fk[0]}{fk[1]}"))  # fmt: skip
        d.files.append({"node": fk[0], "path": fk[1], "change": "added" if before is None else "removed" if after is None else "changed", "diff": udiff})
    if a.findings is None or b.findings is None:
        d.notes += [f"findings not compared: the rules never ran on {s.label} (run `kubesnap findings --db {s.label}`)"
                    for s in (a, b) if s.findings is None]  # fmt: skip
        return d
    for side_, into, keys in ((b, d.findings_new, set(b.findings) - set(a.findings)), (a, d.findings_resolved, set(a.findings) - set(b.findings))):
        for g in sorted(keys):
            assert side_.findings is not None
            sev, msg = side_.findings[g]
            into.append({"rule": g[0], "severity": sev, "node": g[1], "namespace": g[2], "object": g[3], "message": msg})
    return d


def _file_lines(content: str | None) -> list[str]:
    """A file's lines, split at \n only (str.splitlines would also split at a CR, VT, FF or U+2028 inside a line)."""
    parts = (content or "").split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def diff(db_a: Path, db_b: Path, site: str | None = None, labels: tuple[str, str] | None = None) -> Diff:
    """Compare two databases (`labels`: what to call them, by default their paths)."""
    la, lb = labels or (str(db_a), str(db_b))
    with ExitStack() as stack:
        a = state(stack.enter_context(open_site(db_a, site)), la)
        b = state(stack.enter_context(open_site(db_b, site)), lb)
    return compare(a, b)


def as_text(d: Diff) -> str:
    """The diff for the eyes: every name and message escaped as a cell (one item, one line), file lines as lines."""
    c = cell
    out = [f"--- {c(d.a)}", f"+++ {c(d.b)}"]

    def section(title: str, lines: list[str]) -> None:
        if lines:
            out.extend(["", f"{title}:", *("  " + ln for ln in lines)])

    section("Nodes added", [c(n) for n in d.nodes_added])
    section("Nodes removed", [c(n) for n in d.nodes_removed])
    section("Pods added", [f"{c(p['namespace'])}/{c(p['pod'])} on {c(p['node'] or '?')}" for p in d.pods_added])
    section("Pods removed", [f"{c(p['namespace'])}/{c(p['pod'])} on {c(p['node'] or '?')}" for p in d.pods_removed])
    section("Restarts since", [f"{c(r['namespace'])}/{c(r['pod'])} {c(r['container'])}: {r['before']} -> {r['after']} (+{r['after'] - r['before']})"
                               for r in d.restarts])  # fmt: skip
    section("Images", [f"{c(i['node'])}: {'+' if i['change'] == 'added' else '-' if i['change'] == 'removed' else '~'} {c(i['image'])} {c(i['id'])}"
                       for i in d.images])  # fmt: skip
    if d.files:
        out += ["", "Files changed:"]
        for f in d.files:
            out.append(f"  {c(f['node'])}: {c(f['path'])} ({f['change']})")
            # the unified diff's own lines end in \n only: a CR or VT inside a file line is shown, not a line break
            out += ["    " + line(ln) for ln in f["diff"].rstrip("\n").split("\n")]
    for title, fs in (("Findings new", d.findings_new), ("Findings resolved", d.findings_resolved)):
        section(title, [f"{f['severity'].upper()} {c(f['rule'])} {c(f['node'])} {c(f['object'])}: {c(f['message'])}" for f in fs])
    if len(out) == 2:
        out += ["", "No changes in nodes, pods, restarts, images, /etc/kubernetes files or findings."]
    out += [f"# {c(n)}" for n in d.notes]
    return "\n".join(out) + "\n"


def as_json(d: Diff) -> str:
    return json_dumps(asdict(d), indent=1) + "\n"
