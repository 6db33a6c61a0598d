"""The day page's booking form picks the patient by search (issue 15): a field that searches
as you type (the header search's view, audited as ``patient_search``), the matches as radio
buttons, the chosen patient's key sent in the field the booking form always took. Without
JavaScript a search button sends the form back and the page returns with what was typed and
the matches. The day page's rows are read as plain values, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from weizhong.clinic import actions
from weizhong.clinic.models import Appointment, AuditEvent, Clinic, Patient, Staff

from .conftest import make_patient, make_staff

MONDAY = dt.date(2030, 1, 7)
HTMX = {"HTTP_HX_REQUEST": "true"}


def booking(**extra: Any) -> dict[str, Any]:
    return {
        "clinician": "mei", "date": MONDAY.isoformat(), "time": "10:30", "minutes": "30",
        "kind": "follow_up", **extra,
    }  # fmt: skip


def choices(html: str) -> list[tuple[str, bool]]:
    """The patient radio buttons of the booking form: (key, checked)."""
    return [
        (m.group(1), "checked" in m.group(0))
        for m in re.finditer(r'<input type="radio" name="patient" value="(\d+)"[^>]*>', html)
    ]


@pytest.fixture
def twins(clinic: Clinic) -> list[Patient]:
    return [
        make_patient(clinic, given_name="Lin", family_name="Okafor", phone="0171 555 0101",
                     birth_date=dt.date(1980, 2, 1)),
        make_patient(clinic, given_name="Lin", family_name="Okafor", phone="0171 555 0202",
                     birth_date=dt.date(1991, 4, 23)),
    ]  # fmt: skip


def test_the_day_page_lists_no_patients_until_a_search(
    clinic: Clinic, clinician: Any, desk_client: Client, twins: list[Patient]
) -> None:
    page = desk_client.get(f"/schedule/?date={MONDAY}").content.decode()
    assert "Okafor" not in page and not choices(page)
    assert '<select name="patient"' not in page
    assert 'id="book-q"' in page and "Find the patient by name" in page


def test_the_search_as_you_type_offers_matches_to_choose(
    clinic: Clinic, clinician: Any, desk_client: Client, twins: list[Patient]
) -> None:
    html = desk_client.get("/search/", {"q": "okafor", "for": "booking"}, **HTMX).content.decode()
    assert choices(html) == [(str(twins[1].pk), False), (str(twins[0].pk), False)] or choices(
        html
    ) == [(str(twins[0].pk), False), (str(twins[1].pk), False)]
    # two patients of the same name told apart by the date of birth and the phone's ending
    assert "born 1 Feb 1980" in html and "phone ending 0101" in html
    assert "born 23 Apr 1991" in html and "phone ending 0202" in html
    assert "0171 555" not in html  # the ending only
    assert "2 patients found" in html  # for the screen reader
    event = AuditEvent.objects.order_by("-pk").first()
    assert event is not None and (event.what, event.action) == ("patient_search", "read")


def test_the_chosen_patient_stays_while_searching_again(
    clinic: Clinic, clinician: Any, desk_client: Client, twins: list[Patient]
) -> None:
    other = make_patient(clinic, given_name="Bo", family_name="Tanaka")
    html = desk_client.get(
        "/search/", {"q": "tanaka", "for": "booking", "patient": twins[0].pk}, **HTMX
    ).content.decode()
    assert choices(html) == [(str(twins[0].pk), True), (str(other.pk), False)]


def test_a_search_of_another_clinic_finds_none_of_its_patients(
    clinic: Clinic, other_clinic: Clinic, stranger_client: Client, twins: list[Patient]
) -> None:
    html = stranger_client.get(
        "/search/", {"q": "okafor", "for": "booking", "patient": twins[0].pk}, **HTMX
    ).content.decode()
    assert not choices(html) and "No patient matches" in html


def test_without_javascript_the_search_keeps_what_was_typed(
    clinic: Clinic, clinician: Any, desk_client: Client, twins: list[Patient]
) -> None:
    response = desk_client.post(
        f"/schedule/book/?date={MONDAY}", booking(q="okafor 23/04/1991", find="1")
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Appointment.objects.exists()
    assert choices(html) == [(str(twins[1].pk), False)]
    assert 'value="okafor 23/04/1991"' in html and 'value="10:30"' in html
    assert 'value="30"' in html and "errorlist" not in html
    event = AuditEvent.objects.order_by("-pk").first()
    assert event is not None and (event.what, event.action) == ("patient_search", "read")
    assert event.path == "/schedule/book/"


def test_the_chosen_patient_is_booked_by_key(
    clinic: Clinic, clinician: Any, desk_client: Client, twins: list[Patient]
) -> None:
    actions.do_set_clinic_schedule(clinic=clinic, time_zone="UTC")
    response = desk_client.post(f"/schedule/book/?date={MONDAY}", booking(patient=twins[1].pk))
    assert response.status_code == 302
    assert Appointment.objects.get().patient == twins[1]


@pytest.mark.parametrize(
    ("sent", "words"),
    [
        (None, "Choose the patient: find them by name, date of birth or phone"),
        ("", "Choose the patient: find them by name, date of birth or phone"),
        ("elsewhere", "not one of this clinic&#x27;s patients"),
        ("gone", "not one of this clinic&#x27;s patients"),
        ("abc", "not one of this clinic&#x27;s patients"),
    ],
)
def test_a_booking_without_a_patient_of_the_clinic_names_the_field_and_keeps_the_rest(
    clinic: Clinic, other_clinic: Clinic, clinician: Any, desk_client: Client,
    sent: str | None, words: str,
) -> None:  # fmt: skip
    extra: dict[str, Any] = {"q": "someone"}
    if sent == "elsewhere":
        extra["patient"] = make_patient(other_clinic).pk
    elif sent == "gone":
        extra["patient"] = 10**9
    elif sent is not None:
        extra["patient"] = sent
    response = desk_client.post(f"/schedule/book/?date={MONDAY}", booking(**extra))
    html = response.content.decode()
    assert response.status_code == 422 and not Appointment.objects.exists()
    assert words in html
    picker = html[html.index('<fieldset class="patient-picker') :]
    assert picker.index("errorlist") < picker.index("</fieldset>")  # beside the patient field
    assert "<legend>Patient</legend>" in picker
    assert 'value="someone"' in html and 'value="10:30"' in html and 'value="30"' in html
    assert not choices(html)  # nothing of another clinic shown


def test_a_refused_booking_keeps_the_chosen_patient(
    clinic: Clinic, clinician: Any, desk_client: Client, twins: list[Patient]
) -> None:
    response = desk_client.post(
        f"/schedule/book/?date={MONDAY}", booking(patient=twins[0].pk, minutes="0")
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert choices(html) == [(str(twins[0].pk), True)] and "Okafor, Lin" in html


def test_the_chart_books_with_the_patient_chosen(
    clinic: Clinic, clinician: Any, desk_client: Client, other_clinic: Clinic,
    twins: list[Patient],
) -> None:  # fmt: skip
    chart = desk_client.get(f"/patients/{twins[0].pk}/").content.decode()
    link = f"/schedule/?patient={twins[0].pk}"
    assert link in chart
    html = desk_client.get(link).content.decode()
    assert choices(html) == [(str(twins[0].pk), True)] and "Okafor, Lin" in html
    event = AuditEvent.objects.order_by("-pk").first()
    assert event is not None and (event.path, event.patient_id) == ("/schedule/", twins[0].pk)
    elsewhere = make_patient(other_clinic, family_name="Faraway")
    html = desk_client.get(f"/schedule/?patient={elsewhere.pk}").content.decode()
    assert not choices(html) and "Faraway" not in html
    assert desk_client.get("/schedule/?patient=abc").status_code == 200


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/schedule/?date={MONDAY}").status_code == 200
    return len(captured.captured_queries)


def test_the_day_pages_queries_do_not_grow_with_its_appointments(
    clinic: Clinic, clinician: Any, desk_client: Client
) -> None:
    actions.do_set_clinic_schedule(clinic=clinic, time_zone="UTC")
    room = actions.do_add_room(clinic=clinic, name="Room 1")
    others = [make_staff(clinic, f"c{n}", Staff.CLINICIAN) for n in range(3)]

    def book(n: int, who: Any) -> None:
        patient = make_patient(clinic, given_name=f"P{n}")
        actions.do_book_appointment(
            clinic=clinic, patient=patient, clinician=who, minutes=30, kind="follow_up",
            start=dt.datetime.combine(MONDAY, dt.time(8), tzinfo=dt.UTC)
            + dt.timedelta(minutes=30 * n), room=room if n % 2 else None,
        )  # fmt: skip

    book(0, clinician)
    _queries(desk_client)  # the session and the clinic's settings warm
    few = _queries(desk_client)
    for n in range(1, 13):
        book(n, [clinician, *others][n % 4])
    first = Appointment.objects.order_by("pk").first()
    assert first is not None
    actions.do_change_appointment(appointment=first, version=1, by=clinician, status="arrived")
    many = _queries(desk_client)
    assert many == few, f"{few} queries with one appointment, {many} with thirteen"
    page = desk_client.get(f"/schedule/?date={MONDAY}").content.decode()
    assert page.count('class="appointment status-') == 13
    assert page.count('value="arrived"') == 12 and page.count('value="completed"') == 1


def test_the_rows_built_in_python_escape_names_and_rooms(
    clinic: Clinic, clinician: Any, desk_client: Client
) -> None:
    actions.do_set_clinic_schedule(clinic=clinic, time_zone="UTC")
    patient = make_patient(clinic, given_name="<b>Bo</b>", family_name='O"Neil & Co')
    actions.do_book_appointment(
        clinic=clinic, patient=patient, clinician=clinician, minutes=30, kind="new",
        start=dt.datetime.combine(MONDAY, dt.time(9), tzinfo=dt.UTC),
        room=actions.do_add_room(clinic=clinic, name="<i>R&D</i>"),
    )  # fmt: skip
    page = desk_client.get(f"/schedule/?date={MONDAY}").content.decode()
    row = page[page.index('<li class="appointment') : page.index("</li>", page.index("<li class"))]
    assert "&lt;b&gt;Bo&lt;/b&gt; O&quot;Neil &amp; Co</a> · New patient" in row
    assert " · &lt;i&gt;R&amp;D&lt;/i&gt; " in row
    assert "<b>Bo</b>" not in page and "<i>R&D</i>" not in page
