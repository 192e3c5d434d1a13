"""OpenID Connect sign-in for agencies that run their own identity provider (Authlib).

One Authlib client is registered per configured provider when the app is built; nothing is
fetched from the network until someone signs in. The flow is the authorization code flow with
PKCE S256, ``state`` and ``nonce``; Authlib keeps all three in ``flask.session``, which here is
the portal's server-side session, so none of them ever reaches the browser except in the
authorization request itself.

What this module adds to Authlib, and why (``reference/security.md`` §6.2):

* the provider's discovery document must name exactly the configured issuer (Authlib does not
  compare them), checked every time the client is used;
* the ID token's ``iss`` and ``aud`` are checked explicitly (passing ``claims_options`` turns
  off Authlib's own ``iss`` check), with a leeway of :data:`LEEWAY_SECONDS`;
* the callback is refused unless the ID token was actually parsed and validated (Authlib skips
  it silently when the state holds no nonce);
* a provider marked ``require_mfa`` must report a second factor in ``amr``
  (:func:`has_second_factor`);
* accounts are found by (issuer, ``sub``) only, never by e-mail, and never created here.

Every refusal raises :class:`SignInRefused`. Its ``reason`` is for the operator's log; the
person signing in sees one page that does not say which check failed. Tokens, codes, state,
nonce and session ids are never logged.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request
from joserfc.errors import ClaimError, JoseError
from requests import RequestException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from portal.agencies.models import Agency
from portal.audit import events, recorder
from portal.auth import service
from portal.auth.models import UserIdentity
from portal.auth.sessions import ServerSession
from portal.config import ConfigurationError, OidcProvider, Settings
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.extensions import db
from portal.users import repository as users_repository
from portal.users.models import User

log = logging.getLogger(__name__)

EXTENSION_KEY = "portal.oidc"
#: Clock skew tolerated on ``exp``/``iat``/``nbf`` (Authlib's default is 120 s).
LEEWAY_SECONDS = 60
#: Seconds to wait for the provider's discovery, JWKS and token endpoints.
HTTP_TIMEOUT_SECONDS = 10
#: Where the page to return to after sign-in waits while the browser is at the provider.
NEXT_KEY = "oidc_next"
#: Set while the browser is at the provider to link the signed-in account, not to sign in.
LINK_KEY = "oidc_link"
#: Provider slugs appear in URLs and in Authlib's session keys (``_state_<slug>_<state>``);
#: no underscore, so one provider's keys can never be read as another's.
SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
_CODE = re.compile(r"[a-z_,]{1,40}")
#: Characters a reason code may not hold in the access log, and its longest reason.
_NOT_REASON = re.compile(r"[^a-z0-9_]")
AUDIT_REASON_LENGTH = 48

# Authentication method references (RFC 8176 §2), grouped by the kind of factor they prove.
# "sms" and "tel" are deliberately not counted: NIST SP 800-63B restricts them.
KNOWLEDGE_METHODS = frozenset({"pwd", "pin", "kba"})
POSSESSION_METHODS = frozenset({"otp", "hwk", "swk", "sc", "pop"})
INHERENCE_METHODS = frozenset({"fpt", "face", "iris", "retina", "vbm"})
#: RFC 8176 "mfa": the provider itself attests that more than one factor was used.
MULTI_FACTOR_METHOD = "mfa"


class SignInRefused(Exception):
    """An OpenID Connect sign-in that must not go ahead.

    ``reason`` is a short code for the operator's log (``"state"``, ``"id_token:aud"``,
    ``"unknown_identity"``...); it is never shown to the person signing in. ``user_id`` is the
    portal account concerned when the refusal got far enough to know it.
    """

    def __init__(self, reason: str, *, user_id: uuid.UUID | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user_id = user_id


@dataclass(frozen=True)
class VerifiedIdentity:
    """The (issuer, subject) pair from an ID token that passed every check."""

    issuer: str
    subject: str


def init_app(app: Flask, settings: Settings) -> None:
    """Register one Authlib client per provider in ``settings.oidc_providers``.

    Makes no network call. Refuses (:class:`ConfigurationError`) a slug that is not a plain
    lower-case name, two providers with the same slug, a provider without a client secret, and
    in production any issuer or metadata URL that is not ``https``.
    """
    _check_providers(settings.oidc_providers, production=settings.is_production)
    # Authlib logs the PKCE verifier at DEBUG: never let a debug root logger record it.
    logging.getLogger("authlib").setLevel(logging.INFO)
    oauth = OAuth(app)
    for provider in settings.oidc_providers:
        oauth.register(
            name=provider.slug,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=metadata_url(provider),
            client_kwargs={
                "scope": "openid",
                "code_challenge_method": "S256",
                "default_timeout": HTTP_TIMEOUT_SECONDS,
            },
        )
    app.extensions[EXTENSION_KEY] = oauth


def _check_providers(providers: Iterable[OidcProvider], *, production: bool) -> None:
    seen: set[str] = set()
    for provider in providers:
        if not SLUG_PATTERN.fullmatch(provider.slug):
            raise ConfigurationError(f"OIDC provider slug {provider.slug!r} is not a plain name")
        if provider.slug in seen:
            raise ConfigurationError(f"OIDC provider slug {provider.slug!r} is used twice")
        seen.add(provider.slug)
        if not provider.client_id or not provider.client_secret:
            raise ConfigurationError(
                f"OIDC provider {provider.slug!r} needs a client id and secret"
            )
        urls = (provider.issuer, metadata_url(provider))
        if production and not all(url.startswith("https://") for url in urls):
            raise ConfigurationError(f"OIDC provider {provider.slug!r} must use https")


def metadata_url(provider: OidcProvider) -> str:
    """The discovery document: ``metadata_url`` if set, else OpenID Connect Discovery's."""
    if provider.metadata_url:
        return provider.metadata_url
    return provider.issuer.rstrip("/") + "/.well-known/openid-configuration"


def find_provider(settings: Settings, slug: str) -> OidcProvider | None:
    """The configured provider named ``slug``, or None."""
    return next((p for p in settings.oidc_providers if p.slug == slug), None)


def begin(
    session: ServerSession, provider: OidcProvider, *, redirect_uri: str, next_url: str
) -> Response:
    """Redirect the browser to ``provider``'s authorization endpoint.

    The request carries ``state``, ``nonce`` and a PKCE S256 challenge; the verifier, state and
    nonce stay in the server-side session. ``next_url`` must already be a safe local path.

    :raises SignInRefused: if the discovery document cannot be read or names another issuer.
    """
    client = _checked_client(provider)
    session[NEXT_KEY] = next_url
    return cast(Response, client.authorize_redirect(redirect_uri))


def verify_callback(provider: OidcProvider) -> VerifiedIdentity:
    """Check the authorization response, redeem the code and validate the ID token.

    Talks to the provider: call it outside ``transaction()``. A state is used up as soon as a
    response carrying it gets as far as the code exchange, whatever happens next, so one
    authorization response is never accepted twice.

    :raises SignInRefused: on a missing or foreign state, a response naming another issuer
        (RFC 9207 ``iss``), an error from the provider, a response without a code, a code
        the provider will not redeem, an ID token that fails any check (signature, ``iss``,
        ``aud``, ``nonce``, expiry beyond :data:`LEEWAY_SECONDS`) or was not parsed at all, and
        a missing second factor when the provider requires one.
    """
    client = _checked_client(provider)
    # RFC 9207: a provider that names itself in the response must name the expected issuer.
    if request.args.get("iss", provider.issuer) != provider.issuer:
        raise SignInRefused("response_iss")
    _refuse_incomplete_response()
    try:
        token = client.authorize_access_token(
            claims_options=_claims_options(provider), leeway=LEEWAY_SECONDS
        )
    except MismatchingStateError as exc:
        raise SignInRefused("state") from exc
    except OAuthError as exc:
        raise SignInRefused(f"provider:{_code(exc.error)}") from exc
    except ClaimError as exc:
        raise SignInRefused(f"id_token:{_code(exc.claim)}") from exc
    except JoseError as exc:
        raise SignInRefused(f"id_token:{_code(exc.error)}") from exc
    except RequestException as exc:
        raise SignInRefused("unreachable") from exc
    except AuthlibBaseError as exc:  # any other Authlib error (OAuth2Error and the like)
        raise SignInRefused(f"provider:{_code(exc.error)}") from exc
    claims = token.get("userinfo")
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
        raise SignInRefused("id_token:not_verified")
    if provider.require_mfa and not has_second_factor(claims.get("amr")):
        raise SignInRefused("mfa")
    return VerifiedIdentity(issuer=provider.issuer, subject=claims["sub"])


def _refuse_incomplete_response() -> None:
    """Refuse, before Authlib sees it, a response carrying the provider's ``error`` or no
    ``code`` (RFC 6749 §4.1.2): there is nothing to redeem, and the state is left as it was."""
    error = request.args.get("error")
    if error:
        raise SignInRefused(f"provider:{_code(error)}")
    if not request.args.get("code"):
        raise SignInRefused("provider:missing_code")


def _claims_options(provider: OidcProvider) -> dict[str, dict[str, Any]]:
    # A fresh dict each time: Authlib pops "validate" hooks out of the options it is given.
    return {
        "iss": {"essential": True, "value": provider.issuer},
        "aud": {"essential": True, "value": provider.client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }


def has_second_factor(amr: object) -> bool:
    """True if ``amr`` (the ID token's claim) shows more than one authentication factor.

    Accepted: a list of strings that holds ``"mfa"``, or methods from at least two of the
    kinds knowledge (pwd, pin, kba), possession (otp, hwk, swk, sc, pop) and inherence (fpt,
    face, iris, retina, vbm). Anything else, including a missing claim, is False.
    """
    if not isinstance(amr, list) or not all(isinstance(m, str) for m in amr):
        return False
    methods = frozenset(amr)
    if MULTI_FACTOR_METHOD in methods:
        return True
    kinds = (KNOWLEDGE_METHODS, POSSESSION_METHODS, INHERENCE_METHODS)
    return sum(1 for kind in kinds if methods & kind) >= 2


def sign_in(session: ServerSession, provider: OidcProvider, identity: VerifiedIdentity) -> str:
    """Sign in the account linked to ``identity`` on a new session; returns where to go next.

    Runs inside the caller's ``transaction()`` and never commits. The account is found by
    (issuer, subject) only and must be active and belong to ``provider``'s agency; no account
    is ever created here.

    :raises SignInRefused: for an unknown identity, a disabled account or another agency's
        account.
    """
    user = _linked_user(identity)
    if user is None:
        raise SignInRefused("unknown_identity")
    if not user.is_active:
        raise SignInRefused("inactive_user", user_id=user.id)
    if user.agency.code != provider.agency_code:
        raise SignInRefused("wrong_agency", user_id=user.id)
    remembered = session.get(NEXT_KEY)
    next_url = service.start_session(session, user=user, method=service.METHOD_OIDC, now=db_now())
    return remembered if isinstance(remembered, str) and remembered else next_url


def _linked_user(identity: VerifiedIdentity) -> User | None:
    found = _link_of(identity)
    return db.session.get(User, found.user_id) if found is not None else None


def _link_of(identity: VerifiedIdentity) -> UserIdentity | None:
    return db.session.execute(
        select(UserIdentity).where(
            UserIdentity.issuer == identity.issuer, UserIdentity.subject == identity.subject
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class ProviderLink:
    """One of the agency's providers, and whether the account is linked to an identity there."""

    provider: OidcProvider
    linked: bool


def providers_for(settings: Settings, actor: Actor) -> Sequence[ProviderLink]:
    """The providers of the actor's agency, each with whether the actor's account is linked."""
    agency = db.session.get(Agency, actor.agency_id)
    agency_code = agency.code if agency is not None else None
    issuers = {identity.issuer for identity in users_repository.identities_of(actor.user_id)}
    return [
        ProviderLink(provider, provider.issuer in issuers)
        for provider in settings.oidc_providers
        if provider.agency_code == agency_code
    ]


def begin_link(
    session: ServerSession, provider: OidcProvider, *, user_id: uuid.UUID, redirect_uri: str
) -> Response:
    """Send the signed-in user to ``provider`` to link the identity they sign in with there.

    The same callback as a sign-in; :func:`linking` tells them apart by what this leaves in the
    server-side session, which the provider's response can only come back to through the
    ``state`` this session holds.
    """
    session[LINK_KEY] = {"provider": provider.slug, "user_id": str(user_id)}
    return begin(session, provider, redirect_uri=redirect_uri, next_url="")


def linking(session: ServerSession, provider: OidcProvider) -> uuid.UUID | None:
    """The account a callback from ``provider`` links, or None for a sign-in (used up here)."""
    pending = session.pop(LINK_KEY, None)
    if not isinstance(pending, dict) or pending.get("provider") != provider.slug:
        return None
    try:
        return uuid.UUID(str(pending.get("user_id")))
    except ValueError:
        return None


def link(actor: Actor, provider: OidcProvider, identity: VerifiedIdentity) -> None:
    """Link ``identity`` to the actor's own account, in the caller's ``transaction()``.

    The actor proved both: the portal's own sign-in (password and security code) for the
    account, and the provider's for the identity. Linking again to the same identity changes
    nothing. One USER_CHANGED event names the provider.

    :raises SignInRefused: for an account not of the provider's agency or no longer active, an
        identity already linked to another account, or an account already linked to another
        identity at this provider.
    """
    user = users_repository.lock_users({actor.user_id}).get(actor.user_id)
    if user is None or not user.is_active:
        raise SignInRefused("inactive_user")
    if user.agency.code != provider.agency_code:
        raise SignInRefused("wrong_agency")
    existing = _link_of(identity)
    if existing is not None:
        if existing.user_id == user.id:
            return
        raise SignInRefused("identity_in_use")
    if any(link.issuer == identity.issuer for link in users_repository.identities_of(user.id)):
        raise SignInRefused("already_linked")
    db.session.add(UserIdentity(user_id=user.id, issuer=identity.issuer, subject=identity.subject))
    try:
        db.session.flush()
    except IntegrityError as exc:  # linked to another account a moment ago
        raise SignInRefused("identity_in_use") from exc
    recorder.record(
        events.user_changed(
            actor, user_id=user.id, reason="identity_linked", detail={"provider": provider.slug}
        )
    )


def log_refusal(provider: OidcProvider, refusal: SignInRefused) -> None:
    """Record a refused sign-in for the operator: the provider and the reason code only."""
    log.warning("OIDC sign-in refused: provider=%s reason=%s", provider.slug, refusal.reason)


def record_refusal(
    provider: OidcProvider,
    refusal: SignInRefused,
    *,
    user_id: uuid.UUID | None = None,
    linking: bool = False,
) -> None:
    """Log a refused sign-in or link for the operator and write one ``LOGIN_FAILED`` to the
    access log, in the caller's ``transaction()`` (its own: the refused attempt's rolled back),
    as a refused password or security code is.

    The event names the account (``user_id``, else the refusal's) only when the portal knows
    it, and carries the reason code only: never a code, state, token or claim value.
    """
    log_refusal(provider, refusal)
    known = refusal.user_id or user_id
    user = db.session.get(User, known) if known is not None else None
    recorder.record(
        events.login_failed(
            reason=audit_reason(refusal.reason, linking=linking),
            method=service.METHOD_OIDC,
            user_id=user.id if user else None,
            agency_id=user.agency_id if user else None,
        )
    )


def audit_reason(reason: str, *, linking: bool = False) -> str:
    """The refusal's reason code in the access log's alphabet (``id_token:aud`` ->
    ``id_token_aud``); a refused link is told apart by ``link_``."""
    code = _NOT_REASON.sub("_", reason.lower())
    if linking and not code.startswith("link_"):
        code = f"link_{code}"
    return code[:AUDIT_REASON_LENGTH]


def _checked_client(provider: OidcProvider) -> Any:
    oauth: OAuth = current_app.extensions[EXTENSION_KEY]
    client = oauth.create_client(provider.slug)
    try:
        metadata = client.load_server_metadata()
    except RequestException as exc:
        raise SignInRefused("metadata_unreachable") from exc
    if metadata.get("issuer") != provider.issuer:
        # Forget the document so a corrected one is fetched next time; refuse this one.
        client.server_metadata.clear()
        raise SignInRefused("issuer_mismatch")
    return client


def _code(value: object) -> str:
    # Error codes can come from the query string: log only a plain code, never raw input.
    return value if isinstance(value, str) and _CODE.fullmatch(value) else "other"
