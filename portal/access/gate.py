"""The one door to protected data.

A service that returns or changes a subject or record starts with :func:`authorize`. It reads
the facts in the caller's transaction (the actor's agency's grant rows ``FOR SHARE``, the LAO
lists, the confidentiality acknowledgement, the database time), asks the pure
:func:`portal.access.policy.decide`, and then either

- writes **exactly one** audit event in the caller's transaction (``CONSULTATION`` for a view,
  ``DISCLOSURE`` for a print or export, ``COLLECTION`` for a creation, ``ALTERATION`` for an
  edit) and returns a :class:`Decision`, the only proof of access, constructed here only; or
- raises :class:`AcknowledgementRequired` (nothing written) when a grant-based view needs the
  user's confidentiality acknowledgement first; or
- raises :class:`AccessDenied` (404). The caller's transaction rolls back, and the rollback
  hook registered below records ``AUTHZ_FAIL`` in a short transaction of its own.

Grant life-cycle changes are authorised and recorded in :mod:`portal.access.grant_changes` (one
``GRANT_CHANGED`` event). Nothing here commits; ``with transaction():`` in the view does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final, NoReturn

from flask import g, has_app_context
from sqlalchemy import select

from portal.access import facts as access_facts
from portal.access import policy
from portal.access.models import AccessGrant, ConfidentialityAcknowledgement, ViewProfile
from portal.access.permissions import Permission
from portal.audit import events
from portal.audit.events import ActorLike
from portal.audit.recorder import PendingEvent, record, record_at_commit
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.markings import Marking
from portal.db.statements import conflict_insert
from portal.db.transaction import on_rollback, transaction
from portal.errors import PortalError
from portal.extensions import db

__all__ = [
    "AccessDenied",
    "AcknowledgementRequired",
    "Decision",
    "ListDecision",
    "Purpose",
    "Target",
    "acknowledge",
    "authorize",
    "authorize_list",
    "deny_unknown",
]

log = logging.getLogger("portal.access.gate")

_ATTEMPT_KEY: Final = "portal_access_attempt"


@dataclass(frozen=True)
class Target:
    """What a service is opening, as the gate needs to know it (the gate imports no feature)."""

    subject_id: uuid.UUID
    #: The subject's owning agency.
    owning_agency_id: uuid.UUID
    #: The combined marking of what will be shown.
    marking: Marking
    record_id: uuid.UUID | None = None
    record_owner_agency_id: uuid.UUID | None = None


class Purpose(StrEnum):
    """Why the target is opened; each maps to the one audit event it writes."""

    VIEW = "VIEW"
    PRINT = "PRINT"
    EXPORT = "EXPORT"
    CREATE = "CREATE"
    EDIT = "EDIT"
    #: A disclosure to a person outside the portal (e.g. under CSODS), named in ``recipients``.
    DISCLOSE = "DISCLOSE"


_EVENT_TYPE: Final = {
    Purpose.VIEW: events.EventType.CONSULTATION,
    Purpose.PRINT: events.EventType.DISCLOSURE,
    Purpose.EXPORT: events.EventType.DISCLOSURE,
    Purpose.CREATE: events.EventType.COLLECTION,
    Purpose.EDIT: events.EventType.ALTERATION,
    Purpose.DISCLOSE: events.EventType.DISCLOSURE,
}
_WRITES: Final = frozenset({Purpose.CREATE, Purpose.EDIT})
#: Permissions only the owning agency's staff ever exercise, whatever the purpose.
_OWNER_ONLY: Final = frozenset(
    {
        Permission.SUBJECT_WRITE,
        Permission.RECORD_WRITE,
        Permission.LAO_MANAGE,
        Permission.GRANT_MANAGE,
        Permission.CSODS_READ,
        Permission.CSODS_WRITE,
        Permission.CSODS_APPROVE,
        Permission.MEETING_WRITE,
    }
)
#: Changes a partner makes through its live grant (progress on its own agency's actions): they
#: are decided as a grant-based access and recorded as an ``ALTERATION``.
_GRANT_WRITES: Final = frozenset({Permission.ACTION_UPDATE})
_DISCLOSES: Final = frozenset({Purpose.PRINT, Purpose.EXPORT, Purpose.DISCLOSE})

_GATE: Final = object()


@dataclass(frozen=True)
class Decision:
    """Proof that one access was allowed and logged. Only :func:`authorize` builds one."""

    target: Target
    scope: ViewProfile
    grant_id: uuid.UUID | None
    legal_gateway: str
    dp_condition: str
    _event: PendingEvent = field(repr=False, compare=False)
    _issuer: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._issuer is not _GATE:
            raise TypeError("only portal.access.gate constructs a Decision")

    @property
    def event_seq(self) -> int:
        """The access's event in the chain (writes it now if the commit has not yet)."""
        return self._event.seq


class AccessDenied(PortalError):
    """The actor may not do this here, or the thing does not exist: the same 404 either way.

    ``reason`` goes to the ``AUTHZ_FAIL`` event only. ``lao_message`` is set only when an
    exclusion or restriction list refused: the owner wrote it for the refused user to see.
    """

    status = 404
    title = "Page not found"

    def __init__(
        self,
        reason: str = "refused",
        *,
        actor: ActorLike | None = None,
        permission: Permission | None = None,
        subject_id: uuid.UUID | None = None,
        record_id: uuid.UUID | None = None,
        grant_id: uuid.UUID | None = None,
        lao_message: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.actor = actor
        self.permission = permission
        self.subject_id = subject_id
        self.record_id = record_id
        self.grant_id = grant_id
        self.lao_message = lao_message


class AcknowledgementRequired(PortalError):
    """The actor must acknowledge confidentiality under ``grant_id`` before opening."""

    status = 403
    title = "Confidentiality statement"

    def __init__(self, grant_id: uuid.UUID) -> None:
        super().__init__("acknowledgement required")
        self.grant_id = grant_id


@dataclass(frozen=True)
class _Attempt:
    actor: ActorLike
    permission: Permission
    subject_id: uuid.UUID | None
    record_id: uuid.UUID | None


def _remember(attempt: _Attempt) -> None:
    if has_app_context():
        setattr(g, _ATTEMPT_KEY, attempt)


def _actor_facts(actor: Actor, *, active: bool) -> policy.ActorFacts:
    return policy.ActorFacts(
        user_id=actor.user_id,
        agency_id=actor.agency_id,
        roles=actor.roles,
        clearance=actor.clearance,
        active=active,
    )


def authorize(
    actor: Actor,
    permission: Permission,
    target: Target,
    *,
    purpose: Purpose,
    justification: str | None = None,
    recipients: tuple[str, ...] = (),
    basis: tuple[str, str] | None = None,
    detail: Mapping[str, str] | None = None,
) -> Decision:
    """Decide whether ``actor`` may use ``permission`` on ``target`` for ``purpose``, now.

    On allow, writes exactly one audit event in the caller's transaction (its type from
    ``purpose``; it names the grant, the grant's legal gateway and DP condition, or the
    owner's policing purpose for the owning agency's staff, the justification, which is the
    grant's when none is passed, the marking banner and, for a disclosure, ``recipients``) and
    returns the :class:`Decision`. Never commits. ``basis`` (legal gateway, DP condition) names
    the lawful basis of a disclosure the service itself decided on (a CSODS disclosure under
    CJA 2003 s.327A, say); it replaces the grant's or the owner's in the event and the decision.
    ``detail`` adds what the target alone does not say (which version of a record was read);
    it never replaces the purpose or the permission.

    :raises AccessDenied: when refused; nothing is written here, and ``AUTHZ_FAIL`` is
        recorded after the caller's transaction rolls back.
    :raises AcknowledgementRequired: before a grant-based view the actor has not yet
        acknowledged; nothing is written.
    :raises ValueError: for a disclosure without recipients (a programming error).
    """
    if purpose in _DISCLOSES and not recipients:
        raise ValueError("a print or export names its recipients")
    _remember(_Attempt(actor, permission, target.subject_id, target.record_id))
    writes = (purpose in _WRITES and permission not in _GRANT_WRITES) or permission in _OWNER_ONLY
    loaded = access_facts.load(
        user_id=actor.user_id,
        agency_id=actor.agency_id,
        subject_id=target.subject_id,
        with_grants=not writes,
    )
    outcome = policy.decide(
        actor=_actor_facts(actor, active=loaded.actor_active),
        permission=permission,
        target=policy.TargetFacts(
            subject_id=target.subject_id,
            owning_agency_id=target.owning_agency_id,
            tier=target.marking.tier,
            record_id=target.record_id,
            record_owner_agency_id=target.record_owner_agency_id,
        ),
        writes=writes,
        grants=loaded.grants,
        lao=loaded.lao,
        acknowledged=loaded.acknowledged,
        needs_acknowledgement=not writes,
        now=loaded.now,
    )
    if isinstance(outcome, policy.Refusal) and policy.break_glass_may_start(
        roles=actor.roles, refusal=outcome
    ):
        window = access_facts.break_glass_window(
            user_id=actor.user_id, subject_id=target.subject_id, now=loaded.now
        )
        if window is not None:
            outcome = policy.with_break_glass(
                outcome,
                roles=actor.roles,
                permission=permission,
                window_ends=window.ends_at,
                now=loaded.now,
                reason=window.reason,
            )
    if isinstance(outcome, policy.Refusal):
        raise AccessDenied(
            outcome.reason,
            actor=actor,
            permission=permission,
            subject_id=target.subject_id,
            record_id=target.record_id,
            grant_id=outcome.grant_id,
            lao_message=_message(loaded.lao_messages, outcome.lao_list),
        )
    if isinstance(outcome, policy.NeedsAcknowledgement):
        raise AcknowledgementRequired(outcome.grant_id)
    if basis is not None:
        outcome = replace(outcome, legal_gateway=basis[0], dp_condition=basis[1])
    event = events.processing(
        _EVENT_TYPE[purpose],
        actor,
        subject_id=target.subject_id,
        record_id=target.record_id,
        grant_id=outcome.grant_id,
        legal_gateway=outcome.legal_gateway,
        dp_condition=outcome.dp_condition,
        justification=justification if justification is not None else outcome.justification,
        marking=target.marking.banner,
        recipients=recipients if purpose in _DISCLOSES else (),
        detail={
            **(detail or {}),
            "purpose": purpose.value.lower(),
            "permission": permission.value,
        },
    )
    # Written by the unit of work's last step, so the chain head is locked only for the
    # insert and the commit, not while the page renders.
    pending = record_at_commit(event, at=loaded.now)
    return Decision(
        target=target,
        scope=ViewProfile(outcome.scope),
        grant_id=outcome.grant_id,
        legal_gateway=outcome.legal_gateway,
        dp_condition=outcome.dp_condition,
        _event=pending,
        _issuer=_GATE,
    )


def _message(messages: dict[str, str], lao_list: str | None) -> str | None:
    if lao_list is None:
        return None
    message = messages.get(lao_list, "").strip()
    return message or None


def deny_unknown(
    actor: Actor,
    permission: Permission,
    *,
    subject_id: uuid.UUID | None = None,
    record_id: uuid.UUID | None = None,
) -> NoReturn:
    """Refuse an id that does not exist exactly as one the actor may not open.

    Writes nothing; ``AUTHZ_FAIL`` (reason ``not_found``) is recorded after the caller's
    transaction rolls back.

    :raises AccessDenied: always.
    """
    _remember(_Attempt(actor, permission, subject_id, record_id))
    raise AccessDenied(
        "not_found",
        actor=actor,
        permission=permission,
        subject_id=subject_id,
        record_id=record_id,
    )


def acknowledge(actor: Actor, *, grant_id: uuid.UUID) -> None:
    """Store ``actor``'s confidentiality acknowledgement under ``grant_id``; idempotent.

    Writes in the caller's transaction (no audit event: nothing is disclosed); never commits.

    :raises AccessDenied: when the grant is not one to the actor's agency (or to the actor).
    """
    row = db.session.execute(
        select(AccessGrant.grantee_agency_id, AccessGrant.grantee_user_id, AccessGrant.subject_id)
        .where(AccessGrant.id == grant_id)
        .with_for_update(read=True)
    ).one_or_none()
    if row is None or row[0] != actor.agency_id or (row[1] is not None and row[1] != actor.user_id):
        _remember(_Attempt(actor, Permission.SUBJECT_READ, None, None))
        raise AccessDenied(
            "acknowledge_foreign_grant",
            actor=actor,
            permission=Permission.SUBJECT_READ,
            subject_id=row[2] if row is not None else None,
            grant_id=grant_id,
        )
    table = ConfidentialityAcknowledgement
    values = {
        "id": uuid.uuid4(),
        "grant_id": grant_id,
        "user_id": actor.user_id,
        "acknowledged_at": db_now(),
    }
    db.session.execute(conflict_insert()(table).values(**values).on_conflict_do_nothing())


# --- List pages -----------------------------------------------------------------------------

#: Row ids an event names per detail value (five UUIDs fit in one value).
_IDS_PER_VALUE: Final = 5
#: The most rows one event names (the rest of the detail holds the purpose and counts).
MAX_LISTED_PER_SUBJECT: Final = 80


@dataclass(frozen=True)
class ListDecision:
    """What a list page may show: one :class:`Decision` per subject allowed, and the grant
    each subject waiting for the actor's confidentiality acknowledgement needs it under."""

    allowed: dict[uuid.UUID, Decision]
    needs_acknowledgement: dict[uuid.UUID, uuid.UUID]


def authorize_list(
    actor: Actor,
    permission: Permission,
    targets: list[Target],
    *,
    rows: dict[uuid.UUID, tuple[uuid.UUID, ...]],
    listing: str,
) -> ListDecision:
    """Decide, for a list page, which subjects' rows ``actor`` may see now, and log them.

    The facts for every subject are read in one go (grant rows ``FOR SHARE``, LAO lists, the
    acknowledgements, the database time) and each target is put to the same pure
    :func:`portal.access.policy.decide` as :func:`authorize`. For every subject allowed, exactly
    one ``CONSULTATION`` event is written in the caller's transaction, naming the subject, the
    grant and its lawful basis, the marking and the ids of the rows shown (``rows[subject]``,
    at most :data:`MAX_LISTED_PER_SUBJECT`). Subjects refused are left out of the answer and
    write nothing (a list shows only what may be seen; it is not an attempt to open one).
    Never commits.

    :raises ValueError: for more rows of one subject than one event can name.
    """
    subject_ids = list(dict.fromkeys(t.subject_id for t in targets))
    for subject_id in subject_ids:
        if len(rows.get(subject_id, ())) > MAX_LISTED_PER_SUBJECT:
            raise ValueError("too many rows of one subject for one event")
    loaded = access_facts.load_many(
        user_id=actor.user_id, agency_id=actor.agency_id, subject_ids=subject_ids
    )
    facts = _actor_facts(actor, active=loaded.actor_active)
    allowed: dict[uuid.UUID, Decision] = {}
    waiting: dict[uuid.UUID, uuid.UUID] = {}
    for target in targets:
        if target.subject_id in allowed or target.subject_id in waiting:
            continue
        outcome = policy.decide(
            actor=facts,
            permission=permission,
            target=policy.TargetFacts(
                subject_id=target.subject_id,
                owning_agency_id=target.owning_agency_id,
                tier=target.marking.tier,
            ),
            writes=False,
            grants=loaded.grants.get(target.subject_id, ()),
            lao=loaded.lao.get(target.subject_id, policy.LaoFacts()),
            acknowledged=loaded.acknowledged,
            needs_acknowledgement=True,
            now=loaded.now,
        )
        if isinstance(outcome, policy.NeedsAcknowledgement):
            waiting[target.subject_id] = outcome.grant_id
            continue
        if isinstance(outcome, policy.Refusal):
            continue
        shown = rows.get(target.subject_id, ())
        detail = {
            "purpose": Purpose.VIEW.value.lower(),
            "permission": permission.value,
            "listing": listing,
            "rows": str(len(shown)),
        }
        for index in range(0, len(shown), _IDS_PER_VALUE):
            chunk = shown[index : index + _IDS_PER_VALUE]
            detail[f"ids_{index // _IDS_PER_VALUE + 1}"] = ",".join(str(i) for i in chunk)
        pending = record_at_commit(
            events.processing(
                events.EventType.CONSULTATION,
                actor,
                subject_id=target.subject_id,
                grant_id=outcome.grant_id,
                legal_gateway=outcome.legal_gateway,
                dp_condition=outcome.dp_condition,
                justification=outcome.justification,
                marking=target.marking.banner,
                detail=detail,
            ),
            at=loaded.now,
        )
        allowed[target.subject_id] = Decision(
            target=target,
            scope=ViewProfile(outcome.scope),
            grant_id=outcome.grant_id,
            legal_gateway=outcome.legal_gateway,
            dp_condition=outcome.dp_condition,
            _event=pending,
            _issuer=_GATE,
        )
    return ListDecision(allowed=allowed, needs_acknowledgement=waiting)


# --- AUTHZ_FAIL after the rollback ----------------------------------------------------------


def _record_refusal(exc: BaseException) -> None:
    """Rollback hook: record ``AUTHZ_FAIL`` for a refused unit of work, in its own transaction.

    A refusal raised without naming its actor (a service that refuses after the gate allowed,
    say) is attributed to the last attempt the gate saw in this application context.
    """
    if not isinstance(exc, AccessDenied):
        return
    attempt = getattr(g, _ATTEMPT_KEY, None) if has_app_context() else None
    actor = exc.actor or (attempt.actor if attempt else None)
    if actor is None:
        return
    permission = exc.permission or (attempt.permission if attempt else None)
    subject_id = exc.subject_id or (attempt.subject_id if attempt else None)
    record_id = exc.record_id or (attempt.record_id if attempt else None)
    detail = {"permission": permission.value} if permission else {}
    try:
        with transaction():
            record(
                events.authz_fail(
                    actor,
                    reason=exc.reason,
                    subject_id=subject_id,
                    record_id=record_id,
                    grant_id=exc.grant_id,
                    detail=detail,
                )
            )
    except Exception as failure:  # the refusal stands; say only what kind of failure it was
        log.error("could not record AUTHZ_FAIL: %s", type(failure).__name__)


on_rollback(AccessDenied, _record_refusal)
