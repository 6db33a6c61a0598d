"""Every action carries its audit event (issue 12): on the web, the request's event (written by
``AuditMiddleware`` in the same transaction) records the write; anywhere else (the command line,
a FHIR import, the demo's seed, the reliability harness) the action records its own event,
inside its own transaction, so no write is ever without its trace.

An action called by another action (an import registers a patient and saves an exam) is recorded
once, by the outermost one.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import transaction

from weizhong.clinic.audit.events import ACTION_EVENTS, EventName
from weizhong.clinic.audit.trail import record
from weizhong.clinic.history.versions import serving_request

P = ParamSpec("P")
R = TypeVar("R")

# Who acted, by the keyword each action uses for it (first found wins).
ACTOR_KEYS = ("clinician", "author", "entered_by", "importer", "by", "issued_by", "user")
# The actions that are bookkeeping of a request (sessions, tokens seen, a code accepted during
# sign-in): always called inside one, recorded by the sign-in events; never audited on their own.
BOOKKEEPING = frozenset(
    {
        "do_note_token_used",
        "do_remember_session",
        "do_note_session_seen",
        "do_end_session",
        "do_accept_code",
        "do_use_recovery_code",
    }
)

_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("weizhong_in_action", default=False)


def audited(function: Callable[P, R]) -> Callable[P, R]:
    """Wrap a ``do_*`` action so that, outside a web request, it records its audit event."""
    event = ACTION_EVENTS[function.__name__]

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if _inside.get() or serving_request() is not None or not settings.WEIZHONG_AUDIT:
            return function(*args, **kwargs)
        token = _inside.set(True)
        try:
            with transaction.atomic():
                result = function(*args, **kwargs)
                record(event, **_who(kwargs, result), target=function.__name__)
            return result
        finally:
            _inside.reset(token)

    run.__audit_event__ = event  # type: ignore[attr-defined]
    return run


def audit_event_of(action: Callable[..., Any]) -> EventName | None:
    return getattr(action, "__audit_event__", None)


def _who(kwargs: dict[str, Any], result: Any) -> dict[str, Any]:
    """The event's user, clinic and patient, from the action's arguments or what it returned."""
    user = next((kwargs[k] for k in ACTOR_KEYS if getattr(kwargs.get(k), "pk", None)), None)
    user = getattr(user, "user", user)  # a Staff row names its user
    patient = kwargs.get("patient") or _patient_of(kwargs, result)
    clinic = kwargs.get("clinic") or getattr(patient, "clinic", None)
    if clinic is None and user is not None:
        clinic = getattr(getattr(user, "staff", None), "clinic", None)
    known = user if getattr(user, "pk", None) and hasattr(user, "get_username") else None
    return {
        "user": known,
        "username": known.get_username() if known is not None else "",
        "role": "system",
        "clinic_id": getattr(clinic, "pk", None),
        "patient_id": getattr(patient, "pk", None),
        "allowed": True,
    }


def _patient_of(kwargs: dict[str, Any], result: Any) -> Any:
    """The patient a record (exam, plan, visit, note, outcome) or the result belongs to."""
    for thing in (*kwargs.values(), *(result if isinstance(result, tuple) else (result,))):
        for path in ("patient", "visit.patient", "exam.patient"):
            found: Any = thing
            for part in path.split("."):
                found = getattr(found, part, None)
            if found is not None and getattr(found, "pk", None) is not None:
                return found
        if type(thing).__name__ == "Patient":
            return thing
    return None
