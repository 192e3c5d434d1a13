"""The recorder: one event in the caller's transaction, gapless, chained, never committed alone."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from portal.access.decorators import public
from portal.agencies.models import Agency
from portal.audit import events
from portal.audit.chain import GENESIS_HASH, link_hash
from portal.audit.events import canonical_json, search_columns
from portal.audit.models import AuditEventRow, AuditHead
from portal.audit.recorder import OutsideTransaction, record, record_at_commit
from portal.core.clock import ShiftedClock
from portal.db.transaction import transaction
from portal.extensions import db
from tests.conftest import backend
from tests.integration.audit.conftest import FakeActor, event_count, head_seq
from tests.leaks import CONTENT_MARKER


def _consultation(actor: FakeActor, **extra: object) -> events.AuditEvent:
    fields: dict[str, object] = {
        "subject_id": uuid.uuid4(),
        "grant_id": uuid.uuid4(),
        "legal_gateway": "GW-CJA03-S325",
        "dp_condition": "DP3-SCH8-4",
        "marking": "OFFICIAL-SENSITIVE",
        "request_id": "req-1",
    }
    fields.update(extra)
    return events.consultation(actor, **fields)  # type: ignore[arg-type]


def test_record_outside_transaction_is_refused(app: Flask, actor: FakeActor) -> None:
    with app.app_context(), pytest.raises(OutsideTransaction):
        record(_consultation(actor))
    assert event_count(app) == 0


def test_record_assigns_gapless_seq_and_chains_each_event_to_the_head(
    app: Flask, actor: FakeActor
) -> None:
    with app.app_context():
        with transaction():
            first = record(_consultation(actor))
            second = record(
                events.login(user_id=actor.user_id, agency_id=actor.agency_id, method="oidc")
            )
        with transaction():
            third = record(events.logout(user_id=actor.user_id, agency_id=actor.agency_id))
        rows = db.session.execute(
            select(
                AuditEventRow.seq,
                AuditEventRow.body,
                AuditEventRow.prev_hash,
                AuditEventRow.row_hash,
            ).order_by(AuditEventRow.seq)
        ).all()
        head = db.session.get(AuditHead, 1)
    assert (first, second, third) == (1, 2, 3)
    assert [r.seq for r in rows] == [1, 2, 3]
    previous = GENESIS_HASH
    for row in rows:
        assert row.prev_hash == previous
        assert row.row_hash == link_hash(previous, row.seq, row.body)
        previous = row.row_hash
    assert head is not None
    assert (head.seq, head.hash) == (3, previous)


def test_record_stores_canonical_body_and_columns_derived_from_it(
    app: Flask, actor: FakeActor
) -> None:
    event = _consultation(
        actor, justification='Rückfall — “quotes” " and \\ kept', record_id=uuid.uuid4()
    )
    with app.app_context():
        with transaction():
            record(event)
        row = db.session.execute(select(AuditEventRow)).scalar_one()
    body = json.loads(row.body)
    assert row.body == canonical_json(body)
    assert list(body)[:13] == list(events.SEARCH_FIELDS)
    for column, value in search_columns(body).items():
        assert getattr(row, column) == value, column
    assert row.subject_id == event.subject_id
    assert row.record_id == event.record_id
    assert row.actor_agency_id == actor.agency_id
    assert body["with"]["justification"] == event.justification


def test_record_takes_its_time_from_the_database_clock(
    app: Flask, actor: FakeActor, clock: ShiftedClock
) -> None:
    clock.advance(timedelta(days=3))
    with app.app_context():
        with transaction():
            record(_consultation(actor))
        recorded = db.session.execute(select(AuditEventRow.recorded_at)).scalar_one()
    assert recorded.tzinfo is not None
    assert recorded - datetime.now(UTC) > timedelta(days=2, hours=23)


def _agency(code: str) -> Agency:
    return Agency(code=code, name="Fault agency", type="police", is_competent_authority=True)


def _agency_exists(app: Flask, code: str) -> bool:
    with app.app_context():
        found = db.session.execute(select(Agency).where(Agency.code == code)).first()
        db.session.remove()
    return found is not None


def test_fault_after_insert_before_commit_leaves_neither_change_nor_event(
    app: Flask, actor: FakeActor
) -> None:
    def unit_of_work() -> None:
        with transaction() as session:
            session.add(_agency("FAULT1"))
            session.flush()
            record(_consultation(actor))
            raise RuntimeError("injected after the audit insert, before commit")

    with app.app_context(), pytest.raises(RuntimeError, match="injected"):
        unit_of_work()
    assert not _agency_exists(app, "FAULT1")
    assert event_count(app) == 0
    assert head_seq(app) == 0
    with app.app_context(), transaction():
        assert record(_consultation(actor)) == 1  # no gap was consumed


def _deferred_fk_tables(app: Flask) -> None:
    """Tables whose foreign key is checked only at COMMIT, to make a commit fail for real."""
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t_parent (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql(
            "CREATE TABLE t_child (id INTEGER PRIMARY KEY, parent_id INTEGER "
            "REFERENCES t_parent (id) DEFERRABLE INITIALLY DEFERRED)"
        )


def test_failing_commit_raises_to_the_caller_and_writes_nothing(
    app: Flask, actor: FakeActor
) -> None:
    _deferred_fk_tables(app)
    reached_commit = []

    def unit_of_work() -> None:
        with transaction() as session:
            session.add(_agency("FAULT2"))
            record(_consultation(actor))
            session.execute(text("INSERT INTO t_child (id, parent_id) VALUES (1, 999)"))
            reached_commit.append(True)  # every statement succeeded: only COMMIT can fail

    with app.app_context(), pytest.raises(DBAPIError, match=r"(?i)foreign key"):
        unit_of_work()
    assert reached_commit
    assert not _agency_exists(app, "FAULT2")
    assert event_count(app) == 0
    assert head_seq(app) == 0


def test_failing_commit_gives_the_client_a_generic_error_and_no_content(
    app: Flask, actor: FakeActor
) -> None:
    _deferred_fk_tables(app)
    rendered: list[str] = []

    @public(reason="test-only route: a disclosure whose commit fails")
    def leaky_disclosure() -> str:
        with transaction() as session:
            record(_consultation(actor))
            session.execute(text("INSERT INTO t_child (id, parent_id) VALUES (1, 999)"))
            page = f"<p>{CONTENT_MARKER}</p>"
            rendered.append(page)
        return page

    app.add_url_rule("/test/leaky-disclosure", view_func=leaky_disclosure)
    response = app.test_client().get("/test/leaky-disclosure")
    assert rendered  # the content was rendered inside the unit of work...
    assert response.status_code == 500  # ...but the failed commit kept it from the client
    assert CONTENT_MARKER not in response.get_data(as_text=True)
    assert event_count(app) == 0


def test_insert_that_does_not_extend_the_head_is_refused_by_the_database(
    app: Flask, actor: FakeActor
) -> None:
    with app.app_context():
        with transaction():
            record(_consultation(actor))
        good = db.session.execute(select(AuditEventRow)).scalar_one()
        db.session.remove()
        attempts = [
            {"seq": 5, "prev_hash": good.row_hash},  # skips numbers
            {"seq": 2, "prev_hash": GENESIS_HASH},  # does not link to the head
            {"seq": 1, "prev_hash": GENESIS_HASH},  # duplicates an event
        ]
        for attempt in attempts:
            body = good.body.replace("req-1", "req-forged")
            values = {
                "recorded_at": good.recorded_at,
                "event_type": good.event_type,
                "outcome": good.outcome,
                "request_id": "req-forged",
                "body": body,
                "row_hash": link_hash(attempt["prev_hash"], attempt["seq"], body),  # type: ignore[arg-type]
                **attempt,
            }
            with pytest.raises(DBAPIError), db.engine.begin() as connection:
                connection.execute(AuditEventRow.__table__.insert().values(**values))
    assert event_count(app) == 1
    assert head_seq(app) == 1


def test_concurrent_writers_keep_the_chain_gapless_and_in_commit_order(
    app: Flask, actor: FakeActor
) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with app.app_context():
                for i in range(25):
                    with transaction():
                        record(_consultation(actor, request_id=f"w{n}-{i}"))
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with app.app_context():
        rows = db.session.execute(
            select(
                AuditEventRow.seq,
                AuditEventRow.body,
                AuditEventRow.prev_hash,
                AuditEventRow.row_hash,
            ).order_by(AuditEventRow.seq)
        ).all()
        db.session.remove()
    assert [r.seq for r in rows] == list(range(1, 101))
    previous = GENESIS_HASH
    for row in rows:
        assert row.prev_hash == previous
        previous = link_hash(previous, row.seq, row.body)
        assert row.row_hash == previous


# --- Events queued for the commit (what the gate uses) ----------------------------------------


def _in_session_count() -> int:
    return int(db.session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one())


def test_a_queued_event_is_written_by_the_commit_and_not_before(
    app: Flask, actor: FakeActor
) -> None:
    with app.app_context():
        with transaction():
            pending = record_at_commit(_consultation(actor))
            assert _in_session_count() == 0  # nothing inserted, so the head is not locked yet
        assert event_count(app) == 1
        assert head_seq(app) == 1
        assert pending.seq == 1


def test_asking_for_a_queued_events_seq_writes_it_at_once_and_record_keeps_call_order(
    app: Flask, actor: FakeActor
) -> None:
    with app.app_context():
        with transaction():
            first = record_at_commit(_consultation(actor, request_id="queued-1"))
            second = record(_consultation(actor, request_id="direct-2"))
            assert _in_session_count() == 2
            third = record_at_commit(_consultation(actor, request_id="queued-3"))
            assert third.seq == 3
            assert _in_session_count() == 3
        rows = db.session.execute(
            select(AuditEventRow.seq, AuditEventRow.request_id).order_by(AuditEventRow.seq)
        ).all()
    assert (first.seq, second) == (1, 2)
    assert [(r.seq, r.request_id) for r in rows] == [
        (1, "queued-1"),
        (2, "direct-2"),
        (3, "queued-3"),
    ]


def test_a_queued_event_of_a_failed_unit_of_work_is_never_written(
    app: Flask, actor: FakeActor
) -> None:
    with (  # noqa: PT012
        app.app_context(),
        pytest.raises(RuntimeError, match="injected"),
        transaction(),
    ):
        record_at_commit(_consultation(actor, request_id="failed"))
        raise RuntimeError("injected before the commit")
    # The next unit of work writes only its own event: the dropped one does not come back.
    with app.app_context():
        with transaction():
            record_at_commit(_consultation(actor, request_id="next"))
        rows = db.session.execute(select(AuditEventRow.seq, AuditEventRow.request_id)).all()
    assert [(r.seq, r.request_id) for r in rows] == [(1, "next")]


def test_a_queued_event_whose_commit_fails_is_not_written(app: Flask, actor: FakeActor) -> None:
    _deferred_fk_tables(app)
    with (  # noqa: PT012
        app.app_context(),
        pytest.raises(DBAPIError, match=r"(?i)foreign key"),
        transaction() as session,
    ):
        record_at_commit(_consultation(actor))
        session.execute(text("INSERT INTO t_child (id, parent_id) VALUES (1, 999)"))
    assert event_count(app) == 0
    assert head_seq(app) == 0


@pytest.mark.postgresql_only
@pytest.mark.skipif(backend() != "postgresql", reason="needs concurrent writers (PostgreSQL)")
def test_a_unit_of_work_does_not_hold_the_chain_head_until_its_commit(
    app: Flask, actor: FakeActor
) -> None:
    """While one access renders (event queued, not written) another commits its own event."""
    queued, other_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_page() -> None:
        try:
            with app.app_context():
                with transaction():
                    record_at_commit(_consultation(actor, request_id="slow-page"))
                    queued.set()
                    # If the queue had locked the head, the other writer could not finish.
                    assert other_done.wait(timeout=10)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    def other_writer() -> None:
        try:
            assert queued.wait(timeout=10)
            with app.app_context():
                with transaction():
                    record(_consultation(actor, request_id="other"))
                db.session.remove()
            other_done.set()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=slow_page), threading.Thread(target=other_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    with app.app_context():
        rows = db.session.execute(
            select(AuditEventRow.seq, AuditEventRow.request_id).order_by(AuditEventRow.seq)
        ).all()
    assert [(r.seq, r.request_id) for r in rows] == [(1, "other"), (2, "slow-page")]
