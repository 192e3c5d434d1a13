"""Fixtures for the subject and record tests: a police agency, partners and their users."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.subjects.sharing import World


@pytest.fixture
def world(app: Any, factories: Any) -> World:
    return World(app, factories)
