"""URLs: the clinic's pages, the patient portal and sign-in."""

from django.contrib.auth import views as auth_views
from django.urls import path

from weizhong.clinic import cds, people, portal, twofactor, views
from weizhong.clinic.api import api

handler500 = "weizhong.clinic.views.server_error"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("cds-services", cds.discovery, name="cds_discovery"),
    path("cds-services/<str:service_id>", cds.service, name="cds_service"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", twofactor.second_factor, name="second_factor"),
    path("settings/authenticator/", twofactor.second_factor_setup, name="second_factor_setup"),
    path("settings/", views.clinic_settings, name="clinic_settings"),
    path("settings/api-tokens/", views.api_tokens, name="api_tokens"),
    path("audit/", views.audit_log, name="audit_log"),
    path("settings/sessions/", views.sessions, name="sessions"),
    path("settings/staff/", people.staff_list, name="staff"),
    path("settings/password/", people.password_change, name="password_change"),
    path("patients/", views.patient_list, name="patients"),
    path("patients/new/", views.patient_new, name="patient_new"),
    path("patients/<int:pk>/", views.patient_chart, name="patient"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/emergency/", views.emergency_access, name="emergency_access"),
    path("patients/<int:pk>/exam/", views.exam_new, name="exam_new"),
    path("patients/<int:pk>/exam/preview/", views.exam_preview, name="exam_preview"),
    path("patients/<int:pk>/visit/", views.visit_new, name="visit_new"),
    path("patients/<int:pk>/outcomes/", views.outcomes, name="outcomes"),
    path("patients/<int:pk>/outcomes/new/", views.outcome_new, name="outcome_new"),
    path("patients/<int:pk>/portal/", views.portal_manage, name="portal_manage"),
    path("patients/<int:pk>/fhir.json", views.patient_fhir, name="patient_fhir"),
    path("fhir/import/", views.fhir_import, name="fhir_import"),
    path("research/outcomes.csv", views.research_csv, name="research_csv"),
    path("exams/<int:pk>/", views.exam_detail, name="exam"),
    path("exams/<int:pk>/case.json", views.exam_case_json, name="exam_case"),
    path("exams/<int:pk>/plan/", views.plan_editor, name="plan_editor"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/handout.pdf", views.plan_handout, name="plan_handout"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path(
        "visits/<int:pk>/superbill.<str:fmt>",
        views.visit_superbill,
        name="visit_superbill",
    ),
    path("atlas/", views.atlas_search, name="atlas_search"),
    path(
        "patients/<int:pk>/history/",
        views.record_history,
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
                views.record_history,
                {"kind": kind},
                name=f"{kind}_history",
            ),
            path(
                f"{prefix}/<int:pk>/void/", views.void_record, {"kind": kind}, name=f"{kind}_void"
            ),
        )
    ),
    path("p/<str:token>/", portal.home, name="portal"),
    path("p/<str:token>/log/", portal.log, name="portal_log"),
    path("p/<str:token>/q/<int:request_id>/", portal.questionnaire, name="portal_questionnaire"),
]
