"""Clinic administrators manage their colleagues: add, unlock, end sessions, reset a lost second
factor, deactivate; everyone changes their own password. Nothing is deleted, all is audited."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from weizhong.clinic.actions import do_create_api_token, do_replace_recovery_codes
from weizhong.clinic.audit.trail import AuditEvent
from weizhong.clinic.models import Authenticator, Staff

from .conftest import PASSWORD, logged_in, make_staff, past_second_factor

User = get_user_model()


@pytest.fixture
def owner(clinic: Any) -> Any:
    user = make_staff(clinic, "olga", Staff.FRONT_DESK)
    Staff.objects.filter(user=user).update(is_admin=True)
    return user


@pytest.fixture
def admin(owner: Any) -> Client:
    client = logged_in(owner)
    return past_second_factor(client)


def sign_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    client.post(reverse("login"), {"username": username, "password": password})
    return client


def test_only_administrators_see_the_staff_page(
    admin: Client, doc: Client, desk_client: Client, clinician: Any, desk: Any
) -> None:
    page = admin.get(reverse("staff"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "mei" in text and "sam" in text
    assert doc.get(reverse("staff")).status_code == 403
    assert desk_client.post(reverse("staff"), {"action": "add"}).status_code == 403


def test_adding_a_colleague_shows_a_one_time_password_that_works(admin: Client) -> None:
    bad = admin.post(reverse("staff"), {"action": "add", "username": "x", "role": "nurse"})
    assert bad.status_code == 422 and not User.objects.filter(username="x").exists()
    done = admin.post(
        reverse("staff"),
        {"action": "add", "username": "ana", "first_name": "Ana", "last_name": "Reyes",
         "role": Staff.CLINICIAN},
    )  # fmt: skip
    password = done.context["created"]["password"]
    assert done.status_code == 200 and len(password) >= 12
    staff = Staff.objects.get(user__username="ana")
    assert staff.role == Staff.CLINICIAN and not staff.is_admin
    assert sign_in("ana", password).get(reverse("dashboard")).status_code == 200
    assert AuditEvent.objects.filter(what="staff added", target__contains="ana").exists()
    again = admin.post(
        reverse("staff"),
        {"action": "add", "username": "ANA", "first_name": "A", "last_name": "B",
         "role": Staff.CLINICIAN},
    )  # fmt: skip
    assert again.status_code == 422 and "taken" in again.content.decode()


def test_a_locked_out_colleague_is_unlocked(admin: Client, clinician: Any) -> None:
    for _n in range(5):
        sign_in("mei", "wrong password!")
    assert sign_in("mei").get(reverse("dashboard")).status_code == 302  # locked out
    assert "locked out" in admin.get(reverse("staff")).content.decode()
    admin.post(reverse("staff"), {"action": "unlock", "user": clinician.pk})
    assert sign_in("mei").get(reverse("dashboard")).status_code == 200
    assert AuditEvent.objects.filter(what="unlock", action="admin").exists()


def test_deactivating_ends_sessions_and_refuses_tokens(
    admin: Client, clinician: Any, patient: Any
) -> None:
    session = sign_in("mei")
    assert session.get(reverse("dashboard")).status_code == 200
    key = do_create_api_token(user=clinician, name="t")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get(f"/api/v1/patients/{patient.pk}").status_code == 200
    admin.post(reverse("staff"), {"action": "deactivate", "user": clinician.pk})
    assert session.get(reverse("dashboard")).status_code == 302
    assert api.get(f"/api/v1/patients/{patient.pk}").status_code == 401
    assert sign_in("mei").get(reverse("dashboard")).status_code == 302
    assert User.objects.filter(pk=clinician.pk).exists()  # deactivated, not deleted
    admin.post(reverse("staff"), {"action": "reactivate", "user": clinician.pk})
    assert sign_in("mei").get(reverse("dashboard")).status_code == 200


def test_a_lost_second_factor_is_reset(admin: Client, clinician: Any) -> None:
    Authenticator.objects.create(
        user=clinician, secret=pyotp.random_base32(), confirmed=timezone.now()
    )
    do_replace_recovery_codes(user=clinician)
    assert "on · 10 recovery codes" in admin.get(reverse("staff")).content.decode()
    admin.post(reverse("staff"), {"action": "reset_second_factor", "user": clinician.pk})
    assert not Authenticator.objects.filter(user=clinician).exists()
    assert sign_in("mei").get(reverse("dashboard")).status_code == 200  # no code asked now


def test_administrators_act_only_on_their_clinic_and_not_on_themselves(
    admin: Client, owner: Any, stranger: Any
) -> None:
    admin.post(reverse("staff"), {"action": "deactivate", "user": stranger.pk})
    admin.post(reverse("staff"), {"action": "deactivate", "user": owner.pk})
    assert User.objects.get(pk=stranger.pk).is_active
    assert User.objects.get(pk=owner.pk).is_active


def test_changing_ones_password(clinician: Any) -> None:
    client = sign_in("mei")
    other = sign_in("mei")
    url = reverse("password_change")
    weak = client.post(url, {"old_password": PASSWORD, "new_password1": "password123",
                             "new_password2": "password123"})  # fmt: skip
    assert weak.status_code == 422
    new = "a much longer passphrase"
    done = client.post(url, {"old_password": PASSWORD, "new_password1": new,
                             "new_password2": new})  # fmt: skip
    assert done.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200  # this session stays
    assert other.get(reverse("dashboard")).status_code == 302  # the others end
    assert sign_in("mei", new).get(reverse("dashboard")).status_code == 200


def test_api_in_the_menu_only_for_administrators_and_clinicians_by_full_name(
    clinic: Any, clinician: Any, doc: Client, desk_client: Client, admin: Client
) -> None:
    """Issue 13: "API" was in everyone's menu; the primary clinician was chosen by sign-in
    name."""
    api = f'href="{reverse("api_tokens")}"'
    menu = desk_client.get(reverse("dashboard")).content.decode().split("</nav>")[0]
    assert api not in menu
    assert api not in doc.get(reverse("dashboard")).content.decode().split("</nav>")[0]
    assert api in admin.get(reverse("dashboard")).content.decode().split("</nav>")[0]
    assert api in doc.get(reverse("clinic_settings")).content.decode()
    clinician.last_name = "Lin"
    clinician.save()
    form = doc.get(reverse("patient_new")).content.decode()
    assert ">Mei Lin</option>" in form and ">mei</option>" not in form


def test_a_front_desk_administrator_reaches_the_clinics_day_and_fees_from_the_staff_page(
    admin: Client,
) -> None:
    """Clinic settings are a clinician's page; a front-desk administrator reaches the
    administrators' settings (the day, the fees) from the staff page."""
    page = admin.get(reverse("staff")).content.decode()
    for name in ("schedule_settings", "fee_schedule"):
        assert f'href="{reverse(name)}"' in page, name
        assert admin.get(reverse(name)).status_code == 200, name
