"""The portal's exercise cards: steps and figure, one tick per session (twice a day = two
ticks) with undo, ticks without a page reload (htmx), a week that never counts the days before
the plan existed, and a link that is the same on every page load (issue 13)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from weizhong.clinic import portal
from weizhong.clinic.models import HomeLog, Patient, Plan
from weizhong.clinic.records import services
from weizhong.planning.home_programme import load_exercises

from .test_portal import exercise_day

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def link(doc: Client, patient: Patient, plan: Plan) -> str:
    doc.post(reverse("portal_manage", args=[patient.pk]), {"action": "issue"})
    patient.refresh_from_db()
    return portal.url_for(None, patient)


def _twice_a_day(plan: Plan) -> Plan:
    """The plan with its first exercise done twice a day (as a clinician may prescribe)."""
    data = plan.plan
    data["exercises"][0]["dose"] = {**data["exercises"][0]["dose"], "per_day": 2}
    Plan.objects.filter(pk=plan.pk).update(plan=data)  # test set-up, not a page write
    return Plan.objects.get(pk=plan.pk)


def test_each_card_shows_its_steps_and_figure(link: str, plan: Plan) -> None:
    day = exercise_day(plan)
    with time_machine.travel(dt.datetime.combine(day, dt.time(9)), tick=False):
        text = Client().get(link).content.decode()
    for exercise in services.exercises_today(plan, day):
        steps = load_exercises()[exercise["id"]].steps
        assert steps and all(step in text for step in steps), exercise["id"]
        assert f'id="fig-{exercise["id"]}' in text


def test_a_tick_per_session_with_undo_without_a_page_reload(
    link: str,
    patient: Patient,
    plan: Plan,
) -> None:
    plan = _twice_a_day(plan)
    day = exercise_day(plan)
    first = services.exercises_today(plan, day)[0]["id"]
    log = link + "log/"
    with time_machine.travel(dt.datetime.combine(day, dt.time(9)), tick=False):
        client = Client()
        page = client.get(link).content.decode()
        assert "I did session 1" in page and "I did session 2" in page
        one = client.post(log, {"exercise": first, "session": "1"}, **HTMX)
        assert one.status_code == 200
        card = one.content.decode()
        assert card.lstrip().startswith('<article class="exercise"')  # the card, not the page
        assert "Session 1 done" in card and "I did session 2" in card
        assert 'id="portal-week" hx-swap-oob="true"' in card  # the week follows
        client.post(log, {"exercise": first, "session": "2"}, **HTMX)
        client.post(log, {"exercise": first, "session": "2"}, **HTMX)  # a double tap: once
        assert HomeLog.objects.filter(patient=patient, day=day, exercise=first).count() == 2
        undone = client.post(log, {"exercise": first, "session": "2", "undo": "1"}, **HTMX)
        assert "I did session 2" in undone.content.decode()
        assert list(
            HomeLog.objects.filter(patient=patient, day=day).values_list("session", flat=True)
        ) == [1]
        third = client.post(log, {"exercise": first, "session": "3"}, **HTMX)
        assert third.status_code == 422
        assert "That session is not on today" in third.content.decode()
        # Without htmx the tick still works and comes back to the page.
        assert client.post(log, {"exercise": first, "session": "2"}).status_code == 302


def test_the_week_never_counts_days_before_the_plan(
    link: str,
    patient: Patient,
    plan: Plan,
) -> None:
    start = timezone.localdate(plan.created)
    with time_machine.travel(dt.datetime.combine(start, dt.time(18)), tick=False):
        page = Client().get(link)
    week = page.context["week"]
    before = [d for d in week if d["day"] < start]
    assert before and all(d["planned"] == 0 for d in before)


def test_the_link_is_the_same_on_every_page_load(
    doc: Client, patient: Patient, clinic: Any
) -> None:
    doc.post(reverse("portal_manage", args=[patient.pk]), {"action": "issue"})
    chart = reverse("patient", args=[patient.pk])
    first = doc.get(chart).context["portal_url"]
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3)):
        assert doc.get(chart).context["portal_url"] == first
    patient.refresh_from_db()
    token = first.rstrip("/").rsplit("/", 1)[1]
    assert portal.patient_from(token) == patient
    # It still expires portal_link_days after it was issued, however often it is shown.
    later = timezone.now() + dt.timedelta(days=clinic.portal_link_days + 1)
    with time_machine.travel(later):
        assert Client().get(first).status_code == 404


def test_one_visit_a_week_is_singular(doc: Client, patient: Patient, plan: Plan) -> None:
    from weizhong.fhir.export import export_bundle

    Plan.objects.filter(pk=plan.pk).update(visits_per_week=1, planned_visits=1)  # set-up
    page = doc.get(reverse("plan", args=[plan.pk])).content.decode()
    assert "1 visit a week" in page and "1 visits" not in page and "0 of 1 visit done" in page
    bundle = export_bundle(services.patient_record(patient))
    text = str(bundle)
    assert "1 clinic visit a week" in text and "1 clinic visits" not in text


def test_adherence_counts_every_session_of_the_day(link: str, patient: Patient, plan: Plan) -> None:
    plan = _twice_a_day(plan)
    day = exercise_day(plan)
    exercises = services.exercises_today(plan, day)
    with time_machine.travel(dt.datetime.combine(day, dt.time(20)), tick=False):
        for session in ("1", "2"):
            Client().post(link + "log/", {"exercise": exercises[0]["id"], "session": session})
        adherence = services.adherence([patient], days=1)[patient.pk]
    assert adherence["planned"] == len(exercises) + 1  # the first twice, the others once
    assert adherence["done"] == 2
