"""The integrity panel: last checkpoint, last verification, verification run in the background."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from portal.audit.checkpoints import generate_key, load_private_key, take_checkpoint
from portal.audit.models import AuditVerification
from portal.config import Settings
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
    assert f"Event {signed.seq}" in panel
    assert signed.key_id in panel
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
    assert "Intact up to event" in browser.get("/governance/integrity").get_data(as_text=True)
