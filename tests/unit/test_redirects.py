"""``safe_next`` keeps ``next=`` on this host (ASVS 3.7.2; reference/security.md A27, item 13)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.auth.redirects import safe_next
from tests.redirect_cases import (
    CRAFTED_NEXT,
    LOCAL_NEXT,
    ON_HOST_NEXT,
    decodings,
    stays_on_host,
)

#: Pieces that make open redirects: slashes of every kind, escapes, schemes, hosts.
_PIECES = (
    "/", "//", "\\", "%", "%2F", "%2f", "%5C", "%5c", "%25", "25", "2F", "5C", "%09", "%0A",
    "%00", "\t", "\n", "\r", " ", ":", "@", ".", "..", "?", "#", "&", "=", "+", "~", "-", "_",
    "evil", "evil.example", "localhost", "http", "https", "javascript", "data", "alert(1)",
    "／", "＼", "⁄", "∕", "%EF%BC%8F", "users", "a", "1",
)  # fmt: skip

_pieces = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)
_candidates = st.one_of(
    st.text(max_size=60),
    _pieces,
    _pieces.map(lambda s: "/" + s),
    st.text(alphabet="/\\%25cCfF:.@evil", max_size=30),
)


@pytest.mark.parametrize("value", CRAFTED_NEXT)
def test_safe_next_with_crafted_value_returns_default(value):
    assert safe_next(value) == "/"
    assert safe_next(value, default="/home") == "/home"


@pytest.mark.parametrize("value", LOCAL_NEXT)
def test_safe_next_with_local_path_returns_it(value):
    assert safe_next(value) == value


@pytest.mark.parametrize("value", ON_HOST_NEXT)
def test_safe_next_with_dot_segments_stays_on_host(value):
    assert stays_on_host(safe_next(value))


@pytest.mark.parametrize("value", [None, ""])
def test_safe_next_with_nothing_returns_default(value):
    assert safe_next(value) == "/"


def test_decodings_unwraps_every_level():
    assert decodings("/%25252F") == ["/%25252F", "/%252F", "/%2F", "//"]


@settings(max_examples=1500, deadline=None, database=None)
@given(_candidates)
@example("/%25252F%25252Fevil")
@example("/%2525255Cevil")
def test_safe_next_with_any_string_stays_on_host(value):
    result = safe_next(value)
    assert result in (value, "/")
    assert stays_on_host(result), f"{value!r} -> {result!r}"
    for form in decodings(result):
        assert not form.startswith(("//", "/\\"))
