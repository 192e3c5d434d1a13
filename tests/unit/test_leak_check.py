"""The leak check itself must be able to fail, or "no secrets in logs" proves nothing."""

from tests.leaks import CONTENT_MARKER, leaks_in, remember_secret


def test_leaks_in_with_planted_secret_reports_it():
    remember_secret("a-planted-test-secret-value")
    found = leaks_in(["INFO portal nothing here", "DEBUG x a-planted-test-secret-value y"])
    assert len(found) == 1


def test_leaks_in_with_record_marker_reports_it():
    assert leaks_in([f"body={CONTENT_MARKER}"])


def test_leaks_in_with_clean_lines_reports_nothing():
    assert leaks_in(["INFO portal signed in", "GET /healthz 200"]) == []


def test_recording_client_registers_session_cookie(app, client, factories):
    from tests.helpers import sign_in
    from tests.leaks import secrets

    user = factories.user()
    sign_in(app, client, user)
    name = app.extensions["portal.settings"].session_cookie_name
    assert client.get_cookie(name).value in secrets()
