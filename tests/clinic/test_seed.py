"""The demo clinic and the load-test seeder: realistic, consistent, and made once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.management import call_command

from weizhong.case import validate_case
from weizhong.clinic.models import Clinic, Exam, Note, Outcome, Patient, Plan, Visit
from weizhong.clinic.ops.demo import (
    DEMO_PASSWORDS,
    DEMO_PATIENTS,
    ensure_demo_clinic,
    seed_clinic,
)
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
    assert patients.count() == len(DEMO_PATIENTS)
    assert patients.filter(flagged=True).exists()  # the cauda equina patient
    assert patients.filter(reeval_due=True).exists()  # someone is not improving
    assert Note.objects.filter(signed_at__isnull=False).exists()
    assert Note.objects.filter(signed_at__isnull=True).exists()  # a draft to sign
    assert Outcome.objects.filter(patient__clinic=clinic).count() >= 2 * len(DEMO_PATIENTS)


def test_the_demo_clinic_covers_every_branch_of_the_planner(db: Any) -> None:
    """Issue 13: the crawl opens every page for every demo patient, so the demo holds a patient
    for each branch the planner has (and each was written through the actions: every record has
    its first history version)."""
    from weizhong.clinic import history

    ensure_demo_clinic()
    plans = list(Plan.objects.filter(patient__clinic__slug="demo").select_related("patient"))
    statuses = {p.plan["status"] for p in plans}
    assert statuses == {"treat", "screen_first", "refer_first"}
    urgencies = {flag["urgency"] for p in plans for flag in p.exam.assessment["red_flags"]}
    assert {"emergency", "urgent", "soon"} <= urgencies
    warnings = {w["id"] for p in plans for w in p.plan["warnings"]}
    for rule in ("bleeding_risk", "inr_unknown", "pregnancy_trunk_trigger_point",
                 "pacemaker_no_electro", "neurostimulator_no_electro",
                 "acute_strain_no_local_needling", "aaa_palpate_first", "manipulation_minor",
                 "poor_fit_caution"):  # fmt: skip
        assert rule in warnings, rule
    assert any(p.plan["acupuncture"]["withheld"] for p in plans if p.plan["status"] == "treat")
    assert any(p.plan["herbs_withheld"] for p in plans if p.plan["status"] == "treat")
    assert any(p.overrides for p in plans)
    inr = [p for p in plans if "warfarin" in p.patient.medications]
    assert {bool(p.exam.case["findings"].get("inr_in_range")) for p in inr} == {True, False}
    assert any(p.patient.age < 18 for p in plans)
    for record in (*plans, *Visit.objects.filter(patient__clinic__slug="demo")):
        assert history.latest(record._meta.model_name, record.pk) is not None


def test_serve_makes_the_demo_only_when_asked_and_never_in_production(
    db: Any, monkeypatch: Any, capsys: Any
) -> None:
    """Issue 13 (security): `weizhong serve` made the demo clinic, with passwords printed in
    the README, in any database without one, production included."""
    from weizhong.cli import main

    started: list[list[str]] = []
    monkeypatch.setattr("os.execvp", lambda _cmd, args: started.append(args))
    monkeypatch.setattr("weizhong.cli.web._migrate", lambda: None)
    monkeypatch.delenv("WEIZHONG_DEMO", raising=False)
    monkeypatch.delenv("WEIZHONG_HTTPS", raising=False)
    assert main(["serve"]) == 0
    assert not Clinic.objects.filter(slug="demo").exists()
    assert "weizhong-demo" not in capsys.readouterr().out
    monkeypatch.setenv("WEIZHONG_HTTPS", "1")
    for asked in (["serve", "--demo"], ["serve"]):
        monkeypatch.setenv("WEIZHONG_DEMO", "1")
        assert main(asked) == 2
        assert "never made in a production start" in capsys.readouterr().err
        assert not Clinic.objects.filter(slug="demo").exists()
    monkeypatch.delenv("WEIZHONG_HTTPS")
    monkeypatch.delenv("WEIZHONG_DEMO")
    assert main(["serve", "--demo"]) == 0
    assert Clinic.objects.filter(slug="demo").exists()
    assert "weizhong-demo-clinician" in capsys.readouterr().out
    assert len(started) == 2


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
