"""The patient's portal: a signed, expiring, revocable link; today's exercises; ticks, pain and
questionnaires, which reach the chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from weizhong.clinic import portal
from weizhong.clinic.models import HomeLog, Outcome, PainLog, Patient, Plan, QuestionnaireRequest
from weizhong.clinic.records import services

from .conftest import make_exam, make_plan


@pytest.fixture
def link(doc: Client, patient: Patient, plan: Plan) -> str:
    doc.post(reverse("portal_manage", args=[patient.pk]), {"action": "issue"})
    patient.refresh_from_db()
    assert patient.portal_active
    return portal.url_for(None, patient)


def exercise_day(plan: Plan) -> dt.date:
    """A day in the coming week when the plan schedules exercises."""
    today = timezone.localdate()
    for offset in range(1, 8):
        day = today + dt.timedelta(days=offset)
        if services.exercises_today(plan, day):
            return day
    raise AssertionError("the plan schedules no exercise")


def test_portal_shows_todays_exercises_with_figures(link: str, plan: Plan) -> None:
    day = exercise_day(plan)
    with time_machine.travel(dt.datetime.combine(day, dt.time(9)), tick=False):
        page = Client().get(link)
    text = page.content.decode()
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    first = services.exercises_today(plan, day)[0]
    assert first["name"] in text and first["dose_text"] in text
    assert "<svg" in text
    assert "Get urgent medical help" in text


def test_tick_and_pain_reach_the_chart(
    link: str, patient: Patient, plan: Plan, doc: Client
) -> None:
    day = exercise_day(plan)
    exercise = services.exercises_today(plan, day)[0]["id"]
    with time_machine.travel(dt.datetime.combine(day, dt.time(9)), tick=False):
        client = Client()
        log = link + "log/"
        client.post(log, {"exercise": exercise})
        client.post(log, {"exercise": exercise})  # a double tap counts once
        client.post(log, {"pain": "4"})
        client.post(log, {"pain": "3"})  # the latest of the day counts
        assert "Done today" in client.get(link).content.decode()
        assert HomeLog.objects.filter(patient=patient, day=day).count() == 1
        assert PainLog.objects.get(patient=patient, day=day).pain == 3
        adherence = services.adherence([patient], days=1)[patient.pk]
        assert adherence["done"] == 1 and adherence["planned"] >= 1
        doc.force_login(patient.clinic.staff.get().user)  # the session would have timed out
        page = doc.get(reverse("patient", args=[patient.pk])).content.decode()
        fortnight = services.adherence([patient], days=14)[patient.pk]
        assert fortnight["done"] == 1
        assert f"Home programme, last 14 days: {fortnight['percent']}% (1 of" in page


@pytest.mark.parametrize("pain", ["11", "-1", "lots", ""])
def test_bad_pain_is_refused(link: str, patient: Patient, pain: str) -> None:
    response = Client().post(link + "log/", {"pain": pain}, follow=True)
    assert "whole number from 0" in response.content.decode()
    assert not PainLog.objects.exists()


def test_exercise_not_on_today_is_refused(link: str) -> None:
    response = Client().post(link + "log/", {"exercise": "made_up"}, follow=True)
    assert "not on today&#x27;s programme" in response.content.decode()
    assert not HomeLog.objects.exists()


def test_revoked_link_stops_working_and_a_new_one_differs(
    link: str, doc: Client, patient: Patient
) -> None:
    doc.post(reverse("portal_manage", args=[patient.pk]), {"action": "revoke"})
    assert Client().get(link).status_code == 404
    doc.post(reverse("portal_manage", args=[patient.pk]), {"action": "issue"})
    patient.refresh_from_db()
    fresh = portal.url_for(None, patient)
    assert fresh != link
    assert Client().get(link).status_code == 404  # the old link never comes back
    assert Client().get(fresh).status_code == 200


def test_link_expires(link: str, clinic: Any) -> None:
    later = timezone.now() + dt.timedelta(days=clinic.portal_link_days + 1)
    with time_machine.travel(later):
        assert Client().get(link).status_code == 404
    assert Client().get(link).status_code == 200


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "abc", lambda t: "x" + t, lambda t: "nope"])
def test_tampered_link_is_refused(link: str, mangle: Any) -> None:
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert Client().get(reverse("portal", args=[mangle(token)])).status_code == 404


def test_one_patients_link_never_shows_another(link: str, clinic: Any, clinician: Any) -> None:
    from .conftest import make_patient

    other = make_patient(clinic, given_name="Bo", family_name="Other")
    make_plan(make_exam(other, clinician), clinician)
    page = Client().get(link).content.decode()
    assert "Hello Ada" in page and "Hello Bo" not in page and "Other" not in page


def test_questionnaire_sent_completed_and_scored(link: str, doc: Client, patient: Patient) -> None:
    doc.post(reverse("portal_manage", args=[patient.pk]), {"action": "send", "instrument": "odi"})
    sent = QuestionnaireRequest.objects.get()
    assert "ODI" in Client().get(link).content.decode()
    url = reverse("portal_questionnaire", args=[link.rstrip("/").rsplit("/", 1)[1], sent.pk])
    bad = Client().post(url, {"item_1": 9})
    assert bad.status_code == 422 and not Outcome.objects.exists()
    Client().post(url, {f"item_{n}": 1 for n in range(1, 11)})
    outcome = Outcome.objects.get()
    assert (outcome.source, outcome.score, outcome.request_id) == ("portal", 20, sent.pk)
    sent.refresh_from_db()
    assert sent.completed_at is not None
    assert Client().get(url).status_code == 404  # done: not offered again


def test_front_desk_can_issue_but_not_send_questionnaires(
    desk_client: Client, patient: Patient
) -> None:
    desk_client.post(reverse("portal_manage", args=[patient.pk]), {"action": "issue"})
    desk_client.post(
        reverse("portal_manage", args=[patient.pk]), {"action": "send", "instrument": "odi"}
    )
    patient.refresh_from_db()
    assert patient.portal_active
    assert not QuestionnaireRequest.objects.exists()


def test_daily_reminder_email(link: str, patient: Patient, plan: Plan) -> None:
    patient.reminders = True
    patient.save()
    day = exercise_day(plan)
    with time_machine.travel(dt.datetime.combine(day, dt.time(8)), tick=False):
        call_command("send_reminders")
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["ada@example.org"]
        assert "/p/" in message.body
        assert services.exercises_today(plan, day)[0]["name"] in message.body
        patient.portal_active = False  # revoked: no reminder with a dead link
        patient.save()
        call_command("send_reminders")
        assert len(mail.outbox) == 1


def test_no_reminder_without_consent(link: str, patient: Patient, plan: Plan) -> None:
    call_command("send_reminders")
    assert mail.outbox == []
