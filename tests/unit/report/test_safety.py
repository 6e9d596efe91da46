"""The report's escaping helpers: the JSON island reads back the same values; links only for plain paths."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.report.safety import csp_hash, json_island, long_text, relative_href, text


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda children: st.lists(children) | st.dictionaries(st.text(), children), max_leaves=20))
def test_json_island_reads_back_and_cannot_close_its_element(value):
    island = json_island(value)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in island
    island.encode("utf-8")  # lone surrogates are escaped, so the page can be written
    back = json.loads(island)
    if not _has_surrogate(value):
        assert back == value


def _has_surrogate(value):
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, list):
        return any(_has_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False


@pytest.mark.parametrize(("path", "href"), [
    ("artifacts/images/web-01-nginx/Dockerfile", "artifacts/images/web-01-nginx/Dockerfile"),
    ("artifacts/compose/wave 1.yml", "artifacts/compose/wave%201.yml"),
    ("artifacts/ansible/", "artifacts/ansible/"),
    ("javascript:alert(1)", None), ("JavaScript:alert(1)", None), ("data:text/html,x", None),
    ("/etc/passwd", None), ("//192.0.2.1/x", None), ("../outside", None), ("a/../../b", None), ("a//b", None),
    ("a\\b", None), ("a/<b>", None), ("a\nb", None), ("", None), (None, None), ("./x", None),
])
def test_relative_href(path, href):
    assert relative_href(path) == href


def test_text_shows_invisible_characters():
    assert text("a\u202eb\x1b") == "a\\u202eb\\x1b"
    assert text(None) == "" and long_text("a\nb\u200b") == "a\nb\\u200b"


def test_csp_hash_is_the_sha256_of_the_source():
    assert csp_hash("") == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"


def test_the_printable_fast_path_never_skips_a_character_planner_text_escapes():
    """``text`` returns str.isprintable() text as is: no character planner.text escapes may be "printable"."""
    from planner.text import UNPRINTABLE

    leaks = [hex(code) for code in range(0x110000) if chr(code).isprintable() and UNPRINTABLE.match(chr(code))]
    assert leaks == []


@given(st.text())
def test_text_and_long_text_agree_with_planner_text(value):
    from planner.text import printable

    assert text(value) == printable(value)
    assert long_text(value) == "\n".join(printable(line) for line in value.split("\n"))
