"""The wave policy: a YAML file with the options of `planner graph` / `planner waves` (``--policy FILE``).

The file and the command-line options both become ``WaveSettings``; the options are laid over the file
(``overlay``): scalars given on the command line override the file's, lists add to them. Validation is strict
(unknown keys are errors, YAML scalars are not coerced) and errors name the file and the key path, e.g.
``waves.yaml: waves.max_vms: must be >= 1``. VM names are checked against the graph once it is built
(``check_names``): a name that matches no VM is an error naming the option or the file and key path.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.errors import InputError
from planner.graph.groups import TOGETHER_TAG_CATEGORY
from planner.graph.waves import WaveOptions
from planner.validation import problems, read_yaml

_Name = Annotated[str, Field(min_length=1)]
STAY_BEHIND_STRATEGIES = ("keep-vm", "retire", "exclude")
"""Assessed strategies whose VMs stay behind unless included (``--include-strategy``, ``include_strategies``)."""
_Strategy = Literal["keep-vm", "retire", "exclude", "all"]


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
    include_strategies: list[_Strategy] = Field(default_factory=list)


class WavePolicy(_Strict):
    version: Literal[1] = 1
    waves: WavesSection = Field(default_factory=WavesSection)

    def settings(self) -> WaveSettings:
        waves = self.waves
        return WaveSettings(consumers_first=waves.order == "consumers-first", max_vms=waves.max_vms,
                            max_vcpu=waves.max_vcpu, pins=dict(waves.pin), exclude=list(waves.exclude),
                            together=[list(group) for group in waves.together],
                            tag_categories=None if waves.together_tag_categories is None
                            else list(waves.together_tag_categories),
                            include_strategies=list(waves.include_strategies))


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
    include_strategies: list[str] = field(default_factory=list)
    """Strategies of STAY_BEHIND_STRATEGIES whose VMs are planned anyway (``all``: every one)."""

    def overlay(self, top: WaveSettings) -> WaveSettings:
        """``top`` laid over these settings: its scalars win when given, its lists (and pins) add."""
        tags = None if self.tag_categories is None and top.tag_categories is None else \
            [*(self.tag_categories or []), *(top.tag_categories or [])]
        return WaveSettings(
            consumers_first=self.consumers_first if top.consumers_first is None else top.consumers_first,
            max_vms=self.max_vms if top.max_vms is None else top.max_vms,
            max_vcpu=self.max_vcpu if top.max_vcpu is None else top.max_vcpu,
            pins={**self.pins, **top.pins}, exclude=_unique([*self.exclude, *top.exclude]),
            together=[*self.together, *top.together], tag_categories=tags,
            include_strategies=_unique([*self.include_strategies, *top.include_strategies]))

    def categories(self) -> list[str]:
        """Tag categories whose values name move groups (``move-group`` when none was named)."""
        if self.tag_categories is None:
            return [TOGETHER_TAG_CATEGORY]
        result: list[str] = []
        for name in self.tag_categories:
            result = [] if not name else _unique([*result, name])
        return result

    def stay_behind_strategies(self) -> list[str]:
        """The assessed strategies whose VMs stay behind (not included)."""
        if "all" in self.include_strategies:
            return []
        return [name for name in STAY_BEHIND_STRATEGIES if name not in self.include_strategies]

    def wave_options(self, strategies: Mapping[str, str] | None = None) -> WaveOptions:
        """Options for ``plan_waves``; ``strategies`` (VM -> assessed strategy) decides which VMs stay behind."""
        held = set(self.stay_behind_strategies())
        return WaveOptions(max_vms=self.max_vms, max_vcpu=self.max_vcpu, pins=dict(self.pins),
                           exclude=set(self.exclude), consumers_first=bool(self.consumers_first),
                           stay_behind={vm: s for vm, s in sorted((strategies or {}).items()) if s in held})

    def describe(self) -> dict[str, Any]:
        """The merged settings for the ``options`` block of `planner waves --format json`."""
        return {"max_vms": self.max_vms, "max_vcpu": self.max_vcpu, "pins": dict(sorted(self.pins.items())),
                "exclude": sorted(self.exclude), "consumers_first": bool(self.consumers_first),
                "together": [list(group) for group in self.together], "tag_categories": self.categories(),
                "include_strategies": list(self.include_strategies),
                "stay_behind_strategies": self.stay_behind_strategies()}

    def name_refs(self, *, in_file: bool) -> list[tuple[str, str]]:
        """(where, VM name) for every VM name given: a key path of the policy file, or the command-line option."""
        refs = [(f"waves.pin.{name}" if in_file else f"--pin {name}={wave}", name)
                for name, wave in self.pins.items()]
        refs += [(f"waves.exclude[{i}]" if in_file else f"--exclude {name}", name)
                 for i, name in enumerate(self.exclude)]
        for i, group in enumerate(self.together):
            refs += [(f"waves.together[{i}][{j}]" if in_file else f"--together {','.join(group)}", name)
                     for j, name in enumerate(group)]
        return refs


def check_names(settings: WaveSettings, known: Collection[str], *, origin: str | None = None) -> None:
    """Raise InputError naming every VM name of ``settings`` that matches no VM in ``known`` (a typo in an exclude
    would silently migrate that VM), with a close match when there is one. ``origin`` is the policy file, or None
    for the command line."""
    problems = []
    for where, name in settings.name_refs(in_file=origin is not None):
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append(f"{where}: no VM named {name!r} in the snapshot{hint}")
    if problems:
        raise InputError((f"{origin}: " if origin else "") + "; ".join(problems))


@dataclass
class LayeredSettings:
    """A wave policy file's settings (if any) with the command line's laid over them, kept apart until VM names
    are checked, so an unknown name is reported where it was given."""

    command_line: WaveSettings = field(default_factory=WaveSettings)
    file: WaveSettings | None = None
    origin: str | None = None
    """The policy file's path, for messages and the ``options`` block."""

    @classmethod
    def load(cls, policy: Path | None, command_line: WaveSettings) -> LayeredSettings:
        return cls(command_line, load_wave_policy(policy).settings() if policy else None,
                   str(policy) if policy else None)

    @property
    def merged(self) -> WaveSettings:
        return (self.file or WaveSettings()).overlay(self.command_line)

    def check_names(self, known: Collection[str]) -> None:
        if self.file is not None:
            check_names(self.file, known, origin=self.origin or "policy")
        check_names(self.command_line, known)

    def describe(self) -> dict[str, Any]:
        return {**self.merged.describe(), "policy": self.origin}


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


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
        raise InputError(f"{origin}: {problems(exc)}") from exc


def load_wave_policy(path: Path) -> WavePolicy:
    """The wave policy in ``path``."""
    document = read_yaml(path, "wave policy")
    return parse_wave_policy(document, str(path))
