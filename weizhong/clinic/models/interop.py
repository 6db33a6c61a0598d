"""What the clinic keeps of its exchanges with other systems: the CDS clients' tokens seen."""

from __future__ import annotations

from django.db import models


class CdsTokenUse(models.Model):
    """A trusted CDS client's token (its issuer and ``jti``) accepted once, kept until it
    expires: the same token sent again is refused as a replay, whichever server worker gets
    it. The token itself is never stored."""

    iss = models.CharField(max_length=255)
    jti = models.CharField(max_length=255)
    expires = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["iss", "jti"], name="cds_token_used_once")]
