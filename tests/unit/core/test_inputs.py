"""The shared input rules: GOV.UK date boxes, a filter's typed day, and control characters."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from portal.core.inputs import (
    LATEST_YEAR,
    SPECIAL_CHARACTERS,
    date_from_parts,
    has_control_characters,
    is_ascii_number,
    iso_date_or_none,
    no_control_characters,
    text_field,
)


def _parse(parts: object) -> date:
    return date_from_parts(parts, what="the end date", label="The end date")


def test_date_from_parts_reads_day_month_year() -> None:
    assert _parse(["7", "03", "2026"]) == date(2026, 3, 7)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (["1", "1"], "Enter the end date as a day, month and year"),
        ("1 1 2026", "Enter the end date as a day, month and year"),
        (["", "1", ""], "The end date must include a day and a year"),
        (["\u00b2", "1", "2026"], "The end date must be a real date"),
        (["1", "\u0663", "2026"], "The end date must be a real date"),
        (["1", "1", "\uff12\uff10\uff12\uff16"], "The end date must be a real date"),
        (["-1", "1", "2026"], "The end date must be a real date"),
        (["30", "2", "2026"], "The end date must be a real date"),
        (["1", "1", "0"], "The end date must be a real date"),
        (["31", "12", "9999"], "The end date must be a real date"),
        (["1", "1", str(LATEST_YEAR + 1)], "The end date must be a real date"),
        (["1", "1", "20266"], "The end date must be a real date"),
    ],
)
def test_date_from_parts_refuses_with_the_govuk_message(parts: object, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _parse(parts)
    assert refused.value.messages == [message]


@given(st.lists(st.text(max_size=6), min_size=3, max_size=3))
def test_date_from_parts_gives_a_date_or_a_message_never_anything_else(parts: list[str]) -> None:
    try:
        value = _parse(parts)
    except ValidationError:
        return
    assert value.year <= LATEST_YEAR
    assert value + (date(2, 1, 1) - date(1, 1, 1)) > value  # the day after exists


@pytest.mark.parametrize("text", ["a\x00b", "\x1b[2J", "zero\u200bwidth", "bidi\u202e"])
def test_control_and_format_characters_are_refused(text: str) -> None:
    assert has_control_characters(text)
    with pytest.raises(ValidationError):
        no_control_characters(text)


def test_line_breaks_are_allowed_only_in_multiline_text() -> None:
    assert not has_control_characters("line one\r\nline two\tend")
    assert has_control_characters("line one\nline two", multiline=False)
    no_control_characters("Crème brûlée, O'Neil – ok")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", True),
        ("99999", True),
        ("123456", False),
        ("", False),
        ("\u00b2", False),
        ("1a", False),
    ],
)
def test_is_ascii_number(text: str, expected: bool) -> None:
    assert is_ascii_number(text, max_digits=5) is expected


class _Answers(Schema):
    name = text_field("the PNC name", 10, required="Enter the PNC name")
    note = text_field("the note", 5)


def test_text_field_gives_each_answer_its_own_messages() -> None:
    with pytest.raises(ValidationError) as missing:
        _Answers().load({})
    assert missing.value.messages == {"name": ["Enter the PNC name"]}

    with pytest.raises(ValidationError) as wrong:
        _Answers().load({"name": "x" * 11, "note": 7})
    assert wrong.value.messages == {
        "name": ["The PNC name must be 10 characters or fewer"],
        "note": ["Enter the note as text"],
    }

    with pytest.raises(ValidationError) as special:
        _Answers().load({"name": "a\x00b"})
    assert special.value.messages == {"name": [SPECIAL_CHARACTERS]}


def test_an_optional_text_field_loads_as_none() -> None:
    assert _Answers().load({"name": "Smith"}) == {"name": "Smith", "note": None}


def test_iso_date_or_none_reads_a_typed_day_and_blank_is_none() -> None:
    assert iso_date_or_none(" 2026-11-01 ", what="the first day") == date(2026, 11, 1)
    assert iso_date_or_none("", what="the first day") is None
    assert iso_date_or_none(None, what="the first day") is None
    assert iso_date_or_none("   ", what="the first day") is None


@pytest.mark.parametrize(
    "typed",
    # Python also reads 20261101 and 2026-W44-1; the box asks for 2026-11-01 and takes only that.
    ["1/11/2026", "20261101", "2026-W44-1", "2026-02-30", "2026-11-1", "²026-11-01", "2026-11-01x"],
)
def test_iso_date_or_none_refuses_anything_but_a_real_yyyy_mm_dd(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        iso_date_or_none(typed, what="the first day")
    assert refused.value.messages == ["Enter the first day as a date, for example 2026-11-01"]


def test_iso_date_or_none_refuses_a_year_past_the_latest() -> None:
    with pytest.raises(ValidationError) as refused:
        iso_date_or_none(f"{LATEST_YEAR + 1}-01-01", what="the last day")
    assert refused.value.messages == [f"Enter the last day as a date in or before {LATEST_YEAR}"]
    assert iso_date_or_none(f"{LATEST_YEAR}-12-31", what="the last day") == date(
        LATEST_YEAR, 12, 31
    )
