"""Collecting a whole site from its deploy server: read the Ansible inventory, run the node
collector on every host (through Ansible or plain ssh), and pack the bundles with a site
manifest of which hosts answered and why the others did not."""
