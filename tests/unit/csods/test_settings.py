"""The CSODS targets are settings: defaults from the current guidance, legacy totals by flag."""

from __future__ import annotations

from portal.config import Settings

ENV = {"PORTAL_ENV": "development", "PORTAL_SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite://"}


def test_default_targets_follow_the_current_guidance() -> None:
    settings = Settings.from_env(ENV)
    assert settings.csods_checks_hours == 24
    assert settings.csods_interview_days == 10
    assert settings.csods_risk_assessment_days == 28
    assert settings.csods_legacy_totals is False


def test_legacy_totals_are_switched_on_by_the_environment() -> None:
    settings = Settings.from_env({**ENV, "PORTAL_CSODS_LEGACY_TOTALS": "1"})
    assert settings.csods_legacy_totals is True
