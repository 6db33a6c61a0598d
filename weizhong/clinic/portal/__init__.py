"""The patient portal: a signed link per patient (no password), the home programme with its
daily ticks, the day's pain and the questionnaires the clinic sent (``views``), and online
booking (``booking``)."""

from weizhong.clinic.accounts.portal_links import SALT, make_token, patient_from, url_for

from .link import portal_patient
from .views import home, log, questionnaire

__all__ = [
    "SALT",
    "home",
    "log",
    "make_token",
    "patient_from",
    "portal_patient",
    "questionnaire",
    "url_for",
]
