"""The clinic's fee schedule: read by any staff member, changed by a clinic administrator, with
the page's rule and action (``do_set_fees``)."""

from __future__ import annotations

from typing import Any

from ninja import Router
from ninja.errors import HttpError
from ninja.responses import Status

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import clinic_of
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.common import _role, unprocessable
from weizhong.clinic.api.schemas import FeeScheduleOut, FeesIn, Message, Problems
from weizhong.clinic.records.fees import fee_rows

router = Router()


def _schedule(request: ClinicRequest) -> dict[str, Any]:
    return {
        "currency": "USD",
        "fees": [
            {
                "cpt": row.cpt,
                "description": row.description,
                "cents": row.cents,
                "amount": row.typed or None,
            }
            for row in fee_rows(clinic_of(request))
        ],
    }


@router.get("/fees", response={200: FeeScheduleOut}, tags=["billing"])
def get_fees(request: ClinicRequest) -> Any:
    """The clinic's fee for one unit of every CPT code weizhong bills, in US dollars (null: no
    fee set; weizhong ships no price)."""
    _role(request)
    return _schedule(request)


@router.put(
    "/fees",
    response={200: FeeScheduleOut, 403: Message, 422: Problems},
    tags=["billing"],
)
def set_fees(request: ClinicRequest, data: FeesIn) -> Any:
    """Replace the fee schedule (clinic administrators): every code's fee as text, as typed on
    the Fees page; a code left out, null or "" has no fee. 422 names each code refused and
    nothing is saved."""
    _role(request)
    staff = getattr(request, "staff", None)
    if staff is None or not staff.is_admin:
        raise HttpError(403, "only a clinic administrator may change the fees")
    try:
        change = actions.do_set_fees(clinic=clinic_of(request), fees=data.fees, by=request.user)
    except actions.FeesRefused as refused:
        return unprocessable([(["body", "fees", p.field], p.message) for p in refused.problems])
    request.audit_target = change.describe()[:120]
    return Status(200, _schedule(request))
