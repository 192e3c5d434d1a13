"""Permissions as strings. Which roles hold them is decided in :mod:`portal.access.policy`."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    ACCOUNT_MANAGE = "account:manage"
    HOME_VIEW = "home:view"
    USERS_MANAGE = "users:manage"
    #: Open a subject or record (own agency's, or shared with the actor through a grant).
    SUBJECT_READ = "subject:read"
    #: Open the agency's own subjects and records without a grant, under the owner's policing
    #: purpose (the owner's case staff; never IG officers or administrators).
    SUBJECT_READ_OWN = "subject:read_own"
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
    #: Open a Child Sex Offender Disclosure Scheme application (the owning force's CSODS staff).
    CSODS_READ = "csods:read"
    #: Record CSODS applications, stages and decisions.
    CSODS_WRITE = "csods:write"
    #: Approve a CSODS decision recorded by someone else (a supervisor).
    CSODS_APPROVE = "csods:approve"
    #: Record MAPPA meetings, approve and distribute their minutes, and close actions as chair.
    MEETING_WRITE = "meeting:write"
    #: See the agency's MAPPA actions ("Our actions").
    ACTIONS_VIEW = "actions:view"
    #: Record progress on an action the actor's agency owns (with a live grant for a partner).
    ACTION_UPDATE = "action:update"
    #: Search and read the access log, who accessed and who can access a subject, integrity.
    LOG_READ = "log:read"
    #: Export an access-log search (CSV or JSON) for the ICO or an inquiry.
    LOG_EXPORT = "log:export"
    #: Review and dispose of access alerts (never one's own).
    ALERT_REVIEW = "alert:review"
    #: Open a subject without a grant in an emergency, for a fixed window, with a reason.
    BREAK_GLASS = "break_glass:use"
