"""Sign-in, sign-out, failures and user changes each write exactly one event, in the same
transaction as the change they describe."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from portal.audit.models import AuditEventRow
from portal.core.identity import Role
from portal.extensions import db
from tests.helpers import csrf_token, current_code, sign_in, submit_code, submit_password


def _event_types(app: Flask) -> Counter[str]:
    with app.app_context():
        rows = db.session.execute(select(AuditEventRow.event_type)).scalars().all()
    return Counter(rows)


def test_scripted_sign_ins_failures_and_sign_outs_write_one_event_each(
    app, client, factories, clock
):
    alice = factories.user()
    bob = factories.user()
    expected: Counter[str] = Counter()

    for _ in range(3):  # three complete sign-ins and sign-outs
        clock.advance(timedelta(seconds=30))  # a fresh code each time: codes are single-use
        sign_in(app, client, alice)
        expected["LOGIN"] += 1
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
        expected["LOGOUT"] += 1
    for password in ("wrong-password-number-1", "wrong-password-number-2"):
        submit_password(client, bob.email, password)
        expected["LOGIN_FAILED"] += 1
    submit_password(client, "nobody@nowhere.test", "whatever-password-1")
    expected["LOGIN_FAILED"] += 1
    submit_password(client, bob.email, bob.password)
    submit_code(client, "000000" if current_code(app, bob.totp_secret) != "000000" else "111111")
    expected["LOGIN_FAILED"] += 1
    submit_code(client, current_code(app, bob.totp_secret))
    expected["LOGIN"] += 1

    assert _event_types(app) == expected


def test_failed_sign_in_event_names_the_account_by_id_never_by_what_was_typed(
    app, client, factories
):
    alice = factories.user()
    submit_password(client, alice.email, "not-alices-password-1")
    with app.app_context():
        row = db.session.execute(select(AuditEventRow)).scalar_one()
    assert row.event_type == "LOGIN_FAILED"
    assert alice.email not in row.body
    assert "not-alices-password-1" not in row.body
    assert alice.id.hex in row.body


def test_admin_disabling_a_user_writes_user_changed_with_the_change(app, client, factories):
    agency = factories.agency()
    admin = factories.user(agency=agency, roles=(Role.AGENCY_ADMIN,))
    target = factories.user(agency=agency)
    sign_in(app, client, admin)
    before = _event_types(app)

    response = client.post(
        f"/users/{target.id}/disable",
        data={"csrf_token": csrf_token(client, f"/users/{target.id}")},
    )

    assert response.status_code == 302
    assert _event_types(app) - before == Counter({"USER_CHANGED": 1})
