"""Crash: the server is killed with SIGKILL at random moments during thousands of API writes,
and restarted; afterwards every acknowledged write is stored, has its audit event, and the
audit chain is intact.

How: gunicorn (two sync workers) serves a clinic of a few patients in a data dir of its own
(SQLite; or PostgreSQL with ``postgres`` as argument, the database ``weizhong_reliability``
next to ``DATABASE_URL``'s). Client threads write through the JSON API, alternately

- ``POST /api/v1/patients/{id}/visits`` with a fresh ``idempotency_key`` (the visit stores it
  as its ``submit_token``: the record is found by it), and
- ``POST /api/v1/patients/{id}/outcomes`` with a unique ``taken`` timestamp (found by patient
  and timestamp),

and note each write answered 201 (an acknowledgement) with the client's clock before sending
and after the answer. A killer thread sends SIGKILL to gunicorn's whole process group (master
and workers: the app gets no chance to clean up) at random points of the run, then restarts
it; writes in flight fail and count as attempted, not acknowledged.

The audit check is a matching, not a count: each acknowledged write needs its own audit event
(``what`` = ``api:create_visit`` / ``api:create_outcome``, status 201, its patient) written
inside the write's request window [sent, answered] (a few ms of slack for the clock reads). The
intervals are matched to events greedily by window end, which finds a complete matching
whenever one exists, so an event of an unacknowledged write can never stand in for a missing
one of an acknowledged write. Then ``verify_chain()`` walks the whole chain.

Size: ``RELIABILITY_CRASH_WRITES`` (ci 300, full 3,000) and ``RELIABILITY_CRASH_KILLS``
(ci 3, full 12).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ApiClient,
    Server,
    make_clinic,
    open_backend,
    scaled,
)

WRITES = scaled(300, 3_000, "RELIABILITY_CRASH_WRITES")
KILLS = scaled(3, 12, "RELIABILITY_CRASH_KILLS")
CLIENTS = 6
PATIENTS = 8
SLACK = dt.timedelta(milliseconds=5)


@dataclass(frozen=True)
class Ack:
    kind: str  # "visit" or "outcome"
    patient: int
    ident: str  # the visit's idempotency key, or the outcome's taken timestamp (ISO)
    sent: dt.datetime
    answered: dt.datetime


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Run:
    """The shared state of writers and killer."""

    def __init__(self, server: Server, patients: list[int], token: str) -> None:
        self.server = server
        self.patients = patients
        self.token = token
        self.lock = threading.Lock()
        self.up = threading.Event()
        self.up.set()
        self.attempted = 0
        self.acks: list[Ack] = []
        self.failed_connections = 0
        self.bad_answers: list[str] = []
        self.kills = 0
        self.base = now() - dt.timedelta(days=2)

    def next_write(self) -> int | None:
        with self.lock:
            if self.attempted >= WRITES:
                return None
            self.attempted += 1
            return self.attempted

    def writer(self, seed: int) -> None:
        rng = random.Random(seed)
        client = ApiClient(self.server.port, self.token, timeout=30)
        while (n := self.next_write()) is not None:
            self.up.wait()
            patient = rng.choice(self.patients)
            if n % 2:
                kind, ident = "visit", str(uuid.uuid4())
                path = f"/api/v1/patients/{patient}/visits"
                body: dict[str, Any] = {"idempotency_key": ident, "needle_minutes": 10}
            else:
                kind = "outcome"
                ident = (self.base + dt.timedelta(milliseconds=n)).isoformat()
                path = f"/api/v1/patients/{patient}/outcomes"
                body = {"instrument": "nprs", "answers": [n % 11], "taken": ident}
            sent = now()
            try:
                status, _headers, payload = client.request("POST", path, body)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.failed_connections += 1
                time.sleep(0.05)
                continue
            answered = now()
            with self.lock:
                if status == 201:
                    self.acks.append(Ack(kind, patient, ident, sent, answered))
                else:
                    self.bad_answers.append(f"{status} {path}: {payload[:300]!r}")
        client.close()

    def killer(self, points: list[int], rng: random.Random) -> None:
        for point in points:
            while True:
                with self.lock:
                    if self.attempted >= point:
                        break
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.05))  # a random moment, inside some request or other
            self.up.clear()
            self.server.kill()
            self.kills += 1
            self.server.start()
            self.up.set()


def match_audit(acks: list[Ack], events: list[tuple[str, int, dt.datetime]]) -> int:
    """How many acknowledged writes find no audit event of their own (see the module doc)."""
    pool: dict[tuple[str, int], list[dt.datetime]] = defaultdict(list)
    for what, patient, at in events:
        pool[(what, patient)].append(at)
    for times in pool.values():
        times.sort()
    missing = 0
    groups: dict[tuple[str, int], list[Ack]] = defaultdict(list)
    for ack in acks:
        groups[(f"api:create_{ack.kind}", ack.patient)].append(ack)
    for key, group in groups.items():
        free = pool.get(key, [])
        used = [False] * len(free)
        for ack in sorted(group, key=lambda a: a.answered):
            low, high = ack.sent - SLACK, ack.answered + SLACK
            for i, at in enumerate(free):
                if not used[i] and low <= at <= high:
                    used[i] = True
                    break
            else:
                missing += 1
    return missing


def main() -> int:
    report, backend, path = open_backend("crash")
    if path is None:
        return 0
    from bench_web import free_port
    from django.db import connections

    from weizhong.clinic.actions import do_create_api_token
    from weizhong.clinic.audit.trail import AuditEvent, verify_chain
    from weizhong.clinic.history.versions import RecordVersion
    from weizhong.clinic.models import Outcome, Visit

    clinic, doc, f = make_clinic("Crash")
    patients = [f.make_patient(clinic, given_name=f"C{n}").pk for n in range(PATIENTS)]
    token = do_create_api_token(user=doc, name="crash")[1]
    connections.close_all()

    server = Server(free_port(), path / "gunicorn.log")
    server.start()
    run = Run(server, patients, token)
    rng = random.Random()
    points = sorted(rng.sample(range(WRITES // 20, WRITES * 19 // 20), KILLS))
    print(
        f"crash ({backend}): {WRITES:,} writes, {CLIENTS} clients, kills after writes {points}",
        flush=True,
    )
    started = time.perf_counter()
    killer = threading.Thread(target=run.killer, args=(points, rng), daemon=True)
    writers = [threading.Thread(target=run.writer, args=(n,)) for n in range(CLIENTS)]
    killer.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    killer.join(timeout=120)
    server.stop()
    elapsed = time.perf_counter() - started

    visits = {a.ident for a in run.acks if a.kind == "visit"}
    outcomes = {(a.patient, a.ident) for a in run.acks if a.kind == "outcome"}
    stored_visits = {
        str(t)
        for t in Visit.objects.filter(patient_id__in=patients).values_list(
            "submit_token", flat=True
        )
    }
    stored_outcomes = {
        (p, taken.astimezone(dt.UTC).isoformat())
        for p, taken in Outcome.objects.filter(patient_id__in=patients).values_list(
            "patient_id", "taken"
        )
    }
    found = len(visits & stored_visits) + len(outcomes & stored_outcomes)
    events = list(
        AuditEvent.objects.filter(
            what__in=["api:create_visit", "api:create_outcome"],
            status=201,
            patient_id__in=patients,
        ).values_list("what", "patient_id", "at")
    )
    audit_missing = match_audit(run.acks, events)
    # every stored record has its first version (written in the same transaction as it)
    stored_ids = {
        "visit": set(
            Visit.all_objects.filter(patient_id__in=patients).values_list("pk", flat=True)
        ),
        "outcome": set(
            Outcome.all_objects.filter(patient_id__in=patients).values_list("pk", flat=True)
        ),
    }
    unversioned = sum(
        len(ids - set(
            RecordVersion.objects.filter(kind=kind, record_id__in=ids, action="created")
            .values_list("record_id", flat=True)
        ))
        for kind, ids in stored_ids.items()
    )  # fmt: skip
    chain = verify_chain()
    stored = len(stored_visits) + len(stored_outcomes)

    report.add("kills (SIGKILL to gunicorn's process group)", run.kills, minimum=KILLS)
    report.add("writes attempted", run.attempted)
    report.add("acknowledged (201)", len(run.acks))
    report.add("acknowledged and found", found)
    report.add("missing (acknowledged, not stored)", len(run.acks) - found, zero=True)
    report.add("audit events missing", audit_missing, zero=True)
    report.add("stored records without their first version (history)", unversioned, zero=True)
    report.add("audit chain events verified", chain.events)
    report.add("audit chain broken", 0 if chain.intact else 1, zero=True)
    report.add("stored without an acknowledgement (in flight at a kill)", stored - found)
    report.add(
        "stored records without any audit event (unacknowledged, killed before auditing)",
        max(0, stored - len(events)),
    )
    report.add("writes cut off by a kill (no answer)", run.failed_connections)
    report.add("error answers (not 201)", len(run.bad_answers), zero=True)
    report.add("server tracebacks in the log", server.tracebacks())
    report.add("seconds", round(elapsed, 1))
    others = Counter(
        AuditEvent.objects.exclude(
            what__in=["api:create_visit", "api:create_outcome"], status=201
        ).values_list("what", "status")
    )
    if others:
        report.note(
            "other audit events: " + ", ".join(f"{w} {s} ×{n}" for (w, s), n in others.items())
        )
    if not chain.intact:
        report.note(f"chain broken at {chain.broken_at}: {chain.problem}")
    for line in run.bad_answers[:5]:
        report.note(f"error answer: {json.dumps(line)[:400]}")
    report.emit()
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
