"""YAML text the way yamllint and ansible-lint's production profile want it: sequences indented under their key,
lines folded before 160 columns. The data, ``!unsafe`` tags and quoting are :mod:`planner.render.escape`'s."""

from __future__ import annotations

from typing import Any

import yaml

from planner.render import escape

WIDTH = 120


class _IndentedDumper(escape._Dumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def lint_clean_yaml(data: Any) -> str:
    """``---`` and the YAML of ``data``, dumped with the shared ``!unsafe`` dumper, indented and folded."""
    return "---\n" + yaml.dump(data, Dumper=_IndentedDumper, sort_keys=False, allow_unicode=False,
                               default_flow_style=False, width=WIDTH)
