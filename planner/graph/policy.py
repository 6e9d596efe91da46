"""The wave policy: a YAML file with the options of `planner graph` / `planner waves` (``--policy FILE``).

The file and the command-line options both become ``WaveSettings``; the options are laid over the file
(``overlay``): scalars given on the command line override the file's, lists add to them. Validation is strict
(unknown keys are errors, YAML scalars are not coerced) and errors name the file and the key path, e.g.
``waves.yaml: waves.max_vms: must be >= 1``. VM names are not checked here: names missing from the graph are
reported as warnings by the move-group and wave code, the same way for the file and the options.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.errors import InputError, NotFoundError
from planner.graph.groups import TOGETHER_TAG_CATEGORY
from planner.graph.waves import WaveOptions

_Name = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class WavesSection(_Strict):
    order: Literal["providers-first", "consumers-first"] = "providers-first"
    max_vms: Annotated[int, Field(ge=1)] | None = None
    max_vcpu: Annotated[int, Field(ge=1)] | None = None
    pin: dict[_Name, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    exclude: list[_Name] = Field(default_factory=list)
    together: list[Annotated[list[_Name], Field(min_length=1)]] = Field(default_factory=list)
    together_tag_categories: list[_Name] | None = None
    """None when the file does not say: the default category applies unless the command line names one."""


class WavePolicy(_Strict):
    version: Literal[1] = 1
    waves: WavesSection = Field(default_factory=WavesSection)

    def settings(self) -> WaveSettings:
        waves = self.waves
        return WaveSettings(consumers_first=waves.order == "consumers-first", max_vms=waves.max_vms,
                            max_vcpu=waves.max_vcpu, pins=dict(waves.pin), exclude=list(waves.exclude),
                            together=[list(group) for group in waves.together],
                            tag_categories=None if waves.together_tag_categories is None
                            else list(waves.together_tag_categories))


@dataclass
class WaveSettings:
    """What shapes move groups and waves, from a policy file or the command line. None means "not given"."""

    consumers_first: bool | None = None
    max_vms: int | None = None
    max_vcpu: int | None = None
    pins: dict[str, int] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    together: list[list[str]] = field(default_factory=list)
    tag_categories: list[str] | None = None
    """In order; an empty name clears the categories before it (``--together-tag ''``)."""

    def overlay(self, top: WaveSettings) -> WaveSettings:
        """``top`` laid over these settings: its scalars win when given, its lists (and pins) add."""
        tags = None if self.tag_categories is None and top.tag_categories is None else \
            [*(self.tag_categories or []), *(top.tag_categories or [])]
        return WaveSettings(
            consumers_first=self.consumers_first if top.consumers_first is None else top.consumers_first,
            max_vms=self.max_vms if top.max_vms is None else top.max_vms,
            max_vcpu=self.max_vcpu if top.max_vcpu is None else top.max_vcpu,
            pins={**self.pins, **top.pins}, exclude=_unique([*self.exclude, *top.exclude]),
            together=[*self.together, *top.together], tag_categories=tags)

    def categories(self) -> list[str]:
        """Tag categories whose values name move groups (``move-group`` when none was named)."""
        if self.tag_categories is None:
            return [TOGETHER_TAG_CATEGORY]
        result: list[str] = []
        for name in self.tag_categories:
            result = [] if not name else _unique([*result, name])
        return result

    def wave_options(self) -> WaveOptions:
        return WaveOptions(max_vms=self.max_vms, max_vcpu=self.max_vcpu, pins=dict(self.pins),
                           exclude=set(self.exclude), consumers_first=bool(self.consumers_first))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _key_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


_MESSAGES = {"greater_than_equal": "must be >= {ge}", "extra_forbidden": "unknown key", "missing": "required",
             "too_short": "must not be empty", "string_too_short": "must not be empty",
             "model_type": "must be a mapping", "dict_type": "must be a mapping"}


def _message(error: Any) -> str:
    template = _MESSAGES.get(error["type"])
    if template is not None:
        return template.format(**(error.get("ctx") or {}))
    return str(error["msg"]).replace("Input should be", "must be")


def parse_wave_policy(document: Any, origin: str) -> WavePolicy:
    """Validate a parsed YAML document (None, an empty file, means defaults)."""
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InputError(f"{origin}: a wave policy must be a mapping with a `waves` section.")
    # A key left empty (every entry commented out) is YAML null: it means "not given".
    document = {key: value for key, value in document.items() if value is not None}
    if isinstance(document.get("waves"), dict):
        document["waves"] = {key: value for key, value in document["waves"].items() if value is not None}
    try:
        return WavePolicy.model_validate(document)
    except ValidationError as exc:
        problems = [f"{_key_path(e['loc'])}: {_message(e)}" for e in exc.errors()]
        raise InputError(f"{origin}: " + "; ".join(problems)) from exc


def load_wave_policy(path: Path) -> WavePolicy:
    """The wave policy in ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise NotFoundError(f"wave policy file {path} does not exist.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read wave policy {path}: {reason}.") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from exc
    return parse_wave_policy(document, str(path))
