"""canonical_ip gives ipaddress's answers (the reference it replaces on the hot path), whatever the spelling."""

from __future__ import annotations

import ipaddress
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.addresses import _reference, canonical_ip, is_link_local_text, is_loopback_text


def _spellings(value: int, rng: random.Random) -> list[str]:
    ip = ipaddress.IPv6Address(value)
    groups = ip.exploded.split(":")
    padded = ":".join(g.lstrip("0").zfill(rng.randint(1, 4)) if rng.random() < 0.5 else g for g in groups)
    return [ip.compressed, ip.exploded, ip.compressed.upper(), padded]


_interesting_v6 = st.one_of(
    st.integers(min_value=0, max_value=2**128 - 1),
    st.integers(min_value=0, max_value=2**48).map(lambda low: low),                       # first 80+ bits zero
    st.integers(min_value=0, max_value=2**32 - 1).map(lambda v4: (0xFFFF << 32) | v4),    # v4-mapped
    st.integers(min_value=0, max_value=2**64 - 1).map(lambda low: (0xFE80 << 112) | low),  # link-local
    st.lists(st.sampled_from([0, 0, 0, 1, 0xFFFF]), min_size=8, max_size=8).map(
        lambda groups: int("".join(f"{g:04x}" for g in groups), 16)),                   # zero runs, ties
)


@settings(max_examples=600, deadline=None)
@given(_interesting_v6, st.randoms(use_true_random=False))
def test_ipv6_in_any_spelling_matches_ipaddress(value, rng):
    for text in _spellings(value, rng):
        assert canonical_ip(text) == _reference(text), text


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.booleans())
def test_ipv4_matches_ipaddress_with_and_without_leading_zeros(value, zero_padded):
    text = str(ipaddress.IPv4Address(value))
    if zero_padded:
        text = ".".join(part.zfill(3) for part in text.split("."))
    assert canonical_ip(text) == _reference(text), text
    assert canonical_ip(f"::ffff:{text}") == _reference(f"::ffff:{text}")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789abcdefABCDEF:.%xz ", max_size=45))
def test_any_text_is_parsed_or_refused_as_ipaddress_does(text):
    assert canonical_ip(text) == _reference(text), repr(text)


def test_scope_ids_as_ipaddress_keeps_them():
    for text in ["::%0", "fe80::1%eth0", "fe80::1%", "1.2.3.4%x"]:
        assert canonical_ip(text) == _reference(text), text


def test_loopback_and_link_local_on_canonical_text_agree_with_ipaddress():
    for text in ["127.0.0.1", "127.9.9.9", "::1", "10.0.0.1", "169.254.3.4", "169.25.3.4", "fe80::1",
                 "febf:ffff::1", "fec0::1", "fe8::1", "fe80:0:0:1::", "2001:db8::1", "::"]:
        canonical = canonical_ip(text)
        assert canonical is not None
        ip = ipaddress.ip_address(canonical)
        assert is_loopback_text(canonical) == ip.is_loopback, text
        assert is_link_local_text(canonical) == ip.is_link_local, text
