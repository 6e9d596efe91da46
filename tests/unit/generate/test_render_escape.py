"""The escaping helpers (one per target language) and the jinja environment."""

from __future__ import annotations

import json
import shlex

import pytest
import yaml

from planner.errors import InputError
from planner.render import render
from planner.render.escape import (
    UnsafeTextError,
    docker_comment,
    docker_value,
    exec_form,
    image_ref,
    md_text,
    shell_join,
    shell_quote,
    unsafe,
    yaml_dump,
)


def test_exec_form_is_ascii_json_without_raw_line_breaks():
    argv = ["sh", "-c", "echo \"$HOME\"\nrm -rf /\u2028x", "\\", "ünï"]
    text = exec_form(argv)
    assert "\n" not in text and "\u2028" not in text and text.isascii()
    assert json.loads(text) == argv


@pytest.mark.parametrize(("raw", "expected"), [
    ("plain", '"plain"'), ('say "hi"', '"say \\"hi\\""'), ("$HOME ${X}", '"\\$HOME \\${X}"'),
    ("a\\", '"a\\\\"'), ("two\nlines", '"two lines"'),
])
def test_docker_value(raw, expected):
    assert docker_value(raw) == expected


def test_docker_comment_is_one_line_and_cannot_continue():
    assert docker_comment("a\nRUN evil\r\n") == "a RUN evil"
    assert docker_comment("ends with a backslash \\") == "ends with a backslash"


def test_image_ref_refuses_anything_but_a_reference():
    reference = "registry.example.com:5000/team/debian:bookworm"
    assert image_ref(reference) == reference
    for bad in ("debian:bookworm\nRUN x", "debian bookworm", "Debian:12"):
        with pytest.raises(UnsafeTextError):
            image_ref(bad)


def test_shell_quote_round_trips_and_refuses_line_breaks():
    words = ["a b", "it's", "$(reboot)", "`x`", ";", "*"]
    assert shlex.split(shell_join(words)) == words
    with pytest.raises(UnsafeTextError):
        shell_quote("two\nlines")


class _AnsibleLike(yaml.SafeLoader):
    pass


_AnsibleLike.add_constructor("!unsafe", lambda loader, node: ("UNSAFE", loader.construct_scalar(node)))


def test_yaml_dump_marks_untrusted_strings_unsafe():
    data = {"name": unsafe("{{ lookup('pipe', 'id') }}"), "items": unsafe(["a: b", "c\nd"]), "count": 3}
    text = yaml_dump(data)
    assert "!unsafe" in text
    loaded = yaml.load(text, Loader=_AnsibleLike)
    assert loaded == {"name": ("UNSAFE", "{{ lookup('pipe', 'id') }}"),
                      "items": [("UNSAFE", "a: b"), ("UNSAFE", "c\nd")], "count": 3}


def test_md_text_escapes_markup():
    assert md_text("[click](javascript:x) <img> *b* `c`\n# h") == (
        "\\[click\\](javascript:x) \\<img\\> \\*b\\* \\`c\\` \\# h")


def test_strict_undefined_and_missing_templates_are_clear_errors(tmp_path):
    (tmp_path / "broken.j2").write_text("{{ nothing_here }}")
    with pytest.raises(InputError, match="nothing_here"):
        render("broken.j2", tmp_path)
    with pytest.raises(InputError, match=r"template missing\.j2 not found"):
        render("missing.j2", tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        render("x.j2", tmp_path / "nope")


def test_html_templates_are_autoescaped(tmp_path):
    (tmp_path / "page.html.j2").write_text("<p>{{ name }}</p>")
    (tmp_path / "page.txt.j2").write_text("{{ name }}")
    assert render("page.html.j2", tmp_path, name="<script>") == "<p>&lt;script&gt;</p>"
    assert render("page.txt.j2", tmp_path, name="<b>") == "<b>"


def test_every_packaged_template_is_found_where_the_wheel_puts_it():
    """templates/ ships in the wheel (pyproject's force-include); every template the code names is there."""
    import tomllib
    from pathlib import Path

    from planner.resources import templates_dir

    root = Path(__file__).resolve().parents[3]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]["templates"] == (
        "planner/_data/templates")
    for name in ("dockerfile/Dockerfile.j2", "dockerfile/install-apt.j2", "dockerfile/install-dnf.j2",
                 "dockerfile/install-yum.j2", "dockerfile/install-apk.j2", "dockerfile/user-shadow.j2",
                 "dockerfile/user-busybox.j2", "image/dockerignore.j2", "image/planner-entrypoint.sh.j2",
                 "image/DECISIONS.md.j2"):
        assert (templates_dir() / name).is_file(), name


def test_a_trailing_newline_never_passes_a_name_check():
    """``re.match(r"...$")`` accepts "name\\n": every check is a full match (found by the property test)."""
    from planner.generate_policy import BaseImagePolicy

    with pytest.raises(UnsafeTextError):
        image_ref("debian:bookworm\n")
    from planner.render.escape import shell_name

    with pytest.raises(UnsafeTextError):
        shell_name("PATH\n")
    with pytest.raises(ValueError, match="not an image reference"):
        BaseImagePolicy.model_validate({"images": {"debian:bookworm-slim": "x/y:1\n"}})
