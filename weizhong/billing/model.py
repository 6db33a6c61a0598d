"""What a superbill is made from (plain frozen dataclasses) and what it gives back (TypedDicts).

The Django app and the JSON API build these from a visit; nothing here knows about either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, TypedDict

from weizhong.errors import InputError

__all__ = [
    "CURRENCY",
    "FORMAT",
    "MAX_FEE_CENTS",
    "PAYER_KINDS",
    "REGIONS",
    "SIDES",
    "Bill",
    "BillingError",
    "BillingProblem",
    "DiagnosisRow",
    "Increment",
    "Line",
    "Notice",
    "PatientFacts",
    "Payer",
    "Provider",
    "VisitFacts",
]

FORMAT = "weizhong.superbill/1"
CURRENCY = "USD"  # a superbill is a US document (CPT, ICD-10-CM, NPI): fees are in US dollars
MAX_FEE_CENTS = 10_000_000  # $100,000.00 a unit: anything above is a typing slip
PAYER_KINDS = ("self_pay", "commercial", "medicare")
SIDES = ("left", "right", "bilateral")
REGIONS = (
    "cervical",
    "thoracic",
    "lumbar",
    "sacral",
    "pelvic",
    "lower_extremity",
    "upper_extremity",
    "rib_cage",
    "abdomen",
    "head",
)

PayerKind = Literal["self_pay", "commercial", "medicare"]


@dataclass(frozen=True)
class Increment:
    """One 15-minute increment of acupuncture contact, in the order given.

    The first increment is the initial code; ``reinsertion`` matters from the second on (an add-on
    code needs needles re-inserted in that increment).
    """

    electro: bool = False
    reinsertion: bool = False


@dataclass(frozen=True)
class VisitFacts:
    """What the visit form records. Minutes are personal one-on-one contact time."""

    date: dt.date
    acupuncture_minutes: int = 0
    electro: bool = False
    reinsertions: int = 0
    points_needled: int = 0
    acupuncture_increments: tuple[Increment, ...] | None = None
    regions_adjusted: tuple[str, ...] = ()
    exercise_minutes: int = 0  # 97110
    neuromuscular_minutes: int = 0  # 97112
    manual_therapy_minutes: int = 0  # 97140
    diagnoses: tuple[str, ...] = ()  # ICD-10-CM, the first is the primary


@dataclass(frozen=True)
class Payer:
    kind: PayerKind | str
    member_id: str = ""
    name: str = ""


@dataclass(frozen=True)
class Provider:
    name: str
    npi: str
    tax_id: str = ""
    clinic_name: str = ""
    address: str = ""
    phone: str = ""
    credentials: str = ""  # e.g. "L.Ac.", "DC", "MD", "PT"


@dataclass(frozen=True)
class PatientFacts:
    name: str
    birth_date: dt.date
    sex: str = ""
    address: str = ""
    onset_days: int | None = None
    pregnant: bool = False
    lumbar_surgery_history: bool = False
    leading_condition: str | None = None
    side: str | None = None  # left, right, bilateral or None
    red_flags: tuple[str, ...] = ()  # red flags open on the case (a systemic cause suspected)


@dataclass(frozen=True)
class BillingProblem:
    """One reason the superbill cannot be made: the field, and what to do."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class BillingError(InputError):
    """The visit cannot be billed as recorded. ``problems`` lists every reason, each naming its
    field (``diagnoses[0]``, ``visit.exercise_minutes`` …), so a form can mark them all at once."""

    def __init__(self, problems: list[BillingProblem] | tuple[BillingProblem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class Notice(TypedDict):
    """A warning on the superbill: never silent, never a block."""

    id: str
    message: str
    source: str


class DiagnosisRow(TypedDict):
    code: str
    description: str
    pointer: str


class Line(TypedDict):
    cpt: str
    description: str
    units: int
    minutes: int
    modifiers: list[str]
    diagnosis_pointers: list[str]
    why: str
    unit_fee: int | None  # the clinic's fee for one unit, in cents; None: no fee set
    charge: int | None  # units × unit_fee, in cents; None: no fee set


class Bill(TypedDict):
    format: str
    rules_version: str
    date: str
    provider: dict[str, str]
    patient: dict[str, str]
    payer: dict[str, str]
    diagnoses: list[DiagnosisRow]
    lines: list[Line]
    warnings: list[Notice]
    totals: dict[str, int]
    currency: str
    total_charge: int | None  # the sum of the lines' charges that are known; None: none is
