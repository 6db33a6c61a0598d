"""Fixtures for the clinic web application: two clinics, their staff, and a patient with an
exam, a plan and a visit made through the same services the pages use."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from weizhong.clinic import actions
from weizhong.clinic.models import Clinic, Exam, Patient, Plan, Staff, Visit
from weizhong.clinic.records import services

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "weizhong" / "examples" / "runner_tight_hamstrings.json"
)
PASSWORD = "correct horse battery staple"


def runner_findings() -> dict[str, Any]:
    findings: dict[str, Any] = json.loads(EXAMPLE.read_text())["findings"]
    return findings


def form_data(findings: dict[str, Any], token: uuid.UUID | None = None) -> dict[str, Any]:
    """The exam form's POST for these findings (booleans as yes/no, lists as repeated keys)."""
    data: dict[str, Any] = {"submit_token": str(token or uuid.uuid4())}
    for key, value in findings.items():
        if value == []:
            data[key + "__none"] = "on"  # examined, none found
        else:
            data[key] = ("yes" if value else "no") if isinstance(value, bool) else value
    return data


def make_staff(clinic: Clinic, username: str, role: str, **details: Any) -> User:
    user: User = actions.do_add_staff(
        clinic=clinic,
        username=username,
        role=role,
        password=PASSWORD,
        first_name=username.title(),
        **details,
    )
    return user


def make_patient(clinic: Clinic, **extra: Any) -> Patient:
    fields = {
        "given_name": "Ada",
        "family_name": "Runner",
        "birth_date": dt.date(1995, 3, 14),
        "sex": "female",
        "email": "ada@example.org",
        **extra,
    }
    return actions.do_create_patient(clinic=clinic, fields=fields)


def make_exam(patient: Patient, user: User, findings: dict[str, Any] | None = None) -> Exam:
    raw = services.build_case(patient, findings if findings is not None else runner_findings())
    case, problems = services.check_case(raw)
    assert case is not None, problems
    return actions.do_save_exam(patient=patient, clinician=user, case=case, raw=raw)


def make_plan(exam: Exam, user: User, planned_visits: int = 6) -> Plan:
    plan = services.propose_plan(exam)
    return actions.do_save_plan(
        exam=exam,
        author=user,
        plan=plan,
        edits=services.PlanEdits(),
        overrides={},
        guideline="ACP2017",
        visits_per_week=2,
        planned_visits=planned_visits,
    )


def make_visit(patient: Patient, plan: Plan | None, user: User, **extra: Any) -> Visit:
    token = extra.pop("submit_token", None) or uuid.uuid4()
    return actions.do_record_visit(
        patient=patient,
        clinician=user,
        plan=plan,
        fields={"points": ["BL40:both"], **extra},
        submit_token=token,
    )


@pytest.fixture
def clinic(db: Any) -> Clinic:
    return actions.do_create_clinic(name="Riverside", slug="riverside")


@pytest.fixture
def other_clinic(db: Any) -> Clinic:
    return actions.do_create_clinic(name="Hillside", slug="hillside")


@pytest.fixture
def clinician(clinic: Clinic) -> User:
    return make_staff(clinic, "mei", Staff.CLINICIAN)


@pytest.fixture
def desk(clinic: Clinic) -> User:
    return make_staff(clinic, "sam", Staff.FRONT_DESK)


@pytest.fixture
def stranger(other_clinic: Clinic) -> User:
    """A clinician of another clinic."""
    return make_staff(other_clinic, "otto", Staff.CLINICIAN)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def past_second_factor(client: Client) -> Client:
    """The signed-in client as an administrator who has just given the second factor (the
    administrator's pages ask for it)."""
    from django.utils import timezone

    from weizhong.clinic.accounts.second_factor import VERIFIED

    session = client.session
    session[VERIFIED] = timezone.now().isoformat()
    session.save()
    return client


@pytest.fixture
def doc(clinician: User) -> Client:
    return logged_in(clinician)


@pytest.fixture
def desk_client(desk: User) -> Client:
    return logged_in(desk)


@pytest.fixture
def stranger_client(stranger: User) -> Client:
    return logged_in(stranger)


@pytest.fixture
def patient(clinic: Clinic) -> Patient:
    return make_patient(clinic)


@pytest.fixture
def exam(patient: Patient, clinician: User) -> Exam:
    return make_exam(patient, clinician)


@pytest.fixture
def plan(exam: Exam, clinician: User) -> Plan:
    return make_plan(exam, clinician)


@pytest.fixture
def visit(patient: Patient, plan: Plan, clinician: User) -> Visit:
    return make_visit(patient, plan, clinician)
