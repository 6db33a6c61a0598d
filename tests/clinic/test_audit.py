"""The audit trail: every read and write of patient data recorded, refusals too, in a hash
chain that names the first broken link when anyone tampers with it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse

from weizhong.clinic.audit.trail import AppendOnly, AuditEvent, verify_chain
from weizhong.clinic.models import Staff

from .conftest import PASSWORD, logged_in


def last() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()  # type: ignore[return-value]


def test_a_read_is_recorded_with_who_what_and_where(doc: Client, clinician: Any, exam: Any) -> None:
    doc.get(reverse("exam", args=[exam.pk]), REMOTE_ADDR="10.1.2.3")
    event = last()
    assert (event.username, event.role, event.action, event.what) == (
        "mei",
        "clinician",
        "read",
        "exam",
    )
    assert event.patient_id == exam.patient_id and event.target == f"exam {exam.pk}"
    assert event.ip == "10.1.2.3" and event.allowed and event.status == 200
    assert event.clinic_id == exam.patient.clinic_id


def test_a_write_is_recorded(doc: Client, patient: Any) -> None:
    doc.post(reverse("outcome_new", args=[patient.pk]), {"instrument": "nprs", "item_1": 4})
    event = last()
    assert (event.action, event.what, event.patient_id) == ("write", "outcome_new", patient.pk)
    assert event.allowed


def test_a_live_preview_is_recorded_as_a_read(doc: Client, patient: Any, exam: Any) -> None:
    """Issue 13: every live-assessment update and plan-editor preview was audited as a write."""
    from tests.clinic.conftest import form_data, runner_findings

    doc.post(reverse("exam_preview", args=[patient.pk]), form_data(runner_findings()),
             HTTP_HX_REQUEST="true")  # fmt: skip
    assert (last().action, last().what) == ("read", "exam_preview")
    doc.post(reverse("plan_editor", args=[exam.pk]), {"action": "add_point", "pick": "BL40"})
    assert (last().action, last().what) == ("read", "plan_editor")


def test_refusals_are_recorded(desk_client: Client, stranger_client: Client, exam: Any) -> None:
    desk_client.get(reverse("exam", args=[exam.pk]))
    refused = last()
    assert (refused.username, refused.status, refused.allowed) == ("sam", 403, False)
    stranger_client.get(reverse("patient", args=[exam.patient_id]))
    guessed = last()
    assert (guessed.username, guessed.status, guessed.allowed) == ("otto", 404, False)
    assert guessed.target == f"pk={exam.patient_id}"  # the id they tried


def test_sign_ins_and_failures_are_recorded(clinician: Any) -> None:
    Client().post(reverse("login"), {"username": "mei", "password": "wrong password!"})
    assert (last().action, last().allowed) == ("sign-in failed", False)
    Client().post(reverse("login"), {"username": "mei", "password": PASSWORD})
    assert (last().action, last().username) == ("sign-in", "mei")


def test_api_and_portal_reads_are_recorded(clinician: Any, patient: Any, plan: Any) -> None:
    from weizhong.clinic import portal
    from weizhong.clinic.actions import do_create_api_token

    key = do_create_api_token(user=clinician, name="t")[1]
    Client().get(f"/api/v1/patients/{patient.pk}", headers={"Authorization": f"Bearer {key}"})
    assert (last().what, last().patient_id) == ("api:get_patient", patient.pk)
    patient.portal_active, patient.portal_version = True, 1
    patient.save()
    Client().get(portal.url_for(None, patient))
    assert (last().what, last().role, last().patient_id) == ("portal", "patient", patient.pk)


def test_each_api_method_is_recorded_under_its_own_operation(clinician: Any, patient: Any) -> None:
    """django-ninja answers GET, PUT and PATCH of one path with one Django view named after the
    first operation: a change must not be recorded as a read (``api:get_patient``)."""
    from weizhong.clinic.actions import do_create_api_token

    key = do_create_api_token(user=clinician, name="t")[1]
    api = Client(headers={"Authorization": f"Bearer {key}"})
    url = f"/api/v1/patients/{patient.pk}"
    api.get(url)
    assert (last().what, last().action) == ("api:get_patient", "read")
    version = api.get(url)["ETag"]
    api.patch(url, {"phone": "555 0100"}, content_type="application/json",
              headers={"If-Match": version})  # fmt: skip
    assert (last().what, last().action, last().status) == ("api:patch_patient", "write", 200)
    api.put(url, {}, content_type="application/json", headers={"If-Match": 'W/"0"'})
    assert last().what == "api:update_patient"  # refused (422 or 412), still named for what it was


def test_events_cannot_be_changed_or_deleted(doc: Client, patient: Any) -> None:
    doc.get(reverse("patient", args=[patient.pk]))
    event = last()
    event.username = "someone else"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()


def test_the_chain_names_the_first_broken_link(doc: Client, patient: Any) -> None:
    for _n in range(5):
        doc.get(reverse("patient", args=[patient.pk]))
    assert verify_chain().intact
    call_command("audit_verify")
    third = AuditEvent.objects.order_by("seq")[2]
    AuditEvent.objects.filter(pk=third.pk).update(username="mallory")  # behind the model's back
    check = verify_chain()
    assert not check.intact and check.broken_at == third.seq
    assert "content" in check.problem
    with pytest.raises(CommandError, match=f"broken at event {third.seq}"):
        call_command("audit_verify")


def test_a_deleted_event_breaks_the_chain(doc: Client, patient: Any) -> None:
    for _n in range(4):
        doc.get(reverse("patient", args=[patient.pk]))
    second = AuditEvent.objects.order_by("seq")[1]
    AuditEvent.objects.filter(pk=second.pk)._raw_delete(AuditEvent.objects.db)
    check = verify_chain()
    assert check.broken_at == second.seq + 1 and "missing" in check.problem
    newest = AuditEvent.objects.order_by("-seq").first()
    AuditEvent.objects.filter(pk=newest.pk)._raw_delete(AuditEvent.objects.db)  # type: ignore[union-attr]
    assert not verify_chain().intact


def test_admin_page_filters_and_exports(
    clinic: Any, clinician: Any, doc: Client, exam: Any, desk_client: Client
) -> None:
    from weizhong.clinic.accounts.second_factor import VERIFIED

    Staff.objects.filter(user=clinician).update(is_admin=True)
    admin = logged_in(clinician)
    assert admin.get(reverse("audit_log"))["Location"] == reverse("second_factor_setup")
    session = admin.session
    session[VERIFIED] = "2026-11-25T00:00:00"  # as after the code (tests/clinic/test_twofactor.py)
    session.save()
    desk_client.get(reverse("exam", args=[exam.pk]))  # a refusal to find
    page = admin.get(reverse("audit_log") + "?action=denied").content.decode()
    assert "sam" in page and "403" in page
    csv_text = admin.get(reverse("audit_log") + "?format=csv&user=sam").content.decode()
    assert csv_text.splitlines()[0].startswith("seq,at,username")
    assert all(",sam," in line for line in csv_text.splitlines()[1:])
    assert "Chain intact" in admin.get(reverse("audit_log") + "?verify=1").content.decode()
    assert desk_client.get(reverse("audit_log")).status_code == 403
    assert admin.get(reverse("audit_log")).status_code == 200


@override_settings(TIME_ZONE="America/New_York")
def test_the_audit_page_names_people_and_pages_in_the_clinics_time(
    clinic: Any, clinician: Any, doc: Client, exam: Any
) -> None:
    """Issue 13: the page showed patient ids, route names (``patient_new``) and UTC."""
    from weizhong.clinic.accounts.second_factor import VERIFIED

    assert doc.get(reverse("exam", args=[exam.pk])).status_code == 200
    Staff.objects.filter(user=clinician).update(is_admin=True)
    admin = logged_in(clinician)
    session = admin.session
    session[VERIFIED] = "2026-11-25T00:00:00"
    session.save()
    page = admin.get(reverse("audit_log")).content.decode()
    row = page[page.index("<tbody>") :]
    assert "an examination" in row and "Ada Runner" in row and "Mei" in row
    assert ">exam<" not in row and "pk=" not in row and "UTC" not in page
    assert "America/New_York" in page


def test_command_line_verify(doc: Client, patient: Any, capsys: Any) -> None:
    from weizhong.cli import main

    doc.get(reverse("patient", args=[patient.pk]))
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    AuditEvent.objects.filter(seq=1).update(reason="edited")
    assert main(["audit", "verify"]) == 1
    assert "broken at event 1" in capsys.readouterr().err


def test_only_the_cds_hook_posts_outside_the_requests_transaction() -> None:
    """A POST and its audit event commit together; the one route let out of that transaction
    (Django's ``non_atomic_requests``) is the CDS hook, which writes nothing and records no
    event. A patient-data route marked so would lose that guarantee: this names it."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def views(patterns: Any, namespace: str = "") -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from views(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern):
                yield f"{namespace}:{p.name}" if namespace else p.name, p.callback

    marked = {
        name
        for name, view in views(get_resolver().url_patterns)
        if getattr(view, "_non_atomic_requests", ())
    }
    assert marked == {"cds_service"}
