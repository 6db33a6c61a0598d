"""Who reaches what: every staff page × anonymous, clinician, front desk and a clinician of
another clinic (who must not learn that a record exists: 404, like a missing id)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from weizhong.site import settings as production

from .conftest import PASSWORD

# (url name, which record's id, clinical?)
PAGES = [
    ("dashboard", None, False),
    ("patients", None, False),
    ("patient_new", None, False),
    ("patient", "patient", False),
    ("patient_edit", "patient", False),
    ("exam_new", "patient", True),
    ("visit_new", "patient", True),
    ("outcomes", "patient", True),
    ("outcome_new", "patient", True),
    ("exam", "exam", True),
    ("exam_case", "exam", True),
    ("plan_editor", "exam", True),
    ("plan", "plan", True),
    ("plan_handout", "plan", True),
    ("visit", "visit", True),
    ("visit_bill", "visit", False),  # the desk prints the superbill (issue 13)
    ("clinic_settings", None, True),
    ("patient_history", "patient", False),
    ("exam_history", "exam", True),
    ("exam_void", "exam", True),
    ("plan_history", "plan", True),
    ("plan_void", "plan", True),
    ("visit_history", "visit", True),
    ("visit_void", "visit", True),
]


@pytest.fixture
def records(patient: Any, exam: Any, plan: Any, visit: Any) -> dict[str, Any]:
    return {"patient": patient, "exam": exam, "plan": plan, "visit": visit}


def url(name: str, record: str | None, records: dict[str, Any]) -> str:
    return reverse(name, args=[records[record].pk] if record else [])


@pytest.mark.parametrize(("name", "record", "clinical"), PAGES)
def test_anonymous_is_sent_to_log_in(
    client: Client, records: dict[str, Any], name: str, record: str | None, clinical: bool
) -> None:
    target = url(name, record, records)
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "record", "clinical"), PAGES)
def test_clinician_opens_every_page(
    doc: Client, records: dict[str, Any], name: str, record: str | None, clinical: bool
) -> None:
    assert doc.get(url(name, record, records)).status_code == 200


@pytest.mark.parametrize(("name", "record", "clinical"), PAGES)
def test_front_desk_sees_records_not_clinical_notes(
    desk_client: Client, records: dict[str, Any], name: str, record: str | None, clinical: bool
) -> None:
    expected = 403 if clinical else 200
    assert desk_client.get(url(name, record, records)).status_code == expected


@pytest.mark.parametrize(("name", "record", "clinical"), [p for p in PAGES if p[1]])
def test_another_clinics_clinician_finds_nothing(
    stranger_client: Client, records: dict[str, Any], name: str, record: str | None, clinical: bool
) -> None:
    assert stranger_client.get(url(name, record, records)).status_code == 404


def test_another_clinic_cannot_write_either(
    stranger_client: Client, records: dict[str, Any]
) -> None:
    patient = records["patient"]
    before = patient.given_name
    response = stranger_client.post(
        reverse("patient_edit", args=[patient.pk]),
        {"given_name": "Hacked", "family_name": "X", "birth_date": "1990-01-01", "sex": "male"},
    )
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.given_name == before
    response = stranger_client.post(
        reverse("portal_manage", args=[patient.pk]), {"action": "issue"}
    )
    assert response.status_code == 404
    patient.refresh_from_db()
    assert not patient.portal_active


def test_front_desk_page_hides_clinical_content(
    desk_client: Client, records: dict[str, Any]
) -> None:
    page = desk_client.get(reverse("patient", args=[records["patient"].pk])).content.decode()
    assert "Ada Runner" in page
    assert "Latest assessment" not in page
    assert "hamstring" not in page.lower()  # no diagnosis, plan or note text
    assert f'href="{reverse("visit", args=[records["visit"].pk])}"' not in page
    assert f'href="{reverse("visit_bill", args=[records["visit"].pk])}"' in page  # the bill


def test_other_clinics_patients_are_not_listed(
    stranger_client: Client, records: dict[str, Any]
) -> None:
    page = stranger_client.get(reverse("patients") + "?q=Ada").content.decode()
    assert "Runner" not in page
    assert stranger_client.get(reverse("dashboard")).status_code == 200


def test_user_without_a_clinic_sees_nothing(db: Any, records: dict[str, Any]) -> None:
    from django.contrib.auth.models import User

    User.objects.create_user("loner", password=PASSWORD)
    client = Client()
    client.post(reverse("login"), {"username": "loner", "password": PASSWORD})
    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(reverse("patient", args=[records["patient"].pk])).status_code == 403


def test_log_in_with_password(clinician: Any) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": "mei", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    bad = Client().post(reverse("login"), {"username": "mei", "password": "wrong password!"})
    assert bad.status_code == 200
    assert "correct username and password" in bad.content.decode()


def test_production_hashes_passwords_with_argon2() -> None:
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_PASSWORD_VALIDATORS  # length, common and numeric checks are on


def test_stored_password_is_argon2(db: Any) -> None:
    from django.contrib.auth.hashers import make_password

    assert make_password("a long enough passphrase", hasher="argon2").startswith("argon2$")


def test_five_wrong_passwords_lock_the_account(clinician: Any) -> None:
    for _n in range(5):
        response = Client().post(reverse("login"), {"username": "mei", "password": "wrong guess!"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    locked = Client().post(reverse("login"), {"username": "mei", "password": PASSWORD})
    assert locked.status_code == 429  # even the right password, until the cool-off ends
    from axes.utils import reset

    reset(username="mei")
    assert (
        Client().post(reverse("login"), {"username": "mei", "password": PASSWORD}).status_code
        == 302
    )


def test_the_reliability_matrix_and_these_tests_agree_on_the_front_desk() -> None:
    """``make reliability``'s access matrix (reliability/matrix.py POLICY) and the pages above
    say the same: what the desk opens here is STAFF there, what it is refused is CLINICAL."""
    import importlib.util
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "reliability"
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location("reliability_matrix", folder / "matrix.py")
        assert spec is not None and spec.loader is not None
        matrix = importlib.util.module_from_spec(spec)
        sys.modules["reliability_matrix"] = matrix  # its dataclasses look their module up
        spec.loader.exec_module(matrix)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("reliability_matrix", None)
    policy = matrix.POLICY
    for name, _record, clinical in PAGES:
        assert policy.get(name, matrix.CLINICAL) == (
            matrix.CLINICAL if clinical else matrix.STAFF
        ), name
    for name in ("visit_bill", "visit_superbill", "patient_search"):
        assert policy[name] == matrix.STAFF, name
