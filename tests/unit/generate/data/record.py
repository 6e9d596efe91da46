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
RECORDINGS = {"rec-web": ("web", "web-root.txt"), "rec-redis": ("redis", "redis-root.txt"),
              "rec-servers": ("web", "servers-root.txt.gz"), "rec-hostile": ("app", "app-hostile-root.txt.gz")}


def recorded(role: str, appfacts: str):
    raw = RawGuest.model_validate_json((DISCOVERY / "data" / f"{role}.json").read_text())
    path = DISCOVERY / "appfacts" / appfacts
    text = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()
    guest = merge(raw.model_copy(update={"samples": [], "sections": {**raw.sections, "appfacts": text}}))
    return guest


if __name__ == "__main__":
    for name, (role, appfacts) in RECORDINGS.items():
        guest = recorded(role, appfacts).model_copy(update={"host": name, "vm": name})
        (HERE / f"{name}.json").write_text(guest.model_dump_json(indent=1) + "\n", encoding="utf-8")
