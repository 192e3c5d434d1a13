"""Rules read from the source: one commit point, and nothing protected is ever streamed.

ARCHITECTURE.md rules 2 and 7; SPEC C4 ("the response body is sent only after that transaction
commits").
"""

from __future__ import annotations

import ast
from pathlib import Path

from portal.config import ROOT

PORTAL = ROOT / "portal"
COMMIT_POINT = PORTAL / "db" / "transaction.py"
ENDING_CALLS = {"commit", "rollback"}
#: Calls that give a browser a signed-in session (ASVS 6.3.4: no undocumented way in).
SESSION_MAKERS = {"start_session", "create_session_row", "adopt", "login_user"}
#: Where they may be called: the password + TOTP service, the OIDC sign-in, the session store.
SIGN_IN_MODULES = {"portal/auth/service.py", "portal/auth/oidc.py", "portal/auth/sessions.py"}


def _modules() -> list[Path]:
    return sorted(PORTAL.rglob("*.py"))


def ending_calls(source: str) -> list[tuple[int, str]]:
    """(line, name) of every ``<anything>.commit(...)`` or ``.rollback(...)`` call."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ENDING_CALLS
        ):
            found.append((node.lineno, node.func.attr))
    return found


def called_names(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, name) of every call to a function or method called one of ``names``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in names:
                found.append((node.lineno, name))
    return found


def streaming_uses(source: str) -> list[int]:
    """Lines that import or refer to ``stream_with_context`` in any form."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom | ast.Import):
            if any(alias.name.split(".")[-1] == "stream_with_context" for alias in node.names):
                found.append(node.lineno)
        elif (isinstance(node, ast.Attribute) and node.attr == "stream_with_context") or (
            isinstance(node, ast.Name) and node.id == "stream_with_context"
        ):
            found.append(node.lineno)
    return found


def test_ending_calls_detects_commit_and_rollback_in_any_form():
    source = "db.session.commit()\nsession().rollback()\nx.commit\nconn.commit(1)\ncommit()\n"
    assert sorted(ending_calls(source)) == [(1, "commit"), (2, "rollback"), (4, "commit")]


def test_streaming_uses_detects_imports_and_attributes():
    source = (
        "from flask import stream_with_context\n"
        "import flask\n"
        "flask.stream_with_context(g)\n"
        "from flask import stream_with_context as s\n"
    )
    assert sorted(streaming_uses(source)) == [1, 3, 4]


def test_commit_and_rollback_appear_only_in_transaction_module():
    modules = _modules()
    assert COMMIT_POINT in modules
    assert len(modules) > 20
    offenders = {}
    for path in modules:
        if path == COMMIT_POINT:
            continue
        calls = ending_calls(path.read_text(encoding="utf-8"))
        if calls:
            offenders[str(path.relative_to(ROOT))] = calls
    assert not offenders, f"only portal/db/transaction.py may commit or roll back: {offenders}"
    assert {name for _, name in ending_calls(COMMIT_POINT.read_text(encoding="utf-8"))} == {
        "commit",
        "rollback",
    }


def test_stream_with_context_is_never_used_in_portal():
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in _modules()
        if (lines := streaming_uses(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"protected content is never streamed: {offenders}"


def test_called_names_finds_plain_and_method_calls():
    source = "start_session(s)\nservice.start_session(s)\nx = start_session\nsession.adopt(t, r)\n"
    assert sorted(called_names(source, SESSION_MAKERS)) == [
        (1, "start_session"),
        (2, "start_session"),
        (4, "adopt"),
    ]


def test_sessions_are_created_only_by_the_reviewed_sign_in_modules():
    makers = {
        str(path.relative_to(ROOT)): calls
        for path in _modules()
        if (calls := called_names(path.read_text(encoding="utf-8"), SESSION_MAKERS))
    }
    assert "portal/auth/service.py" in makers
    unreviewed = {
        module: calls for module, calls in makers.items() if module not in SIGN_IN_MODULES
    }
    assert not unreviewed, f"new ways to create a signed-in session need review: {unreviewed}"
