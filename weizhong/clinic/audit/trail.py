"""The audit trail: every read and write of patient data, append-only and hash-chained.

One event per request that touches patient data (pages, API, portal, CDS is not patient data
of ours), plus sign-ins, failed sign-ins and sign-outs: who (user and role), which clinic and
patient, what (the route and its target), when (UTC), from where (IP), allowed or denied (the
status), and for emergency access the reason given.

Tamper evidence: each event stores the SHA-256 of its own content together with the previous
event's hash and a gapless sequence number. Changing, deleting or reordering any event breaks
the chain from that point, and ``weizhong audit verify`` names the first broken link. The model
refuses updates and deletes; the chain catches what is done behind its back.

Writes are serialised through one ``AuditHead`` row (locked with SELECT … FOR UPDATE on
PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils import timezone

from weizhong.clinic import history
from weizhong.clinic.audit.events import READ, SIGN_IN, SIGN_IN_FAILED, SIGN_OUT, WRITE, EventName
from weizhong.clinic.models import GENESIS, AppendOnly, AuditEvent, AuditHead

__all__ = ["AppendOnly", "AuditEvent", "AuditHead", "record", "verify_chain"]  # models re-exported


def event_hash(prev_hash: str, content: dict[str, Any]) -> str:
    body = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev_hash.encode() + body).hexdigest()


def record(event: EventName | None = None, **fields: Any) -> AuditEvent:
    """Append one event to the chain (its own transaction, or the caller's). ``event`` (from
    ``audit_events``) gives the action and what; a request's event passes them itself (the
    action ``READ`` or ``WRITE``, the route's name)."""
    if event is not None:
        fields = {**fields, "action": event.action, "what": event.what}
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        row = AuditEvent(seq=head.seq + 1, at=timezone.now(), prev_hash=head.last_hash, **fields)
        row.hash = event_hash(head.last_hash, row.content())
        row.save()
        AuditHead.objects.filter(pk=1).update(seq=row.seq, last_hash=row.hash)
    return row


@dataclass(frozen=True)
class ChainCheck:
    events: int
    broken_at: int | None  # the seq of the first event that does not fit
    problem: str

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(events: Iterator[AuditEvent] | None = None) -> ChainCheck:
    """Walk the chain in order; the first event whose number, link or hash is wrong."""
    rows = events if events is not None else AuditEvent.objects.order_by("seq").iterator(2000)
    prev_hash, expected, count = GENESIS, 1, 0
    for event in rows:
        count += 1
        if event.seq != expected:
            return ChainCheck(count, event.seq, f"event {expected} is missing (found {event.seq})")
        if event.prev_hash != prev_hash:
            return ChainCheck(count, event.seq, "its link does not match the previous event")
        if event_hash(prev_hash, event.content()) != event.hash:
            return ChainCheck(count, event.seq, "its content does not match its hash")
        prev_hash, expected = event.hash, expected + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected - 1 or head.last_hash != prev_hash):
        return ChainCheck(count, expected, f"events after {expected - 1} are missing")
    return ChainCheck(count, None, "")


# --------------------------------------------------------------------------- recording


def client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy, WEIZHONG_TRUSTED_PROXY=1 makes the first X-Forwarded-For address count.
    if getattr(settings, "WEIZHONG_TRUSTED_PROXY", False):
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or None


# Routes that are about patient data even when the helpers never ran (a denied request).
PATIENT_ROUTES = frozenset(
    {
        "patient", "patient_edit", "exam_new", "exam_preview", "visit_new", "outcomes",
        "outcome_new", "portal_manage", "patient_fhir", "exam", "exam_case", "plan_editor",
        "plan", "plan_handout", "visit", "visit_superbill", "portal", "portal_log", "portal_book",
        "portal_cancel",
        "portal_questionnaire", "patients", "patient_search", "dashboard", "research_csv",
        "fhir_import",
        "emergency_access", "patient_new", "patient_history", "exam_history", "exam_void",
        "plan_history", "plan_void", "visit_history", "visit_void", "visit_bill", "outcome_history",
        "outcome_void",
    }
)  # fmt: skip
# POSTs that only show something (the live assessment, the plan editor's preview of an edit):
# audited as reads, not writes (issue 13: every live preview was a "write").
# The patient search sent by the day page's booking form without JavaScript (a POST that keeps
# what was typed in the form) is recorded as the header search's read.
PREVIEWS = frozenset({"exam_preview", "patient_search"})


def _is_preview(route: str, request: HttpRequest) -> bool:
    if route in PREVIEWS:
        return True
    return route == "plan_editor" and request.POST.get("action") != "save"


QUIET = frozenset(
    {
        "healthz",
        "login",
        "logout",
        "audit_log",
        "second_factor",
        "second_factor_setup",
        "api_tokens",
        "api:openapi-json",
        "api:openapi-view",
    }
)


def _route(request: HttpRequest) -> str | None:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    if match.namespace and match.namespace.startswith("api"):
        return f"api:{_api_operation(request, match.func) or match.url_name}"
    name: str | None = match.url_name
    return name


def _api_operation(request: HttpRequest, view: Any) -> str | None:
    """The name of the API operation that answered this request's method.

    django-ninja gives every operation on one path the same Django view, so Django's URL name is
    that of the path's first operation: a ``PUT /patients/{id}`` would be recorded as
    ``get_patient``. The view is a closure over ninja's ``PathView``, which knows the operation of
    each method; the name is its function's, as in ninja's URL names. None when not found."""
    from ninja.operation import PathView

    for cell in getattr(view, "__closure__", None) or ():
        path_view = cell.cell_contents
        find = getattr(path_view, "_find_operation", None)  # private: None if ninja drops it
        if isinstance(path_view, PathView) and find is not None:
            operation = find(request)
            if operation is None:
                return None
            return str(getattr(operation, "url_name", None) or operation.view_func.__name__)
    return None


def _writes_nothing(request: HttpRequest) -> bool:
    """Whether the view of this POST is marked with Django's ``non_atomic_requests``: it writes
    no patient data and keeps its one write short, in an action's own transaction (the CDS Hooks
    service notes the caller's token and records the call), so it is not wrapped in a
    transaction. On SQLite that transaction (IMMEDIATE) takes the write lock for the whole
    request: every CDS call held it, and the server's workers answered one at a time."""
    try:
        match = get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
    except Resolver404:
        return False
    return bool(getattr(match.func, "_non_atomic_requests", ()))


class AuditMiddleware:
    """One event per request about patient data, written before the response leaves: an
    acknowledged request always has its audit event."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        serving = history.serving(request)  # the author of any record version written
        try:
            if (
                request.method in ("GET", "HEAD", "OPTIONS")
                or not settings.WEIZHONG_AUDIT
                or _writes_nothing(request)
            ):
                return self._audited(request)
            # A write and its audit event commit together: a server killed in between leaves
            # neither, so no change to a record is ever without its trace.
            with transaction.atomic():
                return self._audited(request)
        finally:
            history.done_serving(serving)

    def _audited(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not settings.WEIZHONG_AUDIT:
            return response
        route = getattr(request, "audit_route", None) or _route(request)
        patient_id = getattr(request, "audit_patient", None)
        if route is None or route in QUIET or request.method == "OPTIONS":
            return response
        if patient_id is None and route not in PATIENT_ROUTES and not route.startswith("api:"):
            return response
        user = request.user if request.user.is_authenticated else None
        kwargs = request.resolver_match.kwargs if request.resolver_match else {}
        target = getattr(request, "audit_target", "") or " ".join(
            f"{k}={v}" for k, v in kwargs.items() if k != "token"
        )
        record(
            user=user,
            username=user.get_username() if user else "",
            role=getattr(request, "role", None) or ("patient" if "token" in kwargs else ""),
            clinic_id=getattr(getattr(request, "clinic", None), "pk", None),
            patient_id=patient_id,
            action=READ
            if request.method in ("GET", "HEAD") or _is_preview(route, request)
            else WRITE,
            what=route[:60],
            target=target[:120],
            method=request.method or "",
            path=request.path[:300],
            ip=client_ip(request),
            status=response.status_code,
            allowed=response.status_code < 400,
            emergency=bool(getattr(request, "audit_emergency", False)),
            reason=getattr(request, "audit_reason", ""),
        )
        return response


def signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record(SIGN_IN, user=user, username=user.get_username(),
           path=request.path[:300], ip=client_ip(request), method=request.method or "",
           status=200, allowed=True)  # fmt: skip


def sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    record(SIGN_IN_FAILED, username=str(credentials.get("username", ""))[:150],
           path=getattr(request, "path", "")[:300],
           ip=client_ip(request) if request is not None else None,
           method=getattr(request, "method", "") or "", status=401, allowed=False)  # fmt: skip


def signed_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(SIGN_OUT, user=user, username=user.get_username(),
               path=request.path[:300], ip=client_ip(request), method=request.method or "",
               status=200, allowed=True)  # fmt: skip
