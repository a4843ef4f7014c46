"""Images: the same tag meaning different images on different nodes; DaemonSet images missing on nodes."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from analyzer.rules import Finding, RuleContext, rule
from analyzer.rules.join import SNAPS

API_SNAP = "(SELECT snapshot_id FROM api_snapshots WHERE site = $site)"


def normalize_ref(ref: str) -> tuple[str, str]:
    """(repository, tag or digest) of an image reference, with Docker Hub's implicit parts made explicit:
    `nginx` -> (`docker.io/library/nginx`, `latest`), `reg:5000/a/b@sha256:..` -> (`reg:5000/a/b`, `sha256:..`)."""
    ref = ref.strip()
    ref = re.sub(r"^(?:docker-pullable|docker)://", "", ref)
    digest = ""
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = ""
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1 :]
    parts = ref.split("/")
    if len(parts) == 1:
        parts = ["docker.io", "library", *parts]
    elif not ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = ["docker.io", *parts]
    if parts[0] in ("index.docker.io", "registry-1.docker.io"):
        parts[0] = "docker.io"
    return "/".join(parts), (digest or tag or "latest")


def short_image_id(i: str | None) -> str:
    return (i or "").removeprefix("sha256:")[:12]


@rule(
    "IMAGE_ID_MISMATCH", "Same image tag, different images on different nodes", "images", "warn",
    "Nodes of the same architecture hold different image ids under one repository:tag: the tag was pushed again (a mutable tag "
    "like latest), or registries or mirrors differ. Pods of one workload then run different code on different nodes.",
    "Pin images by digest (or immutable tags); re-pull on the stale nodes (`crictl rmi` then pull), check the registry mirrors.",
)  # fmt: skip
def image_id_mismatch(ctx: RuleContext) -> Iterable[Finding]:
    rows = ctx.q(
        f"""SELECT i.node, coalesce(n.architecture, (SELECT max(value) FROM v_host_facts h WHERE h.snapshot_id = i.snapshot_id AND h.key = 'arch'), '?'),
                   i.repo, i.tag, i.image_id, i.source FROM images i LEFT JOIN nodes n ON n.snapshot_id = i.snapshot_id
            WHERE i.snapshot_id IN {SNAPS} AND i.tag IS NOT NULL AND i.tag NOT IN ('<none>', '') AND i.image_id IS NOT NULL"""
    )
    groups: dict[tuple[str, str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for node, arch, repo, tag, image_id, _src in rows:
        arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(arch, arch)
        r, t = normalize_ref(f"{repo}:{tag}")
        groups[(arch, r, t)][short_image_id(image_id)].append(node)
    for (arch, repo, tag), ids in sorted(groups.items()):
        # a 12-hex prefix from a table is the same image as a full id that starts with it
        distinct = {i for i in ids if i} if all(len(i) >= 12 for i in ids) else set(ids)
        if len(distinct) > 1:
            ev = [f"{node}: crictl images: {repo}:{tag} {i}" for i, nodes in sorted(ids.items()) for node in sorted(nodes)]
            yield ctx.finding("IMAGE_ID_MISMATCH", f"{repo}:{tag} is {len(distinct)} different images on {arch} nodes: "
                              + "; ".join(f"{i} on {', '.join(sorted(n))}" for i, n in sorted(ids.items())), obj=f"{repo}:{tag}", evidence=ev)  # fmt: skip


@rule(
    "DAEMONSET_IMAGE_MISSING", "A DaemonSet's image is missing on a node it runs on", "images", "warn",
    "A node where the DaemonSet has a pod does not hold one of its images (crictl images): the pod cannot start there until the "
    "image is pulled (air-gapped sites: the image was never loaded on that node or the local registry lacks it).",
    "Pull or load the image on the node (`crictl pull`, `ctr -n k8s.io images import`), or fix the registry the node uses.",
)  # fmt: skip
def daemonset_image_missing(ctx: RuleContext) -> Iterable[Finding]:
    have: dict[str, set[tuple[str, str]]] = defaultdict(set)
    digests: dict[str, set[str]] = defaultdict(set)
    listed: set[str] = set()
    for node, repo, tag, digest, image_id in ctx.q(f"SELECT node, repo, tag, digest, image_id FROM images WHERE snapshot_id IN {SNAPS}"):
        listed.add(node)
        have[node].add(normalize_ref(f"{repo}:{tag}" if tag and tag != "<none>" else repo))
        for d in (digest, image_id):
            if d:
                digests[node].add(d.removeprefix("sha256:"))
                have[node].add((normalize_ref(repo)[0], d))
    for ns, ds, images, nodes in ctx.q(
        f"""SELECT w.namespace, w.name, w.images, list(DISTINCT p.node_name ORDER BY p.node_name) FROM v_workloads w
            JOIN pods p ON p.site = $site AND p.namespace = w.namespace AND p.owner_kind = 'DaemonSet' AND p.owner_name = w.name AND p.node_name IS NOT NULL
            WHERE w.kind = 'DaemonSet' AND w.snapshot_id IN {API_SNAP} GROUP BY ALL ORDER BY 1, 2"""
    ):
        for node in nodes:
            if node not in listed:
                continue  # no image listing from that node: cannot tell
            for image in images or []:
                repo, ref = normalize_ref(image)
                if (repo, ref) in have[node] or (ref.startswith("sha256:") and ref.removeprefix("sha256:") in digests[node]):
                    continue
                yield ctx.finding("DAEMONSET_IMAGE_MISSING", f"{node} has no image {image} of DaemonSet {ns}/{ds}", node=node, namespace=ns, obj=ds,
                                  evidence=[f"API: daemonset {ns}/{ds} image {image}", f"{node}: crictl images: no {repo}:{ref}"])  # fmt: skip
