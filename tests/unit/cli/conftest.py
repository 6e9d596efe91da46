"""Run `planner` in-process through its console entry point, with a store in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.cli import main


class Run:
    """`run(*args)` -> (exit code, stdout, stderr with runs of white space folded)."""

    def __init__(self, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self.capsys = capsys

    def __call__(self, *args: str, db: bool = True) -> tuple[int, str, str]:
        self.capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main([*(["--db", str(self.db)] if db else []), *args])
        out, err = self.capsys.readouterr()
        return int(exited.value.code or 0), out, " ".join(err.split())


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("PLANNER_DB", raising=False)
    return Run(tmp_path / "planner.db", capsys)


@pytest.fixture
def example_store(run: Run) -> Run:
    """A store holding the bundled example twice (snapshots 1 and 2)."""
    for _ in range(2):
        assert run("inventory", "import", "inventories/example/estate.json")[0] == 0
    return run
