"""Domain exceptions and how they become HTTP answers, in one place.

Error pages reveal nothing: no stack trace, no record content, no hint whether a record exists.
Handlers only render; they never touch the database session.
"""

from __future__ import annotations

import logging
import traceback

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("portal.errors")


class PortalError(Exception):
    status = 400
    title = "There is a problem"


class Unauthenticated(PortalError):
    status = 401
    title = "Sign in to continue"


class Forbidden(PortalError):
    status = 403
    title = "You do not have access to this page"


class NotFound(PortalError):
    status = 404
    title = "Page not found"


class ConflictError(PortalError):
    status = 409
    title = "This was changed by someone else"


class StateTransitionError(ConflictError):
    pass


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int) -> tuple[Response | str, int]:
    if _wants_json():
        body = {"error": {"status": status, "request_id": g.get("request_id", "")}}
        return jsonify(body), status
    template = {401: "403", 403: "403", 404: "404", 405: "404"}.get(status, "500")
    if 400 <= status < 500 and status not in (401, 403, 404, 405):
        template = "400"
    # Error pages never look up the signed-in user: the database may be what failed.
    return render_template(f"errors/{template}.html", status=status, hide_account=True), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PortalError)
    def portal_error(exc: PortalError) -> tuple[Response | str, int]:
        return _render(exc.status)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        return _render(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        # The type and the frames, never the message: messages can carry SQL parameters.
        log.error(
            "unhandled %s on %s %s\n%s",
            type(exc).__name__,
            request.method,
            request.path,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return _render(500)
