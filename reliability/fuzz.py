"""API fuzzing: at least 10,000 requests (CI: ~1,000) against the API's own OpenAPI schema,
zero server errors.

How: schemathesis 4 loads ``/api/v1/openapi.json`` from the WSGI application in-process (as
``tests/clinic/test_api_fuzz.py`` does) and generates requests for every operation, valid ones
(positive mode) and ones that break the schema (negative mode), with a clinician's bearer
token, on a fresh SQLite database holding two clinics with real patients, exams, plans and
visits (so small generated ids reach real records). The WSGI application is wrapped to count
the requests it actually served and their 5xx answers; Django's ``django.request`` log is
captured so that a server error's traceback is printed. Passes with new hypothesis seeds run
until the target number of requests is reached.

Size: ``RELIABILITY_FUZZ_REQUESTS`` (default 1,000 at ci scale, 10,000 at full).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, data_dir, fixtures, scaled, setup_django

TARGET = scaled(1_000, 10_000, "RELIABILITY_FUZZ_REQUESTS")


class CountingApp:
    """The WSGI application, counting requests and server errors (by operation)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.requests = 0
        self.errors = 0
        self.by_status: Counter[int] = Counter()
        self.failing: Counter[str] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.requests += 1

        def counted(status: str, headers: Any, exc_info: Any = None) -> Any:
            code = int(status.split()[0])
            self.by_status[code] += 1
            if code >= 500:
                self.errors += 1
                self.failing[f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"] += 1
            return start_response(status, headers, exc_info)

        return self.app(environ, counted)


class Tracebacks(logging.Handler):
    """Keeps the first few server-error tracebacks Django logs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.seen) < 5:
            self.seen.append(self.format(record))


def seed_data() -> str:
    """Two clinics with records; the token of clinic A's clinician."""
    from weizhong.clinic.actions import do_create_api_token, do_create_clinic
    from weizhong.clinic.models import Staff

    f = fixtures()
    token = ""
    for slug in ("riverside", "hillside"):
        clinic = do_create_clinic(name=slug.title(), slug=slug)
        doc = f.make_staff(clinic, f"{slug}-doc", Staff.CLINICIAN)
        for n in range(3):
            patient = f.make_patient(clinic, given_name=f"P{n}")
            plan = f.make_plan(f.make_exam(patient, doc), doc)
            f.make_visit(patient, plan, doc, needle_minutes=20, contact_minutes=20)
        if not token:
            token = do_create_api_token(user=doc, name="fuzz")[1]
    return token


def main() -> int:
    report = Report("fuzz")
    setup_django(data_dir("fuzz"))
    import schemathesis
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    from weizhong.site.wsgi import application

    # Requests reach the app directly: keep the one connection (as the pytest fixture does).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    captured = Tracebacks()
    logging.getLogger("django.request").addHandler(captured)
    logging.getLogger("django.request").setLevel(logging.ERROR)
    logging.getLogger("django.request").propagate = False

    token = seed_data()
    app = CountingApp(application)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    headers = {"Authorization": f"Bearer {token}"}
    print(f"fuzz: {len(operations)} operations, target {TARGET:,} requests", flush=True)
    started = time.perf_counter()
    passes = 0
    app.requests = app.errors = 0
    app.by_status.clear()
    while app.requests < TARGET and passes < 40:
        passes += 1
        remaining = TARGET - app.requests
        per_operation = max(5, remaining // (2 * len(operations)) + 1)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for operation in operations:
                strategy = operation.as_strategy(generation_mode=mode)

                @given(case=strategy)
                @settings(
                    max_examples=per_operation,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    database=None,
                    derandomize=False,
                )
                def fuzz_one(case: Any) -> None:
                    case.call(headers=headers)

                # Unsatisfiable: e.g. no way to break a schema without parameters
                with contextlib.suppress(Unsatisfiable):
                    fuzz_one()
        print(
            f"fuzz: pass {passes}: {app.requests:,} requests, {app.errors} server errors, "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
    report.add("requests made", app.requests, minimum=TARGET)
    report.add("server errors (5xx)", app.errors, zero=True)
    report.add(
        "answers by status",
        ", ".join(f"{code}: {n}" for code, n in sorted(app.by_status.items())),
    )
    for where, n in app.failing.most_common(10):
        report.note(f"server error ×{n}: {where}")
    for text in captured.seen:
        print(text)
    report.emit()
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
