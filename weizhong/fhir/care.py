"""What the clinic did and asked: outcome questionnaires with their scores, visits as
Procedures, and the newest plan as a CarePlan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from weizhong import numbers
from weizhong.fhir.codes import (
    ACUPOINT_SYSTEM,
    EXERCISE_SYSTEM,
    FHIR_DAYS,
    INSTRUMENT_SYSTEM,
    OBSERVATION_CATEGORY,
    QUESTIONNAIRE_BASE,
    SPINAL_REGION_SYSTEM,
    UCUM,
    code_table,
    score_unit,
)
from weizhong.fhir.common import JSON, _category, _concept, _ref, fhir_id
from weizhong.fhir.exams import encounter_resource
from weizhong.reasoning.instruments import instrument_definition

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
    unit = score_unit(units)
    # Every score is a Quantity with its UCUM unit (issue 14), "{score}" or "%", and the
    # instrument's own words as the unit's text.
    quantity: JSON = {"value": score, "system": UCUM, "code": unit.code}
    if unit.text:
        quantity["unit"] = unit.text
    return {"valueQuantity": quantity}


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


TECHNIQUE_WORDS = {
    "retained": "needle retained",
    "pistoning": "needled fast in and out (pistoning)",
    "pressure": "pressure only, no needle",
}


def _trigger_point_procedure(visit: Mapping[str, Any], patient_id: str) -> JSON:
    """Trigger-point needling: each trigger point a bodySite (muscle and side), with its depth
    and technique in the note."""
    sites, notes = [], []
    for point in visit["trigger_points"]:
        muscle = str(point["muscle"]).replace("_", " ")
        text = f"{muscle} ({point['side']})"
        sites.append({"text": f"Trigger point in {text}"})
        words = [TECHNIQUE_WORDS.get(point.get("technique", ""), str(point.get("technique")))]
        if point.get("depth_cun") is not None:
            words.append(f"depth {numbers.number(float(point['depth_cun']))} cun")
        notes.append(f"{text}: {', '.join(words)}.")
    code = {"text": "Trigger point needling (ashi points)"}
    extra = {"bodySite": sites, "note": [{"text": " ".join(notes)}]}
    return _procedure(visit, patient_id, "trigger-points", code, extra)


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
    if visit.get("trigger_points"):
        resources.append(_trigger_point_procedure(visit, patient_id))
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
        visits = "clinic visit" if int(per_week) == 1 else "clinic visits"
        text = f"{per_week} {visits} a week" + (f", {planned} in all" if planned else "")
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
