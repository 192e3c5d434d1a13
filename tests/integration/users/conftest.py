"""Fixtures for the user administration tests: two agencies, an administrator, browsers."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.agencies.models import AgencyType
from portal.core.clock import ShiftedClock
from portal.core.identity import Role
from tests.helpers import sign_in
from tests.integration.users.support import NEXT_STEP


@pytest.fixture
def police(factories: Any) -> Any:
    return factories.agency(name="Northshire Police", type=AgencyType.POLICE.value)


@pytest.fixture
def probation(factories: Any) -> Any:
    return factories.agency(name="Northshire Probation", type=AgencyType.PROBATION.value)


@pytest.fixture
def police_admin(factories: Any, police: Any) -> Any:
    return factories.user(agency=police, roles=(Role.AGENCY_ADMIN,), full_name="Pat Admin")


@pytest.fixture
def admin_client(app: Flask, client: FlaskClient, police_admin: Any) -> FlaskClient:
    """The police administrator, signed in."""
    response = sign_in(app, client, police_admin)
    assert response.status_code == 302
    return client


@pytest.fixture
def signed_in(app: Flask, clock: ShiftedClock, make_client: Any) -> Any:
    """``signed_in(user)``: a new browser signed in as ``user`` (a fresh TOTP step each time)."""

    def run(user: Any) -> FlaskClient:
        clock.advance(NEXT_STEP)
        browser: FlaskClient = make_client()
        response = sign_in(app, browser, user)
        assert response.status_code == 302, "sign-in refused"
        assert browser.get("/").status_code == 200
        return browser

    return run
