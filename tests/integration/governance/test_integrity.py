"""The integrity panel: last checkpoint, last verification, verification run in the background."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from portal.audit.chain import Problem, ProblemKind
from portal.audit.checkpoints import generate_key, load_private_key, take_checkpoint
from portal.audit.models import AuditVerification
from portal.audit.verify import Report, record_result, verify
from portal.config import Settings
from portal.core.identity import Role
from portal.db.transaction import transaction
from portal.extensions import db
from portal.governance import integrity
from tests.conftest import base_settings
from tests.helpers import csrf_token
from tests.integration.governance.conftest import IgWorld, events_of


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    key = tmp_path / "keys" / "checkpoint.key"
    generate_key(key)
    return base_settings(database_url, tmp_path, checkpoint_key_path=key)


def test_verify_now_runs_in_the_background_and_records_the_result(
    ig: IgWorld, make_client: Any, settings: Settings
) -> None:
    assert settings.checkpoint_key_path is not None
    with ig.app.app_context():
        with transaction() as session:
            signed = take_checkpoint(session, load_private_key(settings.checkpoint_key_path))
        db.session.remove()
    browser = ig.world.browser(ig.ig, make_client)
    panel = browser.get("/governance/integrity").get_data(as_text=True)
    assert "None verified yet" in panel  # stored, but no verification has checked it
    assert "Never run" in panel
    token = csrf_token(browser, "/governance/integrity")
    started = browser.post("/governance/integrity/verify", data={"csrf_token": token})
    assert started.status_code == 302
    match = re.search(r"job=([0-9a-f]{32})", started.headers["Location"])
    assert match is not None
    job = integrity.job(match.group(1))
    assert job is not None
    assert job.thread is not None
    job.thread.join(timeout=30)
    assert job.state == "intact", job.message
    after = browser.get(started.headers["Location"]).get_data(as_text=True)
    assert "Intact:" in after
    with ig.app.app_context():
        [result] = db.session.execute(select(AuditVerification)).scalars()
        assert result.intact
        db.session.remove()
    reasons = [json.loads(e.body)["with"] for e in events_of(ig.app, "LOG_READ", ig.ig.id)]
    [verified] = [r for r in reasons if r["reason"] == "verify"]
    assert verified["detail"]["intact"] == "yes"
    again = browser.get("/governance/integrity").get_data(as_text=True)
    assert "Intact up to event" in again
    assert f"Event {signed.seq}, verified" in again


def _checkpoint(app: Any, key: Path) -> int:
    with app.app_context():
        with transaction() as session:
            signed = take_checkpoint(session, load_private_key(key))
        db.session.remove()
    return signed.seq


def _verify_now(app: Any) -> None:
    with app.app_context():
        report = verify()
        with transaction() as session:
            record_result(session, report)
        db.session.remove()


def _store_problem(app: Any) -> None:
    with app.app_context():
        with transaction() as session:
            problem = Problem(ProblemKind.CONTENT_CHANGED, "a row was changed", 1)
            record_result(session, Report("full", problem, 1, 1, None, None, 1, 0))
        db.session.remove()


def _verified_row(html: str) -> str:
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return text.split("Last verified checkpoint")[1].split("Last verification")[0]


def test_the_panel_and_event_page_show_the_last_verified_checkpoint_not_the_newest_stored(
    ig: IgWorld, make_client: Any, settings: Settings, tmp_path: Path
) -> None:
    """audit_checkpoint takes inserts from the web role: its newest row proves nothing until a
    verification has checked its signature. The panel names the checkpoint the last intact
    verification reached; the event page claims coverage only by that one."""
    assert settings.checkpoint_key_path is not None
    browser = ig.world.browser(ig.ig, make_client)
    first = _checkpoint(ig.app, settings.checkpoint_key_path)
    assert "None verified yet" in _verified_row(browser.get("/governance/integrity").text)
    event = browser.get(f"/governance/log/{first - 1}").get_data(as_text=True)
    assert "Not yet covered by a verified checkpoint" in event
    assert "Covered by the checkpoint" not in event

    _verify_now(ig.app)
    # A newer checkpoint signed by a key the portal does not know (as a forger would insert).
    stranger = tmp_path / "stranger" / "checkpoint.key"
    generate_key(stranger)
    forged = _checkpoint(ig.app, stranger)
    assert forged > first
    shown = _verified_row(browser.get("/governance/integrity").text)
    assert f"Event {first}, verified" in shown
    assert f"Event {forged}" not in shown
    covered = browser.get(f"/governance/log/{first - 1}").get_data(as_text=True)
    assert f"Covered by the checkpoint at event {first}, verified" in covered
    beyond = browser.get(f"/governance/log/{forged - 1}").get_data(as_text=True)
    assert "Not yet covered by a verified checkpoint" in beyond

    # A run that found a problem withdraws the claim until a later run finds none.
    _store_problem(ig.app)
    assert "None verified since" in _verified_row(browser.get("/governance/integrity").text)
    assert "Not yet covered" in browser.get(f"/governance/log/{first - 1}").text


@pytest.fixture(autouse=True)
def _own_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no verification jobs in this process."""
    monkeypatch.setattr(integrity, "_JOBS", {})


class _Held:
    """Stands in for the verifier: each run waits until released, then really verifies."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = threading.Event()
        self.started = 0
        self._verify = integrity.verify
        monkeypatch.setattr(integrity, "verify", self)

    def __call__(self, **kwargs: Any) -> Any:
        self.started += 1
        assert self.release.wait(timeout=30)
        return self._verify(**kwargs)


def _start(browser: Any) -> str:
    token = csrf_token(browser, "/governance/integrity")
    started = browser.post("/governance/integrity/verify", data={"csrf_token": token})
    assert started.status_code == 302
    match = re.search(r"job=([0-9a-f]{32})", started.headers["Location"])
    assert match is not None
    return match.group(1)


def _finish(job_id: str) -> None:
    job = integrity.job(job_id)
    assert job is not None
    assert job.thread is not None
    job.thread.join(timeout=30)
    assert not job.thread.is_alive()


def _status(html: str) -> str:
    """The text of the page's role="status" region (there is one)."""
    [region] = re.findall(r'<div[^>]*role="status"[^>]*>(.*?)</div>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", region).split())


def test_a_running_verification_page_never_reloads_itself_and_offers_check_progress(
    ig: IgWorld, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timed refresh fails WCAG 2.2.1 / 3.2.5 (technique F41) and wrote a LOG_READ every two
    seconds: the officer checks progress when they choose to."""
    held = _Held(monkeypatch)
    browser = ig.world.browser(ig.ig, make_client)
    job_id = _start(browser)
    page = f"/governance/integrity?job={job_id}"
    reads = len(events_of(ig.app, "LOG_READ", ig.ig.id))
    html = browser.get(page).get_data(as_text=True)
    assert "http-equiv" not in html.lower()
    assert "Checking:" in _status(html)
    assert re.search(rf'<a href="/governance/integrity\?job={job_id}"[^>]*>\s*Check progress', html)
    assert "Verify the access log now" not in html  # one run at a time: nothing to start
    assert len(events_of(ig.app, "LOG_READ", ig.ig.id)) == reads + 1  # one read, one event
    held.release.set()
    _finish(job_id)
    done = browser.get(page).get_data(as_text=True)
    assert _status(done).startswith("Intact:")
    assert "Check progress" not in done
    assert "Verify the access log now" in done


def test_one_verification_runs_at_a_time_and_few_finished_jobs_are_kept(
    ig: IgWorld, make_client: Any, factories: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _Held(monkeypatch)
    browser = ig.world.browser(ig.ig, make_client)
    other = ig.world.browser(
        factories.user(agency=ig.ig_agency, roles=(Role.IG_OFFICER,), full_name="Ivor Other"),
        make_client,
    )
    first = _start(browser)
    assert _start(browser) == first  # sent again: the running one, not a second
    assert _start(other) == first  # another officer is shown the running one too
    assert "Checking:" in _status(other.get("/governance/integrity").get_data(as_text=True))
    held.release.set()
    _finish(first)
    assert held.started == 1
    assert len(integrity._JOBS) == 1
    ids = [first]
    for _ in range(integrity.KEEP_FINISHED + 2):
        ids.append(_start(browser))
        _finish(ids[-1])
    assert held.started == integrity.KEEP_FINISHED + 3
    assert list(integrity._JOBS) == ids[-integrity.KEEP_FINISHED :]
    # A job no longer kept is simply not shown.
    gone = browser.get(f"/governance/integrity?job={first}").get_data(as_text=True)
    assert 'role="status"' not in gone
