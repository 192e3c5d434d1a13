"""Home page, ``/healthz`` and static files (GOV.UK Frontend assets and the portal's own)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, send_from_directory
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from portal.access.decorators import public, requires
from portal.access.permissions import Permission
from portal.config import ROOT
from portal.extensions import db

bp = Blueprint("home", __name__)

STATIC_DIR = ROOT / "static"
GOVUK_ASSETS = STATIC_DIR / "govuk" / "assets"


@bp.get("/")
@requires(Permission.HOME_VIEW)
def index() -> ResponseReturnValue:
    return render_template("home/index.html")


@bp.get("/healthz")
@public(reason="load balancers and monitoring check the service without signing in")
def healthz() -> ResponseReturnValue:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/static/<path:filename>")
@public(reason="CSS, JavaScript, fonts and images carry no protected data")
def static(filename: str) -> Response:
    return send_from_directory(STATIC_DIR, filename)


@bp.get("/assets/<path:filename>")
@public(reason="GOV.UK Frontend's stylesheet refers to its fonts and images under /assets")
def govuk_assets(filename: str) -> Response:
    return send_from_directory(GOVUK_ASSETS, filename)
