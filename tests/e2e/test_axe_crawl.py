"""Every page the demo accounts can reach by following links, in Chromium, axe-clean.

The journeys check the pages their users pass through; this walks the rest. Each demo account
signs in (password, then TOTP) on the demo data that `flask demo seed` loads, and follows every
link on every page it reaches (GET only, breadth first, at most two pages of one shape, such as
two subjects), and on each page: no server error, no axe violation, the marking at the top and
the bottom, and no console error or Content Security Policy report.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from flask import Flask

from portal import create_app
from portal.core.clock import ShiftedClock
from portal.demo.csods import SUPERVISOR
from portal.demo.data import DEMO_PASSWORD, USERS, DemoUser
from portal.extensions import db
from tests.e2e.test_sharing_journey import Tab

pytestmark = pytest.mark.e2e

#: Links that leave the pages (signing out, files, the API, another site's sign-in).
SKIP = re.compile(r"sign-out|/static/|/assets/|/api/|/oidc|export|download|/print|/healthz")
SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+")
PER_SHAPE = 2
PER_ACCOUNT = 60
#: Every account the README lists.
ACCOUNTS = (*USERS, SUPERVISOR)


@pytest.fixture
def app(settings: Any) -> Iterator[Flask]:
    """The portal with the demo data loaded (`flask demo seed`), as `make run` serves it."""
    app = create_app(settings.with_changes(demo_data=True))
    app.config["TESTING"] = True
    app.extensions["portal.clock"] = ShiftedClock()
    seeded = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _links(page: Any, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    paths = []
    for href in hrefs:
        url, _ = urldefrag(href)
        parts = urlsplit(url)
        if not url.startswith(base) or SKIP.search(parts.path):
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def _inspect(tab: Tab, label: str, problems: list[str]) -> None:
    """axe finds nothing, the marking is top and bottom, and the console stayed quiet."""
    for violation in tab.violations():
        nodes = [html[:120] for html in violation["nodes"][:3]]
        problems.append(f"{label}: axe {violation['id']} {json.dumps(nodes)}")
    banners = tab.markings()
    if len(banners) != 2 or banners[0] != banners[1]:
        problems.append(f"{label}: markings {banners}")
    problems += [f"{label}: {line}" for line in tab.errors]
    tab.errors.clear()


def _crawl(app: Flask, browser: Any, base: str, user: DemoUser) -> tuple[list[str], set[str]]:
    """The problems found on the pages ``user`` reaches, and the shapes of those pages."""
    tab = Tab(browser, base, user.email)
    tab.sign_in(
        app, SimpleNamespace(email=user.email, password=DEMO_PASSWORD, totp_secret=user.totp_secret)
    )
    page = tab.page
    problems: list[str] = []
    shapes: dict[str, int] = {}
    queue: deque[str] = deque(["/"])
    seen = {"/"}
    visited = 0
    visited_paths: list[str] = []
    while queue and visited < PER_ACCOUNT:
        path = queue.popleft()
        shape = SHAPE.sub("#", path)
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        response = page.goto(base + path)
        visited += 1
        status = response.status if response is not None else 0
        if status >= 500 or status == 0:
            problems.append(f"{path}: status {status}")
            continue
        if urlsplit(page.url).path.startswith("/sign-in"):
            problems.append(f"{path}: signed out")
            break
        _inspect(tab, path, problems)
        if urlsplit(page.url).path.endswith("/acknowledge"):
            # Agree to the confidentiality statement, as the user would, and look at what it
            # opens; the lists visited before it show more now, so they are looked at again.
            page.get_by_role("button", name=re.compile("^I agree")).click()
            page.wait_for_load_state()
            _inspect(tab, f"{path} (agreed)", problems)
            opened = SHAPE.sub("#", urlsplit(page.url).path)
            shapes[opened] = shapes.get(opened, 0) + 1
            lists = [p for p in visited_paths if SHAPE.sub("#", p) == p]
            queue.extend(lists)
        visited_paths.append(path)
        for link in _links(page, base):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    tab.context.close()
    assert visited >= 5, f"{user.email} reached only {visited} pages"
    return problems, set(shapes)


#: Pages each account must reach by links alone: the way to every page of its work.
MUST_REACH = {
    "mosovo@police.demo": {
        "/subjects/#/grants",
        "/subjects/#/grants/new",
        "/grants/#/approve",
        "/grants/#/refuse",
        "/subjects/#/access-lists",
        "/subjects/#/records/new",
        "/csods/applications/new",
    },
    "mappa@police.demo": {"/subjects/#/meetings", "/subjects/#/meetings/new", "/meetings/#"},
    "ig@police.demo": {
        "/governance/log/#",
        "/governance/subjects/#/accessed",
        "/governance/subjects/#/access",
        "/governance/alerts/#",
        "/governance/integrity",
    },
    "admin@police.demo": {"/users/#", "/users/#/roles", "/users/#/password", "/users/new"},
    "probation@probation.demo": {"/actions", "/actions/#", "/grants/request", "/records/#"},
    "social@childrens.demo": {"/shared", "/subjects/#", "/actions/#"},
}


def test_every_page_the_demo_accounts_reach_is_axe_clean(app, live_server, chromium):
    problems: list[str] = []
    for user in ACCOUNTS:
        found, reached = _crawl(app, chromium, live_server, user)
        problems += [f"{user.email} {p}" for p in found]
        missing = MUST_REACH.get(user.email, set()) - reached
        problems += [f"{user.email} found no link to {shape}" for shape in sorted(missing)]
    assert not problems, "\n".join(problems)
