"""The intake before the first visit (issue 15): a link from the API, answers saved as the
patient goes, the core's red-flag screen on submit, the patient told plainly what to do now,
the clinic alerted by e-mail, and the intakes listed with their red flags for clinicians."""

from __future__ import annotations

from typing import Any

import pytest
import textstat
from django.core import mail
from django.test import Client

from weizhong.clinic import actions
from weizhong.clinic.models import Intake
from weizhong.clinic.records import intake as questions

from .test_api import Api

NO_TO_ALL = {finding: "no" for finding, _ in questions.RED_FLAG_QUESTIONS}


@pytest.fixture
def link(clinician: Any, patient: Any) -> str:
    api = Api(actions.do_create_api_token(user=clinician, name="t")[1])
    response = api.post(f"/patients/{patient.pk}/intake")
    assert response.status_code == 201
    url: str = response.json()["url"]
    return url.removeprefix("http://testserver")


def test_the_front_desk_can_send_an_intake_but_not_read_its_flags(desk: Any, patient: Any) -> None:
    api = Api(actions.do_create_api_token(user=desk, name="t")[1])
    assert api.post(f"/patients/{patient.pk}/intake").status_code == 201
    assert api.get(f"/patients/{patient.pk}/intakes").status_code == 403


def test_answers_are_saved_as_the_patient_goes(link: str) -> None:
    client = Client()
    page = client.get(link)
    assert page.status_code == 200 and "Before your first visit" in page.content.decode()
    assert client.post(link + "save", {"history": "Sore back since May"}).status_code == 204
    assert client.post(link + "save", {"fever": "no", "bogus": "x"}).status_code == 204
    intake = Intake.objects.get()
    assert intake.answers == {"history": "Sore back since May", "fever": "no"}
    assert "Sore back since May" in client.get(link).content.decode()  # back after a drop


def test_a_cauda_equina_answer_tells_the_patient_to_go_now_and_alerts_the_clinic(
    link: str,
    clinic: Any,
    clinician: Any,
    patient: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    actions.do_update_clinic_settings(clinic=clinic, fields={"email": "desk@riverside.example"})
    client = Client()
    with_cauda = {**NO_TO_ALL, "saddle_anaesthesia": "yes"}
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(link, with_cauda)
    text = page.content.decode()
    assert "Please act now" in text
    assert "Go to an emergency department now" in text
    assert "Do not wait for your next appointment" in text
    intake = Intake.objects.get()
    assert intake.act_today and intake.red_flags[0]["id"] == "cauda_equina_syndrome"
    (alert,) = mail.outbox
    assert alert.to == ["desk@riverside.example"]
    assert "Possible cauda equina syndrome" in alert.body
    api = Api(actions.do_create_api_token(user=clinician, name="t2")[1])
    (listed,) = api.get(f"/patients/{patient.pk}/intakes").json()
    assert listed["act_today"] is True
    assert listed["red_flags"][0]["urgency"] == "emergency"
    # Sent once: it no longer changes.
    assert client.post(link + "save", {"fever": "yes"}).status_code == 409


def test_no_red_flag_thanks_the_patient_and_alerts_nobody(link: str, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page = Client().post(link, NO_TO_ALL)
    assert "Thank you" in page.content.decode() and "act now" not in page.content.decode()
    assert Intake.objects.get().red_flags == [] and mail.outbox == []


def test_an_unknown_intake_link_is_not_found(db: Any) -> None:
    assert Client().get("/intake/nothing-here/").status_code == 404


def test_what_the_patient_reads_is_at_school_grade_8_or_below() -> None:
    for _finding, question in questions.RED_FLAG_QUESTIONS:
        assert textstat.flesch_kincaid_grade(question) <= 8, question


def test_the_intake_pages_read_at_school_grade_8_or_below(link: str) -> None:
    import re

    client = Client()
    blank = client.get(link).content.decode()
    urgent = client.post(link, {**NO_TO_ALL, "saddle_anaesthesia": "yes"}).content.decode()
    for page in (blank, urgent):
        main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
        words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main.split(">", 1)[1])).strip()
        assert textstat.flesch_kincaid_grade(words) <= 8, words


def test_an_intake_needing_action_today_is_on_today_for_the_clinic(
    link: str, doc: Client, desk_client: Client
) -> None:
    Client().post(link, {**NO_TO_ALL, "saddle_anaesthesia": "yes"})
    seen = doc.get("/").content.decode()
    assert "Intakes that need action today" in seen and "Possible cauda equina syndrome" in seen
    desk = desk_client.get("/").content.decode()
    assert "a clinician must contact this patient today" in desk
    assert "cauda equina" not in desk  # the front desk sees no clinical data


def test_the_body_chart_saves_the_exams_region_ids_as_the_patient_taps(link: str) -> None:
    client = Client()
    page = client.get(link).content.decode()
    # Every region of the exam's chart, named in words, as a tile and as a checkbox (no script).
    from weizhong.clinic.records.regions import REGION_NAMES
    from weizhong.clinic.web.figures import REGION_IDS

    for region in REGION_IDS:
        assert f'value="{region}"' in page
        assert f'aria-label="{REGION_NAMES[region]}"' in page
    ticked = {"pain_regions": ["", "calf_left", "low_back", "head", "nonsense"]}
    assert client.post(link + "save", ticked).status_code == 204
    assert Intake.objects.get().answers["pain_regions"] == ["low_back", "calf_left"]
    again = client.get(link).content.decode()
    assert 'value="low_back" id="where-low_back" checked' in again
    assert 'id="tile-back-low_back" tabindex="0" role="checkbox" aria-checked="true"' in again
    # Text saved alone leaves the chart as it was; the chart sent with nothing ticked clears it.
    client.post(link + "save", {"history": "Since May"})
    assert Intake.objects.get().answers["pain_regions"] == ["low_back", "calf_left"]
    client.post(link + "save", {"pain_regions": [""]})
    assert Intake.objects.get().answers["pain_regions"] == []


def test_the_action_keeps_only_known_region_ids(patient: Any) -> None:
    intake = actions.do_start_intake(patient=patient)
    saved = actions.do_save_intake(
        intake=intake, answers={"pain_regions": ["neck", "elbow_left", "x" * 99, 3]}
    )
    assert saved.answers["pain_regions"] == ["neck", "elbow_left"]


ODI = {f"odi_{n}": str(v) for n, v in enumerate([2, 1, 3, 2, 2, 1, 1, 0, 2, 1], start=1)}
STARTBACK = {f"startback_{n}": str(v) for n, v in enumerate([1, 0, 1, 1, 0, 1, 0, 0, 3], 1)}
PSFS = {"psfs_activity_1": "Walking the dog", "psfs_1": "4",
        "psfs_activity_2": "Lifting my son", "psfs_2": "2",
        "psfs_activity_3": "Sitting at work", "psfs_3": "6"}  # fmt: skip


def test_the_questionnaires_become_the_baseline_through_the_clinics_write_path(
    link: str, patient: Any, doc: Client
) -> None:
    from weizhong.reasoning.instruments import score_instrument

    client = Client()
    page = client.get(link).content.decode()
    assert "Your daily life" in page and "Things that are hard to do" in page
    assert "Washing and getting dressed" in page  # the knowledge's patient wording
    client.post(link, {**NO_TO_ALL, **ODI, **STARTBACK, **PSFS})
    intake = Intake.objects.get()
    assert intake.submitted_at is not None
    outcomes = {o.instrument: o for o in patient.outcomes.all()}
    assert set(outcomes) == {"odi", "startback", "psfs"}
    for outcome in outcomes.values():
        assert outcome.source == "intake" and outcome.intake == intake
        assert outcome.taken == intake.submitted_at
    assert outcomes["odi"].score == score_instrument("odi", [2, 1, 3, 2, 2, 1, 1, 0, 2, 1]).score
    assert outcomes["odi"].score == 30.0
    assert outcomes["startback"].result["band"] == "medium"  # total 5, psychosocial 2
    assert outcomes["psfs"].score == 4.0
    assert outcomes["psfs"].activities == ["Walking the dog", "Lifting my son", "Sitting at work"]
    assert list(intake.outcomes.order_by("instrument").values_list("instrument", flat=True)) == [
        "odi",
        "psfs",
        "startback",
    ]
    shown = doc.get(f"/patients/{patient.pk}/outcomes/").content.decode()
    assert "By the patient at intake" in shown and "<svg" in shown
    assert (
        "reported by the patient at intake" in doc.get(f"/patients/{patient.pk}/").content.decode()
    )


def test_a_questionnaire_left_half_done_is_refused_in_words_and_nothing_is_lost(
    link: str, patient: Any
) -> None:
    client = Client()
    half = {f"startback_{n}": "1" for n in range(1, 5)}
    page = client.post(link, {**NO_TO_ALL, **half, "history": "Sore"})
    assert page.status_code == 422
    assert "Please answer all 9 questions, or leave them all blank." in page.content.decode()
    intake = Intake.objects.get()
    assert intake.submitted_at is None and patient.outcomes.count() == 0
    assert intake.answers["startback_4"] == "1" and intake.answers["history"] == "Sore"
    odi = {f"odi_{n}": "1" for n in range(1, 8)}  # 7 of 10: at most 2 may be skipped
    text = client.post(link, {**odi, "startback_1": ""}).content.decode()
    assert "Please answer at least 8 of the 10 parts, or leave them all blank." in text


def test_psfs_asks_for_three_of_the_patients_own_activities(link: str, patient: Any) -> None:
    client = Client()
    two = {k: v for k, v in PSFS.items() if not k.endswith("3")}
    text = client.post(link, {**NO_TO_ALL, **two}).content.decode()
    assert "Please name at least 3 things, or leave this part blank." in text
    unrated = {**PSFS, "psfs_3": ""}
    text = client.post(link, unrated).content.decode()
    assert "Say how well you can do “Sitting at work” today, from 0 to 10." in text
    out_of_range = {**PSFS, "psfs_3": "11"}  # not a value the item takes: not answered
    assert client.post(link, out_of_range).status_code == 422
    assert client.post(link, PSFS).status_code == 200
    assert patient.outcomes.get().activities[2] == "Sitting at work"


def test_a_blank_questionnaire_is_not_sent(link: str, patient: Any) -> None:
    assert Client().post(link, NO_TO_ALL).status_code == 200
    assert patient.outcomes.count() == 0


def test_the_questionnaires_patient_wording_reads_at_school_grade_8_or_below() -> None:
    from weizhong.clinic.records import services

    for instrument in questions.INSTRUMENTS:
        wording = services.instruments()[instrument].patient
        assert wording is not None
        text = " ".join((wording.intro, *wording.questions, *(wording.ends or ())))
        assert textstat.flesch_kincaid_grade(text) <= 8, instrument
