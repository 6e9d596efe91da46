"""The plan as one self-contained HTML page (report.html): summary, graph, waves, findings, risks, VM table.

``render_report(plan, graph_svg=...)`` takes a plan.json document (version 1, docs/plan.md) and returns the page.
Nothing on it loads from anywhere: CSS, script, charts and data are inline, and its Content-Security-Policy
allows only its own inline script and style (docs/report.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from markupsafe import Markup

from planner.errors import InputError
from planner.memory import bulk_objects
from planner.render import environment
from planner.report.safety import content_security_policy, json_island
from planner.report.table import table_data
from planner.report.view import build_view

TEMPLATE = "report/page.html.j2"
STYLE = "report/report.css"
SCRIPT = "report/report.js"

__all__ = ["render_report"]


def _asset(env: jinja2.Environment, name: str) -> str:
    """A static file beside the templates (a user template directory may replace it), read verbatim."""
    assert env.loader is not None
    try:
        source, _, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound as exc:
        raise InputError(f"report asset {name} not found in the user template directory or planner's own.") from exc
    return source


def render_report(plan: Mapping[str, Any], *, graph_svg: str | None = None) -> str:
    """The report page of ``plan``; ``graph_svg`` (Graphviz's picture of the dependency graph) is sanitised and
    shown for plans of up to 2,000 VMs, else the page draws waves and move groups."""
    view = build_view(plan, graph_svg)
    env = environment()
    style, script = _asset(env, STYLE), _asset(env, SCRIPT)
    with bulk_objects():  # a row list per VM: no cyclic GC passes over them while they are built
        data = json_island(table_data(list(plan["vms"])))
    template = env.get_template(TEMPLATE)
    return template.render(
        **view, style=Markup(style), script=Markup(script), data=Markup(data),  # noqa: S704 - static / escaped
        csp=content_security_policy(script, style))
