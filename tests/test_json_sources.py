"""crictl JSON (lists, inspect, inspectp, inspecti) and kubectl JSON/YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.errors import ParseError
from analyzer.models import ApiContainer, ApiNode, ApiObject, ApiPod, ContainerObs, Event, ImageObs, Sandbox
from analyzer.parsers import crictl_json, json_values, kubectl_json
from analyzer.registry import ParseContext

SOURCES = ["crictl-pods-json", "crictl-ps-json", "crictl-images-json", "crictl-inspect", "crictl-inspect-yaml", "crictl-inspectp", "crictl-inspecti", "kubectl-json",
           "kubectl-yaml"]


def run(fn, data: str | bytes, name: str = "x.json"):
    ctx = ParseContext(name, data.encode() if isinstance(data, str) else data)
    return list(fn(ctx)), ctx.problems


def test_inspect_running_containerd(corpus: Path) -> None:
    (c,), _ = run(crictl_json.parse_inspect, (corpus / "crictl-json/containerd-calico-arm64-crictl-inspect-nginx-running.json").read_text())
    assert isinstance(c, ContainerObs)
    assert (c.pid, c.sandbox_id[:13], c.state, c.finished_at) == (106728, "cb07c78e24238", "Running", None)  # type: ignore[index]
    assert c.log_path == "/var/log/pods/default_nginx_25fae09f-aef9-4b5a-950f-80ea16cf5e1e/nginx/0.log"
    assert c.cgroups_path and ":cri-containerd:" in c.cgroups_path and c.pod_uid == "25fae09f-aef9-4b5a-950f-80ea16cf5e1e"


def test_inspect_o_yaml_gives_what_the_json_gives(corpus: Path) -> None:
    """crictl inspect -o yaml: the same document as YAML (today's: status and info), read as its JSON is; the 2020 form
    (cri-o's crictl: the info's pid and sandboxId at the top, beside status); YAML that is no inspect is a problem."""
    import yaml

    text = (corpus / "crictl-json/containerd-calico-arm64-crictl-inspect-nginx-running.json").read_text()
    (want,), _ = run(crictl_json.parse_inspect, text)
    (got,), problems = run(crictl_json.parse_inspect_yaml, yaml.safe_dump(json.loads(text), sort_keys=False), "x.yaml")
    assert got.model_dump() == want.model_dump() and problems == []
    old = ("pid: 4242\nsandboxId: fc12dcdeb0d0d9e23d584114972c07534cf6e239f21584d84a019f9abcbdbe03\nstatus:\n"
           "  id: e268cad5c813f5bb510359ceafd01034979706f243582dd229bccdf8398bb904\n  state: CONTAINER_EXITED\n  exitCode: 137\n")  # fmt: skip
    (c,), _ = run(crictl_json.parse_inspect_yaml, old, "x.yaml")
    assert (c.pid, c.sandbox_id[:4], c.state, c.exit_code) == (4242, "fc12", "Exited", 137)
    assert crictl_json._sniff_inspect_yaml(old) == 85 and crictl_json._sniff_inspect_yaml("$ crictl inspect -o yaml x\n" + old) == 0
    recs, problems = run(crictl_json.parse_inspect_yaml, "- a\n- b\n", "x.yaml")
    assert recs == [] and problems
    with pytest.raises(ParseError):
        run(crictl_json.parse_inspect_yaml, "status: [unclosed\n", "x.yaml")


def test_inspect_several_ids_concatenated_or_array(seed_bundles: dict[str, Path]) -> None:
    from tests.test_collector import member

    text = member(seed_bundles["playcekube-controlplane01"], "runtime/crictl-inspect.json").decode()
    concatenated, _ = run(crictl_json.parse_inspect, text)
    docs = list(json_values(text))
    array, _ = run(crictl_json.parse_inspect, json.dumps(docs))  # crictl >= 1.26 prints one array
    assert len(concatenated) == 10 == len(array)
    assert [c.model_dump() for c in concatenated] == [c.model_dump() for c in array]


def test_inspectp_and_lists(corpus: Path) -> None:
    (s,), _ = run(crictl_json.parse_inspectp, (corpus / "crictl-json/kind-podman-containerd-crictl-inspectp-o-json-seccomp-trimmed.json").read_text())
    assert isinstance(s, Sandbox) and s.pid and s.cgroup_parent and s.cgroup_parent.startswith("/kubelet.slice/")
    (p,), _ = run(crictl_json.parse_pods, (corpus / "crictl-json/kind-podman-containerd-crictl-pods-o-json.json").read_text())
    assert isinstance(p, Sandbox) and p.created_at and p.created_at.year == 2024 and p.state == "Ready"
    (c,), _ = run(crictl_json.parse_ps, (corpus / "crictl-json/nydus-containerd-crictl-ps-a-o-json-2021.json").read_text())
    assert isinstance(c, ContainerObs) and c.state == "Exited" and c.labels == {} and c.created_at and c.created_at.year == 2021
    (i,), _ = run(crictl_json.parse_inspecti, (corpus / "crictl-json/crio-issue3567-crictl-inspecti-no-info.json").read_text())
    assert isinstance(i, ImageObs) and (i.repo, i.tag, i.size_bytes) == ("docker.io/library/busybox", "latest", 1441595)


def test_cut_inspect_keeps_what_came_before(corpus: Path) -> None:
    """2017 cri-containerd: nanosecond strings, "container runtime spec"; the fragment is cut."""
    recs, problems = run(crictl_json.parse_inspect, (corpus / "crictl-json/fragments-not-valid-json/containerd-cri-pr445-2017-inspect-nanosecond-string-times-head.txt").read_text())
    assert len(recs) == 1 and recs[0].created_at and recs[0].created_at.year == 2017
    assert problems and "fields before the cut were kept" in problems[0][1]


def test_broken_json_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        run(crictl_json.parse_ps, '{"containers": [')


def test_kubectl_json_kinds(corpus: Path) -> None:
    d = corpus / "kubectl-json"
    recs, _ = run(kubectl_json.parse, (d / "troubleshoot-fixture-podlist-oomkilled-docker.json").read_text())
    cont = next(r for r in recs if isinstance(r, ApiContainer))
    assert (cont.state, cont.state_reason, cont.exit_code, cont.runtime_scheme) == ("terminated", "OOMKilled", 137, "docker")
    recs, _ = run(kubectl_json.parse, (d / "troubleshoot-fixture-podlist-crashloopbackoff.json").read_text())
    pod = next(r for r in recs if isinstance(r, ApiPod))
    assert pod.status_text == "CrashLoopBackOff"
    recs, _ = run(kubectl_json.parse, (d / "troubleshoot-fixture-podlist-unhealthy-containerd.json").read_text())
    cont = next(r for r in recs if isinstance(r, ApiContainer))
    assert cont.runtime_scheme == "containerd" and cont.container_id and len(cont.container_id) == 64
    # a static pod of OpenShift, stored without kind by insights-operator
    recs, _ = run(kubectl_json.parse, (d / "ocp4.7-insights-sample-pod-etcd-static-crio.json").read_text())
    pod = next(r for r in recs if isinstance(r, ApiPod))
    assert pod.static and pod.config_hash
    recs, _ = run(kubectl_json.parse, (d / "k3d-v1.24.4+k3s1-arm64-nodelist.json").read_text())
    node = next(r for r in recs if isinstance(r, ApiNode))
    assert node.ready == "True" and node.runtime_version == "containerd://1.6.6-k3s1" and "control-plane" in (node.roles or [])
    recs, _ = run(kubectl_json.parse, (d / "troubleshoot-fixture-eventlist-imagepull-fail-first8of17.json").read_text())
    assert sum(isinstance(r, Event) for r in recs) == 8
    assert all(isinstance(r, (Event, ApiObject)) for r in recs)


def test_kubectl_yaml_configmap(corpus: Path) -> None:
    recs, _ = run(kubectl_json.parse_yaml, (corpus / "manifests/kubeadm-v1.24.0-kubeadm-config-configmap.yaml").read_text())
    (obj,) = recs
    assert isinstance(obj, ApiObject) and obj.kind == "ConfigMap" and obj.name == "kubeadm-config"


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_dumped_secret_keeps_its_keys_never_its_values(tmp_path: Path, fmt: str) -> None:
    """`kubectl get secret -o json` (or a must-gather's secrets) sent with a bundle: the analyst's database holds the
    Secret's keys, never a value, nor the last-applied annotation that copies them (a fuzzer stored them, 2026-12-07)."""
    import duckdb
    import yaml
    from click.testing import CliRunner

    from analyzer.cli import main

    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": "db-pass", "namespace": "default", "annotations": {
                  "kubectl.kubernetes.io/last-applied-configuration": '{"stringData": {"token": "KUBESNAPCANARY12345"}}', "owner": "team-a"}},
              "data": {"password": "S1VCRVNOQVBDQU5BUlkxMjM0NQ=="}, "stringData": {"token": "KUBESNAPCANARY12345"}}  # fmt: skip
    doc = {"apiVersion": "v1", "kind": "List", "items": [secret]}
    f = tmp_path / f"secrets.{fmt}"
    f.write_text(json.dumps(doc) if fmt == "json" else yaml.safe_dump(doc))
    db = tmp_path / "k.duckdb"
    r = CliRunner().invoke(main, ["ingest", "--db", str(db), str(f)])
    assert r.exit_code == 0, r.output
    with duckdb.connect(str(db), read_only=True) as con:
        (stored,) = con.execute("SELECT raw FROM api_objects WHERE kind = 'Secret'").fetchall()
        raw = json.loads(stored[0])
        dumped = " ".join(str(v) for (v,) in con.execute("SELECT raw::VARCHAR FROM api_objects").fetchall())
    assert raw["data"] == {"password": "REDACTED"} and raw["stringData"] == {"token": "REDACTED"}
    assert raw["metadata"]["annotations"] == {"owner": "team-a"}
    assert "KUBESNAPCANARY" not in dumped and "S1VCRVNOQVBDQU5BUlkxMjM0NQ" not in dumped


def test_an_image_of_the_wrong_shape_is_a_problem_and_the_others_are_read() -> None:
    """The round-2 fuzzer: one image of crictl images -o json with repoTags 5 or pinned "x" lost the whole file."""
    text = json.dumps({"images": [{"id": "sha256:aaa111", "repoTags": ["nginx:1.25"], "repoDigests": ["nginx@sha256:bbb"], "size": "1000", "pinned": False},
                                  {"id": "sha256:ccc", "repoTags": 5, "repoDigests": [], "size": "1", "pinned": "x"}, 7]}).encode()  # fmt: skip
    ctx = ParseContext("images.json", text)
    recs = list(crictl_json.parse_images(ctx))
    assert [(r.image_id, r.repo, r.tag) for r in recs if isinstance(r, ImageObs)] == [("sha256:aaa111", "nginx", "1.25")]
    assert len(ctx.problems) == 2


def test_an_empty_list_written_items_null_is_no_problem() -> None:
    """Newer troubleshoot and `oc adm inspect` write an empty list as `items: null` (JSON and YAML): no object, no problem
    (each was 'no metadata.name (a manifest cut short?)': 60 in one 2025 troubleshoot bundle)."""
    for name, text in (("pods.json", '{"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"1"},"items":null}'),
                       ("routes.yaml", "apiVersion: v1\nkind: RouteList\nmetadata: {}\nitems: null\n")):  # fmt: skip
        ctx = ParseContext(name, text.encode())
        parse = kubectl_json.parse if name.endswith(".json") else kubectl_json.parse_yaml
        assert list(parse(ctx)) == [] and ctx.problems == [], ctx.problems
