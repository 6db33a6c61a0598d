"""The clinic's htmx interactions timed as server time, in-process, at the bench's clinic.

Target (issue 13): every htmx interaction — the header's patient search as you type (as a
clinician, who finds their care team, and as the front desk, who finds everyone), the live
assessment update, the plan editor's add point, remove point and save, and the portal tick —
answers in under 100 ms of server time (p95)
with 10,000 patients in the database.

Server time is the time Django takes from the request to the response (all middleware, the
view, the template, the SQL), measured with Django's test client in this process on the same
database: no network and no queueing for a worker, which the gunicorn part of ``bench_web.py``
measures for its pages. Each interaction is repeated ``BENCH_HTMX_REQUESTS`` times (200) over
``BENCH_HTMX_PATIENTS`` (20) patients of the clinic, each given the bundled runner's exam and
a plan through the same actions the pages use; a warm-up round fills the caches first, as on a
worker that has served a request. The SQL queries of one request of each are counted as well.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "weizhong" / "examples" / "runner_tight_hamstrings.json"
REQUESTS = int(os.environ.get("BENCH_HTMX_REQUESTS", "200"))
PATIENTS = int(os.environ.get("BENCH_HTMX_PATIENTS", "20"))
TARGET_P95_MS = 100.0
HTMX = {"HTTP_HX_REQUEST": "true"}
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _setup(user: Any, patient_ids: list[int]) -> list[dict[str, Any]]:
    """Per patient: an exam of the runner (with two trigger points), a plan with exercises,
    and a portal link."""
    from weizhong.clinic import actions, portal
    from weizhong.clinic.models import Patient
    from weizhong.clinic.records import services

    findings = json.loads(EXAMPLE.read_text())["findings"]
    findings["trigger_points"] = ["hamstrings_left", "piriformis_right"]
    out = []
    for patient in Patient.objects.filter(pk__in=patient_ids).order_by("pk"):
        raw = services.build_case(patient, findings)
        case, problems = services.check_case(raw)
        if case is None:
            raise SystemExit(f"the bench exam is refused: {problems}")
        exam = actions.do_save_exam(patient=patient, clinician=user, case=case, raw=raw)
        plan = actions.do_save_plan(
            exam=exam, author=user, plan=services.propose_plan(exam), edits=services.PlanEdits(),
            overrides={}, guideline="ACP2017", visits_per_week=2, planned_visits=6,
        )  # fmt: skip
        actions.do_issue_portal_link(patient=patient)
        patient.refresh_from_db()
        out.append({"patient": patient, "exam": exam, "plan": plan,
                    "portal": portal.url_for(None, patient)})  # fmt: skip
    return out


def _desk_user(clinician: Any) -> Any:
    """A front-desk colleague of the bench clinician (made once)."""
    from django.contrib.auth.models import User

    from weizhong.clinic.models import Staff

    clinic_id = Staff.objects.get(user=clinician).clinic_id
    desk, _created = User.objects.get_or_create(username="bench-desk")
    Staff.objects.update_or_create(
        user=desk, defaults={"clinic_id": clinic_id, "role": Staff.FRONT_DESK}
    )
    return desk


def _search_terms(patient_ids: list[int], rng: random.Random) -> list[str]:
    """What the desk types into the header's search: the start of a family name (four letters),
    a whole name, a date of birth (dd/mm/yyyy) or the last digits of a phone number."""
    from weizhong.clinic.models import Patient

    terms: list[str] = []
    for p in Patient.objects.filter(pk__in=patient_ids[:50]):
        terms += [p.family_name[:4].lower(), f"{p.given_name} {p.family_name}",
                  p.birth_date.strftime("%d/%m/%Y")]  # fmt: skip
        digits = "".join(ch for ch in p.phone if ch.isdigit())
        if len(digits) >= 4:
            terms.append(digits[-4:])
    rng.shuffle(terms)
    return terms


def _form(html: str) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(html):
        if name != "csrfmiddlewaretoken":
            data.setdefault(name, []).append(value)
    return {**data, "visits_per_week": ["2"], "planned_visits": ["6"], "guideline": ["ACP2017"]}


def run(user: Any, patient_ids: list[int]) -> bool:
    """Time each interaction; print p50, p95, max and queries; True when every p95 is met."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from weizhong.clinic.records import services

    rng = random.Random(20261206)
    cases = _setup(user, patient_ids[:PATIENTS])
    clinician = Client()
    clinician.force_login(user)
    editors = {c["exam"].pk: clinician.get(f"/exams/{c['exam'].pk}/plan/").content.decode()
               for c in cases}  # fmt: skip
    findings = json.loads(EXAMPLE.read_text())["findings"]
    today = timezone.localdate()

    def assess(c: dict[str, Any]) -> Any:
        data = {k: ("yes" if v else "no") if isinstance(v, bool) else v
                for k, v in findings.items() if v != []}  # fmt: skip
        data["slr_left_deg"] = 50 + rng.randint(0, 30)
        return clinician.post(f"/patients/{c['patient'].pk}/exam/preview/", data, **HTMX)

    def add_point(c: dict[str, Any]) -> Any:
        form = {**_form(editors[c["exam"].pk]), "pick_point": "GB34:left", "action": "update"}
        return clinician.post(f"/exams/{c['exam'].pk}/plan/", form, **HTMX)

    def remove_point(c: dict[str, Any]) -> Any:
        form = {**_form(editors[c["exam"].pk]), "drop_point": "ASHI:piriformis_right"}
        return clinician.post(f"/exams/{c['exam'].pk}/plan/", form, **HTMX)

    def save(c: dict[str, Any]) -> Any:
        after = c["patient"].plans.order_by("-version").values_list("version", flat=True)[0]
        form = {**_form(editors[c["exam"].pk]), "after_version": [str(after)], "action": "save"}
        return clinician.post(f"/exams/{c['exam'].pk}/plan/", form, **HTMX)

    def tick(c: dict[str, Any]) -> Any:
        today_ex = services.exercises_today(c["plan"], today)
        if not today_ex:
            return None
        body = {"exercise": today_ex[0]["id"], "session": "1"}
        if c["patient"].home_logs.filter(day=today, exercise=body["exercise"]).exists():
            body["undo"] = "1"
        return Client().post(c["portal"] + "log/", body, **HTMX)

    desk = Client()
    desk.force_login(_desk_user(user))
    terms = _search_terms(patient_ids, rng)

    def search_as(client: Client) -> Callable[[dict[str, Any]], Any]:
        def search(_c: dict[str, Any]) -> Any:
            return client.get("/search/", {"q": rng.choice(terms)}, **HTMX)

        return search

    interactions: list[tuple[str, Callable[[dict[str, Any]], Any], tuple[int, ...]]] = [
        ("header search: clinician", search_as(clinician), (200,)),
        ("header search: front desk", search_as(desk), (200,)),
        ("live assessment update", assess, (200,)),
        ("plan: add a point", add_point, (200,)),
        ("plan: remove a point", remove_point, (200,)),
        ("plan: save", save, (204,)),
        ("portal: tick or undo", tick, (200,)),
    ]
    print(f"\nhtmx interactions, server time in-process ({len(cases)} patients of the clinic, "
          f"{REQUESTS} requests each, target p95 < {TARGET_P95_MS:.0f} ms):")  # fmt: skip
    met = True
    for label, call, ok in interactions:
        for c in cases:  # warm-up
            call(c)
        counted: list[str] = []

        def count(execute: Any, sql: str, *rest: Any, into: list[str] = counted) -> Any:
            into.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            sample = call(cases[0])
        size = len(sample.content) if sample is not None else 0
        times: list[float] = []
        errors = 0
        for n in range(REQUESTS):
            c = cases[n % len(cases)]
            started = time.perf_counter()
            response = call(c)
            elapsed = (time.perf_counter() - started) * 1000
            if response is None:
                continue
            if response.status_code not in ok:
                errors += 1
                if errors == 1:
                    print(f"  {label}: status {response.status_code}: "
                          f"{response.content.decode()[:300]}")  # fmt: skip
            times.append(elapsed)
        if not times:
            print(f"  {label:<26} no exercise scheduled today for these patients")
            continue
        p95 = _p(times, 0.95)
        met = met and p95 < TARGET_P95_MS and errors == 0
        print(f"  {label:<26} p50 {_p(times, 0.5):6.1f} ms  p95 {p95:6.1f} ms  "
              f"max {max(times):6.1f} ms  {len(counted):3d} queries  "
              f"{size / 1024:5.1f} KB  "
              f"errors {errors}  {'ok' if p95 < TARGET_P95_MS else 'OVER'}")  # fmt: skip
    return met
