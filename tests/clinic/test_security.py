"""Sessions end when they should, users can end their other sessions, pages carry a content
security policy, and production settings pass Django's deployment check."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from weizhong.clinic.accounts.sessions import UserSession
from weizhong.clinic.audit.trail import AuditEvent

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def signed_in(username: str = "mei", **headers: str) -> Client:
    client = Client(**headers)
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_idle_for_fifteen_minutes_signs_out(clinician: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in()
        clock.move_to(start + dt.timedelta(minutes=14))
        assert client.get(reverse("dashboard")).status_code == 200  # activity renews it
        clock.move_to(start + dt.timedelta(minutes=28))
        assert client.get(reverse("dashboard")).status_code == 200
        clock.move_to(start + dt.timedelta(minutes=44))
        response = client.get(reverse("dashboard"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert client.get(reverse("dashboard")).status_code == 302
    assert AuditEvent.objects.filter(what="15 minutes without activity").exists()


def test_twelve_hours_end_a_session_however_active(clinician: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in()
        for minutes in range(10, 12 * 60, 10):
            clock.move_to(start + dt.timedelta(minutes=minutes))
            assert client.get(reverse("patients")).status_code == 200
        clock.move_to(start + dt.timedelta(hours=12, minutes=5))
        assert client.get(reverse("patients")).status_code == 302


def test_session_id_changes_at_sign_in(clinician: Any) -> None:
    client = Client()
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("login"), {"username": "mei", "password": PASSWORD})
    assert client.session.session_key != before


def test_a_user_sees_and_ends_their_other_sessions(clinician: Any) -> None:
    tablet = signed_in(HTTP_USER_AGENT="Tablet browser")
    desk = signed_in(HTTP_USER_AGENT="Desk browser")
    page = desk.get(reverse("sessions")).content.decode()
    assert "Tablet browser" in page and "Desk browser" in page
    other = UserSession.objects.get(user_agent="Tablet browser")
    desk.post(reverse("sessions"), {"end": other.pk})
    assert tablet.get(reverse("dashboard")).status_code == 302  # the tablet is signed out
    assert desk.get(reverse("dashboard")).status_code == 200  # this one is not


def test_one_cannot_end_someone_elses_session(clinician: Any, desk: Any) -> None:
    mine = signed_in("mei")
    theirs = signed_in("sam")
    entry = UserSession.objects.get(user=desk)
    mine.post(reverse("sessions"), {"end": entry.pk})
    assert theirs.get(reverse("dashboard")).status_code == 200


def test_pages_carry_the_security_headers(doc: Client, patient: Any) -> None:
    response = doc.get(reverse("patient", args=[patient.pk]))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_production_settings_pass_the_deployment_check(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WEIZHONG_HTTPS": "1",
        "WEIZHONG_DATA_DIR": str(tmp_path),
        "WEIZHONG_ALLOWED_HOSTS": "clinic.example",
        "WEIZHONG_BASE_URL": "https://clinic.example",
        "DJANGO_SETTINGS_MODULE": "weizhong.site.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "weizhong.cli",
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
