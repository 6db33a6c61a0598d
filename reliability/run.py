"""``make reliability``: proof with figures that weizhong keeps patient data safe and whole.

Parts, in order (each in a process of its own, with a database of its own):

- ``matrix``: every route × role × method × (own, another clinic's, missing) record; zero
  unauthorised successes (``matrix.py``);
- ``fuzz``: schemathesis against the API's own schema, ≥ 10,000 requests (ci ~1,000); zero
  server errors (``fuzz.py``);
- ``crash``: SIGKILL to gunicorn during thousands of writes, restarted; every acknowledged
  write stored with its audit event, the chain intact; SQLite, and PostgreSQL when
  ``DATABASE_URL`` is set (``crash.py``);
- ``concurrency``: twenty clients editing one note with ETag/If-Match for 1,000 rounds (ci 20);
  zero lost updates, no 5xx, no "database is locked"; SQLite and PostgreSQL
  (``concurrency.py``);
- ``booking``: twenty clients booking one slot at once, round after round; exactly one 201 a
  round, the others 409 naming it, no 5xx; SQLite and PostgreSQL (``booking.py``, issue 15);
- ``hostile``: oversized, mistyped, deeply nested and script-laden input; never a 5xx, never
  an unescaped script (``hostile.py``);
- ``audit``: ``bench/bench_web.py`` with auditing on and off; the throughput ratio
  (``audit_cost.py``).

Usage: ``reliability/run.py [part …]`` (default: all). ``RELIABILITY_SCALE=ci`` bounds every
part for CI; ``full`` (the default) is the issue's scale. Prints a final table with PASS/FAIL
and exits 1 when a must-be-zero figure is not zero, a figure misses its size, or a part fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import MARKER, ROOT, SCALE, Figure  # noqa: E402

# part name → the scripts (with arguments) it runs
PARTS: dict[str, list[list[str]]] = {
    "matrix": [["matrix.py"]],
    "fuzz": [["fuzz.py"]],
    "crash": [["crash.py", "sqlite"], ["crash.py", "postgres"]],
    "concurrency": [["concurrency.py", "sqlite"], ["concurrency.py", "postgres"]],
    "booking": [["booking.py", "sqlite"], ["booking.py", "postgres"]],
    "hostile": [["hostile.py"]],
    "audit": [["audit_cost.py"]],
}


def run_script(args: list[str]) -> tuple[list[Figure], list[str], int, float]:
    """Run one part's script, echoing its output; its figures, notes, exit status, seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(HERE / args[0]), *args[1:]],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    figures: list[Figure] = []
    notes: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(MARKER):
            payload = json.loads(line[len(MARKER) :])
            figures = [Figure(**f) for f in payload["figures"]]
            notes = payload["notes"]
        else:
            print(f"    {line}", end="", flush=True)
    status = process.wait()
    return figures, notes, status, time.perf_counter() - started


def main(argv: list[str]) -> int:
    wanted = argv or list(PARTS)
    unknown = [p for p in wanted if p not in PARTS]
    if unknown:
        raise SystemExit(f"unknown part(s) {unknown}; parts: {', '.join(PARTS)}")
    jobs = [(part, args) for part in wanted for args in PARTS[part]]
    print(
        f"make reliability: scale {SCALE}, parts {', '.join(wanted)}"
        + (
            f", PostgreSQL {os.environ['DATABASE_URL'].rsplit('@', 1)[-1]}"
            if os.environ.get("DATABASE_URL")
            else ", PostgreSQL skipped (no DATABASE_URL)"
        )
    )
    table: list[Figure] = []
    broken: list[str] = []
    for n, (part, args) in enumerate(jobs, start=1):
        label = " ".join([part, *args[1:]])
        print(f"\n[{n}/{len(jobs)}] {label}", flush=True)
        figures, _notes, status, seconds = run_script(args)
        print(f"[{n}/{len(jobs)}] {label}: done in {seconds:.0f} s (exit {status})", flush=True)
        table += figures
        if status != 0 and not any(f.verdict == "FAIL" for f in figures):
            broken.append(f"{label} exited {status} without a failing figure")
        if not figures and "postgres" not in args:
            broken.append(f"{label} printed no figures")
    print("\n" + "=" * 100)
    print(f"reliability figures (scale {SCALE})")
    print("=" * 100)
    width = max((len(f"{f.part}: {f.name}") for f in table), default=40)
    for f in table:
        value = f"{f.value:,}" if isinstance(f.value, int | float) else str(f.value)
        print(f"{f.part + ': ' + f.name:<{width}}  {value:>14}  {f.verdict}".rstrip())
    failed = [f for f in table if f.verdict == "FAIL"]
    for problem in broken:
        print(f"FAIL: {problem}")
    verdict = "PASS" if not failed and not broken else "FAIL"
    print(
        f"\nreliability: {verdict} ({len(failed)} failing figure(s), {len(broken)} broken part(s))"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
