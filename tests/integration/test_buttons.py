"""Every form's button ignores a second click (GOV.UK's preventDoubleClick), so a double click
sends the form once: checked on the sign-in page and on the pages a signed-in user changes
things from, where a second send would otherwise meet a refusal the user did not cause."""

from __future__ import annotations

import re
from typing import Any

import pytest

from portal.core.identity import Role
from tests.helpers import sign_in

_BUTTON = re.compile(r"<button\b[^>]*>", re.S)


def _buttons(html: str) -> list[str]:
    return [b for b in _BUTTON.findall(html) if 'type="submit"' in b or "type=" not in b]


def test_the_sign_in_button_ignores_a_second_click(client: Any) -> None:
    buttons = _buttons(client.get("/sign-in").get_data(as_text=True))
    assert buttons
    assert all('data-prevent-double-click="true"' in b for b in buttons), buttons


@pytest.mark.parametrize("path", ["/subjects/new", "/account/password"])
def test_a_form_button_ignores_a_second_click(
    app: Any, client: Any, factories: Any, path: str
) -> None:
    user = factories.user(roles=(Role.MOSOVO_OFFICER,))
    assert sign_in(app, client, user).status_code == 302
    page = client.get(path)
    assert page.status_code == 200
    buttons = [b for b in _buttons(page.get_data(as_text=True)) if "govuk-button" in b]
    assert buttons
    assert all('data-prevent-double-click="true"' in b for b in buttons), buttons
