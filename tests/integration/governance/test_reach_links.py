"""An IG officer reaches "who accessed this subject" and "who can access it now" from the access
log: from an event about the subject, and from a search filtered by it."""

from __future__ import annotations

from typing import Any

from tests.integration.governance.conftest import IgWorld, events_of


def _reach_links(html: str, subject_id: Any) -> list[str]:
    return [
        path
        for path in (
            f"/governance/subjects/{subject_id}/accessed",
            f"/governance/subjects/{subject_id}/access",
        )
        if f'href="{path}"' in html
    ]


def test_event_and_subject_search_link_to_who_accessed_and_who_can_access(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    subject_id = w.subject()
    w.grant(subject_id, "csc", profile="FULL", acknowledged=True)
    assert w.browser(w.people["csc"], make_client).get(f"/subjects/{subject_id}").status_code == 200
    [view] = [e for e in events_of(ig.app, "CONSULTATION") if e.subject_id == subject_id]
    browser = w.browser(ig.ig, make_client)

    event_page = browser.get(f"/governance/log/{view.seq}").get_data(as_text=True)
    wanted = [
        f"/governance/subjects/{subject_id}/accessed",
        f"/governance/subjects/{subject_id}/access",
    ]
    assert _reach_links(event_page, subject_id) == wanted
    search = browser.get(f"/governance/log?subject={subject_id.hex}").get_data(as_text=True)
    assert _reach_links(search, subject_id) == wanted
    for path in wanted:
        assert browser.get(path).status_code == 200

    # An event about no subject (a sign-in) offers neither; nor does an unfiltered search.
    [sign_in] = events_of(ig.app, "LOGIN", ig.ig.id)[-1:]
    other = browser.get(f"/governance/log/{sign_in.seq}").get_data(as_text=True)
    assert "/governance/subjects/" not in other
    unfiltered = browser.get("/governance/log?event_type=CONSULTATION").get_data(as_text=True)
    assert "/governance/subjects/" not in unfiltered
