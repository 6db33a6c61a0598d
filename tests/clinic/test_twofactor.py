"""The second factor: codes from an authenticator app, once each, required for administrators."""

from __future__ import annotations

from typing import Any

import pyotp
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from weizhong.clinic.actions import do_replace_recovery_codes
from weizhong.clinic.audit.trail import AuditEvent
from weizhong.clinic.models import Authenticator, RecoveryCode, Staff

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
    assert done.status_code == 200 and len(done.context["codes"]) == 10  # shown once, now
    assert client.get(reverse("audit_log")).status_code == 200
    assert Authenticator.objects.get(user=clinician).confirmed is not None
    later = sign_in()
    assert later.get(reverse("audit_log"))["Location"].startswith(reverse("second_factor"))


def test_the_api_token_is_its_own_credential(clinician: Any, patient: Any) -> None:
    from weizhong.clinic.actions import do_create_api_token

    Authenticator.objects.create(
        user=clinician, secret=pyotp.random_base32(), confirmed=timezone.now()
    )
    key = do_create_api_token(user=clinician, name="t")[1]
    response = Client().get(
        f"/api/v1/patients/{patient.pk}", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200


def enrolled(user: Any) -> Authenticator:
    return Authenticator.objects.create(
        user=user, secret=pyotp.random_base32(), confirmed=timezone.now()
    )


def test_a_recovery_code_stands_in_for_the_phone_once(clinician: Any, patient: Any) -> None:
    enrolled(clinician)
    codes = do_replace_recovery_codes(user=clinician)
    assert len(set(codes)) == 10 and all(len(c) == 11 and c[5] == "-" for c in codes)
    assert not RecoveryCode.objects.filter(digest__in=codes).exists()  # only digests stored
    client = sign_in()
    chart = reverse("patient", args=[patient.pk])
    client.get(chart)
    typed = codes[3].upper().replace("-", " ")  # as read off paper
    right = client.post(f"{reverse('second_factor')}?next={chart}", {"code": typed})
    assert right.status_code == 302 and right["Location"] == chart
    assert AuditEvent.objects.filter(what="second factor (recovery code)").exists()
    again = sign_in()
    again.get(chart)
    assert again.post(reverse("second_factor"), {"code": codes[3]}).status_code == 401
    assert again.post(reverse("second_factor"), {"code": codes[4]}).status_code == 302


def test_new_recovery_codes_replace_the_old(clinician: Any) -> None:
    secret = enrolled(clinician).secret
    old = do_replace_recovery_codes(user=clinician)
    client = sign_in()
    client.post(reverse("second_factor"), {"code": pyotp.TOTP(secret).now()})
    page = client.post(reverse("second_factor_setup"), {"action": "new_codes"})
    fresh = page.context["codes"]
    assert len(fresh) == 10 and not set(fresh) & set(old)
    later = sign_in()
    assert later.post(reverse("second_factor"), {"code": old[0]}).status_code == 401
    assert later.post(reverse("second_factor"), {"code": fresh[0]}).status_code == 302


def test_wrong_codes_end_the_session_after_five(clinician: Any) -> None:
    enrolled(clinician)
    client = sign_in()
    for _n in range(5):
        assert client.post(reverse("second_factor"), {"code": "000000"}).status_code == 401
    out = client.post(reverse("second_factor"), {"code": "000000"})
    assert out.status_code == 302 and out["Location"] == reverse("login")
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("login"))
