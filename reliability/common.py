"""Shared pieces of ``make reliability``: the scale, the figures each part reports, Django set-up
in a throwaway data dir, the fixtures of ``tests/clinic/conftest.py``, and a gunicorn server
that can be killed and restarted (the helpers of ``bench/bench_web.py`` are reused).

Every part runs in a process of its own (``run.py`` starts them), because Django is set up once
per process and each part wants a database of its own. A part ends by printing one line
``RELIABILITY-FIGURES {json}`` that ``run.py`` collects into the final table.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARKER = "RELIABILITY-FIGURES "
SCALE = os.environ.get("RELIABILITY_SCALE", "full")
if SCALE not in ("ci", "full"):
    raise SystemExit("RELIABILITY_SCALE is ci or full")
CI = SCALE == "ci"

for _path in (str(ROOT), str(ROOT / "bench")):
    if _path not in sys.path:
        sys.path.insert(0, _path)


def scaled(ci: int, full: int, env: str | None = None) -> int:
    """A size for the current scale; ``env`` (when set in the environment) overrides both."""
    if env and os.environ.get(env):
        return int(os.environ[env])
    return ci if CI else full


@dataclass
class Figure:
    """One printed figure. ``zero`` marks a must-be-zero figure (FAIL when it is not 0);
    ``minimum`` a figure that must reach a size (FAIL below it); neither: information."""

    part: str
    name: str
    value: float | int | str
    zero: bool = False
    minimum: float | None = None

    @property
    def verdict(self) -> str:
        if self.zero:
            return "PASS" if self.value == 0 else "FAIL"
        if self.minimum is not None and isinstance(self.value, int | float):
            return "PASS" if self.value >= self.minimum else "FAIL"
        return ""


@dataclass
class Report:
    """The figures of one part, printed as they are added and emitted for ``run.py``."""

    part: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        value: float | int | str,
        *,
        zero: bool = False,
        minimum: float | None = None,
    ) -> None:
        figure = Figure(self.part, name, value, zero, minimum)
        self.figures.append(figure)
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        print(f"  {self.part}: {name}: {shown} {figure.verdict}".rstrip(), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  {self.part}: NOTE {text}", flush=True)

    def emit(self) -> None:
        payload = {"figures": [asdict(f) for f in self.figures], "notes": self.notes}
        print(MARKER + json.dumps(payload), flush=True)

    @property
    def failed(self) -> bool:
        return any(f.verdict == "FAIL" for f in self.figures)


# ------------------------------------------------------------------------------- Django


def data_dir(name: str) -> Path:
    """A fresh data dir for one part (removed first, so every run starts empty)."""
    base = Path(os.environ.get("RELIABILITY_DIR") or tempfile.gettempdir()) / "weizhong-rel"
    path = (base / name).resolve()
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def use_data_dir(path: Path) -> None:
    """Point this process (and the servers it starts) at ``path``; set before Django starts.
    ``BENCH_WEB_DIR`` makes bench_web's ``server_env()`` use the same data dir."""
    os.environ["WEIZHONG_DATA_DIR"] = str(path)
    os.environ["BENCH_WEB_DIR"] = str(path)
    os.environ["DJANGO_SETTINGS_MODULE"] = "weizhong.site.settings"
    os.environ["WEIZHONG_DEBUG"] = "0"


class CdsSigner:
    """A CDS client (EHR) the clinic trusts, for the parts that call CDS Hooks: an ES384 key
    pair, a trusted-clients file naming it in ``path`` (``WEIZHONG_CDS_CLIENTS``, set before
    Django starts), and a fresh signed token for each call."""

    ISS = "https://reliability-ehr.invalid"

    def __init__(self, path: Path) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key = ec.generate_private_key(ec.SECP384R1())
        public = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        clients = path / "cds-clients.toml"
        clients.write_text(
            f'[[client]]\niss = "{self.ISS}"\nname = "Reliability EHR"\n'
            f'public_key = """\n{public.decode()}"""\n'
        )
        os.environ["WEIZHONG_CDS_CLIENTS"] = str(clients)

    def token(self, path: str, base: str = "http://testserver") -> str:
        """A token for the endpoint ``path`` (Django's test client calls http://testserver)."""
        import uuid

        import jwt

        now = int(time.time())
        claims = {"iss": self.ISS, "sub": "reliability", "aud": base + path.split("?")[0]}
        claims |= {"iat": now, "exp": now + 120, "jti": str(uuid.uuid4())}
        return str(jwt.encode(claims, self.key, algorithm="ES384"))


def setup_django(path: Path, database_url: str | None = None) -> None:
    """Django on ``database_url`` (PostgreSQL), or else on a fresh SQLite database in the data
    dir (``DATABASE_URL`` from the environment is never used as it is: it may be a database
    that others use), migrated."""
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    use_data_dir(path)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def postgres_url() -> str | None:
    """``DATABASE_URL`` with the database renamed ``weizhong_reliability`` (created when
    missing), or None when PostgreSQL is not configured."""
    url = os.environ.get("RELIABILITY_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url or not url.startswith(("postgres://", "postgresql://")):
        return None
    base, _slash, _name = url.rpartition("/")
    name = "weizhong_reliability"
    exists = subprocess.run(
        [
            "su",
            "postgres",
            "-c",
            f"psql -qAtc \"SELECT 1 FROM pg_database WHERE datname='{name}'\"",
        ],
        capture_output=True,
        text=True,
    )
    if exists.stdout.strip() != "1":
        subprocess.run(
            ["su", "postgres", "-c", f"createdb -O weizhong {name}"], capture_output=True
        )
    return f"{base}/{name}"


def open_backend(part: str) -> tuple[Report, str, Path | None]:
    """The report for ``part (backend)``, the backend named on the command line (sqlite or
    postgres), and the part's data dir, with Django set up on a database of the part's own.
    The path is None when PostgreSQL was asked for but DATABASE_URL is not set: the report
    says so and has been emitted."""
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    report = Report(f"{part} ({backend})")
    url = None
    if backend == "postgres":
        url = postgres_url()
        if url is None:
            report.note("DATABASE_URL is not set: PostgreSQL skipped")
            report.emit()
            return report, backend, None
    path = data_dir(f"{part}-{backend}")
    setup_django(path, url)
    return report, backend, path


def make_clinic(name: str) -> tuple[Any, Any, Any]:
    """A fresh clinic named ``name`` with one clinician: (clinic, clinician, the fixtures)."""
    import uuid

    from weizhong.clinic.actions import do_create_clinic
    from weizhong.clinic.models import Staff

    f = fixtures()
    tag = uuid.uuid4().hex[:8]
    slug = f"{name.lower()}-{tag}"
    clinic = do_create_clinic(name=f"{name} {tag}", slug=slug)
    return clinic, f.make_staff(clinic, slug, Staff.CLINICIAN), f


def fixtures() -> Any:
    """``tests/clinic/conftest.py``: make_staff, make_patient, make_exam, make_plan, make_visit."""
    from tests.clinic import conftest

    return conftest


# ------------------------------------------------------------------------------ gunicorn


class Server:
    """gunicorn with two sync workers on a fixed port, in its own process group, so that
    ``kill()`` (SIGKILL to the group: master and workers at once) is a power cut for the app."""

    def __init__(self, port: int, log: Path, workers: int = 2) -> None:
        self.port = port
        self.log = log
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        from bench_web import server_env, wait_healthy

        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "weizhong.site.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ]
        with self.log.open("ab") as handle:
            handle.write(f"\n=== start {self.starts + 1} ===\n".encode())
            handle.flush()
            self.process = subprocess.Popen(
                command,
                env=server_env(),
                cwd=ROOT,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        wait_healthy(self.process, self.port, self.log)

    def kill(self) -> None:
        """SIGKILL the whole process group, no warning, no clean-up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback")

    def log_mentions(self, text: str) -> int:
        return self.log.read_text(errors="replace").count(text)


def run_clients(client: Callable[[int], None], count: int) -> float:
    """``count`` threads running ``client(n)`` at once; the seconds until the last one ends."""
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def wait_port_free(port: int, seconds: float = 10) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
                return
            except OSError:
                time.sleep(0.1)


class ApiClient:
    """A JSON API client on one keep-alive connection (reopened when it breaks), with a
    bearer token. Connection failures raise ``OSError`` / ``http.client.HTTPException``."""

    def __init__(self, port: int, token: str, timeout: float = 60) -> None:
        import http.client

        self.port = port
        self.token = token
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        import http.client

        sent = {"Authorization": f"Bearer {self.token}", "Host": "127.0.0.1", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=sent)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            raise
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload

    def close(self) -> None:
        self.conn.close()
