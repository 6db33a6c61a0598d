"""Booking (issue 15): twenty clients book the same slot at once through the JSON API, round
after round; in every round exactly one succeeds (201) and the others get 409 naming it, never
a 5xx, never two appointments holding one clinician's time.

How: gunicorn (two sync workers) on SQLite (WAL, IMMEDIATE transactions), or PostgreSQL with
``postgres`` as argument. Each round has a new slot (the clinician's time, one hour apart);
twenty patients, one client each, wait at a barrier and post ``POST /api/v1/appointments`` for
the same start at once. The booking action locks the clinic's row before it looks for a clash.

Size: ``RELIABILITY_BOOKING_ROUNDS`` (ci 5, full 50) for 20 clients
(``RELIABILITY_BOOKING_CLIENTS``).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import sys
import threading
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ApiClient, Server, make_clinic, open_backend, run_clients, scaled

ROUNDS = scaled(5, 50, "RELIABILITY_BOOKING_ROUNDS")
CLIENTS = scaled(20, 20, "RELIABILITY_BOOKING_CLIENTS")
FIRST = dt.datetime(2030, 1, 7, 0, 0, tzinfo=dt.UTC)


def main() -> int:
    report, backend, path = open_backend("booking")
    if path is None:
        return 0
    from bench_web import free_port
    from django.db import connections

    from weizhong.clinic.actions import do_create_api_token
    from weizhong.clinic.models import Appointment

    clinic, doc, f = make_clinic("Booking")
    patients = [f.make_patient(clinic, given_name=f"P{n}").pk for n in range(CLIENTS)]
    token = do_create_api_token(user=doc, name="booking")[1]
    username = doc.get_username()
    connections.close_all()

    server = Server(free_port(), path / "gunicorn.log")
    server.start()
    barrier = threading.Barrier(CLIENTS)
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    winners: Counter[int] = Counter()  # round → 201 answers
    wrong_clash = 0
    errors: list[str] = []

    def client(number: int) -> None:
        nonlocal wrong_clash
        api = ApiClient(server.port, token)
        try:
            for round_ in range(ROUNDS):
                start = FIRST + dt.timedelta(hours=round_)
                body = {
                    "patient": patients[number], "clinician": username,
                    "start": start.isoformat(), "minutes": 45, "kind": "follow_up",
                }  # fmt: skip
                barrier.wait()
                try:
                    status, _headers, payload = api.request("POST", "/api/v1/appointments", body)
                except (OSError, http.client.HTTPException) as error:
                    with lock:
                        errors.append(f"client {number} round {round_}: {error!r}")
                    continue
                with lock:
                    statuses[status] += 1
                    if status == 201:
                        winners[round_] += 1
                    elif status == 409:
                        if "appointment" not in json.loads(payload):
                            wrong_clash += 1
                    else:
                        errors.append(f"client {number} round {round_}: {status} {payload[:200]!r}")
        finally:
            api.close()

    print(f"booking ({backend}): {CLIENTS} clients × {ROUNDS} rounds on one slot each", flush=True)
    elapsed = run_clients(client, CLIENTS)
    server.stop()

    stored = Appointment.objects.filter(clinic=clinic).count()
    rounds_not_one = sum(1 for r in range(ROUNDS) if winners[r] != 1)
    report.add("clients", CLIENTS)
    report.add("rounds", ROUNDS)
    report.add("rounds without exactly one booking", rounds_not_one, zero=True)
    report.add("appointments stored minus rounds", abs(stored - ROUNDS), zero=True)
    report.add("409 answers without the clashing appointment", wrong_clash, zero=True)
    report.add("5xx answers", sum(n for s, n in statuses.items() if s >= 500), zero=True)
    report.add("other errors", len(errors), zero=True)
    report.add(
        '"database is locked" in the server log', server.log_mentions("is locked"), zero=True
    )
    report.add("server tracebacks in the log", server.tracebacks(), zero=True)
    report.add("requests", sum(statuses.values()))
    report.add("seconds", round(elapsed, 1))
    for text in errors[:5]:
        report.note(text)
    report.emit()
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
