"""Kubesnap: offline analyzer of Kubernetes node bundles."""

__version__ = "0.1.0"
