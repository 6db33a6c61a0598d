"""Superbills: CPT units worked out by hand, diagnosis checks, Medicare NCD 30.3.3 warnings, and
the CSV / HTML / PDF renderings. Pure and fast: no database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from weizhong.billing import (
    BillingError,
    Increment,
    PatientFacts,
    Payer,
    Provider,
    VisitFacts,
    billing_rules,
    suggest_diagnoses,
    superbill,
    superbill_csv,
    superbill_html,
    superbill_pdf,
)
from weizhong.billing.medicare import count_visits
from weizhong.billing.rules import rules_path
from weizhong.billing.superbill import npi_is_valid
from weizhong.knowledge import KnowledgeError
from weizhong.knowledge.loader import DATA_DIR

DAY = dt.date(2026, 3, 2)
LEE = Provider(
    name="Mei Lee",
    npi="1234567893",  # the CMS example NPI: Luhn over 80840123456789 gives check digit 3
    tax_id="12-3456789",
    clinic_name="Weizhong Clinic",
    address="12 Elm Street, Springfield",
    phone="555-0100",
    credentials="L.Ac.",
)
ANA = PatientFacts(
    name="Ana Ruiz",
    birth_date=dt.date(1950, 5, 1),
    sex="F",
    onset_days=120,
    leading_condition="nonspecific_low_back_pain",
)
SELF = Payer("self_pay")
COMMERCIAL = Payer("commercial", member_id="XYZ123", name="Acme Health")
MEDICARE = Payer("medicare", member_id="1EG4TE5MK73")


def visit(**fields: Any) -> VisitFacts:
    fields.setdefault("diagnoses", ("M54.50",))
    return VisitFacts(date=DAY, **fields)


def bill_for(v: VisitFacts, payer: Payer = SELF, patient: PatientFacts = ANA, **kw: Any) -> Any:
    return superbill(v, patient, LEE, payer, **kw)


def codes(bill: Any) -> list[tuple[str, int]]:
    return [(line["cpt"], line["units"]) for line in bill["lines"]]


def warning_ids(bill: Any) -> set[str]:
    return {w["id"] for w in bill["warnings"]}


# ---------------------------------------------------------------------- scenarios by hand
# (id, visit fields, payer, expected (CPT, units) in order, warnings that must be present)
# Acupuncture: increments = (contact + 7) // 15 once contact ≥ 8 (the midpoint rule).
# Timed therapy: units = (total + 7) // 15 once total ≥ 8; full 15s per service first, then
# leftover units to the largest remainders.
SCENARIOS: list[tuple[str, dict[str, Any], Payer, list[tuple[str, int]], set[str]]] = [
    # 15 min: (15+7)//15 = 1 increment → initial code only, no stimulation.
    ("acu_15_manual", {"acupuncture_minutes": 15}, SELF, [("97810", 1)], set()),
    # 30 min: (30+7)//15 = 2 increments; the 2nd had a re-insertion; stimulation throughout.
    (
        "acu_30_electro_reinserted",
        {"acupuncture_minutes": 30, "electro": True, "reinsertions": 1},
        SELF,
        [("97813", 1), ("97814", 1)],
        set(),
    ),
    # 45 min: (45+7)//15 = 3 increments; re-insertions in the 2nd and 3rd → 2 add-ons.
    (
        "acu_45_manual_two_reinsertions",
        {"acupuncture_minutes": 45, "reinsertions": 2},
        SELF,
        [("97810", 1), ("97811", 2)],
        set(),
    ),
    # 30 min: 2 increments, but no re-insertion → the 2nd cannot be an add-on.
    (
        "acu_30_without_reinsertion",
        {"acupuncture_minutes": 30},
        SELF,
        [("97810", 1)],
        {"acu-no-reinsertion"},
    ),
    # 45 min, detail per increment: 1st no stim (97810); 2nd stim + re-insertion (97814);
    # 3rd no stim + re-insertion (97811).
    (
        "acu_mixed_stimulation",
        {
            "acupuncture_minutes": 45,
            "electro": True,
            "reinsertions": 2,
            "acupuncture_increments": (
                Increment(electro=False),
                Increment(electro=True, reinsertion=True),
                Increment(electro=False, reinsertion=True),
            ),
        },
        SELF,
        [("97810", 1), ("97811", 1), ("97814", 1)],
        set(),
    ),
    # 5 min < 8: no increment at all.
    (
        "acu_5_under_threshold",
        {"acupuncture_minutes": 5, "points_needled": 6},
        SELF,
        [],
        {"acu-under-threshold", "no-billable-lines"},
    ),
    # 8 min: (8+7)//15 = 1 → the initial code (boundary).
    ("acu_8_threshold", {"acupuncture_minutes": 8}, SELF, [("97810", 1)], set()),
    # 22 min: (22+7)//15 = 1 → still one increment; nothing unbilled to warn about.
    (
        "acu_22_one_increment",
        {"acupuncture_minutes": 22, "reinsertions": 1},
        SELF,
        [("97810", 1)],
        {"acu-extra-reinsertions"},
    ),
    # 23 min: (23+7)//15 = 2 increments (15 + 8) with a re-insertion → initial + add-on.
    (
        "acu_23_two_increments",
        {"acupuncture_minutes": 23, "reinsertions": 1},
        SELF,
        [("97810", 1), ("97811", 1)],
        set(),
    ),
    # Needles retained 30 min but no one-on-one time recorded.
    (
        "acu_retention_only",
        {"acupuncture_minutes": 0, "points_needled": 10},
        SELF,
        [],
        {"acu-retention-only"},
    ),
    # CMT: lumbar + pelvic = 2 spinal regions → 98940 (1–2).
    ("cmt_2_regions", {"regions_adjusted": ("lumbar", "pelvic")}, SELF, [("98940", 1)], set()),
    # A region listed twice counts once: lumbar, lumbar, sacral = 2 → 98940.
    (
        "cmt_repeated_region",
        {"regions_adjusted": ("lumbar", "lumbar", "sacral")},
        SELF,
        [("98940", 1)],
        set(),
    ),
    # 4 spinal regions → 98941 (3–4).
    (
        "cmt_4_regions",
        {"regions_adjusted": ("cervical", "thoracic", "lumbar", "sacral")},
        SELF,
        [("98941", 1)],
        set(),
    ),
    # 5 spinal regions → 98942.
    (
        "cmt_5_regions",
        {"regions_adjusted": ("cervical", "thoracic", "lumbar", "sacral", "pelvic")},
        SELF,
        [("98942", 1)],
        set(),
    ),
    # Extraspinal only → 98943; Medicare does not cover it.
    (
        "cmt_extraspinal_medicare",
        {"regions_adjusted": ("lower_extremity",), "diagnoses": ("M99.03", "M54.50")},
        MEDICARE,
        [("98943", 1)],
        {"medicare-cmt-extraspinal"},
    ),
    # Not a CMT region: warned, not silently dropped.
    (
        "cmt_unknown_region",
        {"regions_adjusted": ("hip",)},
        SELF,
        [],
        {"cmt-unknown-region", "no-billable-lines"},
    ),
    # 8-minute rule, one service: 7 → 0 units.
    ("timed_7", {"exercise_minutes": 7}, SELF, [], {"timed-under-8"}),
    # 8 → (8+7)//15 = 1.
    ("timed_8", {"exercise_minutes": 8}, SELF, [("97110", 1)], set()),
    # 22 → (22+7)//15 = 1.
    ("timed_22", {"exercise_minutes": 22}, SELF, [("97110", 1)], set()),
    # 23 → (23+7)//15 = 2.
    ("timed_23", {"exercise_minutes": 23}, SELF, [("97110", 2)], set()),
    # 38 → (38+7)//15 = 3.
    ("timed_38", {"exercise_minutes": 38}, SELF, [("97110", 3)], set()),
    # CMS example: 33 97110 + 7 97140 = 40 → 3 units. 97110 has 2 full units (30 min), 3 left;
    # 97140 has 7 left > 3 → the 3rd unit to 97140.
    (
        "timed_cms_33_plus_7",
        {"exercise_minutes": 33, "manual_therapy_minutes": 7},
        SELF,
        [("97110", 2), ("97140", 1)],
        set(),
    ),
    # CMS example: 7 + 7 + 7 = 21 → 1 unit; equal minutes, CMS lets the clinician choose;
    # weizhong takes the first in form order (97110) and says so.
    (
        "timed_cms_7_7_7",
        {"exercise_minutes": 7, "neuromuscular_minutes": 7, "manual_therapy_minutes": 7},
        SELF,
        [("97110", 1)],
        {"timed-tie", "timed-minutes-unbilled"},
    ),
    # CMS example: 24 97112 + 23 97110 = 47 → 3 units; one full unit each (rem 9 and 8);
    # the 3rd to 97112 (9 > 8).
    (
        "timed_cms_24_plus_23",
        {"neuromuscular_minutes": 24, "exercise_minutes": 23},
        SELF,
        [("97110", 1), ("97112", 2)],
        set(),
    ),
    # CMS example: 20 + 20 = 40 → 3 units; one full unit each, remainders tie at 5.
    (
        "timed_cms_20_plus_20",
        {"exercise_minutes": 20, "neuromuscular_minutes": 20},
        SELF,
        [("97110", 2), ("97112", 1)],
        {"timed-tie"},
    ),
    # CMS example: 18 97110 + 13 97140 = 31 → 2 units; 97110 has 1 full unit (rem 3); the 2nd
    # goes to 97140 (13 > 3).
    (
        "timed_cms_18_plus_13",
        {"exercise_minutes": 18, "manual_therapy_minutes": 13},
        SELF,
        [("97110", 1), ("97140", 1)],
        set(),
    ),
    # Acupuncture minutes do not join the timed pool: 10 min acupuncture → 97810; 5 min 97110
    # alone is under 8 → no unit (10 + 5 would have made 15).
    (
        "acupuncture_not_in_timed_pool",
        {"acupuncture_minutes": 10, "exercise_minutes": 5},
        SELF,
        [("97810", 1)],
        {"timed-under-8"},
    ),
    # CMT and 97140 the same day: 97140 gets modifier 59 and a warning.
    (
        "cmt_with_manual_therapy",
        {"regions_adjusted": ("lumbar",), "manual_therapy_minutes": 15},
        COMMERCIAL,
        [("98940", 1), ("97140", 1)],
        {"cmt-distinct-region"},
    ),
]


@pytest.mark.parametrize(
    ("fields", "payer", "expected", "warned"),
    [s[1:] for s in SCENARIOS],
    ids=[s[0] for s in SCENARIOS],
)
def test_visit_scenarios_bill_the_codes_worked_out_by_hand(
    fields: dict[str, Any], payer: Payer, expected: list[tuple[str, int]], warned: set[str]
) -> None:
    bill = bill_for(visit(**fields), payer)
    assert codes(bill) == expected
    assert warned <= warning_ids(bill), bill["warnings"]
    assert bill["totals"]["units"] == sum(units for _, units in expected)
    for line in bill["lines"]:
        assert line["description"] and line["why"] and line["diagnosis_pointers"]


def test_it_never_warns_on_a_plain_visit() -> None:
    bill = bill_for(visit(acupuncture_minutes=15), COMMERCIAL)
    assert bill["warnings"] == []


def test_manual_therapy_with_manipulation_carries_modifier_59() -> None:
    bill = bill_for(visit(regions_adjusted=("lumbar",), manual_therapy_minutes=15))
    line = next(line for line in bill["lines"] if line["cpt"] == "97140")
    assert line["modifiers"] == ["59"]
    assert "different region" in next(
        w["message"] for w in bill["warnings"] if w["id"] == "cmt-distinct-region"
    )


def test_visit_level_stimulation_applies_to_every_increment_and_says_so() -> None:
    bill = bill_for(visit(acupuncture_minutes=45, electro=True, reinsertions=2))
    assert codes(bill) == [("97813", 1), ("97814", 2)]
    assert "applied to every increment" in bill["lines"][0]["why"]


def test_increment_detail_that_disagrees_with_the_visit_fields_is_flagged() -> None:
    detail = (Increment(electro=True), Increment(electro=True, reinsertion=True))
    bill = bill_for(visit(acupuncture_minutes=30, acupuncture_increments=detail))
    assert codes(bill) == [("97813", 1), ("97814", 1)]
    assert "acu-detail-disagrees" in warning_ids(bill)


def test_a_second_acupuncture_service_the_same_day_is_flagged() -> None:
    bill = bill_for(visit(acupuncture_minutes=15), prior_acupuncture_dates=[DAY])
    assert "acu-second-initial" in warning_ids(bill)


def test_timed_lines_explain_the_arithmetic() -> None:
    bill = bill_for(visit(exercise_minutes=33, manual_therapy_minutes=7))
    why = bill["lines"][1]["why"]
    assert "= 40 min → 3 units (38–52 min)" in why
    assert "most minutes remaining: 97140 (7 min)" in why


# ---------------------------------------------------------------------------------- Medicare


def acupuncture_for_medicare(patient: PatientFacts = ANA, **kw: Any) -> Any:
    return bill_for(visit(acupuncture_minutes=15), MEDICARE, patient, **kw)


def test_medicare_warns_when_the_back_pain_is_not_yet_chronic() -> None:
    bill = acupuncture_for_medicare(replace(ANA, onset_days=30))
    message = next(w["message"] for w in bill["warnings"] if w["id"] == "ncd-not-chronic")
    assert "30 days (4 weeks)" in message and "12 weeks (84 days)" in message


def test_medicare_asks_for_the_duration_when_unknown() -> None:
    bill = acupuncture_for_medicare(replace(ANA, onset_days=None))
    assert "ncd-duration-unknown" in warning_ids(bill)


def test_medicare_accepts_84_days_as_chronic() -> None:
    bill = acupuncture_for_medicare(replace(ANA, onset_days=84))
    assert not {"ncd-not-chronic", "ncd-duration-unknown"} & warning_ids(bill)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"pregnant": True}, "ncd-pregnancy"),
        ({"lumbar_surgery_history": True}, "ncd-surgery"),
        ({"leading_condition": "lumbar_radiculopathy"}, "ncd-not-nonspecific"),
        ({"leading_condition": "lumbar_spinal_stenosis"}, "ncd-not-nonspecific"),
        ({"leading_condition": "hamstring_strain"}, "ncd-not-low-back-pain"),
        ({"red_flags": ("unexplained_weight_loss",)}, "ncd-systemic-cause"),
    ],
)
def test_medicare_warns_on_each_ncd_exclusion(change: dict[str, Any], expected: str) -> None:
    assert expected in warning_ids(acupuncture_for_medicare(replace(ANA, **change)))


def test_ncd_warnings_only_for_medicare_acupuncture() -> None:
    pregnant = replace(ANA, pregnant=True, onset_days=10)
    commercial = bill_for(visit(acupuncture_minutes=15), COMMERCIAL, pregnant)
    medicare_no_acupuncture = bill_for(visit(exercise_minutes=15), MEDICARE, pregnant)
    for bill in (commercial, medicare_no_acupuncture):
        assert not any(i.startswith("ncd-") for i in warning_ids(bill))


def test_the_13th_visit_in_90_days_is_flagged_without_documented_improvement() -> None:
    # 12 earlier visits, one a week from 8 Dec 2025; the window runs 3 Dec 2025 – 2 Mar 2026.
    prior = [dt.date(2025, 12, 8) + dt.timedelta(weeks=w) for w in range(12)]
    bill = acupuncture_for_medicare(prior_acupuncture_dates=prior)
    message = next(w["message"] for w in bill["warnings"] if w["id"] == "ncd-beyond-first-12")
    assert "visit 13 in the 90 days from 2025-12-03" in message
    assert "none is recorded" in message
    assert bill["lines"][0]["modifiers"] == []


def test_with_documented_improvement_the_13th_visit_gets_kx() -> None:
    prior = [dt.date(2025, 12, 8) + dt.timedelta(weeks=w) for w in range(12)]
    bill = acupuncture_for_medicare(prior_acupuncture_dates=prior, improving=True)
    assert bill["lines"][0]["modifiers"] == ["KX"]
    assert "visit 13 in 90 days" in bill["lines"][0]["why"]


def test_the_12th_visit_needs_no_improvement_modifier() -> None:
    prior = [dt.date(2025, 12, 15) + dt.timedelta(weeks=w) for w in range(11)]
    bill = acupuncture_for_medicare(prior_acupuncture_dates=prior, improving=True)
    assert "ncd-beyond-first-12" not in warning_ids(bill)
    assert bill["lines"][0]["modifiers"] == []


def test_the_21st_visit_in_the_year_is_over_the_limit() -> None:
    # 20 earlier visits every 17 days from 10 Feb 2025 (last 30 Dec 2025); the year that began
    # 10 Feb 2025 runs until 1 Feb 2026 (11 full months after February), so 20 Jan 2026 is
    # visit 21. In its 90 days (23 Oct 2025 – 20 Jan 2026) there are only 5 earlier visits.
    prior = [dt.date(2025, 2, 10) + dt.timedelta(days=17 * i) for i in range(20)]
    bill = bill_for(
        replace(visit(acupuncture_minutes=15), date=dt.date(2026, 1, 20)),
        MEDICARE,
        prior_acupuncture_dates=prior,
        improving=True,
    )
    message = next(w["message"] for w in bill["warnings"] if w["id"] == "ncd-over-yearly-limit")
    assert "visit 21" in message and "2025-02-10" in message and "2026-02-01" in message
    assert "KX" not in bill["lines"][0]["modifiers"]


def test_a_new_medicare_acupuncture_year_starts_after_11_full_months() -> None:
    rules = billing_rules()
    first = dt.date(2020, 3, 21)
    assert count_visits(dt.date(2021, 2, 28), [first], rules).in_year == 2
    fresh = count_visits(dt.date(2021, 3, 1), [first], rules)
    assert (fresh.in_year, fresh.year_start, fresh.next_year) == (
        1,
        dt.date(2021, 3, 1),
        dt.date(2022, 3, 1),
    )


def test_not_improving_means_the_ncd_says_stop() -> None:
    assert "ncd-not-improving" in warning_ids(acupuncture_for_medicare(improving=False))


@pytest.mark.parametrize(
    ("credentials", "phrase"),
    [
        ("MD", "is a physician under the NCD"),
        ("PA-C", "ACAOM-accredited school"),
        ("L.Ac.", "auxiliary personnel"),
        ("DC", "auxiliary personnel"),
    ],
)
def test_medicare_acupuncture_asks_to_confirm_the_providers_qualification(
    credentials: str, phrase: str
) -> None:
    bill = superbill(
        visit(acupuncture_minutes=15), ANA, replace(LEE, credentials=credentials), MEDICARE
    )
    message = next(w["message"] for w in bill["warnings"] if w["id"] == "ncd-provider")
    assert phrase in message


def test_medicare_manipulation_needs_a_subluxation_diagnosis() -> None:
    missing = bill_for(visit(regions_adjusted=("lumbar",)), MEDICARE)
    assert "medicare-cmt-subluxation" in warning_ids(missing)
    second = bill_for(visit(regions_adjusted=("lumbar",), diagnoses=("M54.50", "M99.03")), MEDICARE)
    assert "medicare-cmt-subluxation-not-primary" in warning_ids(second)
    first = bill_for(visit(regions_adjusted=("lumbar",), diagnoses=("M99.03", "M54.50")), MEDICARE)
    assert not {"medicare-cmt-subluxation", "medicare-cmt-subluxation-not-primary"} & (
        warning_ids(first)
    )
    assert first["lines"][0]["diagnosis_pointers"] == ["A", "B"]
    assert "medicare-cmt-active-treatment" in warning_ids(first)


def test_medicare_pays_a_chiropractor_only_for_spinal_manipulation() -> None:
    bill = superbill(
        visit(regions_adjusted=("lumbar",), exercise_minutes=15, diagnoses=("M99.03", "M54.50")),
        ANA,
        replace(LEE, credentials="DC"),
        MEDICARE,
    )
    message = next(
        w["message"] for w in bill["warnings"] if w["id"] == "medicare-chiropractor-other-services"
    )
    assert "97110" in message and "98940" not in message.split(":")[1]


def test_an_insurer_without_member_id_is_flagged() -> None:
    assert "payer-member-id" in warning_ids(
        bill_for(visit(acupuncture_minutes=15), Payer("medicare"))
    )


# --------------------------------------------------------------------------------- diagnoses


def problems_of(**fields: Any) -> list[tuple[str, str]]:
    with pytest.raises(BillingError) as caught:
        bill_for(visit(**fields))
    return [(p.field, p.message) for p in caught.value.problems]


def test_retired_m54_5_is_refused_with_its_replacements() -> None:
    [(field, message)] = problems_of(diagnoses=("M54.5",))
    assert field == "diagnoses[0]"
    assert "M54.50, M54.51 or M54.59" in message and "retired" in message


def test_non_billable_m79_1_points_to_m79_18() -> None:
    [(_, message)] = problems_of(diagnoses=("M79.1",))
    assert "M79.18" in message


def test_a_hamstring_strain_needs_its_7th_character() -> None:
    [(field, message)] = problems_of(diagnoses=("M54.50", "S76.312"))
    assert field == "diagnoses[1]" and "7th character" in message and "S76.312A" in message
    [(_, message)] = problems_of(diagnoses=("S76.312X",))
    assert "'X' is not one of A" in message


@pytest.mark.parametrize("bad", ["54.5", "M5", "M54.50000", "M-54", ""])
def test_a_malformed_code_is_refused(bad: str) -> None:
    [(field, message)] = problems_of(diagnoses=(bad,))
    assert field == "diagnoses[0]" and "not an ICD-10-CM code" in message


def test_every_problem_is_reported_at_once() -> None:
    fields = problems_of(
        diagnoses=("M54.5", "XYZ", "S76.311", "M54.50", "M54.50"), exercise_minutes=-5
    )
    assert [f for f, _ in fields] == [
        "visit.exercise_minutes",
        "diagnoses[0]",
        "diagnoses[1]",
        "diagnoses[2]",
        "diagnoses[4]",
    ]


def test_a_bill_needs_a_diagnosis_and_at_most_twelve() -> None:
    assert problems_of(diagnoses=())[0][0] == "diagnoses"
    many = (
        tuple(f"M99.0{i}" for i in range(6))
        + tuple(f"M79.1{i}" for i in "0128")
        + (
            "M54.50",
            "M54.51",
            "M54.59",
        )
    )
    assert "at most 12" in problems_of(diagnoses=many)[0][1]


def test_an_invalid_npi_is_refused() -> None:
    assert npi_is_valid("1234567893") and not npi_is_valid("1234567890")
    with pytest.raises(BillingError, match=r"provider\.npi"):
        superbill(visit(), ANA, replace(LEE, npi="1234567890"), SELF)


def test_codes_are_normalised_and_any_billable_code_of_the_code_set_passes_quietly() -> None:
    bill = bill_for(visit(acupuncture_minutes=15, diagnoses=("m5450", "Z00.00")), COMMERCIAL)
    assert [(d["code"], d["pointer"]) for d in bill["diagnoses"]] == [
        ("M54.50", "A"),
        ("Z00.00", "B"),
    ]
    # Z00.00 is not in billing.toml: its official title comes from the code set.
    assert bill["diagnoses"][1]["description"].startswith("Encounter for general adult medical")
    assert bill["warnings"] == []


def test_every_code_is_shown_with_its_official_title_7th_character_included() -> None:
    bill = bill_for(visit(diagnoses=("S76.312A",)), patient=replace(ANA, side="left"))
    assert bill["diagnoses"][0]["description"] == (
        "Strain of muscle, fascia and tendon of the posterior muscle group at thigh level, "
        "left thigh, initial encounter"
    )


# ------------------------------------------ the official ICD-10-CM code set (issue 14)
@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("M54", "is a heading in ICD-10-CM FY2026"),
        ("M51.36", "is a heading in ICD-10-CM FY2026"),  # a heading since FY2025
        ("S33.6", "S33.6XXA (Sprain of sacroiliac joint, initial encounter)"),
        ("M54.99", "is not a code of ICD-10-CM FY2026"),
        ("M54.58", "is not a code of ICD-10-CM FY2026"),  # invented, in a category we use
        ("M62.88", "is not a code of ICD-10-CM FY2026"),
        ("G57.14", "is not a code of ICD-10-CM FY2026"),
    ],
)
def test_headings_and_invented_codes_are_refused_naming_the_code_set(code: str, says: str) -> None:
    with pytest.raises(BillingError) as error:
        bill_for(visit(diagnoses=(code,)))
    (problem,) = error.value.problems
    assert problem.field == "diagnoses[0]"
    assert says in problem.message


def test_a_retired_heading_lists_every_billable_code_under_it() -> None:
    with pytest.raises(BillingError) as error:
        bill_for(visit(diagnoses=("M99.0",)))
    message = error.value.problems[0].message
    assert all(f"M99.0{n}" in message for n in range(10))  # M99.06-M99.09 were once left out


def test_every_code_billing_toml_names_is_billable_in_the_code_set() -> None:
    from weizhong.billing import icd10cm

    rules = billing_rules()
    named = set(rules.diagnoses) | {c for s in rules.suggestions for c in s.code_for(None)}
    named |= {c for s in rules.suggestions for side in ("left", "right") for c in s.code_for(side)}
    named |= {c for item in rules.not_billable.values() for c in item.use}
    families = {f.prefix for f in rules.seventh_characters}
    for code in sorted(named):
        if any(code.startswith(prefix) for prefix in families) and len(code) == 7:
            code = f"{code}A"  # a family code: billable with its 7th character
        assert icd10cm.is_billable(code), code
    for heading, item in rules.not_billable.items():
        assert not icd10cm.is_billable(heading), heading
        official = icd10cm.billable_under(heading)
        if official:
            assert set(item.use) == set(official), heading


def test_the_installed_code_set_is_the_release_we_name() -> None:
    import tomllib

    from weizhong.billing import icd10cm
    from weizhong.knowledge.loader import DATA_DIR

    assert icd10cm.package_version().startswith(icd10cm.PACKAGE_SERIES + ".")
    with (DATA_DIR / "billing.toml").open("rb") as handle:
        assert tomllib.load(handle)["meta"]["icd10cm"] == icd10cm.RELEASE


def test_radiculopathy_is_suggested_as_m54_16_unless_a_disc_disorder_is_documented() -> None:
    from weizhong.billing.diagnoses import suggestions

    (primary, *rest) = suggestions("lumbar_radiculopathy", None, 60, billing_rules())
    assert (primary["code"], primary["role"]) == ("M54.16", "primary")
    assert any(s["code"] == "M51.16" and "disc" in s["label"] for s in rest)


def test_every_code_of_the_clinical_reference_has_a_description() -> None:
    rules = billing_rules()
    reference = [
        "M54.50",
        "M54.51",
        "M54.59",
        "M54.30",
        "M54.31",
        "M54.32",
        "M54.40",
        "M54.41",
        "M54.42",
        "M51.16",
        "M51.17",
        "M54.16",
        "M54.17",
        "G57.00",
        "G57.01",
        "G57.02",
        "G57.03",
        "M62.81",
        "M62.89",
        "M62.830",
        "M79.10",
        "M79.11",
        "M79.12",
        "M79.18",
        "S76.311",
        "S76.312",
        "S76.319",
        "M99.03",
        "M99.04",
        "M99.05",
    ]
    assert [c for c in reference if not rules.diagnoses[c].description] == []


@pytest.mark.parametrize(
    ("side", "code", "expected"),
    [
        ("left", "M54.30", "dx-unspecified-side"),
        ("right", "M54.40", "dx-unspecified-side"),
        ("left", "G57.00", "dx-unspecified-side"),
        ("left", "S76.319A", "dx-unspecified-side"),
        ("right", "M54.32", "dx-side-mismatch"),
    ],
)
def test_side_warnings(side: str, code: str, expected: str) -> None:
    bill = bill_for(visit(diagnoses=(code,)), patient=replace(ANA, side=side))
    assert expected in warning_ids(bill)


def test_no_side_warning_when_the_side_is_unknown() -> None:
    assert warning_ids(bill_for(visit(diagnoses=("M54.30",)))) == {"no-billable-lines"}


def test_an_unspecified_thigh_injury_for_a_hamstring_strain_is_flagged() -> None:
    patient = replace(ANA, leading_condition="hamstring_strain")
    bill = bill_for(visit(diagnoses=("S76.302A",)), patient=patient)
    assert "dx-strain-coded-as-injury" in warning_ids(bill)


# ------------------------------------------------------------------------------ suggestions


def suggested(condition: str, side: str | None = None, onset: int | None = None) -> list[Any]:
    return [(s["code"], s["role"]) for s in suggest_diagnoses(condition, side, onset)]


def test_radiculopathy_suggests_the_disc_and_the_non_disc_codes() -> None:
    assert suggested("lumbar_radiculopathy") == [("M54.16", "primary"), ("M51.16", "alternative")]


@pytest.mark.parametrize(
    ("side", "expected"),
    [
        ("left", ["S76.312A"]),
        ("right", ["S76.311A"]),
        (None, ["S76.319A"]),
        ("bilateral", ["S76.311A", "S76.312A"]),
    ],
)
def test_a_hamstring_strain_is_coded_by_side(side: str | None, expected: list[str]) -> None:
    assert [code for code, _ in suggested("hamstring_strain", side)] == expected


def test_sciatic_entrapment_on_both_sides_has_its_own_code() -> None:
    assert suggested("sciatic_nerve_entrapment", "bilateral") == [("G57.03", "primary")]


def test_chronic_nonspecific_pain_notes_the_duration() -> None:
    first = suggest_diagnoses("nonspecific_low_back_pain", None, 100)[0]
    assert first["code"] == "M54.50" and "14 weeks: chronic" in str(first["note"])


def test_every_weizhong_condition_has_suggestions_and_no_unverified_primary() -> None:
    conditions = tomllib.loads((DATA_DIR / "conditions.toml").read_text())["condition"]
    for condition in (c["id"] for c in conditions):
        found = suggest_diagnoses(condition, "left", 100)
        assert found, condition
        assert all(s["verified"] for s in found if s["role"] == "primary"), condition


def test_tendinopathy_has_only_an_unverified_candidate() -> None:
    [candidate] = suggest_diagnoses("proximal_hamstring_tendinopathy", "right")
    assert (candidate["code"], candidate["role"], candidate["verified"]) == (
        "M76.891",
        "alternative",
        False,
    )


def test_an_unknown_condition_is_refused() -> None:
    with pytest.raises(BillingError, match="leading_condition"):
        suggest_diagnoses("flu")


# ------------------------------------------------------------------------------ billing.toml


def test_billing_toml_cites_every_entry() -> None:
    raw = tomllib.loads((DATA_DIR / "billing.toml").read_text())
    for key in ("procedure", "diagnosis", "not_billable", "seventh_character", "suggestion"):
        assert all(entry.get("source") for entry in raw[key]), key


def copy_rules(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "billing.toml"
    shutil.copy(DATA_DIR / "billing.toml", path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def test_an_unverified_primary_suggestion_is_refused(tmp_path: Path) -> None:
    path = copy_rules(
        tmp_path, 'role = "secondary"\ncode = "M62.89"', 'role = "primary"\ncode = "M62.89"'
    )
    with pytest.raises(KnowledgeError, match=r"billing\.toml: .*suggestion #\d+: an unverified"):
        billing_rules(path)


def test_a_band_pointing_to_an_unknown_code_is_refused(tmp_path: Path) -> None:
    path = copy_rules(
        tmp_path, 'cpt = "98941"\n\n[[chiropractic.band]]', 'cpt = "98999"\n\n[[chiropractic.band]]'
    )
    with pytest.raises(KnowledgeError, match="CPT 98999 has no"):
        billing_rules(path)


def test_a_clinic_copy_in_the_knowledge_dir_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEIZHONG_KNOWLEDGE_DIR", str(tmp_path))
    assert rules_path() == DATA_DIR / "billing.toml"  # no copy there: the bundled file
    copy_rules(
        tmp_path,
        "[acupuncture]\nincrement_minutes = 15\nminimum_minutes = 8",
        ("[acupuncture]\nincrement_minutes = 15\nminimum_minutes = 15"),
    )
    assert rules_path() == tmp_path / "billing.toml"
    strict = billing_rules()
    assert strict.acu_minimum_minutes == 15
    bill = superbill(visit(acupuncture_minutes=10), ANA, LEE, SELF, rules=strict)
    assert codes(bill) == [] and "acu-under-threshold" in warning_ids(bill)


# --------------------------------------------------------------------------------- rendering


def full_bill() -> Any:
    patient = replace(ANA, name='Ruiz, Ana "Annie" <b>', side="left")
    v = visit(
        acupuncture_minutes=30,
        electro=True,
        reinsertions=1,
        regions_adjusted=("lumbar", "pelvic"),
        exercise_minutes=33,
        manual_therapy_minutes=7,
        diagnoses=("M99.03", "M54.50", "S76.312A"),
    )
    return superbill(v, patient, LEE, MEDICARE, improving=True)


def test_the_bill_is_plain_json() -> None:
    bill = full_bill()
    assert json.loads(json.dumps(bill)) == bill
    assert bill["format"] == "weizhong.superbill/1"


def test_csv_parses_back_with_one_row_per_line() -> None:
    bill = full_bill()
    rows = list(csv.reader(io.StringIO(superbill_csv(bill))))
    assert rows[0][:3] == ["date", "patient", "birth_date"]
    assert [r[6] for r in rows[1:]] == ["97813", "97814", "98940", "97110", "97140"]
    by_cpt = {r[6]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_cpt["97140"]["modifiers"] == "59" and by_cpt["97140"]["units"] == "1"
    assert by_cpt["98940"]["diagnosis_codes"] == "M99.03;M54.50;S76.312A"
    assert by_cpt["97110"]["diagnosis_codes"] == "M54.50"
    assert by_cpt["97110"]["patient"] == 'Ruiz, Ana "Annie" <b>'
    assert by_cpt["97110"]["provider_npi"] == "1234567893"
    assert by_cpt["97110"]["payer"] == "Medicare"


def test_html_escapes_everything() -> None:
    html = superbill_html(full_bill(), reasons=True)
    assert "Ruiz, Ana &quot;Annie&quot; &lt;b&gt;" in html
    assert "<b>" not in html
    assert "To check before this is submitted" in html and "No fees are shown" in html
    assert "38–52 min" in html  # the reasons are shown when asked for
    assert "38–52 min" not in superbill_html(full_bill())


def test_pdf_holds_the_codes_and_the_npi() -> None:
    from pypdf import PdfReader

    pdf = superbill_pdf(full_bill())
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    for code in ("97813", "97814", "98940", "97110", "97140", "M99.03", "1234567893"):
        assert code in text, code
