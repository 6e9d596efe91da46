"""Guest discovery with Ansible, starter inventories and flow imports (matching guests to VMs is the graph's job)."""
