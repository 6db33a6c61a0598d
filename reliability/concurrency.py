"""Concurrency: twenty clients edit the same visit note at once, round after round, through the
JSON API's optimistic locking; zero lost updates, zero "database is locked", no 5xx at all.

How: gunicorn (two sync workers) on SQLite (WAL, IMMEDIATE transactions), or PostgreSQL with
``postgres`` as argument. Each client, each round: ``GET /api/v1/visits/{id}`` (the note and its
``ETag``), then ``PUT /api/v1/visits/{id}/note`` with ``If-Match`` and the note with one unique
line (client and round) appended to ``subjective``. 200 acknowledges the line; 412 means
someone saved first: re-read and try again (after a short random back-off). Anything else is
an error, and any 5xx fails the part.

A note holds at most 20,000 characters per field (the API's limit), so the rounds run in
phases of ``PHASE`` rounds, each phase on a fresh visit that all twenty clients share; the
clients wait for each other at the end of each phase (a barrier).

Checks, per visit: every acknowledged line is in the final note (no lost update) and the note's
version is its first version plus the number of acknowledged saves (no save slipped through
without a version); gunicorn's log has no traceback and no "database is locked".

Size: ``RELIABILITY_CONCURRENCY_ROUNDS`` (ci 20, full 1,000) for 20 clients
(``RELIABILITY_CONCURRENCY_CLIENTS``).
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ApiClient,
    Server,
    make_clinic,
    open_backend,
    run_clients,
    scaled,
)

ROUNDS = scaled(20, 1_000, "RELIABILITY_CONCURRENCY_ROUNDS")
CLIENTS = scaled(20, 20, "RELIABILITY_CONCURRENCY_CLIENTS")
PHASE = 40
FIELDS = ("subjective", "objective", "assessment", "plan")


class Editors:
    def __init__(self, port: int, token: str, visits: list[int]) -> None:
        self.port = port
        self.token = token
        self.visits = visits
        self.barrier = threading.Barrier(CLIENTS)
        self.lock = threading.Lock()
        self.acked: dict[int, list[str]] = {v: [] for v in visits}
        self.statuses: Counter[int] = Counter()
        self.retries = 0
        self.errors: list[str] = []
        self.connection_errors = 0

    def client(self, number: int) -> None:
        rng = random.Random(number)
        api = ApiClient(self.port, self.token)
        try:
            for phase, visit in enumerate(self.visits):
                first = phase * PHASE
                for round_ in range(first, min(first + PHASE, ROUNDS)):
                    self.one_round(api, visit, f"c{number:02d}r{round_:04d}", rng)
                self.barrier.wait()
        finally:
            api.close()

    def one_round(self, api: ApiClient, visit: int, line: str, rng: random.Random) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                status, headers, body = api.request("GET", f"/api/v1/visits/{visit}")
                self.count(status)
                if status != 200:
                    self.error(f"GET {status}: {body[:300]!r}")
                    return
                note = json.loads(body)["note"]
                edited = {name: note[name] for name in FIELDS}
                edited["subjective"] = f"{note['subjective']}\n{line}"
                status, _headers, body = api.request(
                    "PUT", f"/api/v1/visits/{visit}/note", edited, {"If-Match": headers["etag"]}
                )
                self.count(status)
            except (OSError, http.client.HTTPException) as error:
                with self.lock:
                    self.connection_errors += 1
                self.error(f"connection: {error}")
                time.sleep(0.1)
                continue
            if status == 200:
                with self.lock:
                    self.acked[visit].append(line)
                return
            if status == 412:
                with self.lock:
                    self.retries += 1
                time.sleep(rng.uniform(0, min(0.01 * 2**attempt, 0.25)))
                continue
            self.error(f"PUT {status}: {body[:300]!r}")
            return

    def count(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def main() -> int:
    report, backend, path = open_backend("concurrency")
    if path is None:
        return 0
    from bench_web import free_port
    from django.db import connections

    from weizhong.clinic.actions import do_create_api_token
    from weizhong.clinic.models import Note

    clinic, doc, f = make_clinic("Concurrency")
    patient = f.make_patient(clinic)
    plan = f.make_plan(f.make_exam(patient, doc), doc)
    phases = -(-ROUNDS // PHASE)
    visits = [f.make_visit(patient, plan, doc).pk for _n in range(phases)]
    first_version = {v: Note.objects.get(visit_id=v).version for v in visits}
    token = do_create_api_token(user=doc, name="concurrency")[1]
    connections.close_all()

    server = Server(free_port(), path / "gunicorn.log")
    server.start()
    editors = Editors(server.port, token, visits)
    print(
        f"concurrency ({backend}): {CLIENTS} clients × {ROUNDS} rounds on {phases} visit "
        f"note(s), {PHASE} rounds each",
        flush=True,
    )
    elapsed = run_clients(editors.client, CLIENTS)
    server.stop()

    lost = 0
    version_mismatch = 0
    for visit in visits:
        note = Note.objects.get(visit_id=visit)
        lines = set(note.subjective.splitlines())
        lost += sum(1 for line in editors.acked[visit] if line not in lines)
        if note.version != first_version[visit] + len(editors.acked[visit]):
            version_mismatch += 1
            report.note(
                f"visit {visit}: version {note.version}, expected "
                f"{first_version[visit] + len(editors.acked[visit])}"
            )
    acked = sum(len(lines) for lines in editors.acked.values())
    server_errors = sum(n for status, n in editors.statuses.items() if status >= 500)
    requests = sum(editors.statuses.values())
    report.add("clients", CLIENTS)
    report.add("rounds", ROUNDS)
    report.add("acknowledged", acked, minimum=CLIENTS * ROUNDS)
    report.add("retries (412)", editors.retries)
    report.add("lost updates", lost, zero=True)
    report.add("notes whose version ≠ first + acknowledged", version_mismatch, zero=True)
    report.add("5xx answers", server_errors, zero=True)
    report.add("other errors", len(editors.errors), zero=True)
    report.add(
        '"database is locked" in the server log', server.log_mentions("is locked"), zero=True
    )
    report.add("server tracebacks in the log", server.tracebacks(), zero=True)
    report.add("requests", requests)
    report.add("requests per second", round(requests / elapsed, 1))
    report.add("seconds", round(elapsed, 1))
    for text in editors.errors[:5]:
        report.note(text)
    report.emit()
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
