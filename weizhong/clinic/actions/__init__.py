"""Every write of the clinic, one ``do_*`` function each (Zulip's ``zerver/actions``).

An action takes typed keyword arguments, never a request; it runs in one transaction, checks
what must hold when it writes, and writes the record together with its history version
(``history.recording`` names who acted and how) and its audit event: on the web the request's
event, which ``AuditMiddleware`` commits in the same transaction; anywhere else the action's own
(``@audited``, ``actions/audited.py``; events in ``audit/events.py`` ``ACTION_EVENTS``).

Modules by area: ``records`` (patients, exams, plans, visits, notes, amendments, outcomes,
voids, FHIR import), ``scheduling`` (the clinic's day: rooms, hours, appointments), ``fees``
(the fee schedule),
``portal``, ``accounts`` (clinics, staff, passwords, API tokens,
sessions, settings) and ``second_factor``. Pages, the API, the portal, the command line, the
demo clinic, the tests' fixtures and the reliability harness call these; the one exception is
the load-test clinic's bulk insert of thousands of records (``weizhong seed --patients N``,
``ops/demo.py``; the demo clinic itself goes through the actions), whose first versions
``history.baseline()`` writes afterwards. ``tests/clinic/test_one_write_path.py`` fails when a
page, API, portal, command or harness module writes to a model itself.
"""

from __future__ import annotations

from weizhong.clinic.actions.accounts import (
    TOKEN_PREFIX,
    do_add_staff,
    do_change_password,
    do_create_api_token,
    do_create_clinic,
    do_end_session,
    do_note_session_seen,
    do_note_token_used,
    do_remember_session,
    do_revoke_api_token,
    do_set_user_active,
    do_update_clinic_settings,
    token_digest,
)
from weizhong.clinic.actions.course import do_book_course
from weizhong.clinic.actions.fees import FeeChange, FeesRefused, do_set_fees
from weizhong.clinic.actions.intake import (
    IntakeIncomplete,
    IntakeSubmitted,
    do_save_intake,
    do_start_intake,
    do_submit_intake,
)
from weizhong.clinic.actions.interop import CardFeedback, do_record_cds_feedback
from weizhong.clinic.actions.online_booking import do_book_online, do_cancel_online
from weizhong.clinic.actions.portal import (
    do_issue_portal_link,
    do_log_home_exercise,
    do_log_pain,
    do_revoke_portal_link,
    do_send_questionnaire,
    do_undo_home_exercise,
)
from weizhong.clinic.actions.records import (
    AlreadyVoided,
    EarlierRecordVoided,
    KeyUsedElsewhere,
    NoteIsDraft,
    NoteLocked,
    RecordVoided,
    StaleCopy,
    do_add_amendment,
    do_create_patient,
    do_import_patient,
    do_record_visit,
    do_save_exam,
    do_save_note,
    do_save_plan,
    do_score_outcome,
    do_sign_note,
    do_update_patient,
    do_void_record,
    refresh_summary,
)
from weizhong.clinic.actions.scheduling import (
    MAX_MINUTES,
    MAX_NOTICE_HOURS,
    MIN_MINUTES,
    Clash,
    StaleAppointment,
    WrongStatus,
    do_add_room,
    do_book_appointment,
    do_change_appointment,
    do_get_calendar,
    do_link_visit,
    do_mark_reminded,
    do_set_calendar,
    do_set_clinic_schedule,
    do_set_working_hours,
)
from weizhong.clinic.actions.second_factor import (
    RECOVERY_CODES,
    do_accept_code,
    do_confirm_authenticator,
    do_forget_second_factor,
    do_replace_recovery_codes,
    do_start_authenticator,
    do_use_recovery_code,
)

__all__ = [
    "MAX_MINUTES",
    "MAX_NOTICE_HOURS",
    "MIN_MINUTES",
    "RECOVERY_CODES",
    "TOKEN_PREFIX",
    "AlreadyVoided",
    "CardFeedback",
    "Clash",
    "EarlierRecordVoided",
    "FeeChange",
    "FeesRefused",
    "IntakeIncomplete",
    "IntakeSubmitted",
    "KeyUsedElsewhere",
    "NoteIsDraft",
    "NoteLocked",
    "RecordVoided",
    "StaleAppointment",
    "StaleCopy",
    "WrongStatus",
    "do_accept_code",
    "do_add_amendment",
    "do_add_room",
    "do_add_staff",
    "do_book_appointment",
    "do_book_course",
    "do_book_online",
    "do_cancel_online",
    "do_change_appointment",
    "do_change_password",
    "do_confirm_authenticator",
    "do_create_api_token",
    "do_create_clinic",
    "do_create_patient",
    "do_end_session",
    "do_forget_second_factor",
    "do_get_calendar",
    "do_import_patient",
    "do_issue_portal_link",
    "do_link_visit",
    "do_log_home_exercise",
    "do_log_pain",
    "do_mark_reminded",
    "do_note_session_seen",
    "do_note_token_used",
    "do_record_cds_feedback",
    "do_record_visit",
    "do_remember_session",
    "do_replace_recovery_codes",
    "do_revoke_api_token",
    "do_revoke_portal_link",
    "do_save_exam",
    "do_save_intake",
    "do_save_note",
    "do_save_plan",
    "do_score_outcome",
    "do_send_questionnaire",
    "do_set_calendar",
    "do_set_clinic_schedule",
    "do_set_fees",
    "do_set_user_active",
    "do_set_working_hours",
    "do_sign_note",
    "do_start_authenticator",
    "do_start_intake",
    "do_submit_intake",
    "do_undo_home_exercise",
    "do_update_clinic_settings",
    "do_update_patient",
    "do_use_recovery_code",
    "do_void_record",
    "refresh_summary",
    "token_digest",
]
