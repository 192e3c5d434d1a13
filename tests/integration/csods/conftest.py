"""Fixtures for the CSODS tests."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.csods.support import CsodsWorld


@pytest.fixture
def world(app: Any, factories: Any) -> CsodsWorld:
    return CsodsWorld(app, factories)


@pytest.fixture
def officer(world: CsodsWorld, make_client: Any) -> FlaskClient:
    return world.browser(world.csods, make_client)


@pytest.fixture
def supervisor(world: CsodsWorld, make_client: Any) -> FlaskClient:
    return world.browser(world.supervisor, make_client)
