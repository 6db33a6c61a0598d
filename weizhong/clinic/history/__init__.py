"""Every version of every clinical record, who made it and why (``versions``), and the pages
that show a record's history and void a record entered in error (``views``)."""

from .versions import (
    MIN_REASON,
    AlreadyVoided,
    RecordVoided,
    baseline,
    connect_receivers,
    done_serving,
    latest,
    recording,
    serving,
    snapshot,
    version_number,
    versions_for,
)

__all__ = [
    "MIN_REASON",
    "AlreadyVoided",
    "RecordVoided",
    "baseline",
    "connect_receivers",
    "done_serving",
    "latest",
    "recording",
    "serving",
    "snapshot",
    "version_number",
    "versions_for",
]
