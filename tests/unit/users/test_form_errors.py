"""Mapping marshmallow's nested messages to the first message a form field shows."""

from __future__ import annotations

import pytest

from portal.users.forms import UNEXPECTED_INPUT, _first_message


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ("Enter a name", "Enter a name"),
        (["First", "Second"], "First"),
        ({0: ["Select roles from the list"]}, "Select roles from the list"),
        ({3: {"x": ["Deep"]}}, "Deep"),
        ([], UNEXPECTED_INPUT),
        (None, UNEXPECTED_INPUT),
    ],
)
def test_first_message_of_nested_errors_returns_the_first_text(messages, expected):
    assert _first_message(messages) == expected
