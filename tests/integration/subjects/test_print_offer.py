"""The subject page offers printing only to those whose role may print."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from portal.access import gate
from portal.core.identity import Role
from portal.db.transaction import transaction
from tests.helpers import csrf_token, sign_in
from tests.integration.access.world import Sharing


@pytest.fixture
def world(app: Flask, factories: Any) -> Sharing:
    return Sharing(app, factories)


def test_an_ig_officer_under_a_grant_is_not_offered_print(
    world: Sharing, factories: Any, make_client: Any
) -> None:
    subject_id = world.subject()
    ig = factories.user(agency=world.partners["csc"], roles=(Role.IG_OFFICER,))
    worker = world.people["csc"]
    for user in (ig, worker):
        grant_id = world.grant(subject_id, "csc", to_user=user)
        with world.app.app_context(), transaction():
            gate.acknowledge(world.actor(user), grant_id=grant_id)
    path = f"/subjects/{subject_id}"
    offered = {}
    for user in (ig, worker):
        client = make_client()
        assert sign_in(world.app, client, user).status_code == 302
        page = client.get(path)
        assert page.status_code == 200
        offered[user.id] = "Print this subject" in page.get_data(as_text=True)
        printed = client.post(f"{path}/print", data={"csrf_token": csrf_token(client, path)})
        assert (printed.status_code == 200) == offered[user.id], printed.status_code
    assert offered == {ig.id: False, worker.id: True}
