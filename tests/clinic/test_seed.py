"""The demo clinic and the load-test seeder: realistic, consistent, and made once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.management import call_command

from weizhong.case import validate_case
from weizhong.clinic.models import Clinic, Exam, Note, Outcome, Patient, Plan, Visit
from weizhong.clinic.ops.demo import DEMO_PASSWORDS, ensure_demo_clinic, seed_clinic
from weizhong.reasoning.assessment import assess


def test_demo_clinic_is_made_once_with_logins(db: Any) -> None:
    assert ensure_demo_clinic()
    assert not ensure_demo_clinic()
    assert Clinic.objects.filter(slug="demo").count() == 1
    from django.test import RequestFactory

    for user, password in DEMO_PASSWORDS.values():
        request = RequestFactory().post("/login/")
        assert authenticate(request, username=user, password=password) is not None
    clinic = Clinic.objects.get(slug="demo")
    patients = Patient.objects.filter(clinic=clinic)
    assert patients.count() == 12
    assert patients.filter(flagged=True).exists()  # the cauda equina patient
    assert patients.filter(reeval_due=True).exists()  # someone is not improving
    assert Note.objects.filter(signed_at__isnull=False).exists()
    assert Outcome.objects.filter(patient__clinic=clinic).count() >= 24


def test_stored_assessments_match_their_cases(db: Any) -> None:
    seed_clinic(24, "Load", seed=3)
    for exam in Exam.objects.all():
        again = assess(validate_case(exam.case))
        assert again["differential"][0]["condition"] == exam.top_condition
        assert [f["id"] for f in again["red_flags"]] == exam.red_flags


def test_seed_command_makes_a_large_clinic(db: Any, capsys: Any) -> None:
    call_command("seed", patients=30)
    out = capsys.readouterr().out
    clinic = Clinic.objects.exclude(slug="demo").get()
    assert Patient.objects.filter(clinic=clinic).count() == 30
    visits = Visit.objects.filter(patient__clinic=clinic).count()
    assert visits == 22 * 28  # 22 a patient; the 2 cauda equina patients (of 30) were referred
    assert Plan.objects.filter(patient__clinic=clinic).count() == 30
    assert f"30 patients, {visits} visits" in out


def test_seed_refuses_a_silly_size(capsys: Any) -> None:
    from weizhong.cli import main

    assert main(["seed", "--patients", "0"]) == 2
    assert "--patients must be a whole number from 1 to 1000000" in capsys.readouterr().err


def test_web_commands_have_help(capsys: Any) -> None:
    from weizhong.cli import build_parser

    text = build_parser().format_help()
    for command in ("serve", "seed", "send-reminders", "manage"):
        assert command in text
