"""Shared plumbing for user-written YAML and JSON files: reading them, and naming what is wrong in them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from planner.errors import InputError, NotFoundError


def key_path(loc: Iterable[int | str]) -> str:
    """A pydantic error location as a key path users can find in their file: `waves.pin.db-01`, `vms[3].name`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


_MESSAGES = {
    "greater_than": "must be > {gt}", "greater_than_equal": "must be >= {ge}", "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}", "extra_forbidden": "unknown key", "missing": "required",
    "too_short": "must not be empty", "string_too_short": "must not be empty", "model_type": "must be a mapping",
    "dict_type": "must be a mapping",
}


def describe(error: Any) -> str:
    """One pydantic error in the words of a configuration file's reader."""
    template = _MESSAGES.get(error["type"])
    if template is not None:
        return template.format(**(error.get("ctx") or {}))
    return str(error["msg"]).replace("Input should be", "must be").replace("Value error, ", "")


def problems(exc: ValidationError) -> str:
    """Every problem of a validation error, `key.path: message`, joined with `; `."""
    return "; ".join(f"{key_path(e['loc'])}: {describe(e)}" for e in exc.errors())


def read_yaml(path: Path, what: str) -> Any:
    """The parsed YAML document in `path`; `what` names the file in errors ("policy", "wave policy")."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise NotFoundError(f"{what} file {path} does not exist.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read {what} {path}: {reason}.") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(yaml_error(path, exc)) from exc


def yaml_error(path: Path, exc: yaml.YAMLError) -> str:
    """``FILE:LINE:COLUMN: not valid YAML: found ... while parsing ... (line N)``: one line, the user's file name."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return f"{path}: not valid YAML: {' '.join(str(exc).split())}"
    mark = exc.problem_mark
    problem = exc.problem or "syntax error"
    context = ""
    if exc.context:
        where = exc.context_mark
        at = f" at line {where.line + 1}" if where is not None and where.line != mark.line else ""
        context = f" ({exc.context}{at})"
    return f"{path}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {problem}{context}."
