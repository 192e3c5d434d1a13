"""Production refuses lax settings (ASVS 13.4.2, 11.4.2; reference/security.md A13, A42)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from portal.auth.passwords import hash_password
from portal.config import (
    KNOWN_WEAK_SECRETS,
    TEST_ARGON2,
    Argon2Parameters,
    ConfigurationError,
    Settings,
)

STRONG_KEY = "k3y-" + "x7Qp9vLm2Zt8" * 4
PRODUCTION = {
    "PORTAL_ENV": "production",
    "PORTAL_SECRET_KEY": STRONG_KEY,
    "DATABASE_URL": "postgresql+psycopg://portal@db.internal/portal",
}


def test_from_env_with_production_values_builds_strict_settings():
    settings = Settings.from_env(PRODUCTION)
    assert settings.is_production
    assert not settings.debug
    assert not settings.demo_data
    assert settings.cookie_secure
    assert settings.hsts
    assert settings.session_cookie_name.startswith("__Host-")
    assert settings.session_idle_seconds == 15 * 60
    assert settings.session_absolute_seconds == 12 * 60 * 60
    assert settings.login_throttle_after == 5
    assert 0 < settings.login_hard_stop <= 100


def test_from_env_with_nothing_set_is_refused():
    with pytest.raises(ConfigurationError):
        Settings.from_env({})


@pytest.mark.parametrize(
    "changes",
    [
        {"PORTAL_DEBUG": "1"},
        {"PORTAL_DEBUG": "true"},
        {"PORTAL_DEMO_DATA": "yes"},
        {"PORTAL_SECRET_KEY": ""},
        {"PORTAL_SECRET_KEY": "short-but-random-Zx81"},
        {"PORTAL_SECRET_KEY": "x" * 31},
        {"PORTAL_ENV": "staging"},
    ],
    ids=lambda c: ",".join(f"{k}={v[:8]}" for k, v in c.items()),
)
def test_from_env_production_with_lax_value_is_refused(changes):
    with pytest.raises(ConfigurationError):
        Settings.from_env({**PRODUCTION, **changes})


def test_from_env_production_without_secret_key_is_refused():
    environ = {k: v for k, v in PRODUCTION.items() if k != "PORTAL_SECRET_KEY"}
    with pytest.raises(ConfigurationError):
        Settings.from_env(environ)


@pytest.mark.parametrize("weak", sorted(KNOWN_WEAK_SECRETS))
def test_from_env_production_with_known_weak_secret_is_refused(weak):
    for candidate in (weak, weak.upper()):
        with pytest.raises(ConfigurationError):
            Settings.from_env({**PRODUCTION, "PORTAL_SECRET_KEY": candidate})


def test_from_env_production_ignores_development_relaxations():
    settings = Settings.from_env(
        {**PRODUCTION, "PORTAL_INSECURE_COOKIES": "1", "PORTAL_NO_HSTS": "1"}
    )
    assert settings.cookie_secure
    assert settings.hsts


@pytest.mark.parametrize("env", ["production", "development"])
def test_settings_with_test_hash_parameters_outside_test_are_refused(env):
    with pytest.raises(ConfigurationError):
        Settings(env=env, secret_key=STRONG_KEY, database_url="sqlite://", argon2=TEST_ARGON2)


def test_settings_with_test_hash_parameters_in_test_are_accepted():
    settings = Settings(env="test", secret_key="t", database_url="sqlite://", argon2=TEST_ARGON2)
    assert settings.argon2 == TEST_ARGON2


def test_production_settings_with_insecure_cookies_or_no_hsts_are_refused():
    base = Settings.from_env(PRODUCTION)
    for changes in ({"cookie_secure": False}, {"hsts": False}, {"debug": True}):
        with pytest.raises(ConfigurationError):
            base.with_changes(**changes)


def test_default_password_hash_is_argon2id_at_or_above_owasp_minimum():
    settings = Settings.from_env(PRODUCTION)
    assert settings.argon2 == Argon2Parameters()

    stored = hash_password("a long enough passphrase", settings.argon2)

    params = extract_parameters(stored)
    assert params.type is Type.ID
    assert stored.startswith("$argon2id$")
    assert params.memory_cost >= 19456
    assert params.time_cost >= 2
    assert params.parallelism == 1
    assert PasswordHasher().verify(stored, "a long enough passphrase")
