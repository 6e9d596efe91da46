"""The one jinja Environment every generated file comes from: user templates first, then the packaged ones."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from planner.errors import InputError
from planner.render.escape import DOCKERFILE_FILTERS, MARKDOWN_FILTERS, SHELL_FILTERS, YAML_FILTERS
from planner.resources import templates_dir


def environment(user_dir: Path | None = None) -> jinja2.Environment:
    """StrictUndefined (a missing value is an error, never empty text), HTML autoescaped, the escaping filters."""
    return _environment(str(user_dir) if user_dir else None)


@lru_cache(maxsize=8)
def _environment(user_dir: str | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        if not Path(user_dir).is_dir():
            raise InputError(f"template directory {user_dir} does not exist.")
        loaders.append(jinja2.FileSystemLoader(user_dir))
    loaders.append(jinja2.FileSystemLoader(str(templates_dir())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(["html", "htm", "xml", "html.j2", "xml.j2"]))
    for filters in (DOCKERFILE_FILTERS, SHELL_FILTERS, YAML_FILTERS, MARKDOWN_FILTERS):
        env.filters.update(filters)
    return env


def render(template: str, user_dir: Path | None = None, **context: Any) -> str:
    """Render ``template`` (e.g. ``dockerfile/Dockerfile.j2``) with ``context``."""
    try:
        return environment(user_dir).get_template(template).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise InputError(f"template {exc.name} not found in the user template directory or planner's own.") from exc
    except jinja2.UndefinedError as exc:
        raise InputError(f"template {template}: {exc.message}") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"template {exc.filename or template}:{exc.lineno}: {exc.message}") from exc
