"""Issue 12: every write carries its audit event. On the web the request's event records it (in
the same transaction); outside a request (the command line, an import, the demo's seed) the
action records its own event, once, even when it calls other actions."""

from __future__ import annotations

import inspect
from typing import Any

from django.test import Client
from django.urls import reverse

from weizhong.clinic import actions
from weizhong.clinic.actions.audited import BOOKKEEPING, audit_event_of
from weizhong.clinic.audit.events import ACTION_EVENTS
from weizhong.clinic.audit.trail import AuditEvent, verify_chain
from weizhong.clinic.models import Clinic

from .conftest import make_patient


def _actions() -> dict[str, Any]:
    return {
        name: value
        for name, value in inspect.getmembers(actions)
        if name.startswith("do_") and callable(value)
    }


def test_every_action_is_audited_or_named_as_bookkeeping() -> None:
    found = _actions()
    assert len(found) >= 25
    unaudited = sorted(n for n, f in found.items() if audit_event_of(f) is None)
    assert unaudited == sorted(BOOKKEEPING & set(found)), (
        "give each new do_* action an event in audit/events.py ACTION_EVENTS and @audited"
    )
    assert set(ACTION_EVENTS) <= set(found)  # no event for an action that no longer exists


def test_an_action_outside_a_request_records_its_own_event(clinic: Clinic) -> None:
    before = AuditEvent.objects.count()
    patient = make_patient(clinic)
    (event,) = AuditEvent.objects.order_by("seq")[before:]
    assert (event.action, event.what, event.target) == (
        "write",
        "create patient",
        "do_create_patient",
    )
    assert (event.clinic_id, event.patient_id, event.role) == (clinic.pk, patient.pk, "system")
    assert verify_chain().intact


def test_an_action_that_calls_others_is_recorded_once(clinic: Clinic, clinician: Any) -> None:
    from tests.test_fhir import TIMESTAMP, red_flag_record
    from weizhong.fhir import export_bundle, import_bundle

    imported = import_bundle(export_bundle(red_flag_record(), timestamp=TIMESTAMP))
    before = AuditEvent.objects.count()
    patient, _exam = actions.do_import_patient(clinic=clinic, importer=clinician, imported=imported)
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(e.what, e.patient_id, e.username) for e in events] == [
        ("import patient", patient.pk, clinician.get_username())
    ]


def test_a_write_on_the_web_is_recorded_once_by_its_request(doc: Client, patient: Any) -> None:
    before = AuditEvent.objects.count()
    doc.post(reverse("outcome_new", args=[patient.pk]), {"instrument": "nprs", "item_1": 4})
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(e.action, e.what) for e in events] == [("write", "outcome_new")]
