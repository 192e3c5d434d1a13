"""The way to emergency access: a subject's "Page not found" offers it to a user who holds
``break_glass:use``, for the id in the address, whether or not the subject exists, so the
offer tells nobody anything; the emergency-access page then decides."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.governance.conftest import IgWorld, events_of

OFFER = "Use emergency access for this subject"


def _link(subject_id: uuid.UUID) -> str:
    return f'href="/governance/break-glass/{subject_id}"'


def test_a_partner_refused_a_subject_is_offered_emergency_access_and_it_opens(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    expired = w.subject()
    w.grant(expired, "probation", state="expired")
    browser = w.browser(w.people["probation"], make_client)
    page = browser.get(f"/subjects/{expired}")
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "Page not found" in html
    assert OFFER in html
    assert _link(expired) in html
    form = browser.get(f"/governance/break-glass/{expired}")
    assert form.status_code == 200
    assert "Open a subject in an emergency" in form.get_data(as_text=True)
    assert events_of(ig.app, "BREAK_GLASS") == []  # offering and showing the form open nothing
    assert events_of(ig.app, "CONSULTATION") == []


def test_the_offer_is_the_same_for_a_subject_that_does_not_exist_and_leads_nowhere(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    unknown = uuid.uuid4()
    browser = w.browser(w.people["housing"], make_client)
    html = browser.get(f"/subjects/{unknown}").get_data(as_text=True)
    assert OFFER in html
    assert _link(unknown) in html
    assert browser.get(f"/governance/break-glass/{unknown}").status_code == 404


def test_no_offer_to_a_user_without_break_glass_or_off_the_subject_page(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    subject_id = w.subject()
    record_id = w.record(subject_id)
    # An IG officer reads subjects through grants like a partner but may not break the glass.
    ig_page = w.browser(ig.ig, make_client).get(f"/subjects/{subject_id}")
    assert ig_page.status_code == 404
    assert OFFER not in ig_page.get_data(as_text=True)
    partner = w.browser(w.people["housing"], make_client)
    # Emergency access opens the subject's page only: no offer on a record's page, nor on any
    # other missing page.
    for path in (f"/records/{record_id}", f"/subjects/{subject_id}/acknowledge", "/no-such-page"):
        page = partner.get(path)
        assert page.status_code == 404, path
        assert OFFER not in page.get_data(as_text=True), path
    # An exclusion list refuses even in an emergency: its owner's message, and no offer.
    w.exclude(subject_id, w.people["csc"], message="Ask the MOSOVO team")
    excluded = w.browser(w.people["csc"], make_client).get(f"/subjects/{subject_id}")
    assert excluded.status_code == 404
    assert "Ask the MOSOVO team" in excluded.get_data(as_text=True)
    assert OFFER not in excluded.get_data(as_text=True)
