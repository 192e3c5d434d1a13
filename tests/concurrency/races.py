"""Helpers for the race tests: force two requests to interleave, run them together, read forms.

As in ``tests/security/test_sign_in_races.py``: a function that reads the state a request
decides on is wrapped so that each request waits at a barrier after the read, before anything
is written. Without a lock both requests have read before either commits (what a double click
or two people at once produce on PostgreSQL). With one, the second request waits on the lock,
the barrier times out once and breaks, and the requests go through one after the other.
"""

from __future__ import annotations

import contextlib
import html
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest

BARRIER_TIMEOUT = 2.0  # paid once: a broken barrier lets every later wait through at once

_HIDDEN = re.compile(r"<input\b[^>]*\btype=\"hidden\"[^>]*>")
_ATTRIBUTE = re.compile(r'\b(name|value)="([^"]*)"')


def wait_after(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, parties: int = 2) -> None:
    """Make ``owner.name`` wait for ``parties`` callers (or the timeout) after it returns."""
    barrier = threading.Barrier(parties)
    original = getattr(owner, name)

    def then_wait(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=BARRIER_TIMEOUT)
        return result

    monkeypatch.setattr(owner, name, then_wait)


def run_together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run each job in its own thread (its own request, session and connection)."""
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = jobs[i]()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page's form, as a browser would send them back."""
    found: dict[str, str] = {}
    for tag in _HIDDEN.findall(page):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if "name" in attributes:
            found[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return found


def opened_form(client: Any, path: str) -> dict[str, str]:
    """Open a form page; what its hidden inputs (CSRF token included) will send."""
    page = client.get(path)
    assert page.status_code == 200, f"GET {path} answered {page.status_code}"
    fields = hidden_fields(page.get_data(as_text=True))
    assert "csrf_token" in fields
    return fields
