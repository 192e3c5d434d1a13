"""A page drawn with refused answers says so in its status: 400 exactly when the page shows an
error summary, whichever form holds the error; 200 otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from wtforms import Form, StringField, SubmitField

from portal.core.error_summary import error_summary, form_status


class _Form(Form):
    name = StringField("Name")
    submit = SubmitField("Save")


@pytest.fixture
def app_context() -> Any:
    with Flask(__name__).test_request_context():
        yield


def test_a_form_without_errors_is_a_200_and_has_no_summary(app_context: Any) -> None:
    form = _Form()
    assert error_summary(form) is None
    assert form_status(form) == 200
    assert form_status() == 200
    assert form_status(None, form) == 200


@pytest.mark.parametrize("field", ["name", "submit"])
def test_an_error_on_any_field_is_a_400_with_that_error_in_the_summary(
    app_context: Any, field: str
) -> None:
    form = _Form()
    getattr(form, field).errors = ["This answer is refused"]
    summary = error_summary(form)
    assert summary is not None
    assert [e["text"] for e in summary["errorList"]] == ["This answer is refused"]
    assert form_status(form) == 400


def test_an_error_on_the_second_form_of_a_page_is_a_400(app_context: Any) -> None:
    first, second = _Form(), _Form()
    second.name.errors = ["Enter a name"]
    assert form_status(first, second) == 400
    assert form_status(None, second) == 400
