"""Generated documentation pages (docs/rules.md, docs/stacks.md): write one, or check that it is up to date."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def write_or_check(argv: list[str] | None, *, prog: str, description: str, default_path: Path,
                   render: Callable[[], str]) -> int:
    """``prog [PATH] [--check]``: write the page ``render`` makes when it differs; with --check, exit 1 if stale."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("path", nargs="?", type=Path, default=default_path)
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is missing or stale")
    args = parser.parse_args(argv)
    text = render()
    current = args.path.read_text(encoding="utf-8") if args.path.exists() else None
    if args.check:
        if current != text:
            print(f"{args.path} is stale: run `{prog}`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(text, encoding="utf-8")
        print(f"wrote {args.path}")
    return 0
