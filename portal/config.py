"""Settings: one frozen value, read from the environment, production-strict by default.

Nothing here has a default that production would accept for a secret: with no environment at
all, :meth:`Settings.from_env` refuses to build. Development and test settings come from
``.env`` (written once by ``make run``) or from the test fixtures, never from fallbacks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("production", "development", "test")

#: Secret keys that appear in documentation or examples and must never run a real service.
KNOWN_WEAK_SECRETS = frozenset(
    {"dev", "development", "secret", "changeme", "change-me", "test", "please-change-me"}
)
MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The environment does not describe a configuration the portal may start with."""


@dataclass(frozen=True)
class Argon2Parameters:
    """argon2id cost; the defaults are above OWASP's minimum (m=19456 KiB, t=2, p=1)."""

    time_cost: int = 3
    memory_cost: int = 65536
    parallelism: int = 1


#: Cheap parameters, for test databases only (never accepted outside ``env == "test"``).
TEST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=8, parallelism=1)


@dataclass(frozen=True)
class OidcProvider:
    """An agency's own OpenID Connect identity provider.

    ``slug`` names the provider in URLs (each provider has its own redirect URI: the mix-up
    defence of ASVS 10.2.2); ``agency_code`` is the agency whose users it may sign in.
    """

    slug: str
    agency_code: str
    issuer: str
    client_id: str
    client_secret: str
    display_name: str
    require_mfa: bool = True
    metadata_url: str | None = None


@dataclass(frozen=True)
class Settings:
    env: str
    secret_key: str
    database_url: str
    debug: bool = False
    demo_data: bool = False
    instance_path: Path = ROOT / "instance"
    checkpoint_key_path: Path | None = None
    checkpoint_dir: Path | None = None
    checkpoint_interval_seconds: int = 300
    argon2: Argon2Parameters = field(default_factory=Argon2Parameters)
    session_idle_seconds: int = 15 * 60
    session_absolute_seconds: int = 12 * 60 * 60
    #: A signed-in request refreshes ``last_seen_at`` only when it is older than this, so a
    #: burst of page views costs one write, not one per request.
    session_touch_seconds: int = 15
    login_throttle_after: int = 5
    login_hard_stop: int = 100
    cookie_secure: bool = True
    hsts: bool = True
    proxy_hops: int = 0
    oidc_providers: tuple[OidcProvider, ...] = ()
    max_content_length: int = 2 * 1024 * 1024
    #: CSODS stage targets (domain §2.2): initial checks, interview, risk assessment.
    csods_checks_hours: int = 24
    csods_interview_days: int = 10
    csods_risk_assessment_days: int = 28
    #: Judge the whole process against the legacy 35-day (no disclosure) / 45-day totals.
    csods_legacy_totals: bool = False

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def session_cookie_name(self) -> str:
        # The __Host- prefix needs Secure and no Domain; browsers drop it over plain http.
        return "__Host-portal_session" if self.cookie_secure else "portal_session"

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Refuse combinations that are never safe; production refuses anything lax."""
        if self.env not in ENVIRONMENTS:
            raise ConfigurationError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if not self.secret_key:
            raise ConfigurationError("PORTAL_SECRET_KEY is not set")
        if not self.database_url:
            raise ConfigurationError("DATABASE_URL is empty")
        if self.env != "test" and self.argon2 == TEST_ARGON2:
            raise ConfigurationError("test password-hash parameters outside the test environment")
        if not self.is_production:
            return
        if self.debug:
            raise ConfigurationError("debug mode is refused in production")
        if (
            len(self.secret_key) < MIN_SECRET_KEY_LENGTH
            or self.secret_key.lower() in KNOWN_WEAK_SECRETS
        ):
            raise ConfigurationError(
                f"PORTAL_SECRET_KEY must be a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters in production"
            )
        if self.demo_data:
            raise ConfigurationError("demo data is refused in production")
        if not self.cookie_secure or not self.hsts:
            raise ConfigurationError("production needs secure cookies and HSTS")

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``PORTAL_*`` and ``DATABASE_URL``)."""
        env = os.environ if environ is None else environ
        name = env.get("PORTAL_ENV", "production")
        instance = Path(env.get("PORTAL_INSTANCE_PATH", str(ROOT / "instance")))
        relaxed = name != "production"
        key_path = env.get("PORTAL_CHECKPOINT_KEY")
        checkpoint_dir = env.get("PORTAL_CHECKPOINT_DIR")
        return cls(
            env=name,
            secret_key=env.get("PORTAL_SECRET_KEY", ""),
            database_url=env.get("DATABASE_URL") or f"sqlite:///{instance / 'portal.db'}",
            debug=_flag(env, "PORTAL_DEBUG"),
            demo_data=_flag(env, "PORTAL_DEMO_DATA"),
            instance_path=instance,
            checkpoint_key_path=Path(key_path) if key_path else None,
            checkpoint_dir=Path(checkpoint_dir) if checkpoint_dir else None,
            checkpoint_interval_seconds=int(env.get("PORTAL_CHECKPOINT_INTERVAL", "300")),
            cookie_secure=not (relaxed and _flag(env, "PORTAL_INSECURE_COOKIES")),
            hsts=not (relaxed and _flag(env, "PORTAL_NO_HSTS")),
            proxy_hops=int(env.get("PORTAL_PROXY_HOPS", "0")),
            oidc_providers=_oidc_providers(env.get("PORTAL_OIDC_PROVIDERS", "")),
            csods_legacy_totals=_flag(env, "PORTAL_CSODS_LEGACY_TOTALS"),
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _oidc_providers(raw: str) -> tuple[OidcProvider, ...]:
    """Parse ``PORTAL_OIDC_PROVIDERS``: a JSON list of provider objects."""
    if not raw.strip():
        return ()
    try:
        items = json.loads(raw)
        return tuple(OidcProvider(**item) for item in items)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"PORTAL_OIDC_PROVIDERS is not valid: {exc}") from exc
