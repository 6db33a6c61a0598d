"""Export one patient's record as a FHIR R4 Bundle (type collection).

The input is a plain dict gathered by the web layer (see :func:`export_bundle`); every resource is
built and checked with the ``fhir.resources.R4B`` model of its type and returned as plain JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource

from weizhong.case import match_medication, validate_case
from weizhong.fhir.codes import (
    ACT_CODE,
    ACUPOINT_SYSTEM,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_SYSTEM,
    CONDITION_VERIFICATION,
    DEVICE_SYSTEM,
    EXERCISE_SYSTEM,
    FHIR_DAYS,
    FINDING_ITEM_SYSTEM,
    FINDING_SYSTEM,
    FINDING_VALUE_SYSTEM,
    FLAG_CATEGORY,
    ICD10CM,
    INSTRUMENT_SYSTEM,
    LIST_ITEM_SYSTEMS,
    OBSERVATION_CATEGORY,
    PATIENT_CONDITION_SYSTEM,
    QUESTIONNAIRE_BASE,
    RED_FLAG_SYSTEM,
    SPINAL_REGION_SYSTEM,
    UCUM,
    ConditionCodes,
    code_table,
    finding_category,
    finding_unit,
)
from weizhong.knowledge import Knowledge, load_knowledge
from weizhong.knowledge.records import SIDES, FindingDef
from weizhong.reasoning.instruments import instrument_definition

JSON = dict[str, Any]

DEFAULT_BASE_URL = "https://weizhong.example/fhir"
# A condition below the top one is exported when the assessment gives it more than this.
CONDITION_THRESHOLD = 0.30
_AMBULATORY = {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"}


# --------------------------------------------------------------------------- small helpers


def fhir_id(*parts: object) -> str:
    """A FHIR id ([A-Za-z0-9-.]{1,64}) made of the parts; long ones keep a stable hash."""
    text = "-".join(str(p) for p in parts).replace("_", "-")
    text = "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "-" for c in text)
    if len(text) <= 64:
        return text
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{text[:51]}-{digest}"


def _ref(resource_type: str, resource_id: str, display: str | None = None) -> JSON:
    reference: JSON = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        reference["display"] = display
    return reference


def _concept(*codings: Mapping[str, str], text: str | None = None) -> JSON:
    concept: JSON = {"coding": [dict(c) for c in codings]} if codings else {}
    if text:
        concept["text"] = text
    return concept


def _category(system: str, code: str) -> JSON:
    return {"coding": [{"system": system, "code": code}]}


def _build(resource: JSON) -> Resource:
    """Check the resource with its R4B model (raises pydantic's ValidationError if invalid)."""
    model = get_fhir_model_class(resource["resourceType"])
    built = model.model_validate(resource)
    assert isinstance(built, Resource)
    return built


class _Bundle:
    """Collects the resources of one export."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.entries: list[JSON] = []

    def add(self, resource: JSON) -> None:
        url = f"{self.base_url}/{resource['resourceType']}/{resource['id']}"
        self.entries.append({"fullUrl": url, "resource": _build(resource)})

    def add_all(self, resources: Iterable[JSON]) -> None:
        for resource in resources:
            self.add(resource)


# --------------------------------------------------------------------------- patient


def patient_resource(patient: Mapping[str, Any], clinic: Mapping[str, Any], base_url: str) -> JSON:
    resource: JSON = {
        "resourceType": "Patient",
        "id": fhir_id(patient["id"]),
        "identifier": [
            {"system": f"{base_url.rstrip('/')}/sid/patient", "value": str(patient["id"])}
        ],
        "gender": patient.get("sex") or "unknown",
    }
    name = {
        key: value
        for key, value in (
            ("family", patient.get("family_name")),
            ("given", [patient["given_name"]] if patient.get("given_name") else None),
        )
        if value
    }
    if name:
        resource["name"] = [{"use": "official", **name}]
    if patient.get("birth_date"):
        resource["birthDate"] = patient["birth_date"]
    telecom = [
        {"system": system, "value": patient[key]}
        for system, key in (("phone", "phone"), ("email", "email"))
        if patient.get(key)
    ]
    if telecom:
        resource["telecom"] = telecom
    if clinic.get("id") is not None:
        resource["managingOrganization"] = _ref("Organization", _clinic_id(clinic))
    return resource


def _clinic_id(clinic: Mapping[str, Any]) -> str:
    return fhir_id("clinic", clinic["id"])


def organization_resource(clinic: Mapping[str, Any]) -> JSON:
    return {
        "resourceType": "Organization",
        "id": _clinic_id(clinic),
        "name": clinic.get("name") or "Clinic",
    }


def pregnancy_resource(patient: Mapping[str, Any], patient_id: str, when: str) -> JSON:
    codes = code_table()
    answer = codes.pregnant if patient["pregnant"] else codes.not_pregnant
    return {
        "resourceType": "Observation",
        "id": fhir_id("patient", patient_id, "pregnancy"),
        "status": "final",
        "category": [_category(OBSERVATION_CATEGORY, "social-history")],
        "code": _concept(codes.pregnancy_status.coding(), text="Pregnancy status"),
        "subject": _ref("Patient", patient_id),
        "effectiveDateTime": when,
        "valueCodeableConcept": _concept(answer.coding(), text=answer.display),
    }


def medication_resources(
    patient: Mapping[str, Any], patient_id: str, knowledge: Knowledge
) -> list[JSON]:
    resources = []
    for number, name in enumerate(patient.get("medications") or (), start=1):
        match = match_medication(name, knowledge)
        if match.generic is None:
            note = "weizhong does not recognise this name; check the medication by hand."
        else:
            classes = ", ".join(match.classes)
            note = f"weizhong reads this as {match.generic} (class: {classes})."
        resources.append(
            {
                "resourceType": "MedicationStatement",
                "id": fhir_id("patient", patient_id, "medication", number),
                "status": "active",
                "medicationCodeableConcept": {"text": name},
                "subject": _ref("Patient", patient_id),
                "note": [{"text": note}],
            }
        )
    return resources


def device_resources(patient: Mapping[str, Any], patient_id: str) -> list[JSON]:
    return [
        {
            "resourceType": "Device",
            "id": fhir_id("patient", patient_id, "device", device),
            "status": "active",
            "type": _concept(
                {"system": DEVICE_SYSTEM, "code": device}, text=device.replace("_", " ")
            ),
            "patient": _ref("Patient", patient_id),
        }
        for device in patient.get("devices") or ()
    ]


def history_condition_resources(patient: Mapping[str, Any], patient_id: str) -> list[JSON]:
    """The patient's standing conditions (epilepsy, osteoporosis…) as problem-list Conditions."""
    return [
        {
            "resourceType": "Condition",
            "id": fhir_id("patient", patient_id, "history", condition),
            "clinicalStatus": _concept({"system": CONDITION_CLINICAL, "code": "active"}),
            "category": [_category(CONDITION_CATEGORY, "problem-list-item")],
            "code": _concept(
                {"system": PATIENT_CONDITION_SYSTEM, "code": condition},
                text=condition.replace("_", " "),
            ),
            "subject": _ref("Patient", patient_id),
        }
        for condition in patient.get("conditions") or ()
    ]


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
        return _concept(known.coding(), text=known.display)
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
    percent = round(100 * float(entry["probability"]))
    summary = entry.get("summary")
    return summary or f"weizhong's assessment gives this {percent}%."


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


# --------------------------------------------------------------------------- outcomes


def _answer(value: float) -> JSON:
    if isinstance(value, int) or float(value).is_integer():
        return {"valueInteger": int(value)}
    return {"valueDecimal": value}


def questionnaire_response_resource(outcome: Mapping[str, Any], patient_id: str) -> JSON:
    instrument = outcome["instrument"]
    definition = instrument_definition(instrument)
    items = []
    for number, answer in enumerate(outcome["answers"], start=1):
        item: JSON = {"linkId": f"item-{number}"}
        if number <= len(definition.item_labels):
            item["text"] = definition.item_labels[number - 1]
        if answer is not None:  # a skipped item has no answer
            item["answer"] = [_answer(answer)]
        items.append(item)
    resource: JSON = {
        "resourceType": "QuestionnaireResponse",
        "id": fhir_id("outcome", outcome["id"]),
        "questionnaire": f"{QUESTIONNAIRE_BASE}{instrument}",
        "status": "completed",
        "subject": _ref("Patient", patient_id),
        "authored": outcome["taken"],
        "item": items,
    }
    if outcome.get("source") == "portal":
        resource["source"] = _ref("Patient", patient_id)
    return resource


def _score_value(score: float | None, units: str) -> JSON:
    if score is None:
        return {
            "dataAbsentReason": _concept(
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "error",
                },
                text="Too many items were skipped to score it",
            )
        }
    if isinstance(score, int):
        return {"valueInteger": score}
    return {"valueQuantity": {"value": score, "unit": units}}


def outcome_resources(outcome: Mapping[str, Any], patient_id: str) -> list[JSON]:
    instrument = outcome["instrument"]
    definition = instrument_definition(instrument)
    codings = [{"system": INSTRUMENT_SYSTEM, "code": instrument, "display": definition.name}]
    if instrument == "nprs":
        codings.insert(0, code_table().nprs.coding())
    observation: JSON = {
        "resourceType": "Observation",
        "id": fhir_id("outcome", outcome["id"]),
        "status": "final",
        "category": [_category(OBSERVATION_CATEGORY, "survey")],
        "code": _concept(*codings, text=definition.name),
        "subject": _ref("Patient", patient_id),
        "effectiveDateTime": outcome["taken"],
        **_score_value(outcome.get("score"), definition.units),
    }
    if outcome.get("source") == "portal":
        observation["performer"] = [_ref("Patient", patient_id)]
    if outcome.get("answers") is None:
        return [observation]
    response = questionnaire_response_resource(outcome, patient_id)
    observation["derivedFrom"] = [_ref("QuestionnaireResponse", response["id"])]
    return [response, observation]


# --------------------------------------------------------------------------- visits


def _point_site(point: str) -> JSON:
    code, _, side = point.partition(":")
    text = f"{code} ({side})" if side else code
    return _concept({"system": ACUPOINT_SYSTEM, "code": code}, text=text)


def _procedure(
    visit: Mapping[str, Any], patient_id: str, suffix: str, code: JSON, extra: JSON
) -> JSON:
    resource: JSON = {
        "resourceType": "Procedure",
        "id": fhir_id("visit", visit["id"], suffix),
        "status": "completed",
        "code": code,
        "subject": _ref("Patient", patient_id),
        "encounter": _ref("Encounter", fhir_id("visit", visit["id"])),
        "performedDateTime": visit["date"],
        **extra,
    }
    if visit.get("clinician"):
        resource["performer"] = [{"actor": {"display": visit["clinician"]}}]
    if visit.get("plan_id") is not None:
        resource["basedOn"] = [_ref("CarePlan", fhir_id("plan", visit["plan_id"]))]
    if visit.get("response"):
        resource["outcome"] = {"text": f"Response since last visit: {visit['response']}"}
    return resource


def _acupuncture_notes(visit: Mapping[str, Any]) -> list[JSON]:
    notes = []
    if visit.get("electro"):
        settings = visit.get("electro_settings") or "settings not recorded"
        notes.append(f"Electrostimulation of the needles: {settings}.")
    else:
        notes.append("No electrostimulation.")
    if visit.get("needle_minutes"):
        notes.append(f"Needles retained {visit['needle_minutes']} min.")
    if visit.get("contact_minutes"):
        notes.append(f"Face-to-face time {visit['contact_minutes']} min.")
    return [{"text": " ".join(notes)}]


def visit_resources(visit: Mapping[str, Any], patient_id: str) -> list[JSON]:
    encounter_id = fhir_id("visit", visit["id"])
    resources = [
        encounter_resource(
            encounter_id,
            patient_id,
            visit["date"],
            "Treatment visit",
            visit.get("clinician"),
            visit.get("diagnoses") or (),
        )
    ]
    table = code_table()
    if visit.get("points"):
        code = _concept(table.acupuncture.coding(), text="Acupuncture")
        extra = {
            "bodySite": [_point_site(p) for p in visit["points"]],
            "note": _acupuncture_notes(visit),
        }
        resources.append(_procedure(visit, patient_id, "acupuncture", code, extra))
    if visit.get("regions_adjusted"):
        code = _concept(table.manipulation.coding(), text="Spinal manipulation")
        sites = [
            _concept({"system": SPINAL_REGION_SYSTEM, "code": r}, text=r)
            for r in visit["regions_adjusted"]
        ]
        resources.append(_procedure(visit, patient_id, "manipulation", code, {"bodySite": sites}))
    if visit.get("office_care"):
        code = {"text": "Office care"}
        note = {"note": [{"text": visit["office_care"]}]}
        resources.append(_procedure(visit, patient_id, "office-care", code, note))
    return resources


# --------------------------------------------------------------------------- plans


def newest_plan_id(plans: Sequence[Mapping[str, Any]]) -> Any:
    """The plan that is active: the highest version, the latest created among equals."""
    if not plans:
        return None
    return max(plans, key=lambda p: (p.get("version") or 0, p.get("created") or ""))["id"]


def _exercise_activity(exercise: Mapping[str, Any], status: str) -> JSON:
    dose = exercise.get("dose") or {}
    repeat: JSON = {"frequency": int(dose.get("per_day") or 1), "period": 1, "periodUnit": "d"}
    days = [FHIR_DAYS[d] for d in exercise.get("schedule") or () if d in FHIR_DAYS]
    if days:
        repeat["dayOfWeek"] = days
    detail: JSON = {
        "code": _concept(
            {"system": EXERCISE_SYSTEM, "code": exercise["id"]},
            text=exercise.get("name") or exercise["id"],
        ),
        "status": status,
        "scheduledTiming": {"repeat": repeat},
    }
    if exercise.get("dose_text"):
        detail["description"] = exercise["dose_text"]
    return {"detail": detail}


def _visit_activities(saved: Mapping[str, Any], status: str) -> list[JSON]:
    per_week = saved.get("visits_per_week")
    planned = saved.get("planned_visits")
    activities = []
    if per_week:
        repeat: JSON = {"frequency": int(per_week), "period": 1, "periodUnit": "wk"}
        if planned:
            repeat["count"] = int(planned)
        text = f"{per_week} clinic visits a week" + (f", {planned} in all" if planned else "")
        activities.append(
            {
                "detail": {
                    "code": {"text": "Clinic visits"},
                    "status": status,
                    "description": text,
                    "scheduledTiming": {"repeat": repeat},
                }
            }
        )
    if planned:
        activities.append(
            {
                "detail": {
                    "code": {"text": "Re-evaluation"},
                    "status": status,
                    "description": f"Re-examine and re-score the outcomes after {planned} visits.",
                }
            }
        )
    return activities


def _acupuncture_activity(plan: Mapping[str, Any], status: str) -> list[JSON]:
    acupuncture = plan.get("acupuncture") or {}
    points = acupuncture.get("points") or ()
    if not points:
        return []
    listed = ", ".join(f"{p['code']} ({p['side']})" for p in points)
    description = f"Points: {listed}."
    electro = acupuncture.get("electrostimulation")
    if electro:
        description += f" Electrostimulation at {electro.get('frequency', 'the set frequency')}."
    else:
        description += " No electrostimulation."
    code = _concept(code_table().acupuncture.coding(), text="Acupuncture")
    return [{"detail": {"code": code, "status": status, "description": description}}]


def care_plan_resource(
    saved: Mapping[str, Any], patient_id: str, active: bool, conditions: Mapping[str, list[str]]
) -> JSON:
    plan = saved["plan"]
    status = "scheduled" if active else "cancelled"
    activities = [
        *(_exercise_activity(e, status) for e in plan.get("exercises") or ()),
        *_visit_activities(saved, status),
        *_acupuncture_activity(plan, status),
    ]
    resource: JSON = {
        "resourceType": "CarePlan",
        "id": fhir_id("plan", saved["id"]),
        "status": "active" if active else "revoked",
        "intent": "plan",
        "title": f"Treatment plan, version {saved.get('version', 1)}",
        "subject": _ref("Patient", patient_id),
        "created": saved["created"],
    }
    exam = saved.get("exam_id")
    if exam is not None:
        resource["encounter"] = _ref("Encounter", fhir_id("exam", exam))
        addresses = conditions.get(str(exam)) or []
        if addresses:
            resource["addresses"] = [_ref("Condition", c) for c in addresses]
    if activities:
        resource["activity"] = activities
    return resource


# --------------------------------------------------------------------------- the bundle


def _patient_resources(
    record: Mapping[str, Any], base_url: str, knowledge: Knowledge
) -> list[JSON]:
    patient = record["patient"]
    clinic = record.get("clinic") or {}
    patient_id = fhir_id(patient["id"])
    resources = []
    if clinic.get("id") is not None:
        resources.append(organization_resource(clinic))
    resources.append(patient_resource(patient, clinic, base_url))
    if patient.get("pregnant") is not None:
        exams = record.get("exams") or ()
        when = exams[-1]["created"] if exams else _now()
        resources.append(pregnancy_resource(patient, patient_id, when))
    resources += medication_resources(patient, patient_id, knowledge)
    resources += device_resources(patient, patient_id)
    resources += history_condition_resources(patient, patient_id)
    return resources


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def export_bundle(
    record: Mapping[str, Any],
    *,
    base_url: str = DEFAULT_BASE_URL,
    timestamp: str | None = None,
) -> JSON:
    """The patient's record as a FHIR R4 Bundle of type collection, as plain JSON.

    ``record`` holds ``clinic``, ``patient``, ``exams`` (oldest first), ``plans``, ``visits`` and
    ``outcomes`` as gathered by the web layer. ``timestamp`` (ISO 8601) defaults to now.
    Raises ``weizhong.case.CaseError`` if a stored case is invalid.
    """
    knowledge = load_knowledge()
    patient_id = fhir_id(record["patient"]["id"])
    bundle = _Bundle(base_url)
    bundle.add_all(_patient_resources(record, base_url, knowledge))
    conditions_by_exam: dict[str, list[str]] = {}
    exams = sorted(record.get("exams") or (), key=lambda e: str(e["created"]))
    for n, exam in enumerate(exams):
        later = exams[n + 1]["created"] if n + 1 < len(exams) else None
        resources = exam_resources(exam, patient_id, knowledge, later)
        conditions_by_exam[str(exam["id"])] = [
            r["id"] for r in resources if r["resourceType"] == "Condition"
        ]
        bundle.add_all(resources)
    plans = record.get("plans") or ()
    active = newest_plan_id(plans)
    for saved in plans:
        bundle.add(care_plan_resource(saved, patient_id, saved["id"] == active, conditions_by_exam))
    for visit in record.get("visits") or ():
        bundle.add_all(visit_resources(visit, patient_id))
    for outcome in record.get("outcomes") or ():
        bundle.add_all(outcome_resources(outcome, patient_id))
    built = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": timestamp or _now(),
            "entry": bundle.entries,
        }
    )
    return built.model_dump(mode="json", exclude_none=True)
