"""The second factor: codes from an authenticator app, once each, required for administrators."""

from __future__ import annotations

from typing import Any

import pyotp
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from weizhong.clinic.models import Staff
from weizhong.clinic.twofactor import Authenticator

from .conftest import PASSWORD


def sign_in(username: str = "mei") -> Client:
    client = Client()
    assert (
        client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code
        == 302
    )
    return client


def test_without_an_authenticator_nothing_is_asked(clinician: Any) -> None:
    assert sign_in().get(reverse("dashboard")).status_code == 200


def test_an_enrolled_user_gives_the_code_once(clinician: Any, patient: Any) -> None:
    secret = pyotp.random_base32()
    Authenticator.objects.create(user=clinician, secret=secret, confirmed=timezone.now())
    client = sign_in()
    chart = reverse("patient", args=[patient.pk])
    response = client.get(chart)
    assert response.status_code == 302 and response["Location"].startswith(reverse("second_factor"))
    assert client.get(reverse("api_tokens")).status_code == 302  # every page waits for the code
    wrong = client.post(response["Location"], {"code": "000000"})
    assert wrong.status_code == 401
    code = pyotp.TOTP(secret).now()
    right = client.post(response["Location"], {"code": code})
    assert right.status_code == 302 and right["Location"] == chart
    assert client.get(chart).status_code == 200
    replay = sign_in()
    replay.get(chart)
    assert replay.post(reverse("second_factor"), {"code": code}).status_code == 401  # used once


def test_administrators_must_set_one_up(clinician: Any) -> None:
    Staff.objects.filter(user=clinician).update(is_admin=True)
    client = sign_in()
    response = client.get(reverse("dashboard"))
    assert response["Location"] == reverse("second_factor_setup")
    page = client.get(response["Location"])
    assert "<svg" in page.content.decode()  # the QR code, drawn by the app itself
    secret = page.context["secret"]
    assert client.post(reverse("second_factor_setup"), {"code": "123"}).status_code == 422
    done = client.post(reverse("second_factor_setup"), {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    assert client.get(reverse("audit_log")).status_code == 200
    assert Authenticator.objects.get(user=clinician).confirmed is not None
    later = sign_in()
    assert later.get(reverse("audit_log"))["Location"].startswith(reverse("second_factor"))


def test_the_api_token_is_its_own_credential(clinician: Any, patient: Any) -> None:
    from weizhong.clinic.api import new_token

    Authenticator.objects.create(
        user=clinician, secret=pyotp.random_base32(), confirmed=timezone.now()
    )
    key = new_token(clinician, "t")[1]
    response = Client().get(
        f"/api/v1/patients/{patient.pk}", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200
