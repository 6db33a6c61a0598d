"""Outcome forms have a date (a baseline and a later score no longer share a day; never in the
future, the API too); PSFS names the patient's own activities, kept and shown with each score,
in the clinic, the portal and the API (issue 13)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.urls import reverse

from tests.clinic.test_api import Api
from weizhong.clinic import portal
from weizhong.clinic.actions import do_create_api_token, do_send_questionnaire
from weizhong.clinic.models import Outcome, Patient

TODAY = dt.date.today()


def test_a_score_keeps_the_day_it_was_taken_and_not_a_future_one(
    doc: Client, patient: Patient
) -> None:
    url = reverse("outcome_new", args=[patient.pk]) + "?instrument=nprs"
    baseline = (TODAY - dt.timedelta(days=21)).isoformat()
    assert doc.post(url, {"taken": baseline, "item_1": 7}).status_code == 302
    assert doc.post(url, {"taken": TODAY.isoformat(), "item_1": 3}).status_code == 302
    days = [o.taken.date() for o in Outcome.objects.filter(patient=patient).order_by("taken")]
    assert days == [TODAY - dt.timedelta(days=21), TODAY]
    future = doc.post(url, {"taken": (TODAY + dt.timedelta(days=1)).isoformat(), "item_1": 3})
    assert future.status_code == 422
    assert "cannot be taken in the future" in " ".join(future.context["form"].errors["taken"])
    assert Outcome.objects.filter(patient=patient).count() == 2


def test_psfs_names_its_activities_in_the_clinic(doc: Client, patient: Patient) -> None:
    url = reverse("outcome_new", args=[patient.pk]) + "?instrument=psfs"
    ratings = {"item_1": 3, "item_2": 5, "item_3": 6}
    unnamed = doc.post(url, {"taken": TODAY.isoformat(), **ratings, "activity_1": "Running"})
    assert unnamed.status_code == 422
    assert "Name activity 2, 3" in unnamed.content.decode()
    activities = {"activity_1": "Running 5 km", "activity_2": "Sitting through a film",
                  "activity_3": "Lifting my son"}  # fmt: skip
    assert doc.post(url, {"taken": TODAY.isoformat(), **ratings, **activities}).status_code == 302
    outcome = Outcome.objects.get(patient=patient)
    assert outcome.activities == ["Running 5 km", "Sitting through a film", "Lifting my son"]
    page = doc.get(reverse("outcomes", args=[patient.pk])).content.decode()
    assert "Running 5 km: 3" in page and "Lifting my son: 6" in page
    # The next PSFS offers the same activities to rate again.
    again = doc.get(url)
    assert again.context["form"].fields["activity_2"].initial == "Sitting through a film"


def test_psfs_on_the_portal_and_through_the_api(
    doc: Client, patient: Patient, clinician: Any
) -> None:
    doc.post(reverse("portal_manage", args=[patient.pk]), {"action": "issue"})
    patient.refresh_from_db()
    token = portal.url_for(None, patient).rstrip("/").rsplit("/", 1)[1]
    sent = do_send_questionnaire(patient=patient, instrument="psfs", sent_by=clinician)
    url = reverse("portal_questionnaire", args=[token, sent.pk])
    page = Client().get(url)
    assert "Activity 1: something that is hard for you to do" in page.content.decode()
    refused = Client().post(url, {"item_1": 2, "item_2": 4, "item_3": 5})
    assert refused.status_code == 422
    answered = Client().post(url, {"item_1": 2, "item_2": 4, "item_3": 5, "activity_1": "Gardening",
                                   "activity_2": "Stairs", "activity_3": "Driving"})  # fmt: skip
    assert answered.status_code == 302
    assert Outcome.objects.get(patient=patient).activities == ["Gardening", "Stairs", "Driving"]

    api = Api(do_create_api_token(user=clinician, name="tests")[1])
    body = {"instrument": "psfs", "answers": [4, 5, 6]}
    bad = api.post(f"/patients/{patient.pk}/outcomes", body)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "activities"]
    good = api.post(
        f"/patients/{patient.pk}/outcomes",
        {**body, "activities": ["Gardening", "Stairs", "Driving"],
         "taken": (TODAY - dt.timedelta(days=7)).isoformat() + "T10:00:00Z"},
    )  # fmt: skip
    assert good.status_code == 201, good.json()
    assert good.json()["activities"] == ["Gardening", "Stairs", "Driving"]
    future = api.post(
        f"/patients/{patient.pk}/outcomes",
        {"instrument": "nprs", "answers": [3],
         "taken": (TODAY + dt.timedelta(days=2)).isoformat() + "T10:00:00Z"},
    )  # fmt: skip
    assert future.status_code == 422
