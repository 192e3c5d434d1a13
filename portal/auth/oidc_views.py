"""Sign-in through an agency's own OpenID provider: the start link and the callback.

Each provider has its own callback URL (``/sign-in/oidc/<slug>/callback``): a response meant
for one provider can never be taken for another's (the mix-up defence). The start endpoint is
a plain link (GET), because ``form-action 'self'`` would stop a form from redirecting to the
provider. Every refusal shows the same page with the same status.
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.access.decorators import public
from portal.auth import oidc
from portal.auth.redirects import safe_next
from portal.auth.views import _session, _settings
from portal.config import OidcProvider
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


def _refused(provider: OidcProvider, refusal: oidc.SignInRefused) -> ResponseReturnValue:
    oidc.log_refusal(provider, refusal)
    return render_template("auth/oidc_refused.html"), REFUSED_STATUS


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


@bp.get("/<provider>/callback")
@public(reason="the identity provider sends the browser back here before a session exists")
def callback(provider: str) -> ResponseReturnValue:
    chosen = _provider(provider)
    try:
        identity = oidc.verify_callback(chosen)  # talks to the provider: outside the transaction
        with transaction():
            next_url = oidc.sign_in(_session(), chosen, identity)
    except oidc.SignInRefused as refusal:
        return _refused(chosen, refusal)
    return redirect(safe_next(next_url))
