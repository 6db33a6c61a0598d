"""The clinic and its people: the clinic's settings and fee schedule, staff and their roles,
personal API tokens, signed-in sessions and second factors."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(unique=True)
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    provider_id = models.CharField(_("provider id (NPI)"), max_length=40, blank=True)
    tax_id = models.CharField(_("tax id (EIN)"), max_length=40, blank=True)
    rounds_before_reevaluation = models.PositiveSmallIntegerField(
        _("visits before re-evaluation"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(40)],
        help_text=_("After this many visits on a plan without an important change, re-evaluate."),
    )
    visits_per_week = models.PositiveSmallIntegerField(
        _("visits per week"), default=2, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    portal_link_days = models.PositiveSmallIntegerField(
        _("portal link valid for (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )

    def __str__(self) -> str:
        return self.name


class Fee(models.Model):
    """The clinic's charge for one unit of a CPT code, in whole US cents (never a float). A code
    without a row has no fee: weizhong ships no price."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="fees")
    cpt = models.CharField(_("CPT code"), max_length=5)
    cents = models.PositiveIntegerField(
        _("fee for one unit (cents)"), validators=[MaxValueValidator(10_000_000)]
    )

    class Meta:
        ordering = ["cpt"]
        constraints = [models.UniqueConstraint(fields=["clinic", "cpt"], name="fee_once_a_code")]

    def __str__(self) -> str:
        return f"{self.cpt}: {self.cents} cents"


class Staff(models.Model):
    """A user's place in a clinic. A user without one sees nothing."""

    CLINICIAN = "clinician"
    FRONT_DESK = "front_desk"
    ROLES = [(CLINICIAN, _("Clinician")), (FRONT_DESK, _("Front desk"))]

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=20, choices=ROLES)
    title = models.CharField(_("title"), max_length=80, blank=True)
    npi = models.CharField(_("NPI"), max_length=20, blank=True)
    credentials = models.CharField(_("credentials and licence"), max_length=120, blank=True)
    is_admin = models.BooleanField(
        _("clinic administrator"),
        default=False,
        help_text=_("Sees the audit trail and the clinic's settings."),
    )

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A personal token for the JSON API. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]


class UserSession(models.Model):
    """A signed-in session, so that its owner can see it and end it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]


class Authenticator(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authenticator"
    )
    secret = models.CharField(max_length=64)
    confirmed = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)  # the last accepted time step (no replays)


class RecoveryCode(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    used = models.DateTimeField(null=True, blank=True)
