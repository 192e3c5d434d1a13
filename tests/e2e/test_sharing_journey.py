"""The sharing journey in Chromium, axe-clean on every page: a police officer adds a subject and
a record, children's social care gets a SUMMARY_AND_ACTIONS grant for 30 days, the social worker
finds it under "Shared with my agency", acknowledges confidentiality and opens it; the officer
revokes it and the social worker's next request is refused. No script runs from stored rich text.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal.agencies.models import AgencyType
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.identity import Role
from portal.core.markings import Descriptor, Marking
from portal.db.transaction import transaction
from portal.extensions import db
from portal.grants import service as grants
from portal.grants.schemas import GrantCommand, GrantTerms, ReasonCommand
from portal.subjects import service as subjects
from portal.subjects.schemas import SubjectCommand
from portal.users.models import User
from tests.helpers import current_code
from tests.leaks import CONTENT_MARKER

pytestmark = pytest.mark.e2e

SHOTS = Path(tempfile.gettempdir())
HOSTILE_BODY = (
    "<p>Risk to children in the household.</p>"
    "<script>window.__pwned=1</script>"
    '<img src=x onerror="window.__pwned=1">'
    '<p><a href="javascript:window.__pwned=1">details</a></p>'
    f"<p>{CONTENT_MARKER}</p>"
)


def page_answered_4xx(message: Any, page: Any) -> bool:
    """Whether a console message is Chromium reporting the page's own 404 or 400 (a refused
    request, or a form answered with its errors): expected, unlike a resource that failed."""
    return (
        message.type == "error"
        and ("404 (NOT FOUND)" in message.text or "400 (BAD REQUEST)" in message.text)
        and message.location.get("url") == page.url
    )


class Tab:
    """One signed-in browser context, with the console errors and page errors it reports."""

    def __init__(self, browser: Any, base_url: str, name: str) -> None:
        self.base = base_url
        self.name = name
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.axe = Axe()

    def _console(self, message: Any) -> None:
        text = message.text
        if page_answered_4xx(message, self.page):
            return
        if message.type in ("error", "warning") or "Content Security Policy" in text:
            self.errors.append(f"{message.type}: {text}")

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def heading(self) -> str:
        return str(self.page.locator("h1").first.inner_text()).strip()

    def click(self, role: str, name: str) -> None:
        self.page.get_by_role(role, name=name).click()  # type: ignore[arg-type]
        self.page.wait_for_load_state()

    def violations(self) -> list[dict[str, Any]]:
        """What axe finds on the page: each rule broken, its impact and the elements."""
        results = self.axe.run(self.page)
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]]}
            for v in results.response["violations"]
        ]

    def markings(self) -> list[str]:
        """The marking banners' texts, top to bottom."""
        return [t.strip() for t in self.page.locator(".app-marking__text").all_inner_texts()]

    def check(self, label: str, marking: str) -> None:
        """axe finds nothing, the marking is top and bottom, and no stored script ran."""
        violations = self.violations()
        details = json.dumps(violations, indent=2)
        assert not violations, f"axe violations on {label}:\n{details}"
        banners = self.markings()
        assert banners == [marking, marking], (label, banners)
        assert self.page.evaluate("() => window.__pwned") is None, label

    def sign_in(self, app: Any, user: Any) -> None:
        self.goto("/sign-in")
        self.page.get_by_label("Email address").fill(user.email)
        self.page.get_by_role("textbox", name="Password", exact=True).fill(user.password)
        self.click("button", "Continue")
        self.page.get_by_label("Security code").fill(current_code(app, user.totp_secret))
        self.click("button", "Sign in")
        assert self.page.url == self.base + "/", f"{self.name} did not sign in"

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"portal-sharing-{name}.png"), full_page=True)


def _as_actor(app: Any, user: Any) -> Actor:
    with app.app_context():
        return Actor.from_user(db.session.get(User, user.id))


def _grant(app: Any, *, subject_id: uuid.UUID, officer: Any, grantee: Any) -> uuid.UUID:
    """The officer gives children's social care SUMMARY_AND_ACTIONS access for 30 days,
    through the grants service (its pages are not built yet)."""
    with app.app_context(), transaction():
        ends = (db_now() + timedelta(days=30)).date()
        command = GrantCommand(
            grantee_agency_id=grantee.id,
            grantee_user_email=None,
            scope="SUBJECT",
            view_profile="SUMMARY_AND_ACTIONS",
            record_id=None,
            terms=GrantTerms(
                legal_gateway="GW-CJA03-S325",
                dp_condition="DP3-SCH8-4",
                justification="Child protection enquiry for the household",
                isa_reference="ISA-NORTHSHIRE-1",
                expires_on=ends,
            ),
        )
        return grants.grant_access(officer, subject_id=subject_id, command=command)


def _subject(app: Any, officer: Actor, *, lead_agency_id: uuid.UUID) -> uuid.UUID:
    """A second subject the officer's agency owns and shares with no one."""
    command = SubjectCommand(
        family_name="Bramley",
        given_names="Dean",
        aliases=(),
        date_of_birth=None,
        pnc_id=None,
        ndelius_crn=None,
        visor_ref=None,
        subject_type="VO",
        mappa_category=2,
        mappa_level=1,
        lead_agency_id=lead_agency_id,
        marking=Marking(sensitive=True, descriptors=frozenset({Descriptor.PERSONAL_DATA})),
    )
    with app.app_context(), transaction():
        return subjects.create_subject(officer, command=command)


def _revoke(app: Any, grant_id: uuid.UUID, officer: Actor) -> None:
    with app.app_context(), transaction():
        grants.revoke_grant(officer, grant_id=grant_id, command=ReasonCommand("No longer needed"))


def test_officer_shares_a_subject_and_the_social_worker_opens_it_until_revoked(
    app, live_server, chromium, factories
):
    police = factories.agency(name="Northshire Police", type=AgencyType.POLICE.value)
    childrens = factories.agency(
        name="Northshire Children's Social Care",
        type=AgencyType.CHILDRENS_SOCIAL_CARE.value,
        is_competent_authority=False,
    )
    officer_user = factories.user(agency=police, roles=(Role.MOSOVO_OFFICER,))
    social_user = factories.user(agency=childrens, roles=(Role.SOCIAL_WORKER,))
    officer = Tab(chromium, live_server, "officer")
    social = Tab(chromium, live_server, "social worker")
    sensitive = "OFFICIAL-SENSITIVE - PERSONAL DATA"

    # The officer adds a subject.
    officer.sign_in(app, officer_user)
    officer.click("link", "Subjects")
    assert officer.heading() == "Subjects owned by Northshire Police"
    officer.check("the subject list", "OFFICIAL")
    officer.click("button", "Add a subject")
    officer.check("the add-a-subject page", "OFFICIAL")
    page = officer.page
    page.get_by_label("Family name").fill("Whitmore")
    page.get_by_label("Given names").fill("Carl Anthony")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("9")
    page.get_by_label("Year").fill("1984")
    page.get_by_label("Registered sex offender").check()
    page.get_by_label("Category 1 – registered sexual offender").check()
    page.get_by_label("Level 2 – active multi-agency management").check()
    page.get_by_label("Lead agency").select_option(label="Northshire Police")
    page.get_by_label("OFFICIAL-SENSITIVE", exact=True).check()
    page.get_by_label("PERSONAL DATA").check()
    officer.click("button", "Save subject")
    assert officer.heading() == "WHITMORE, Carl Anthony"
    officer.check("the new subject", sensitive)
    subject_id = uuid.UUID(page.url.rstrip("/").rsplit("/", 1)[-1])

    # A SECRET record is refused with a clear message, then the record is added.
    officer.click("button", "Add a record")
    page.get_by_label("Risk summary").check()
    page.get_by_label("Title").fill("Risk to children")
    page.get_by_label("Record", exact=True).fill(HOSTILE_BODY)
    page.get_by_label("SECRET", exact=True).check()
    officer.click("button", "Save record")
    assert "OFFICIAL information only" in page.locator(".govuk-error-summary").inner_text()
    officer.check("the refused record", sensitive)  # the subject named on the page
    page.get_by_label("OFFICIAL-SENSITIVE", exact=True).check()
    page.get_by_label("PERSONAL DATA").check()
    officer.click("button", "Save record")
    assert officer.heading() == "Risk to children"
    assert "window.__pwned=1" in page.locator(".app-rich-text").inner_text()  # inert text
    officer.check("the new record", sensitive)
    officer.shot("officer-record")

    # Children's social care gets a SUMMARY_AND_ACTIONS grant for 30 days.
    officer_actor = _as_actor(app, officer_user)
    grant_id = _grant(app, subject_id=subject_id, officer=officer_actor, grantee=childrens)
    for path, label in (("grants", "the subject's grants"), ("grants/new", "the new-grant form")):
        officer.goto(f"/subjects/{subject_id}/{path}")
        officer.check(label, sensitive)

    # The social worker finds it, acknowledges confidentiality and opens it.
    social.sign_in(app, social_user)
    social.click("link", "Shared with my agency")
    assert social.heading() == "Shared with Northshire Children's Social Care"
    social.check("the shared list", sensitive)
    social.shot("shared-list")
    social.click("link", "WHITMORE, Carl Anthony")
    assert social.heading() == "Confidentiality statement"
    social.check("the confidentiality statement", "OFFICIAL")
    social.shot("acknowledge")
    social.click("button", "I agree – open the record")
    assert social.heading() == "WHITMORE, Carl Anthony"
    assert "Summary and actions" in social.page.locator(".govuk-caption-l").inner_text()
    assert "Risk to children in the household." in social.page.content()
    social.check("the shared subject", sensitive)
    social.shot("shared-subject")

    # The officer revokes it; the social worker's next request is refused.
    _revoke(app, grant_id, officer_actor)
    response = social.page.reload()
    assert response is not None
    assert response.status == 404
    assert social.heading() == "Page not found"
    assert "WHITMORE" not in social.page.content()
    social.check("the refusal", "OFFICIAL")
    social.shot("refused")

    # Someone is at risk now: the social worker takes the refusal page's way to emergency
    # access, gives too short a reason, then a real one, and the subject opens under a banner.
    social.click("link", "Use emergency access for this subject")
    assert social.heading() == "Open a subject in an emergency"
    social.check("the emergency-access form", "OFFICIAL")
    social.page.get_by_label("Why you need access now").fill("Urgent")
    social.click("button", "Open in an emergency")
    assert "at least 20 characters" in social.page.locator(".govuk-error-summary").inner_text()
    social.check("the emergency-access form with an error", "OFFICIAL")
    social.page.get_by_label("Why you need access now").fill(
        "Child disclosed contact with him tonight; address history needed now"
    )
    social.click("button", "Open in an emergency")
    assert social.heading() == "WHITMORE, Carl Anthony"
    assert "Emergency access" in social.page.locator(".app-break-glass").inner_text()
    social.check("the subject opened in an emergency", sensitive)
    social.shot("emergency-access")

    # A second emergency: one banner lists both windows, a link each (axe: one region, and
    # link text that says which).
    second = _subject(app, officer_actor, lead_agency_id=police.id)
    social.goto(f"/governance/break-glass/{second}")
    social.page.get_by_label("Why you need access now").fill(
        "Second address named by the child tonight; history needed now"
    )
    social.click("button", "Open in an emergency")
    assert social.heading() == "BRAMLEY, Dean"
    banner = social.page.locator(".app-break-glass")
    assert "You opened 2 subjects in an emergency." in banner.inner_text()
    assert banner.get_by_role("link").all_inner_texts() == ["Subject 1", "Subject 2"]
    social.check("the subject with two emergency windows open", sensitive)
    social.shot("emergency-access-two")

    assert not officer.errors, officer.errors
    assert not social.errors, social.errors
