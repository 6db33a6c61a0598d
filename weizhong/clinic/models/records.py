"""The clinic's records. Clinical content is stored in the public formats of the core (a case is a
``weizhong.case/1`` object, a plan a ``weizhong.plan/1`` object) so that what the clinic saved can
be re-read by the command line, exported and re-assessed with newer knowledge.

Every query for patient data goes through a clinic: ``Patient.objects.filter(clinic=...)``;
records of other clinics are never reachable by id alone (see ``accounts/access.py``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weizhong.clinic.models.accounts import Clinic

SEXES = [
    ("female", _("Female")),
    ("male", _("Male")),
    ("other", _("Other")),
    ("unknown", _("Unknown")),
]


PAYERS = [
    ("self_pay", _("Self-pay")),
    ("commercial", _("Commercial insurance")),
    ("medicare", _("Medicare")),
]


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=SEXES, default="unknown")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    address = models.TextField(_("address"), blank=True)
    payer = models.CharField(_("payer"), max_length=20, choices=PAYERS, default="self_pay")
    member_id = models.CharField(_("insurance member id"), max_length=60, blank=True)
    pregnant = models.BooleanField(_("pregnant"), default=False)
    medications = models.JSONField(_("medications"), default=list, blank=True)
    devices = models.JSONField(_("devices"), default=list, blank=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    reminders = models.BooleanField(_("daily home-programme reminder by e-mail"), default=False)
    primary_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("primary clinician"),
        help_text=_(
            "Other clinicians who have not treated this patient give a reason to open the record."
        ),
    )
    # The portal link carries the version it was issued with: revoking clears portal_active and a
    # new link gets the next version, so an old link never opens again.
    portal_version = models.PositiveIntegerField(default=0)
    portal_active = models.BooleanField(default=False)
    # When the current link was issued: its token is signed with this time, so the link stays
    # the same on every page load and expires portal_link_days after it was issued.
    portal_issued = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # A summary kept current by actions.refresh_summary(), so that the dashboard reads one row
    # per patient instead of walking every patient's history.
    last_seen = models.DateTimeField(null=True, blank=True)
    red_flags = models.JSONField(default=list, blank=True)
    flagged = models.BooleanField(default=False)
    reeval_due = models.BooleanField(default=False)
    reeval_reason = models.CharField(max_length=300, blank=True)
    top_condition = models.CharField(max_length=60, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "family_name", "given_name"]),
            models.Index(fields=["clinic", "-last_seen"]),
            models.Index(fields=["clinic", "reeval_due"]),
            models.Index(fields=["clinic", "flagged"]),
            models.Index(fields=["clinic", "birth_date"]),  # the header search by date of birth
        ]
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    def patient_block(self) -> dict[str, Any]:
        """The ``patient`` object of a case, from the chart's safety facts."""
        return {
            "age": self.age,
            "sex": self.sex,
            "pregnant": self.pregnant,
            "medications": list(self.medications),
            "devices": list(self.devices),
            "conditions": list(self.conditions),
        }


class LiveManager(models.Manager[Any]):
    """Rows that are not voided: what lists, counts, summaries and care decisions see.
    ``all_objects`` sees every row (the chart's voided section, history, the audit)."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().filter(voided_at__isnull=True)


class Voidable(models.Model):
    """A clinical record is never deleted: entered in error, it is voided with a reason and
    stays readable, marked, in the chart, its history and the audit trail."""

    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    void_reason = models.TextField(blank=True)

    objects = LiveManager()
    all_objects = models.Manager()

    class Meta:
        abstract = True

    @property
    def voided(self) -> bool:
        return self.voided_at is not None


class Exam(Voidable):
    """One history and examination, stored as a public-format case with its assessment."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="exams")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created = models.DateTimeField(default=timezone.now)
    case = models.JSONField()
    assessment = models.JSONField()
    red_flags = models.JSONField(default=list)
    top_condition = models.CharField(max_length=60, blank=True)
    top_probability = models.FloatField(null=True)
    knowledge_version = models.CharField(max_length=60)
    submit_token = models.UUIDField(unique=True, null=True, blank=True)
    # What came from the patient's own report (the intake before the first exam): the intake,
    # the day it was sent, and per pre-filled finding what the patient reported and whether the
    # clinician confirmed it, left it unconfirmed or changed it (records/from_intake.py).
    reported = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["patient", "-created"])]


class Plan(Voidable):
    """A saved, versioned treatment plan. The newest version of a patient is the active one."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="plans")
    version = models.PositiveIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created = models.DateTimeField(default=timezone.now)
    plan = models.JSONField()
    edits = models.JSONField(default=dict)
    overrides = models.JSONField(default=dict)
    guideline = models.CharField(max_length=20, default="ACP2017")
    visits_per_week = models.PositiveSmallIntegerField(
        _("visits per week"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    planned_visits = models.PositiveSmallIntegerField(
        _("visits before re-evaluation"), validators=[MinValueValidator(1), MaxValueValidator(40)]
    )
    note = models.TextField(_("clinician's note"), blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="plan_version_once")
        ]

    @property
    def point_keys(self) -> list[str]:
        """Points as CODE:side, the form a visit records."""
        return [
            f"{p['code']}:{p['side']}"
            for p in self.plan["acupuncture"]["points"]
            if p["code"] != "ASHI"  # trigger points are recorded as trigger points
        ]

    @property
    def trigger_points(self) -> list[dict[str, Any]]:
        """The plan's trigger points as a visit records them."""
        out = []
        for p in self.plan["acupuncture"]["points"]:
            if p["code"] == "ASHI" and p.get("muscle"):
                depth = p.get("depth_cun") or [None, None]
                out.append({"muscle": p["muscle"], "side": p["side"], "depth_cun": depth[-1],
                            "technique": "retained"})  # fmt: skip
        return out

    @property
    def reevaluation_date(self) -> dt.date:
        weeks = self.planned_visits / max(self.visits_per_week, 1)
        return (self.created + dt.timedelta(days=round(weeks * 7))).date()


RESPONSES = [
    ("better", _("Better")),
    ("same", _("No change")),
    ("worse", _("Worse")),
    ("not_assessed", _("Not assessed")),
]
SPINAL_REGIONS = [
    ("cervical", _("Cervical")),
    ("thoracic", _("Thoracic")),
    ("lumbar", _("Lumbar")),
    ("sacral", _("Sacral")),
    ("pelvic", _("Pelvic")),
    ("lower_extremity", _("Lower extremity")),
    ("upper_extremity", _("Upper extremity")),
    ("rib_cage", _("Rib cage")),
    ("abdomen", _("Abdomen")),
    ("head", _("Head")),
]


class Visit(Voidable):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits")
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    date = models.DateField(_("date"), default=timezone.localdate)
    created = models.DateTimeField(default=timezone.now)
    points = models.JSONField(_("points needled"), default=list, blank=True)
    electro = models.BooleanField(_("electro-acupuncture"), default=False)
    electro_settings = models.CharField(_("stimulation settings"), max_length=200, blank=True)
    needle_minutes = models.PositiveSmallIntegerField(
        _("needle retention (minutes)"), default=0, validators=[MaxValueValidator(120)]
    )
    contact_minutes = models.PositiveSmallIntegerField(
        _("acupuncture one-on-one contact (minutes)"),
        default=0,
        validators=[MaxValueValidator(240)],
        help_text=_("Face-to-face time for acupuncture, not needle retention (billing)."),
    )
    reinsertions = models.PositiveSmallIntegerField(
        _("needle re-insertions"), default=0, validators=[MaxValueValidator(16)]
    )
    exercise_minutes = models.PositiveSmallIntegerField(
        _("therapeutic exercise (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    neuromuscular_minutes = models.PositiveSmallIntegerField(
        _("neuromuscular re-education (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    manual_therapy_minutes = models.PositiveSmallIntegerField(
        _("manual therapy (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    # Trigger points needled or pressed: [{"muscle", "side", "depth_cun" (or None), "technique"}]
    trigger_points = models.JSONField(_("trigger points"), default=list, blank=True)
    # Which 15-minute acupuncture increments (1 = the first) had electrical stimulation and
    # which had needles re-inserted; empty when not described increment by increment.
    stimulated_increments = models.JSONField(
        _("increments with electrical stimulation"), default=list, blank=True
    )
    reinserted_increments = models.JSONField(
        _("increments with needles re-inserted"), default=list, blank=True
    )
    diagnoses = models.JSONField(_("diagnoses (ICD-10-CM)"), default=list, blank=True)
    regions_adjusted = models.JSONField(_("regions adjusted"), default=list, blank=True)
    office_care = models.TextField(_("other office care"), blank=True)
    response = models.CharField(
        _("response to treatment"), max_length=20, choices=RESPONSES, default="not_assessed"
    )
    response_notes = models.TextField(_("response notes"), blank=True)
    submit_token = models.UUIDField(unique=True, default=uuid.uuid4)

    class Meta:
        ordering = ["-date", "-created"]
        indexes = [models.Index(fields=["patient", "-date"]), models.Index(fields=["date"])]


class Note(models.Model):
    """The SOAP note of a visit. Once signed it is locked: corrections are amendments."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="note")
    subjective = models.TextField(_("subjective"), blank=True)
    objective = models.TextField(_("objective"), blank=True)
    assessment = models.TextField(_("assessment"), blank=True)
    plan = models.TextField(_("plan"), blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    # Each save bumps the version; a save from a stale copy is refused (no lost updates).
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated = models.DateTimeField(null=True, blank=True)

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


class Amendment(models.Model):
    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="amendments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created = models.DateTimeField(default=timezone.now)
    text = models.TextField(_("amendment"))

    class Meta:
        ordering = ["created"]


class QuestionnaireRequest(models.Model):
    """A questionnaire the clinician sent to the patient's portal."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="requests")
    instrument = models.CharField(max_length=20)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    sent_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]


class Outcome(Voidable):
    SOURCES = [
        ("clinic", _("In the clinic")),
        ("portal", _("By the patient on the portal")),
        ("intake", _("By the patient at intake")),
    ]

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outcomes")
    instrument = models.CharField(max_length=20)
    answers = models.JSONField()
    score = models.FloatField(null=True)
    result = models.JSONField()
    taken = models.DateTimeField(default=timezone.now)
    # PSFS: the patient's own activities, in the order of the answers (empty for other forms)
    activities = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=SOURCES, default="clinic")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    request = models.OneToOneField(
        QuestionnaireRequest, on_delete=models.PROTECT, null=True, blank=True
    )
    # The intake the patient filled it in (source "intake"): the baseline reported before the
    # first visit.
    intake = models.ForeignKey(
        "Intake", on_delete=models.PROTECT, null=True, blank=True, related_name="outcomes"
    )

    class Meta:
        ordering = ["taken"]
        indexes = [models.Index(fields=["patient", "instrument", "taken"])]


class HomeLog(models.Model):
    """One session of a home-programme exercise done on one day (an exercise done twice a day
    has sessions 1 and 2), ticked by the patient on the portal."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="home_logs")
    day = models.DateField()
    exercise = models.CharField(max_length=60)
    session = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "day", "exercise", "session"], name="one_tick_a_session"
            )
        ]
        indexes = [models.Index(fields=["patient", "-day"])]


class PainLog(models.Model):
    """The patient's pain 0–10 on a day, from the portal (the latest entry of the day counts)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pain_logs")
    day = models.DateField()
    pain = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "day"], name="one_pain_a_day")]
