"""Permissions as strings. Which roles hold them is decided in :mod:`portal.access.policy`."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    ACCOUNT_MANAGE = "account:manage"
    HOME_VIEW = "home:view"
    USERS_MANAGE = "users:manage"
    #: Open a subject or record (own agency's, or shared with the actor through a grant).
    SUBJECT_READ = "subject:read"
    #: Create and edit the agency's own subjects.
    SUBJECT_WRITE = "subject:write"
    #: Print or download a subject (a disclosure).
    SUBJECT_PRINT = "subject:print"
    #: Create and edit the agency's own shared records.
    RECORD_WRITE = "record:write"
    #: Grant, approve, refuse, revoke, suspend, resume and renew access to the agency's subjects.
    GRANT_MANAGE = "grant:manage"
    #: Ask another agency for access to one of its subjects.
    GRANT_REQUEST = "grant:request"
    #: Keep a subject's exclusion and restriction lists.
    LAO_MANAGE = "lao:manage"
    #: Search and read the access log, who accessed and who can access a subject, integrity.
    LOG_READ = "log:read"
    #: Export an access-log search (CSV or JSON) for the ICO or an inquiry.
    LOG_EXPORT = "log:export"
    #: Review and dispose of access alerts (never one's own).
    ALERT_REVIEW = "alert:review"
    #: Open a subject without a grant in an emergency, for a fixed window, with a reason.
    BREAK_GLASS = "break_glass:use"
