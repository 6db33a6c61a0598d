"""The plan handout's server time (issue 13: 407-542 ms warm): in-process with the Django test
client against the bench clinic, cold (typeset) and warm (kept per plan version and day), as a
p50/p95 over a few plans. Target: warm under 150 ms. Called by bench_web.py."""

from __future__ import annotations

import statistics
import time
from typing import Any

WARM_TARGET_MS = 150.0


def handout_times(user: Any, patients: list[int], plans: int = 12, rounds: int = 5) -> bool:
    """Print cold and warm handout times; True when the warm p95 is under the target."""
    from django.test import Client

    from weizhong.clinic.models import Plan

    client = Client()
    client.force_login(user)
    ids = list(
        Plan.objects.filter(patient_id__in=patients).order_by("pk").values_list("pk", flat=True)
    )[:plans]
    cold: list[float] = []
    warm: list[float] = []
    for pk in ids:
        started = time.perf_counter()
        first = client.get(f"/plans/{pk}/handout.pdf")
        cold.append((time.perf_counter() - started) * 1000)
        assert first.status_code == 200 and first.content.startswith(b"%PDF"), first.status_code
        for _n in range(rounds):
            started = time.perf_counter()
            client.get(f"/plans/{pk}/handout.pdf")
            warm.append((time.perf_counter() - started) * 1000)

    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    met = p95(warm) < WARM_TARGET_MS
    print(f"plan handout (in-process server time, {len(ids)} plans): "
          f"cold p50 {statistics.median(cold):.0f} ms, p95 {p95(cold):.0f} ms; "
          f"warm p50 {statistics.median(warm):.1f} ms, p95 {p95(warm):.1f} ms "
          f"(target < {WARM_TARGET_MS:.0f} ms warm: {'met' if met else 'MISSED'})")  # fmt: skip
    return met
