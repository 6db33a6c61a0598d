"""The clinic's pages: patients and their care, the records' history, the settings, staff and
audit pages, signing in."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import (
    account_settings,
    audit_log,
    calendar_feed,
    course,
    dashboard,
    exams,
    fees,
    history,
    outcomes,
    patients,
    plans,
    schedule,
    schedule_settings,
    second_factor,
    staff,
    visits,
)

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("healthz", dashboard.healthz, name="healthz"),
    # signing in
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", second_factor.second_factor, name="second_factor"),
    path("settings/authenticator/", second_factor.second_factor_setup, name="second_factor_setup"),
    # settings, staff, audit
    path("settings/", account_settings.clinic_settings, name="clinic_settings"),
    path("settings/api-tokens/", account_settings.api_tokens, name="api_tokens"),
    path("settings/sessions/", account_settings.sessions, name="sessions"),
    path("settings/staff/", staff.staff_list, name="staff"),
    path("settings/day/", schedule_settings.schedule_settings, name="schedule_settings"),
    path("settings/fees/", fees.fee_schedule, name="fee_schedule"),
    path("settings/password/", staff.password_change, name="password_change"),
    path("audit/", audit_log.audit_log, name="audit_log"),
    # the clinic's day
    path("calendar/<str:token>.ics", calendar_feed.calendar_feed, name="calendar_feed"),
    path("schedule/", schedule.day, name="schedule"),
    path("schedule/week/", schedule.week, name="schedule_week"),
    path("schedule/book/", schedule.book, name="schedule_book"),
    path("schedule/<int:pk>/", schedule.change, name="appointment_change"),
    path("patients/<int:pk>/course/", course.course_of_care, name="course_of_care"),
    # patients and their care
    path("patients/", patients.patient_list, name="patients"),
    path("search/", patients.patient_search, name="patient_search"),
    path("patients/new/", patients.patient_new, name="patient_new"),
    path("patients/<int:pk>/", patients.patient_chart, name="patient"),
    path("patients/<int:pk>/edit/", patients.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/emergency/", patients.emergency_access, name="emergency_access"),
    path("patients/<int:pk>/portal/", patients.portal_manage, name="portal_manage"),
    path("patients/<int:pk>/intake/", patients.intake_link, name="intake_link"),
    path("patients/<int:pk>/exam/", exams.exam_new, name="exam_new"),
    path("patients/<int:pk>/exam/preview/", exams.exam_preview, name="exam_preview"),
    path("exams/<int:pk>/", exams.exam_detail, name="exam"),
    path("exams/<int:pk>/case.json", exams.exam_case_json, name="exam_case"),
    path("exams/<int:pk>/plan/", plans.plan_editor, name="plan_editor"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan"),
    path("plans/<int:pk>/handout.pdf", plans.plan_handout, name="plan_handout"),
    path("atlas/", plans.atlas_search, name="atlas_search"),
    path("patients/<int:pk>/visit/", visits.visit_new, name="visit_new"),
    path("visits/<int:pk>/", visits.visit_detail, name="visit"),
    path("visits/<int:pk>/bill/", visits.visit_bill, name="visit_bill"),
    path("visits/<int:pk>/superbill.<str:fmt>", visits.visit_superbill, name="visit_superbill"),
    path("patients/<int:pk>/outcomes/", outcomes.outcomes, name="outcomes"),
    path("patients/<int:pk>/outcomes/new/", outcomes.outcome_new, name="outcome_new"),
    # each record's history, and voiding a record entered in error
    path(
        "patients/<int:pk>/history/",
        history.record_history,
        {"kind": "patient"},
        name="patient_history",
    ),
    *(
        route
        for kind, prefix in (
            ("exam", "exams"),
            ("plan", "plans"),
            ("visit", "visits"),
            ("outcome", "outcomes"),
        )
        for route in (
            path(
                f"{prefix}/<int:pk>/history/",
                history.record_history,
                {"kind": kind},
                name=f"{kind}_history",
            ),
            path(
                f"{prefix}/<int:pk>/void/",
                history.void_record,
                {"kind": kind},
                name=f"{kind}_void",
            ),
        )
    ),
]
