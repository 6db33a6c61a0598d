"""Every version of every clinical record (see ``weizhong.clinic.history.versions``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weizhong.clinic.models.appendonly import AppendOnlyModel


class RecordVersion(AppendOnlyModel):
    ACTIONS = [
        ("created", _("created")),
        ("edited", _("edited")),
        ("signed", _("signed")),
        ("voided", _("voided")),
    ]

    kind = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    version = models.PositiveIntegerField()
    patient = models.ForeignKey(
        "clinic.Patient", on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(max_length=10, choices=ACTIONS)
    data = models.JSONField()
    changed = models.JSONField(default=list)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    author_label = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "record_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "record_id", "version"], name="record_version_once"
            )
        ]
        indexes = [models.Index(fields=["patient", "at"])]
