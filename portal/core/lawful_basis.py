"""Lawful-basis codes: the legal gateway and the data-protection condition every share records.

The list is the one proposed in ``reference/domain.md`` §3.6, kept as data so that forms, schemas,
the gate and the access log all agree on the same codes. A share records **two** codes: a legal
power or *gateway* (the power to share) and a *data-protection condition* (the DPA 2018 Part 3 or
UK GDPR condition that makes the processing lawful). ``EMERGENCY`` is neither: it is a *modifier*
recorded on break-glass access, which forces a retrospective IG review (§8.3, SPEC C7).

Codes are stored as text; anything read back from a form, the API or the database goes through
:func:`basis`, :func:`gateway` or :func:`dp_condition`, which refuse unknown codes and codes of the
wrong kind with a message fit to show next to the form field.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class BasisKind(StrEnum):
    """What a code stands for in a share's lawful basis."""

    GATEWAY = "gateway"
    DP_CONDITION = "dp_condition"
    MODIFIER = "modifier"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    BasisKind.GATEWAY: "legal gateway",
    BasisKind.DP_CONDITION: "data-protection condition",
    BasisKind.MODIFIER: "modifier",
}


class DpCategory(StrEnum):
    """Which regime and provision a data-protection condition belongs to (domain §3.1-§3.4)."""

    PART3 = "part3"  # DPA 2018 Part 3, law enforcement processing (non-sensitive)
    PART3_SENSITIVE = "part3_sensitive"  # Part 3 sensitive processing, s.35(4)/(5) + Sch 8
    GDPR_ART6 = "gdpr_art6"  # UK GDPR Art 6(1) lawful basis
    GDPR_ART9 = "gdpr_art9"  # UK GDPR Art 9(2) special category condition
    GDPR_ART10 = "gdpr_art10"  # UK GDPR Art 10 criminal offence data

    @property
    def is_part3(self) -> bool:
        return self in (DpCategory.PART3, DpCategory.PART3_SENSITIVE)


@dataclass(frozen=True)
class LawfulBasis:
    """One code of the list: what it is, what it is called and which law it cites."""

    code: str
    kind: BasisKind
    label: str
    statute: str
    description: str
    category: DpCategory | None = None

    def __post_init__(self) -> None:
        has_category = self.category is not None
        if has_category != (self.kind is BasisKind.DP_CONDITION):
            raise ValueError(f"{self.code}: only data-protection conditions carry a category")

    @property
    def display(self) -> str:
        """The label with its statute, as a dropdown option shows it."""
        return f"{self.label} ({self.statute})"


class UnknownLawfulBasis(ValueError):
    """A code that is not in the list, or not of the kind the caller needs."""


EMERGENCY: Final = "EMERGENCY"

_G = BasisKind.GATEWAY
_D = BasisKind.DP_CONDITION

# Order as in domain.md §3.6: dropdowns list codes in this order.
_CODES: Final[tuple[LawfulBasis, ...]] = (
    LawfulBasis(
        "GW-CJA03-S325",
        _G,
        "MAPPA duty to co-operate / exchange of information",
        "Criminal Justice Act 2003 s.325(3)-(4)",
        "Reciprocal duty of the Responsible Authority and duty-to-co-operate agencies to "
        "co-operate, which may include exchanging information. The primary MAPPA gateway.",
    ),
    LawfulBasis(
        "GW-CJA03-S327A",
        _G,
        "Child sex offender disclosure (CSODS)",
        "CJA 2003 s.327A",
        "Responsible Authority duty to consider disclosing a child sex offender's convictions "
        "to a member of the public, with a presumption to disclose.",
    ),
    LawfulBasis(
        "GW-CDA98-S115",
        _G,
        "Disclosure to relevant authority for crime and disorder purposes",
        "Crime and Disorder Act 1998 s.115",
        "A power, not a duty, for any person to disclose to a relevant authority (police, "
        "local authority, probation, health) where necessary or expedient for the Act's purposes.",
    ),
    LawfulBasis(
        "GW-OMA07-S14",
        _G,
        "Offender management information exchange",
        "Offender Management Act 2007 s.14",
        "Exchange of information for probation and offender management purposes.",
    ),
    LawfulBasis(
        "GW-CA89-S47",
        _G,
        "Child protection enquiry (significant harm)",
        "Children Act 1989 s.47",
        "Local authority enquiries where a child is suffering, or likely to suffer, "
        "significant harm; partners must co-operate.",
    ),
    LawfulBasis(
        "GW-CA89-S17",
        _G,
        "Child in need assessment",
        "Children Act 1989 s.17",
        "Assessment of and services for children in need.",
    ),
    LawfulBasis(
        "GW-CA04-S11",
        _G,
        "Safeguarding duty of the partner body",
        "Children Act 2004 s.11",
        "Duty to have regard to the need to safeguard and promote the welfare of children.",
    ),
    LawfulBasis(
        "GW-CA04-S16E",
        _G,
        "Safeguarding partner arrangements",
        "Children Act 2004 s.16E (per Working Together 2023)",
        "Arrangements made by the safeguarding partners for their area.",
    ),
    LawfulBasis(
        "GW-CL-POLICING",
        _G,
        "Common-law policing purpose (pressing social need)",
        "Common law; APP information management / CLPD",
        "The police common-law power to share where there is a pressing social need "
        "(Common Law Police Disclosures).",
    ),
    LawfulBasis(
        "GW-DVDS-DAA21",
        _G,
        "Clare's Law disclosure (Right to Ask / Right to Know)",
        "Common law + Domestic Abuse Act 2021 s.77 guidance",
        "Domestic Violence Disclosure Scheme disclosure under the common-law police power, "
        "following the statutory guidance.",
    ),
    LawfulBasis(
        "GW-PCSC22-S16",
        _G,
        "Serious violence duty information sharing",
        "Police, Crime, Sentencing and Courts Act 2022 s.16",
        "Disclosure for the serious violence duty; excludes patient information and personal "
        "information from health and social care authorities.",
    ),
    LawfulBasis(
        "GW-CONSENT",
        _G,
        "Data subject consent (record how obtained)",
        "— (record only)",
        "The data subject agreed to the sharing; record how consent was obtained. Rarely "
        "appropriate in public protection work.",
    ),
    LawfulBasis(
        "DP3-S35-LE",
        _D,
        "Part 3, law enforcement processing (non-sensitive)",
        "DPA 2018 s.31, s.35(2)",
        "Processing by a competent authority for the law enforcement purposes, with no "
        "sensitive processing.",
        DpCategory.PART3,
    ),
    LawfulBasis(
        "DP3-SCH8-1",
        _D,
        "Part 3 sensitive: statutory purposes, substantial public interest",
        "DPA 2018 s.35(5), Sch 8 para 1",
        "Strictly necessary sensitive processing for a statutory function and for reasons "
        "of substantial public interest; needs an appropriate policy document.",
        DpCategory.PART3_SENSITIVE,
    ),
    LawfulBasis(
        "DP3-SCH8-2",
        _D,
        "Part 3 sensitive: administration of justice",
        "DPA 2018 Sch 8 para 2",
        "Strictly necessary sensitive processing for the administration of justice; needs an "
        "appropriate policy document.",
        DpCategory.PART3_SENSITIVE,
    ),
    LawfulBasis(
        "DP3-SCH8-3",
        _D,
        "Part 3 sensitive: vital interests",
        "DPA 2018 Sch 8 para 3",
        "Strictly necessary sensitive processing to protect the vital interests of the data "
        "subject or another person; needs an appropriate policy document.",
        DpCategory.PART3_SENSITIVE,
    ),
    LawfulBasis(
        "DP3-SCH8-4",
        _D,
        "Part 3 sensitive: safeguarding children / individuals at risk",
        "DPA 2018 Sch 8 para 4",
        "Strictly necessary sensitive processing to protect a child or an adult at risk from "
        "harm, without consent for a listed reason; needs an appropriate policy document.",
        DpCategory.PART3_SENSITIVE,
    ),
    LawfulBasis(
        "DP3-S35-4-CONSENT",
        _D,
        "Part 3 sensitive: consent + APD",
        "DPA 2018 s.35(4)",
        "Sensitive processing with the data subject's consent and an appropriate policy "
        "document in place.",
        DpCategory.PART3_SENSITIVE,
    ),
    LawfulBasis(
        "GDPR-6-1-C",
        _D,
        "Legal obligation",
        "UK GDPR Art 6(1)(c)",
        "Processing necessary to comply with a legal obligation, such as a statutory duty "
        "to co-operate.",
        DpCategory.GDPR_ART6,
    ),
    LawfulBasis(
        "GDPR-6-1-D",
        _D,
        "Vital interests",
        "UK GDPR Art 6(1)(d)",
        "Processing necessary to protect someone's life.",
        DpCategory.GDPR_ART6,
    ),
    LawfulBasis(
        "GDPR-6-1-E",
        _D,
        "Public task",
        "UK GDPR Art 6(1)(e)",
        "Processing necessary for a task in the public interest or in the exercise of "
        "official authority.",
        DpCategory.GDPR_ART6,
    ),
    LawfulBasis(
        "GDPR-9-2-G-SCH1-6",
        _D,
        "Special category: statutory and government purposes",
        "UK GDPR Art 9(2)(g); DPA Sch 1 para 6 (not re-read)",
        "Special category data, substantial public interest: statutory and government purposes.",
        DpCategory.GDPR_ART9,
    ),
    LawfulBasis(
        "GDPR-9-2-G-SCH1-10",
        _D,
        "Special category: preventing/detecting unlawful acts",
        "UK GDPR Art 9(2)(g); DPA Sch 1 para 10 (not re-read)",
        "Special category data, substantial public interest: preventing or detecting "
        "unlawful acts.",
        DpCategory.GDPR_ART9,
    ),
    LawfulBasis(
        "GDPR-9-2-G-SCH1-18",
        _D,
        "Special category: safeguarding children / individuals at risk",
        "UK GDPR Art 9(2)(g); DPA Sch 1 para 18 (not re-read)",
        "Special category data, substantial public interest: safeguarding children and "
        "individuals at risk.",
        DpCategory.GDPR_ART9,
    ),
    LawfulBasis(
        "GDPR-9-2-H-SCH1-2",
        _D,
        "Special category: health or social care",
        "UK GDPR Art 9(2)(h); DPA Sch 1 para 2",
        "Special category data processed for health or social care purposes.",
        DpCategory.GDPR_ART9,
    ),
    LawfulBasis(
        "GDPR-10-SCH1",
        _D,
        "Criminal offence data condition (specify para)",
        "UK GDPR Art 10; DPA 2018 s.10(5), Sch 1",
        "Criminal offence data processed under official authority or a DPA Schedule 1 "
        "condition; record which paragraph.",
        DpCategory.GDPR_ART10,
    ),
    LawfulBasis(
        EMERGENCY,
        BasisKind.MODIFIER,
        "Emergency sharing (risk to life / serious harm); review afterwards",
        "ICO Data Sharing Code, 'urgent situation or emergency' chapter",
        "Sharing first in an emergency, with a retrospective information-governance review. "
        "Recorded on break-glass access.",
    ),
)

_BY_CODE: Final[dict[str, LawfulBasis]] = {entry.code: entry for entry in _CODES}

ALL: Final[tuple[LawfulBasis, ...]] = _CODES
GATEWAYS: Final[tuple[LawfulBasis, ...]] = tuple(b for b in _CODES if b.kind is _G)
DP_CONDITIONS: Final[tuple[LawfulBasis, ...]] = tuple(b for b in _CODES if b.kind is _D)


def basis(code: str) -> LawfulBasis:
    """The entry for ``code``, of any kind.

    :raises UnknownLawfulBasis: when ``code`` is not in the list (codes are case-sensitive).
    """
    entry = _BY_CODE.get(code)
    if entry is None:
        raise UnknownLawfulBasis(f"'{code}' is not a lawful-basis code the portal recognises.")
    return entry


def _of_kind(code: str, kind: BasisKind) -> LawfulBasis:
    entry = basis(code)
    if entry.kind is not kind:
        raise UnknownLawfulBasis(f"'{code}' is a {entry.kind.label}, not a {kind.label}.")
    return entry


def gateway(code: str) -> LawfulBasis:
    """The legal gateway for ``code``.

    :raises UnknownLawfulBasis: when the code is unknown or is not a gateway.
    """
    return _of_kind(code, BasisKind.GATEWAY)


def dp_condition(code: str) -> LawfulBasis:
    """The data-protection condition for ``code``.

    :raises UnknownLawfulBasis: when the code is unknown or is not a data-protection condition.
    """
    return _of_kind(code, BasisKind.DP_CONDITION)


def _category(code: str) -> DpCategory:
    category = dp_condition(code).category
    if category is None:  # excluded by LawfulBasis.__post_init__
        raise AssertionError(code)
    return category


def is_part3(code: str) -> bool:
    """Whether a data-protection condition belongs to DPA 2018 Part 3 (law enforcement).

    Competent authorities (police, prisons, probation) rely on Part 3 conditions; other
    partners on UK GDPR ones (issue 6: "competent authorities get a Part 3 code").

    :raises UnknownLawfulBasis: when the code is unknown or is not a data-protection condition.
    """
    return _category(code).is_part3


def is_sensitive_processing(code: str) -> bool:
    """Whether a condition covers sensitive processing (Part 3 s.35) or special category data.

    :raises UnknownLawfulBasis: when the code is unknown or is not a data-protection condition.
    """
    return _category(code) in (DpCategory.PART3_SENSITIVE, DpCategory.GDPR_ART9)


def needs_appropriate_policy_document(code: str) -> bool:
    """Whether sharing under this condition is blocked unless the controller has an APD on file.

    Domain §3.2 and §8.3: Part 3 sensitive processing (s.35(4) consent or s.35(5) with a
    Schedule 8 condition) needs an appropriate policy document (s.42).

    :raises UnknownLawfulBasis: when the code is unknown or is not a data-protection condition.
    """
    return _category(code) is DpCategory.PART3_SENSITIVE


def is_emergency(code: str) -> bool:
    """Whether ``code`` is the break-glass ``EMERGENCY`` modifier.

    :raises UnknownLawfulBasis: when the code is not in the list at all.
    """
    return basis(code).code == EMERGENCY


def choices(kind: BasisKind) -> list[tuple[str, str]]:
    """``(code, "label (statute)")`` pairs of one kind, in list order, for a select field."""
    return [(entry.code, entry.display) for entry in _CODES if entry.kind is kind]
