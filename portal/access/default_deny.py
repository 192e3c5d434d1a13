"""Default deny: a request for an endpoint that declares no access rule answers 404."""

from __future__ import annotations

from flask import abort, current_app, request

from portal.access.decorators import declaration_of


def enforce() -> None:
    """``before_request`` hook: 404 unless the matched view carries an access declaration."""
    if request.endpoint is None:
        return  # no route matched: the 404/405 handlers answer
    view = current_app.view_functions.get(request.endpoint)
    if declaration_of(view) is None:
        abort(404)
