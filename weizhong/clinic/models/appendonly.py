"""Models whose rows are written once (the audit trail, record versions)."""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnly(Exception):
    """Audit events and record versions are never changed or deleted."""


class AppendOnlyModel(models.Model):
    """Rows that are written once: saving an existing row or deleting one raises AppendOnly.
    (Bulk ``update()``/``delete()`` bypass this; the audit chain catches what is done behind
    its back.)"""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly(f"{self._meta.verbose_name} rows are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly(f"{self._meta.verbose_name} rows are never deleted")
