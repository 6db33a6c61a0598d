"""Trigger points are first-class in visits (muscle, side, depth, technique) through the page,
the API, the note and the FHIR export; and the visit records which acupuncture increments had
stimulation and re-inserted needles, and a second visit the same day is not billed silently
(issues 13 and 14)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.test import Client
from django.urls import reverse

from tests.clinic.conftest import make_exam, make_patient, make_plan, runner_findings
from tests.clinic.test_api import Api
from weizhong.clinic.models import Clinic, Patient, Visit
from weizhong.clinic.records import services
from weizhong.fhir.export import export_bundle

HTMX = {"HTTP_HX_REQUEST": "true"}
TODAY = dt.date.today().isoformat()


def _visit_post(**extra: Any) -> dict[str, Any]:
    return {"date": TODAY, "response": "not_assessed", "submit_token": str(uuid.uuid4()),
            "points": "BL40:both", **extra}  # fmt: skip


def test_the_visit_form_carries_the_plans_trigger_points_and_accepts_them(
    clinic: Clinic, clinician: Any, doc: Client
) -> None:
    findings = {**runner_findings(), "trigger_points": ["hamstrings_right", "piriformis_left"]}
    patient = make_patient(clinic)
    plan = make_plan(make_exam(patient, clinician, findings), clinician)
    assert any(p["code"] == "ASHI" for p in plan.plan["acupuncture"]["points"])
    page = doc.get(reverse("visit_new", args=[patient.pk]))
    form = page.context["form"]
    assert not any("ASHI" in p for p in form.initial["points"])  # no more ASHI:right
    muscles = {(p["muscle"], p["side"]) for p in form.initial["trigger_points"]}
    assert muscles == {("hamstrings", "right"), ("piriformis", "left")}
    text = page.content.decode()
    assert '<option value="piriformis" selected>' in text
    # Posted back as rendered (the carried points and trigger points, electro on): accepted.
    carried = form.initial["trigger_points"]
    data = _visit_post(
        points=", ".join(form.initial["points"]),
        electro="on",
        tp_muscle=[p["muscle"] for p in carried] + ["", ""],
        tp_side=[p["side"] for p in carried] + ["", ""],
        tp_depth_cun=["" if p["depth_cun"] is None else p["depth_cun"] for p in carried] + ["", ""],
        tp_technique=[p["technique"] for p in carried] + ["retained", "retained"],
    )
    answer = doc.post(reverse("visit_new", args=[patient.pk]), data)
    assert answer.status_code == 302, answer.context["form"].errors
    visit = Visit.objects.get(patient=patient)
    assert {(p["muscle"], p["side"]) for p in visit.trigger_points} == muscles
    assert "Trigger points: " in visit.note.plan and "hamstrings (right)" in visit.note.plan
    shown = doc.get(reverse("visit", args=[visit.pk])).content.decode()
    assert "piriformis (left)" in shown and "needle retained" in shown


def test_electro_on_trigger_points_alone_is_accepted(patient: Patient, doc: Client) -> None:
    data = _visit_post(points="", electro="on", tp_muscle=["piriformis"], tp_side=["left"],
                       tp_depth_cun=["1.5"], tp_technique=["retained"])  # fmt: skip
    answer = doc.post(reverse("visit_new", args=[patient.pk]), data)
    assert answer.status_code == 302, answer.context["form"].errors
    (visit,) = Visit.objects.filter(patient=patient)
    assert visit.trigger_points == [
        {"muscle": "piriformis", "side": "left", "depth_cun": 1.5, "technique": "retained"}
    ]
    # Pressure alone is not needling: electro then needs needled points.
    data = _visit_post(points="", electro="on", tp_muscle=["piriformis"], tp_side=["left"],
                       tp_depth_cun=[""], tp_technique=["pressure"])  # fmt: skip
    refused = doc.post(reverse("visit_new", args=[patient.pk]), data)
    assert refused.status_code == 422
    assert "electro" in refused.context["form"].errors


def test_bad_trigger_points_are_refused_naming_the_row_and_what_is_allowed(
    patient: Patient, doc: Client
) -> None:
    cases = [
        ({"tp_muscle": ["elbow"], "tp_side": ["left"]}, "Trigger point 1: choose the muscle"),
        ({"tp_muscle": ["piriformis"], "tp_side": ["up"]}, "the side is left or right"),
        ({"tp_muscle": ["piriformis"], "tp_side": ["left"], "tp_depth_cun": ["9"]},
         "the depth is a number of cun from 0.1 to 4"),
        ({"tp_muscle": ["piriformis"], "tp_side": ["left"], "tp_technique": ["laser"]},
         "the technique is one of"),
        ({"tp_muscle": ["piriformis", "piriformis"], "tp_side": ["left", "left"]},
         "is listed twice"),
    ]  # fmt: skip
    for rows, message in cases:
        answer = doc.post(reverse("visit_new", args=[patient.pk]), _visit_post(**rows))
        assert answer.status_code == 422
        errors = answer.context["form"].errors
        assert "trigger_points" in errors, (rows, errors)
        assert message in " ".join(errors["trigger_points"]), errors
        assert message.split(":")[0] in answer.content.decode()
    assert not Visit.objects.filter(patient=patient).exists()


def test_the_api_records_and_returns_trigger_points_and_increments(
    patient: Patient, clinician: Any
) -> None:
    from weizhong.clinic.actions import do_create_api_token

    api = Api(do_create_api_token(user=clinician, name="tests")[1])
    body = {
        "points": ["BL40:both"],
        "trigger_points": [
            {"muscle": "piriformis", "side": "left", "depth_cun": 1.5, "technique": "retained"},
            {"muscle": "quadratus_lumborum", "side": "right", "technique": "pistoning"},
        ],
        "electro": True, "contact_minutes": 30, "reinsertions": 1,
        "stimulated_increments": [1], "reinserted_increments": [2],
    }  # fmt: skip
    answer = api.post(f"/patients/{patient.pk}/visits", body)
    assert answer.status_code == 201, answer.json()
    out = answer.json()
    assert out["trigger_points"] == [
        {"muscle": "piriformis", "side": "left", "depth_cun": 1.5, "technique": "retained"},
        {"muscle": "quadratus_lumborum", "side": "right", "depth_cun": None,
         "technique": "pistoning"},
    ]  # fmt: skip
    assert out["stimulated_increments"] == [1] and out["reinserted_increments"] == [2]
    bad = api.post(
        f"/patients/{patient.pk}/visits",
        {"trigger_points": [{"muscle": "elbow", "side": "left"}]},
    )
    assert bad.status_code == 422
    assert any("trigger_points" in p["loc"] for p in bad.json()["detail"]), bad.json()


def test_the_fhir_export_has_a_trigger_point_procedure(patient: Patient, clinician: Any) -> None:
    from tests.clinic.conftest import make_visit

    make_visit(patient, None, clinician, trigger_points=[
        {"muscle": "piriformis", "side": "left", "depth_cun": 1.5, "technique": "retained"}
    ])  # fmt: skip
    bundle = export_bundle(services.patient_record(patient))
    procedures = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"
    ]
    (tp,) = [p for p in procedures if p["id"].endswith("trigger-points")]
    assert tp["bodySite"] == [{"text": "Trigger point in piriformis (left)"}]
    assert "needle retained, depth 1.5 cun" in tp["note"][0]["text"]


# ------------------------------------------------------------------------------ billing


def _with_npi(patient: Patient) -> None:
    patient.clinic.provider_id = "1234567893"  # a valid NPI: the bill needs one
    patient.clinic.save()


def _codes(visit: Visit) -> dict[str, int]:
    bill = services.superbill_for(visit)
    return {line["cpt"]: line["units"] for line in bill["lines"]}


def test_electro_then_manual_with_reinsertion_bills_97813_and_97811(
    patient: Patient, doc: Client
) -> None:
    _with_npi(patient)
    data = _visit_post(electro="on", contact_minutes=30, stimulated_increments=["1"],
                       reinserted_increments=["2"], diagnoses="M54.50")  # fmt: skip
    answer = doc.post(reverse("visit_new", args=[patient.pk]), data)
    assert answer.status_code == 302, answer.context["form"].errors
    visit = Visit.objects.get(patient=patient)
    assert visit.reinsertions == 1  # filled from the increments ticked
    assert _codes(visit) == {"97813": 1, "97811": 1}
    # Without the detail the visit's stimulation applies to every increment: 97813 + 97814.
    plain = doc.post(
        reverse("visit_new", args=[patient.pk]),
        _visit_post(electro="on", contact_minutes=30, reinsertions=1, diagnoses="M54.50",
                    date=(dt.date.today() - dt.timedelta(days=3)).isoformat()),
    )  # fmt: skip
    assert plain.status_code == 302
    older = Visit.objects.filter(patient=patient).order_by("date").first()
    assert older is not None and _codes(older) == {"97813": 1, "97814": 1}


def test_increments_are_checked_against_the_contact_time_and_the_visit(
    patient: Patient, doc: Client
) -> None:
    url = reverse("visit_new", args=[patient.pk])
    beyond = doc.post(url, _visit_post(electro="on", contact_minutes=20,
                                       stimulated_increments=["1", "2"]))  # fmt: skip
    assert beyond.status_code == 422
    assert "there is no increment 2" in " ".join(
        beyond.context["form"].errors["stimulated_increments"]
    )
    no_electro = doc.post(url, _visit_post(contact_minutes=30, stimulated_increments=["1"]))
    assert "electro-acupuncture is not" in " ".join(
        no_electro.context["form"].errors["stimulated_increments"]
    )
    disagree = doc.post(url, _visit_post(contact_minutes=45, reinsertions=2,
                                         reinserted_increments=["2"]))  # fmt: skip
    assert "make them agree" in " ".join(disagree.context["form"].errors["reinserted_increments"])
    first = doc.post(url, _visit_post(contact_minutes=45, reinserted_increments=["1"]))
    assert "reinserted_increments" in first.context["form"].errors  # the first is the insertion
    assert not Visit.objects.filter(patient=patient).exists()


def test_a_second_acupuncture_visit_the_same_day_is_warned(
    patient: Patient, clinician: Any
) -> None:
    from tests.clinic.conftest import make_visit

    _with_npi(patient)
    today = dt.date.today()
    first = make_visit(patient, None, clinician, contact_minutes=20, diagnoses=["M54.50"])
    second = make_visit(patient, None, clinician, contact_minutes=20, diagnoses=["M54.50"])
    warned = {w["id"] for w in services.superbill_for(second)["warnings"]}
    assert "acu-second-initial" in warned
    assert "acu-second-initial" not in {w["id"] for w in services.superbill_for(first)["warnings"]}
    assert first.date == second.date == today
    # A voided visit no longer counts.
    from weizhong.clinic import actions

    actions.do_void_record(record=first, by=clinician, reason="entered on the wrong patient")
    second = Visit.objects.get(pk=second.pk)
    assert "acu-second-initial" not in {w["id"] for w in services.superbill_for(second)["warnings"]}
