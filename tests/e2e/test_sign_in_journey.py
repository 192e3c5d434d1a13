"""Sign in with password and TOTP in Chromium, see the marking top and bottom, sign out; axe
finds no accessibility violations on any page of the journey, and CSP blocks nothing of ours."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal.auth.models import UserIdentity
from portal.auth.totp import code_at
from portal.core.clock import db_now
from portal.core.identity import Role
from portal.db.transaction import transaction
from portal.extensions import db
from tests.e2e.test_sharing_journey import page_answered_4xx
from tests.helpers import current_code
from tests.leaks import remember_secret

pytestmark = pytest.mark.e2e

SHOTS = Path(tempfile.gettempdir())
HOME_SHOT = SHOTS / "portal-home.png"
SIGN_IN_SHOT = SHOTS / "portal-sign-in.png"


class Journey:
    """One browser tab, with every console error and page error it reports."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.base = base_url
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.axe = Axe()

    def _console(self, message: Any) -> None:
        if page_answered_4xx(message, self.page):
            return
        if message.type in ("error", "warning") or "Content Security Policy" in message.text:
            self.errors.append(f"{message.type}: {message.text}")

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def heading(self) -> str:
        return str(self.page.locator("h1").first.inner_text()).strip()

    def assert_accessible(self, label: str) -> None:
        results = self.axe.run(self.page)
        violations = results.response["violations"]
        details = json.dumps(
            [
                {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]]}
                for v in violations
            ],
            indent=2,
        )
        assert results.violations_count == 0, f"axe violations on {label}:\n{details}"

    def assert_frame(self) -> None:
        """GOV.UK Frontend's JavaScript ran, and the marking is shown above and below main."""
        self.page.wait_for_selector("[data-govuk-skip-link-init]", state="attached")
        body_class = self.page.locator("body").get_attribute("class") or ""
        assert "govuk-frontend-supported" in body_class.split()
        banners = self.page.locator(".app-marking__text")
        assert banners.count() == 2
        assert [t.strip() for t in banners.all_inner_texts()] == ["OFFICIAL", "OFFICIAL"]
        positions = self.page.evaluate(
            """() => {
                const main = document.querySelector("main");
                const [top, bottom] = document.querySelectorAll(".app-marking");
                const where = (node) => main.compareDocumentPosition(node);
                return [
                    Boolean(where(top) & Node.DOCUMENT_POSITION_PRECEDING),
                    Boolean(where(bottom) & Node.DOCUMENT_POSITION_FOLLOWING),
                    main.contains(top) || main.contains(bottom),
                ];
            }"""
        )
        assert positions == [True, True, False], "marking must be before and after main"
        top = self.page.locator(".app-marking").first.bounding_box()
        assert top is not None
        assert top["y"] < 200  # near the top of the page, under the header

    def sign_in_with_password(self, email: str, password: str) -> None:
        self.goto("/sign-in")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_role("textbox", name="Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Continue").click()
        self.page.wait_for_load_state()


def test_sign_in_with_password_and_totp_shows_marking_and_signs_out(
    app, live_server, chromium, factories
):
    user = factories.user()
    journey = Journey(chromium, live_server)

    journey.goto("/sign-in")
    assert journey.heading() == "Sign in"
    journey.assert_frame()
    journey.assert_accessible("the sign-in page")
    journey.page.screenshot(path=str(SIGN_IN_SHOT), full_page=True)

    journey.sign_in_with_password(user.email, user.password)
    assert journey.page.url.endswith("/sign-in/security-code")
    assert journey.heading() == "Enter your security code"
    journey.assert_frame()
    journey.assert_accessible("the security-code page")

    journey.page.get_by_label("Security code").fill(current_code(app, user.totp_secret))
    journey.page.get_by_role("button", name="Sign in").click()
    journey.page.wait_for_load_state()
    assert journey.page.url == live_server + "/"
    assert journey.heading() == "Public Protection Sharing Portal"
    assert "Test User" in journey.page.locator("header").inner_text()
    journey.assert_frame()
    journey.assert_accessible("the home page")
    journey.page.screenshot(path=str(HOME_SHOT), full_page=True)

    journey.page.get_by_role("button", name="Sign out").click()
    journey.page.wait_for_load_state()
    assert journey.heading() == "You have signed out"
    journey.goto("/")
    assert "/sign-in" in journey.page.url
    assert journey.heading() == "Sign in"

    assert not journey.errors, journey.errors


def test_first_sign_in_sets_up_authenticator_accessibly(app, live_server, chromium, factories):
    user = factories.user(enrolled=False)
    journey = Journey(chromium, live_server)

    journey.sign_in_with_password(user.email, user.password)
    assert journey.page.url.endswith("/sign-in/set-up-authenticator")
    assert journey.heading() == "Set up your authenticator app"
    qr = journey.page.locator(".app-qr svg")
    assert qr.count() == 1
    journey.assert_frame()
    journey.assert_accessible("the authenticator set-up page")

    secret = journey.page.locator(".app-secret").inner_text().strip()
    remember_secret(secret)
    with app.app_context():
        code = code_at(secret, db_now())
    journey.page.get_by_label("Security code").fill(code)
    journey.page.get_by_role("button", name="Continue").click()
    journey.page.wait_for_load_state()
    assert journey.page.url == live_server + "/"
    journey.assert_frame()

    assert not journey.errors, journey.errors


def test_administrator_manages_users_and_sets_a_new_password_accessibly(
    app, live_server, chromium, factories
):
    agency = factories.agency()
    admin = factories.user(agency=agency, roles=(Role.AGENCY_ADMIN,), full_name="Pat Admin")
    member = factories.user(agency=agency, full_name="Mo Member")
    new_password = "harbour-thistle-copper-58"
    remember_secret(new_password)
    journey = Journey(chromium, live_server)
    journey.sign_in_with_password(admin.email, admin.password)
    journey.page.get_by_label("Security code").fill(current_code(app, admin.totp_secret))
    journey.page.get_by_role("button", name="Sign in").click()
    journey.page.wait_for_load_state()

    for path, heading in (
        ("/account", "Your account"),
        ("/users/", f"Users in {agency.name}"),
        ("/users/new", "Add a user"),
        (f"/users/{member.id}/roles", "Change roles and clearance"),
    ):
        journey.goto(path)
        assert journey.heading() == heading
        journey.assert_accessible(f"the page {heading!r}")
    # The member's account is linked to an identity at a provider no longer configured.
    issuer = "https://id.retired.example.test"
    with app.app_context(), transaction():
        db.session.add(UserIdentity(user_id=member.id, issuer=issuer, subject="mo"))
    journey.goto(f"/users/{member.id}")
    assert journey.heading() == "Mo Member"
    assert f"Linked to {issuer}" in journey.page.locator("main").inner_text()
    journey.assert_accessible("the user's page")
    journey.page.get_by_role("button", name=f"Remove link to {issuer}").click()
    journey.page.wait_for_load_state()
    assert "Link removed" in journey.page.locator(".govuk-notification-banner").inner_text()
    assert "Not linked" in journey.page.locator("main").inner_text()
    journey.assert_accessible("the user's page after a link was removed")
    journey.page.get_by_role("link", name="Set a new password for Mo Member").click()
    journey.page.wait_for_load_state()
    assert journey.heading() == "Set a new password"
    journey.assert_frame()
    journey.assert_accessible("the set-a-new-password page")

    journey.page.get_by_label("New password", exact=True).fill(new_password)
    journey.page.get_by_label("Confirm new password").fill("harbour-thistle-copper-59")
    journey.page.get_by_role("button", name="Set password").click()
    journey.page.wait_for_load_state()
    assert journey.page.title().startswith("Error: Set a new password")
    assert "Passwords must match" in journey.page.locator(".govuk-error-summary").inner_text()
    journey.assert_accessible("the set-a-new-password page with an error")

    journey.page.get_by_label("New password", exact=True).fill(new_password)
    journey.page.get_by_label("Confirm new password").fill(new_password)
    journey.page.get_by_role("button", name="Set password").click()
    journey.page.wait_for_load_state()
    assert journey.heading() == "Mo Member"
    assert "Password set" in journey.page.locator(".govuk-notification-banner").inner_text()
    journey.assert_accessible("the user's page after the password was set")
    journey.page.get_by_role("button", name="Sign out").click()
    journey.page.wait_for_load_state()

    # The user signs in with it and must choose their own before anything else.
    journey.sign_in_with_password(member.email, new_password)
    journey.page.get_by_label("Security code").fill(current_code(app, member.totp_secret))
    journey.page.get_by_role("button", name="Sign in").click()
    journey.page.wait_for_load_state()
    assert journey.page.url == live_server + "/account/password"
    assert "set by your agency administrator" in journey.page.locator("main").inner_text()
    journey.assert_frame()
    journey.assert_accessible("the change-your-password page when a change is due")
    own_password = "juniper-falcon-copper-83"
    remember_secret(own_password)
    journey.page.get_by_label("Current password").fill(new_password)
    journey.page.get_by_label("New password", exact=True).fill(own_password)
    journey.page.get_by_label("Confirm new password").fill(own_password)
    journey.page.get_by_role("button", name="Change password").click()
    journey.page.wait_for_load_state()
    assert journey.heading() == "Password changed"
    journey.goto("/")
    assert journey.heading() == "Public Protection Sharing Portal"

    assert not journey.errors, journey.errors
