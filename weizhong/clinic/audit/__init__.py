"""The audit trail: every read and write of patient data, append-only and hash-chained
(``trail``), the registered names of its events (``events``) and the administrators' page
(``views``)."""

from .events import EVENTS, EventName
from .trail import (
    AuditMiddleware,
    ChainCheck,
    client_ip,
    event_hash,
    record,
    verify_chain,
)

__all__ = [
    "EVENTS",
    "AuditMiddleware",
    "ChainCheck",
    "EventName",
    "client_ip",
    "event_hash",
    "record",
    "verify_chain",
]
