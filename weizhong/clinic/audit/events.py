"""The names of the audit trail's events, each registered once (Sentry's
``audit_log/register.py``).

An event is stored as an ``action`` (what kind of thing happened) and a ``what`` (which one);
code that writes or looks for an event uses the constant here, never a free string, so that
renaming one cannot silently break a reader (the second factor's rate limit counts
``SECOND_FACTOR_FAILED`` events). Registering an id or an (action, what) pair twice raises
``DuplicateEvent``.

Requests about patient data are recorded with the action ``READ`` or ``WRITE`` and the route's
name as ``what`` (``patient``, ``visit_void``, ``api:get_case``…): the routes are the names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["EVENTS", "DuplicateEvent", "EventName", "EventRegistry"]

READ = "read"  # a request that read patient data; ``what`` is the route
WRITE = "write"  # a request that changed patient data; ``what`` is the route


@dataclass(frozen=True)
class EventName:
    id: int
    action: str
    what: str
    description: str


class DuplicateEvent(ValueError):
    """An audit event id or name registered a second time."""


class EventRegistry:
    def __init__(self) -> None:
        self._by_id: dict[int, EventName] = {}
        self._by_name: dict[tuple[str, str], EventName] = {}

    def register(self, id: int, action: str, what: str, description: str) -> EventName:
        event = EventName(id, action, what, description)
        if id in self._by_id:
            raise DuplicateEvent(f"audit event id {id} is already {self._by_id[id].what!r}")
        if (action, what) in self._by_name:
            raise DuplicateEvent(f"audit event {action!r} / {what!r} is already registered")
        self._by_id[id] = event
        self._by_name[(action, what)] = event
        return event

    def get(self, action: str, what: str) -> EventName | None:
        return self._by_name.get((action, what))

    def __iter__(self) -> Iterator[EventName]:
        return iter(sorted(self._by_id.values(), key=lambda e: e.id))

    def __len__(self) -> int:
        return len(self._by_id)


EVENTS = EventRegistry()
_r = EVENTS.register

SIGN_IN = _r(1, "sign-in", "login", "signed in with a password")
SIGN_IN_FAILED = _r(2, "sign-in failed", "login", "a wrong sign-in name or password")
SIGN_OUT = _r(3, "sign-out", "logout", "signed out")
SIGNED_OUT_IDLE = _r(4, "sign-out", "15 minutes without activity", "signed out when idle")
SIGNED_OUT_LONG = _r(5, "sign-out", "12 hours after signing in", "signed out after 12 hours")
SIGNED_OUT_ELSEWHERE = _r(
    6, "sign-out", "the session was ended from another device", "session ended elsewhere"
)
SECOND_FACTOR = _r(7, "sign-in", "second factor", "gave the authenticator's code")
SECOND_FACTOR_RECOVERY = _r(
    8, "sign-in", "second factor (recovery code)", "gave a recovery code instead"
)
SECOND_FACTOR_FAILED = _r(
    9, "sign-in failed", "second factor", "a wrong code (five in 15 minutes end the session)"
)
RECOVERY_CODES = _r(10, "write", "recovery codes", "made a new set of recovery codes")
PASSWORD_CHANGED = _r(11, "write", "password changed", "changed their password")
EMERGENCY_ACCESS = _r(
    12, "emergency", "emergency_access", "opened a record outside their care, with a reason"
)
STAFF_ADDED = _r(13, "admin", "staff added", "an administrator added a colleague")
STAFF_UNLOCKED = _r(14, "admin", "unlock", "an administrator unlocked an account")
STAFF_SESSIONS_ENDED = _r(15, "admin", "end sessions", "an administrator ended sessions")
STAFF_SECOND_FACTOR_RESET = _r(
    16, "admin", "reset second factor", "an administrator reset a second factor"
)
STAFF_DEACTIVATED = _r(17, "admin", "deactivate", "an administrator deactivated an account")
STAFF_REACTIVATED = _r(18, "admin", "reactivate", "an administrator reactivated an account")
CDS_FEEDBACK = _r(
    19, "cds feedback", "card", "an EHR said a clinician accepted or overrode a CDS Hooks card"
)


# Writes made outside a web request (the command line, an import, the demo's seed, the
# reliability harness): the action records its own event (actions/audited.py); on the web the
# request's event records the write instead, in the same transaction.
ACTION_EVENTS = {
    name: _r(100 + n, "write", name.removeprefix("do_").replace("_", " "), description)
    for n, (name, description) in enumerate(
        [
            ("do_create_clinic", "a clinic was created"),
            ("do_update_clinic_settings", "the clinic's settings were changed"),
            ("do_add_staff", "a colleague was added"),
            ("do_set_user_active", "an account was activated or deactivated"),
            ("do_change_password", "a password was changed"),
            ("do_create_api_token", "an API token was made"),
            ("do_revoke_api_token", "an API token was revoked"),
            ("do_issue_portal_link", "a portal link was issued"),
            ("do_revoke_portal_link", "a portal link was revoked"),
            ("do_send_questionnaire", "a questionnaire was sent"),
            ("do_log_home_exercise", "a home exercise was ticked"),
            ("do_log_pain", "a pain score was logged"),
            ("do_create_patient", "a patient was registered"),
            ("do_update_patient", "a patient's details were changed"),
            ("do_save_exam", "an exam was saved"),
            ("do_save_plan", "a plan was saved"),
            ("do_record_visit", "a visit was recorded"),
            ("do_save_note", "a note was saved"),
            ("do_sign_note", "a note was signed"),
            ("do_add_amendment", "an amendment was added"),
            ("do_score_outcome", "an outcome was scored"),
            ("do_void_record", "a record was voided"),
            ("do_import_patient", "a patient was imported from FHIR"),
            ("do_start_authenticator", "an authenticator was started"),
            ("do_confirm_authenticator", "an authenticator was confirmed"),
            ("do_replace_recovery_codes", "recovery codes were replaced"),
            ("do_forget_second_factor", "a second factor was removed"),
            ("do_undo_home_exercise", "a home exercise tick was taken back"),
            # the clinic's day (issue 15)
            ("do_set_clinic_schedule", "the clinic's time zone or notice period was set"),
            ("do_add_room", "a room was added"),
            ("do_set_working_hours", "a clinician's working hours were set"),
            ("do_set_calendar", "a clinician's calendar settings were changed"),
            ("do_get_calendar", "a clinician's calendar feed was made"),
            ("do_book_appointment", "an appointment was booked"),
            ("do_change_appointment", "an appointment was moved or its status changed"),
            ("do_link_visit", "a visit was linked to its appointment"),
            ("do_start_intake", "an intake link was made"),
            ("do_save_intake", "a patient saved intake answers"),
            ("do_submit_intake", "a patient sent an intake"),
            ("do_book_course", "a course of care was booked from the plan"),
            ("do_mark_reminded", "an appointment's reminder was e-mailed"),
            ("do_book_online", "a patient booked an appointment online"),
            ("do_cancel_online", "a patient cancelled an appointment online"),
            ("do_set_fees", "the clinic's fee schedule was changed"),
        ]
    )
}
# The feedback action writes one CDS_FEEDBACK event per card itself (the trail is what it
# records); outside a request its wrapper adds one more, naming the action.
ACTION_EVENTS["do_record_cds_feedback"] = CDS_FEEDBACK

del _r
