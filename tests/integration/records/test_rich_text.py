"""Rich text with <script>, event-handler attributes and javascript: links is stored sanitised
and shown inert; only stored clean HTML is ever marked safe in a template."""

from __future__ import annotations

import re
from pathlib import Path

from portal.config import ROOT
from portal.records.models import SharedRecord
from tests.integration.records.test_create_record import answers, post
from tests.leaks import CONTENT_MARKER

HOSTILE = (
    "<p>Intro <strong>bold</strong></p>"
    "<script>window.__pwned=1</script>"
    '<img src=x onerror="window.__pwned=1">'
    '<p onclick="window.__pwned=1" style="color:red">click</p>'
    '<a href="javascript:window.__pwned=1">bad link</a>'
    '<a href=" JaVaScRiPt:alert(1)">spaced link</a>'
    '<a href="https://example.org/ok" onmouseover="x()">good link</a>'
    '<iframe src="https://evil.example"></iframe>'
    f"<p>{CONTENT_MARKER}</p>"
)


def test_hostile_rich_text_is_stored_sanitised(world, make_client):
    subject_id = world.subject()
    officer = world.browser(world.officer, make_client)

    response = post(officer, f"/subjects/{subject_id}/records/new", answers(body=HOSTILE))

    assert response.status_code == 302
    with world.app.app_context():
        from portal.extensions import db

        body = db.session.query(SharedRecord).one().body
    lowered = body.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert "<iframe" not in lowered
    assert not re.search(r"\son[a-z]+\s*=", lowered)
    assert 'href="javascript' not in lowered
    assert 'href=" javascript' not in lowered
    assert "style=" not in lowered
    assert "<strong>bold</strong>" in body
    assert '<a href="https://example.org/ok" rel="noopener noreferrer">good link</a>' in body
    assert "<a>bad link</a>" in body or "bad link" in body


def test_hostile_rich_text_is_shown_inert_on_every_page(world, make_client):
    subject_id = world.subject()
    officer = world.browser(world.officer, make_client)
    post(officer, f"/subjects/{subject_id}/records/new", answers(body=HOSTILE))
    with world.app.app_context():
        from portal.extensions import db

        record_id = db.session.query(SharedRecord.id).scalar()
    world.grant(subject_id, "csc", profile="FULL", acknowledged=True)
    social = world.browser(world.people["csc"], make_client)

    for client, path in (
        (officer, f"/subjects/{subject_id}"),
        (officer, f"/records/{record_id}"),
        (officer, f"/records/{record_id}/edit"),
        (social, f"/subjects/{subject_id}"),
        (social, f"/records/{record_id}"),
    ):
        html = client.get(path).get_data(as_text=True)
        assert CONTENT_MARKER in html, path
        # The page's own scripts are the GOV.UK line and app.js, both with the CSP nonce.
        scripts = re.findall(r"<script\b[^>]*>", html, re.I)
        assert all("nonce=" in tag for tag in scripts), (path, scripts)
        assert len(scripts) == 2, path
        assert not re.search(r"<[a-z]+[^>]*\son[a-z]+\s*=", html, re.I), path
        assert not re.search(r"href\s*=\s*\"\s*javascript:", html, re.I), path
        assert "<img" not in html.lower(), path
        assert "<iframe" not in html.lower(), path


def test_only_the_rich_text_macro_marks_html_safe():
    """`| safe` and `Markup(` appear in one template macro, given only stored clean HTML."""
    users = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if "|safe" in text.replace(" ", "") or "Markup(" in text:
            users.append(str(path.relative_to(ROOT)))
    assert users == ["templates/subjects/_macros.html"]
    macros = Path(ROOT / "templates/subjects/_macros.html").read_text(encoding="utf-8")
    assert macros.replace(" ", "").count("|safe") == 1
    assert "clean_rich_text" in macros  # the comment says why it is safe
