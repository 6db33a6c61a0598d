"""The feedback endpoint of CDS Hooks 2.0: ``POST /cds-services/{id}/feedback``.

The EHR says what the clinician did with a card: ``{"feedback": [{"card": uuid, "outcome":
"accepted" | "overridden", "acceptedSuggestions": [{"id": uuid}], "overrideReason": {"reason":
Coding, "userComment": text}, "outcomeTimestamp": instant}]}``. Each entry is checked (the
specification's rules: suggestions only with ``accepted``, a reason only with ``overridden``)
and recorded in the audit trail through :func:`~weizhong.clinic.actions.do_record_cds_feedback`,
one ``CDS_FEEDBACK`` event per card, under the name of the trusted CDS client that sent it (a
signed JWT, as for the hook: :mod:`~weizhong.clinic.interop.cds_auth`); a malformed body gets 400
naming the field, and nothing is recorded. The answer is 200 with an empty object.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from weizhong.clinic import actions
from weizhong.clinic.audit.trail import client_ip
from weizhong.clinic.interop.cds import _error, _json, read_json_post, with_cors
from weizhong.clinic.interop.cds_auth import authenticate

MAX_ENTRIES = 50
MAX_BODY = 100_000
OUTCOMES = ("accepted", "overridden")


class _Bad(ValueError):
    pass


@csrf_exempt
@with_cors
def feedback(request: HttpRequest, service_id: str) -> HttpResponse:
    body = read_json_post(
        request,
        service_id,
        use_post="send feedback with POST",
        max_body=MAX_BODY,
        too_large=f"the feedback is larger than {MAX_BODY // 1000} KB",
    )
    if isinstance(body, HttpResponse):
        return body
    caller = authenticate(request, service_id, feedback=True)
    if isinstance(caller, HttpResponse):
        return caller
    try:
        entries = checked(body)
    except _Bad as error:
        return _error(str(error))
    actions.do_record_cds_feedback(
        service=service_id,
        entries=entries,
        ip=client_ip(request),
        path=request.path,
        client=caller.name,
    )
    return _json({})


def checked(body: Any) -> list[actions.CardFeedback]:
    """The feedback entries of a request body; raises ``_Bad`` naming the first wrong field."""
    if not isinstance(body, dict):
        raise _Bad("the feedback must be a JSON object")
    items = body.get("feedback")
    if not isinstance(items, list) or not items:
        raise _Bad("feedback (a list of at least one entry) is required")
    if len(items) > MAX_ENTRIES:
        raise _Bad(f"feedback has {len(items)} entries; at most {MAX_ENTRIES} at once")
    return [_entry(item, f"feedback[{index}]") for index, item in enumerate(items)]


def _uuid(value: Any, where: str) -> str:
    try:
        return str(uuid.UUID(str(value).removeprefix("urn:uuid:")))
    except ValueError:
        raise _Bad(f"{where} must be a UUID") from None


def _entry(item: Any, where: str) -> actions.CardFeedback:
    if not isinstance(item, dict):
        raise _Bad(f"{where} must be an object")
    card = _uuid(item.get("card"), f"{where}.card")
    outcome = item.get("outcome")
    if outcome not in OUTCOMES:
        raise _Bad(f"{where}.outcome must be one of: {', '.join(OUTCOMES)}")
    stamp = item.get("outcomeTimestamp")
    try:
        moment = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        moment = None
    if not isinstance(stamp, str) or moment is None or moment.tzinfo is None:
        raise _Bad(f"{where}.outcomeTimestamp must be an instant with a time zone")
    suggestions = item.get("acceptedSuggestions")
    if suggestions is not None and outcome != "accepted":
        raise _Bad(f"{where}.acceptedSuggestions is allowed only when the outcome is accepted")
    if suggestions is not None and not isinstance(suggestions, list):
        raise _Bad(f"{where}.acceptedSuggestions must be a list")
    accepted = tuple(
        _uuid(s.get("id") if isinstance(s, dict) else None, f"{where}.acceptedSuggestions[{i}].id")
        for i, s in enumerate(suggestions or [])
    )
    reason = item.get("overrideReason")
    if reason is not None and outcome != "overridden":
        raise _Bad(f"{where}.overrideReason is allowed only when the outcome is overridden")
    return actions.CardFeedback(
        card=card,
        outcome=outcome,
        at=stamp,
        accepted_suggestions=accepted,
        override_reason=_reason(reason, f"{where}.overrideReason"),
    )


def _reason(reason: Any, where: str) -> str:
    if reason is None:
        return ""
    if not isinstance(reason, dict):
        raise _Bad(f"{where} must be an object")
    coding = reason.get("reason")
    comment = reason.get("userComment")
    if coding is not None and not (
        isinstance(coding, dict) and isinstance(coding.get("code") or coding.get("display"), str)
    ):
        raise _Bad(f"{where}.reason must be a Coding with a code")
    if comment is not None and not isinstance(comment, str):
        raise _Bad(f"{where}.userComment must be text")
    if coding is None and comment is None:
        raise _Bad(f"{where} needs a reason or a userComment")
    said = []
    if coding:
        said.append(f"reason {coding.get('system', '')}|{coding.get('code') or coding['display']}")
    if comment:
        said.append(f"comment: {comment[:1000]}")
    return "; ".join(said)
