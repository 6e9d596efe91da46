"""Write the generated example plan committed under examples/plan/ (a few of its files; `planner plan example -o
DIR` writes them all). ``python scripts/example_plan.py`` rewrites it; ``--check`` fails when it is stale
(tests/unit/plan/test_example_plan.py runs the check)."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "examples" / "plan"
KEEP = ("plan.json", "plan.yaml", "report.html", "assessment.csv", "artifacts/generate.json",
        "artifacts/compose/*.yml", "artifacts/images/web-nginx-01-nginx/Dockerfile",
        "artifacts/images/web-nginx-01-nginx/DECISIONS.md", "artifacts/images/app-python-api-01-python-wsgi/Dockerfile",
        "artifacts/images/web-apache-01-apache/Dockerfile", "artifacts/images/web-apache-01-php-fpm/Dockerfile",
        "artifacts/ansible/playbooks/*.yml", "artifacts/ansible/inventory/hosts.yml")
"""What is committed (globs); the README there says how to get the rest."""
EPOCH = "1796083200"
"""The example is made as of 2026-12-01 00:00 UTC (SOURCE_DATE_EPOCH): its ages and the report's date stay put."""
_VOLATILE = re.compile(r'("?(?:generated_at|planner_version)"?: )("?)[^",\n]*\2')


def normalise(text: str) -> str:
    """The text with what changes from run to run (times, planner's version) blanked."""
    return _VOLATILE.sub(r"\1\2-\2", text)


def generate(into: Path) -> dict[str, str]:
    """Run `planner plan example` and return the kept files (relative path -> text)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan"
        env_db = Path(tmp) / "none.db"
        subprocess.run([sys.executable, "-m", "planner", "--db", str(env_db), "plan", "example", "-o", str(out)],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin",
                                                                              "PYTHONPATH": str(ROOT),
                                                                              "SOURCE_DATE_EPOCH": EPOCH})
        kept = {path.relative_to(out).as_posix(): path.read_text(encoding="utf-8")
                for pattern in KEEP for path in sorted(out.glob(pattern)) if path.is_file()}
    if into.exists():
        shutil.rmtree(into / "artifacts", ignore_errors=True)
        for name in ("plan.json", "plan.yaml", "report.html", "assessment.csv"):
            (into / name).unlink(missing_ok=True)
    return kept


def committed() -> dict[str, str]:
    return {path.relative_to(TARGET).as_posix(): path.read_text(encoding="utf-8")
            for pattern in KEEP for path in sorted(TARGET.glob(pattern)) if path.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if examples/plan is stale")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as scratch:
            fresh = generate(Path(scratch) / "unused")
        old = committed()
        stale = sorted(name for name in {*fresh, *old} if normalise(fresh.get(name, "")) != normalise(
            old.get(name, "")))
        if stale:
            print(f"examples/plan is stale ({', '.join(stale)}): run python scripts/example_plan.py", file=sys.stderr)
            return 1
        return 0
    kept = generate(TARGET)
    for name, text in kept.items():
        path = TARGET / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
