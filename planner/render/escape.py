"""One escaping helper per target language, used by every template (docs/generate.md, "Injection safety").

Dockerfile: exec-form JSON arrays (ASCII-only, so no raw newline or exotic line separator can end an instruction),
double-quoted values for LABEL/ENV/WORKDIR with ``\\``, ``"`` and ``$`` escaped, comments made one safe line.
Shell: ``shlex.quote``, refusing text that would span lines. YAML: build the data and dump it; strings Ansible
must never template are marked ``!unsafe``.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from typing import Any

import yaml

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]")


class UnsafeTextError(ValueError):
    """Text that cannot be written safely for the target (planner filters such values out before rendering)."""


def has_control(text: str) -> bool:
    return bool(_CONTROL.search(text))


def one_line(text: object) -> str:
    """Any text as one printable line: control characters (newlines, tabs, escapes) become spaces."""
    return _CONTROL.sub(" ", str(text))


# --- Dockerfile -------------------------------------------------------------------------------------------------

def exec_form(argv: Iterable[object]) -> str:
    """A JSON array for CMD/ENTRYPOINT/HEALTHCHECK/COPY/VOLUME (Docker reads exactly these strings back)."""
    return json.dumps([str(item) for item in argv], ensure_ascii=True)


def docker_value(text: object) -> str:
    """A double-quoted LABEL/ENV/WORKDIR value: no variable expansion, no line break, nothing after it."""
    value = one_line(text).replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{value}"'


def docker_comment(text: object) -> str:
    """Text for after ``# `` on a comment line: one line, so nothing in it becomes an instruction."""
    return one_line(text).rstrip("\\").strip()


_IMAGE_REF = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$")


def image_ref(text: str) -> str:
    """An image reference for FROM, checked (the base-image policy validates it too)."""
    if not _IMAGE_REF.fullmatch(text):
        raise UnsafeTextError(f"not an image reference: {text!r}")
    return text


# --- shell ------------------------------------------------------------------------------------------------------

def shell_quote(text: object) -> str:
    """One shell word. Text with control characters is refused: a quoted newline would end a Dockerfile RUN."""
    value = str(text)
    if has_control(value):
        raise UnsafeTextError(f"text with control characters cannot be one shell word on one line: {value!r}")
    return shlex.quote(value)


_SHELL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def shell_name(text: object) -> str:
    """A shell variable name, printed bare (``export NAME=…``); anything else is refused."""
    value = str(text)
    if not _SHELL_NAME.fullmatch(value):
        raise UnsafeTextError(f"not a shell variable name: {value!r}")
    return value


def shell_join(words: Iterable[object]) -> str:
    return " ".join(shell_quote(word) for word in words)


# --- YAML -------------------------------------------------------------------------------------------------------

class Unsafe(str):
    """A string Ansible must never template: dumped with the ``!unsafe`` tag."""

    __slots__ = ()


def unsafe(value: Any) -> Any:
    """Mark every string in ``value`` (recursively) ``!unsafe``; keys stay plain."""
    if isinstance(value, str):
        return Unsafe(value)
    if isinstance(value, dict):
        return {key: unsafe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [unsafe(item) for item in value]
    return value


class _Dumper(yaml.SafeDumper):
    pass


def _represent_unsafe(dumper: yaml.SafeDumper, value: Unsafe) -> yaml.Node:
    return dumper.represent_scalar("!unsafe", str(value), style='"')


_Dumper.add_representer(Unsafe, _represent_unsafe)


def yaml_dump(data: Any) -> str:
    """YAML text of ``data`` (built as data, never by pasting strings into YAML)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=False, default_flow_style=False, width=4096)


_MARKDOWN = re.compile(r"([\\`*_\[\]#|<>~])")


def md_text(text: object) -> str:
    """Untrusted text inside a markdown line: one line, markup characters backslash-escaped, ``&`` spelt out."""
    return _MARKDOWN.sub(r"\\\1", one_line(text).replace("&", "&amp;"))


DOCKERFILE_FILTERS = {"exec_form": exec_form, "docker_value": docker_value, "docker_comment": docker_comment,
                      "image_ref": image_ref}
SHELL_FILTERS = {"shell_quote": shell_quote, "shell_join": shell_join, "shell_name": shell_name}
YAML_FILTERS = {"yaml_dump": yaml_dump, "unsafe": unsafe}
MARKDOWN_FILTERS = {"md_text": md_text}
