"""Distributed minutes are logged under the lawful basis they went out under: one DISCLOSURE
per DP condition used, each with the CJA 2003 s.325 gateway, that condition and only the
agencies sent under it (never the owner's own policing basis), naming the meeting and the
minutes version distributed."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.integration.meetings.conftest import MeetingWorld, distributed_meeting

S325 = "GW-CJA03-S325"


def _disclosures(mw: MeetingWorld, since: int) -> list[Any]:
    return [e for e in mw.events() if e.seq > since and e.event_type == "DISCLOSURE"]


def _sent(mw: MeetingWorld, make_client: Any) -> tuple[uuid.UUID, list[Any]]:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    before = mw.last_seq()
    meeting_id, _ = distributed_meeting(mw, chair, subject)
    return meeting_id, _disclosures(mw, before)


def test_each_condition_is_one_disclosure_under_s325_naming_its_recipients(
    mw: MeetingWorld, make_client: Any
) -> None:
    # Probation (a competent authority) receives under Part 3; children's social care and
    # housing under UK GDPR.
    _, events = _sent(mw, make_client)
    logged = {
        (e.legal_gateway, e.dp_condition): sorted(json.loads(e.body)["with"]["recipients"])
        for e in events
    }
    assert logged == {
        (S325, "DP3-SCH8-4"): ["Probation"],
        (S325, "GDPR-6-1-E"): ["Children's Social Care", "Housing Options"],
    }
    assert len(events) == 2
    for event in events:
        body = json.loads(event.body)
        assert body["legal_gateway"] == S325
        assert body["dp_condition"] == event.dp_condition
        assert "GW-CL-POLICING" not in event.body
        assert "DP3-S35-LE" not in event.body


def test_each_disclosure_names_the_meeting_and_the_version_sent(
    mw: MeetingWorld, make_client: Any
) -> None:
    meeting_id, events = _sent(mw, make_client)
    assert events
    for event in events:
        assert event.record_id == meeting_id
        justification = json.loads(event.body)["with"]["justification"]
        assert "minutes (version 1)" in justification
