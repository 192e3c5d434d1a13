"""The policy against an independent oracle: 10,000 generated cases, 100 % agreement.

The oracle below is written from the rules in SPEC C3 and ``reference/domain.md`` §8.3, not
from ``portal/access/policy.py``: it shares no code with it (only the vocabulary enums and the
fact and outcome value types it must build and compare). Its role table is written out by hand,
so a permission quietly added to a role in the policy is caught too.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.access.permissions import Permission
from portal.access.policy import (
    ActorFacts,
    Allow,
    GrantFacts,
    LaoFacts,
    NeedsAcknowledgement,
    Refusal,
    TargetFacts,
    decide,
)
from portal.core.identity import Clearance, Role
from portal.core.markings import Tier

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
USERS = [uuid.UUID(int=i) for i in range(1, 5)]
AGENCIES = [uuid.UUID(int=100 + i) for i in range(3)]
SUBJECTS = [uuid.UUID(int=200 + i) for i in range(2)]
RECORDS = [uuid.UUID(int=300 + i) for i in range(2)]
GATEWAYS = ["GW-CJA03-S325", "GW-CA89-S47"]
CONDITIONS = ["DP3-SCH8-4", "GDPR-6-1-E"]

# --- The oracle's own statement of the rules -------------------------------------------------

P = Permission
_READ_PRINT_REQUEST = {P.SUBJECT_READ, P.SUBJECT_PRINT, P.GRANT_REQUEST, P.BREAK_GLASS}
_OWNER_WORK = {
    P.BREAK_GLASS,
    P.SUBJECT_READ,
    P.SUBJECT_READ_OWN,
    P.SUBJECT_WRITE,
    P.SUBJECT_PRINT,
    P.RECORD_WRITE,
    P.GRANT_MANAGE,
    P.LAO_MANAGE,
}
#: Who holds what, beyond the home page and one's own account (everyone has those).
_ACTIONS = {P.ACTIONS_VIEW, P.ACTION_UPDATE}
HOLDS: dict[Role, set[Permission]] = {
    Role.MOSOVO_OFFICER: _OWNER_WORK | _ACTIONS,
    Role.MAPPA_COORDINATOR: _OWNER_WORK | _ACTIONS | {P.MEETING_WRITE},
    Role.PROBATION_OFFICER: _READ_PRINT_REQUEST | _ACTIONS,
    Role.SOCIAL_WORKER: _READ_PRINT_REQUEST | _ACTIONS,
    Role.HOUSING_OFFICER: _READ_PRINT_REQUEST | _ACTIONS,
    Role.IG_OFFICER: {P.SUBJECT_READ, P.LOG_READ, P.LOG_EXPORT, P.ALERT_REVIEW},
    Role.AGENCY_ADMIN: {P.USERS_MANAGE},
    Role.CSODS_OFFICER: {
        P.SUBJECT_READ,
        P.SUBJECT_READ_OWN,
        P.SUBJECT_PRINT,
        P.CSODS_READ,
        P.CSODS_WRITE,
        P.CSODS_APPROVE,
    },
}
EVERYONE = {P.HOME_VIEW, P.ACCOUNT_MANAGE}
VETTING = {Clearance.BPSS: 1, Clearance.SC: 2, Clearance.DV: 3}
NEEDED_FOR = {Tier.OFFICIAL: 1, Tier.SECRET: 2, Tier.TOP_SECRET: 3}
WIDTH = {"SUMMARY": 1, "SUMMARY_AND_ACTIONS": 2, "FULL": 3}
#: When nothing is live, the reason given is the first of these that any covering grant has.
STALE_ORDER = ["revoked", "suspended", "expired", "not_yet_valid", "pending", "refused"]


@dataclass(frozen=True)
class Case:
    actor: ActorFacts
    permission: Permission
    target: TargetFacts
    writes: bool
    grants: tuple[GrantFacts, ...]
    lao: LaoFacts
    acknowledged: frozenset[uuid.UUID]
    needs_acknowledgement: bool
    now: datetime


def oracle(case: Case) -> Any:
    return _checkpoint(case) or _owner(case) or _by_grant(case)


def _checkpoint(case: Case) -> Refusal | None:
    """The checks every access passes first, in the order they are reported."""
    a = case.actor
    held = set(EVERYONE).union(*(HOLDS[role] for role in a.roles))
    if not a.active:
        return Refusal("account_disabled")
    if case.permission not in held:
        return Refusal("role")
    if a.user_id in case.lao.excluded:
        return Refusal("excluded", lao_list="EXCLUSION")
    if case.lao.restricted_to is not None and a.user_id not in case.lao.restricted_to:
        # The restriction's message is for those the list alone keeps out; to anyone else the
        # subject is as unknown as one that does not exist.
        without_lists = oracle(replace(case, lao=LaoFacts()))
        alone = not isinstance(without_lists, Refusal)
        return Refusal("not_on_restriction_list", lao_list="RESTRICTION" if alone else None)
    if VETTING[a.clearance] < NEEDED_FOR[case.target.tier]:
        return Refusal("clearance")
    return None


POLICING = ("GW-CL-POLICING", "DP3-S35-LE")
#: The owner's case staff read their agency's own subjects without a grant; IG officers and
#: administrators of the owning agency do not.
OWNER_CASE_ROLES = {Role.MOSOVO_OFFICER, Role.MAPPA_COORDINATOR, Role.CSODS_OFFICER}


def _owner(case: Case) -> Allow | Refusal | None:
    a, t = case.actor, case.target
    if case.writes:
        owns_subject = a.agency_id == t.owning_agency_id
        owns_record = t.record_owner_agency_id in (None, a.agency_id)
        if owns_subject and owns_record:
            return Allow("FULL", None, *POLICING, None)
        return Refusal("not_owner")
    owner_case_staff = bool(set(a.roles) & OWNER_CASE_ROLES)
    if owner_case_staff and a.agency_id in {t.owning_agency_id, t.record_owner_agency_id}:
        return Allow("FULL", None, *POLICING, None)
    return None


def _applies(case: Case, g: GrantFacts) -> bool:
    a, t = case.actor, case.target
    if (g.grantee_agency_id, g.subject_id) != (a.agency_id, t.subject_id):
        return False
    if g.grantee_user_id not in (None, a.user_id):
        return False
    if g.scope_kind == "SUBJECT":
        return g.view_profile in WIDTH
    return g.scope_kind == "RECORD" and g.record_id is not None and t.record_id == g.record_id


def _state(case: Case, g: GrantFacts) -> str:
    if g.status != "ACTIVE":
        return {
            "REVOKED": "revoked",
            "SUSPENDED": "suspended",
            "REQUESTED": "pending",
            "REFUSED": "refused",
        }[g.status]
    if case.now >= g.expires_at:
        return "expired"
    return "not_yet_valid" if case.now < g.valid_from else "live"


def _profile(g: GrantFacts) -> str:
    return g.view_profile if g.view_profile in WIDTH else "FULL"  # type: ignore[return-value]


def _by_grant(case: Case) -> Allow | NeedsAcknowledgement | Refusal:
    mine = [g for g in case.grants if _applies(case, g)]
    live = sorted(
        (g for g in mine if _state(case, g) == "live"),
        key=lambda g: (WIDTH[_profile(g)], g.expires_at, str(g.grant_id)),
        reverse=True,
    )
    if live:
        chosen = live[0]
        if case.needs_acknowledgement and chosen.grant_id not in case.acknowledged:
            return NeedsAcknowledgement(chosen.grant_id)
        return Allow(
            _profile(chosen),
            chosen.grant_id,
            chosen.legal_gateway,
            chosen.dp_condition,
            chosen.justification,
        )
    for name in STALE_ORDER:
        stale = sorted(
            (g for g in mine if _state(case, g) == name),
            key=lambda g: (g.expires_at, str(g.grant_id)),
            reverse=True,
        )
        if stale:
            return Refusal(f"grant_{name}", stale[0].grant_id)
    return Refusal("no_grant")


# --- Generation ---------------------------------------------------------------------------
#
# Cases are decoded from a fixed-size byte string: one Hypothesis draw per case keeps 10,000
# cases within seconds on the 2-core build machine, and shrinking the bytes towards zero
# shrinks the case towards the first choice of every pick below (the simplest case).

CASE_BYTES = 160
OFFSETS = [0, -1, 1, -2, 2, -3600, 3600, -86400, 86400]
LENGTHS = [1, 2, 3600, 86400, 172800]
PERMISSIONS = [P.SUBJECT_READ, P.SUBJECT_READ, P.SUBJECT_PRINT, *Permission]
STATUSES = ["ACTIVE", "ACTIVE", "ACTIVE", "REVOKED", "SUSPENDED", "REQUESTED", "REFUSED"]
PROFILES = ["SUMMARY", "SUMMARY_AND_ACTIONS", "FULL", None, "X"]
ROLES = list(Role)


class Decoder:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def byte(self) -> int:
        value = self.data[self.at % len(self.data)]
        self.at += 1
        return value

    def pick(self, options: list[Any]) -> Any:
        return options[self.byte() % len(options)]

    def chance(self, percent: int) -> bool:
        """True with about ``percent`` % probability; a zero byte is always False."""
        return self.byte() * 100 >= (100 - percent) * 256

    def users(self) -> frozenset[uuid.UUID]:
        bits = self.byte()
        return frozenset(u for i, u in enumerate(USERS) if bits >> i & 1)


def decode_grant(d: Decoder, actor: ActorFacts, subject_id: uuid.UUID) -> GrantFacts:
    start = NOW + timedelta(seconds=d.pick(OFFSETS))
    return GrantFacts(
        grant_id=uuid.UUID(int=1000 + d.byte() * 256 + d.byte()),
        grantee_agency_id=d.pick(AGENCIES) if d.chance(30) else actor.agency_id,
        grantee_user_id=(d.pick(USERS) if d.chance(50) else actor.user_id)
        if d.chance(30)
        else None,
        subject_id=d.pick(SUBJECTS) if d.chance(25) else subject_id,
        scope_kind=d.pick(["SUBJECT", "SUBJECT", "RECORD", "OTHER"]),
        record_id=d.pick([None, *RECORDS]),
        view_profile=d.pick(PROFILES),
        status=d.pick(STATUSES),
        valid_from=start,
        expires_at=start + timedelta(seconds=d.pick(LENGTHS)),
        legal_gateway=d.pick(GATEWAYS),
        dp_condition=d.pick(CONDITIONS),
        justification=d.pick(["Safeguarding the children", "MAPPA level 2 plan"]),
    )


def decode(data: bytes) -> Case:
    d = Decoder(data)
    roles = {d.pick(ROLES)} | {role for role in ROLES if d.chance(15)}
    actor = ActorFacts(
        user_id=d.pick(USERS),
        agency_id=d.pick(AGENCIES),
        roles=frozenset(roles),
        clearance=d.pick(list(Clearance)),
        active=not d.chance(8),
    )
    target = TargetFacts(
        subject_id=d.pick(SUBJECTS),
        owning_agency_id=d.pick(AGENCIES),
        tier=d.pick([Tier.OFFICIAL] * 6 + [Tier.SECRET, Tier.TOP_SECRET]),
        record_id=d.pick([None, *RECORDS]),
        record_owner_agency_id=d.pick([None, None, *AGENCIES]),
    )
    grants: dict[uuid.UUID, GrantFacts] = {}
    for _ in range(d.byte() % 6):
        grant = decode_grant(d, actor, target.subject_id)
        grants.setdefault(grant.grant_id, grant)
    acknowledged = frozenset(g for g in grants if d.chance(60))
    return Case(
        actor=actor,
        permission=d.pick(PERMISSIONS),
        target=target,
        writes=d.chance(25),
        grants=tuple(grants.values()),
        lao=LaoFacts(
            excluded=d.users() if d.chance(25) else frozenset(),
            restricted_to=d.users() if d.chance(20) else None,
        ),
        acknowledged=acknowledged,
        needs_acknowledgement=d.chance(50),
        now=NOW + timedelta(seconds=d.pick([0, 0, -1, 1])),
    )


cases = st.binary(min_size=CASE_BYTES, max_size=CASE_BYTES).map(decode)


@settings(
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
@given(cases)
def test_decide_matches_the_independent_oracle(case: Case) -> None:
    assert decide(
        actor=case.actor,
        permission=case.permission,
        target=case.target,
        writes=case.writes,
        grants=case.grants,
        lao=case.lao,
        acknowledged=case.acknowledged,
        needs_acknowledgement=case.needs_acknowledgement,
        now=case.now,
    ) == oracle(case)


def test_the_generated_cases_reach_every_kind_of_outcome() -> None:
    """Guard against a generator that only ever produces refusals (a test that cannot fail)."""
    rng = random.Random(5)
    seen: set[str] = set()
    for _ in range(5_000):
        outcome = oracle(decode(rng.randbytes(CASE_BYTES)))
        seen.add(
            f"{type(outcome).__name__}:{getattr(outcome, 'reason', getattr(outcome, 'scope', ''))}"
        )
        if isinstance(outcome, Refusal) and outcome.reason == "not_on_restriction_list":
            seen.add(f"restricted, message {'shown' if outcome.lao_list else 'withheld'}")
    expected = {
        "Allow:FULL",
        "Allow:SUMMARY",
        "Allow:SUMMARY_AND_ACTIONS",
        "NeedsAcknowledgement:",
        "Refusal:account_disabled",
        "Refusal:role",
        "Refusal:excluded",
        "Refusal:not_on_restriction_list",
        "Refusal:clearance",
        "Refusal:not_owner",
        "Refusal:no_grant",
        "Refusal:grant_revoked",
        "Refusal:grant_expired",
        "restricted, message shown",
        "restricted, message withheld",
    }
    assert expected <= seen, expected - seen
