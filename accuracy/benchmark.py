"""weizhong's diagnostic-accuracy benchmark: published cases, a locked test half, and the figures
a diagnostic-accuracy study reports (STARD 2015). The protocol is in docs/accuracy.md.

Each case in accuracy/cases/ was encoded from a paper before the tool was run on it. The split
into a development half and a test half is a keyed hash of the case id (seed in split.toml), so
it is random, fixed for every case, and unchanged when cases are added; accuracy/split.lock
records it and the tests refuse any case that changes half.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
SPLIT = HERE / "split.toml"
LOCK = HERE / "split.lock"

CONDITIONS = (
    "hamstring_tightness", "hip_flexor_tightness", "lumbar_radiculopathy",
    "sciatic_nerve_entrapment", "proximal_hamstring_tendinopathy", "hamstring_strain",
    "sacroiliac_joint_pain", "lumbar_spinal_stenosis", "nonspecific_low_back_pain",
)  # fmt: skip
MIMICS = (
    "deep_vein_thrombosis", "bakers_cyst_rupture", "proximal_hamstring_avulsion",
    "apophyseal_avulsion", "peripheral_arterial_disease", "hip_osteoarthritis",
    "femoroacetabular_impingement", "meralgia_paresthetica", "catamenial_sciatica",
    "spondylolysis", "psoas_abscess", "cauda_equina_syndrome", "spinal_malignancy",
    "spinal_infection", "spinal_fracture", "abdominal_aortic_aneurysm", "visceral", "other",
)  # fmt: skip
URGENCY_RANK = {"emergency": 0, "urgent": 1, "soon": 2}
HANDS_ON = ("likely to help", "undecided")
REQUIRED = (
    "id",
    "citation",
    "url",
    "kind",
    "final_diagnosis",
    "summary",
    "encoding_notes",
    "case",
    "expected",
    "encoded_by",
)


@dataclass
class Case:
    id: str
    data: dict[str, Any]
    half: str

    @property
    def expected(self) -> dict[str, Any]:
        return dict(self.data["expected"])

    @property
    def acceptable(self) -> set[str]:
        top = self.expected.get("top_condition")
        return ({top} if top else set()) | set(self.expected.get("also_acceptable") or ())


def seed() -> str:
    with SPLIT.open("rb") as handle:
        return str(tomllib.load(handle)["seed"])


def half_of(case_id: str, key: str) -> str:
    """'test' or 'dev': a keyed hash of the id, so the split is random and never moves."""
    digest = hashlib.sha256(f"{key}:{case_id}".encode()).digest()
    return "test" if digest[0] < 128 else "dev"


def shape_problems(data: Any, name: str) -> list[str]:
    """Everything wrong with a case file's shape (not its clinical content)."""
    if not isinstance(data, dict):
        return [f"{name}: not a JSON object"]
    problems = [f"{name}: missing '{key}'" for key in REQUIRED if key not in data]
    if problems:
        return problems
    if not name.startswith(str(data["id"])):
        problems.append(f"{name}: the file name must start with the id '{data['id']}'")
    expected = data["expected"]
    top = expected.get("top_condition")
    if top is not None and top not in CONDITIONS:
        problems.append(f"{name}: top_condition '{top}' is not a modelled condition")
    for other in expected.get("also_acceptable") or ():
        if other not in CONDITIONS:
            problems.append(f"{name}: also_acceptable '{other}' is not a modelled condition")
    mimic = expected.get("mimic")
    if mimic is not None and mimic not in MIMICS:
        problems.append(f"{name}: mimic '{mimic}' is not a category of the protocol")
    if top is None and mimic is None:
        problems.append(f"{name}: a case with no modelled answer needs its mimic category")
    for flag, urgency in (expected.get("red_flags") or {}).items():
        if urgency not in URGENCY_RANK:
            problems.append(f"{name}: red flag {flag} has urgency '{urgency}'")
    for item in expected.get("plan_must_not") or ():
        kind, _, value = str(item).partition(":")
        if kind not in (
            "needling",
            "hands_on",
            "manipulation",
            "electro",
            "herbs",
            "exercise",
            "point",
            "trigger_point",
        ) or (kind in ("exercise", "point", "trigger_point") and not value):
            problems.append(f"{name}: plan_must_not '{item}' is not in the vocabulary")
    if not str(data["url"]).startswith("http"):
        problems.append(f"{name}: url must be the page that was read")
    return problems


def load_cases(folder: Path = CASES, only: str | None = None) -> list[Case]:
    """Every case, or with `only` ("dev" or "test") that half's cases alone: a file whose locked
    half is the other one is not even opened (the file name starts with the id)."""
    key = seed()
    locked = read_lock() if only else {}
    cases = []
    for path in sorted(folder.glob("*.json")):
        if only and any(
            path.name.startswith(case_id) and half != only for case_id, half in locked.items()
        ):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        case = Case(str(data["id"]), data, half_of(str(data["id"]), key))
        if only and case.half != only:
            continue
        cases.append(case)
    return cases


def read_lock() -> dict[str, str]:
    if not LOCK.exists():
        return {}
    pairs = (line.split() for line in LOCK.read_text(encoding="utf-8").splitlines() if line)
    return dict(pairs)


def write_lock(cases: Iterable[Case]) -> None:
    """Add new cases to the lock; a case already locked never moves (the tests check it)."""
    locked = read_lock()
    for case in cases:
        locked.setdefault(case.id, case.half)
    LOCK.write_text("".join(f"{k} {v}\n" for k, v in sorted(locked.items())), encoding="utf-8")


# ------------------------------------------------------------------------------ figures


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a proportion (95% by default)."""
    if total == 0:
        return (math.nan, math.nan)
    p = successes / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    denominator = 1 + z * z / total
    return ((centre - spread) / denominator, (centre + spread) / denominator)


def unsafe_items(plan: dict[str, Any], must_not: Iterable[str]) -> list[str]:
    """The plan's breaches of a case's 'must not' list."""
    points = plan["acupuncture"]["points"]
    care = plan["office_care"]
    breaches = []
    for item in must_not:
        kind, _, value = item.partition(":")
        breached = {
            "needling": bool(points),
            "hands_on": bool(care.get("soft_tissue_and_mobilisation"))
            or care["manipulation"]["suitability"] in HANDS_ON,
            "manipulation": care["manipulation"]["suitability"] in HANDS_ON,
            "electro": plan["acupuncture"]["electrostimulation"] is not None,
            "herbs": bool(plan["herbs"]),
            "exercise": any(e["id"] == value for e in plan["exercises"]),
            "point": any(p["code"] == value for p in points),
            "trigger_point": any(p.get("muscle") == value for p in points),
        }[kind]
        if breached:
            breaches.append(item)
    return breaches


@dataclass
class Outcome:
    """One case's result."""

    case: Case
    leading: str
    probability: float
    top3: list[str]
    flags: dict[str, str]
    fit: str
    status: str
    unsafe: list[str] = field(default_factory=list)

    @property
    def modelled(self) -> bool:
        return bool(self.case.acceptable)

    @property
    def top1_right(self) -> bool:
        return self.leading in self.case.acceptable

    @property
    def top3_right(self) -> bool:
        return bool(set(self.top3) & self.case.acceptable)

    @property
    def referred(self) -> bool:
        """A mimic is referred when a red flag sends the patient on or the fit is called poor."""
        return bool(self.flags) or self.fit == "poor"


def run_case(case: Case) -> Outcome:
    from weizhong.case import validate_case
    from weizhong.planning.plan import make_plan
    from weizhong.reasoning.assessment import assess

    valid = validate_case(case.data["case"])
    result = assess(valid)
    plan = make_plan(valid, result)
    lead = result["differential"][0]
    return Outcome(
        case=case,
        leading=lead["condition"],
        probability=float(lead["probability"]),
        top3=[e["condition"] for e in result["differential"][:3]],
        flags={f["id"]: f["urgency"] for f in result["red_flags"]},
        fit=str((result.get("fit") or {}).get("status", "good")),
        status=str(plan["status"]),
        unsafe=unsafe_items(plan, case.expected.get("plan_must_not") or ()),
    )


def proportion(hits: int, total: int) -> dict[str, Any]:
    low, high = wilson(hits, total)
    return {
        "hits": hits,
        "total": total,
        "rate": hits / total if total else math.nan,
        "ci95": [low, high],
    }


def figures(outcomes: list[Outcome]) -> dict[str, Any]:
    """The benchmark's figures for one half."""
    modelled = [o for o in outcomes if o.modelled]
    wanted = [
        (o, f, u) for o in outcomes for f, u in (o.case.expected.get("red_flags") or {}).items()
    ]
    raised = [(o, f, u) for o, f, u in wanted if f in o.flags]
    in_time = [(o, f, u) for o, f, u in raised if URGENCY_RANK[o.flags[f]] <= URGENCY_RANK[u]]
    clean = [o for o in outcomes if not o.case.expected.get("red_flags")]
    mimics = [o for o in outcomes if o.case.expected.get("mimic")]
    briers = [(o.probability - (1.0 if o.top1_right else 0.0)) ** 2 for o in modelled]
    return {
        "cases": len(outcomes),
        "top1": proportion(sum(o.top1_right for o in modelled), len(modelled)),
        "top3": proportion(sum(o.top3_right for o in modelled), len(modelled)),
        "red_flag_recall": proportion(len(raised), len(wanted)),
        "red_flag_recall_at_urgency": proportion(len(in_time), len(wanted)),
        "spurious_flags": proportion(sum(bool(o.flags) for o in clean), len(clean)),
        "unsafe_plan_items": sum(len(o.unsafe) for o in outcomes),
        "cases_with_unsafe_items": sum(bool(o.unsafe) for o in outcomes),
        "mimics_referred": proportion(sum(o.referred for o in mimics), len(mimics)),
        "brier": sum(briers) / len(briers) if briers else math.nan,
        "reliability": reliability_bins(modelled),
    }


def reliability_bins(outcomes: list[Outcome], bins: int = 5) -> list[dict[str, Any]]:
    """The leading condition's stated probability against how often it was right, by bin."""
    out = []
    for n in range(bins):
        low, high = n / bins, (n + 1) / bins
        inside = [
            o
            for o in outcomes
            if low <= o.probability < high or (n == bins - 1 and o.probability == 1)
        ]
        out.append(
            {
                "from": low,
                "to": high,
                "cases": len(inside),
                "stated": sum(o.probability for o in inside) / len(inside) if inside else None,
                "observed": sum(o.top1_right for o in inside) / len(inside) if inside else None,
            }
        )
    return out


def reliability_svg(bins: list[dict[str, Any]], title: str) -> str:
    """A reliability plot: stated probability (x) against observed frequency (y), dot size by
    the number of cases; the diagonal is perfect calibration."""
    size, pad = 320, 44
    span = size - 2 * pad

    def x(v: float) -> float:
        return pad + v * span

    def y(v: float) -> float:
        return size - pad - v * span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" '
        f'height="{size}" role="img" aria-label="{title}">',
        f"<title>{title}</title>",
        f'<rect x="{pad}" y="{pad}" width="{span}" height="{span}" fill="#fff" stroke="#888"/>',
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#999" '
        'stroke-dasharray="4 3"/>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            f'<text x="{x(tick)}" y="{size - pad + 16}" font-size="11" '
            f'text-anchor="middle">{tick:g}</text>'
        )
        parts.append(
            f'<text x="{pad - 8}" y="{y(tick) + 4}" font-size="11" '
            f'text-anchor="end">{tick:g}</text>'
        )
    points = [b for b in bins if b["cases"]]
    for b in points:
        radius = 3 + 2 * math.sqrt(b["cases"])
        parts.append(
            f'<circle cx="{x(b["stated"]):.1f}" cy="{y(b["observed"]):.1f}" '
            f'r="{radius:.1f}" fill="#0b5c6b" fill-opacity="0.75"><title>'
            f"{b['cases']} cases: stated {b['stated']:.2f}, right {b['observed']:.2f}"
            "</title></circle>"
        )
    parts.append(
        f'<text x="{size / 2}" y="{size - 8}" font-size="12" text-anchor="middle">'
        "stated probability of the leading condition</text>"
    )
    parts.append(
        f'<text x="14" y="{size / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {size / 2})">how often it was right</text>'
    )
    parts.append(f'<text x="{size / 2}" y="24" font-size="13" text-anchor="middle">{title}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
