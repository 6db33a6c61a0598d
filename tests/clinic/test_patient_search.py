"""The header's patient search (issue 13): on every clinic page for clinicians and the front
desk, by name, date of birth or phone, as you type (htmx) or on a page of its own; a clinician
finds their care team, the front desk every patient (no clinical data), another clinic nobody."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from tests.clinic.conftest import make_exam, make_patient, make_staff
from weizhong.clinic.models import AuditEvent, Clinic, Patient, Staff

HTMX = {"HTTP_HX_REQUEST": "true"}


def _names(html: str) -> list[str]:
    import re

    return re.findall(r"<strong>([^<]+)</strong>", html)


def test_the_header_has_the_search_for_staff_on_every_page(
    doc: Client, desk_client: Client, patient: Patient
) -> None:
    for client in (doc, desk_client):
        for path in ("/", "/patients/", f"/patients/{patient.pk}/", "/schedule/"):
            html = client.get(path).content.decode()
            assert 'role="search"' in html and 'id="find-q"' in html, path
            assert 'hx-get="/search/"' in html, path


def test_the_sign_in_page_and_the_portal_have_no_search(client: Client) -> None:
    assert 'id="find-q"' not in client.get("/login/").content.decode()


def test_name_date_of_birth_and_phone_find_the_patient(desk_client: Client, clinic: Clinic) -> None:
    make_patient(clinic, given_name="Ada", family_name="Runner", phone="+1 (555) 010-2030")
    make_patient(clinic, given_name="Bo", family_name="Walker", birth_date=dt.date(1980, 1, 2),
                 phone="555 777 8888")  # fmt: skip
    make_patient(clinic, given_name="Cy", family_name="Runnels", birth_date=dt.date(1970, 5, 6))

    def find(q: str) -> list[str]:
        answer = desk_client.get("/search/", {"q": q}, **HTMX)
        assert answer.status_code == 200
        return _names(answer.content.decode())

    assert find("runn") == ["Runnels, Cy", "Runner, Ada"]
    assert find("ada run") == ["Runner, Ada"]
    assert find("ru") == ["Runnels, Cy", "Runner, Ada"]  # the start of a name
    assert find("un") == []  # two letters match only a name's start
    assert find("02/01/1980") == ["Walker, Bo"]
    assert find("1980-01-02") == ["Walker, Bo"]
    assert find("6.5.1970") == ["Runnels, Cy"]
    assert find("5550102030") == ["Runner, Ada"]  # digits, whatever the brackets and dashes
    assert find("777-8888") == ["Walker, Bo"]
    assert find("walker 02/01/1980") == ["Walker, Bo"]
    assert find("walker 1970-05-06") == []
    assert "No patient matches" in desk_client.get("/search/", {"q": "zz"}, **HTMX).content.decode()


def test_as_you_type_answers_a_fragment_and_without_javascript_a_page(
    desk_client: Client, patient: Patient
) -> None:
    fragment = desk_client.get("/search/", {"q": "runner"}, **HTMX).content.decode()
    assert "<html" not in fragment and f'href="/patients/{patient.pk}/"' in fragment
    assert 'hx-swap-oob="true"' in fragment and "1 patient found" in fragment
    page = desk_client.get("/search/", {"q": "runner"}).content.decode()
    assert "<html" in page and f'href="/patients/{patient.pk}/"' in page
    assert 'id="search-q"' in page and 'value="runner"' in page
    assert "hx-swap-oob" not in page  # one find-status, in the header


def test_at_most_eight_as_you_type_and_the_page_says_there_are_more(
    desk_client: Client, clinic: Clinic
) -> None:
    for n in range(10):
        make_patient(clinic, given_name=f"Ann{chr(97 + n)}", family_name="Smith")
    html = desk_client.get("/search/", {"q": "smith"}, **HTMX).content.decode()
    assert len(_names(html)) == 8 and "More patients match" in html


def test_a_clinician_finds_the_care_team_the_desk_everyone(
    clinic: Clinic, clinician: User, desk_client: Client, doc: Client
) -> None:
    other = make_staff(clinic, "li", Staff.CLINICIAN)
    mine = make_patient(clinic, given_name="Mine", family_name="Searchable",
                        primary_clinician=clinician)  # fmt: skip
    theirs = make_patient(clinic, given_name="Theirs", family_name="Searchable",
                          primary_clinician=other)  # fmt: skip
    nobodys = make_patient(clinic, given_name="Nobodys", family_name="Searchable")
    examined = make_patient(clinic, given_name="Examined", family_name="Searchable",
                            primary_clinician=other)  # fmt: skip
    make_exam(examined, clinician)
    found = _names(doc.get("/search/", {"q": "searchable"}, **HTMX).content.decode())
    assert found == [f"Searchable, {p.given_name}" for p in (examined, mine, nobodys)]
    assert theirs.given_name not in " ".join(found)
    page = doc.get("/search/", {"q": "searchable"}).content.decode()
    assert "care team" in page and "/patients/?q=searchable" in page
    every = _names(desk_client.get("/search/", {"q": "searchable"}, **HTMX).content.decode())
    assert len(every) == 4


def test_the_desk_sees_no_clinical_data_in_the_results(
    desk_client: Client, doc: Client, patient: Patient, clinician: User
) -> None:
    make_exam(patient, clinician)
    Patient.objects.filter(pk=patient.pk).update(flagged=True, top_condition="lumbar_strain")
    for client in (desk_client, doc):
        html = client.get("/search/", {"q": "runner"}, **HTMX).content.decode()
        assert "Runner, Ada" in html
        assert "red flag" not in html and "lumbar" not in html and "strain" not in html


def test_another_clinic_is_never_found_and_patients_and_anonymous_are_refused(
    stranger_client: Client, client: Client, patient: Patient
) -> None:
    html = stranger_client.get("/search/", {"q": "runner"}, **HTMX).content.decode()
    assert "Runner" not in html and "No patient matches" in html
    assert client.get("/search/", {"q": "runner"}).status_code == 302  # sign in first


def test_a_search_is_audited_as_a_read(desk_client: Client, patient: Patient) -> None:
    before = AuditEvent.objects.count()
    desk_client.get("/search/", {"q": "runner"}, **HTMX)
    event = AuditEvent.objects.order_by("-pk").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.what == "patient_search" and event.action == "read"


def test_an_empty_or_odd_query_is_harmless(desk_client: Client, patient: Patient) -> None:
    assert desk_client.get("/search/").status_code == 200
    for q in ("", "   ", "%", "_", "'; drop table", "31/02/1999", "x" * 500):
        answer: Any = desk_client.get("/search/", {"q": q}, **HTMX)
        assert answer.status_code == 200, q
