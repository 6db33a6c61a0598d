"""CDS Hooks cards link to the clinic's configured public address (refused at start-up behind
HTTPS when it is missing), and the feedback endpoint of CDS Hooks 2.0 records what a clinician
did with a card in the audit trail."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from weizhong.clinic.apps import check_base_url
from weizhong.clinic.audit.events import CDS_FEEDBACK
from weizhong.clinic.audit.trail import verify_chain
from weizhong.clinic.models import AuditEvent

from .cds_signing import NAME, signed_post
from .conftest import runner_findings
from .test_cds import call, prefetch_for, request_for

ROOT = Path(__file__).resolve().parents[2]
FEEDBACK = "/cds-services/weizhong-back-pain/feedback"


def links(body: dict[str, Any]) -> list[str]:
    urls = []
    for card in body["cards"]:
        urls.append(card["source"]["url"])
        urls += [link["url"] for link in card.get("links", [])]
    return urls


@override_settings(WEIZHONG_BASE_URL="https://clinic.example.org", ALLOWED_HOSTS=["10.0.0.7"])
def test_card_links_use_the_configured_address_whatever_host_answered(db: Any) -> None:
    client = Client(HTTP_HOST="10.0.0.7")
    # The token's audience is the configured address too: the endpoint as the clinic publishes it.
    body = call(
        request_for(prefetch_for(runner_findings())), client, base="https://clinic.example.org"
    ).json()
    urls = links(body)
    assert "https://clinic.example.org/patients/" in urls
    assert all(url.startswith("https://clinic.example.org/") for url in urls)


@override_settings(WEIZHONG_BASE_URL="", ALLOWED_HOSTS=["ehr-side.example"])
def test_without_a_configured_address_links_use_the_address_the_request_came_to(
    db: Any,
) -> None:
    client = Client(HTTP_HOST="ehr-side.example")
    response = call(
        request_for(prefetch_for(runner_findings())), client, base="http://ehr-side.example"
    )
    urls = links(response.json())
    assert urls and all(url.startswith("http://ehr-side.example/") for url in urls)
    assert not any("127.0.0.1:8000" in url for url in urls)


@pytest.mark.parametrize(
    ("base", "https", "ids"),
    [
        ("", False, []),
        ("", True, ["weizhong.E001"]),
        ("https://clinic.example.org", True, []),
        ("http://clinic.example.org", True, ["weizhong.E002"]),
        ("clinic.example.org", False, ["weizhong.E002"]),
        ("http://127.0.0.1:8000", False, []),
    ],
)
def test_the_base_url_check(base: str, https: bool, ids: list[str]) -> None:
    with override_settings(WEIZHONG_BASE_URL=base, SECURE_SSL_REDIRECT=https):
        assert [m.id for m in check_base_url()] == ids


def _production(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "WEIZHONG_HTTPS": "1",
        "WEIZHONG_DATA_DIR": str(tmp_path),
        "WEIZHONG_ALLOWED_HOSTS": "clinic.example",
        "DJANGO_SETTINGS_MODULE": "weizhong.site.settings",
        **extra,
    }
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "WEIZHONG_BASE_URL"):
        if name not in extra:
            env.pop(name, None)
    return env


def test_production_without_the_base_url_refuses_to_start(tmp_path: Path) -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "weizhong.cli", "manage", "check"],
        env=_production(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode != 0
    assert "WEIZHONG_BASE_URL" in checked.stderr and "weizhong.E001" in checked.stderr
    served = subprocess.run(
        [sys.executable, "-c", "import weizhong.site.wsgi"],
        env=_production(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert served.returncode != 0 and "WEIZHONG_BASE_URL is not set" in served.stderr
    started = subprocess.run(
        [sys.executable, "-m", "weizhong.cli", "serve", "--no-demo"],
        env=_production(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert started.returncode == 78 and "WEIZHONG_BASE_URL" in started.stderr


def test_production_with_the_base_url_starts(tmp_path: Path) -> None:
    served = subprocess.run(
        [sys.executable, "-c", "import weizhong.site.wsgi"],
        env=_production(tmp_path, WEIZHONG_BASE_URL="https://clinic.example"),
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert served.returncode == 0, served.stderr


# --------------------------------------------------------------------------- feedback


def entry(**fields: Any) -> dict[str, Any]:
    return {
        "card": str(uuid.uuid4()),
        "outcome": "accepted",
        "outcomeTimestamp": dt.datetime.now(dt.UTC).isoformat(),
        **fields,
    }


def send(body: Any) -> Any:
    return signed_post(FEEDBACK, body)


def test_accepted_and_overridden_cards_are_recorded_in_the_audit_trail(db: Any) -> None:
    suggestion = str(uuid.uuid4())
    accepted = entry(acceptedSuggestions=[{"id": suggestion}])
    overridden = entry(
        outcome="overridden",
        overrideReason={
            "reason": {"system": "https://ehr.example/reasons", "code": "not-relevant"},
            "userComment": "Seen by the spinal team this morning",
        },
    )
    before = AuditEvent.objects.count()
    response = send({"feedback": [accepted, overridden]})
    assert response.status_code == 200 and response.json() == {}
    events = list(
        AuditEvent.objects.filter(action=CDS_FEEDBACK.action, what=CDS_FEEDBACK.what).order_by(
            "seq"
        )
    )
    # two cards, and the call itself (the trusted client's token checked and noted)
    assert AuditEvent.objects.count() == before + 3 and len(events) == 2
    first, second = events
    assert first.username == second.username == NAME and first.role == "ehr"
    assert accepted["card"] in first.target and "outcome=accepted" in first.target
    assert suggestion in first.reason
    assert overridden["card"] in second.target and "outcome=overridden" in second.target
    assert "not-relevant" in second.reason and "spinal team" in second.reason
    assert first.path == FEEDBACK and first.allowed
    assert verify_chain().broken_at is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([], "JSON object"),
        ({}, "feedback (a list"),
        ({"feedback": []}, "feedback (a list"),
        ({"feedback": [entry(card="nope")]}, "feedback[0].card must be a UUID"),
        ({"feedback": [entry(outcome="ignored")]}, "feedback[0].outcome must be one of"),
        ({"feedback": [entry(outcomeTimestamp="yesterday")]}, "outcomeTimestamp"),
        ({"feedback": [entry(outcomeTimestamp="2026-12-06T10:00:00")]}, "time zone"),
        (
            {"feedback": [entry(outcome="overridden", acceptedSuggestions=[])]},
            "acceptedSuggestions is allowed only when the outcome is accepted",
        ),
        (
            {"feedback": [entry(overrideReason={"userComment": "x"})]},
            "overrideReason is allowed only when the outcome is overridden",
        ),
        (
            {"feedback": [entry(acceptedSuggestions=[{"id": "x"}])]},
            "feedback[0].acceptedSuggestions[0].id must be a UUID",
        ),
        (
            {"feedback": [entry(), entry(outcome="overridden", overrideReason={})]},
            "feedback[1].overrideReason needs a reason or a userComment",
        ),
        ({"feedback": [entry() for _ in range(51)]}, "at most 50"),
    ],
)
def test_malformed_feedback_is_refused_naming_the_field_and_nothing_is_recorded(
    db: Any, body: Any, words: str
) -> None:
    response = send(body)
    assert response.status_code == 400
    assert words in response.json()["error"]
    assert not AuditEvent.objects.filter(action=CDS_FEEDBACK.action).exists()


def test_feedback_methods_and_services(db: Any) -> None:
    client = Client()
    assert client.get(FEEDBACK).status_code == 405
    assert client.options(FEEDBACK).status_code == 200
    assert (
        client.post(FEEDBACK, "x=1", content_type="application/x-www-form-urlencoded").status_code
        == 415
    )
    assert (
        client.post(
            "/cds-services/nope/feedback", "{}", content_type="application/json"
        ).status_code
        == 404
    )
