"""The API's request and response shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from ninja.params import functions as param
from pydantic import Field

# ------------------------------------------------------------------------------- schemas


Sex = Literal["female", "male", "other", "unknown"]
Payer = Literal["self_pay", "commercial", "medicare"]
Text100 = Field(default="", max_length=100)


class PatientIn(Schema):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: dt.date
    sex: Sex = "unknown"
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    occupation: str = Field(default="", max_length=120)
    address: str = Field(default="", max_length=1000)
    payer: Payer = "self_pay"
    member_id: str = Field(default="", max_length=60)
    pregnant: bool = False
    medications: list[str] = Field(default_factory=list, max_length=60)
    devices: list[str] = Field(default_factory=list, max_length=20)
    conditions: list[str] = Field(default_factory=list, max_length=40)
    reminders: bool = False
    primary_clinician: int | None = Field(default=None, description="a clinician's user id")


CLINICAL_NULL = "clinical: null when the caller is the front desk, which sees no clinical data"


class PatientOut(Schema):
    id: int
    given_name: str
    family_name: str
    birth_date: dt.date
    age: int
    sex: str
    phone: str
    email: str
    occupation: str
    address: str
    payer: str
    member_id: str
    pregnant: bool | None = Field(description=CLINICAL_NULL)
    medications: list[str] | None = Field(description=CLINICAL_NULL)
    devices: list[str] | None = Field(description=CLINICAL_NULL)
    conditions: list[str] | None = Field(description=CLINICAL_NULL)
    reminders: bool
    last_seen: dt.datetime | None
    red_flags: list[str] | None = Field(description=CLINICAL_NULL)
    reeval_due: bool | None = Field(description=CLINICAL_NULL)
    reeval_reason: str | None = Field(description=CLINICAL_NULL)
    primary_clinician_id: int | None


class Problem(Schema):
    loc: list[str | int]
    msg: str


class Problems(Schema):
    detail: list[Problem]


class Message(Schema):
    detail: str


class CaseIn(Schema):
    findings: dict[str, Any] = Field(
        description="findings in the public case format (weizhong.case/1); missing = not examined"
    )
    idempotency_key: uuid.UUID | None = None


class PublicCase(Schema):
    format: Literal["weizhong.case/1"] = "weizhong.case/1"
    patient: dict[str, Any] = Field(default_factory=dict)
    findings: dict[str, Any] = Field(default_factory=dict)


class Voided(Schema):
    """A voided record stays readable; these say when, by whom (user id) and why."""

    voided_at: dt.datetime | None = None
    voided_by_id: int | None = None
    void_reason: str = ""


class ExamOut(Voided):
    id: int
    patient_id: int
    created: dt.datetime
    case: dict[str, Any]
    assessment: dict[str, Any]


class PlanIn(Schema):
    add_points: list[str] = Field(default_factory=list, max_length=40)
    remove_points: list[str] = Field(default_factory=list, max_length=40)
    add_exercises: list[str] = Field(default_factory=list, max_length=20)
    remove_exercises: list[str] = Field(default_factory=list, max_length=20)
    overrides: dict[str, str] = Field(default_factory=dict)
    guideline: Literal["ACP2017", "NICE_NG59"] = "ACP2017"
    visits_per_week: int | None = Field(default=None, ge=1, le=7)
    planned_visits: int | None = Field(default=None, ge=1, le=40)
    note: str = Field(default="", max_length=2000)


class PlanOut(Voided):
    id: int
    patient_id: int
    exam_id: int
    version: int
    created: dt.datetime
    visits_per_week: int
    planned_visits: int
    reevaluation_date: dt.date
    plan: dict[str, Any]


class TriggerPoint(Schema):
    muscle: str = Field(description="e.g. piriformis, quadratus_lumborum, hamstrings")
    side: Literal["left", "right"]
    depth_cun: float | None = Field(default=None, description="0.1 to 4 cun; null if not measured")
    technique: Literal["retained", "pistoning", "pressure"] = "retained"


class VisitIn(Schema):
    date: dt.date | None = None
    points: list[str] = Field(default_factory=list, max_length=60)
    trigger_points: list[TriggerPoint] = Field(default_factory=list, max_length=12)
    stimulated_increments: list[int] = Field(
        default_factory=list,
        max_length=8,
        description="15-minute acupuncture increments (1 = the first) with electrostimulation",
    )
    reinserted_increments: list[int] = Field(
        default_factory=list,
        max_length=8,
        description="increments (from 2) in which the needles were re-inserted",
    )
    electro: bool = False
    electro_settings: str = Field(default="", max_length=200)
    needle_minutes: int = Field(default=0, ge=0, le=120)
    contact_minutes: int = Field(default=0, ge=0, le=240)
    reinsertions: int = Field(default=0, ge=0, le=16)
    regions_adjusted: list[str] = Field(default_factory=list, max_length=10)
    exercise_minutes: int = Field(default=0, ge=0, le=240)
    neuromuscular_minutes: int = Field(default=0, ge=0, le=240)
    manual_therapy_minutes: int = Field(default=0, ge=0, le=240)
    office_care: str = Field(default="", max_length=4000)
    response: Literal["better", "same", "worse", "not_assessed"] = "not_assessed"
    response_notes: str = Field(default="", max_length=4000)
    diagnoses: list[str] = Field(default_factory=list, max_length=12)
    idempotency_key: uuid.UUID | None = None


class NoteOut(Schema):
    subjective: str
    objective: str
    assessment: str
    plan: str
    signed: bool
    signed_at: dt.datetime | None
    amendments: list[dict[str, Any]]


class VisitOut(Voided):
    id: int
    patient_id: int
    plan_id: int | None
    date: dt.date
    points: list[str]
    trigger_points: list[TriggerPoint]
    stimulated_increments: list[int]
    reinserted_increments: list[int]
    electro: bool
    electro_settings: str
    needle_minutes: int
    contact_minutes: int
    reinsertions: int
    regions_adjusted: list[str]
    exercise_minutes: int
    neuromuscular_minutes: int
    manual_therapy_minutes: int
    office_care: str
    response: str
    response_notes: str
    diagnoses: list[str]
    note: NoteOut


class NoteIn(Schema):
    subjective: str = Field(default="", max_length=20000)
    objective: str = Field(default="", max_length=20000)
    assessment: str = Field(default="", max_length=20000)
    plan: str = Field(default="", max_length=20000)


class AmendmentIn(Schema):
    # The length after blanks are removed is checked by the same rule as the page's.
    text: str = Field(max_length=20000, description="what is corrected and why")


Instrument = Literal["odi", "rmdq", "startback", "nprs", "psfs", "lefs", "fabq"]


class OutcomeIn(Schema):
    instrument: Instrument
    answers: list[int | float | None] = Field(max_length=30)
    taken: dt.datetime | None = None
    activities: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="PSFS: the patient's own activity for each rating, in order",
    )


class OutcomeOut(Voided):
    id: int
    instrument: str
    answers: list[int | float | None]
    score: float | None
    taken: dt.datetime
    activities: list[str]
    source: str
    result: dict[str, Any]


class VoidIn(Schema):
    reason: str = Field(max_length=2000, description="why the record was entered in error")


class VersionOut(Schema):
    kind: str
    record_id: int
    version: int
    action: str
    at: dt.datetime
    author: str
    reason: str
    changed: list[str]
    data: dict[str, Any]


BUNDLE = param.Body(..., description="a FHIR R4 Bundle")


class ImportOut(Schema):
    patient_id: int
    exam_id: int | None
    outcomes: int
    ignored: list[str]


class FeeOut(Schema):
    cpt: str
    description: str
    cents: int | None = Field(description="the fee for one unit in whole cents; null: no fee")
    amount: str | None = Field(description='the same in dollars as text ("85.00"); null: no fee')


class FeeScheduleOut(Schema):
    currency: Literal["USD"]
    fees: list[FeeOut]


class FeesIn(Schema):
    fees: dict[str, str | None] = Field(
        description='CPT code → the fee for one unit as text ("85", "85.50", "$85.50"); null, '
        '"" or a code left out: no fee',
        max_length=100,
    )
