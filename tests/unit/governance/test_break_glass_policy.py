"""The pure break-glass rule: only the lack of a grant is overcome, only for viewing, only
strictly before the window ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.access import policy
from portal.access.permissions import Permission
from portal.core.identity import Role

NOW = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
PARTNER = frozenset({Role.SOCIAL_WORKER})


def allow(outcome: policy.Outcome) -> bool:
    return isinstance(outcome, policy.Allow)


@pytest.mark.parametrize(
    ("ends", "allowed"),
    [
        (NOW + timedelta(seconds=1), True),
        (NOW + timedelta(microseconds=1), True),
        (NOW, False),  # the window has just ended
        (NOW - timedelta(seconds=1), False),
        (None, False),
    ],
)
def test_window_edge(ends: datetime | None, allowed: bool) -> None:
    outcome = policy.with_break_glass(
        policy.Refusal(policy.NO_GRANT),
        roles=PARTNER,
        permission=Permission.SUBJECT_READ,
        window_ends=ends,
        now=NOW,
        reason="Child at risk reported tonight by the duty team",
    )
    assert allow(outcome) is allowed
    if allowed:
        assert isinstance(outcome, policy.Allow)
        assert (outcome.legal_gateway, outcome.dp_condition) == ("EMERGENCY", "DP3-SCH8-3")
        assert outcome.grant_id is None


@pytest.mark.parametrize(
    "reason", [policy.NO_GRANT, policy.GRANT_EXPIRED, policy.GRANT_REVOKED, policy.GRANT_PENDING]
)
def test_lack_of_a_live_grant_is_overcome(reason: str) -> None:
    assert policy.break_glass_may_start(roles=PARTNER, refusal=policy.Refusal(reason))


@pytest.mark.parametrize(
    "reason",
    [policy.EXCLUDED, policy.NOT_ON_RESTRICTION_LIST, policy.CLEARANCE, policy.ROLE,
     policy.ACCOUNT_DISABLED],
)  # fmt: skip
def test_other_refusals_stand(reason: str) -> None:
    refusal = policy.Refusal(reason)
    assert not policy.break_glass_may_start(roles=PARTNER, refusal=refusal)
    kept = policy.with_break_glass(
        refusal,
        roles=PARTNER,
        permission=Permission.SUBJECT_READ,
        window_ends=NOW + timedelta(minutes=30),
        now=NOW,
        reason="x" * 20,
    )
    assert kept == refusal


def test_only_viewing_and_only_roles_holding_the_permission() -> None:
    refusal = policy.Refusal(policy.NO_GRANT)
    ends = NOW + timedelta(minutes=30)
    printed = policy.with_break_glass(
        refusal, roles=PARTNER, permission=Permission.SUBJECT_PRINT, window_ends=ends, now=NOW,
        reason="x" * 20,
    )  # fmt: skip
    assert printed == refusal
    ig = policy.with_break_glass(
        refusal, roles=frozenset({Role.IG_OFFICER}), permission=Permission.SUBJECT_READ,
        window_ends=ends, now=NOW, reason="x" * 20,
    )  # fmt: skip
    assert ig == refusal


@pytest.mark.parametrize(
    "permission", [Permission.CSODS_READ, Permission.CSODS_WRITE, Permission.CSODS_APPROVE]
)
@pytest.mark.parametrize("reason", [policy.NO_GRANT, policy.ROLE, policy.NOT_OWNER])
def test_break_glass_never_opens_disclosure_scheme_applicants_or_children(
    permission: Permission, reason: str
) -> None:
    """CSODS applicant and child details are opened with the CSODS permissions, which an
    emergency window never overcomes, whatever the refusal and however long the window."""
    refusal = policy.Refusal(reason)
    for roles in (PARTNER, frozenset({Role.MOSOVO_OFFICER}), frozenset({Role.CSODS_OFFICER})):
        kept = policy.with_break_glass(
            refusal,
            roles=roles,
            permission=permission,
            window_ends=NOW + timedelta(minutes=30),
            now=NOW,
            reason="Child at risk reported tonight by the duty team",
        )
        assert kept == refusal
