"""Guest discovery with Ansible, guest-to-VM matching, inventories and flow imports."""
