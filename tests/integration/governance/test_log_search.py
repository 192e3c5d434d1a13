"""The IG access-log search: filters, newest first, keyset paging, LOG_READ, exports, 404s."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from typing import Any

from flask import Flask

from portal.audit import events
from portal.audit.recorder import record
from portal.core.actor import Actor
from portal.core.identity import Clearance, Role
from portal.db.transaction import transaction
from portal.extensions import db
from portal.governance.search import Cursor, LogFilters, search
from tests.helpers import csrf_token
from tests.integration.governance.conftest import IgWorld, events_of, head_seq

SEQ_LINK = re.compile(r'href="/governance/log/(\d+)"')


def _actor(user: Any, roles: tuple[Role, ...] = (Role.PROBATION_OFFICER,)) -> Actor:
    return Actor(user.id, user.agency_id, frozenset(roles), Clearance.SC, "someone")


def _consultations(app: Flask, who: Any, subject_id: uuid.UUID, count: int) -> list[int]:
    """``count`` consultation events about ``subject_id`` in one transaction (equal times on
    PostgreSQL, where now() is the transaction's start: the keyset must break the tie)."""
    with app.app_context(), transaction():
        return [
            record(events.consultation(_actor(who), subject_id=subject_id, marking="OFFICIAL"))
            for _ in range(count)
        ]


def _shown(html: str) -> list[int]:
    return [int(s) for s in SEQ_LINK.findall(html)]


def test_filter_by_subject_shows_only_its_events_newest_first_and_logs_the_search(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    one, other = uuid.uuid4(), uuid.uuid4()
    mine = _consultations(ig.app, w.people["csc"], one, 3)
    _consultations(ig.app, w.people["csc"], other, 2)
    browser = w.browser(ig.ig, make_client)
    response = browser.get(f"/governance/log?subject={one.hex}")
    assert response.status_code == 200
    assert _shown(response.get_data(as_text=True)) == sorted(mine, reverse=True)
    [read] = events_of(ig.app, "LOG_READ", ig.ig.id)
    body = json.loads(read.body)["with"]
    assert body["reason"] == "search"
    assert body["detail"]["filter_subject_id"] == one.hex
    assert body["detail"]["rows"] == "3"
    assert read.subject_id == one


def test_every_search_is_its_own_log_read_event_with_its_filters(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    subject = uuid.uuid4()
    _consultations(ig.app, w.people["csc"], subject, 1)
    browser = w.browser(ig.ig, make_client)
    searches = [
        f"subject={subject.hex}",
        "event_type=CONSULTATION",
        "basis=GW-CJA03-S325",
        f"agency={w.partners['csc'].id}",
        "date_from=2020-01-01&date_to=2099-12-31",
    ]
    for query in searches:
        assert browser.get(f"/governance/log?{query}").status_code == 200
    reads = events_of(ig.app, "LOG_READ", ig.ig.id)
    assert len(reads) == len(searches)
    details = [json.loads(r.body)["with"]["detail"] for r in reads]
    assert details[0]["filter_subject_id"] == subject.hex
    assert details[1]["filter_event_type"] == "CONSULTATION"
    assert details[2]["filter_basis"] == "GW-CJA03-S325"
    assert details[3]["filter_agency_id"] == w.partners["csc"].id.hex
    assert details[4]["filter_date_from"].startswith("2020-01-01")


def test_keyset_pages_cover_every_event_once_in_order(ig: IgWorld) -> None:
    w = ig.world
    subject = uuid.uuid4()
    made = _consultations(ig.app, w.people["csc"], subject, 23)
    made += _consultations(ig.app, w.people["housing"], subject, 9)
    seen: list[int] = []
    after: Cursor | None = None
    with ig.app.app_context():
        while True:
            page = search(db.session(), LogFilters(subject_id=subject), after=after, limit=5)
            seen += [r.seq for r in page.rows]
            assert len(page.rows) <= 5
            if page.next_cursor is None:
                break
            after = Cursor.parse(page.next_cursor.token())  # through its URL form
    assert seen == sorted(made, reverse=True)


def test_filters_combine(ig: IgWorld) -> None:
    w = ig.world
    subject = uuid.uuid4()
    csc = _consultations(ig.app, w.people["csc"], subject, 2)
    _consultations(ig.app, w.people["housing"], subject, 2)
    _consultations(ig.app, w.people["csc"], uuid.uuid4(), 2)
    with ig.app.app_context():
        page = search(
            db.session(),
            LogFilters(subject_id=subject, actor_id=w.people["csc"].id, marking="OFFICIAL"),
        )
    assert [r.seq for r in page.rows] == sorted(csc, reverse=True)


def test_paging_link_carries_the_filters(ig: IgWorld, make_client: Any) -> None:
    w = ig.world
    subject = uuid.uuid4()
    made = _consultations(ig.app, w.people["csc"], subject, 55)
    browser = w.browser(ig.ig, make_client)
    first = browser.get(f"/governance/log?subject={subject.hex}").get_data(as_text=True)
    assert _shown(first) == sorted(made, reverse=True)[:50]
    link = re.search(r'href="(/governance/log\?[^"]*after=[^"]*)"', first)
    assert link is not None
    second = browser.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _shown(second) == sorted(made, reverse=True)[50:]
    details = [json.loads(r.body)["with"]["detail"] for r in events_of(ig.app, "LOG_READ")]
    assert [d["page"] for d in details] == ["first", "next"]
    assert [d["rows"] for d in details] == ["50", "5"]


def test_bad_filters_show_field_errors_and_search_nothing(ig: IgWorld, make_client: Any) -> None:
    browser = ig.world.browser(ig.ig, make_client)
    response = browser.get("/governance/log?subject=not-an-id&date_from=yesterday")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in html
    assert "Enter the subject as shown in the log" in html
    assert "Enter the first day as a date" in html
    assert events_of(ig.app, "LOG_READ") == []


def test_event_page_shows_metadata_and_chain_position_not_content(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    subject_id = w.subject()
    officer = w.browser(w.officer, make_client)
    assert officer.get(f"/subjects/{subject_id}").status_code == 200
    [viewed] = events_of(ig.app, "CONSULTATION")
    browser = w.browser(ig.ig, make_client)
    html = browser.get(f"/governance/log/{viewed.seq}").get_data(as_text=True)
    assert viewed.row_hash.hex() in html
    assert viewed.prev_hash.hex() in html
    assert "Olive Officer" in html
    assert "Fairweather" not in html  # the subject's name is record content
    [read] = events_of(ig.app, "LOG_READ", ig.ig.id)
    assert json.loads(read.body)["with"]["detail"] == {"event_seq": str(viewed.seq)}


def test_export_csv_neutralises_formulas_names_the_marking_and_is_logged(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    subject = uuid.uuid4()
    with ig.app.app_context(), transaction():
        record(
            events.consultation(
                _actor(w.people["csc"]),
                subject_id=subject,
                justification='=HYPERLINK("http://evil")',
                marking="OFFICIAL",
            )
        )
    browser = w.browser(ig.ig, make_client)
    token = csrf_token(browser, f"/governance/log?subject={subject.hex}")
    response = browser.post(
        "/governance/log/export",
        data={
            "csrf_token": token,
            "subject": subject.hex,
            "format": "csv",
            "recipient": "Information Commissioner's Office",
        },
    )
    assert response.status_code == 200
    assert "OFFICIAL-SENSITIVE" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["OFFICIAL-SENSITIVE"]
    header = lines[2]
    rows = [dict(zip(header, line, strict=True)) for line in lines[3:-1]]
    # The IG officer's own search of the subject is in the log too (it names the subject).
    assert [r["event_type"] for r in rows] == ["LOG_READ", "CONSULTATION"]
    row = rows[1]
    assert row["justification"] == '\'=HYPERLINK("http://evil")'
    assert row["subject_id"] == subject.hex
    assert len(row["row_hash"]) == 64
    [exported] = events_of(ig.app, "LOG_EXPORTED", ig.ig.id)
    exported_with = json.loads(exported.body)["with"]
    assert exported_with["detail"]["filter_subject_id"] == subject.hex
    assert exported_with["detail"]["format"] == "csv"
    assert exported_with["detail"]["rows"] == "2"  # the event and the search
    assert exported_with["recipients"] == ["Information Commissioner's Office"]


def test_export_json_has_chain_positions_and_needs_a_recipient(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    subject = uuid.uuid4()
    made = _consultations(ig.app, w.people["csc"], subject, 2)
    browser = w.browser(ig.ig, make_client)
    token = csrf_token(browser, f"/governance/log?subject={subject.hex}")
    form = {"csrf_token": token, "subject": subject.hex, "format": "json"}
    refused = browser.post("/governance/log/export", data={**form, "recipient": " "})
    assert refused.status_code == 400
    assert "Enter who the export is for" in refused.get_data(as_text=True)
    assert events_of(ig.app, "LOG_EXPORTED") == []
    response = browser.post("/governance/log/export", data={**form, "recipient": "Inquiry"})
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == '{"marking": "OFFICIAL-SENSITIVE",'
    document = json.loads(text)
    assert document["marking"] == "OFFICIAL-SENSITIVE"
    consulted = [e["seq"] for e in document["events"] if e["event_type"] == "CONSULTATION"]
    assert consulted == sorted(made, reverse=True)
    assert all(len(e["prev_hash"]) == 64 for e in document["events"])
    assert len(events_of(ig.app, "LOG_EXPORTED", ig.ig.id)) == 1


IG_PAGES = [
    ("get", "/governance/log"),
    ("get", "/governance/log?event_type=LOGIN"),
    ("get", "/governance/log/1"),
    ("post", "/governance/log/export"),
]


def test_non_ig_users_get_the_uniform_404_on_every_ig_page_logged_as_authz_fail(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    for user in (w.officer, w.people["csc"]):
        browser = w.browser(user, make_client)
        token = csrf_token(browser, "/")
        for method, path in IG_PAGES + extra_ig_pages(ig):
            start = head_seq(ig.app)
            if method == "get":
                response = browser.get(path)
            else:
                response = browser.post(path, data={"csrf_token": token, "format": "csv"})
            assert response.status_code == 404, (path, response.status_code)
            assert "Page not found" in response.get_data(as_text=True)
            fails = [e for e in events_of(ig.app, "AUTHZ_FAIL", user.id) if e.seq > start]
            assert len(fails) == 1, path
            assert json.loads(fails[0].body)["with"]["reason"] == "role"
    assert events_of(ig.app, "LOG_READ") == []
    assert events_of(ig.app, "LOG_EXPORTED") == []


def extra_ig_pages(ig: IgWorld) -> list[tuple[str, str]]:
    """The other IG pages (who accessed, who can access, alerts, integrity)."""
    subject = uuid.uuid4()
    return [
        ("get", f"/governance/subjects/{subject}/accessed"),
        ("get", f"/governance/subjects/{subject}/access"),
        ("get", "/governance/alerts"),
        ("post", f"/governance/alerts/{uuid.uuid4()}"),
        ("get", "/governance/integrity"),
        ("post", "/governance/integrity/verify"),
    ]


def test_an_unknown_event_is_the_same_404(ig: IgWorld, make_client: Any) -> None:
    browser = ig.world.browser(ig.ig, make_client)
    assert browser.get("/governance/log/999999").status_code == 404
    [fail] = events_of(ig.app, "AUTHZ_FAIL", ig.ig.id)
    assert json.loads(fail.body)["with"]["reason"] == "not_found"
