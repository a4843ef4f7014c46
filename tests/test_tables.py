"""crictl and kubectl tables: every column set, aligned and collapsed, with and without header."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.models import ApiNode, ApiPod, ContainerObs, Event, ImageObs, Sandbox
from analyzer.parsers import crictl_table, kubectl_table
from analyzer.registry import ParseContext, sniff
from tests.conftest import CORPUS, corpus_files

SOURCES = ["crictl-ps-table", "crictl-pods-table", "crictl-images-table", "crictl-ids", "crictl-stats", "ctr", "kubectl-table"]
SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed-captures"

PARSERS = {
    "crictl-ps-table": crictl_table.parse_ps,
    "crictl-pods-table": crictl_table.parse_pods,
    "crictl-images-table": crictl_table.parse_images,
    "kubectl-wide": kubectl_table.parse,
    "ctr-tables": crictl_table.parse_ctr,
}


def run(fn, text: str, name: str = "x.txt"):
    ctx = ParseContext(name, text.encode())
    return list(fn(ctx)), ctx.problems


def fields(recs) -> list[dict]:
    return [r.model_dump(exclude={"line"}) for r in recs]


def collapse(text: str) -> str:
    return "\n".join(re.sub(r"[ \t]+", " ", ln).strip() for ln in text.splitlines()) + "\n"


TABLE_FILES = [(d, p) for d in PARSERS for p in corpus_files(d)]


@pytest.mark.parametrize(("kind", "path"), TABLE_FILES, ids=lambda x: x.name if isinstance(x, Path) else x)
def test_collapsed_reads_like_aligned(kind: str, path: Path) -> None:
    """A paste whose column alignment was lost gives the same records, by what each column can hold."""
    text = path.read_text()
    aligned, _ = run(PARSERS[kind], text)
    collapsed, _ = run(PARSERS[kind], collapse(text))
    assert fields(collapsed) == fields(aligned)


def test_crictl_ps_every_column_set(corpus: Path) -> None:
    d = corpus / "crictl-ps-table"
    # CONTAINER ID header (2017-18), no POD ID
    (r,), _ = run(crictl_table.parse_ps, (d / "cri-tools-docs-ps-a-created-state.txt").read_text())
    assert (r.container_id, r.image, r.state, r.created_text, r.sandbox_id) == ("3e025dd50a72d", "busybox", "Created", "32 seconds ago", None)
    # POD ID and POD columns; a full 64-hex image id (OpenShift)
    recs, _ = run(crictl_table.parse_ps, (d / "insights-core-fixture-ocp-crictl-ps-fullhex-image-pod.txt").read_text())
    assert recs[0].attempt == 185 and len(recs[0].image or "") == 64 and recs[0].pod_name
    # `crictl ps -a | grep`: no header, names longer than the column push it right
    recs, _ = run(crictl_table.parse_ps, (d / "crio-issue8884-ocp-ps-a-grep-kube-apiserver-fullhex-image.txt").read_text())
    assert {r.name for r in recs} >= {"kube-apiserver-check-endpoints", "kube-apiserver-insecure-readyz"}
    assert all(r.sandbox_id == "3d4536c7f85bd" for r in recs)
    # image as name@digest
    (r,), _ = run(crictl_table.parse_ps, (d / "crio-issue4693-ps-a-grep-digest-image-ref.txt").read_text())
    assert r.image and r.image.startswith("ecr.ad.dice.fm/base@sha256:") and r.image_id is None
    # crictl 1.34: POD and NAMESPACE columns, empty runtime
    recs, problems = run(crictl_table.parse_ps, (d / "crictl1.34-containerd2.2.1-ps-a-empty-header-only.txt").read_text())
    assert recs == [] and problems == []
    # "About an hour ago"; POD ID but no POD column (kind)
    recs, _ = run(crictl_table.parse_ps, (d / "ovn-k8s-pr1871-kind-crictl-ps-pod-id-no-pod-name.txt").read_text())
    assert recs[0].created_text == "About an hour ago" and recs[0].pod_name is None and len(recs) == 8


def test_crictl_pods_variants(corpus: Path) -> None:
    d = corpus / "crictl-pods-table"
    # a klog deprecation warning printed before the table
    recs, _ = run(crictl_table.parse_pods, (d / "kubeadm-issue926-2018-containerd-pods-with-deprecation-warning.txt").read_text())
    assert len(recs) == 6 and all(isinstance(r, Sandbox) for r in recs)
    # header cut at the terminal edge ("ATT")
    (r,), _ = run(crictl_table.parse_pods, (d / "crio-issue4194-crio1.18-pods-filter-truncated-header.txt").read_text())
    assert (r.name, r.namespace, r.attempt) == ("coredns-d5rz8", "kube-system", 1)


def test_crictl_images_variants(corpus: Path) -> None:
    d = corpus / "crictl-images-table"
    recs, _ = run(crictl_table.parse_images, (d / "cri-tools-docs-images-digests.txt").read_text())
    busybox = next(r for r in recs if r.repo == "docker.io/library/busybox")
    assert (busybox.tag, busybox.digest, busybox.image_id, busybox.size_bytes) == ("latest", "538721340ded1", "3f57d9401f8d4", 4_500_000)
    recs, _ = run(crictl_table.parse_images, (d / "k8s-docs-crictl-2018-images-q.txt").read_text())
    assert recs and all(isinstance(r, ImageObs) and r.image_id and len(r.image_id) == 71 for r in recs)


def test_ctr_tables(corpus: Path) -> None:
    d = corpus / "ctr-tables"
    tasks, _ = run(crictl_table.parse_ctr, (d / "eks-al2-1.24-ctr-k8s.io-task-list.txt").read_text())
    assert all(r.pid and r.state == "Running" for r in tasks)
    conts, _ = run(crictl_table.parse_ctr, (d / "eks-al2-1.24-ctr-k8s.io-container-list.txt").read_text())
    assert all(len(r.container_id) == 64 and r.runtime_type == "io.containerd.runc.v2" for r in conts)


def test_crictl_ids_and_stats() -> None:
    ids = "a" * 64 + "\n" + "b" * 64 + "\n"
    recs, _ = run(crictl_table.parse_ids, ids, "runtime/crictl-pods-ids.txt")
    assert [r.sandbox_id for r in recs] == ["a" * 64, "b" * 64]
    stats = "CONTAINER           NAME                CPU %               MEM                 DISK                INODES\n7d6ad449ae76b       nginx               0.00                3.5MB               16.38kB             9\n"
    (s,), _ = run(crictl_table.parse_stats, stats, "runtime/crictl-stats.txt")
    assert (s.kind, s.id, s.name, s.memory_bytes) == ("container", "7d6ad449ae76b", "nginx", 3_500_000)


def test_kubectl_pod_tables(corpus: Path) -> None:
    d = corpus / "kubectl-wide"
    (r,), _ = run(kubectl_table.parse, (d / "k3s-v1.26.3-lpp-issue330-restarts-with-ago.txt").read_text())
    assert (r.restarts, r.last_restart_text, r.status_text, r.ready_text) == (543, "75s ago", "CrashLoopBackOff", "0/1")
    recs, _ = run(kubectl_table.parse, (d / "eks-1.24-al2-get-po-A-owide.txt").read_text())
    assert all(isinstance(r, ApiPod) and r.node_name and r.nominated_node is None for r in recs)
    # two tables and shell prompts in one paste
    recs, _ = run(kubectl_table.parse, (d / "rke2-v1.22.9+rke2r2-ubuntu22.04-get-nodes-and-kube-system-pods-owide.txt").read_text())
    assert sum(isinstance(r, ApiNode) for r in recs) == 3 and sum(isinstance(r, ApiPod) for r in recs) == 27


def test_kubectl_node_tables(corpus: Path) -> None:
    d = corpus / "kubectl-wide"
    recs, _ = run(kubectl_table.parse, (d / "k3s-issue10655-v1.30.3-sles15sp5-get-nodes-owide.txt").read_text())
    assert recs[0].os_image == "SUSE Linux Enterprise Server 15 SP5" and recs[0].roles == ["control-plane", "etcd", "master"]
    # node/ prefix, <redacted> cells that break the alignment
    recs, _ = run(kubectl_table.parse, (d / "rke2-issue1395-v1.20.9-centos8-get-nodes-owide-redacted-extip.txt").read_text())
    assert all(not r.name.startswith("node/") and r.external_ip is None and r.os_image == "CentOS Linux 8 (Core)" for r in recs)
    # kubectl 1.10: no INTERNAL-IP column
    recs, _ = run(kubectl_table.parse, (d / "pharos-pr456-k8s1.10-crio1.10.4-get-nodes-owide-no-internal-ip.txt").read_text())
    assert recs[0].runtime_version == "cri-o://1.10.4" and recs[0].internal_ip is None and recs[0].kernel_version == "4.15.0-23-generic"
    # --label-columns: unknown columns kept
    recs, _ = run(kubectl_table.parse, (d / "eks-1.24-get-node-label-columns.txt").read_text())
    assert recs[0].labels == {"instance-type": "t3.medium", "capacitytype": "ON_DEMAND", "zone": "ap-northeast-3a"}


def test_seed_pastes_read_as_the_seed_shows_them() -> None:
    """The seed's collapsed outputs with its '# ' prefix: cells with spaces survive."""
    recs, _ = run(kubectl_table.parse, (SEED / "bastion-kubectl-get-pod-wide-worker01.txt").read_text())
    ctrl = next(r for r in recs if r.name == "calico-kube-controllers-b8d4d8984-8htc7")
    assert (ctrl.restarts, ctrl.last_restart_text, ctrl.age_text, ctrl.pod_ip) == (1, "2d10h ago", "2d10h", "10.0.0.31")
    recs, _ = run(kubectl_table.parse, (SEED / "bastion-kubectl-get-node-wide-controlplanes.txt").read_text())
    assert [r.os_image for r in recs] == ["Ubuntu 22.04.2 LTS"] * 3
    assert [r.runtime_version for r in recs] == ["containerd://1.5.8"] * 3
    recs, _ = run(crictl_table.parse_ps, (SEED / "controlplane01-crictl-ps.txt").read_text())
    api = next(r for r in recs if r.name == "kube-apiserver")
    assert isinstance(api, ContainerObs) and (api.container_id, api.image, api.sandbox_id, api.attempt) == ("98fb36a5799ac", "c0d565df2c900", "4b942abe81e38", 1)
    recs, _ = run(crictl_table.parse_pods, (SEED / "controlplane01-crictl-pods.txt").read_text())
    assert {r.runtime_handler for r in recs} == {"(default)"} and len(recs) == 8
    recs, _ = run(crictl_table.parse_images, (SEED / "worker01-crictl-images.txt").read_text())
    assert {(r.repo, r.size_text) for r in recs} >= {("registry.local.cloud:5000/pause", "298kB"), ("docker.io/library/nginx", "70.5MB")}


# `kubectl get events` as kubectl 1.14+ prints it (-A, -o wide), `kubectl events` (1.26+), and
# the 1.13-era columns whose NAME is the event's own (<object>.<hex>) and SOURCE holds ", "
EVENTS_A = """\
NAMESPACE     LAST SEEN   TYPE      REASON      OBJECT                  MESSAGE
kube-system   2m          Normal    Scheduled   pod/coredns-5d78c9869d-2xq8p   Successfully assigned kube-system/coredns-5d78c9869d-2xq8p to w1
shop          6m1s        Warning   Unhealthy   pod/web-0               Readiness probe failed: HTTP probe failed with statuscode: 503
default       <unknown>   Warning   FailedNeedsStart   cronjob/google-ping   Cannot determine if job needs to be started
"""
EVENTS_WIDE = """\
NAMESPACE   LAST SEEN   TYPE      REASON    OBJECT      SUBOBJECT              SOURCE         MESSAGE                                        FIRST SEEN   COUNT   NAME
shop        3m14s       Warning   BackOff   pod/web-0   spec.containers{web}   kubelet, w1    Back-off restarting failed container web       41m          188     web-0.17f5a1b2c3d4e5f6
shop        41m         Normal    Pulled    pod/web-0   spec.containers{web}   kubelet, w1    Container image "nginx:1.25" already present   41m          1       web-0.17f5a1b2c3d4e5f7
"""
EVENTS_NEW = """\
LAST SEEN             TYPE      REASON             OBJECT                MESSAGE
88s                   Normal    HelmChartCreated   HelmRelease/podinfo   Created HelmChart/podinfo/podinfo-podinfo
58s (x121 over 5m)    Warning   FailedScheduling   Pod/dns-test          0/4 nodes are available: 4 Insufficient cpu.
"""
EVENTS_OLD = """\
LAST SEEN   FIRST SEEN   COUNT     NAME                                            KIND         SUBOBJECT                      TYPE      REASON              SOURCE                    MESSAGE
7m          7m           1         pink-carbon.157be1efb7ad1a77                    Deployment                                  Normal    ScalingReplicaSet   deployment-controller     Scaled up replica set pink-carbon-5c96bc649 to 1
43m         1h           14        dashboard-5bd6f767c7-tfz6k.1526c8d91d9b3023     Pod          spec.containers{dashboard}     Warning   Failed              kubelet, docker-desktop   Failed to pull image "k8s.gcr.io/dashboard:v1.8.3": rpc error
"""


def test_kubectl_event_tables() -> None:
    def ev(text: str) -> list[tuple]:
        recs, problems = run(kubectl_table.parse, text)
        assert problems == [] and all(isinstance(r, Event) for r in recs)
        return [(r.namespace, r.kind, r.name, r.type, r.reason, r.count, r.first_seen_text, r.last_seen_text, r.component, r.host, r.message) for r in recs]

    assert {getattr(sniff(t)[0], "name", None) for t in (EVENTS_A, EVENTS_OLD, EVENTS_NEW)} == {"kubectl-table"}
    rows = ev(EVENTS_A)
    assert rows[1] == ("shop", "Pod", "web-0", "Warning", "Unhealthy", None, None, "6m1s", None, None, "Readiness probe failed: HTTP probe failed with statuscode: 503")
    assert rows[2][1:3] == ("CronJob", "google-ping") and rows[2][7] is None
    assert ev(collapse(EVENTS_A)) == rows
    assert ev(EVENTS_WIDE)[0] == ("shop", "Pod", "web-0", "Warning", "BackOff", 188, "41m", "3m14s", "kubelet", "w1", "Back-off restarting failed container web")
    assert ev(EVENTS_NEW)[1] == (None, "Pod", "dns-test", "Warning", "FailedScheduling", 121, "5m", "58s", None, None, "0/4 nodes are available: 4 Insufficient cpu.")
    assert ev(collapse(EVENTS_NEW)) == ev(EVENTS_NEW)
    old = ev(EVENTS_OLD)
    assert [r[1:3] for r in old] == [("Deployment", "pink-carbon"), ("Pod", "dashboard-5bd6f767c7-tfz6k")]
    assert old[1][5:10] == (14, "1h", "43m", "kubelet", "docker-desktop")


def test_unreadable_rows_are_reported() -> None:
    text = "CONTAINER           IMAGE               CREATED             STATE               NAME                ATTEMPT             POD ID\nthis is not a row\n"
    recs, problems = run(crictl_table.parse_ps, text)
    assert recs == [] and problems and "not a crictl ps row" in problems[0][1]


def test_corpus_is_there_when_expected() -> None:
    if CORPUS.is_dir():
        assert TABLE_FILES
