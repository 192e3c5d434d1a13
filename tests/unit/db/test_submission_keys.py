"""A creation form's key is read from what the browser sent, and anything else is no key."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.db.submissions import key_of


def test_a_key_the_page_made_is_read_back() -> None:
    key = uuid.uuid4()
    assert key_of(str(key)) == key


@pytest.mark.parametrize("sent", [None, "", "not-a-key", "\x00", "1" * 5000, 42, ["a"], b"x"])
def test_anything_else_is_no_key(sent: object) -> None:
    assert key_of(sent) is None


@given(st.text(max_size=80))
def test_any_text_is_a_key_or_none_never_an_error(sent: str) -> None:
    assert key_of(sent) is None or isinstance(key_of(sent), uuid.UUID)
