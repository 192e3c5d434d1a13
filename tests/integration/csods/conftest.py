"""Fixtures for the CSODS tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.csods.support import CsodsWorld


@pytest.fixture
def world(app: Any, factories: Any) -> CsodsWorld:
    return CsodsWorld(app, factories)
