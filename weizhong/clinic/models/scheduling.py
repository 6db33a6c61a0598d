"""The clinic's day: its time zone, rooms, each clinician's working hours and calendar settings,
and the appointments.

Times are stored in UTC; the clinic's time zone (an IANA name) turns a day or a working hour into
instants, so a 9:00 appointment stays at 9:00 on both sides of a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weizhong.clinic.models.accounts import Clinic
from weizhong.clinic.models.records import Patient, Visit


def _feed_key() -> str:
    return secrets.token_urlsafe(24)


class ClinicSchedule(models.Model):
    """A clinic's settings for its day (one row a clinic, made when first needed)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="schedule")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    cancel_notice_hours = models.PositiveSmallIntegerField(
        _("cancellation notice (hours)"),
        default=24,
        validators=[MaxValueValidator(168)],
        help_text=_("Patients may cancel online until this many hours before the appointment."),
    )


class Room(models.Model):
    """A treatment room: it holds one patient at a time."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="room_name_once")]

    def __str__(self) -> str:
        return self.name


class ClinicianCalendar(models.Model):
    """A clinician's calendar settings: overlapping bookings (in different rooms) and the secret
    of their private iCalendar feed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar"
    )
    allow_overlap = models.BooleanField(
        _("allow overlapping bookings in different rooms"),
        default=False,
        help_text=_("For example, seeing another patient while needles are retained."),
    )
    feed_key = models.CharField(max_length=64, default=_feed_key, unique=True)


class WorkingHours(models.Model):
    """One stretch of a clinician's week, in the clinic's local time (Monday is 0)."""

    WEEKDAYS = [
        (0, _("Monday")),
        (1, _("Tuesday")),
        (2, _("Wednesday")),
        (3, _("Thursday")),
        (4, _("Friday")),
        (5, _("Saturday")),
        (6, _("Sunday")),
    ]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(
        _("day"), choices=WEEKDAYS, validators=[MinValueValidator(0), MaxValueValidator(6)]
    )
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="hours_end_after_start"
            )
        ]


APPOINTMENT_KINDS = [
    ("new", _("New patient")),
    ("follow_up", _("Follow-up")),
    ("reevaluation", _("Re-evaluation")),
]

APPOINTMENT_STATUSES = [
    ("booked", _("Booked")),
    ("arrived", _("Arrived")),
    ("completed", _("Completed")),
    ("cancelled", _("Cancelled")),
    ("no_show", _("Did not come")),
]

# Appointments in these statuses hold their time, room and clinician.
HOLDING = ("booked", "arrived", "completed")


class Appointment(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    kind = models.CharField(_("kind"), max_length=20, choices=APPOINTMENT_KINDS)
    status = models.CharField(
        _("status"), max_length=20, choices=APPOINTMENT_STATUSES, default="booked"
    )
    version = models.PositiveIntegerField(default=1)
    visit = models.OneToOneField(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointment"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)  # the reminder e-mail went

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["clinic", "start"]),
            models.Index(fields=["clinician", "start"]),
            models.Index(fields=["patient", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="appointment_end_after_start"
            )
        ]

    @property
    def minutes(self) -> int:
        return int((self.end - self.start) / dt.timedelta(minutes=1))

    def __str__(self) -> str:
        return f"appointment {self.pk}"


def _intake_key() -> str:
    return secrets.token_urlsafe(24)


class Intake(models.Model):
    """What a patient tells the clinic before the first visit, through a link with a secret
    key. ``answers`` is saved as they go; on submit the core's red-flag screen runs at once and
    its flags are kept with the intake."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="intakes")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    key = models.CharField(max_length=64, unique=True, default=_intake_key)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    red_flags = models.JSONField(default=list, blank=True)
    act_today = models.BooleanField(default=False)  # a flag needing action today was raised
    # When its link was e-mailed to the patient with their first booking (once per patient).
    link_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["clinic", "act_today", "-submitted_at"])]
