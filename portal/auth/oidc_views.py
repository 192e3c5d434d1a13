"""Sign-in through an agency's own OpenID provider: the start link and the callback.

Each provider has its own callback URL (``/sign-in/oidc/<slug>/callback``): a response meant
for one provider can never be taken for another's (the mix-up defence). The start endpoint is
a plain link (GET), because ``form-action 'self'`` would stop a form from redirecting to the
provider. Every refusal shows the same page with the same status.
"""

from __future__ import annotations

import uuid
from typing import cast

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.access.decorators import public, requires
from portal.access.permissions import Permission
from portal.auth import oidc
from portal.auth.redirects import safe_next
from portal.auth.views import _session, _settings
from portal.config import OidcProvider
from portal.core.actor import current_actor
from portal.core.error_summary import flash_problem
from portal.db.transaction import transaction
from portal.errors import NotFound

bp = Blueprint("oidc", __name__, url_prefix="/sign-in/oidc")

REFUSED_STATUS = 403


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    # Registering the blueprint registers the providers: one Authlib client each, no network.
    app = cast(Flask, state.app)
    oidc.init_app(app, app.extensions["portal.settings"])


def _provider(slug: str) -> OidcProvider:
    provider = oidc.find_provider(_settings(), slug)
    if provider is None:
        raise NotFound()
    return provider


def _refused(
    provider: OidcProvider,
    refusal: oidc.SignInRefused,
    *,
    user_id: uuid.UUID | None = None,
    linking: bool = False,
) -> ResponseReturnValue:
    _record(provider, refusal, user_id=user_id, linking=linking)
    return render_template("auth/oidc_refused.html"), REFUSED_STATUS


def _record(
    provider: OidcProvider,
    refusal: oidc.SignInRefused,
    *,
    user_id: uuid.UUID | None = None,
    linking: bool = False,
) -> None:
    """The refusal in the operator's log and the access log, in a transaction of its own."""
    with transaction():
        oidc.record_refusal(provider, refusal, user_id=user_id, linking=linking)


@bp.get("/<provider>")
@public(reason="starts signing in through an agency's identity provider, before a session exists")
def start(provider: str) -> ResponseReturnValue:
    chosen = _provider(provider)
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    callback_url = url_for(".callback", provider=chosen.slug, _external=True)
    next_url = safe_next(request.args.get("next"))
    try:
        return oidc.begin(_session(), chosen, redirect_uri=callback_url, next_url=next_url)
    except oidc.SignInRefused as refusal:
        return _refused(chosen, refusal)


LINKED = "Your agency account is linked. You can sign in with it from the sign-in page"
NOT_LINKED = (
    "Your agency account could not be linked. It may already be linked to another account in "
    "the portal: ask your agency administrator"
)


@bp.get("/<provider>/link")
@requires(Permission.ACCOUNT_MANAGE)
def link(provider: str) -> ResponseReturnValue:
    """Start linking the signed-in account to its identity at one of its agency's providers."""
    chosen = _provider(provider)
    with transaction(reads_only=True):
        offered = {p.provider.slug for p in oidc.providers_for(_settings(), current_actor())}
    if chosen.slug not in offered:
        raise NotFound()  # another agency's provider
    callback_url = url_for(".callback", provider=chosen.slug, _external=True)
    user_id = current_actor().user_id
    try:
        return oidc.begin_link(_session(), chosen, user_id=user_id, redirect_uri=callback_url)
    except oidc.SignInRefused as refusal:
        return _refused(chosen, refusal, user_id=user_id, linking=True)


@bp.get("/<provider>/callback")
@public(reason="the identity provider sends the browser back here before a session exists")
def callback(provider: str) -> ResponseReturnValue:
    chosen = _provider(provider)
    linking = oidc.linking(_session(), chosen)
    if linking is not None:
        return _finish_link(chosen, linking)
    try:
        identity = oidc.verify_callback(chosen)  # talks to the provider: outside the transaction
        with transaction():
            next_url = oidc.sign_in(_session(), chosen, identity)
    except oidc.SignInRefused as refusal:
        return _refused(chosen, refusal)
    return redirect(safe_next(next_url))


def _finish_link(chosen: OidcProvider, user_id: uuid.UUID) -> ResponseReturnValue:
    """The provider's answer to a link started by this session's signed-in user."""
    if not current_user.is_authenticated or current_user.id != user_id:
        # The account the link was started for (this server-side session says so).
        return _refused(chosen, oidc.SignInRefused("link_session"), user_id=user_id, linking=True)
    try:
        identity = oidc.verify_callback(chosen)
        with transaction():
            oidc.link(current_actor(), chosen, identity)
    except oidc.SignInRefused as refusal:
        _record(chosen, refusal, user_id=user_id, linking=True)
        flash_problem(NOT_LINKED, about=f"link-{chosen.slug}")
    else:
        flash(LINKED, "success")
    return redirect(url_for("auth.account"))
