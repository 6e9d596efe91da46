"""`--help` that reads like a well-kept Unix tool's: plain text within 80 columns, word metavars, examples.

:func:`prepare` runs over the built click command tree before every invocation, so every command, including
ones added later, gets the same treatment without code of its own:

* plain (click) help formatting instead of rich panels, which cut option names and help at 80 columns;
* metavars that are words: ``FILE`` for paths (``DIR`` for folders), ``N`` for numbers, the choices for enums
  (``[table|json]``), the option's last word for text (``--label LABEL``), upper-case argument names
  (``SNAPSHOT``); flags show none (never ``<bool>``). An explicit ``metavar=`` on an option wins;
* an "Examples" epilog from :data:`EXAMPLES` (keyed by the command path) unless the command has an epilog;
* strict option parsing for commands taking a SNAPSHOT argument (:func:`planner.cli.parsing.strict_options`).
"""

from __future__ import annotations

from enum import Enum
from pathlib import PurePath
from typing import Any

from planner.cli.parsing import strict_options

EXAMPLES: dict[str, tuple[str, ...]] = {
    "planner": ("planner inventory import inventories/example/estate.json", "planner assess",
                "planner waves --max-vms 10"),
    "planner inventory": ("planner inventory list", "planner inventory export -o audit.xlsx"),
    "planner inventory collect": ("planner inventory collect -s vc01.example.com -u audit@vsphere.local",
                                  "planner inventory collect -c vcenters.yaml --label q3"),
    "planner inventory import": ("planner inventory import RVTools_export.xlsx --label q3",
                                 "planner inventory import rvtools-csv/"),
    "planner inventory list": ("planner inventory list", "planner inventory list -f json"),
    "planner inventory show": ("planner inventory show", "planner inventory show -1 --top 5"),
    "planner inventory export": ("planner inventory export -o audit.xlsx", "planner inventory export 3 -o vms.csv"),
    "planner inventory diff": ("planner inventory diff -1", "planner inventory diff 2 5 -o changes.json"),
    "planner discover": ("planner discover inventory -o hosts.yml", "planner discover run -i hosts.yml"),
    "planner discover run": ("planner discover run -i hosts.yml", "planner discover run -i web01,db01, --become"),
    "planner discover inventory": ("planner discover inventory -o hosts.yml",),
    "planner discover import-flows": ("planner discover import-flows examples/flows.csv",
                                      "planner discover import-flows flows.csv 3 --skip-bad"),
    "planner assess": ("planner assess", "planner assess example --policy examples/policy.yaml -o fit.csv"),
    "planner graph": ("planner graph -o graph.svg", "planner graph example --flows examples/flows.csv -o g.json"),
    "planner waves": ("planner waves --max-vms 10", "planner waves --policy examples/waves.yaml -o waves.json"),
    "planner plan": ("planner plan -o plan/",
                     "planner plan RVTools_export.xlsx -o plan/ --waves-policy examples/waves.yaml"),
    "planner generate": ("planner generate -o out/",
                         "planner generate 3 -o out/ --vm web-01 --base-images corp-images.yaml"),
    "planner verify": ("planner verify out/", "planner verify out/ --vm web-01 --compare -f json -o verify.json"),
    "planner report": ("planner report -o report.html",
                       "planner report 3 -o q3.html --waves-policy examples/waves.yaml"),
}
"""Examples shown at the end of each command's --help. A new command adds its own line here."""


def examples_epilog(lines: tuple[str, ...]) -> str:
    """An epilog click prints as is (``\\b`` stops it re-wrapping the lines)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def _word(param: Any) -> str:
    """The metavar a person would write in a man page for an option's value."""
    desc = param.type_descriptor
    annotation = desc.annotation
    if desc.is_list:
        args = getattr(annotation, "__args__", ())
        annotation = args[0] if args else str
    name = (param.name or "").lower()
    if desc.is_choice or (isinstance(annotation, type) and issubclass(annotation, Enum)):
        return "[" + "|".join(str(getattr(c, "value", c)) for c in (desc.choices or list(annotation))) + "]"
    if desc.is_path or (isinstance(annotation, type) and issubclass(annotation, PurePath)):
        return "DIR" if any(word in name for word in ("dir", "folder")) else "FILE"
    if annotation in (int, float):
        return "SECONDS" if any(word in name for word in ("timeout", "interval", "seconds")) else "N"
    long_names = [opt for opt in param.opts if opt.startswith("--")]
    return (long_names[0] if long_names else param.name or "value").lstrip("-").split("-")[-1].upper()


def _range_words(low: float | None, high: float | None) -> str | None:
    """A number range in words ("min 1"), not click's ``x>=1``."""
    if low is None and high is None:
        return None
    if high is None:
        return f"min {low}"
    if low is None:
        return f"max {high}"
    return f"{low} to {high:,}"


def _prepare_param(param: Any, is_option: bool) -> None:
    if not hasattr(param, "type_descriptor"):
        return
    if hasattr(param, "_get_number_range_help_str"):
        param._get_number_range_help_str = lambda: _range_words(getattr(param, "min", None),
                                                                getattr(param, "max", None))
    if is_option:
        word = param.metavar or _word(param)
        param.display_type_rich = lambda ctx: word
        return
    name = param.metavar or (param.name or "arg").upper()
    param.metavar = name
    param.display_type_rich = lambda ctx: ""
    param._usage_display_name = lambda: (name if param.required else f"[{name}]") + ("..." if param.nargs != 1
                                                                                      else "")


def prepare(command: Any, path: str = "planner") -> None:
    """Apply the house rules above to `command` and every command under it."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    if not command.epilog and path in EXAMPLES:
        command.epilog = examples_epilog(EXAMPLES[path])
    for param in command.params:
        _prepare_param(param, is_option=param.param_type_name == "option")
    if command.context_settings.get("ignore_unknown_options"):
        strict_options(command)
    for name, sub in getattr(command, "commands", {}).items():
        prepare(sub, f"{path} {name}")
