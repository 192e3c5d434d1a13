"""Lawful-basis codes: the domain.md §3.6 list, lookups by kind, and the codes the spec names."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core import lawful_basis
from portal.core.lawful_basis import (
    DP_CONDITIONS,
    EMERGENCY,
    GATEWAYS,
    BasisKind,
    DpCategory,
    LawfulBasis,
    UnknownLawfulBasis,
    basis,
    choices,
    dp_condition,
    gateway,
    is_emergency,
    is_part3,
    is_sensitive_processing,
    needs_appropriate_policy_document,
)

G, D, M = BasisKind.GATEWAY, BasisKind.DP_CONDITION, BasisKind.MODIFIER
P3, P3S = DpCategory.PART3, DpCategory.PART3_SENSITIVE
A6, A9, A10 = DpCategory.GDPR_ART6, DpCategory.GDPR_ART9, DpCategory.GDPR_ART10

# domain.md §3.6, transcribed again here: code, kind, category, statute.
REFERENCE = [
    ("GW-CJA03-S325", G, None, "Criminal Justice Act 2003 s.325(3)-(4)"),
    ("GW-CJA03-S327A", G, None, "CJA 2003 s.327A"),
    ("GW-CDA98-S115", G, None, "Crime and Disorder Act 1998 s.115"),
    ("GW-OMA07-S14", G, None, "Offender Management Act 2007 s.14"),
    ("GW-CA89-S47", G, None, "Children Act 1989 s.47"),
    ("GW-CA89-S17", G, None, "Children Act 1989 s.17"),
    ("GW-CA04-S11", G, None, "Children Act 2004 s.11"),
    ("GW-CA04-S16E", G, None, "Children Act 2004 s.16E (per Working Together 2023)"),
    ("GW-CL-POLICING", G, None, "Common law; APP information management / CLPD"),
    ("GW-DVDS-DAA21", G, None, "Common law + Domestic Abuse Act 2021 s.77 guidance"),
    ("GW-PCSC22-S16", G, None, "Police, Crime, Sentencing and Courts Act 2022 s.16"),
    ("GW-CONSENT", G, None, "— (record only)"),
    ("DP3-S35-LE", D, P3, "DPA 2018 s.31, s.35(2)"),
    ("DP3-SCH8-1", D, P3S, "DPA 2018 s.35(5), Sch 8 para 1"),
    ("DP3-SCH8-2", D, P3S, "DPA 2018 Sch 8 para 2"),
    ("DP3-SCH8-3", D, P3S, "DPA 2018 Sch 8 para 3"),
    ("DP3-SCH8-4", D, P3S, "DPA 2018 Sch 8 para 4"),
    ("DP3-S35-4-CONSENT", D, P3S, "DPA 2018 s.35(4)"),
    ("GDPR-6-1-C", D, A6, "UK GDPR Art 6(1)(c)"),
    ("GDPR-6-1-D", D, A6, "UK GDPR Art 6(1)(d)"),
    ("GDPR-6-1-E", D, A6, "UK GDPR Art 6(1)(e)"),
    ("GDPR-9-2-G-SCH1-6", D, A9, "UK GDPR Art 9(2)(g); DPA Sch 1 para 6 (not re-read)"),
    ("GDPR-9-2-G-SCH1-10", D, A9, "UK GDPR Art 9(2)(g); DPA Sch 1 para 10 (not re-read)"),
    ("GDPR-9-2-G-SCH1-18", D, A9, "UK GDPR Art 9(2)(g); DPA Sch 1 para 18 (not re-read)"),
    ("GDPR-9-2-H-SCH1-2", D, A9, "UK GDPR Art 9(2)(h); DPA Sch 1 para 2"),
    ("GDPR-10-SCH1", D, A10, "UK GDPR Art 10; DPA 2018 s.10(5), Sch 1"),
    ("EMERGENCY", M, None, "ICO Data Sharing Code, 'urgent situation or emergency' chapter"),
]

# Codes that SPEC.md and the open issues name, with the kind each is used as.
NAMED_BY_SPEC_AND_ISSUES = [
    ("GW-CJA03-S325", G),  # C3 example grant; minutes distribution (issue 6)
    ("DP3-SCH8-4", D),  # C3 example grant; CSODS decision (issue 7)
    ("GW-CJA03-S327A", G),  # C6 CSODS decision record (issue 7)
    ("EMERGENCY", M),  # C7 break-glass (issue 8)
]


@pytest.mark.parametrize(("code", "kind", "category", "statute"), REFERENCE)
def test_basis_of_reference_code_has_its_kind_category_and_statute(code, kind, category, statute):
    entry = basis(code)
    assert entry.code == code
    assert entry.kind is kind
    assert entry.category is category
    assert entry.statute == statute
    assert entry.label
    assert entry.description


def test_code_list_has_exactly_the_reference_codes_in_reference_order():
    assert [entry.code for entry in lawful_basis.ALL] == [row[0] for row in REFERENCE]


@pytest.mark.parametrize(("code", "kind"), NAMED_BY_SPEC_AND_ISSUES)
def test_basis_of_code_named_by_spec_or_issue_exists_with_right_kind(code, kind):
    assert basis(code).kind is kind


def test_lookup_of_csods_codes_gives_gateway_and_part3_condition():
    assert gateway("GW-CJA03-S327A").label == "Child sex offender disclosure (CSODS)"
    assert is_part3("DP3-SCH8-4")
    assert dp_condition("DP3-SCH8-4").label == (
        "Part 3 sensitive: safeguarding children / individuals at risk"
    )


def test_codes_fit_a_short_code_column():
    for entry in lawful_basis.ALL:
        assert re.fullmatch(r"[A-Z0-9-]{1,32}", entry.code)


# --- lookups by kind ------------------------------------------------------------------


@pytest.mark.parametrize("code", ["GW-CJA03-S325", "GW-CONSENT"])
def test_gateway_with_gateway_code_returns_it(code):
    assert gateway(code).code == code


@pytest.mark.parametrize("code", ["DP3-SCH8-4", "GDPR-6-1-E", EMERGENCY])
def test_gateway_with_other_kind_is_rejected_naming_the_kind(code):
    with pytest.raises(UnknownLawfulBasis, match="not a legal gateway"):
        gateway(code)


@pytest.mark.parametrize("code", ["GW-CJA03-S325", EMERGENCY])
def test_dp_condition_with_other_kind_is_rejected_naming_the_kind(code):
    with pytest.raises(UnknownLawfulBasis, match="not a data-protection condition"):
        dp_condition(code)


@pytest.mark.parametrize(
    "code", ["", "gw-cja03-s325", " GW-CJA03-S325", "GW-CJA03-S326", "DP3-SCH8-5", "emergency"]
)
def test_lookup_with_unknown_code_is_rejected_with_the_code_in_the_message(code):
    for lookup in (basis, gateway, dp_condition, is_part3, is_emergency):
        with pytest.raises(UnknownLawfulBasis) as error:
            lookup(code)
        assert f"'{code}'" in str(error.value)


@given(st.text(max_size=24))
def test_basis_of_any_text_returns_that_code_or_raises_unknown(code):
    try:
        entry = basis(code)
    except UnknownLawfulBasis:
        assert code not in {row[0] for row in REFERENCE}
    else:
        assert entry.code == code


# --- questions about conditions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "category", "statute"), [r for r in REFERENCE if r[1] is D]
)
def test_is_part3_with_dp_condition_is_true_only_for_dpa_part3(code, kind, category, statute):
    assert is_part3(code) == code.startswith("DP3-")


@pytest.mark.parametrize("code", ["GW-CJA03-S325", EMERGENCY])
def test_is_part3_with_non_condition_is_rejected(code):
    with pytest.raises(UnknownLawfulBasis):
        is_part3(code)


def test_is_sensitive_processing_is_true_for_schedule_8_consent_and_article_9():
    sensitive = {entry.code for entry in DP_CONDITIONS if is_sensitive_processing(entry.code)}
    assert sensitive == {
        "DP3-SCH8-1",
        "DP3-SCH8-2",
        "DP3-SCH8-3",
        "DP3-SCH8-4",
        "DP3-S35-4-CONSENT",
        "GDPR-9-2-G-SCH1-6",
        "GDPR-9-2-G-SCH1-10",
        "GDPR-9-2-G-SCH1-18",
        "GDPR-9-2-H-SCH1-2",
    }


def test_needs_appropriate_policy_document_only_for_part3_sensitive_processing():
    needing = {e.code for e in DP_CONDITIONS if needs_appropriate_policy_document(e.code)}
    assert needing == {"DP3-SCH8-1", "DP3-SCH8-2", "DP3-SCH8-3", "DP3-SCH8-4", "DP3-S35-4-CONSENT"}


def test_is_emergency_is_true_only_for_the_emergency_code():
    assert is_emergency(EMERGENCY)
    assert [e.code for e in lawful_basis.ALL if is_emergency(e.code)] == [EMERGENCY]


# --- dropdowns ------------------------------------------------------------------------------


def test_choices_for_gateways_lists_label_with_statute_in_reference_order():
    options = choices(BasisKind.GATEWAY)
    assert len(options) == 12
    assert options[0] == (
        "GW-CJA03-S325",
        "MAPPA duty to co-operate / exchange of information "
        "(Criminal Justice Act 2003 s.325(3)-(4))",
    )
    assert [code for code, _ in options] == [e.code for e in GATEWAYS]


def test_choices_for_conditions_and_modifiers_partition_the_rest():
    assert [code for code, _ in choices(BasisKind.DP_CONDITION)] == [e.code for e in DP_CONDITIONS]
    assert len(DP_CONDITIONS) == 14
    assert choices(BasisKind.MODIFIER) == [(EMERGENCY, basis(EMERGENCY).display)]


@pytest.mark.parametrize(
    ("kind", "category"), [(G, P3), (M, P3), (D, None)], ids=["gateway", "modifier", "condition"]
)
def test_construct_entry_with_category_on_wrong_kind_is_rejected(kind, category):
    with pytest.raises(ValueError, match="category"):
        LawfulBasis("X", kind, "label", "statute", "description", category)
