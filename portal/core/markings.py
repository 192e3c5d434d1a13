"""Government Security Classification (GSC) markings: a pure value, its banner, and its rules.

A :class:`Marking` is what every shared record carries and every page, print, export and audit
event repeats (SPEC C2, ``reference/domain.md`` §4 and §8.3):

- a **tier**. OFFICIAL, SECRET and TOP SECRET are known, but the portal holds OFFICIAL only, so a
  marking at SECRET or TOP SECRET cannot be built (:class:`ClassificationRefused`);
- the **-SENSITIVE** flag (not a separate tier, a marking on a subset of OFFICIAL);
- **descriptors** (PERSONAL DATA, COMMERCIAL, ...);
- at most one distribution **handling instruction** (HMG USE ONLY < <ORG> USE ONLY < RECIPIENTS
  ONLY) and, separately, an optional **embargo** date (the EMBARGOED instruction);
- the **owner**: the agency that may lower the marking.

The banner follows the MoJ order ``TIER[-SENSITIVE] - HANDLING - DESCRIPTOR`` (§4.2), in capitals:
``OFFICIAL-SENSITIVE - RECIPIENTS ONLY - PERSONAL DATA``. Choices where the reference is silent:
the embargo follows the handling instruction (``EMBARGOED UNTIL 1 JUNE 2025``, a date without
hyphens so the banner parses back); several descriptors are each their own ``" - "`` element, in
the order of :class:`Descriptor`; the owner is never shown in the banner. FOR PUBLIC RELEASE,
prefixes and national caveats are not modelled: nothing in a public-protection case is for public
release, and everything here stays in the UK.

Markings form a join semilattice: :func:`combine` (the marking of a page or export made of
several records) is the least marking at least as restrictive as every part, and
:meth:`Marking.dominates` is its order. Only the owner may move a marking down that order
(:func:`may_remark`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar

from portal.core.identity import Clearance

REFUSED_MESSAGE: Final = (
    "The portal holds OFFICIAL information only. SECRET and TOP SECRET material must not be "
    "entered here."
)
# The owner of a combination of records owned by different agencies. Nobody may lower it; an
# agency whose identifier happened to equal this text could not lower its own markings (fails
# closed).
MULTIPLE_OWNERS: Final = "(multiple owners)"
MAX_ORG_LENGTH: Final = 80
MAX_OWNER_LENGTH: Final = 200


class MarkingError(ValueError):
    """A marking that cannot be built or read; the message can be shown next to a form field."""


class ClassificationRefused(MarkingError):
    """SECRET or TOP SECRET: never held by the portal (domain §4.1, §8.3)."""

    def __init__(self) -> None:
        super().__init__(REFUSED_MESSAGE)


class Tier(StrEnum):
    """The three GSC tiers, lowest first. Only OFFICIAL can appear in a :class:`Marking`."""

    OFFICIAL = "OFFICIAL"
    SECRET = "SECRET"  # noqa: S105 - a classification tier, not a password
    TOP_SECRET = "TOP_SECRET"  # noqa: S105 - a classification tier, not a password

    @property
    def rank(self) -> int:
        return _TIER_RANK[self]

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def required_clearance(self) -> Clearance:
        """The vetting level for regular unsupervised access (domain §4.1)."""
        return _REQUIRED_CLEARANCE[self]


_TIER_RANK = {Tier.OFFICIAL: 1, Tier.SECRET: 2, Tier.TOP_SECRET: 3}
_REQUIRED_CLEARANCE = {
    Tier.OFFICIAL: Clearance.BPSS,
    Tier.SECRET: Clearance.SC,
    Tier.TOP_SECRET: Clearance.DV,
}


class Descriptor(StrEnum):
    """MoJ GSCP descriptors plus the 2014 LOCSEN (domain §4.2, §8.1), in banner order.

    The 2014 descriptor PERSONAL and the MoJ PERSONAL DATA are one descriptor here; the parser
    accepts either word.
    """

    PERSONAL_DATA = "PERSONAL_DATA"
    HR_MANAGEMENT = "HR_MANAGEMENT"
    LPP = "LPP"
    LEGAL = "LEGAL"
    MARKET_SENSITIVE = "MARKET_SENSITIVE"
    COMMERCIAL = "COMMERCIAL"
    LOCSEN = "LOCSEN"

    @property
    def label(self) -> str:
        return _DESCRIPTOR_LABELS.get(self, self.value.replace("_", " "))


_DESCRIPTOR_LABELS = {
    Descriptor.HR_MANAGEMENT: "HR / MANAGEMENT",
    Descriptor.LPP: "LEGAL PROFESSIONAL PRIVILEGE",
}
_DESCRIPTOR_ORDER = {descriptor: index for index, descriptor in enumerate(Descriptor)}


class Handling(StrEnum):
    """Distribution handling instructions, least restrictive first (domain §8.3).

    ``ORG_USE_ONLY`` names its organisation in :attr:`Marking.handling_org` (``MoJ USE ONLY``).
    """

    HMG_USE_ONLY = "HMG_USE_ONLY"
    ORG_USE_ONLY = "ORG_USE_ONLY"
    RECIPIENTS_ONLY = "RECIPIENTS_ONLY"

    @property
    def rank(self) -> int:
        return _HANDLING_RANK[self]


_HANDLING_RANK = {Handling.HMG_USE_ONLY: 1, Handling.ORG_USE_ONLY: 2, Handling.RECIPIENTS_ONLY: 3}
_MONTHS = (
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
)
_SEPARATOR_IN_TEXT = re.compile(r"\s-|-\s")


def _words(text: str) -> str:
    return " ".join(text.split())


def _normalise_org(org: object) -> str:
    if not isinstance(org, str):
        raise MarkingError("The organisation name must be text.")
    name = _words(org).upper()
    if not name:
        raise MarkingError("Name the organisation for a USE ONLY instruction.")
    if len(name) > MAX_ORG_LENGTH:
        raise MarkingError(f"The organisation name must be {MAX_ORG_LENGTH} characters or fewer.")
    if name == "HMG":
        raise MarkingError("Use the HMG USE ONLY instruction rather than naming HMG.")
    if _SEPARATOR_IN_TEXT.search(name) or name.startswith("-") or name.endswith("-"):
        raise MarkingError("The organisation name cannot start or end with '-' or contain ' - '.")
    return name


@dataclass(frozen=True)
class Marking:
    """A GSC marking at OFFICIAL; immutable, hashable, and refused at SECRET or above.

    :raises ClassificationRefused: for a tier other than OFFICIAL.
    :raises MarkingError: for an inconsistent or malformed value (e.g. ORG USE ONLY without
        an organisation).
    """

    tier: Tier = Tier.OFFICIAL
    sensitive: bool = False
    descriptors: frozenset[Descriptor] = frozenset()
    handling: Handling | None = None
    handling_org: str | None = None
    embargoed_until: date | None = None
    owner: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.tier, Tier):
            raise MarkingError("Choose a classification tier.")
        if self.tier is not Tier.OFFICIAL:
            raise ClassificationRefused()
        if not isinstance(self.sensitive, bool):
            raise MarkingError("SENSITIVE must be true or false.")
        if not isinstance(self.descriptors, frozenset) or not all(
            isinstance(d, Descriptor) for d in self.descriptors
        ):
            raise MarkingError("Descriptors must be a set of known descriptors.")
        if self.handling is not None and not isinstance(self.handling, Handling):
            raise MarkingError("Choose a known handling instruction.")
        if (self.handling is Handling.ORG_USE_ONLY) != (self.handling_org is not None):
            raise MarkingError("Only a USE ONLY instruction names an organisation, and it must.")
        if self.handling_org is not None:
            object.__setattr__(self, "handling_org", _normalise_org(self.handling_org))
        if self.embargoed_until is not None and (
            isinstance(self.embargoed_until, datetime) or not isinstance(self.embargoed_until, date)
        ):
            raise MarkingError("An embargo ends on a date.")
        if self.owner is not None:
            owner = self.owner.strip() if isinstance(self.owner, str) else ""
            if not owner or len(owner) > MAX_OWNER_LENGTH:
                raise MarkingError("The owner must be an agency identifier.")
            object.__setattr__(self, "owner", owner)

    @property
    def banner(self) -> str:
        """The marking in capitals: ``OFFICIAL-SENSITIVE - RECIPIENTS ONLY - PERSONAL DATA``."""
        parts = [self.tier.label + ("-SENSITIVE" if self.sensitive else "")]
        if self.handling is Handling.ORG_USE_ONLY:
            parts.append(f"{self.handling_org} USE ONLY")
        elif self.handling is not None:
            parts.append(self.handling.value.replace("_", " "))
        if self.embargoed_until is not None:
            day = self.embargoed_until
            parts.append(f"EMBARGOED UNTIL {day.day} {_MONTHS[day.month - 1]} {day.year}")
        parts.extend(d.label for d in sorted(self.descriptors, key=_DESCRIPTOR_ORDER.__getitem__))
        return " - ".join(parts)

    def __str__(self) -> str:
        return self.banner

    def dominates(self, other: Marking) -> bool:
        """Whether this marking is at least as restrictive as ``other`` in every respect.

        Tier at least as high, SENSITIVE if ``other`` is, every descriptor of ``other``, a
        handling instruction at least as restrictive (a named organisation only covers the same
        organisation), and an embargo lasting at least as long. The owner does not count.
        """
        return (
            self.tier.rank >= other.tier.rank
            and (self.sensitive or not other.sensitive)
            and self.descriptors >= other.descriptors
            and _handling_covers(self, other)
            and _embargo_covers(self.embargoed_until, other.embargoed_until)
        )

    def to_dict(self) -> dict[str, Any]:
        """A compact, JSON-ready dict: ``tier`` and ``sensitive`` always, the rest when set."""
        data: dict[str, Any] = {"tier": self.tier.value, "sensitive": self.sensitive}
        if self.descriptors:
            ordered = sorted(self.descriptors, key=_DESCRIPTOR_ORDER.__getitem__)
            data["descriptors"] = [d.value for d in ordered]
        if self.handling is not None:
            data["handling"] = self.handling.value
        if self.handling_org is not None:
            data["handling_org"] = self.handling_org
        if self.embargoed_until is not None:
            data["embargoed_until"] = self.embargoed_until.isoformat()
        if self.owner is not None:
            data["owner"] = self.owner
        return data

    def to_json(self) -> str:
        """:meth:`to_dict` as canonical JSON (sorted keys, no spaces) for audit events."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Marking:
        """The marking :meth:`to_dict` wrote.

        :raises ClassificationRefused: for SECRET or TOP SECRET.
        :raises MarkingError: for unknown keys, unknown values or wrong types.
        """
        if not isinstance(data, Mapping):
            raise MarkingError("A stored marking must be an object.")
        unknown = set(data) - _DICT_KEYS
        if unknown:
            raise MarkingError(f"Unknown marking fields: {', '.join(sorted(map(str, unknown)))}.")
        descriptors = data.get("descriptors", [])
        if (
            not isinstance(descriptors, list)
            or not all(isinstance(d, str) for d in descriptors)
            or len(set(descriptors)) != len(descriptors)
        ):
            raise MarkingError("Descriptors must be a list without repeats.")
        handling = data.get("handling")
        embargo = data.get("embargoed_until")
        if embargo is not None and (not isinstance(embargo, str) or not _ISO_DATE.match(embargo)):
            raise MarkingError("An embargo date must be written YYYY-MM-DD.")
        return cls(
            tier=_member(Tier, data.get("tier"), "tier"),
            sensitive=data.get("sensitive", False),
            descriptors=frozenset(_member(Descriptor, d, "descriptor") for d in descriptors),
            handling=None if handling is None else _member(Handling, handling, "handling"),
            handling_org=_optional_str(data, "handling_org"),
            embargoed_until=None if embargo is None else _iso_date(embargo),
            owner=_optional_str(data, "owner"),
        )

    @classmethod
    def from_json(cls, text: str) -> Marking:
        """The marking :meth:`to_json` wrote.

        :raises MarkingError: for malformed JSON or any reason :meth:`from_dict` refuses.
        """
        if isinstance(text, str) and cls is Marking:
            return _stored(text)
        return cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> Marking:
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as error:
            raise MarkingError("A stored marking must be JSON.") from error
        return cls.from_dict(data)


@functools.lru_cache(maxsize=1024)
def _stored(text: str) -> Marking:
    """A stored marking, parsed once per process: a page reads the same few again and again.

    A marking is immutable, so every caller may share one; a refused value raises each time
    (exceptions are not cached).
    """
    return Marking._parse(text)


_DICT_KEYS = frozenset(
    {"tier", "sensitive", "descriptors", "handling", "handling_org", "embargoed_until", "owner"}
)
_ISO_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_E = TypeVar("_E", bound=StrEnum)


def _member(enum: type[_E], value: object, what: str) -> _E:
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    raise MarkingError(f"{value!r} is not a known {what}.")


def _optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise MarkingError(f"The marking's {key} must be text.")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise MarkingError(f"{text!r} is not a date.") from error


PLAIN_OFFICIAL: Final = Marking()
"""Plain OFFICIAL: the default marking and the marking of a combination of nothing."""


def _handling_rank(marking: Marking) -> int:
    return 0 if marking.handling is None else marking.handling.rank


def _handling_covers(upper: Marking, lower: Marking) -> bool:
    upper_rank, lower_rank = _handling_rank(upper), _handling_rank(lower)
    if upper_rank != lower_rank:
        return upper_rank > lower_rank
    return upper.handling_org == lower.handling_org


def _embargo_covers(upper: date | None, lower: date | None) -> bool:
    return lower is None or (upper is not None and upper >= lower)


def _join(a: Marking, b: Marking) -> Marking:
    rank_a, rank_b = _handling_rank(a), _handling_rank(b)
    higher = a if rank_a >= rank_b else b
    handling, org = higher.handling, higher.handling_org
    if rank_a == rank_b and a.handling_org != b.handling_org:
        # Two different "<ORG> USE ONLY" instructions: nobody belongs to both organisations,
        # so the least instruction covering both is RECIPIENTS ONLY.
        handling, org = Handling.RECIPIENTS_ONLY, None
    embargoes = [day for day in (a.embargoed_until, b.embargoed_until) if day is not None]
    if a.owner is None or a.owner == b.owner:
        owner = b.owner
    else:
        owner = a.owner if b.owner is None else MULTIPLE_OWNERS
    return Marking(
        tier=a.tier if a.tier.rank >= b.tier.rank else b.tier,
        sensitive=a.sensitive or b.sensitive,
        descriptors=a.descriptors | b.descriptors,
        handling=handling,
        handling_org=org,
        embargoed_until=max(embargoes, default=None),
        owner=owner,
    )


def combine(markings: Iterable[Marking]) -> Marking:
    """The marking of an output made of several records (domain §4.3, §8.3).

    The highest tier, SENSITIVE if any part is, the union of descriptors, the most restrictive
    handling instruction (two different ``<ORG> USE ONLY`` become RECIPIENTS ONLY) and the latest
    embargo. The owner is kept when every owned part has the same owner, and becomes
    :data:`MULTIPLE_OWNERS` otherwise. The combination of nothing is :data:`PLAIN_OFFICIAL`, which
    leaves any marking unchanged when combined with it. Aggregation alone never raises the tier.
    """
    result = PLAIN_OFFICIAL
    for marking in markings:
        result = _join(result, marking)
    return result


def is_lowering(current: Marking, proposed: Marking) -> bool:
    """Whether replacing ``current`` by ``proposed`` removes any restriction.

    A lowering is any reduction in tier, the SENSITIVE flag, descriptors, handling
    restrictiveness or embargo, even if another part is raised at the same time: swapping one
    descriptor for another is a lowering.
    """
    return not proposed.dominates(current)


def may_remark(actor_agency: str, current: Marking, proposed: Marking) -> bool:
    """Whether ``actor_agency`` may replace ``current`` by ``proposed`` (domain §4.3, §8.3).

    Anyone may raise a marking or keep it. Only the owning agency may lower it or change its
    owner. A marking without an owner, or owned by :data:`MULTIPLE_OWNERS`, cannot be lowered by
    anyone. ``actor_agency`` and :attr:`Marking.owner` must use the same identifier scheme.
    """
    if proposed.owner == current.owner and not is_lowering(current, proposed):
        return True
    return current.owner not in (None, MULTIPLE_OWNERS) and actor_agency == current.owner


def clearance_permits(clearance: Clearance, tier: Tier) -> bool:
    """Whether a holder of ``clearance`` may have regular access at ``tier`` (domain §4.1).

    BPSS for OFFICIAL (OFFICIAL-SENSITIVE included: it is not a separate tier), SC for SECRET,
    DV for TOP SECRET. Supervised occasional access is not modelled.
    """
    return clearance.rank >= tier.required_clearance.rank


def parse_tier(text: str) -> Tier:
    """The tier a user typed or an API sent.

    :raises ClassificationRefused: for SECRET or TOP SECRET.
    :raises MarkingError: for anything else that is not OFFICIAL.
    """
    words = _words(text.replace("_", " ")).upper()
    if words in ("SECRET", "TOP SECRET"):
        raise ClassificationRefused()
    if words != "OFFICIAL":
        raise MarkingError(f"'{text.strip()}' is not a classification tier. Use OFFICIAL.")
    return Tier.OFFICIAL


# "-SENSITIVE" or " SENSITIVE" (MAPPA D), but not " - SENSITIVE", which would be an element.
_HEAD = re.compile(
    r"\s*(TOP[\s_]+SECRET|SECRET|OFFICIAL)(?:(?:-|\s+)(SENSITIVE))?(?=[\s-]|\Z)", re.I
)
_ELEMENT_SEPARATOR = re.compile(r"\s+-\s*|\s*-\s+")
_EMBARGO = re.compile(r"EMBARGOED UNTIL (\d{1,2}) ([A-Z]+) (\d{1,4})")
_DESCRIPTOR_WORDS = {
    **{d.label: d for d in Descriptor},
    "PERSONAL": Descriptor.PERSONAL_DATA,
    "HR/MANAGEMENT": Descriptor.HR_MANAGEMENT,
    "LPP": Descriptor.LPP,
    "LEGAL PROFESSIONAL PRIVILEGE (LPP)": Descriptor.LPP,
}


def parse_marking(text: str, *, owner: str | None = None) -> Marking:
    """The marking a banner spells, e.g. ``OFFICIAL-SENSITIVE - RECIPIENTS ONLY - PERSONAL DATA``.

    Case and spacing are forgiven, ``OFFICIAL SENSITIVE`` (MAPPA D) is accepted, and so are the
    words PERSONAL, LPP and HR/MANAGEMENT. The banner of any marking parses back to it.

    :raises ClassificationRefused: when the banner starts with SECRET or TOP SECRET.
    :raises MarkingError: for an unknown element, two handling instructions or two embargoes.
    """
    head = _HEAD.match(text)
    if head is None:
        raise MarkingError("A marking starts with its classification tier, OFFICIAL.")
    tier = parse_tier(head.group(1))
    rest = re.sub(r"\A[\s-]*", "", text[head.end() :])
    descriptors: set[Descriptor] = set()
    handling: tuple[Handling, str | None] | None = None
    embargo: date | None = None
    for element in _ELEMENT_SEPARATOR.split(rest) if rest.strip() else []:
        words = _words(element).upper()
        if words.replace(" / ", "/") in _DESCRIPTOR_WORDS:
            descriptors.add(_DESCRIPTOR_WORDS[words.replace(" / ", "/")])
            continue
        if (match := _EMBARGO.fullmatch(words)) is not None:
            if embargo is not None:
                raise MarkingError("A marking has at most one embargo.")
            embargo = _embargo_date(*match.groups())
            continue
        if words in ("HMG USE ONLY", "RECIPIENTS ONLY"):
            found: tuple[Handling, str | None] = (Handling(words.replace(" ", "_")), None)
        elif words.endswith(" USE ONLY"):
            found = (Handling.ORG_USE_ONLY, words.removesuffix(" USE ONLY"))
        else:
            raise MarkingError(
                f"'{element.strip()}' is not a handling instruction or descriptor the portal "
                "recognises."
            )
        if handling is not None:
            raise MarkingError("A marking has at most one handling instruction.")
        handling = found
    return Marking(
        tier=tier,
        sensitive=head.group(2) is not None,
        descriptors=frozenset(descriptors),
        handling=None if handling is None else handling[0],
        handling_org=None if handling is None else handling[1],
        embargoed_until=embargo,
        owner=owner,
    )


def _embargo_date(day: str, month: str, year: str) -> date:
    if month not in _MONTHS:
        raise MarkingError(f"'{month}' is not a month.")
    try:
        return date(int(year), _MONTHS.index(month) + 1, int(day))
    except ValueError as error:
        raise MarkingError("The embargo date does not exist.") from error


@dataclass(frozen=True)
class GpmsSuggestion:
    """A suggested GSC marking for a legacy GPMS marking, pending the owner's confirmation."""

    marking: Marking
    note: str


_CONFIRM = "Suggested from the legacy marking; the owner must confirm it."


def suggest_from_gpms(
    legacy: str, *, personal_risk: bool, owner: str | None = None
) -> GpmsSuggestion:
    """The default GSC marking for a legacy (pre-2014) marking, per domain §4.4.

    The legacy text is kept by the caller; every suggestion needs the owner's confirmation.
    ``personal_risk`` says whether the item is personal risk information, which decides
    RESTRICTED (OFFICIAL-SENSITIVE with PERSONAL DATA, else OFFICIAL) and CONFIDENTIAL.

    :raises ClassificationRefused: for SECRET and TOP SECRET.
    :raises MarkingError: for text that does not start with a GPMS marking.
    """
    words = _words(legacy.upper().replace("-", " "))
    sensitive_personal = Marking(
        sensitive=True, descriptors=frozenset({Descriptor.PERSONAL_DATA}), owner=owner
    )
    chosen_personal = sensitive_personal if personal_risk else Marking(sensitive=True, owner=owner)

    def starts(*names: str) -> bool:
        return any(words == name or words.startswith(name + " ") for name in names)

    if starts("TOP SECRET", "SECRET"):
        raise ClassificationRefused()
    if starts("CONFIDENTIAL"):
        note = "Formerly CONFIDENTIAL: the owner decides; SECRET material must not be held here."
        return GpmsSuggestion(chosen_personal, f"{_CONFIRM} {note}")
    if starts("RESTRICTED"):
        marking = sensitive_personal if personal_risk else Marking(owner=owner)
        return GpmsSuggestion(marking, _CONFIRM)
    if starts("PROTECT"):
        note = "Review whether OFFICIAL-SENSITIVE applies."
        return GpmsSuggestion(Marking(owner=owner), f"{_CONFIRM} {note}")
    if starts("NOT PROTECTIVELY MARKED", "NPM", "UNCLASSIFIED"):
        return GpmsSuggestion(Marking(owner=owner), _CONFIRM)
    raise MarkingError(f"'{legacy.strip()}' is not a legacy GPMS marking the portal recognises.")
