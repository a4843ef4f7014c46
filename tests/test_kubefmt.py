"""kubectl's printers as kubefmt implements them, on API objects of every shape they print differently."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analyzer.kubefmt import service_row

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _svc(spec: dict[str, object], status: dict[str, object] | None = None) -> dict[str, object]:
    return {"metadata": {"name": "s", "creationTimestamp": "2024-02-28T12:00:00Z"}, "spec": spec, **({"status": status} if status else {})}


# (spec, status, wide, the row kubectl's printService gives)
SERVICES = [
    ({"type": "ClusterIP", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "ports": [{"port": 443, "protocol": "TCP"}]}, None, False,
     ["s", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "2d"]),
    ({"type": "ClusterIP", "clusterIP": "None", "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
      "selector": {"k8s-app": "kube-dns", "a": "b"}}, None, True,
     ["s", "ClusterIP", "None", "<none>", "53/UDP,53/TCP", "2d", "a=b,k8s-app=kube-dns"]),
    ({"type": "NodePort", "clusterIP": "10.0.0.9", "externalIPs": ["198.51.100.1"], "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]},
     None, False, ["s", "NodePort", "10.0.0.9", "198.51.100.1", "80:30080/TCP", "2d"]),
    ({"type": "LoadBalancer", "clusterIP": "10.0.0.8", "ports": [{"port": 80, "nodePort": 31000, "protocol": "TCP"}]}, None, False,
     ["s", "LoadBalancer", "10.0.0.8", "<pending>", "80:31000/TCP", "2d"]),
    # a balancer's hostname is cut to 16 characters but with -o wide; spec.externalIPs follow it
    ({"type": "LoadBalancer", "clusterIP": "10.0.0.8", "externalIPs": ["198.51.100.2"]},
     {"loadBalancer": {"ingress": [{"hostname": "a1b2c3d4e5f6.elb.us-east-1.amazonaws.com"}]}}, False,
     ["s", "LoadBalancer", "10.0.0.8", "a1b2c3d4e5f6....,198.51.100.2", "<none>", "2d"]),
    ({"type": "LoadBalancer", "clusterIP": "10.0.0.8"}, {"loadBalancer": {"ingress": [{"ip": "203.0.113.5"}, {"ip": "203.0.113.6"}]}}, True,
     ["s", "LoadBalancer", "10.0.0.8", "203.0.113.5,203.0.113.6", "<none>", "2d", "<none>"]),
    ({"type": "ExternalName", "externalName": "db.example.com"}, None, False, ["s", "ExternalName", "<none>", "db.example.com", "<none>", "2d"]),
    # a shape no API server gives (from a hostile dump): printed, never a crash
    ({"type": "Weird", "ports": [{"port": "x"}, {"port": 1, "protocol": 7}], "externalIPs": "x", "selector": ["a"]}, {"loadBalancer": 3}, True,
     ["s", "Weird", "<none>", "<unknown>", "1/TCP", "2d", "<none>"]),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "status", "wide", "row"), SERVICES)
def test_service_row_is_what_kubectl_prints(spec: dict[str, object], status: dict[str, object] | None, wide: bool, row: list[str]) -> None:
    assert service_row(_svc(spec, status), NOW, wide) == row
