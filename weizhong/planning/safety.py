"""Safety rules: they change the plan for this patient, say why, and yield only to an override
with a written reason, which the plan records."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from weizhong.case import Case
from weizhong.knowledge.atlas import load_atlas
from weizhong.knowledge.loader import KnowledgeError, knowledge_dir
from weizhong.knowledge.tables import read_toml

TRUNK_REGIONS = frozenset(("low_back", "sacrum", "lower_abdomen", "upper_abdomen"))
IMPLANT_REGIONS = {
    "metal_implant_lumbar": frozenset(("low_back", "sacrum")),
    "metal_implant_hip": frozenset(("buttock", "groin", "lateral_thigh", "anterior_thigh")),
    "metal_implant_knee": frozenset(("posterior_knee", "anterior_knee")),
}


class OverrideError(ValueError):
    """An override that cannot be accepted (unknown rule, or no reason)."""


@dataclass(frozen=True)
class SafetyRule:
    id: str
    does: str
    message: str
    source: str


def load_safety_rules(path: Path | None = None) -> dict[str, SafetyRule]:
    """The safety rules' messages and sources (safety.toml), read once."""
    return _load_safety(path or knowledge_dir() / "safety.toml")


@cache
def _load_safety(path: Path) -> dict[str, SafetyRule]:
    top = read_toml(path, KnowledgeError)
    rules = {}
    for ident, item in top.table("rule").data.items():
        table = top.child(item, f"rule.{ident}")
        rules[ident] = SafetyRule(
            ident, table.text("does"), table.text("message"), table.text("source")
        )
    return rules


def parse_overrides(raw: list[str] | dict[str, str]) -> dict[str, str]:
    """`RULE=reason` strings (or a mapping) into {rule: reason}; refuse unknown rules and
    overrides without a reason."""
    rules = load_safety_rules()
    pairs = (
        raw.items()
        if isinstance(raw, dict)
        else ((text.partition("=")[0], text.partition("=")[2]) for text in raw)
    )
    out: dict[str, str] = {}
    for rule, reason in pairs:
        rule, reason = rule.strip(), reason.strip()
        if rule not in rules:
            raise OverrideError(
                f"override '{rule}': no such safety rule; rules: {', '.join(sorted(rules))}"
            )
        if len(reason) < 10:
            raise OverrideError(
                f"override '{rule}' needs a written reason (at least a short "
                "sentence), for example: "
                f'--override {rule}="discussed with patient, consent recorded"'
            )
        out[rule] = reason
    return out


@dataclass
class SafetyOutcome:
    points: list[dict[str, Any]]
    warnings: list[dict[str, Any]] = field(default_factory=list)
    withheld: list[dict[str, Any]] = field(default_factory=list)
    no_electro: dict[str, str] = field(default_factory=dict)  # rule id -> message
    no_electro_regions: set[str] = field(default_factory=set)
    no_needling: bool = False
    manipulation_blocked: list[str] = field(default_factory=list)
    overrides_used: list[dict[str, str]] = field(default_factory=list)


def apply_safety(
    case: Case,
    red_flags: list[dict[str, Any]],
    points: list[dict[str, Any]],
    overrides: dict[str, str],
) -> SafetyOutcome:
    """Apply every rule to the proposed points; each change is reported as a warning."""
    rules = load_safety_rules()
    atlas = load_atlas()
    out = SafetyOutcome(points=[dict(p) for p in points])

    def warn(rule: str, overridable: bool = True, **values: str) -> bool:
        """Record the rule's warning; True when the clinician has overridden it."""
        overridden = rule in overrides
        warning = {
            "id": rule,
            "message": rules[rule].message.format(**values),
            "source": rules[rule].source,
            "overridden": overridden,
        }
        if overridden:
            warning["override_reason"] = overrides[rule]
            out.overrides_used.append({"rule": rule, "reason": overrides[rule]})
        out.warnings.append(warning)
        return overridden and overridable

    def atlas_point(p: dict[str, Any]) -> Any:
        return atlas.points.get(p["code"])

    urgent = [f for f in red_flags if f["urgency"] in ("emergency", "urgent")]
    if urgent and not warn(
        "red_flag_refer", flags="; ".join(f"{f['name']}, {f['urgency']}" for f in urgent)
    ):
        out.withheld += [{**p, "withheld_by": "red_flag_refer"} for p in out.points]
        out.points = []
        out.no_needling = True
    soon = [f for f in red_flags if f["urgency"] == "soon"]
    if soon:
        warn("red_flag_soon", flags="; ".join(f["name"] for f in soon))
    if urgent or any(
        f["id"]
        in ("spinal_fracture", "spinal_malignancy", "spinal_infection", "cauda_equina_syndrome")
        for f in red_flags
    ):
        out.manipulation_blocked.append("a red flag is raised")
    patient = case.patient
    conditions = set(patient.get("conditions", ()))
    devices = set(patient.get("devices", ()))
    classes = case.view["medications"]
    assert isinstance(classes, frozenset)
    if "osteoporosis" in conditions:
        out.manipulation_blocked.append("osteoporosis (fracture risk with high-velocity thrust)")

    if patient.get("pregnant"):
        forbidden = [p for p in out.points if (a := atlas_point(p)) and a.pregnancy == "forbidden"]
        if forbidden and not warn(
            "pregnancy_forbidden_point", points=", ".join(p["code"] for p in forbidden)
        ):
            out.withheld += [{**p, "withheld_by": "pregnancy_forbidden_point"} for p in forbidden]
            out.points = [p for p in out.points if p not in forbidden]
        trunk = [
            p
            for p in out.points
            if (a := atlas_point(p)) and (TRUNK_REGIONS & set(a.regions) or a.pregnancy)
        ]
        if trunk:
            warn(
                "pregnancy_trunk_caution",
                overridable=False,
                points=", ".join(p["code"] for p in trunk),
            )
            for p in trunk:
                p["caution"] = "pregnancy: gentle, shallow, no stimulation"
                p["depth_cun"] = [p["depth_cun"][0], p["depth_cun"][0]]  # the shallow end
            if "pregnancy_trunk_caution" not in overrides:
                out.no_electro_regions |= TRUNK_REGIONS

    bleeding = []
    if "anticoagulant" in classes:
        bleeding.append("anticoagulant")
    if "bleeding_disorder" in conditions:
        bleeding.append("bleeding disorder")
    if bleeding and not warn("bleeding_risk", why=" and ".join(bleeding)):
        for p in out.points:
            if "depth_cun" in p:
                p["depth_cun"] = [p["depth_cun"][0], p["depth_cun"][0]]
            p["needle"] = "0.20 mm or finer; firm pressure after withdrawal"
            if p["code"] == "BL40":
                p["technique"] = "needle only; no bloodletting"
    elif "antiplatelet" in classes:
        warn("antiplatelet", overridable=False)

    if devices & {"pacemaker", "icd"} and not warn("pacemaker_no_electro"):
        out.no_electro["pacemaker_no_electro"] = rules["pacemaker_no_electro"].message
    if "epilepsy" in conditions and not warn("epilepsy_no_electro"):
        out.no_electro["epilepsy_no_electro"] = rules["epilepsy_no_electro"].message
    for implant, regions in IMPLANT_REGIONS.items():
        if implant in devices and not warn(
            "implant_no_current", implant=implant.replace("metal_implant_", "")
        ):
            out.no_electro_regions |= regions

    deep = [p for p in out.points if (a := atlas_point(p)) and a.organ_below]
    if deep:
        warn(
            "organ_depth_limit",
            overridable=False,
            points=", ".join(_depth_note(p["code"], atlas_point(p)) for p in deep),
        )
        for p in deep:
            limit = atlas_point(p).depth_limit_cun
            p["depth_cun"] = [min(d, limit) for d in p["depth_cun"]]
    if out.manipulation_blocked:
        warn("no_manipulation", overridable=False, why="; ".join(out.manipulation_blocked))
    return out


def _depth_note(code: str, point: Any) -> str:
    return f"{code} ({point.organ_below}, ≤ {point.depth_limit_cun:g} cun)"
