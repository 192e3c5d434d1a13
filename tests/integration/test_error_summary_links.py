"""Every form's error state follows the GOV.UK error pattern, on the demo data.

Each case signs a demo account in, sends a form empty or wrong, and reads the page again:

- the title starts with "Error: ";
- there is exactly one error summary, first in ``<main>`` (after the back link, if any);
- every link in it points at ``#id`` where that element exists and is the control to fix: a text
  box, text area, select, the first radio or checkbox of a group, or the first box of a date;
- the control sits in a ``govuk-form-group--error`` that shows the same message inline.

A refusal of the page as a whole (a step not open at the application's stage) has no answer to
correct: the summary links to the page's button, which has no inline message.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import create_app
from portal.access.models import AccessGrant
from portal.config import Settings
from portal.core.clock import ShiftedClock
from portal.csods.models import CsodsApplication
from portal.demo.csods import SUPERVISOR
from portal.demo.data import DEMO_PASSWORD, USERS
from portal.extensions import db
from portal.governance.models import Alert
from portal.meetings.models import Meeting, MeetingAction
from portal.records.models import SharedRecord
from portal.subjects.models import Subject
from portal.users.models import User
from tests.helpers import csrf_token, sign_in, submit_password

# --- A small DOM from the standard library's parser -----------------------------------------

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def find_all(self, predicate: Callable[[Node], bool]) -> list[Node]:
        return [n for n in self.walk() if predicate(n)]

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


# --- The checks -----------------------------------------------------------------------------


def _inline_message(group: Node) -> str:
    """A form group's own error message, without its visually hidden "Error:" prefix."""
    messages = group.find_all(lambda n: "govuk-error-message" in n.classes)
    assert messages, f"no inline error message in the form group of {group.attrs}"
    return messages[0].text().removeprefix("Error:").strip()


def _is_the_control(target: Node) -> bool:
    if target.tag in ("textarea", "select"):
        return True
    if target.tag != "input" or target.attrs.get("type") in ("hidden", "submit"):
        return False
    kind = target.attrs.get("type", "text")
    if kind in ("radio", "checkbox"):  # the first of its group
        group = [
            n
            for n in _page_of(target).walk()
            if n.tag == "input" and n.attrs.get("name") == target.attrs.get("name")
        ]
        return group[0] is target
    if "govuk-date-input__input" in target.classes:  # the first box of its date
        date = next(a for a in target.ancestors() if "govuk-date-input" in a.classes)
        boxes = date.find_all(lambda n: n.tag == "input")
        with_error = [b for b in boxes if "govuk-input--error" in b.classes] or boxes
        return with_error[0] is target
    return True


def _page_of(node: Node) -> Node:
    return list(node.ancestors())[-1]


def error_pattern_problems(html: str) -> list[str]:
    """What this page's error state gets wrong (empty when it follows the pattern)."""
    page = parse(html)
    problems: list[str] = []
    title = page.find_all(lambda n: n.tag == "title")[0]  # the <head>'s, before any SVG's
    if not title.text().startswith("Error: "):
        problems.append(f"title {title.text()!r} does not start with 'Error: '")
    summaries = page.find_all(lambda n: "govuk-error-summary" in n.classes)
    if len(summaries) != 1:
        problems.append(f"{len(summaries)} error summaries")
    if not summaries:
        return problems
    [main] = page.find_all(lambda n: n.tag == "main")
    first = [n for n in main.children if isinstance(n, Node) and "govuk-back-link" not in n.classes]
    if first[0] is not summaries[0]:
        problems.append("the error summary is not the first thing in <main>")
    ids: dict[str, list[Node]] = {}
    for node in page.walk():
        if "id" in node.attrs:
            ids.setdefault(node.attrs["id"], []).append(node)
    for link in summaries[0].find_all(lambda n: n.tag == "a"):
        problems.extend(_link_problems(link.attrs.get("href", ""), link.text(), ids))
    return problems


def _link_problems(href: str, text: str, ids: dict[str, list[Node]]) -> list[str]:
    if not href.startswith("#") or href[1:] not in ids:
        return [f"summary link {href!r} ({text!r}) points at nothing"]
    if len(ids[href[1:]]) > 1:
        return [f"summary link {href!r} ({text!r}): that id is on the page twice"]
    target = ids[href[1:]][0]
    if target.tag == "button" and target.attrs.get("type", "submit") == "submit":
        return []  # a refusal of the page as a whole is shown against its button
    if not _is_the_control(target):
        return [f"summary link {href!r} ({text!r}) points at a <{target.tag}>"]
    # A date's boxes each sit in a group of their own inside the date's group.
    date = next((a for a in target.ancestors() if "govuk-date-input" in a.classes), target)
    group = next((a for a in date.ancestors() if "govuk-form-group" in a.classes), None)
    if group is None or "govuk-form-group--error" not in group.classes:
        return [f"{href!r} ({text!r}) is not in a govuk-form-group--error"]
    inline = _inline_message(group)
    if inline != text:
        return [f"{href!r}: summary says {text!r}, the field says {inline!r}"]
    return []


# --- The demo world ---------------------------------------------------------------------------

ACCOUNTS = {spec.email: spec for spec in (*USERS, SUPERVISOR)}


@pytest.fixture
def demo_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings.with_changes(demo_data=True))
    app.config["TESTING"] = True
    app.extensions["portal.clock"] = ShiftedClock()
    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def browser(app: Flask, email: str) -> FlaskClient:
    spec = ACCOUNTS[email]
    client = app.test_client()
    account = SimpleNamespace(email=email, password=DEMO_PASSWORD, totp_secret=spec.totp_secret)
    response = sign_in(app, client, account)
    assert response.status_code == 302, f"{email} could not sign in"
    return client


def first_id(app: Flask, statement: Any) -> uuid.UUID:
    with app.app_context():
        found = db.session.execute(statement.limit(1)).scalar_one_or_none()
    assert found is not None, f"no demo row for {statement}"
    return uuid.UUID(str(found))


def police_subject(app: Flask) -> uuid.UUID:
    return first_id(app, select(Subject.id).order_by(Subject.family_name))


def grant(app: Flask, status: str) -> uuid.UUID:
    return first_id(
        app, select(AccessGrant.id).where(AccessGrant.status == status).order_by(AccessGrant.id)
    )


def application(app: Flask, stage: str) -> uuid.UUID:
    return first_id(
        app,
        select(CsodsApplication.id)
        .where(CsodsApplication.stage == stage)
        .order_by(CsodsApplication.id),
    )


def first_of(app: Flask, model: Any) -> uuid.UUID:
    """The id of one demo row of ``model`` (the same one each run)."""
    return first_id(app, select(model.id).order_by(model.id))


def every_subject(app: Flask) -> list[uuid.UUID]:
    with app.app_context():
        return list(db.session.execute(select(Subject.id).order_by(Subject.family_name)).scalars())


def demo_user(app: Flask, email: str) -> uuid.UUID:
    return first_id(app, select(User.id).where(User.email == email))


@dataclass(frozen=True)
class Case:
    email: str
    #: The form's page (or candidates: the first that shows the form is used).
    path: Callable[[Flask], str | list[str]]
    data: dict[str, Any] = field(default_factory=dict)
    method: str = "post"
    #: The path redirects to a confidentiality statement the user agrees to first.
    acknowledge_first: bool = False
    #: Where the CSRF token is read (the form's own page unless given).
    token_from: Callable[[Flask], str] | None = None


BAD_DATE = ["31", "2", "2026"]
DATE_ONLY_MONTH_WRONG = ["1", "13", "2026"]

MOSOVO, MAPPA, IG = "mosovo@police.demo", "mappa@police.demo", "ig@police.demo"
ADMIN, PROBATION, HOUSING = "admin@police.demo", "probation@probation.demo", "housing@housing.demo"

CASES: dict[str, Case] = {
    # Account
    "change password": Case(MOSOVO, lambda app: "/account/password"),
    # Subjects and records
    "new subject": Case(MOSOVO, lambda app: "/subjects/new", {"date_of_birth": BAD_DATE}),
    "edit subject": Case(
        MOSOVO,
        lambda app: f"/subjects/{police_subject(app)}/edit",
        {"family_name": "", "date_of_birth": DATE_ONLY_MONTH_WRONG},
    ),
    "new record": Case(MOSOVO, lambda app: f"/subjects/{police_subject(app)}/records/new"),
    "edit record": Case(
        MOSOVO,
        lambda app: f"/records/{first_of(app, SharedRecord)}/edit",
        {"title": ""},
    ),
    # Grants
    "new grant": Case(
        MOSOVO,
        lambda app: f"/subjects/{police_subject(app)}/grants/new",
        {"expires_on": BAD_DATE, "starts_on": BAD_DATE},
    ),
    "request access": Case(PROBATION, lambda app: "/grants/request", {"expires_on": BAD_DATE}),
    "approve request": Case(
        MOSOVO,
        lambda app: f"/grants/{grant(app, 'REQUESTED')}/approve",
        {"expires_on": BAD_DATE},
    ),
    "refuse request": Case(MOSOVO, lambda app: f"/grants/{grant(app, 'REQUESTED')}/refuse"),
    "revoke grant": Case(MOSOVO, lambda app: f"/grants/{grant(app, 'ACTIVE')}/revoke"),
    "suspend grant": Case(MOSOVO, lambda app: f"/grants/{grant(app, 'ACTIVE')}/suspend"),
    "renew grant": Case(
        MOSOVO, lambda app: f"/grants/{grant(app, 'ACTIVE')}/renew", {"expires_on": BAD_DATE}
    ),
    "exclusion list": Case(
        MOSOVO,
        lambda app: f"/subjects/{police_subject(app)}/access-lists",
        {"kind": "EXCLUSION", "members": "nobody@nowhere.test"},
    ),
    "restriction list": Case(
        MOSOVO,
        lambda app: f"/subjects/{police_subject(app)}/access-lists",
        {"kind": "RESTRICTION", "members": "nobody@nowhere.test"},
    ),
    # Governance
    "log search": Case(
        IG, lambda app: "/governance/log?date_from=yesterday&subject=nobody", method="get"
    ),
    "log export": Case(
        IG,
        lambda app: "/governance/log/export",
        {"event_type": "LOGIN", "format": "csv", "recipient": ""},
        token_from=lambda app: "/governance/log?event_type=LOGIN",
    ),
    "log export with wrong filters": Case(
        IG,
        lambda app: "/governance/log/export",
        {"date_from": "yesterday", "format": "csv", "recipient": "Information Commissioner"},
        token_from=lambda app: "/governance/log?event_type=LOGIN",
    ),
    "alert review": Case(
        IG,
        lambda app: f"/governance/alerts/{first_of(app, Alert)}",
    ),
    "break-glass": Case(
        HOUSING, lambda app: [f"/governance/break-glass/{s}" for s in every_subject(app)]
    ),
    # Meetings and actions
    "new meeting": Case(
        MAPPA,
        lambda app: f"/subjects/{police_subject(app)}/meetings/new",
        {"kind": "REVIEW", "level": "2", "location": "Room 1", "mappa_area": "Northshire"}
        | {"held_on": BAD_DATE},
    ),
    "edit meeting": Case(
        MAPPA,
        lambda app: f"/meetings/{first_of(app, Meeting)}/edit",
        {"held_on": BAD_DATE},
    ),
    "amend minutes": Case(MAPPA, lambda app: f"/meetings/{first_of(app, Meeting)}/amend"),
    "add action": Case(
        MAPPA,
        lambda app: f"/meetings/{first_of(app, Meeting)}/actions/new",
        {"description": "Visit", "pillar": "SUPERVISION", "owner_person": "A Officer"}
        | {"due_on": BAD_DATE},
    ),
    "action progress": Case(
        PROBATION,
        acknowledge_first=True,
        path=lambda app: "/actions/{}".format(
            first_id(
                app,
                select(MeetingAction.id)
                .where(MeetingAction.status == "OPEN")
                .where(
                    MeetingAction.owner_agency_id.in_(
                        select(User.agency_id).where(User.email == PROBATION)
                    )
                )
                .order_by(MeetingAction.id),
            )
        ),
    ),
    # CSODS
    "new application": Case(
        MOSOVO, lambda app: "/csods/applications/new", {"received_on": BAD_DATE}
    ),
    "add child": Case(
        MOSOVO,
        lambda app: f"/csods/applications/{application(app, 'RECEIVED')}/children/new",
        {"child_date_of_birth": BAD_DATE},
    ),
    "scope step": Case(
        MOSOVO, lambda app: f"/csods/applications/{application(app, 'INITIAL_CHECKS')}/scope"
    ),
    "decision step": Case(
        MOSOVO,
        lambda app: f"/csods/applications/{application(app, 'DECISION_FORUM')}/decision",
    ),
    "delivery step": Case(
        MOSOVO,
        lambda app: "/csods/applications/{}/deliver-disclosure".format(
            application(app, "APPROVED")
        ),
        {"delivered_on": BAD_DATE},
    ),
    "step refused at this stage": Case(
        MOSOVO, lambda app: f"/csods/applications/{application(app, 'RECEIVED')}/approve"
    ),
    # Users
    "add user": Case(ADMIN, lambda app: "/users/new"),
    "change roles": Case(
        ADMIN, lambda app: f"/users/{demo_user(app, MAPPA)}/roles", {"clearance": ""}
    ),
    "set password": Case(ADMIN, lambda app: f"/users/{demo_user(app, MAPPA)}/password"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_form_error_state_follows_the_govuk_error_pattern(demo_app: Flask, name: str) -> None:
    case = CASES[name]
    client = browser(demo_app, case.email)
    path = case.path(demo_app)
    if isinstance(path, list):
        path = next(p for p in path if client.get(p).status_code == 200)
    if case.acknowledge_first:
        statement = client.get(path).headers["Location"]
        agreed = client.post(statement, data={"csrf_token": csrf_token(client, statement)})
        assert agreed.status_code == 302
    if case.method == "get":
        response = client.get(path)
    else:
        token = csrf_token(client, case.token_from(demo_app) if case.token_from else path)
        response = client.post(path, data={"csrf_token": token, **case.data})
    assert response.status_code in (200, 400), response.status_code
    assert error_pattern_problems(response.get_data(as_text=True)) == []


def test_sign_in_error_state_follows_the_govuk_error_pattern(demo_app: Flask) -> None:
    client = demo_app.test_client()
    empty = client.post("/sign-in", data={"csrf_token": csrf_token(client)})
    assert error_pattern_problems(empty.get_data(as_text=True)) == []
    wrong = submit_password(client, MOSOVO, "not-the-password")
    assert error_pattern_problems(wrong.get_data(as_text=True)) == []


def test_security_code_error_state_follows_the_govuk_error_pattern(demo_app: Flask) -> None:
    client = demo_app.test_client()
    assert submit_password(client, MOSOVO, DEMO_PASSWORD).status_code == 302
    path = "/sign-in/security-code"
    for code in ("", "000000"):
        response = client.post(path, data={"csrf_token": csrf_token(client, path), "code": code})
        assert error_pattern_problems(response.get_data(as_text=True)) == []
