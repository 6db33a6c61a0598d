"""Every version of every clinical record, and voiding with a reason instead of deleting.

Each save of a tracked record (patient, exam, plan, visit, note, amendment, outcome, portal pain
entry) appends a ``RecordVersion``: a snapshot of the record's own fields after the change, the
fields that changed since the previous version, the action (created, edited, signed, voided),
who did it (the signed-in user, the patient on the portal, or the system for commands) and,
for a void, the reason. It is written by a ``post_save`` receiver connected in
``ClinicConfig.ready()`` for each tracked model by name (``connect_receivers``), inside the same
transaction as the save (and, for a web request, the same transaction as its audit event). The
actions (``weizhong.clinic.actions``) say who acted and how with ``recording(...)``; nothing is
steered through attributes set on the instance.

Snapshots leave out what is derived and never edited: an exam's assessment, a plan's computed
content and an outcome's scoring detail are kept on the record itself, which never changes
after it is made (a void touches only the void fields). The patient's dashboard summary and
portal-link state are left out too; the audit trail records portal-link changes.

Nothing is deleted: there are no delete views or endpoints, the models' foreign keys protect,
and versions refuse to be changed or deleted. A record entered in error is voided
(``actions.do_void_record``): it leaves lists, counts, summaries and care decisions
(``LiveManager``), but stays readable, marked voided, in the chart, its history and the audit trail.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from django.apps import apps
from django.db import models, transaction
from django.db.models.signals import post_save
from django.http import HttpRequest

from weizhong.clinic.models import AppendOnly, RecordVersion

__all__ = ["AppendOnly", "RecordVersion", "connect_receivers", "recording"]

MIN_REASON = 10  # characters: a void needs a reason someone else can understand later


class RecordVoided(Exception):
    """A voided record is read-only."""


class AlreadyVoided(Exception):
    def __init__(self, record: Any) -> None:
        self.record = record
        super().__init__("already voided")


# ------------------------------------------------------------------------- what is tracked

# model name → (kind, fields left out of the snapshot)
TRACKED: dict[str, tuple[str, frozenset[str]]] = {
    "patient": (
        "patient",
        frozenset(
            {
                "id",
                "created",
                "updated",
                "portal_version",
                "portal_active",
                "portal_issued",
                "last_seen",
                "red_flags",
                "flagged",
                "reeval_due",
                "reeval_reason",
                "top_condition",
            }
        ),
    ),
    "exam": ("exam", frozenset({"id", "assessment"})),
    "plan": ("plan", frozenset({"id", "plan"})),
    "visit": ("visit", frozenset({"id"})),
    "note": ("note", frozenset({"id"})),
    "amendment": ("amendment", frozenset({"id"})),
    "outcome": ("outcome", frozenset({"id", "result"})),
    "painlog": ("pain", frozenset({"id"})),
}

# The request being served (set by the audit middleware), for the author of a version.
_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "weizhong_history_request", default=None
)


def serving(request: HttpRequest | None) -> contextvars.Token[HttpRequest | None]:
    return _request.set(request)


def done_serving(token: contextvars.Token[HttpRequest | None]) -> None:
    _request.reset(token)


def serving_request() -> HttpRequest | None:
    """The web request being served, or None (the command line, an import, the demo's seed)."""
    return _request.get()


@dataclass(frozen=True)
class Recording:
    """Who acted and how, for the versions written while an action runs."""

    user: Any = None
    action: str | None = None  # None: "created" or "edited", as the save was
    reason: str = ""


_recording: contextvars.ContextVar[Recording | None] = contextvars.ContextVar(
    "weizhong_history_recording", default=None
)


@contextmanager
def recording(*, user: Any = None, action: str | None = None, reason: str = "") -> Iterator[None]:
    """Versions written inside this block name ``user`` as the author, ``action`` (signed,
    voided) instead of created/edited, and ``reason``."""
    token = _recording.set(Recording(user=user, action=action, reason=reason))
    try:
        yield
    finally:
        _recording.reset(token)


def snapshot(instance: models.Model) -> dict[str, Any]:
    _kind, left_out = TRACKED[instance._meta.model_name or ""]
    data = {
        f.attname: f.value_from_object(instance)
        for f in instance._meta.concrete_fields
        if f.name not in left_out
    }
    return orjson.loads(orjson.dumps(data, default=str))  # type: ignore[no-any-return]


def _patient_id(instance: models.Model) -> int | None:
    name = instance._meta.model_name
    if name == "patient":
        return instance.pk  # type: ignore[no-any-return]
    if name == "note":
        return instance.visit.patient_id  # type: ignore[attr-defined,no-any-return]
    if name == "amendment":
        return instance.note.visit.patient_id  # type: ignore[attr-defined,no-any-return]
    return getattr(instance, "patient_id", None)


def _author(user: Any) -> tuple[Any, str]:
    request = _request.get()
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    if user is not None:
        return user, user.get_username()
    if request is not None and request.path.startswith("/p/"):
        return None, "patient (portal)"
    return None, "system"


def _saved(sender: type[models.Model], instance: models.Model, created: bool, **kw: Any) -> None:
    if kw.get("raw"):
        return
    kind = TRACKED[sender._meta.model_name or ""][0]
    data = snapshot(instance)
    how = _recording.get() or Recording()
    action, reason = how.action, how.reason
    with transaction.atomic():
        if not created:  # concurrent edits of one record number their versions in turn
            sender._base_manager.select_for_update().filter(pk=instance.pk).exists()
        last = (
            RecordVersion.objects.filter(kind=kind, record_id=instance.pk)
            .order_by("-version")
            .values_list("version", "data")
            .first()
        )
        if last is not None and last[1] == data and action is None:
            return  # nothing of the record itself changed (a summary or portal-link field did)
        user, label = _author(how.user)
        RecordVersion(
            kind=kind,
            record_id=instance.pk,
            version=(last[0] if last else 0) + 1,
            patient_id=_patient_id(instance),
            action=action or ("created" if created else "edited"),
            data=data,
            changed=[] if last is None else sorted(k for k in data if last[1].get(k) != data[k]),
            author=user,
            author_label=label[:150],
            reason=reason,
        ).save()


def connect_receivers() -> None:
    """Write a version on every save of a tracked model (called once, from the app's
    ``ready()``); each model is connected by name, nothing else sends to this receiver."""
    for name in TRACKED:
        model = apps.get_model("clinic", name)
        post_save.connect(_saved, sender=model, dispatch_uid=f"weizhong-record-history-{name}")


# Who made a record and when, for a first version written after the fact.
MADE_BY = {"exam": "clinician", "plan": "created_by", "visit": "clinician",
           "outcome": "entered_by", "amendment": "author", "note": "signed_by"}  # fmt: skip
MADE_AT = {"outcome": "taken"}  # else "created" (a note: its visit's)
BULKY = {"exam": ("assessment",), "plan": ("plan",), "outcome": ("result",)}


def baseline() -> int:
    """Write a first version ("created") for every tracked record that has none: records made
    in bulk by the demo clinic and ``weizhong seed`` (bulk inserts send no save signals).
    Returns how many were written."""
    written = 0
    for name, (kind, _left_out) in TRACKED.items():
        model = apps.get_model("clinic", name)
        rows = model._base_manager.exclude(
            pk__in=RecordVersion.objects.filter(kind=kind).values("record_id")
        )
        author = MADE_BY.get(name)
        related = {"note": ["visit"], "amendment": ["note__visit"]}.get(name, [])
        rows = rows.select_related(*([author] if author else []), *related)
        if name in BULKY:  # left out of the snapshot: not read
            rows = rows.defer(*BULKY[name])
        batch: list[RecordVersion] = []
        for record in rows.iterator(chunk_size=2000):
            user = getattr(record, author) if author else None
            label = user.get_username() if user else "system"
            if name == "painlog":
                label = "patient (portal)"
            when = (
                record.visit.created
                if name == "note"
                else getattr(record, MADE_AT.get(name, "created"))
            )
            batch.append(
                RecordVersion(
                    kind=kind, record_id=record.pk, version=1, patient_id=_patient_id(record),
                    action="created", data=snapshot(record), author=user, author_label=label,
                    at=when,
                )
            )  # fmt: skip
            if len(batch) >= 2000:
                RecordVersion.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        RecordVersion.objects.bulk_create(batch)
        written += len(batch)
    return written


def latest(kind: str, record_id: int) -> RecordVersion | None:
    """The record's newest version (None for a record made before history was kept)."""
    return (
        RecordVersion.objects.filter(kind=kind, record_id=record_id)
        .select_related("author")
        .order_by("-version")
        .first()
    )


def version_number(kind: str, record_id: int) -> int:
    found = latest(kind, record_id)
    return found.version if found else 0


def versions_for(kind: str, record_id: int) -> list[RecordVersion]:
    return list(
        RecordVersion.objects.filter(kind=kind, record_id=record_id)
        .select_related("author")
        .order_by("version")
    )
