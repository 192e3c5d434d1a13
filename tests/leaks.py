"""Secrets the tests create, and the check that none of them ever reaches a log.

Factories register every password and TOTP secret they make, the session-cookie helper every
session token it sees, and record fixtures plant :data:`CONTENT_MARKER` in record bodies. After
each test the audit event bodies of its database are scanned, and at the end of the run every
application log line captured during the run; any hit fails the run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

#: Planted in the body of test records: it must never appear in an audit event or a log line.
CONTENT_MARKER = "RECORD-CONTENT-MARKER-5f1e9c"

_secrets: set[str] = {CONTENT_MARKER}


def remember_secret(value: str | None) -> None:
    if value and len(value) >= 8:
        _secrets.add(value)


def secrets() -> frozenset[str]:
    return frozenset(_secrets)


def leaks_in(texts: Iterable[str]) -> list[str]:
    """Every (secret prefix, text excerpt) where a registered secret appears in ``texts``."""
    found = []
    known = secrets()
    for text in texts:
        for secret in known:
            if secret in text:
                found.append(f"{secret[:6]}… in {text[:120]!r}")
    return found


class CapturingHandler(logging.Handler):
    """Keeps every formatted log line of the run (application, Werkzeug, SQLAlchemy)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.lines.append(repr(record.msg))
