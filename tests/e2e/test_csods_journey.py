"""The disclosure-scheme journey in Chromium, axe-clean on every page: an officer records an
application for two children and walks it through every stage to a disclosure to the mother
(not the applicant) with the signed undertaking; a supervisor approves the decision; the case
list shows it closed; and the application's access log shows the DISCLOSURE event naming the
recipient with the lawful-basis codes."""

from __future__ import annotations

from typing import Any

import pytest

from portal.agencies.models import AgencyType
from portal.audit.models import AuditEventRow
from portal.core.identity import Role
from portal.extensions import db
from tests.e2e.test_sharing_journey import Tab
from tests.integration.csods.support import today

pytestmark = pytest.mark.e2e

SENSITIVE = "OFFICIAL-SENSITIVE - PERSONAL DATA"


class Officer(Tab):
    def link(self, name: str) -> None:
        self.page.get_by_role("link", name=name, exact=True).click()
        self.page.wait_for_load_state()

    def button(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()
        self.page.wait_for_load_state()

    def fill(self, answers: dict[str, str]) -> None:
        for field, value in answers.items():
            self.page.fill(f"#{field}", value)

    def choose(self, **choices: str) -> None:
        for name, value in choices.items():
            self.page.check(f"input[name='{name}'][value='{value}']")

    def date(self, name: str, day: str, month: str, year: str) -> None:
        self.fill({f"{name}-day": day, f"{name}-month": month, f"{name}-year": year})

    def stage(self) -> str:
        return str(self.page.locator("#stage").get_attribute("data-stage"))


def _record_decision(officer: Officer, pressing_need: str) -> None:
    _step(officer, "Record the decision", "", "decision")
    officer.choose(outcome="DISCLOSE")
    officer.fill(
        {
            "forum": "CSODS decision panel",
            "attendees": "DI Reed (chair), children's social care, probation",
            "rationale": "Lawful under s.327A, necessary and proportionate",
            "pressing_need": pressing_need,
            "recipient_name": "Rosalind Oakenshaw",
            "recipient_relationship": "Mother",
            "recipient_why": "She has parental responsibility and can protect them",
            "wording": "The subject has convictions for sexual offences against children",
            "safety_plan": "Subject to leave the home; weekly social care visits",
            "referrals": "Children's social care",
        }
    )
    officer.button("Record the decision")
    assert officer.stage() == "DECIDED"


def _step(officer: Officer, link: str, button: str, label: str) -> None:
    officer.link(link)
    officer.check(f"the {label} page", SENSITIVE)


def test_an_application_walks_every_stage_to_a_disclosure_to_the_mother(
    app: Any, live_server: str, chromium: Any, factories: Any
) -> None:
    police = factories.agency(name="Northshire Police", type=AgencyType.POLICE.value)
    officer_user = factories.user(
        agency=police, roles=(Role.MOSOVO_OFFICER, Role.CSODS_OFFICER), full_name="Cara Csods"
    )
    supervisor_user = factories.user(
        agency=police, roles=(Role.CSODS_OFFICER,), full_name="Sam Supervisor"
    )
    officer = Officer(chromium, live_server, "officer")
    supervisor = Officer(chromium, live_server, "supervisor")
    page = officer.page

    officer.sign_in(app, officer_user)
    officer.link("Disclosure scheme")
    assert officer.heading() == "Child sex offender disclosure applications"
    officer.check("the case list", SENSITIVE)
    # The counts' period: a day typed another way is an error on the page, not ignored.
    officer.fill({"date_from": "1/11/2026"})
    officer.button("Count")
    assert "Enter the first day as a date" in page.locator(".govuk-error-summary").inner_text()
    officer.check("the case list with an error", SENSITIVE)
    officer.shot("csods-list-error")
    officer.fill({"date_from": "2026-11-01"})
    officer.button("Count")
    assert page.locator(".govuk-error-summary").count() == 0
    assert "Received 1 November 2026 to" in page.content()
    officer.button("Record an application")
    officer.check("the new application page", SENSITIVE)

    # A mistake is shown against its field; then the application is recorded.
    officer.button("Record application")
    assert "Enter the force reference (URN)" in page.locator(".govuk-error-summary").inner_text()
    officer.check("the new application page with errors", SENSITIVE)
    officer.fill(
        {
            "urn": "OAKENSHAW/2026-11-20",
            "applicant_family_name": "Oakenshaw",
            "applicant_given_names": "Wilhelmina",
            "applicant_address": "12 Orchard Row, Northtown",
            "contact_method": "Mobile, weekday mornings",
            "safe_contact": "Do not leave voicemail",
            "subject_family_name": "Brackley",
            "subject_given_names": "Dorian",
            "subject_relationship_to_applicant": "Daughter's new partner",
            "child_name": "Tobias Oakenshaw",
            "lives_with": "Mother and her partner",
            "applicant_relationship": "Grandmother",
            "subject_relationship": "Mother's partner",
        }
    )
    officer.date("received_on", "20", "11", "2026")
    officer.date("child_date_of_birth", "1", "2", "2018")
    officer.choose(channel="PHONE", mother_knows="YES", father_knows="NOT_KNOWN")
    officer.button("Record application")
    assert officer.heading() == "OAKENSHAW/2026-11-20"
    assert officer.stage() == "RECEIVED"
    officer.check("the new application", SENSITIVE)

    # The second child.
    _step(officer, "Add a child", "Add child", "add a child")
    officer.fill(
        {
            "child_name": "Matilda Oakenshaw",
            "child_age": "4",
            "lives_with": "Mother and her partner",
            "applicant_relationship": "Grandmother",
            "subject_relationship": "Mother's partner",
        }
    )
    officer.choose(mother_knows="YES", father_knows="NO")
    officer.button("Add child")
    assert "Children (2)" in page.content()

    # Initial checks and the scope decision.
    _step(officer, "Begin initial checks", "Begin initial checks", "begin checks")
    officer.button("Begin initial checks")
    assert officer.stage() == "INITIAL_CHECKS"
    _step(officer, "Record the scope decision: in scope", "", "scope")
    officer.fill({"checks_made": "PNC, ViSOR and local intelligence checked"})
    officer.choose(in_scope="YES")
    officer.button("Record the scope decision")
    assert officer.stage() == "SCOPE_DECIDED"

    # The interview and verification (evidence types only).
    _step(officer, "Record the interview: applicant verified", "", "interview")
    officer.choose(verified="YES")
    officer.fill(
        {
            "evidence_identity": "Passport",
            "evidence_address": "Utility bill",
            "evidence_relationship": "Birth certificate",
            "notes": "Face to face at Northtown station",
        }
    )
    officer.button("Record the interview")
    assert officer.stage() == "INTERVIEW_DONE"

    # The multi-agency risk assessment.
    _step(officer, "Begin the multi-agency risk assessment", "", "begin risk assessment")
    officer.button("Begin the risk assessment")
    _step(officer, "Complete the risk assessment", "", "risk assessment")
    officer.fill(
        {
            "agencies": "Children's social care: family known\nSchool: no concerns",
            "summary": "Risk of sexual harm to both children",
        }
    )
    officer.button("Complete the risk assessment")
    assert officer.stage() == "DECISION_FORUM"

    # The decision: disclose to the mother, who is not the applicant.
    _record_decision(officer, "The subject lives with both children")

    # The recorder cannot approve their own decision; the supervisor does.
    _step(officer, "Approve the decision", "", "approve")
    officer.button("Approve the decision")
    assert "approved by a supervisor" in page.locator(".govuk-error-summary").inner_text()
    officer.check("the refused approval", SENSITIVE)
    application_url = page.url.rsplit("/", 1)[0]
    supervisor.sign_in(app, supervisor_user)
    supervisor.page.goto(application_url)
    supervisor.check("the application (supervisor)", SENSITIVE)

    # The supervisor sends it back (a reason is needed); the forum decides again.
    supervisor.link("Send the decision back to the forum")
    supervisor.check("the send-back page", SENSITIVE)
    supervisor.button("Send the decision back")
    assert (
        "Enter why the decision is sent back"
        in supervisor.page.locator(".govuk-error-summary").inner_text()
    )
    supervisor.check("the send-back page with its error", SENSITIVE)
    supervisor.fill({"reason": "Set out the pressing need for each child"})
    supervisor.button("Send the decision back")
    assert supervisor.stage() == "DECISION_FORUM"
    assert (
        "Set out the pressing need for each child"
        in supervisor.page.locator("#sent-back").inner_text()
    )
    supervisor.check("the application sent back", SENSITIVE)
    supervisor.shot("csods-sent-back")
    page.goto(application_url)
    _record_decision(officer, "The subject lives with both children, aged 4 and 7")
    supervisor.page.goto(application_url)
    supervisor.link("Approve the decision")
    supervisor.button("Approve the decision")
    assert supervisor.stage() == "APPROVED"

    # Delivery: refused without the undertaking, recorded with it.
    page.goto(application_url)
    _step(officer, "Record the disclosure as delivered", "", "delivery")
    officer.date("delivered_on", *today())  # on or after the day of the approval
    officer.choose(method="IN_PERSON", undertaking_signed="NO")
    officer.fill({"disclosed_by": "DC Priya Marsh and PC Tom Shah"})
    officer.button("Record the disclosure as delivered")
    assert "signed the undertaking" in page.locator(".govuk-error-summary").inner_text()
    officer.check("the refused delivery", SENSITIVE)
    officer.choose(undertaking_signed="YES")
    officer.date("undertaking_signed_on", *today())
    officer.fill({"note": "Delivered to the mother"})
    officer.button("Record the disclosure as delivered")
    assert officer.stage() == "DISCLOSURE_DELIVERED"
    assert "DC Priya Marsh and PC Tom Shah" in page.locator("main").inner_text()
    officer.shot("csods-delivered")
    _step(officer, "Close the application", "", "close")
    officer.button("Close the application")
    assert officer.stage() == "CLOSED"
    officer.check("the closed application", SENSITIVE)

    # The access log on the application shows the DISCLOSURE with recipient and codes.
    log = page.locator("#access-log").inner_text()
    assert "DISCLOSURE" in log
    assert "Rosalind Oakenshaw (Mother), outside the portal" in log
    assert "GW-CJA03-S327A + DP3-SCH8-4" in log
    officer.shot("csods-closed")

    # The case list shows it closed.
    officer.link("Disclosure scheme")
    assert "OAKENSHAW/2026-11-20" not in page.content()  # open applications only
    page.check("#closed")
    officer.button("Filter")
    row = page.locator("tr", has_text="OAKENSHAW/2026-11-20").inner_text()
    assert "Closed" in row
    officer.check("the case list with closed applications", SENSITIVE)

    with app.app_context():
        events = db.session.query(AuditEventRow).filter_by(event_type="DISCLOSURE").all()
        assert len(events) == 1
        assert events[0].legal_gateway == "GW-CJA03-S327A"
        assert events[0].dp_condition == "DP3-SCH8-4"
    assert not officer.errors, officer.errors
    assert not supervisor.errors, supervisor.errors
