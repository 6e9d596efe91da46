"""Item 7 of issue 12: one-line messages that name the cause (YAML syntax errors with file and line, no
"Value error," prefix, a file in the way of an output directory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.conftest import Run

BROKEN = "waves:\n  max_vms: 3\n bad: [\n"


@pytest.mark.parametrize("args", [("waves", "example", "--policy"), ("assess", "example", "--policy"),
                                  ("inventory", "collect", "--config")], ids=lambda a: a[0])
def test_a_yaml_syntax_error_names_file_and_line(run: Run, tmp_path: Path, args: tuple[str, ...]) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(BROKEN)
    code, _, err = run(*args, str(policy))
    assert code == 3
    assert f"error: {policy}:3:2: not valid YAML: expected <block end>" in err
    assert "<unicode string>" not in err and "\\n" not in err


def test_no_value_error_prefix_on_a_bad_choice(run: Run) -> None:
    code, _, err = run("inventory", "list", "-f", "xml")
    assert code == 2 and "Value error" not in err and "'xml' is not one of 'table', 'json'" in err


def test_a_file_in_the_way_of_the_output_directory(run: Run, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    code, _, err = run("assess", "example", "-o", str(tmp_path / "file" / "a.json"))
    assert code == 3 and f"{tmp_path / 'file'} is a file, not a directory" in err
    assert "File exists" not in err


def test_a_policy_of_the_other_kind_is_named(run: Run) -> None:
    code, _, err = run("waves", "example", "--policy", "examples/policy.yaml")
    assert code == 3 and "examples/policy.yaml is an assessment policy; waves takes a wave policy" in err
    assert "unknown key" not in err
    code, _, err = run("assess", "example", "--policy", "examples/waves.yaml")
    assert code == 3 and "examples/waves.yaml is a wave policy; assess takes an assessment policy" in err
    assert run("waves", "example", "--policy", "examples/waves.yaml")[0] == 0
    assert run("assess", "example", "--policy", "examples/policy.yaml")[0] == 0
