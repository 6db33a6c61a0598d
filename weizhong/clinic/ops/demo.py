"""Demo and load-test data: a clinic whose patients have realistic histories.

The demo clinic (``ensure_demo_clinic``, made only when asked: ``weizhong seed`` or
``weizhong serve --demo``) has one patient for each branch of the planner: the common pictures
(tight hamstrings, short hip flexors, a disc, a deep-gluteal entrapment, the sacroiliac joint,
stenosis, an acute strain, a tendinopathy, nonspecific pain with the FABQ scored and the
manipulation rule partly met), a red flag of each urgency, a minor,
pregnancy, warfarin with and without an INR, a pacemaker, a spinal cord stimulator, withheld herbs
and points, an override with its reason, a poor fit, a mimic and the feel-the-abdomen-first gate.
Each is written through the ``do_*`` actions the pages use: an exam assessed by the core, a plan
from the planner, visits with signed notes, outcome scores that improve (or, for some, do not, so
that re-evaluation comes due) and home-programme ticks.

The load-test clinic (``seed_clinic``) has thousands of patients of twelve archetypes and is
written in bulk (through the actions it would take hours at 10,000 patients).

The numbers here are invented for demonstration; they are not clinical data.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from weizhong.case import validate_case
from weizhong.clinic import actions, history
from weizhong.clinic.models import (
    Clinic,
    Exam,
    HomeLog,
    Note,
    Outcome,
    PainLog,
    Patient,
    Plan,
    Staff,
    Visit,
)
from weizhong.clinic.records import services
from weizhong.planning.plan import PlanEdits, make_plan
from weizhong.planning.safety import parse_overrides
from weizhong.progress import Progress
from weizhong.reasoning.assessment import assess
from weizhong.reasoning.instruments import score_instrument

DEMO_PASSWORDS = {
    "clinician": ("dr.lin", "weizhong-demo-clinician"),
    "front_desk": ("desk", "weizhong-demo-desk"),
    # The clinic's administrator (a clinician too) sees the audit trail; an administrator must
    # set up an authenticator app at the first sign-in.
    "administrator": ("owner", "weizhong-demo-owner"),
}

SCREEN_NEGATIVE = {
    "saddle_anaesthesia": False, "bladder_dysfunction": False, "bowel_dysfunction": False,
    "sexual_dysfunction": False, "bilateral_leg_neuro_symptoms": False,
    "progressive_weakness": False, "unexplained_weight_loss": False,
    "night_pain_unremitting": False, "fever": False,
    "major_trauma": False, "iv_drug_use": False,
}  # fmt: skip


def _runner(r: random.Random) -> dict[str, Any]:
    return {
        "onset_days": r.randint(14, 90), "pain_regions": ["low_back"], "runner": True,
        "pain_worse_flexion": True, "sitting_hours_per_day": r.choice([4, 6, 8]),
        "slr_left_deg": r.randint(55, 68), "slr_left_response": "posterior_thigh_stretch",
        "slr_left_sensitised": False, "slr_right_deg": r.randint(55, 68),
        "slr_right_response": "posterior_thigh_stretch", "slr_right_sensitised": False,
        "slump": "stretch_only", "ake_left_deg": r.randint(36, 50),
        "ake_right_deg": r.randint(36, 50), "thomas_left": "negative",
        "thomas_right": "negative", "trigger_points": ["hamstrings_left", "hamstrings_right"],
        "patellar_reflex_left": "normal", "achilles_reflex_left": "normal",
    }  # fmt: skip


def _sitter(r: random.Random) -> dict[str, Any]:
    return {
        "onset_days": r.randint(30, 200), "pain_regions": ["low_back", "groin_left"],
        "sitting_hours_per_day": r.randint(8, 11), "pain_worse_extension": True,
        "pain_worse_flexion": False, "thomas_left": "iliopsoas", "thomas_right": "both",
        "slr_left_deg": r.randint(70, 85), "slr_left_response": "none",
        "slr_right_deg": r.randint(70, 85), "slr_right_response": "none",
        "ake_left_deg": r.randint(10, 22), "ake_right_deg": r.randint(10, 22),
        "trigger_points": ["iliopsoas_left"], "directional_preference": "none",
    }  # fmt: skip


def _disc(r: random.Random) -> dict[str, Any]:
    return {
        "onset_days": r.randint(10, 60),
        "pain_regions": ["low_back", "buttock_left", "posterior_thigh_left", "calf_left"],
        "leg_pain_dominant": True, "paresthesia": True, "pain_worse_sitting": True,
        "pain_worse_flexion": True, "slr_left_deg": r.randint(30, 50),
        "slr_left_response": "leg_pain_below_knee", "slr_left_sensitised": True,
        "slr_right_deg": r.randint(70, 85), "slr_right_response": "none", "slump": "positive",
        "achilles_reflex_left": "reduced", "achilles_reflex_right": "normal",
        "myotome_weakness": ["S1_left"], "dermatome_sensory_loss": ["S1_left"],
    }  # fmt: skip


def _piriformis(r: random.Random) -> dict[str, Any]:
    return {
        "onset_days": r.randint(30, 120),
        "pain_regions": ["buttock_right", "posterior_thigh_right"],
        "pain_worse_sitting": True, "leg_pain_dominant": True,
        "seated_piriformis_stretch_right": True, "active_piriformis_right": True,
        "slr_right_deg": r.randint(60, 75), "slr_right_response": "buttock_pain",
        "slr_right_sensitised": False, "trigger_points": ["piriformis_right"],
        "achilles_reflex_right": "normal", "myotome_weakness": [],
    }  # fmt: skip


def _sij(r: random.Random) -> dict[str, Any]:
    return {
        "onset_days": r.randint(20, 150), "pain_regions": ["sacrum", "buttock_left"],
        "sij_provocation_positive": r.choice([3, 4, 5]), "slr_left_deg": r.randint(70, 85),
        "slr_left_response": "buttock_pain", "directional_preference": "none",
    }  # fmt: skip


def _stenosis(r: random.Random) -> dict[str, Any]:
    return {
        "onset_days": r.randint(200, 900),
        "pain_regions": ["low_back", "posterior_thigh_left", "posterior_thigh_right"],
        "neurogenic_claudication": True, "pain_worse_extension": True,
        "slr_left_deg": r.randint(70, 80), "slr_left_response": "none",
        "directional_preference": "flexion",
    }  # fmt: skip


def _strain(r: random.Random) -> dict[str, Any]:
    return {
        "onset_days": r.randint(2, 10), "pain_regions": ["posterior_thigh_left"],
        "sudden_onset_during_sprint": True, "runner": True, "slr_left_deg": r.randint(40, 55),
        "slr_left_response": "posterior_thigh_stretch", "slr_left_sensitised": False,
        "trigger_points": ["hamstrings_left"],
    }  # fmt: skip


def _tendinopathy(r: random.Random) -> dict[str, Any]:
    return {
        "onset_days": r.randint(60, 300), "pain_regions": ["buttock_left"], "runner": True,
        "pain_worse_sitting": True, "modified_bent_knee_stretch_left": True,
        "ischial_tuberosity_tender_left": True, "slr_left_deg": r.randint(65, 80),
        "slr_left_response": "buttock_pain", "slr_left_sensitised": False,
    }  # fmt: skip


def _nonspecific(r: random.Random) -> dict[str, Any]:
    return {
        "onset_days": r.randint(20, 200), "pain_regions": ["low_back"],
        "slr_left_deg": r.randint(75, 90), "slr_left_response": "none",
        "slr_right_deg": r.randint(75, 90), "slr_right_response": "none",
        "ake_left_deg": r.randint(8, 20), "ake_right_deg": r.randint(8, 20),
        "thomas_left": "negative", "thomas_right": "negative",
    }  # fmt: skip


def _cauda_equina(r: random.Random) -> dict[str, Any]:
    found = _disc(r)
    found.update(
        saddle_anaesthesia=True, bladder_dysfunction=True, bilateral_leg_neuro_symptoms=True
    )
    return found


# name, findings, patient overrides, improves
ARCHETYPES: list[tuple[str, Callable[[random.Random], dict[str, Any]], dict[str, Any], bool]] = [
    ("runner", _runner, {"occupation": "Software developer, runs 40 km a week"}, True),
    ("sitter", _sitter, {"occupation": "Accountant"}, True),
    ("disc", _disc, {"occupation": "Warehouse worker"}, True),
    ("piriformis", _piriformis, {"occupation": "Taxi driver"}, False),
    ("sij", _sij, {"occupation": "Nurse"}, True),
    ("stenosis", _stenosis, {"occupation": "Retired teacher", "age": (66, 82)}, False),
    ("strain", _strain, {"occupation": "Football player", "age": (18, 30)}, True),
    ("tendinopathy", _tendinopathy, {"occupation": "Marathon runner"}, True),
    ("nonspecific", _nonspecific, {"occupation": "Chef"}, False),
    ("cauda_equina", _cauda_equina, {"occupation": "Builder"}, True),
    ("pregnant", _runner, {"occupation": "Teacher", "pregnant": True, "sex": "female",
                           "age": (26, 38)}, True),
    ("warfarin", _runner, {"occupation": "Retired engineer", "age": (65, 80),
                           "medications": ["warfarin", "bisoprolol"]}, True),
]  # fmt: skip

GIVEN = ["Ana", "Ben", "Chen", "Dara", "Elif", "Femi", "Grace", "Hugo", "Ines", "Jonas", "Kenji",
         "Lena", "Mateo", "Noor", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma",
         "Viktor", "Wen", "Yara", "Zoe"]  # fmt: skip
FAMILY = ["Adeyemi", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Huang",
          "Ivanova", "Jensen", "Kowalski", "Li", "Martin", "Nakamura", "Okafor", "Patel",
          "Quintero", "Rossi", "Silva", "Tanaka", "Usman", "Varga", "Wang", "Yilmaz",
          "Zhou"]  # fmt: skip


def ensure_demo_clinic(stdout: Any = sys.stdout) -> bool:
    """Create the demo clinic once (False when it already exists), every record through the
    ``do_*`` actions the pages use."""
    if Clinic.objects.filter(slug="demo").exists():
        return False
    with transaction.atomic():
        clinic = actions.do_create_clinic(
            name="Riverside Acupuncture & Chiropractic",
            slug="demo",
            address="12 River Street, Springfield",
            phone="+1 555 0100",
            email="front@riverside.example",
            provider_id="1234567893",
        )
        clinician = _user(clinic, "clinician", "Mei", "Lin", "L.Ac., DC")
        _user(clinic, "front_desk", "Sam", "Rivera", "Front desk")
        _user(clinic, "administrator", "Jo", "Chen", "Clinic owner, DC")
        rng = random.Random(40)
        for n, person in enumerate(DEMO_PATIENTS):
            _demo_patient(clinic, clinician, person, n, rng)
    return True


def _user(clinic: Clinic, login: str, first: str, last: str, title: str) -> User:
    username, password = DEMO_PASSWORDS[login]
    role = Staff.FRONT_DESK if login == "front_desk" else Staff.CLINICIAN
    user: User = actions.do_add_staff(
        clinic=clinic, username=username, role=role, password=password, first_name=first,
        last_name=last, title=title, is_admin=login == "administrator",
    )  # fmt: skip
    return user


def seed_clinic(patients: int, name: str, seed: int = 1, stdout: Any = sys.stdout) -> Clinic:
    """A large clinic for load and scale tests: ``patients`` patients, 22 visits each (none
    for the emergency patients, who are referred)."""
    slug = f"load-{uuid.uuid4().hex[:8]}"
    with transaction.atomic():
        clinic = actions.do_create_clinic(name=name, slug=slug)
        clinicians = [
            actions.do_add_staff(
                clinic=clinic,
                username=f"{slug}-clinician{n}",
                role=Staff.CLINICIAN,
                password=None,
                first_name="Load",
                last_name=f"Test {n}",
            )
            for n in range(1, 4)
        ]
    populate(clinic, clinicians, patients=patients, rng=random.Random(seed), demo=False)
    return clinic


def populate(
    clinic: Clinic, clinicians: list[Any], *, patients: int, rng: random.Random, demo: bool
) -> None:
    """Patients with exams, plans, visits, notes, outcomes and home logs, in bulk."""
    progress = Progress(patients, "patients")
    batch = 200
    today = timezone.localdate()
    now = timezone.now()
    for start in range(0, patients, batch):
        with transaction.atomic():
            people = []
            histories = []
            for n in range(start, min(patients, start + batch)):
                kind, make, extra, improves = ARCHETYPES[n % len(ARCHETYPES)]
                lo, hi = extra.get("age", (22, 64))
                age = rng.randint(lo, hi)
                sex = extra.get("sex") or rng.choice(["female", "male"])
                person = Patient(
                    clinic=clinic,
                    given_name=rng.choice(GIVEN),
                    family_name=rng.choice(FAMILY) + ("" if demo else f"-{n}"),
                    birth_date=today - dt.timedelta(days=age * 365 + rng.randint(0, 364)),
                    sex=sex,
                    phone=f"+1 555 {rng.randint(1000, 9999)}",
                    email=f"patient{n}@example.org",
                    occupation=extra["occupation"],
                    pregnant=bool(extra.get("pregnant")),
                    medications=list(extra.get("medications", [])),
                    reminders=demo and n % 3 == 0,
                    primary_clinician=clinicians[0] if demo else None,
                    portal_version=1 if n % 2 == 0 else 0,
                    portal_active=n % 2 == 0,
                )
                people.append(person)
                visits = 0 if kind == "cauda_equina" else rng.randint(3, 9) if demo else 22
                histories.append((kind, make(rng), visits, improves))
            Patient.objects.bulk_create(people)
            exams, plans_for = [], []
            for person, (_kind, findings, visits, _imp) in zip(people, histories, strict=True):
                days_ago = visits * 3 + rng.randint(1, 4)
                when = now - dt.timedelta(days=days_ago, hours=rng.randint(0, 6))
                raw = services.build_case(person, {**SCREEN_NEGATIVE, **findings})
                raw["patient"]["age"] = person.age_on(when.date())
                case = validate_case(raw, services.knowledge())
                result = assess(case, services.knowledge())  # every exam assessed: no reuse
                plan = make_plan(case, result)
                top = result["differential"][0]
                exams.append(
                    Exam(
                        patient=person, clinician=rng.choice(clinicians), created=when, case=raw,
                        assessment=result, red_flags=[f["id"] for f in result["red_flags"]],
                        top_condition=top["condition"], top_probability=top["probability"],
                        knowledge_version=result["knowledge_version"],
                    )
                )  # fmt: skip
                plans_for.append((when, plan))
            Exam.objects.bulk_create(exams)
            plans = [
                Plan(
                    patient=exam.patient, exam=exam, version=1, created_by=exam.clinician,
                    created=when + dt.timedelta(minutes=20), plan=plan,
                    visits_per_week=clinic.visits_per_week,
                    planned_visits=clinic.rounds_before_reevaluation,
                )
                for exam, (when, plan) in zip(exams, plans_for, strict=True)
            ]  # fmt: skip
            Plan.objects.bulk_create(plans)
            _history(clinic, people, exams, plans, histories, rng, demo)
            for person in people:
                actions.refresh_summary(person)
        progress.update(min(patients, start + batch))
    with transaction.atomic():  # bulk inserts skip the save signal: each record's first version
        history.baseline()
    progress.update(patients, final=True)


def _history(
    clinic: Clinic,
    people: list[Patient],
    exams: list[Exam],
    plans: list[Plan],
    histories: list[tuple[str, dict[str, Any], int, bool]],
    rng: random.Random,
    demo: bool,
) -> None:
    visits: list[Visit] = []
    outcomes: list[Outcome] = []
    logs: list[HomeLog] = []
    pains: list[PainLog] = []
    today = timezone.localdate()
    for person, exam, plan, (kind, _findings, count, improves) in zip(
        people, exams, plans, histories, strict=True
    ):
        start_pain = rng.randint(5, 8)
        start_odi = rng.randint(24, 48)
        outcomes.append(_outcome(person, "nprs", [start_pain], exam.created))
        outcomes.append(_outcome(person, "odi", _odi_answers(start_odi, rng), exam.created))
        points = plan.point_keys
        diagnoses = _diagnoses(exam)
        electro = plan.plan["acupuncture"].get("electrostimulation")
        for v in range(count):
            when = exam.created + dt.timedelta(days=1 + v * 3, hours=1)
            contact = rng.choice([15, 25, 30, 40])
            visits.append(
                Visit(
                    patient=person, plan=plan, clinician=exam.clinician, date=when.date(),
                    created=when, points=points, electro=bool(electro) and v > 0,
                    electro_settings=(electro or {}).get("frequency", ""),
                    needle_minutes=25, contact_minutes=contact,
                    reinsertions=(contact - 8) // 15, exercise_minutes=rng.choice([0, 10, 15]),
                    manual_therapy_minutes=rng.choice([0, 8, 12]) if v % 2 == 0 else 0,
                    regions_adjusted=["lumbar", "pelvic"] if v % 2 else [],
                    response=rng.choice(["better", "better", "same"]) if improves else "same",
                    diagnoses=diagnoses,
                )
            )  # fmt: skip
            if v % 2 == 1:
                drop = (v + 1) // 2 if improves else 0
                pain = max(0, start_pain - drop)
                outcomes.append(_outcome(person, "nprs", [pain], when))
        if count >= 6:
            later = exam.created + dt.timedelta(days=3 * count)
            odi = max(0, start_odi - (18 if improves else 2))
            outcomes.append(_outcome(person, "odi", _odi_answers(odi, rng), later))
        if plan.plan.get("exercises") and kind != "cauda_equina":
            rate = 0.8 if improves else 0.35
            for back in range(1, 15 if demo else 8):
                day = today - dt.timedelta(days=back)
                for item in services.exercises_today(plan, day):
                    if rng.random() < rate:
                        logs.append(HomeLog(patient=person, day=day, exercise=item["id"]))
                if demo and back <= 10:
                    pains.append(
                        PainLog(patient=person, day=day, pain=max(0, start_pain - 1 - (back < 5)))
                    )
    Visit.objects.bulk_create(visits, batch_size=2000)
    notes = []
    for visit in visits:
        signed = visit.date < today or not demo
        draft = _quick_note(visit, exams[people.index(visit.patient)] if demo else None)
        notes.append(
            Note(
                visit=visit, **draft, signed_by=visit.clinician if signed else None,
                signed_at=visit.created + dt.timedelta(minutes=40) if signed else None,
            )
        )  # fmt: skip
    Note.objects.bulk_create(notes, batch_size=2000)
    Outcome.objects.bulk_create(outcomes, batch_size=2000)
    HomeLog.objects.bulk_create(logs, batch_size=2000, ignore_conflicts=True)
    PainLog.objects.bulk_create(pains, batch_size=2000, ignore_conflicts=True)


def _diagnoses(exam: Exam) -> list[str]:
    """The primary verified ICD-10-CM suggestion for the exam's leading condition."""
    from weizhong.billing import BillingError, suggest_diagnoses

    try:
        found = suggest_diagnoses(exam.top_condition, services._exam_side(exam))
    except BillingError:
        return []
    return [str(s["code"]) for s in found if s.get("verified")][:1]


def _quick_note(visit: Visit, exam: Exam | None) -> dict[str, str]:
    if exam is not None:
        return services.draft_soap(visit)
    return {
        "subjective": f"Since the last visit: {visit.get_response_display()}.",
        "objective": "",
        "assessment": "",
        "plan": "Needled: " + ", ".join(visit.points) + ".",
    }


def _odi_answers(target: int, rng: random.Random) -> list[int]:
    """Ten ODI section answers (0–5) whose total is about ``target`` percent."""
    total = round(target / 2)
    answers = [0] * 10
    for _n in range(total):
        options = [i for i in range(10) if answers[i] < 5]
        answers[rng.choice(options)] += 1
    return answers


def _outcome(person: Patient, instrument: str, answers: list[int], when: dt.datetime) -> Outcome:
    result = score_instrument(instrument, answers)
    return Outcome(
        patient=person, instrument=instrument, answers=answers, score=result.score,
        result=result.to_dict(), taken=when, source="clinic",
    )  # fmt: skip


# ------------------------------------------------------------------------ the demo clinic


@dataclass(frozen=True)
class DemoPatient:
    """One patient of the demo clinic: who, what was found, and how the care went.

    ``branch`` names the planner branch the patient exists to show (the crawl in the tests opens
    every page for every one of them)."""

    branch: str
    given: str
    family: str
    sex: str
    age: int
    occupation: str
    findings: Callable[[random.Random], dict[str, Any]]
    visits: int = 0
    improves: bool = True
    facts: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    screen: bool = True  # the red-flag screen asked (all negative) before the findings
    fabq: tuple[int, ...] = ()  # FABQ answers (16 items, 0–6) scored with the first exam


def _with(make: Callable[[random.Random], dict[str, Any]], **extra: Any) -> Callable[..., Any]:
    def findings(r: random.Random) -> dict[str, Any]:
        return {**make(r), **extra}

    return findings


def _fixed(found: dict[str, Any]) -> Callable[[random.Random], dict[str, Any]]:
    return lambda _r: dict(found)


DEMO_PATIENTS: list[DemoPatient] = [
    DemoPatient("tight hamstrings", "Ana", "Costa", "female", 34,
                "Software developer, runs 40 km a week", _runner, visits=7),
    DemoPatient("short hip flexors", "Ben", "Fischer", "male", 45, "Accountant", _sitter,
                visits=6),
    DemoPatient("disc", "Chen", "Huang", "male", 39, "Warehouse worker", _disc, visits=5),
    DemoPatient("deep-gluteal entrapment, not improving", "Dara", "Okafor", "female", 51,
                "Taxi driver", _piriformis, visits=8, improves=False),
    DemoPatient("sacroiliac joint", "Elif", "Yilmaz", "female", 29, "Nurse", _sij, visits=4),
    DemoPatient("stenosis, not improving", "Femi", "Adeyemi", "female", 72, "Retired teacher",
                _stenosis, visits=6, improves=False),
    DemoPatient("acute hamstring strain", "Gabriel", "Martin", "male", 22, "Football player",
                _strain, visits=3),
    DemoPatient("proximal hamstring tendinopathy", "Hugo", "Dubois", "male", 36,
                "Marathon runner", _tendinopathy, visits=5),
    DemoPatient("nonspecific, not improving; FABQ scored, the manipulation rule partly met",
                "Ines", "Rossi", "female", 48, "Chef",
                _with(_nonspecific, fabq_work=14, fabq_physical_activity=9,
                      hip_internal_rotation_left_deg=38, hip_internal_rotation_right_deg=30),
                visits=7, improves=False, fabq=(1, 2, 2, 3, 2, 2, 2, 1, 2, 2, 2, 2, 1, 0, 2, 1)),
    DemoPatient("red flag, emergency: cauda equina", "Jonas", "Bauer", "male", 44, "Builder",
                _cauda_equina),
    DemoPatient("red flag, urgent: hamstring avulsion", "Kenji", "Tanaka", "male", 39,
                "Water-skier", _fixed({
                    "onset_days": 7, "pain_regions": ["buttock_left", "posterior_thigh_left"],
                    "pain_worse_sitting": True, "posterior_thigh_bruising_left": True,
                    "ischial_tuberosity_tender_left": True, "slr_left_deg": 60,
                    "slr_left_response": "posterior_thigh_stretch", "slr_right_deg": 80,
                })),
    DemoPatient("a minor; red flag, soon: spondylolysis", "Lena", "Eriksen", "female", 14,
                "School gymnast", _fixed({
                    "onset_days": 35, "pain_regions": ["low_back"],
                    "pain_worse_extension": True, "ake_left_deg": 45, "ake_right_deg": 45,
                })),
    DemoPatient("pregnancy, withheld points", "Marta", "Garcia", "female", 31, "Teacher",
                _with(_runner, gestation_weeks=30,
                      trigger_points=["quadratus_lumborum_left", "iliopsoas_right"]),
                visits=4, facts={"pregnant": True}),
    DemoPatient("warfarin, no INR yet: withheld herbs and points", "Noor", "Patel", "male", 68,
                "Retired engineer", _runner, facts={"medications": ["warfarin", "sertraline"]}),
    DemoPatient("warfarin, INR in range", "Omar", "Silva", "male", 71, "Retired pilot",
                _with(_runner, inr_in_range=True), visits=5,
                facts={"medications": ["warfarin", "bisoprolol"]}),
    DemoPatient("pacemaker", "Priya", "Kowalski", "female", 70, "Librarian", _runner,
                visits=4, facts={"devices": ["pacemaker"]}),
    DemoPatient("spinal cord stimulator", "Quinn", "Varga", "female", 58, "Bookkeeper",
                _runner, visits=3,
                facts={"devices": ["spinal_cord_stimulator"],
                       "conditions": ["lumbar_surgery_history"]}),
    DemoPatient("herbs withheld", "Rosa", "Li", "female", 79, "Retired seamstress", _runner,
                visits=3, facts={"conditions": ["hypertension"]}),
    DemoPatient("poor fit, an override recorded with a reason", "Sven", "Jensen", "male", 24,
                "Sprinter", _fixed({
                    "onset_days": 90, "runner": True,
                    "pain_regions": ["posterior_thigh_left", "posterior_thigh_right"],
                    "ake_left_deg": 35, "ake_right_deg": 36,
                }), visits=3, overrides={
                    "back_pain_combination_without_back_pain":
                        "Stiff low back after long runs, discussed with the patient",
                }),
    DemoPatient("a mimic: calf pain and swelling", "Tara", "Nakamura", "female", 35,
                "Runner", _fixed({
                    "onset_days": 4, "runner": True, "pain_regions": ["calf_left"],
                    "calf_swelling_left": True, "calf_tender_left": True,
                })),
    DemoPatient("feel the abdomen first: man over 65 with vascular disease", "Viktor",
                "Ivanova", "male", 70, "Retired bus driver", _runner,
                facts={"conditions": ["hypertension"]}),
]  # fmt: skip


def _demo_patient(
    clinic: Clinic, clinician: User, person: DemoPatient, n: int, rng: random.Random
) -> None:
    """One demo patient and their history, through the actions: an exam assessed by the core, a
    plan from the planner (with the patient's overrides), visits with signed notes for a plan
    that treats, outcome scores and home-programme ticks."""
    today = timezone.localdate()
    now = timezone.now()
    patient = actions.do_create_patient(
        clinic=clinic,
        fields={
            "given_name": person.given,
            "family_name": person.family,
            "birth_date": today - dt.timedelta(days=person.age * 365 + 40 + n * 11),
            "sex": person.sex,
            "phone": f"+1 555 {rng.randint(1000, 9999)}",
            "email": f"{person.given.lower()}.{person.family.lower()}@example.org",
            "occupation": person.occupation,
            "reminders": n % 3 == 0,
            "primary_clinician": clinician,
            **person.facts,
        },
        by=clinician,
    )
    start = now - dt.timedelta(days=person.visits * 3 + 2, hours=rng.randint(0, 6))
    findings = {**(SCREEN_NEGATIVE if person.screen else {}), **person.findings(rng)}
    raw = services.build_case(patient, findings)
    case, problems = services.check_case(raw)
    if case is None:
        raise ValueError(f"demo patient {person.given} {person.family}: {problems}")
    exam = actions.do_save_exam(
        patient=patient, clinician=clinician, case=case, raw=raw, created=start
    )
    overrides = parse_overrides(dict(person.overrides)) if person.overrides else {}
    proposal = services.propose_plan(exam, overrides=overrides)
    plan = actions.do_save_plan(
        exam=exam, author=clinician, plan=proposal, edits=PlanEdits(),
        overrides=overrides, guideline="ACP2017", visits_per_week=clinic.visits_per_week,
        planned_visits=clinic.rounds_before_reevaluation, created=start + dt.timedelta(minutes=20),
    )  # fmt: skip
    start_pain, start_odi = rng.randint(5, 8), rng.randint(24, 48)
    _score(patient, clinician, "nprs", [start_pain], start)
    _score(patient, clinician, "odi", _odi_answers(start_odi, rng), start)
    if person.fabq:  # its subscales match the exam's fabq_work and fabq_physical_activity
        _score(patient, clinician, "fabq", list(person.fabq), start)
    treats = proposal["status"] == "treat" and bool(plan.point_keys)
    visits = person.visits if treats else 0
    electro = proposal["acupuncture"].get("electrostimulation")
    diagnoses = _diagnoses(exam)
    for v in range(visits):
        when = start + dt.timedelta(days=1 + v * 3, hours=1)
        contact = rng.choice([15, 25, 30, 40])
        visit = actions.do_record_visit(
            patient=patient, clinician=clinician, plan=plan, submit_token=uuid.uuid4(),
            fields={
                "date": when.date(), "created": when, "points": plan.point_keys,
                "electro": bool(electro) and v > 0,
                "electro_settings": (electro or {}).get("frequency", "") if v > 0 else "",
                "needle_minutes": 25, "contact_minutes": contact,
                "reinsertions": (contact - 8) // 15, "exercise_minutes": rng.choice([0, 10, 15]),
                "manual_therapy_minutes": rng.choice([0, 8, 12]) if v % 2 == 0 else 0,
                "regions_adjusted": ["lumbar", "pelvic"] if v % 2 else [],
                "response": rng.choice(["better", "better", "same"]) if person.improves
                else "same",
                "diagnoses": diagnoses,
            },
        )  # fmt: skip
        if n % 4 or v < visits - 1:  # some last notes stay drafts, to sign
            actions.do_sign_note(
                note=visit.note, signer=clinician, at=when + dt.timedelta(minutes=40)
            )
        if v % 2 == 1:
            drop = (v + 1) // 2 if person.improves else 0
            _score(patient, clinician, "nprs", [max(0, start_pain - drop)], when)
    if visits >= 6:
        later = start + dt.timedelta(days=3 * visits)
        odi = max(0, start_odi - (18 if person.improves else 2))
        _score(patient, clinician, "odi", _odi_answers(odi, rng), later)
    if not treats:
        return
    if n % 2 == 0:
        actions.do_issue_portal_link(patient=patient)
    rate = 0.8 if person.improves else 0.35
    for back in range(1, min(15, (today - start.date()).days)):
        day = today - dt.timedelta(days=back)
        for item in services.exercises_today(plan, day):
            if rng.random() < rate:
                actions.do_log_home_exercise(patient=patient, day=day, exercise=item["id"])
        if back <= 10:
            actions.do_log_pain(patient=patient, day=day, pain=max(0, start_pain - 1 - (back < 5)))


def _score(patient: Patient, by: User, instrument: str, answers: list[int], when: Any) -> None:
    actions.do_score_outcome(
        patient=patient, instrument=instrument, answers=answers, entered_by=by, taken=when
    )
