"""The audit trail's rows: append-only, hash-chained (see ``weizhong.clinic.audit.trail``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from weizhong.clinic.models.appendonly import AppendOnlyModel

GENESIS = "0" * 64


class AuditHead(models.Model):
    """The chain's head: the last sequence number and hash (one row, id 1)."""

    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS)


class AuditEvent(AppendOnlyModel):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, blank=True)
    clinic_id = models.BigIntegerField(null=True, db_index=True)
    patient_id = models.BigIntegerField(null=True, db_index=True)
    action = models.CharField(max_length=20)  # read, write, sign-in, sign-in failed, …
    what = models.CharField(max_length=60)  # the route (patient, visit_new, api:…) or event
    target = models.CharField(max_length=120, blank=True)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.PositiveSmallIntegerField(null=True)
    allowed = models.BooleanField()
    emergency = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["clinic_id", "-seq"])]

    def content(self) -> dict[str, Any]:
        """What the hash covers (everything but the hashes themselves)."""
        return {
            "seq": self.seq, "at": self.at.isoformat(), "user": self.user_id,
            "username": self.username, "role": self.role, "clinic": self.clinic_id,
            "patient": self.patient_id, "action": self.action, "what": self.what,
            "target": self.target, "method": self.method, "path": self.path, "ip": self.ip,
            "status": self.status, "allowed": self.allowed, "emergency": self.emergency,
            "reason": self.reason,
        }  # fmt: skip
