"""Charges on the superbill from the clinic's fee schedule (passed in as code → cents): each
line's charge, the total, the warning naming codes without a fee, and the CSV, HTML and PDF.
Pure and fast: no database."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_billing import ANA, LEE, SELF, visit
from weizhong.billing import (
    MAX_FEE_CENTS,
    BillingError,
    billable_codes,
    billing_rules,
    superbill,
    superbill_csv,
    superbill_html,
    superbill_pdf,
)
from weizhong.billing.fees import FEE_NOTICE_ID, apply_fees
from weizhong.billing.model import Line
from weizhong.numbers import money, money_plain

# 30 min electro-acupuncture with a re-insertion (97813 + 97814), exercise 33 min (97110 × 2),
# manual therapy 7 min (below a unit: not billed) and 2 spinal regions (98940).
VISIT = visit(
    acupuncture_minutes=30,
    electro=True,
    reinsertions=1,
    regions_adjusted=("lumbar", "pelvic"),
    exercise_minutes=33,
)
ALL = {"97813": 9500, "97814": 4000, "98940": 6000, "97110": 3525}


def bill_with(fees: dict[str, int] | None) -> Any:
    return superbill(VISIT, ANA, LEE, SELF, fees=fees)


def by_code(bill: Any) -> dict[str, Any]:
    return {line["cpt"]: line for line in bill["lines"]}


def fee_warnings(bill: Any) -> list[str]:
    return [w["message"] for w in bill["warnings"] if w["id"] == FEE_NOTICE_ID]


def test_every_line_is_charged_units_times_its_fee_and_the_total_is_their_sum() -> None:
    bill = bill_with(ALL)
    lines = by_code(bill)
    assert [(c, line["units"]) for c, line in lines.items()] == [
        ("97813", 1), ("97814", 1), ("98940", 1), ("97110", 2)
    ]  # fmt: skip
    assert lines["97110"]["unit_fee"] == 3525 and lines["97110"]["charge"] == 7050
    assert lines["97813"]["charge"] == 9500
    assert bill["total_charge"] == 9500 + 4000 + 6000 + 7050
    assert bill["currency"] == "USD"
    assert fee_warnings(bill) == []


def test_a_line_without_a_fee_is_named_and_left_out_of_the_total() -> None:
    bill = bill_with({"97813": 9500, "98940": 6000})
    lines = by_code(bill)
    assert lines["97814"]["charge"] is None and lines["97814"]["unit_fee"] is None
    assert lines["97110"]["charge"] is None
    assert bill["total_charge"] == 15500
    assert fee_warnings(bill) == [
        "No fee is set for 97814, 97110: set them in Settings → Fees. The total leaves them out."
    ]


def test_one_code_without_a_fee_is_named_in_the_singular() -> None:
    bill = bill_with({code: cents for code, cents in ALL.items() if code != "97110"})
    assert fee_warnings(bill) == [
        "No fee is set for 97110: set it in Settings → Fees. The total leaves it out."
    ]


def test_with_an_empty_schedule_nothing_is_charged_and_the_warning_names_every_code() -> None:
    bill = bill_with({})
    assert all(line["charge"] is None for line in bill["lines"])
    assert bill["total_charge"] is None  # never a false $0.00
    assert fee_warnings(bill) == [
        "No fee is set for 97813, 97814, 98940, 97110: set them in Settings → Fees."
    ]


def test_without_a_schedule_the_core_prices_nothing_and_says_nothing_about_fees() -> None:
    bill = bill_with(None)
    assert bill["total_charge"] is None and fee_warnings(bill) == []
    assert all(line["charge"] is None and line["unit_fee"] is None for line in bill["lines"])


def test_a_fee_of_zero_is_a_charge_of_zero_not_a_missing_fee() -> None:
    bill = bill_with({**ALL, "97110": 0})
    assert by_code(bill)["97110"]["charge"] == 0
    assert bill["total_charge"] == 9500 + 4000 + 6000
    assert fee_warnings(bill) == []


def test_fees_for_codes_not_on_this_visit_change_nothing() -> None:
    assert bill_with({**ALL, "97140": 5000})["total_charge"] == bill_with(ALL)["total_charge"]


@pytest.mark.parametrize(
    ("fees", "field"),
    [
        ({"99213": 100}, "fees.99213"),  # an office visit code weizhong does not bill
        ({"97813": -1}, "fees.97813"),
        ({"97813": MAX_FEE_CENTS + 1}, "fees.97813"),
        ({"97813": 85.5}, "fees.97813"),  # a float is never money
        ({"97813": True}, "fees.97813"),
    ],
)
def test_a_bad_schedule_is_refused_by_the_core(fees: dict[str, Any], field: str) -> None:
    with pytest.raises(BillingError) as refused:
        bill_with(fees)
    assert [p.field for p in refused.value.problems] == [field]


def test_the_codes_to_price_are_the_rules_procedures_and_nothing_is_priced_in_the_data() -> None:
    rules = billing_rules()
    assert [code for code, _ in billable_codes(rules)] == list(rules.procedures)
    assert {"97810", "97811", "97813", "97814", "98940", "98941", "98942", "98943", "97110",
            "97112", "97140"} == set(rules.procedures)  # fmt: skip
    assert all(description for _, description in billable_codes(rules))


def test_money_is_shown_in_dollars_with_thousands_and_cents() -> None:
    assert money(8500) == "$85.00"
    assert money(8550) == "$85.50"
    assert money(123_456_789) == "$1,234,567.89"
    assert money(7) == "$0.07"
    assert money_plain(123_456_789) == "1234567.89"
    with pytest.raises(TypeError):
        money(85.5)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ property


def _line(cpt: str, units: int) -> Line:
    return billing_rules().line(cpt, units=units, minutes=0, why="")


CODES = list(billing_rules().procedures)


@settings(max_examples=200, deadline=None)
@given(
    units=st.lists(st.tuples(st.sampled_from(CODES), st.integers(0, 40)), max_size=12),
    fees=st.dictionaries(st.sampled_from(CODES), st.integers(0, MAX_FEE_CENTS)),
)
def test_charge_is_units_times_fee_and_total_the_sum_of_known_charges(
    units: list[tuple[str, int]], fees: dict[str, int]
) -> None:
    lines = [_line(cpt, n) for cpt, n in units]
    total, warned = apply_fees(lines, fees)
    known = []
    for line, (cpt, n) in zip(lines, units, strict=True):
        if cpt in fees:
            assert line["unit_fee"] == fees[cpt]
            assert line["charge"] == n * fees[cpt]
            assert type(line["charge"]) is int  # never a float
            known.append(line["charge"])
        else:
            assert line["unit_fee"] is None and line["charge"] is None
    assert total == (sum(known) if known else None)
    assert total is None or type(total) is int
    missing = [cpt for cpt, _ in units if cpt not in fees]
    if missing:
        (notice,) = warned
        assert all(cpt in notice["message"] for cpt in missing)
    else:
        assert warned == []
    json.dumps(lines, allow_nan=False)  # plain JSON: ints and nulls only


# ----------------------------------------------------------------------------- rendering


def test_csv_carries_the_fee_and_charge_of_each_line_as_plain_dollars() -> None:
    rows = list(csv.DictReader(io.StringIO(superbill_csv(bill_with({**ALL, "97110": 123_456})))))
    assert list(rows[0])[-2:] == ["unit_fee_usd", "charge_usd"]
    by_cpt = {r["cpt"]: r for r in rows}
    assert by_cpt["97813"]["unit_fee_usd"] == "95.00" and by_cpt["97813"]["charge_usd"] == "95.00"
    assert by_cpt["97110"]["charge_usd"] == "2469.12"  # 2 × $1,234.56, no separator in a cell


def test_csv_leaves_the_charge_empty_when_no_fee_is_set() -> None:
    rows = list(csv.DictReader(io.StringIO(superbill_csv(bill_with({"97813": 9500})))))
    assert {r["cpt"]: r["charge_usd"] for r in rows} == {
        "97813": "95.00", "97814": "", "98940": "", "97110": ""
    }  # fmt: skip


def test_html_shows_fee_charge_and_total_when_fees_are_set() -> None:
    html = superbill_html(bill_with({**ALL, "97110": 123_456}))
    assert "Unit fee" in html and "Charge" in html
    assert "$1,234.56" in html and "$2,469.12" in html
    assert money(9500 + 4000 + 6000 + 246_912) in html
    assert "Charges are in US dollars" in html and "No fees are shown" not in html


def test_html_says_no_fees_are_shown_and_keeps_the_old_columns_without_any_fee() -> None:
    for fees in ({}, None):
        html = superbill_html(bill_with(fees))
        assert "No fees are shown" in html and "Unit fee" not in html


def _pdf_text(bill: Any) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(superbill_pdf(bill)))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    return len(reader.pages), text


def test_the_pdf_shows_charges_and_the_total_and_still_fits_one_page() -> None:
    pages, text = _pdf_text(bill_with({**ALL, "97110": 123_456}))
    assert pages == 1
    for shown in ("$95.00", "$40.00", "$60.00", "$1,234.56", "$2,469.12", "$2,664.12"):
        assert shown in text, shown
    assert "Charges are in US dollars" in text


def test_the_pdf_with_some_fees_names_the_missing_ones_and_fits_one_page() -> None:
    pages, text = _pdf_text(bill_with({"97813": 9500}))
    assert pages == 1
    assert "not set" in text
    assert "No fee is set for 97814, 98940, 97110" in text
    assert "$95.00" in text


def test_the_pdf_without_fees_says_so() -> None:
    pages, text = _pdf_text(bill_with({}))
    assert pages == 1 and "No fees are shown" in text and "$" not in text


def test_the_fullest_bill_of_the_rendering_tests_with_fees_still_fits_one_page() -> None:
    from dataclasses import replace

    from tests.test_billing import MEDICARE
    from tests.test_billing import visit as make_visit

    patient = replace(ANA, name='Ruiz, Ana "Annie" <b>', side="left")
    v = make_visit(
        acupuncture_minutes=30, electro=True, reinsertions=1,
        regions_adjusted=("lumbar", "pelvic"), exercise_minutes=33, manual_therapy_minutes=7,
        diagnoses=("M99.03", "M54.50", "S76.312A"),
    )  # fmt: skip
    fees = {code: 9_999_999 for code in billing_rules().procedures if code != "97140"}
    bill = superbill(v, patient, LEE, MEDICARE, improving=True, fees=fees)
    for paper in ("A4", "Letter"):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(superbill_pdf(bill, paper=paper)))  # type: ignore[arg-type]
        assert len(reader.pages) == 1, paper
        text = re.sub(r"\s+", " ", reader.pages[0].extract_text())
        assert "$99,999.99" in text and "No fee is set for 97140" in text
