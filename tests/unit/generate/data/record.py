"""Turns the real recordings of helper "facts" (tests/unit/discovery/{data,appfacts}: collect.sh run in the test
guest images) into GuestDiscovery documents for the generation tests: `python tests/unit/generate/data/record.py`.
Each is renamed (host and VM) so it never clashes with the hand-made fixtures. Without the samples: the
processes come from the appfacts recording alone (the samples are of another run, with other pids)."""

from __future__ import annotations

import gzip
from pathlib import Path

from planner.discovery.merge import merge
from planner.discovery.raw import RawGuest

HERE = Path(__file__).parent
DISCOVERY = HERE.parents[1] / "discovery"
RECORDINGS = {"rec-web": ("web", "web-root.txt", None), "rec-redis": ("redis", "redis-root.txt", None),
              "rec-servers": ("web", "servers-root.txt.gz", None),
              "rec-hostile": ("app", "app-hostile-root.txt.gz", None),
              "rec-systemd": ("web", "systemd-appfacts.txt.gz", "systemd-services.txt")}


def _text(name: str) -> str:
    path = DISCOVERY / "appfacts" / name
    return gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()


def recorded(role: str, appfacts: str, services: str | None):
    raw = RawGuest.model_validate_json((DISCOVERY / "data" / f"{role}.json").read_text())
    sections = {**raw.sections, "appfacts": _text(appfacts), **({"services": _text(services)} if services else {})}
    return merge(raw.model_copy(update={"samples": [], "sections": sections}))


if __name__ == "__main__":
    for name, (role, appfacts, services) in RECORDINGS.items():
        guest = recorded(role, appfacts, services).model_copy(update={"host": name, "vm": name})
        (HERE / f"{name}.json").write_text(guest.model_dump_json(indent=1) + "\n", encoding="utf-8")
