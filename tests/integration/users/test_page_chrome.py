"""The page chrome is rendered once per shape; nothing of one user's reaches another's page."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from portal.core.identity import Role

_SIGN_OUT = re.compile(
    r'<form method="post" action="/sign-out"[^>]*>\s*'
    r'<input type="hidden" name="csrf_token" value="([^"]+)">'
)
_CURRENT = re.compile(
    r'<a class="govuk-service-navigation__link" href="([^"]+)"\s*aria-current="(?:page|true)"'
)


def test_two_users_with_the_same_navigation_each_see_only_their_own_account_slot(
    app: Flask, factories: Any, police: Any, probation: Any, signed_in: Any
) -> None:
    pat = factories.user(agency=police, roles=(Role.AGENCY_ADMIN,), full_name="Pat Admin")
    sam = factories.user(agency=probation, roles=(Role.AGENCY_ADMIN,), full_name="Sam Keeper")
    pat_browser, sam_browser = signed_in(pat), signed_in(sam)

    pages = {}
    for name, browser in (("pat", pat_browser), ("sam", sam_browser), ("pat again", pat_browser)):
        response = browser.get("/users/")
        assert response.status_code == 200
        pages[name] = response.get_data(as_text=True)

    assert "Pat Admin, Northshire Police" in pages["pat"]
    assert "Sam Keeper" not in pages["pat"]
    assert "Sam Keeper, Northshire Probation" in pages["sam"]
    assert "Pat Admin" not in pages["sam"]
    assert "Pat Admin, Northshire Police" in pages["pat again"]
    assert "Sam Keeper" not in pages["pat again"]
    # The same navigation, with the current page marked, on both.
    assert _CURRENT.findall(pages["pat"]) == _CURRENT.findall(pages["sam"]) == ["/users/"]

    # Each sign-out form carries its own session's token, and it works for that session only.
    pat_token = _SIGN_OUT.search(pages["pat"])
    sam_token = _SIGN_OUT.search(pages["sam"])
    assert pat_token
    assert sam_token
    assert pat_token.group(1) != sam_token.group(1)
    assert sam_browser.post("/sign-out", data={"csrf_token": pat_token.group(1)}).status_code == 400
    assert sam_browser.post("/sign-out", data={"csrf_token": sam_token.group(1)}).status_code == 302
    assert pat_browser.get("/users/").status_code == 200  # Pat is still signed in


def test_the_current_page_is_marked_in_the_cached_navigation(
    app: Flask, factories: Any, police: Any, signed_in: Any
) -> None:
    pat = factories.user(agency=police, roles=(Role.AGENCY_ADMIN,), full_name="Pat Admin")
    browser = signed_in(pat)
    assert _CURRENT.findall(browser.get("/users/").get_data(as_text=True)) == ["/users/"]
    assert _CURRENT.findall(browser.get("/").get_data(as_text=True)) == ["/"]
    assert _CURRENT.findall(browser.get("/users/").get_data(as_text=True)) == ["/users/"]


def test_a_signed_out_page_has_no_account_slot_or_navigation(app: Flask) -> None:
    page = app.test_client().get("/sign-in").get_data(as_text=True)
    assert 'action="/sign-out"' not in page
    assert "govuk-service-navigation__list" not in page
    assert "Public Protection Sharing Portal" in page
