"""What the audit trail costs under load: ``bench/bench_web.py`` run with auditing on and with
``WEIZHONG_AUDIT=0`` (the server inherits the environment), the throughput ratio printed.

How: the same seeded clinic (a data dir of its own, reused between the two runs and between
runs of ``make reliability``: ci 1,000 patients, full 10,000) and the same mixed queue of
dashboard, chart and exam-save requests from eight clients on gunicorn with two workers, in
advisory mode (the bench reports, it does not gate). The "all … req/s" line and each
endpoint's p95 are parsed from its output. Every audited request writes one hash-chained
event, so the ratio is the price of that write. The machine is shared, so the two runs are
alternated ``RELIABILITY_BENCH_REPEATS`` times (default 1) and the best of each is kept.

Settings: ``RELIABILITY_BENCH_PATIENTS``, ``RELIABILITY_BENCH_REQUESTS`` (per endpoint),
``RELIABILITY_BENCH_DIR``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Report, scaled

PATIENTS = scaled(1_000, 10_000, "RELIABILITY_BENCH_PATIENTS")
REQUESTS = scaled(150, 400, "RELIABILITY_BENCH_REQUESTS")
REPEATS = scaled(1, 1, "RELIABILITY_BENCH_REPEATS")
BENCH_DIR = os.environ.get("RELIABILITY_BENCH_DIR") or str(
    Path(tempfile.gettempdir()) / "weizhong-rel" / f"bench-{PATIENTS}"
)
ENDPOINT = re.compile(
    r"^(dashboard|patient chart|exam save)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)"
    r"\s+([\d.]+)\s+([\d.]+)\s*$",
    re.M,
)
ALL = re.compile(r"^all\s+(\d+)\s+([\d.]+)\s*$", re.M)


def bench(audit: bool) -> dict[str, float]:
    env = dict(os.environ)
    env.update(
        BENCH_PATIENTS=str(PATIENTS),
        BENCH_WEB_REQUESTS=str(REQUESTS),
        BENCH_WEB_DIR=BENCH_DIR,
        BENCH_ADVISORY="1",
        BENCH_WEB_MODE="mixed",
    )
    env.pop("DATABASE_URL", None)  # the figures are SQLite's, as in the README
    if audit:
        env.pop("WEIZHONG_AUDIT", None)
    else:
        env["WEIZHONG_AUDIT"] = "0"
    label = "on" if audit else "off (WEIZHONG_AUDIT=0)"
    print(f"audit cost: bench_web.py with auditing {label}…", flush=True)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_web.py")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    out = done.stdout
    figures: dict[str, float] = {}
    for m in ENDPOINT.finditer(out):
        figures[f"{m.group(1)} p95"] = float(m.group(5))
        figures[f"{m.group(1)} errors"] = float(m.group(3))
    if (m := ALL.search(out)) is None:
        print(out[-3000:], done.stderr[-3000:], sep="\n")
        raise SystemExit("bench_web.py printed no 'all … req/s' line")
    figures["req/s"] = float(m.group(2))
    tracebacks = re.search(r"server tracebacks in \S+: (\d+)", out)
    figures["tracebacks"] = float(tracebacks.group(1)) if tracebacks else -1
    for line in out.splitlines():
        if line.startswith(("endpoint", "dashboard", "patient chart", "exam save", "all ")):
            print(f"    {line}")
    return figures


def main() -> int:
    report = Report("audit cost")
    on: dict[str, float] = {}
    off: dict[str, float] = {}
    for _n in range(REPEATS):
        for audit, best in ((True, on), (False, off)):
            figures = bench(audit)
            if not best or figures["req/s"] > best["req/s"]:
                best.clear()
                best.update(figures)
    report.add("patients in the clinic", PATIENTS)
    report.add("throughput with auditing (req/s)", on["req/s"])
    report.add("throughput without auditing (req/s)", off["req/s"])
    report.add("ratio with/without auditing", round(on["req/s"] / off["req/s"], 3))
    for name in ("dashboard", "patient chart", "exam save"):
        report.add(
            f"{name} p95 ms, with / without", f"{on[f'{name} p95']:.1f} / {off[f'{name} p95']:.1f}"
        )
    errors = sum(v for k, v in {**on}.items() if k.endswith("errors")) + sum(
        v for k, v in off.items() if k.endswith("errors")
    )
    report.add("bench errors (both runs)", int(errors), zero=True)
    report.add(
        "server tracebacks (both runs)", int(on["tracebacks"] + off["tracebacks"]), zero=True
    )
    report.emit()
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
