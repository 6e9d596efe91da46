"""Benchmark the report page: render_report at 5,000 and 50,000 VMs, the page's size, and its load in Chromium.

For each size a fresh child process builds a plan with the test factory (tests/support/plan_factory.py, outside
the clock), times ``render_report`` (median of --repeat runs) and reports its peak RSS; the page is written to a
temporary folder. The parent then opens it from file:// in headless Chromium (Debian's ``chromium`` through
Playwright) and times, per load: until the table is drawn (``body[data-ready]``), a sort by score, and a text
filter. No network: the page loads nothing, and every other request is refused.

    python bench/bench_report.py                    # 5,000 and 50,000 VMs
    python bench/bench_report.py --sizes 5000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MB = 60.0


def child(vms: int, repeat: int, out: Path) -> dict[str, Any]:
    """Runs in the child: build the plan, time the renders, write the page."""
    from planner.report import render_report
    from tests.support.plan_factory import make_plan

    plan = make_plan(vms)
    times, page = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        page = render_report(plan)
        times.append(time.perf_counter() - start)
    out.write_text(page, encoding="utf-8")
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"vms": vms, "render_s": statistics.median(times), "bytes": len(page.encode("utf-8")),
            "rss_mib": rss_mib}


def browse(path: Path, vms: int, loads: int) -> dict[str, float]:
    """Median seconds to load and draw the page, to sort it by score and to filter it by a name."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM_ARGS, chromium_path

    url = path.resolve().as_uri()
    load, sort, search = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]", timeout=300_000)
            load.append(time.perf_counter() - start)
            start = time.perf_counter()
            page.click('th[data-sort="score"]')
            page.wait_for_selector('th[data-sort="score"][aria-sort=ascending]')
            sort.append(time.perf_counter() - start)
            start = time.perf_counter()
            page.fill("#f-text", "vm00012")
            page.wait_for_selector(f'#vm-table:not([data-matching="{vms}"])', timeout=60_000)
            search.append(time.perf_counter() - start)
            context.close()
        browser.close()
    return {"load_s": statistics.median(load), "sort_s": statistics.median(sort),
            "filter_s": statistics.median(search) - 0.15}  # the search box waits 150 ms for typing to stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.repeat, args.out)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for vms in args.sizes:
            out = Path(tmp) / f"report-{vms}.html"
            result = subprocess.run([sys.executable, __file__, "--child", str(vms), "--repeat", str(args.repeat),
                                     "--out", str(out)], check=True, capture_output=True, text=True)
            row = json.loads(result.stdout)
            row.update(browse(out, vms, args.loads))
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| VMs | render_report | page | render peak RSS | load in Chromium | sort by score | filter by name |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['vms']:,} | {row['render_s']:.2f} s | {row['bytes'] / 1e6:.1f} MB | {row['rss_mib']:.0f} MiB "
              f"| {row['load_s']:.2f} s | {row['sort_s']:.2f} s | {row['filter_s']:.2f} s |")
    if len(rows) > 1:
        print(f"\nrender growth {rows[0]['vms']:,} -> {rows[-1]['vms']:,} VMs: "
              f"{rows[-1]['render_s'] / rows[0]['render_s']:.1f}x; largest page "
              f"{max(row['bytes'] for row in rows) / 1e6:.1f} MB (target < {TARGET_MB:.0f} MB)")


if __name__ == "__main__":
    main()
