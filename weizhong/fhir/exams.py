"""One exam as resources: its Encounter, an Observation per finding, the leading conditions of
the assessment with their evidence, and a Flag per red flag raised."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from weizhong.billing import icd10cm
from weizhong.case import validate_case
from weizhong.fhir.codes import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_SYSTEM,
    CONDITION_VERIFICATION,
    FINDING_ITEM_SYSTEM,
    FINDING_SYSTEM,
    FINDING_VALUE_SYSTEM,
    FLAG_CATEGORY,
    ICD10CM,
    LIST_ITEM_SYSTEMS,
    OBSERVATION_CATEGORY,
    RED_FLAG_SYSTEM,
    UCUM,
    ConditionCodes,
    code_table,
    finding_category,
    finding_unit,
)
from weizhong.fhir.common import (
    _AMBULATORY,
    CONDITION_THRESHOLD,
    JSON,
    _category,
    _concept,
    _ref,
    fhir_id,
)
from weizhong.knowledge import Knowledge
from weizhong.knowledge.records import SIDES, FindingDef
from weizhong.numbers import percent

# --------------------------------------------------------------------------- exams


def exam_id(exam: Mapping[str, Any]) -> str:
    return fhir_id("exam", exam["id"])


def encounter_resource(
    resource_id: str,
    patient_id: str,
    start: str,
    kind: str,
    clinician: str | None,
    reasons: Sequence[str] = (),
) -> JSON:
    resource: JSON = {
        "resourceType": "Encounter",
        "id": resource_id,
        "status": "finished",
        "class": _AMBULATORY,
        "type": [{"text": kind}],
        "subject": _ref("Patient", patient_id),
        "period": {"start": start},
    }
    if clinician:
        resource["participant"] = [{"individual": {"display": clinician}}]
    if reasons:
        resource["reasonCode"] = [_diagnosis_concept(code) for code in reasons]
    return resource


def _diagnosis_concept(code: str) -> JSON:
    """A visit's billed diagnosis; a retired or header ICD-10-CM code is kept as text only."""
    codes = code_table()
    if code in codes.retired_icd10cm:
        return {"text": f"{code} (retired or non-billable ICD-10-CM code, not coded)"}
    known = next(
        (c.code for cc in codes.conditions.values() for c in cc.icd10cm if c.code.code == code),
        None,
    )
    if known is not None:
        coding = known.coding()
        return _concept(coding, text=coding["display"])
    official = icd10cm.title(code)
    if official:
        return _concept({"system": ICD10CM, "code": code, "display": official}, text=official)
    return _concept({"system": ICD10CM, "code": code}, text=code)


def finding_value(definition: FindingDef, value: Any) -> JSON:
    """The Observation value[x] (or components) for one finding."""
    kind = definition.type
    if kind == "bool":
        return {"valueBoolean": value}
    if kind in ("int", "number"):
        unit = finding_unit(definition)
        if unit is None:
            return {"valueInteger": value}
        quantity: JSON = {"value": value, "system": UCUM, "code": unit.code}
        if unit.text:
            quantity["unit"] = unit.text
        return {"valueQuantity": quantity}
    if kind == "enum":
        return {"valueCodeableConcept": _concept({"system": FINDING_VALUE_SYSTEM, "code": value})}
    if kind == "int_list":
        return {
            "component": [
                {
                    "code": _concept({"system": FINDING_ITEM_SYSTEM, "code": f"item-{n}"}),
                    "valueInteger": answer,
                }
                for n, answer in enumerate(value, start=1)
            ]
        }
    if not value:  # examined, none found
        return {"valueBoolean": False}
    system = LIST_ITEM_SYSTEMS[kind]
    return {
        "component": [
            {"code": _concept({"system": system, "code": item}, text=item), "valueBoolean": True}
            for item in value
        ]
    }


def finding_resources(
    exam: Mapping[str, Any], findings: Mapping[str, Any], patient_id: str, knowledge: Knowledge
) -> list[JSON]:
    codes = code_table()
    encounter = exam_id(exam)
    resources = []
    for name, value in findings.items():
        definition = knowledge.findings[name]
        codings = [{"system": FINDING_SYSTEM, "code": name, "display": definition.label}]
        if name == "nprs":
            codings.append(codes.nprs.coding())
        resources.append(
            {
                "resourceType": "Observation",
                "id": fhir_id(encounter, name),
                "status": "final",
                "category": [_category(OBSERVATION_CATEGORY, finding_category(definition))],
                "code": _concept(*codings, text=definition.label),
                "subject": _ref("Patient", patient_id),
                "encounter": _ref("Encounter", encounter),
                "effectiveDateTime": exam["created"],
                **finding_value(definition, list(value) if isinstance(value, tuple) else value),
            }
        )
    return resources


def symptomatic_side(findings: Mapping[str, Any]) -> str:
    """left, right or bilateral from the sided pain regions; any when none is charted."""
    regions = findings.get("pain_regions") or ()
    sides = [s for s in SIDES if any(r.endswith(f"_{s}") for r in regions)]
    if len(sides) == 2:
        return "bilateral"
    return sides[0] if sides else "any"


def leading_conditions(assessment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The top condition and any other the assessment rates above CONDITION_THRESHOLD."""
    differential = list(assessment.get("differential") or ())
    return [
        entry
        for rank, entry in enumerate(differential)
        if rank == 0 or entry["probability"] > CONDITION_THRESHOLD
    ]


def _coded_sides(codes: ConditionCodes | None, side: str) -> list[str]:
    """Which sides get a Condition of their own: both sides when no bilateral code exists."""
    if (
        codes is not None
        and side == "bilateral"
        and not codes.has_side("bilateral")
        and codes.has_side("left")
    ):
        return list(SIDES)
    return [side]


def _body_sites(codes: ConditionCodes | None, side: str) -> list[JSON]:
    if codes is None or not codes.sided or side == "any":
        return []
    limbs = code_table().lower_limb
    sides = SIDES if side == "bilateral" else (side,)
    return [_concept(limbs[s].coding(), text=f"{s} lower limb") for s in sides]


def _evidence(entry: Mapping[str, Any], encounter: str, examined: Mapping[str, Any]) -> list[JSON]:
    names = dict.fromkeys(
        finding
        for reason in entry.get("because") or ()
        if reason.get("counted") and reason.get("present")
        for finding in (reason.get("values") or {})
        if finding in examined
    )
    if not names:
        return []
    return [{"detail": [_ref("Observation", fhir_id(encounter, name)) for name in names]}]


def condition_resources(
    exam: Mapping[str, Any], findings: Mapping[str, Any], patient_id: str
) -> list[JSON]:
    table = code_table().conditions
    encounter = exam_id(exam)
    side = symptomatic_side(findings)
    resources = []
    for rank, entry in enumerate(leading_conditions(exam["assessment"])):
        condition = entry["condition"]
        codes = table.get(condition)
        for coded_side in _coded_sides(codes, side):
            split = coded_side != side
            codings: list[Mapping[str, str]] = []
            if codes is not None:
                icd = codes.icd_for(coded_side, findings)
                codings += [icd.coding()] if icd else []
                codings += [c.coding() for c in codes.snomed]
            codings.append({"system": CONDITION_SYSTEM, "code": condition})
            status = "provisional" if rank == 0 else "differential"
            resource: JSON = {
                "resourceType": "Condition",
                "id": fhir_id(encounter, condition, *([coded_side] if split else [])),
                "clinicalStatus": _concept({"system": CONDITION_CLINICAL, "code": "active"}),
                "verificationStatus": _concept({"system": CONDITION_VERIFICATION, "code": status}),
                "category": [_category(CONDITION_CATEGORY, "encounter-diagnosis")],
                "code": _concept(*codings, text=entry.get("name") or condition),
                "subject": _ref("Patient", patient_id),
                "encounter": _ref("Encounter", encounter),
                "recordedDate": exam["created"],
                "note": [{"text": _condition_note(entry)}],
            }
            if body_sites := _body_sites(codes, coded_side):
                resource["bodySite"] = body_sites
            if evidence := _evidence(entry, encounter, findings):
                resource["evidence"] = evidence
            resources.append(resource)
    return resources


def _condition_note(entry: Mapping[str, Any]) -> str:
    summary = entry.get("summary")
    return summary or f"weizhong's assessment gives this {percent(float(entry['probability']))}."


def flag_resources(
    exam: Mapping[str, Any], patient_id: str, superseded_at: str | None = None
) -> list[JSON]:
    """Red flags of an exam: active while that exam is the latest; a later exam is the current
    picture, so an earlier exam's flags become inactive from the later exam's time."""
    encounter = exam_id(exam)
    period = {"start": exam["created"]}
    if superseded_at:
        period["end"] = superseded_at
    return [
        {
            "resourceType": "Flag",
            "id": fhir_id(encounter, "flag", flag["id"]),
            "status": "inactive" if superseded_at else "active",
            "category": [_category(FLAG_CATEGORY, "clinical")],
            "code": _concept(
                {"system": RED_FLAG_SYSTEM, "code": flag["id"], "display": flag["name"]},
                text=flag["name"],
            ),
            "subject": _ref("Patient", patient_id),
            "period": period,
            "encounter": _ref("Encounter", encounter),
        }
        for flag in exam["assessment"].get("red_flags") or ()
    ]


def exam_resources(
    exam: Mapping[str, Any],
    patient_id: str,
    knowledge: Knowledge,
    superseded_at: str | None = None,
) -> list[JSON]:
    findings = validate_case(exam["case"], knowledge).findings
    return [
        encounter_resource(
            exam_id(exam), patient_id, exam["created"], "Examination", exam.get("clinician")
        ),
        *finding_resources(exam, findings, patient_id, knowledge),
        *condition_resources(exam, findings, patient_id),
        *flag_resources(exam, patient_id, superseded_at),
    ]
