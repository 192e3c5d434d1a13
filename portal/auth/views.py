"""Sign-in pages: password, security code, authenticator set-up, sign-out, password change."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.access.decorators import public, requires
from portal.access.permissions import Permission
from portal.auth import oidc, service, totp
from portal.auth.forms import ChangePasswordForm, SecurityCodeForm, SignInForm
from portal.auth.redirects import safe_next
from portal.auth.sessions import ServerSession
from portal.config import Settings
from portal.core.actor import current_actor
from portal.core.error_summary import form_status
from portal.db.transaction import transaction

bp = Blueprint("auth", __name__)

REFUSED = (
    "The email address, password or security code is not right, or sign-in is paused after "
    "too many attempts. Wait a few minutes and try again, or ask your agency administrator."
)


def _session() -> ServerSession:
    current = session._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(current, ServerSession):
        raise RuntimeError("the portal's server-side session interface is not installed")
    return current


def _settings() -> Settings:
    settings: Settings = current_app.extensions["portal.settings"]
    return settings


@bp.route("/sign-in", methods=["GET", "POST"])
@public(reason="the sign-in page must be reachable before signing in")
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return _sign_in_page(form)
    with transaction():
        outcome = service.check_password_step(
            _session(),
            _settings(),
            email=form.email.data or "",
            password=form.password.data or "",
            next_url=safe_next(form.next.data),
        )
    if not outcome.accepted:
        form.email.errors = [REFUSED]
        return _sign_in_page(form)
    if outcome.needs_enrolment:
        return redirect(url_for("auth.set_up_authenticator"))
    return redirect(url_for("auth.security_code"))


def _sign_in_page(form: SignInForm) -> ResponseReturnValue:
    page = render_template(
        "auth/sign_in.html", form=form, oidc_providers=_settings().oidc_providers
    )
    return page, form_status(form)


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@public(reason="second step of signing in, before a session exists")
def security_code() -> ResponseReturnValue:
    form = SecurityCodeForm()
    with transaction():
        user = service.pending_user(_session())
        if user is None or user.totp_secret is None:
            return redirect(url_for("auth.sign_in"))
        if not form.validate_on_submit():
            return render_template("auth/security_code.html", form=form), form_status(form)
        next_url = service.check_totp_step(
            _session(), _settings(), user=user, code=form.code.data or "", enrolling=False
        )
    if next_url is None:
        form.code.errors = [REFUSED]
        return render_template("auth/security_code.html", form=form), form_status(form)
    return redirect(safe_next(next_url))


@bp.route("/sign-in/set-up-authenticator", methods=["GET", "POST"])
@public(reason="first sign-in enrols the second factor before a session exists")
def set_up_authenticator() -> ResponseReturnValue:
    form = SecurityCodeForm()
    with transaction():
        user = service.pending_user(_session())
        if user is None or user.totp_secret is not None:
            return redirect(url_for("auth.sign_in"))
        secret = service.enrolment_secret(_session())
        if form.validate_on_submit():
            next_url = service.check_totp_step(
                _session(), _settings(), user=user, code=form.code.data or "", enrolling=True
            )
            if next_url is not None:
                return redirect(safe_next(next_url))
            form.code.errors = [REFUSED]
        uri = totp.provisioning_uri(secret, user.email)
        page = render_template(
            "auth/set_up_authenticator.html", form=form, qr=totp.qr_svg(uri), secret=secret
        )
    return page, form_status(form)


@bp.post("/sign-out")
@requires(Permission.ACCOUNT_MANAGE)
def sign_out() -> ResponseReturnValue:
    with transaction():
        service.sign_out(_session(), current_actor())
    return redirect(url_for("auth.signed_out"))


@bp.get("/signed-out")
@public(reason="confirms sign-out to someone who no longer has a session")
def signed_out() -> ResponseReturnValue:
    return render_template("auth/signed_out.html")


@bp.get("/account")
@requires(Permission.ACCOUNT_MANAGE)
def account() -> ResponseReturnValue:
    with transaction(reads_only=True):
        providers = oidc.providers_for(_settings(), current_actor())
        page = render_template("auth/account.html", providers=providers)
    return page


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Permission.ACCOUNT_MANAGE)
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    due = service.password_change_due(_session())
    if not form.validate_on_submit():
        page = render_template("auth/change_password.html", form=form, due=due)
        return page, form_status(form)
    with transaction():
        problem = service.change_password(
            _session(),
            _settings(),
            current_actor(),
            current_password=form.current_password.data or "",
            new_password=form.new_password.data or "",
        )
    if problem:
        field = form.current_password if problem.field == "current_password" else form.new_password
        field.errors = [problem.message]
        page = render_template("auth/change_password.html", form=form, due=due)
        return page, form_status(form)
    return render_template("auth/password_changed.html")
