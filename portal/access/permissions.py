"""Permissions as strings. Which roles hold them is decided in :mod:`portal.access.policy`."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    ACCOUNT_MANAGE = "account:manage"
    HOME_VIEW = "home:view"
    USERS_MANAGE = "users:manage"
