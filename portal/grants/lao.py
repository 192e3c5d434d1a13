"""A subject's limited-access lists (the nDelius LAO pattern): see them and set them.

Both open the subject through :func:`portal.access.gate.authorize` with ``lao:manage`` (owner's
staff only, themselves subject to the lists): the page is one ``CONSULTATION``, a change one
``ALTERATION`` of the subject. Nothing here commits.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from portal.access import gate
from portal.access.gate import Purpose
from portal.access.permissions import Permission
from portal.core.actor import Actor
from portal.grants import repository
from portal.grants.schemas import LaoCommand
from portal.grants.service import Refused, find_subject, subject_target
from portal.subjects.service import ChangedMeanwhile

__all__ = ["ChangedMeanwhile", "LaoListView", "LaoPage", "lao_page", "list_version", "set_lao_list"]


@dataclass(frozen=True)
class LaoListView:
    kind: str
    message: str
    members: tuple[repository.Person, ...]
    #: Sent back with the list's form: see :func:`list_version`.
    version: str


@dataclass(frozen=True)
class LaoPage:
    subject_id: uuid.UUID
    subject_name: str
    marking: str
    exclusion: LaoListView
    restriction: LaoListView


def lao_page(actor: Actor, *, subject_id: uuid.UUID) -> LaoPage:
    """The subject's exclusion and restriction lists: a consultation of the subject."""
    subject = find_subject(actor, subject_id, Permission.LAO_MANAGE)
    target = subject_target(subject)
    gate.authorize(actor, Permission.LAO_MANAGE, target, purpose=Purpose.VIEW)
    lists = _stored_lists(subject.id)

    def view(kind: str) -> LaoListView:
        message, members = lists[kind]
        return LaoListView(kind, message, members, list_version(message, members))

    return LaoPage(
        subject.id,
        subject.display_name,
        target.marking.banner,
        view("EXCLUSION"),
        view("RESTRICTION"),
    )


def list_version(message: str, members: tuple[repository.Person, ...]) -> str:
    """Which saved state of a list a page shows: a digest of its message and its members.

    A list is replaced whole, so a page opened before someone else saved the list would undo
    their change (putting back someone they took off an exclusion list, say).
    """
    text = "\n".join([message, *sorted(str(person.id) for person in members)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _stored_lists(subject_id: uuid.UUID) -> dict[str, tuple[str, tuple[repository.Person, ...]]]:
    lists = repository.lao_lists(subject_id)
    members = repository.lao_members(subject_id)
    return {
        kind: (lists[kind].message if kind in lists else "", tuple(members.get(kind, [])))
        for kind in ("EXCLUSION", "RESTRICTION")
    }


def set_lao_list(actor: Actor, *, subject_id: uuid.UUID, command: LaoCommand) -> None:
    """Replace one of the subject's LAO lists; one ``ALTERATION`` event.

    :raises ChangedMeanwhile: when the list was saved after the page was opened.
    :raises Refused: for an unknown email address, excluding oneself, or a restriction list
        that would leave out the person setting it.
    """
    subject = find_subject(actor, subject_id, Permission.LAO_MANAGE)
    gate.authorize(
        actor,
        Permission.LAO_MANAGE,
        subject_target(subject),
        purpose=Purpose.EDIT,
        justification=None,
    )
    repository.lock_subject(subject.id)
    current = list_version(*_stored_lists(subject.id)[command.kind])
    if command.version is not None and command.version != current:
        raise ChangedMeanwhile("list", current)
    people = repository.find_people_by_email(list(command.member_emails))
    unknown = [email for email in command.member_emails if email not in people]
    if unknown:
        raise Refused("members", f"No account has the email address ‘{unknown[0][:60]}’")
    ids = [people[email].id for email in command.member_emails]
    if command.kind == "EXCLUSION" and actor.user_id in ids:
        raise Refused("members", "You cannot exclude yourself. Ask a colleague to do it")
    if command.kind == "RESTRICTION" and ids and actor.user_id not in ids:
        raise Refused("members", "Include yourself, or you will not be able to open this subject")
    repository.replace_lao_list(subject.id, command.kind, user_ids=ids, message=command.message)
