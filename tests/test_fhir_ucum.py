"""Units and code titles in FHIR (issue 14): every score and measurement exported as a Quantity
carries its UCUM system and code, the import accepts them (and refuses a unit a score cannot be
in, naming the field), and every ICD-10-CM coding shows the code set's official title."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from weizhong.billing import icd10cm
from weizhong.fhir import FhirImportError, export_bundle, import_bundle
from weizhong.fhir.codes import ICD10CM, UCUM

from .test_fhir import (
    ALL_INSTRUMENTS,
    TIMESTAMP,
    a_visit,
    an_outcome,
    pregnant_warfarin_record,
    red_flag_record,
    resources,
    runner_record,
)


def full_record() -> dict[str, Any]:
    record = runner_record()
    record["outcomes"] = [
        an_outcome(str(n), instrument, answers)
        for n, (instrument, answers) in enumerate(ALL_INSTRUMENTS, start=20)
    ]
    record["visits"] = [a_visit("9", diagnoses=["M54.16", "M62.830", "M99.03"])]
    return record


RECORDS = [full_record, red_flag_record, pregnant_warfarin_record]


def quantities(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "valueQuantity":
                yield f"{path}.{key}", value
            else:
                yield from quantities(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from quantities(value, f"{path}[{index}]")


def codings(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "system" in node and "code" in node:
            yield node
        for value in node.values():
            yield from codings(value)
    elif isinstance(node, list):
        for value in node:
            yield from codings(value)


@pytest.mark.parametrize("make", RECORDS)
def test_every_quantity_carries_a_ucum_system_and_code(make: Any) -> None:
    bundle = export_bundle(make(), timestamp=TIMESTAMP)
    found = list(quantities(bundle))
    assert len(found) >= (5 if make is full_record else 0)
    for where, quantity in found:
        assert quantity.get("system") == UCUM, where
        assert isinstance(quantity.get("code"), str) and quantity["code"], where
    for entry in bundle["entry"]:  # and still valid R4B
        model = get_fhir_model_class(entry["resource"]["resourceType"])
        model.model_validate(entry["resource"])


def test_scores_are_in_score_units_or_percent() -> None:
    bundle = export_bundle(full_record(), timestamp=TIMESTAMP)
    scores = {
        c["code"]: r["valueQuantity"]
        for r in resources(bundle, "Observation")
        if r["id"].startswith("outcome-") and "valueQuantity" in r
        for c in r["code"]["coding"]
        if c["system"].endswith("/instrument")
    }
    assert set(scores) >= {"odi", "rmdq", "nprs"}
    assert scores["odi"]["code"] == "%"
    assert all(q["code"] == "{score}" for name, q in scores.items() if name != "odi")
    measured = {
        q["code"] for r in resources(bundle, "Observation") if r["id"].startswith("exam-")
        for _, q in quantities(r)
    }  # fmt: skip
    assert "deg" in measured


def test_the_import_accepts_ucum_quantities_and_gives_the_scores_back() -> None:
    record = full_record()
    imported = import_bundle(export_bundle(record, timestamp=TIMESTAMP))
    assert [(o["instrument"], o["score"]) for o in imported.outcomes] == [
        (o["instrument"], o["score"]) for o in record["outcomes"]
    ]


def _score_only(code: str | None) -> dict[str, Any]:
    bundle = export_bundle(full_record(), timestamp=TIMESTAMP)
    bundle = copy.deepcopy(bundle)
    kept = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "QuestionnaireResponse":
            continue
        if resource["id"].startswith("outcome-"):
            resource.pop("derivedFrom", None)
            if code is None:
                resource["valueQuantity"].pop("code")
            else:
                resource["valueQuantity"]["code"] = code
        kept.append(entry)
    bundle["entry"] = kept
    return bundle


def test_a_score_in_a_unit_it_cannot_be_in_is_refused_naming_the_field() -> None:
    with pytest.raises(FhirImportError) as raised:
        import_bundle(_score_only("mm[Hg]"))
    issues = raised.value.outcome["issue"]
    assert any(
        i["expression"][0].endswith("valueQuantity.code") and "'{score}'" in i["diagnostics"]
        for i in issues
    )


def test_a_score_with_no_unit_code_is_still_read() -> None:
    assert import_bundle(_score_only(None)).outcomes


@pytest.mark.parametrize("make", RECORDS)
def test_every_icd10cm_coding_shows_the_official_title(make: Any) -> None:
    bundle = export_bundle(make(), timestamp=TIMESTAMP)
    found = [c for c in codings(bundle) if c["system"] == ICD10CM]
    assert found
    for coding in found:
        assert coding["display"] == icd10cm.title(coding["code"]) != "", coding


def test_a_billed_diagnosis_outside_the_table_gets_its_official_title() -> None:
    bundle = export_bundle(full_record(), timestamp=TIMESTAMP)
    visit = next(r for r in resources(bundle, "Encounter") if r["id"] == "visit-9")
    shown = {c["coding"][0]["code"]: c["coding"][0]["display"] for c in visit["reasonCode"]}
    assert shown["M99.03"] == icd10cm.title("M99.03")
    assert "lumbar" in shown["M99.03"].lower()
