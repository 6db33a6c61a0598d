"""Every branch of the planner opens and saves in the clinic: refer first, screen first, the
bleeding, pregnancy, device, minor, acute-strain and poor-fit gates (issue 11; the plan editor
used to fail for exactly the patients the safety rules exist for)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.clinic.conftest import make_exam, make_patient
from weizhong.clinic.models import Clinic, Plan

HARD_CASES = Path(__file__).resolve().parent.parent / "hard_cases"
BRANCHES = {
    "H01": "screen or refer",  # cauda equina at three weeks
    "H02": "refer_first",  # aneurysm
    "H06": "apixaban",
    "H13": "acute strain",
    "H15": "warfarin and sertraline",
    "H16": "pregnancy at 30 weeks",
    "H18": "spinal cord stimulator",
    "H19": "a 14-year-old",
    "H22": "poor fit",
    "H28": "pacemaker and ICD",
}


def _case(prefix: str) -> dict[str, Any]:
    (path,) = HARD_CASES.glob(f"{prefix}_*.json")
    case: dict[str, Any] = json.loads(path.read_text())["case"]
    return case


@pytest.mark.parametrize("prefix", sorted(BRANCHES))
def test_the_plan_editor_opens_and_saves_for_every_branch(
    prefix: str, clinic: Clinic, clinician: Any, doc: Client
) -> None:
    case = _case(prefix)
    facts = case.get("patient", {})
    age = facts.get("age", 40)
    patient = make_patient(
        clinic,
        birth_date=dt.date.today().replace(year=dt.date.today().year - age - 1),
        sex=facts.get("sex", "female"),
        pregnant=bool(facts.get("pregnant")),
        medications=facts.get("medications", []),
        devices=facts.get("devices", []),
        conditions=facts.get("conditions", []),
    )
    exam = make_exam(patient, clinician, case["findings"])
    url = reverse("plan_editor", args=[exam.pk])
    page = doc.get(url)
    assert page.status_code == 200
    status = page.context["plan"]["status"]
    text = page.content.decode()
    if status == "refer_first":
        assert "Refer first" in text
    elif status == "screen_first":
        assert "Ask first" in text
    saved = doc.post(
        url,
        {"action": "save", "visits_per_week": 1, "planned_visits": 4, "guideline": "ACP2017",
         "after_version": page.context["after_version"]},
    )  # fmt: skip
    assert saved.status_code in (200, 302), saved.content.decode()[:500]
    plan = Plan.objects.get(exam=exam)
    assert doc.get(reverse("plan", args=[plan.pk])).status_code == 200
    handout = doc.get(reverse("plan_handout", args=[plan.pk]))
    assert handout.status_code == 200
    assert handout.content.startswith(b"%PDF")


def test_a_plan_waiting_for_the_inr_says_what_to_ask(
    clinic: Clinic, clinician: Any, doc: Client
) -> None:
    patient = make_patient(clinic, medications=["warfarin"])
    findings = {"pain_regions": ["low_back"], "onset_days": 40, "lumbar_hypomobility": True}
    exam = make_exam(patient, clinician, findings)
    page = doc.get(reverse("plan_editor", args=[exam.pk]))
    assert page.context["plan"]["status"] == "screen_first"
    text = page.content.decode()
    assert "Ask first" in text
    assert "the most recent INR was within the target range" in text
    assert ">None<" not in text
