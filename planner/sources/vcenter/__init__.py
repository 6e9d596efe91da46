"""vCenter source: bulk PropertyCollector reads, vAPI tags, mapped into the estate model."""

from planner.sources.vcenter.collect import collect, collect_server
from planner.sources.vcenter.settings import ConnectionFlags, Secret, ServerSettings, load_config_file, resolve_servers

__all__ = ["ConnectionFlags", "Secret", "ServerSettings", "collect", "collect_server", "load_config_file",
           "resolve_servers"]
