"""Benchmark: the clinic web application under load, on gunicorn with two workers.

Target (issue: "make bench"): with a clinic of 10,000 patients and about 200,000 visits, served by
gunicorn with two sync workers, eight concurrent clients see the dashboard, the patient chart and
the exam save answer at p95 under 150 ms.

What it does:

1. seeds a load-test clinic (``weizhong seed --patients N``) into a data dir of its own, or reuses
   one already there with at least N patients (SQLite in the data dir, or ``DATABASE_URL``);
2. adds a benchmark clinician with a password to that clinic and picks sample patients;
3. counts the SQL queries of the dashboard and the chart in-process (Django's test client on the
   same database): the count must not grow with the clinic, only with one patient's history;
4. starts gunicorn on a free local port, logs in eight client threads (keep-alive
   ``http.client`` connections; gunicorn's sync workers close them, the client reconnects) and
   runs the requests in one shuffled queue, as a clinic's day mixes them:
   ``GET /`` (dashboard), ``GET /patients/<id>/`` (chart) and the exam save, whose form
   ``GET`` is not timed and whose ``POST`` of the bundled runner's 35 findings must answer 302
   to ``/exams/<id>/``. ``BENCH_WEB_MODE=phased`` measures the endpoints one after the other.

How to read it: the times are seen by the clients, so they include the wait for a free worker
(eight clients, two workers) and the load generator shares the machine's cores with the server.
p95 is the figure the target speaks of; p99 and max show the tail; throughput is requests of the
endpoint per second of the run. An error is any other status (the first body is printed).

Settings (environment): ``BENCH_PATIENTS`` (10000), ``BENCH_WEB_REQUESTS`` per endpoint (400),
``BENCH_WEB_DIR`` (/tmp/weizhong-bench-web), ``BENCH_WEB_MODE`` (mixed or phased),
``BENCH_WEB_CLIENTS`` (8; 1 shows the service time without queueing),
``DATABASE_URL`` (PostgreSQL), ``BENCH_ADVISORY=1`` (report only, always exit 0),
``BENCH_WEB_ONLY=htmx`` (only the htmx interactions, ``htmx_interactions.py``: server time
in-process, target p95 under 100 ms; ``BENCH_HTMX_REQUESTS``, ``BENCH_HTMX_PATIENTS``; then the
handout and the browser's INP figures), ``BENCH_WEB_ONLY=inp`` (only the interaction-to-next-
paint figures in chromium, ``inp_journey.py``, advisory; ``BENCH_INP_ROUNDS``).
Exit status: 0 when every p95 is under the target, 1 otherwise.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import queue
import random
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "weizhong" / "examples" / "runner_tight_hamstrings.json"
DATA_DIR = Path(os.environ.get("BENCH_WEB_DIR") or "/tmp/weizhong-bench-web").resolve()
PATIENTS = int(os.environ.get("BENCH_PATIENTS", "10000"))
REQUESTS = int(os.environ.get("BENCH_WEB_REQUESTS", "400"))
MODE = os.environ.get("BENCH_WEB_MODE", "mixed")
ADVISORY = os.environ.get("BENCH_ADVISORY") == "1"
CLIENTS = int(os.environ.get("BENCH_WEB_CLIENTS", "8"))  # the target speaks of eight
WORKERS = 2
WARMUP_ROUNDS = 2
SAMPLE_PATIENTS = 500
TARGET_P95_MS = 150.0
USERNAME = "bench-web-clinician"
PASSWORD = "bench-web-clinician-password"  # a throwaway load-test account
ENDPOINTS = ("dashboard", "patient chart", "exam save")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
EXAM_URL = re.compile(r"^/exams/\d+/$")


# ------------------------------------------------------------------------------ environment


def server_env() -> dict[str, str]:
    """The environment of the seed, the server and this process's Django: the bench's data dir,
    the same ``DATABASE_URL``, never debug pages."""
    env = dict(os.environ)
    env["WEIZHONG_DATA_DIR"] = str(DATA_DIR)
    env["DJANGO_SETTINGS_MODULE"] = "weizhong.site.settings"
    env["WEIZHONG_DEBUG"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def setup_django() -> None:
    os.environ.update(server_env())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def database_label() -> str:
    from django.conf import settings

    engine = str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1]
    return f"{engine} ({settings.DATABASES['default']['NAME']})"


# ---------------------------------------------------------------------------------- seeding


@dataclass(frozen=True)
class Clinic:
    pk: int
    slug: str
    patients: int
    visits: int


def load_clinic(wanted: int) -> Clinic | None:
    """The smallest load-test clinic with at least ``wanted`` patients, if one was seeded."""
    from django.db.models import Count

    from weizhong.clinic.models import Clinic as ClinicModel
    from weizhong.clinic.models import Visit

    found = (
        ClinicModel.objects.filter(slug__startswith="load-")
        .annotate(n=Count("patients"))
        .filter(n__gte=wanted)
        .order_by("n", "pk")
        .first()
    )
    if found is None:
        return None
    visits = Visit.objects.filter(patient__clinic=found).count()
    return Clinic(found.pk, found.slug, found.n, visits)


def seed(wanted: int) -> Clinic:
    from django.db import connections

    if (clinic := load_clinic(wanted)) is not None:
        print(
            f"reused clinic {clinic.slug}: {clinic.patients:,} patients, "
            f"{clinic.visits:,} visits (seeded by an earlier run; delete {DATA_DIR} to reseed)"
        )
        return clinic
    connections.close_all()
    print(f"seeding {wanted:,} patients…", flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "weizhong.cli", "seed", "--patients", str(wanted)],
        env=server_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    print(f"  {done.stdout.strip()}")
    slug = re.search(r"\((load-[0-9a-f]+)\)", done.stdout)
    clinic = load_clinic(wanted)
    if clinic is None or slug is None or clinic.slug != slug.group(1):
        raise SystemExit(f"the seed did not leave the clinic it announced: {done.stdout!r}")
    print(
        f"seed: {elapsed:.1f} s wall (with start-up and migrations): "
        f"{clinic.patients:,} patients, {clinic.visits:,} visits"
    )
    return clinic


def bench_user(clinic: Clinic) -> Any:
    """The benchmark clinician of ``clinic``, with the known password."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from weizhong.clinic.models import Staff

    with transaction.atomic():
        user, _created = User.objects.get_or_create(
            username=USERNAME, defaults={"first_name": "Bench", "last_name": "Clinician"}
        )
        user.set_password(PASSWORD)
        user.save()
        Staff.objects.update_or_create(
            user=user, defaults={"clinic_id": clinic.pk, "role": Staff.CLINICIAN}
        )
    return user


def sample_patients(clinic: Clinic, count: int) -> list[int]:
    from weizhong.clinic.models import Patient

    ids = list(Patient.objects.filter(clinic_id=clinic.pk).values_list("pk", flat=True))
    return random.Random(20261125).sample(ids, min(count, len(ids)))


# ------------------------------------------------------------------------------- exam form


def exam_fields() -> list[tuple[str, str]]:
    """The bundled runner example as the exam form posts it: booleans as yes/no, lists as
    repeated fields, empty lists left out (not examined)."""
    findings = json.loads(EXAMPLE.read_text())["findings"]
    out: list[tuple[str, str]] = []
    for name, value in findings.items():
        if isinstance(value, bool):
            out.append((name, "yes" if value else "no"))
        elif isinstance(value, list):
            out.extend((name, str(v)) for v in value)
        else:
            out.append((name, str(value)))
    return out


def varied(fields: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """The same exam with the measured angles a few degrees apart, as a real re-exam."""
    return [
        (name, str(int(value) + rng.randint(-4, 4)) if name.endswith("_deg") else value)
        for name, value in fields
    ]


def check_exam_form(fields: list[tuple[str, str]]) -> int:
    """The findings the form accepts (fails loudly if the example no longer fits the form)."""
    from django.http import QueryDict

    from weizhong.clinic.web.forms import ExamForm

    data = QueryDict(mutable=True)
    for name, value in fields:
        data.appendlist(name, value)
    form = ExamForm(data)
    unknown = sorted({name for name, _v in fields} - set(form.fields))
    if unknown or not form.is_valid():
        raise SystemExit(f"the exam form refuses the example: {unknown or form.errors}")
    return len(form.findings())


# ------------------------------------------------------------------------- query counting


def query_counts(user: Any, patients: list[int]) -> None:
    """SQL queries per page, in-process against the same database."""
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from weizhong.clinic.models import Patient

    client = Client()
    client.force_login(user)
    histories = (
        Patient.objects.filter(pk__in=patients[:50])
        .annotate(v=Count("visits"))
        .order_by("v", "pk")
        .values_list("pk", "v")
    )
    fewest, most = histories[0], histories[len(histories) - 1]
    pages = [
        ("dashboard", "/"),
        (f"patient chart ({fewest[1]} visits)", f"/patients/{fewest[0]}/"),
        (f"patient chart ({most[1]} visits)", f"/patients/{most[0]}/"),
    ]
    print("SQL queries per page (in-process, Django test client, same database):")
    for label, url in pages:
        client.get(url)  # caches filled, as on a warm worker
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        print(
            f"  {label:<34} {len(captured.captured_queries):>3} queries  ({response.status_code})"
        )


# ---------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gunicorn(port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn with two sync workers on ``port``, stopped whatever happens (Ctrl-C too)."""
    command = [
        sys.executable, "-m", "gunicorn", "weizhong.site.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
        "--log-level", "warning", "--timeout", "60",
    ]  # fmt: skip
    with log.open("wb") as handle:
        server = subprocess.Popen(
            command, env=server_env(), cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_healthy(server, port, log)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_healthy(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer /healthz in 60 s:\n{log.read_text()[-3000:]}")


# ---------------------------------------------------------------------------------- client


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str


class Browser:
    """One clinician's browser: a keep-alive connection (reopened when the server closes it)
    and a cookie jar (session and CSRF)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> Answer:
        headers = {"Host": "127.0.0.1", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()  # the server closed an idle connection: once more, on a new one
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for raw in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        return Answer(response.status, response.headers, text)

    def csrf(self, page: Answer) -> str:
        found = CSRF_INPUT.search(page.body)
        if found is None:
            raise RuntimeError(f"no CSRF token in a {page.status} page:\n{page.body[:500]}")
        return found.group(1)

    def login(self) -> None:
        form = self.request("GET", "/login/")
        answer = self.request(
            "POST",
            "/login/",
            [
                ("csrfmiddlewaretoken", self.csrf(form)),
                ("username", USERNAME),
                ("password", PASSWORD),
                ("next", "/"),
            ],
        )
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login failed ({answer.status}):\n{answer.body[:500]}")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: {e: [] for e in ENDPOINTS})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENDPOINTS, 0))
    first_error: str = ""
    elapsed: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, endpoint: str, seconds: float | None, error: str | None) -> None:
        with self.lock:
            if seconds is not None:  # None: failed before the timed request
                self.times[endpoint].append(seconds)
            if error is not None:
                self.errors[endpoint] += 1
                if not self.first_error:
                    self.first_error = f"{endpoint}: {error}"


class Task:
    """One timed request of an endpoint, on one of the sample patients."""

    def __init__(self, endpoint: str, patient: int, form: list[tuple[str, str]]) -> None:
        self.endpoint = endpoint
        self.patient = patient
        self.form = form

    def run(self, browser: Browser) -> tuple[float | None, str | None]:
        if self.endpoint == "dashboard":
            return timed(browser, "GET", "/", None, ok_page)
        if self.endpoint == "patient chart":
            return timed(browser, "GET", f"/patients/{self.patient}/", None, ok_page)
        url = f"/patients/{self.patient}/exam/"
        page = browser.request("GET", url)  # not timed: the clinician fills the form meanwhile
        if page.status != 200:
            return None, f"GET {url} answered {page.status}:\n{page.body[:2000]}"
        form = [
            ("csrfmiddlewaretoken", browser.csrf(page)),
            ("submit_token", str(uuid.uuid4())),
            *self.form,
        ]
        return timed(browser, "POST", url, form, saved_exam)


def ok_page(answer: Answer) -> bool:
    return answer.status == 200


def saved_exam(answer: Answer) -> bool:
    return answer.status == 302 and bool(EXAM_URL.match(answer.headers.get("Location", "")))


def timed(
    browser: Browser,
    method: str,
    path: str,
    form: list[tuple[str, str]] | None,
    ok: Callable[[Answer], bool],
) -> tuple[float, str | None]:
    started = time.perf_counter()
    answer = browser.request(method, path, form)
    seconds = time.perf_counter() - started
    if ok(answer):
        return seconds, None
    where = answer.headers.get("Location", "")
    return seconds, f"{method} {path} answered {answer.status} {where}\n{answer.body[:2000]}"


def tasks_for(endpoints: tuple[str, ...], patients: list[int], count: int) -> list[Task]:
    rng = random.Random(7)
    base = exam_fields()
    tasks = [
        Task(e, rng.choice(patients), varied(base, rng) if e == "exam save" else [])
        for e in endpoints
        for _n in range(count)
    ]
    rng.shuffle(tasks)
    return tasks


def run_clients(
    browsers: list[Browser], tasks: list[Task], results: Results | None, label: str
) -> float:
    """The tasks across the browsers, each browser one thread; returns the wall time."""
    from weizhong.progress import Progress

    work: queue.SimpleQueue[Task] = queue.SimpleQueue()
    for task in tasks:
        work.put(task)
    progress = Progress(len(tasks), label)
    done = [0]
    failures: list[BaseException] = []
    lock = threading.Lock()

    def client(browser: Browser) -> None:
        while True:
            try:
                task = work.get_nowait()
            except queue.Empty:
                return
            try:
                seconds, error = task.run(browser)
            except (OSError, http.client.HTTPException, RuntimeError) as exc:
                seconds, error = None, f"{type(exc).__name__}: {exc}"
                browser.conn.close()
            if results is not None:
                results.record(task.endpoint, seconds, error)
            elif error is not None:
                with lock:
                    failures.append(RuntimeError(error))
            with lock:
                done[0] += 1
                progress.update(done[0])

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(b,), daemon=True) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    progress.update(len(tasks), final=True)
    if failures:
        raise SystemExit(f"warm-up failed: {failures[0]}")
    return elapsed


# --------------------------------------------------------------------------------- report


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def report(results: Results) -> bool:
    print()
    print(f"{'endpoint':<14} {'requests':>8} {'errors':>6} {'p50':>7} {'p95':>7} {'p99':>7} "
          f"{'max':>7} {'req/s':>7}   ms; target p95 < {TARGET_P95_MS:.0f} ms")  # fmt: skip
    met = True
    verdicts = []
    for endpoint in ENDPOINTS:
        times = [t * 1000 for t in results.times[endpoint]]
        if not times:
            continue
        elapsed = results.elapsed.get(endpoint) or results.elapsed["all"]
        p95 = percentile(times, 95)
        passed = p95 < TARGET_P95_MS and results.errors[endpoint] == 0
        met = met and passed
        verdicts.append(f"{endpoint} {'PASS' if passed else 'FAIL'}")
        print(
            f"{endpoint:<14} {len(times):>8} {results.errors[endpoint]:>6} "
            f"{percentile(times, 50):>7.1f} {p95:>7.1f} {percentile(times, 99):>7.1f} "
            f"{max(times):>7.1f} {len(times) / elapsed:>7.1f}"
        )
    if "all" in results.elapsed:
        total = sum(len(t) for t in results.times.values())
        print(f"{'all':<14} {total:>8} {'':>6} {'':>7} {'':>7} {'':>7} {'':>7} "
              f"{total / results.elapsed['all']:>7.1f}")  # fmt: skip
    print(f"target p95 < {TARGET_P95_MS:.0f} ms, no errors: " + ", ".join(verdicts))
    if results.first_error:
        print(f"\nfirst error: {results.first_error}")
    return met


# ----------------------------------------------------------------------------------- main


def main() -> int:
    if MODE not in ("mixed", "phased"):
        raise SystemExit("BENCH_WEB_MODE is mixed or phased")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    setup_django()
    print(f"data dir {DATA_DIR}, database {database_label()}")
    clinic = seed(PATIENTS)
    user = bench_user(clinic)
    patients = sample_patients(clinic, SAMPLE_PATIENTS)
    findings = check_exam_form(exam_fields())
    print(f"exam save posts {findings} findings of {EXAMPLE.name}")
    query_counts(user, patients)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import htmx_interactions
    import inp_journey
    from handout_figure import handout_times

    only = os.environ.get("BENCH_WEB_ONLY")
    if only == "inp":
        inp_journey.run(user, patients, gunicorn, free_port(), DATA_DIR / "gunicorn-inp.log")
        return 0
    htmx_met = htmx_interactions.run(user, patients)
    handout_met = handout_times(user, patients)
    # advisory (a browser on the same shared machine): printed, never a failed target
    inp_journey.run(user, patients, gunicorn, free_port(), DATA_DIR / "gunicorn-inp.log")
    if only == "htmx":
        return 0 if (htmx_met and handout_met) or ADVISORY else 1
    from django.db import connections

    connections.close_all()

    log = DATA_DIR / "gunicorn.log"
    port = free_port()
    results = Results()
    with gunicorn(port, log):
        print(f"\ngunicorn: {WORKERS} workers on 127.0.0.1:{port} (log {log}); "
              f"{CLIENTS} clients, {REQUESTS} requests per endpoint, {MODE}")  # fmt: skip
        # Anything else running shares the cores with the server: say how busy they were.
        print(f"load average before the run: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
        browsers = [Browser(port) for _n in range(CLIENTS)]
        for browser in browsers:
            browser.login()
        run_clients(browsers, tasks_for(ENDPOINTS, patients, CLIENTS * WARMUP_ROUNDS), None,
                    "warm-up requests")  # fmt: skip
        if MODE == "mixed":
            tasks = tasks_for(ENDPOINTS, patients, REQUESTS)
            results.elapsed["all"] = run_clients(browsers, tasks, results, "requests")
        else:
            for endpoint in ENDPOINTS:
                tasks = tasks_for((endpoint,), patients, REQUESTS)
                results.elapsed[endpoint] = run_clients(browsers, tasks, results, endpoint)
        for browser in browsers:
            browser.close()
    server_errors = log.read_text(errors="replace").count("Traceback")
    met = report(results) and htmx_met
    print(f"server tracebacks in {log.name}: {server_errors}")
    if met and handout_met and server_errors == 0:
        return 0
    if ADVISORY:
        print("advisory: a target was missed (BENCH_ADVISORY=1, exit status 0)")
        return 0
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
