"""Benchmark parsing the facts for generation: ``appfacts.apply`` on recorded guest output, many guests.

Each guest gets the output recorded on the systemd test guest (nginx, Apache, PHP-FPM, PostgreSQL, MariaDB, a node
service: 24 processes, 60 configuration files, 30 units; ``tests/unit/discovery/appfacts/systemd-*``), as
``planner discover run`` would parse it for each host of an estate. Reports seconds and the stored bytes per guest.

    python bench/bench_discovery_facts.py               # 500 guests, 3 repeats
    python bench/bench_discovery_facts.py --guests 100 --repeat 1
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RECORDED = ROOT / "tests" / "unit" / "discovery" / "appfacts"
TARGET_SECONDS_PER_1000 = 50.0
"""Collecting 1000 guests takes Ansible at least ~1000 s (10 forks, ~10 s a host): parsing stays a few per cent."""


def main() -> int:
    from planner.discovery import appfacts
    from planner.discovery.raw import RawGuest
    from planner.models.discovery import GuestDiscovery

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--guests", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    sections = {"appfacts": gzip.decompress((RECORDED / "systemd-appfacts.txt.gz").read_bytes()).decode(),
                "services": (RECORDED / "systemd-services.txt").read_text()}
    raw = RawGuest(host="bench", sections=sections)
    timings = []
    stored = 0
    for _ in range(options.repeat):
        started = time.perf_counter()
        for index in range(options.guests):
            guest = GuestDiscovery(host=f"guest{index}")
            appfacts.apply(raw, guest)
        timings.append(time.perf_counter() - started)
        stored = len(guest.model_dump_json())
    seconds = statistics.median(timings)
    per_1000 = seconds / options.guests * 1000
    collected = sum(len(text) for text in sections.values())
    print(f"{options.guests} guests: {seconds:.2f} s (median of {options.repeat}), {per_1000:.1f} s per 1000 guests; "
          f"{collected} bytes collected and {stored} bytes stored per guest")
    return 0 if per_1000 <= TARGET_SECONDS_PER_1000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
