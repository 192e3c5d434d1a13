"""GSC markings: refusal above OFFICIAL, the banner, combination laws, lowering, storage."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import string
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from portal.core.identity import Clearance
from portal.core.markings import (
    MULTIPLE_OWNERS,
    PLAIN_OFFICIAL,
    REFUSED_MESSAGE,
    ClassificationRefused,
    Descriptor,
    Handling,
    Marking,
    MarkingError,
    Tier,
    clearance_permits,
    combine,
    is_lowering,
    may_remark,
    parse_marking,
    parse_tier,
    suggest_from_gpms,
)

POLICE, PROBATION, HOUSING = "police-north", "probation-north", "housing-north"
ORGS = ("NORTHSHIRE POLICE", "MOJ", "STOKE-ON-TRENT CITY COUNCIL")
DATES = (date(2025, 1, 31), date(2025, 6, 1), date(2026, 12, 25))

handlings = st.one_of(
    st.just((None, None)),
    st.just((Handling.HMG_USE_ONLY, None)),
    st.tuples(st.just(Handling.ORG_USE_ONLY), st.sampled_from(ORGS)),
    st.just((Handling.RECIPIENTS_ONLY, None)),
)
embargoes = st.one_of(st.none(), st.sampled_from(DATES), st.dates())


SOME_OWNERS = st.one_of(st.none(), st.sampled_from((POLICE, PROBATION)))


@st.composite
def markings(draw, owners=SOME_OWNERS):
    handling, org = draw(handlings)
    return Marking(
        sensitive=draw(st.booleans()),
        descriptors=frozenset(draw(st.sets(st.sampled_from(list(Descriptor)), max_size=3))),
        handling=handling,
        handling_org=org,
        embargoed_until=draw(embargoes),
        owner=draw(owners),
    )


# An oracle for "at least as restrictive", written from the rules in domain.md §8.3 without
# using the module's own comparison.
_HANDLING_AT_LEAST = (
    {
        (None, None),
        ("HMG", None),
        ("HMG", "HMG"),
        ("RECIPIENTS", None),
        ("RECIPIENTS", "HMG"),
        ("RECIPIENTS", "RECIPIENTS"),
    }
    | {("RECIPIENTS", ("ORG", o)) for o in ORGS}
    | {(("ORG", o), "HMG") for o in ORGS}
    | {(("ORG", o), None) for o in ORGS}
    | {(("ORG", o), ("ORG", o)) for o in ORGS}
)


def _handling_name(m):
    return {
        None: None,
        Handling.HMG_USE_ONLY: "HMG",
        Handling.RECIPIENTS_ONLY: "RECIPIENTS",
        Handling.ORG_USE_ONLY: ("ORG", m.handling_org),
    }[m.handling]


def oracle_at_least(upper, lower):
    if lower.sensitive and not upper.sensitive:
        return False
    if not lower.descriptors <= upper.descriptors:
        return False
    if (_handling_name(upper), _handling_name(lower)) not in _HANDLING_AT_LEAST:
        return False
    if lower.embargoed_until is None:
        return True
    return upper.embargoed_until is not None and upper.embargoed_until >= lower.embargoed_until


def without_owner(m):
    return dataclasses.replace(m, owner=None)


# --- purity -----------------------------------------------------------------------------

PURE_MODULES = {
    "portal.core.markings": {"portal.core.identity"},
    "portal.core.lawful_basis": set(),
    "portal.core.sanitise": {"bleach.sanitizer"},
}


@pytest.mark.parametrize(("module", "allowed"), PURE_MODULES.items())
def test_import_of_pure_core_module_reaches_only_stdlib_and_allowed_modules(module, allowed):
    """No Flask, SQLAlchemy, I/O helper or feature package: the values stay pure."""
    path = Path(importlib.util.find_spec(module).origin)
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            imported.add(node.module)
    outside_stdlib = {
        name for name in imported if name.split(".")[0] not in sys.stdlib_module_names
    }
    assert outside_stdlib == allowed


# --- refusal above OFFICIAL -------------------------------------------------------------


@pytest.mark.parametrize("tier", [Tier.SECRET, Tier.TOP_SECRET])
def test_construct_with_secret_or_top_secret_tier_is_refused_with_form_message(tier):
    with pytest.raises(ClassificationRefused) as refused:
        Marking(tier=tier)
    assert str(refused.value) == REFUSED_MESSAGE
    assert "OFFICIAL information only" in REFUSED_MESSAGE


@pytest.mark.parametrize("text", ["SECRET", "secret", " Top  Secret ", "TOP_SECRET"])
def test_parse_tier_with_secret_words_is_refused(text):
    with pytest.raises(ClassificationRefused):
        parse_tier(text)


@pytest.mark.parametrize("text", ["OFFICIAL", " official "])
def test_parse_tier_with_official_returns_official(text):
    assert parse_tier(text) is Tier.OFFICIAL


@pytest.mark.parametrize("text", ["RESTRICTED", "OFFICIAL-SENSITIVE", "", "UNCLASSIFIED"])
def test_parse_tier_with_other_words_is_rejected_without_refusal_message(text):
    with pytest.raises(MarkingError) as error:
        parse_tier(text)
    assert not isinstance(error.value, ClassificationRefused)


def test_construct_with_plain_string_tier_is_rejected():
    with pytest.raises(MarkingError):
        Marking(tier="OFFICIAL")


# --- the banner ---------------------------------------------------------------------------


def test_banner_of_plain_official_is_official():
    assert PLAIN_OFFICIAL.banner == "OFFICIAL"
    assert str(Marking(owner=POLICE)) == "OFFICIAL"


def test_banner_with_handling_and_descriptor_follows_tier_handling_descriptor_order():
    marking = Marking(
        sensitive=True,
        descriptors=frozenset({Descriptor.PERSONAL_DATA}),
        handling=Handling.RECIPIENTS_ONLY,
        owner=POLICE,
    )
    assert marking.banner == "OFFICIAL-SENSITIVE - RECIPIENTS ONLY - PERSONAL DATA"
    assert str(marking) == marking.banner


def test_banner_with_every_part_puts_embargo_after_handling_and_descriptors_in_fixed_order():
    marking = Marking(
        sensitive=True,
        descriptors=frozenset({Descriptor.LOCSEN, Descriptor.COMMERCIAL, Descriptor.PERSONAL_DATA}),
        handling=Handling.HMG_USE_ONLY,
        embargoed_until=date(2025, 6, 1),
    )
    assert marking.banner == (
        "OFFICIAL-SENSITIVE - HMG USE ONLY - EMBARGOED UNTIL 1 JUNE 2025"
        " - PERSONAL DATA - COMMERCIAL - LOCSEN"
    )


def test_banner_with_org_use_only_names_the_organisation_in_capitals():
    marking = Marking(handling=Handling.ORG_USE_ONLY, handling_org="  MoJ ")
    assert marking.handling_org == "MOJ"
    assert marking.banner == "OFFICIAL - MOJ USE ONLY"


@pytest.mark.parametrize(
    ("descriptor", "label"),
    [
        (Descriptor.HR_MANAGEMENT, "HR / MANAGEMENT"),
        (Descriptor.LPP, "LEGAL PROFESSIONAL PRIVILEGE"),
        (Descriptor.MARKET_SENSITIVE, "MARKET SENSITIVE"),
        (Descriptor.LEGAL, "LEGAL"),
    ],
)
def test_banner_with_descriptor_uses_its_label(descriptor, label):
    assert Marking(descriptors=frozenset({descriptor})).banner == f"OFFICIAL - {label}"


@given(markings())
def test_banner_of_any_marking_is_capitals_and_never_names_owner(marking):
    banner = marking.banner
    assert banner == banner.upper()
    assert banner.startswith("OFFICIAL")
    for owner in (POLICE, PROBATION):
        assert owner.upper() not in banner


# --- construction rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("handling", "org"),
    [
        (Handling.ORG_USE_ONLY, None),
        (Handling.RECIPIENTS_ONLY, "MOJ"),
        (None, "MOJ"),
        (Handling.ORG_USE_ONLY, "   "),
        (Handling.ORG_USE_ONLY, "hmg"),
        (Handling.ORG_USE_ONLY, "POLICE - PROBATION"),
        (Handling.ORG_USE_ONLY, "-POLICE"),
        (Handling.ORG_USE_ONLY, "POLICE-"),
        (Handling.ORG_USE_ONLY, "X" * 81),
    ],
)
def test_construct_with_inconsistent_handling_organisation_is_rejected(handling, org):
    with pytest.raises(MarkingError):
        Marking(handling=handling, handling_org=org)


@pytest.mark.parametrize(
    "changes",
    [
        {"owner": "   "},
        {"owner": "x" * 201},
        {"owner": 42},
        {"handling": Handling.ORG_USE_ONLY, "handling_org": 42},
        {"embargoed_until": datetime(2025, 6, 1)},
        {"embargoed_until": "2025-06-01"},
        {"descriptors": {Descriptor.PERSONAL_DATA}},
        {"descriptors": frozenset({"PERSONAL_DATA"})},
        {"sensitive": 1},
        {"handling": "RECIPIENTS_ONLY"},
    ],
)
def test_construct_with_wrong_type_or_blank_value_is_rejected(changes):
    with pytest.raises(MarkingError):
        Marking(**changes)


def test_construct_with_padded_owner_strips_it():
    assert Marking(owner="  police-north ").owner == POLICE


def test_marking_is_immutable_and_hashable():
    marking = Marking(sensitive=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        marking.sensitive = False
    assert {marking, Marking(sensitive=True)} == {marking}


# --- combination ----------------------------------------------------------------------


def test_combine_of_nothing_is_plain_official():
    assert combine([]) == PLAIN_OFFICIAL == Marking()


def test_combine_of_records_takes_highest_of_each_part():
    first = Marking(
        descriptors=frozenset({Descriptor.PERSONAL_DATA}),
        handling=Handling.HMG_USE_ONLY,
        embargoed_until=date(2025, 1, 31),
        owner=POLICE,
    )
    second = Marking(
        sensitive=True,
        descriptors=frozenset({Descriptor.LEGAL}),
        handling=Handling.RECIPIENTS_ONLY,
        embargoed_until=date(2025, 6, 1),
        owner=POLICE,
    )
    assert combine([first, second]) == Marking(
        sensitive=True,
        descriptors=frozenset({Descriptor.PERSONAL_DATA, Descriptor.LEGAL}),
        handling=Handling.RECIPIENTS_ONLY,
        embargoed_until=date(2025, 6, 1),
        owner=POLICE,
    )


def test_combine_with_two_different_org_instructions_gives_recipients_only():
    police = Marking(handling=Handling.ORG_USE_ONLY, handling_org="NORTHSHIRE POLICE")
    moj = Marking(handling=Handling.ORG_USE_ONLY, handling_org="MOJ")
    combined = combine([police, moj])
    assert combined.handling is Handling.RECIPIENTS_ONLY
    assert combined.handling_org is None


def test_combine_with_same_org_instruction_keeps_it():
    police = Marking(handling=Handling.ORG_USE_ONLY, handling_org="NORTHSHIRE POLICE")
    hmg = Marking(handling=Handling.HMG_USE_ONLY)
    assert combine([police, hmg, police]).banner == "OFFICIAL - NORTHSHIRE POLICE USE ONLY"


def test_combine_with_different_owners_gives_multiple_owners():
    assert combine([Marking(owner=POLICE), Marking(owner=PROBATION)]).owner == MULTIPLE_OWNERS
    assert combine([Marking(owner=POLICE), Marking(), Marking(owner=POLICE)]).owner == POLICE


@given(markings(), markings())
def test_combine_in_either_order_gives_same_marking(a, b):
    assert combine([a, b]) == combine([b, a])


@given(markings(), markings(), markings())
def test_combine_grouped_either_way_gives_same_marking(a, b, c):
    assert combine([combine([a, b]), c]) == combine([a, combine([b, c])]) == combine([a, b, c])


@given(markings())
def test_combine_with_itself_gives_itself(a):
    assert combine([a, a]) == a
    assert combine([a]) == a


@given(markings())
def test_combine_with_plain_official_gives_the_marking_unchanged(a):
    assert combine([a, PLAIN_OFFICIAL]) == a == combine([PLAIN_OFFICIAL, a])


@given(st.lists(markings(), max_size=6))
def test_combine_of_parts_is_at_least_as_restrictive_as_each_part(parts):
    combined = combine(parts)
    for part in parts:
        assert combined.dominates(part)
        assert oracle_at_least(combined, part)


@given(st.lists(markings(), min_size=1, max_size=4), markings())
def test_combine_of_parts_is_the_least_marking_covering_them(parts, candidate):
    if all(candidate.dominates(part) for part in parts):
        assert candidate.dominates(combine(parts))


_HANDLING_NAMES = [None, "HMG", "RECIPIENTS", *(("ORG", o) for o in ORGS)]


def oracle_combine(parts):
    """The join computed from the oracle order, one dimension at a time."""
    names = [_handling_name(p) for p in parts]
    uppers = [h for h in _HANDLING_NAMES if all((h, n) in _HANDLING_AT_LEAST for n in names)]
    (least,) = [h for h in uppers if all((u, h) in _HANDLING_AT_LEAST for u in uppers)]
    owners = {p.owner for p in parts} - {None}
    embargoes = [p.embargoed_until for p in parts if p.embargoed_until]
    return {
        "sensitive": any(p.sensitive for p in parts),
        "descriptors": frozenset().union(*(p.descriptors for p in parts)),
        "handling": least,
        "embargoed_until": max(embargoes) if embargoes else None,
        "owner": owners.pop() if len(owners) == 1 else (MULTIPLE_OWNERS if owners else None),
    }


@given(st.lists(markings(), max_size=5))
def test_combine_agrees_with_independent_oracle(parts):
    combined = combine(parts)
    assert {
        "sensitive": combined.sensitive,
        "descriptors": combined.descriptors,
        "handling": _handling_name(combined),
        "embargoed_until": combined.embargoed_until,
        "owner": combined.owner,
    } == oracle_combine(parts)


@given(markings(), markings())
def test_dominates_agrees_with_independent_oracle(a, b):
    assert a.dominates(b) == oracle_at_least(a, b)


@given(markings(), markings(), markings())
def test_dominates_is_a_partial_order_ignoring_owner(a, b, c):
    assert a.dominates(a)
    if a.dominates(b) and b.dominates(c):
        assert a.dominates(c)
    if a.dominates(b) and b.dominates(a):
        assert without_owner(a) == without_owner(b)


# --- lowering ---------------------------------------------------------------------------

CURRENT = Marking(
    sensitive=True,
    descriptors=frozenset({Descriptor.PERSONAL_DATA, Descriptor.LEGAL}),
    handling=Handling.ORG_USE_ONLY,
    handling_org="NORTHSHIRE POLICE",
    embargoed_until=date(2025, 6, 1),
    owner=POLICE,
)
LOWERINGS = {
    "drop sensitive": {"sensitive": False},
    "drop a descriptor": {"descriptors": frozenset({Descriptor.LEGAL})},
    "swap a descriptor": {"descriptors": frozenset({Descriptor.LEGAL, Descriptor.COMMERCIAL})},
    "weaker handling": {"handling": Handling.HMG_USE_ONLY, "handling_org": None},
    "no handling": {"handling": None, "handling_org": None},
    "another organisation": {"handling_org": "MOJ"},
    "earlier embargo": {"embargoed_until": date(2025, 5, 31)},
    "no embargo": {"embargoed_until": None},
}
RAISINGS = {
    "add a descriptor": {"descriptors": CURRENT.descriptors | {Descriptor.COMMERCIAL}},
    "stronger handling": {"handling": Handling.RECIPIENTS_ONLY, "handling_org": None},
    "later embargo": {"embargoed_until": date(2025, 6, 2)},
    "unchanged": {},
}


@pytest.mark.parametrize("change", LOWERINGS.values(), ids=LOWERINGS.keys())
def test_may_remark_lowering_by_another_agency_is_refused(change):
    proposed = dataclasses.replace(CURRENT, **change)
    assert is_lowering(CURRENT, proposed)
    assert not may_remark(PROBATION, CURRENT, proposed)


@pytest.mark.parametrize("change", LOWERINGS.values(), ids=LOWERINGS.keys())
def test_may_remark_lowering_by_owner_is_allowed(change):
    assert may_remark(POLICE, CURRENT, dataclasses.replace(CURRENT, **change))


@pytest.mark.parametrize("change", RAISINGS.values(), ids=RAISINGS.keys())
def test_may_remark_raising_or_keeping_by_another_agency_is_allowed(change):
    proposed = dataclasses.replace(CURRENT, **change)
    assert not is_lowering(CURRENT, proposed)
    assert may_remark(PROBATION, CURRENT, proposed)


def test_may_remark_change_of_owner_by_another_agency_is_refused():
    taken = dataclasses.replace(CURRENT, owner=PROBATION)
    assert not may_remark(PROBATION, CURRENT, taken)
    assert may_remark(POLICE, CURRENT, taken)


@pytest.mark.parametrize("owner", [None, MULTIPLE_OWNERS])
def test_may_remark_lowering_of_unowned_or_combined_marking_is_refused_to_everyone(owner):
    current = Marking(sensitive=True, owner=owner)
    lowered = Marking(owner=owner)
    for actor in (POLICE, PROBATION, MULTIPLE_OWNERS, ""):
        assert not may_remark(actor, current, lowered)


@given(st.sampled_from((POLICE, PROBATION, HOUSING)), markings(), markings())
def test_may_remark_agrees_with_owner_rule_oracle(actor, current, proposed):
    kept_or_raised = oracle_at_least(proposed, current) and proposed.owner == current.owner
    is_owner = current.owner is not None and actor == current.owner
    assert may_remark(actor, current, proposed) == (kept_or_raised or is_owner)


@given(markings(), markings())
def test_may_remark_combining_in_more_restrictions_is_allowed_to_anyone(current, extra):
    raised = combine([current, without_owner(extra)])
    assert may_remark(HOUSING, current, raised)


@given(markings(), markings())
def test_may_remark_lowering_by_non_owner_is_always_refused(current, proposed):
    assume(not proposed.dominates(current))
    assert is_lowering(current, proposed)
    assert not may_remark(HOUSING, current, proposed)


# --- storage ---------------------------------------------------------------------------


def test_to_dict_of_plain_official_is_compact():
    assert PLAIN_OFFICIAL.to_dict() == {"tier": "OFFICIAL", "sensitive": False}


def test_to_json_of_full_marking_is_canonical():
    marking = Marking(
        sensitive=True,
        descriptors=frozenset({Descriptor.COMMERCIAL, Descriptor.PERSONAL_DATA}),
        handling=Handling.ORG_USE_ONLY,
        handling_org="MoJ",
        embargoed_until=date(2025, 6, 1),
        owner=POLICE,
    )
    assert marking.to_json() == (
        '{"descriptors":["PERSONAL_DATA","COMMERCIAL"],"embargoed_until":"2025-06-01",'
        '"handling":"ORG_USE_ONLY","handling_org":"MOJ","owner":"police-north",'
        '"sensitive":true,"tier":"OFFICIAL"}'
    )


@given(markings(owners=st.one_of(st.none(), st.sampled_from((POLICE, MULTIPLE_OWNERS)))))
def test_from_dict_of_to_dict_gives_the_same_marking(marking):
    assert Marking.from_dict(marking.to_dict()) == marking
    assert Marking.from_json(marking.to_json()) == marking
    assert Marking.from_dict(json.loads(json.dumps(marking.to_dict()))) == marking


@pytest.mark.parametrize("tier", ["SECRET", "TOP_SECRET"])
def test_from_dict_with_secret_tier_is_refused(tier):
    with pytest.raises(ClassificationRefused):
        Marking.from_dict({"tier": tier, "sensitive": False})


@pytest.mark.parametrize(
    "data",
    [
        {"sensitive": False},
        {"tier": "official", "sensitive": False},
        {"tier": "OFFICIAL", "sensitive": False, "colour": "red"},
        {"tier": "OFFICIAL", "sensitive": "yes"},
        {"tier": "OFFICIAL", "sensitive": 1},
        {"tier": "OFFICIAL", "descriptors": ["PERSONAL"]},
        {"tier": "OFFICIAL", "descriptors": "PERSONAL_DATA"},
        {"tier": "OFFICIAL", "descriptors": ["LEGAL", "LEGAL"]},
        {"tier": "OFFICIAL", "descriptors": [["LEGAL"]]},
        {"tier": "OFFICIAL", "handling": "FOR_PUBLIC_RELEASE"},
        {"tier": "OFFICIAL", "handling": "ORG_USE_ONLY"},
        {"tier": "OFFICIAL", "handling": "ORG_USE_ONLY", "handling_org": 7},
        {"tier": "OFFICIAL", "embargoed_until": "20250601"},
        {"tier": "OFFICIAL", "embargoed_until": "2025-02-30"},
        {"tier": "OFFICIAL", "embargoed_until": 20250601},
        {"tier": "OFFICIAL", "owner": 42},
        {"tier": 1},
    ],
)
def test_from_dict_with_unknown_or_malformed_value_is_rejected(data):
    with pytest.raises(MarkingError):
        Marking.from_dict(data)


@pytest.mark.parametrize("text", ["", "not json", "null", "[]", '"OFFICIAL"'])
def test_from_json_with_malformed_text_is_rejected(text):
    with pytest.raises(MarkingError):
        Marking.from_json(text)


@pytest.mark.parametrize("text", ["not json", '{"tier": "SECRET"}', '{"tier": "OFFICIAL", "x": 1}'])
def test_a_refused_stored_marking_is_refused_every_time_it_is_read(text):
    # Stored markings are parsed once per process; a refusal must never be remembered as a value.
    for _ in range(3):
        with pytest.raises(MarkingError):
            Marking.from_json(text)


def test_a_stored_marking_read_twice_is_the_same_immutable_value():
    text = Marking(sensitive=True, descriptors=frozenset({Descriptor.PERSONAL_DATA})).to_json()
    first, second = Marking.from_json(text), Marking.from_json(text)
    assert first is second  # parsed once
    assert first.sensitive
    assert first.descriptors == {Descriptor.PERSONAL_DATA}
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.sensitive = False  # type: ignore[misc]


# --- reading a banner -----------------------------------------------------------------

org_names = st.text(alphabet=string.ascii_letters + string.digits + " -'&().", max_size=30)


@given(markings(), org_names)
def test_parse_marking_of_banner_gives_the_same_marking(marking, org):
    assert parse_marking(marking.banner, owner=marking.owner) == marking
    try:
        named = dataclasses.replace(marking, handling=Handling.ORG_USE_ONLY, handling_org=org)
    except MarkingError:
        return
    assert parse_marking(named.banner, owner=named.owner) == named


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("official sensitive", Marking(sensitive=True)),
        (
            "OFFICIAL-SENSITIVE- RECIPIENTS ONLY",
            Marking(sensitive=True, handling=Handling.RECIPIENTS_ONLY),
        ),
        ("OFFICIAL- MoJ USE ONLY", Marking(handling=Handling.ORG_USE_ONLY, handling_org="MOJ")),
        ("OFFICIAL - PERSONAL", Marking(descriptors=frozenset({Descriptor.PERSONAL_DATA}))),
        ("OFFICIAL - HR/MANAGEMENT", Marking(descriptors=frozenset({Descriptor.HR_MANAGEMENT}))),
        (
            "OFFICIAL-SENSITIVE - LPP",
            Marking(sensitive=True, descriptors=frozenset({Descriptor.LPP})),
        ),
        (
            "OFFICIAL - embargoed until 01 february 2026",
            Marking(embargoed_until=date(2026, 2, 1)),
        ),
    ],
)
def test_parse_marking_with_common_spellings_reads_them(text, expected):
    assert parse_marking(text) == expected


@pytest.mark.parametrize("text", ["SECRET - UK EYES ONLY", "TOP SECRET", "top_secret - x"])
def test_parse_marking_with_secret_banner_is_refused(text):
    with pytest.raises(ClassificationRefused):
        parse_marking(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "RESTRICTED",
        "OFFICIALS",
        "OFFICIAL - FOR PUBLIC RELEASE",
        "OFFICIAL - UK EYES ONLY - HMG USE ONLY",
        "OFFICIAL - RECIPIENTS ONLY - HMG USE ONLY",
        "OFFICIAL - EMBARGOED UNTIL 1 MAY 2025 - EMBARGOED UNTIL 2 MAY 2025",
        "OFFICIAL - EMBARGOED UNTIL 30 FEBRUARY 2025",
        "OFFICIAL - EMBARGOED UNTIL 1 JUNO 2025",
        "OFFICIAL - EMBARGOED",
        "OFFICIAL - PERSONAL DATA - - LEGAL",
    ],
)
def test_parse_marking_with_unknown_or_repeated_element_is_rejected(text):
    with pytest.raises(MarkingError) as error:
        parse_marking(text)
    assert not isinstance(error.value, ClassificationRefused)


# --- clearance --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "clearance"),
    [(Tier.OFFICIAL, Clearance.BPSS), (Tier.SECRET, Clearance.SC), (Tier.TOP_SECRET, Clearance.DV)],
)
def test_required_clearance_per_tier_follows_gsc_table(tier, clearance):
    assert tier.required_clearance is clearance


@pytest.mark.parametrize(
    ("clearance", "allowed"),
    [
        (Clearance.BPSS, {Tier.OFFICIAL}),
        (Clearance.SC, {Tier.OFFICIAL, Tier.SECRET}),
        (Clearance.DV, {Tier.OFFICIAL, Tier.SECRET, Tier.TOP_SECRET}),
    ],
)
def test_clearance_permits_with_each_vetting_level_allows_only_its_tiers(clearance, allowed):
    assert {tier for tier in Tier if clearance_permits(clearance, tier)} == allowed


# --- legacy GPMS markings -------------------------------------------------------------

SENSITIVE_PERSONAL = Marking(sensitive=True, descriptors=frozenset({Descriptor.PERSONAL_DATA}))


@pytest.mark.parametrize(
    ("legacy", "personal_risk", "expected", "extra_note"),
    [
        ("NOT PROTECTIVELY MARKED", True, Marking(), None),
        ("npm", False, Marking(), None),
        ("UNCLASSIFIED", True, Marking(), None),
        ("PROTECT - PERSONAL", True, Marking(), "OFFICIAL-SENSITIVE"),
        ("RESTRICTED (when completed)", True, SENSITIVE_PERSONAL, None),
        ("RESTRICTED", False, Marking(), None),
        ("CONFIDENTIAL", True, SENSITIVE_PERSONAL, "SECRET"),
        ("Confidential", False, Marking(sensitive=True), "SECRET"),
    ],
)
def test_suggest_from_gpms_with_legacy_marking_follows_default_mapping(
    legacy, personal_risk, expected, extra_note
):
    suggestion = suggest_from_gpms(legacy, personal_risk=personal_risk)
    assert suggestion.marking == expected
    assert "owner must confirm" in suggestion.note
    if extra_note:
        assert extra_note in suggestion.note


def test_suggest_from_gpms_with_owner_keeps_it():
    assert suggest_from_gpms("RESTRICTED", personal_risk=True, owner=POLICE).marking.owner == POLICE


@pytest.mark.parametrize("legacy", ["SECRET", "TOP SECRET", "secret - uk eyes only"])
def test_suggest_from_gpms_with_secret_is_refused(legacy):
    with pytest.raises(ClassificationRefused):
        suggest_from_gpms(legacy, personal_risk=False)


@pytest.mark.parametrize("legacy", ["PROTECTED", "OFFICIAL", "", "RESTRICTEDX"])
def test_suggest_from_gpms_with_unknown_marking_is_rejected(legacy):
    with pytest.raises(MarkingError) as error:
        suggest_from_gpms(legacy, personal_risk=False)
    assert not isinstance(error.value, ClassificationRefused)
