"""The run-wide log capture must still be attached after migrations have run."""

import logging

from tests.leaks import CapturingHandler


def test_log_capture_after_migrating_still_sees_application_logs(app):
    # The ``app`` fixture needs the migrated template database, so migrations have run by now.
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, CapturingHandler)]
    assert len(handlers) == 1
    logging.getLogger("portal.test").info("capture-probe-line")
    assert any("capture-probe-line" in line for line in handlers[0].lines)
