"""CDS Hooks, FHIR export and import, the research export."""

from django.urls import path

from . import cds, cds_feedback, views

urlpatterns = [
    path("cds-services", cds.discovery, name="cds_discovery"),
    path("cds-services/<str:service_id>", cds.service, name="cds_service"),
    path("cds-services/<str:service_id>/feedback", cds_feedback.feedback, name="cds_feedback"),
    path("patients/<int:pk>/fhir.json", views.patient_fhir, name="patient_fhir"),
    path("fhir/import/", views.fhir_import, name="fhir_import"),
    path("research/outcomes.csv", views.research_csv, name="research_csv"),
]
