"""The plan editor answers for every branch of the planner, on the first GET and on every htmx
action the page offers: add a point, remove a point (each trigger point on its own), update and
save (issue 13: it answered 500 for every patient whose proposal withheld something)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.clinic.conftest import make_exam, make_patient, runner_findings
from weizhong.case import validate_case
from weizhong.clinic.models import Clinic, Plan
from weizhong.planning.plan import make_plan, point_key

HARD_CASES = Path(__file__).resolve().parent.parent / "hard_cases"
CASES = sorted(p.name.split("_")[0] for p in HARD_CASES.glob("H*.json"))
HTMX = {"HTTP_HX_REQUEST": "true"}


def _case(prefix: str) -> dict[str, Any]:
    (path,) = HARD_CASES.glob(f"{prefix}_*.json")
    case: dict[str, Any] = json.loads(path.read_text())["case"]
    return case


def _exam(prefix: str, clinic: Clinic, clinician: Any) -> Any:
    case = _case(prefix)
    facts = case.get("patient", {})
    age = facts.get("age", 40)
    today = dt.date.today()
    patient = make_patient(
        clinic,
        birth_date=today.replace(year=today.year - age - 1, day=1),
        sex=facts.get("sex", "female"),
        pregnant=bool(facts.get("pregnant")),
        medications=facts.get("medications", []),
        devices=facts.get("devices", []),
        conditions=facts.get("conditions", []),
    )
    return make_exam(patient, clinician, case["findings"])


def _form(page: Any) -> dict[str, Any]:
    """The editor's form as the browser would post it back (hidden fields and settings)."""
    text = page.content.decode()
    data: dict[str, Any] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text):
        data.setdefault(name, []).append(value)
    data.pop("csrfmiddlewaretoken", None)
    data.update(visits_per_week="1", planned_visits="4", guideline="ACP2017")
    return data


def test_the_hard_cases_cover_every_branch_of_the_planner() -> None:
    seen: set[str] = set()
    for prefix in CASES:
        case = _case(prefix)
        plan = make_plan(validate_case(case))  # the core, as the clinic calls it
        seen.add(plan["status"])
        if plan["herbs_withheld"]:
            seen.add("herbs withheld")
        if plan["acupuncture"]["withheld"]:
            seen.add("points withheld")
        seen.update(f["urgency"] for f in plan["assessment"]["red_flags"])
        seen.update(w["id"] for w in plan["warnings"])
    assert {"refer_first", "screen_first", "treat"} <= seen, seen
    assert {"herbs withheld", "points withheld"} <= seen, seen
    assert {"emergency", "urgent", "soon"} <= seen, seen  # each red-flag urgency
    branches = {
        "manipulation_anticoagulant", "bleeding_combination", "inr_unknown",
        "pregnancy_positioning",
        "pregnancy_trunk_trigger_point", "manipulation_minor", "pacemaker_no_electro",
        "implant_no_current", "acute_strain_no_local_needling", "poor_fit_caution",
        "poor_fit_no_condition_points", "aaa_palpate_first", "cauda_equina_screen_first",
    }  # fmt: skip
    assert branches <= seen, branches - seen


@pytest.mark.parametrize("prefix", CASES)
def test_every_action_of_the_plan_editor_answers(
    prefix: str, clinic: Clinic, clinician: Any, doc: Client
) -> None:
    exam = _exam(prefix, clinic, clinician)
    url = reverse("plan_editor", args=[exam.pk])
    page = doc.get(url)
    assert page.status_code == 200
    plan = page.context["plan"]
    # Add a point through the atlas pick, then take it back.
    added = doc.post(url, {**_form(page), "pick_point": "GB34:left", "action": "update"}, **HTMX)
    assert added.status_code == 200, added.content.decode()[:800]
    assert "GB34:left" in added.context["edits"].add_points
    dropped = doc.post(url, {**_form(added), "drop_point": "GB34", "action": "update"}, **HTMX)
    assert dropped.status_code == 200
    assert "GB34:left" not in dropped.context["edits"].add_points
    # Remove each proposed point on its own: only that one goes.
    for point in plan["acupuncture"]["points"]:
        key = point_key(point)
        removed = doc.post(url, {**_form(page), "drop_point": key, "action": "update"}, **HTMX)
        assert removed.status_code == 200, removed.content.decode()[:800]
        left = removed.context["plan"]["acupuncture"]["points"]
        assert len(left) == len(plan["acupuncture"]["points"]) - 1, (key, left)
    saved = doc.post(url, {**_form(page), "action": "save"}, **HTMX)
    assert saved.status_code == 204, saved.content.decode()[:800]
    assert Plan.objects.filter(exam=exam).count() == 1


def test_one_remove_takes_away_one_trigger_point_and_one_can_be_added(
    clinic: Clinic, clinician: Any, doc: Client
) -> None:
    findings = {**runner_findings(), "trigger_points": ["hamstrings_left", "piriformis_right"]}
    exam = make_exam(make_patient(clinic), clinician, findings)
    url = reverse("plan_editor", args=[exam.pk])
    page = doc.get(url)
    muscles = lambda r: sorted(  # noqa: E731
        p["muscle"] for p in r.context["plan"]["acupuncture"]["points"] if p["code"] == "ASHI"
    )
    assert muscles(page) == ["hamstrings", "piriformis"]
    text = page.content.decode()
    assert 'value="ASHI:hamstrings_left"' in text and 'value="ASHI:piriformis_right"' in text
    assert "Trigger point, piriformis" in text
    removed = doc.post(url, {**_form(page), "drop_point": "ASHI:piriformis_right"}, **HTMX)
    assert muscles(removed) == ["hamstrings"]
    restored = doc.post(url, {**_form(removed), "pick_point": "ASHI:piriformis_right"}, **HTMX)
    assert muscles(restored) == ["hamstrings", "piriformis"]
    added = doc.post(url, {**_form(page), "pick_point": "ASHI:Gastrocnemius_Left"}, **HTMX)
    assert muscles(added) == ["gastrocnemius", "hamstrings", "piriformis"]
    wrong = doc.post(url, {**_form(page), "pick_point": "ASHI:elbow_left"}, **HTMX)
    assert (
        wrong.status_code == 422 and "a trigger point is ASHI:muscle_side" in wrong.content.decode()
    )
    saved = doc.post(url, {**_form(removed), "action": "save"}, **HTMX)
    assert saved.status_code == 204
    plan = Plan.objects.get(exam=exam)
    assert [p.get("muscle") for p in plan.plan["acupuncture"]["points"] if p["code"] == "ASHI"] == [
        "hamstrings"
    ]
    assert plan.edits["remove_points"] == ["ASHI:piriformis_right"]


def test_one_rule_can_be_overridden_while_another_still_lacks_its_reason(
    clinic: Clinic, clinician: Any, doc: Client
) -> None:
    exam = _exam("H06", clinic, clinician)
    url = reverse("plan_editor", args=[exam.pk])
    page = doc.get(url)
    form = {
        **_form(page),
        "override": ["manipulation_anticoagulant", "bleeding_risk"],
        "override_reason_manipulation_anticoagulant": "INR 2.3 yesterday; grade I only, agreed.",
        "override_reason_bleeding_risk": "ok",
        "action": "save",
    }  # fmt: skip
    answer = doc.post(url, form, **HTMX)
    assert answer.status_code == 422
    text = answer.content.decode()
    assert "To override “Bleeding risk”, write the reason" in text
    assert "--override" not in text and "bleeding_risk" not in answer.context["errors"][0]
    warnings = {w["id"]: w for w in answer.context["plan"]["warnings"]}
    assert warnings["manipulation_anticoagulant"].get("overridden")
    assert not warnings["bleeding_risk"].get("overridden")
    assert 'value="bleeding_risk" checked' in text  # what was ticked and typed is kept
    assert ">ok</textarea>" in text
    assert not Plan.objects.filter(exam=exam).exists()
    form["override_reason_bleeding_risk"] = "Bruises easily; shallow needling agreed with her."
    assert doc.post(url, form, **HTMX).status_code == 204
    saved = Plan.objects.get(exam=exam)
    assert set(saved.overrides) == {"manipulation_anticoagulant", "bleeding_risk"}
