from django.urls import path

from . import intake, views

urlpatterns = [
    path("p/<str:token>/", views.home, name="portal"),
    path("p/<str:token>/log/", views.log, name="portal_log"),
    path("p/<str:token>/q/<int:request_id>/", views.questionnaire, name="portal_questionnaire"),
    path("intake/<str:token>/", intake.intake_form, name="intake"),
    path("intake/<str:token>/save", intake.intake_save, name="intake_save"),
]
