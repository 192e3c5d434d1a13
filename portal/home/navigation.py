"""The service navigation: the links a signed-in user's permissions open."""

from __future__ import annotations

from flask import request, url_for
from flask_login import current_user

from portal.access.permissions import Permission
from portal.access.policy import permissions_for

#: (endpoint, label, permission needed), in display order.
NAVIGATION: tuple[tuple[str, str, Permission], ...] = (
    ("home.index", "Home", Permission.HOME_VIEW),
    ("subjects.list_subjects", "Subjects", Permission.SUBJECT_WRITE),
    ("subjects.shared_with_agency", "Shared with my agency", Permission.SUBJECT_READ),
    ("meetings.our_actions", "Actions", Permission.ACTIONS_VIEW),
    ("grants.pending_requests", "Requests for access", Permission.GRANT_MANAGE),
    ("grants.request_access", "Ask for access", Permission.GRANT_REQUEST),
    ("csods.case_list", "Disclosure scheme", Permission.CSODS_READ),
    ("users.list_users", "Users", Permission.USERS_MANAGE),
    ("governance.log_search", "Access log", Permission.LOG_READ),
    ("governance.alert_queue", "Alerts", Permission.ALERT_REVIEW),
    ("governance.integrity_panel", "Integrity", Permission.LOG_READ),
    ("auth.account", "Your account", Permission.ACCOUNT_MANAGE),
)


def nav_items() -> list[dict[str, object]]:
    held = permissions_for(frozenset(current_user.roles))
    return [
        {"href": url_for(endpoint), "text": label, "active": request.endpoint == endpoint}
        for endpoint, label, permission in NAVIGATION
        if permission in held
    ]
