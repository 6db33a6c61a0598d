"""Safety rules: they change the plan for this patient, say why, and yield only to an override
with a written reason, which the plan records.

Each gate is a rule of ``safety.toml`` with a stable id. An override is per rule: overriding one
gate (say, hands-on care under a soon red flag) leaves every other gate in force. A few rules
cannot be overridden at all (``overridable = false``): they ask for a question to be answered or
cap a depth, and answering or obeying them is always possible.

The gates, in the order they run (issue 11):
1. red flags: no needles (emergency/urgent: ``red_flag_refer``; soon: ``red_flag_soon``), no
   hands-on care (``red_flag_no_hands_on``), no manipulation (``manipulation_red_flag``);
2. cauda equina screen incomplete: nothing until the cardinal questions are answered
   (``cauda_equina_screen_first``, status ``screen_first``);
3. manipulation contraindications, each its own rule;
4. back-pain combinations without back pain; the acute phase of a hamstring strain;
5. pregnancy (points, trunk, trigger points, gestation); bleeding (classes, combinations, INR,
   deep trigger points, points over major arteries); devices; depth over organs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from weizhong.case import Case
from weizhong.errors import InputError
from weizhong.knowledge.atlas import MUSCLE_REGIONS, load_atlas
from weizhong.knowledge.hazards import hazard_ids
from weizhong.knowledge.loader import KnowledgeError, load_knowledge
from weizhong.knowledge.registry import configuration, knowledge_path
from weizhong.knowledge.tables import Table, read_toml
from weizhong.numbers import number
from weizhong.reasoning.words import finding_label, medication_class_words

TRUNK_REGIONS = frozenset(("low_back", "sacrum", "lower_abdomen", "upper_abdomen"))
IMPLANT_REGIONS = {
    "metal_implant_lumbar": frozenset(("low_back", "sacrum")),
    "metal_implant_hip": frozenset(("buttock", "groin", "lateral_thigh", "anterior_thigh")),
    "metal_implant_knee": frozenset(("posterior_knee", "anterior_knee")),
}
# Where needles would reach an implant: the hardware or prosthesis itself, a stimulator's leads
# and its generator pocket (implant_no_needle_site). Devices carry no side: both sides count.
IMPLANT_NEEDLE_REGIONS = {
    "metal_implant_lumbar": frozenset(("low_back",)),
    "metal_implant_hip": frozenset(("buttock", "groin")),
    "metal_implant_knee": frozenset(("posterior_knee", "anterior_knee")),
    "spinal_cord_stimulator": frozenset(("low_back", "upper_back", "buttock")),
    "sacral_nerve_stimulator": frozenset(("sacrum", "buttock")),
}
INFLAMMATORY_ARTHRITIS = ("ankylosing_spondylitis", "rheumatoid_arthritis")
SUPERFICIAL_CUN = 0.5  # bleeding_combination: "superficial needling only" (safety.toml)


class OverrideError(InputError):
    """An override that cannot be accepted: unknown rule, no reason, or a rule that cannot yield."""


@dataclass(frozen=True)
class SafetyRule:
    id: str
    does: str
    message: str
    source: str
    hazards: tuple[str, ...] = ()
    overridable: bool = True
    title: str = ""  # a few words a clinician reads as the warning's heading


@dataclass(frozen=True)
class TriggerPointDepth:
    organ: str
    depth_cun: tuple[float, float]
    angle: str


@dataclass(frozen=True)
class SafetyLists:
    """The lists the gates read (safety.toml, below the rules), checked against the atlas."""

    neurostimulators: frozenset[str]
    spinal_devices: tuple[str, ...]
    cauda_equina_questions: tuple[str, ...]
    vitamin_k_antagonists: frozenset[str]
    added_risk: tuple[tuple[str, str], ...]
    caution: tuple[tuple[str, str], ...]
    bleeding_conditions: frozenset[str]
    deep_trigger_points: dict[str, str]
    major_vessels: dict[str, str]
    acute_strain_days: int
    acute_strain_regions: frozenset[str]
    pregnancy_withhold: frozenset[str]
    pregnancy_gentle: frozenset[str]
    trigger_point_depth: dict[str, TriggerPointDepth]
    poor_fit_withhold: frozenset[str]
    aaa_vascular_conditions: frozenset[str]


def load_safety_rules(path: Path | None = None) -> dict[str, SafetyRule]:
    """The safety rules' messages and sources (safety.toml), read once."""
    return _load_safety(path or knowledge_path("safety.toml"), configuration())[0]


def load_safety_lists(path: Path | None = None) -> SafetyLists:
    """The lists the safety gates read (major vessels, deep trigger points, ...), read once."""
    return _load_safety(path or knowledge_path("safety.toml"), configuration())[1]


def major_vessel_points() -> frozenset[str]:
    """Codes of points that lie on a major artery (never a balance point, never when bleeding)."""
    return frozenset(load_safety_lists().major_vessels)


def _pairs(table: Table, key: str) -> tuple[tuple[str, str], ...]:
    raw = table.data.get(key)
    if not isinstance(raw, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(c, str) for c in p) for p in raw
    ):
        table.fail(f"'{key}' must be a list of [class, class] pairs")
    return tuple((p[0], p[1]) for p in raw)


@cache
def _load_safety(path: Path, configured: str) -> tuple[dict[str, SafetyRule], SafetyLists]:
    """Cached by the knowledge setting too: the rules are checked against other files."""
    top = read_toml(path, KnowledgeError)
    rules = {}
    for ident, item in top.table("rule").data.items():
        table = top.child(item, f"rule.{ident}")
        hazards = hazard_ids(table)
        rules[ident] = SafetyRule(
            ident,
            table.text("does"),
            table.text("message"),
            table.text("source"),
            hazards,
            table.opt_flag("overridable", True),
            table.text("title"),
        )
    atlas = load_atlas()
    vessels = top.table("major_vessel")
    major = {code: vessels.text(code) for code in vessels.data if code != "source"}
    vessels.text("source")
    if unknown := sorted(set(major) - set(atlas.points)):
        vessels.fail(f"not points of the atlas: {', '.join(unknown)}")
    deep = top.table("deep_trigger_point")
    depth: dict[str, TriggerPointDepth] = {}
    for muscle, item in top.table("trigger_point_depth").data.items():
        table = top.child(item, f"trigger_point_depth.{muscle}")
        like = table.text("like")
        point = atlas.points.get(like)
        if point is None or point.depth_limit_cun is None:
            table.fail(f"'like' must name an atlas point with a depth limit, not '{like}'")
        depth[muscle] = TriggerPointDepth(
            table.text("organ"),
            (min(point.depth_cun[0], point.depth_limit_cun), point.depth_limit_cun),
            table.text("angle"),
        )
    bleeding = top.table("bleeding")
    strain = top.table("acute_strain")
    pregnancy = top.table("pregnancy_trigger_point")
    lists = SafetyLists(
        neurostimulators=frozenset(top.table("devices").texts("neurostimulators")),
        spinal_devices=top.table("devices").texts("spinal"),
        cauda_equina_questions=top.table("cauda_equina").texts("questions"),
        vitamin_k_antagonists=frozenset(top.table("inr").texts("vitamin_k_antagonists")),
        added_risk=_pairs(bleeding, "added_risk"),
        caution=_pairs(bleeding, "caution"),
        bleeding_conditions=frozenset(bleeding.texts("conditions")),
        deep_trigger_points={m: deep.text(m) for m in deep.data if m != "source"},
        major_vessels=major,
        acute_strain_days=strain.integer("days"),
        acute_strain_regions=frozenset(strain.texts("regions")),
        pregnancy_withhold=frozenset(pregnancy.texts("withhold")),
        pregnancy_gentle=frozenset(pregnancy.texts("gentle")),
        trigger_point_depth=depth,
        poor_fit_withhold=frozenset(top.table("poor_fit").texts("withhold_points")),
        aaa_vascular_conditions=frozenset(top.table("aaa").texts("vascular_conditions")),
    )
    return rules, lists


def parse_overrides(raw: list[str] | dict[str, str]) -> dict[str, str]:
    """`RULE=reason` strings (or a mapping) into {rule: reason}; refuse unknown rules, rules that
    cannot be overridden, and overrides without a reason."""
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
        if not rules[rule].overridable:
            raise OverrideError(
                f"override '{rule}': this rule cannot be overridden (it {rules[rule].does})"
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
    manipulation_rules: list[str] = field(default_factory=list)
    overrides_used: list[dict[str, str]] = field(default_factory=list)
    status: str = "treat"
    hands_on_withheld: str | None = None
    soft_tissue_note: str | None = None  # replaces the usual soft-tissue advice (fresh strain)
    home_programme_withheld: bool = False
    questions: list[dict[str, Any]] = field(default_factory=list)
    screen_rules: list[str] = field(default_factory=list)  # the rules holding a screen_first plan


class _Gates:
    """One run of the rules over one plan: the outcome, and the bookkeeping of warnings."""

    def __init__(self, case: Case, points: list[dict[str, Any]], overrides: dict[str, str]) -> None:
        self.case = case
        self.rules = load_safety_rules()
        self.lists = load_safety_lists()
        self.atlas = load_atlas()
        self.overrides = overrides
        self.out = SafetyOutcome(points=[dict(p) for p in points])

    def warn(self, rule: str, **values: str) -> bool:
        """Record the rule's warning once; True when the clinician has overridden it."""
        spec = self.rules[rule]
        overridden = spec.overridable and rule in self.overrides
        if any(w["id"] == rule for w in self.out.warnings):
            return overridden
        warning: dict[str, Any] = {
            "id": rule,
            "title": spec.title,
            "message": spec.message.format(**values),
            "source": spec.source,
            "hazards": list(spec.hazards),
            "overridden": overridden,
        }
        if overridden:
            warning["override_reason"] = self.overrides[rule]
            self.out.overrides_used.append({"rule": rule, "reason": self.overrides[rule]})
        self.out.warnings.append(warning)
        return overridden

    def refuse_override(self, rule: str, why: str) -> None:
        """An override the situation does not allow (an emergency): recorded as refused."""
        for warning in self.out.warnings:
            if warning["id"] == rule and warning["overridden"]:
                warning["overridden"] = False
                warning["override_refused"] = why
                warning.pop("override_reason", None)
        self.out.overrides_used = [o for o in self.out.overrides_used if o["rule"] != rule]

    def withhold(self, points: list[dict[str, Any]], rule: str) -> None:
        title = self.rules[rule].title
        self.out.withheld += [{**p, "withheld_by": rule, "withheld_because": title} for p in points]
        ids = {id(p) for p in points}
        self.out.points = [p for p in self.out.points if id(p) not in ids]

    def atlas_point(self, p: dict[str, Any]) -> Any:
        return self.atlas.points.get(p["code"])

    def ask(self, finding: str, rule: str, why: str) -> None:
        if all(q["finding"] != finding for q in self.out.questions):
            self.out.questions.append(
                {"finding": finding, "label": _label(finding), "rule": rule, "why": why}
            )

    def block_manipulation(self, rule: str, reason: str, **values: str) -> None:
        if not self.warn(rule, **values):
            self.out.manipulation_blocked.append(reason)
            self.out.manipulation_rules.append(rule)

    def hold_for_screen(self, rule: str, *, hands_on: str, manipulation: str) -> None:
        """Nothing is proposed until ``rule``'s questions are answered (plan status
        screen_first): no needles, no home programme, no hands-on care, no manipulation."""
        out = self.out
        self.withhold(list(out.points), rule)
        out.no_needling = True
        out.home_programme_withheld = True
        out.hands_on_withheld = out.hands_on_withheld or hands_on
        out.manipulation_blocked.append(manipulation)
        out.manipulation_rules.append(rule)
        out.screen_rules.append(rule)
        if out.status == "treat":
            out.status = "screen_first"


def _label(finding: str) -> str:
    """A finding inside a sentence for the clinician: its label and side, lower-case first."""
    return finding_label(finding, side=True, lower=True)


def apply_safety(
    case: Case,
    red_flags: list[dict[str, Any]],
    points: list[dict[str, Any]],
    overrides: dict[str, str],
    *,
    assessment: dict[str, Any] | None = None,
) -> SafetyOutcome:
    """Apply every rule to the proposed points; each change is reported as a warning."""
    gates = _Gates(case, points, overrides)
    assessment = assessment or {}
    _red_flags(gates, red_flags)
    _cauda_equina_screen(gates, assessment.get("red_flag_screen") or {})
    _aaa_palpation(gates)
    _poor_fit(gates, assessment)
    _manipulation(gates)
    _back_pain_combinations(gates)
    _acute_strain(gates, assessment.get("differential") or [])
    _pregnancy(gates)
    _bleeding(gates)
    _devices(gates)
    _depth(gates)
    return gates.out


def _flag_names(flags: list[dict[str, Any]], urgency: bool) -> str:
    return "; ".join(
        f"{f.get('name', f['id'])}, {f['urgency']}" if urgency else str(f.get("name", f["id"]))
        for f in flags
    )


def _red_flags(gates: _Gates, red_flags: list[dict[str, Any]]) -> None:
    out = gates.out
    urgent = [f for f in red_flags if f["urgency"] in ("emergency", "urgent")]
    soon = [f for f in red_flags if f["urgency"] not in ("emergency", "urgent")]
    # An emergency is never overridden here: the patient goes today, whatever is recorded.
    emergency = any(f["urgency"] == "emergency" for f in red_flags)
    overridden = bool(urgent) and gates.warn("red_flag_refer", flags=_flag_names(urgent, True))
    if overridden and emergency:
        gates.refuse_override("red_flag_refer", "an emergency cannot be overridden")
        overridden = False
    if urgent and not overridden:
        gates.withhold(list(out.points), "red_flag_refer")
        out.no_needling = True
        out.home_programme_withheld = True
        out.status = "refer_first"
    if soon and not gates.warn("red_flag_soon", flags=_flag_names(soon, False)):
        gates.withhold(list(out.points), "red_flag_soon")
        out.no_needling = True
        out.status = "refer_first"
    if red_flags:
        names = _flag_names(red_flags, False)
        if not gates.warn("red_flag_no_hands_on", flags=names):
            out.hands_on_withheld = gates.rules["red_flag_no_hands_on"].message.format(flags=names)
        gates.block_manipulation(
            "manipulation_red_flag", f"a red flag is raised ({names})", flags=names
        )


def _aaa_palpation(gates: _Gates) -> None:
    """Belly pain with back pain in an older smoker or a man of 65 or over, or back pain alone in
    a man of 65 or over who smokes or has vascular disease: the abdomen is felt before anything
    else (aaa_palpate_first), as the cauda equina questions are asked first."""
    view, out = gates.case.view, gates.out
    regions = view.get("pain_regions")
    age = view.get("age")
    if out.no_needling or view.get("pulsatile_abdominal_mass") is not None:
        return
    if not isinstance(regions, frozenset) or not isinstance(age, int):
        return
    risks = []
    if regions & {"lower_abdomen", "upper_abdomen"}:
        pain = "Belly pain with back pain"
        if age >= 50 and view.get("smoker") is True:
            risks.append("a smoker over 50")
        if age >= 65 and view.get("sex") == "male":
            risks.append("a man of 65 or over")
    elif "low_back" in regions and age >= 65 and view.get("sex") == "male":
        # Issue 16: back pain alone in an older man with a vascular risk (the group in whom a
        # felt widening of the aorta most often proves an aneurysm).
        pain = "Back pain"
        conditions = set(gates.case.patient.get("conditions", ()))
        vascular = sorted(conditions & gates.lists.aaa_vascular_conditions)
        if view.get("smoker") is True:
            vascular.insert(0, "smoking")
        if vascular:
            words = ", ".join(v.replace("_", " ") for v in vascular)
            risks.append(f"a man of 65 or over with {words}")
    if not risks:
        return
    gates.warn("aaa_palpate_first", pain=pain, age=str(age), risk=" and ".join(risks))
    gates.hold_for_screen(
        "aaa_palpate_first",
        hands_on=gates.rules["aaa_palpate_first"].title + ".",
        manipulation="the abdomen has not been felt for a pulsatile mass",
    )
    gates.ask("pulsatile_abdominal_mass", "aaa_palpate_first", "Feel the abdomen first")


def _poor_fit(gates: _Gates, assessment: dict[str, Any]) -> None:
    """A picture that fits none of the modelled conditions gets no protocol for the leader."""
    fit = assessment.get("fit") or {}
    differential = assessment.get("differential") or [{}]
    if fit.get("status") != "poor" or gates.out.no_needling:
        return
    leader = str(differential[0].get("condition", "")).replace("_", " ")
    why = str(fit.get("why", "")).rstrip(".")
    if fit.get("rule") not in gates.lists.poor_fit_withhold:
        gates.warn("poor_fit_caution", why=why, condition=leader)
        return
    # A sign of something the tool does not model: nothing is proposed until that cause has been
    # examined for (issue 16: mimics got a lumbar plan). An override with a reason restores it.
    if gates.warn("poor_fit_no_condition_points", why=why, condition=leader):
        return
    message = gates.rules["poor_fit_no_condition_points"].message.format(why=why, condition=leader)
    gates.hold_for_screen(
        "poor_fit_no_condition_points",
        hands_on=message,
        manipulation="the picture fits none of the modelled conditions",
    )


def _cauda_equina_screen(gates: _Gates, screen: dict[str, Any]) -> None:
    if not screen.get("cauda_equina_unscreened"):
        return
    asked = gates.case.view
    questions = [q for q in gates.lists.cauda_equina_questions if asked.get(q) is None]
    questions += [q for q in screen.get("cauda_equina_not_asked", ()) or () if q not in questions]
    shown = "; ".join(_label(q) for q in questions) or "the cauda equina questions"
    gates.warn("cauda_equina_screen_first", questions=shown)
    message = gates.rules["cauda_equina_screen_first"].message.format(questions=shown)
    gates.hold_for_screen(
        "cauda_equina_screen_first",
        hands_on=message,
        manipulation="cauda equina not yet excluded",
    )
    for question in questions:
        gates.ask(question, "cauda_equina_screen_first", "Cauda equina screen (cardinal question)")


def _manipulation(gates: _Gates) -> None:
    patient = gates.case.patient
    conditions = set(patient.get("conditions", ()))
    devices = set(patient.get("devices", ()))
    classes = gates.case.view["medications"]
    assert isinstance(classes, frozenset)
    bleeding = []
    if "anticoagulant" in classes:
        bleeding.append("on an anticoagulant")
    if conditions & gates.lists.bleeding_conditions:
        bleeding.append("bleeding disorder")
    if bleeding:
        why = " and ".join(bleeding)
        gates.block_manipulation("manipulation_anticoagulant", why, why=why)
    if "osteoporosis" in conditions:
        gates.block_manipulation(
            "manipulation_osteoporosis", "osteoporosis (fracture risk with high-velocity thrust)"
        )
    if arthritis := [c for c in INFLAMMATORY_ARTHRITIS if c in conditions]:
        words = " and ".join(c.replace("_", " ") for c in arthritis)
        gates.block_manipulation("manipulation_inflammatory_arthritis", words, conditions=words)
    if spinal := [d for d in gates.lists.spinal_devices if d in devices]:
        words = " and ".join(
            d.replace("metal_implant_lumbar", "metal implant").replace("_", " ") for d in spinal
        )
        gates.block_manipulation(
            "manipulation_lumbar_implant", f"{words} in the spine", devices=words
        )
    if "lumbar_surgery_history" in conditions:
        gates.block_manipulation("manipulation_lumbar_surgery", "previous lumbar surgery")
    age = patient.get("age")
    if isinstance(age, int) and age < 18:
        gates.block_manipulation("manipulation_minor", f"age {age}, under 18", age=str(age))


def _back_pain_combinations(gates: _Gates) -> None:
    regions = set(gates.case.findings.get("pain_regions", ()))
    if regions & load_knowledge().back_regions:
        return
    combos = [p for p in gates.out.points if p.get("needs_back_pain")]
    if combos and not gates.warn(
        "back_pain_combination_without_back_pain",
        points=", ".join(dict.fromkeys(p["code"] for p in combos)),
    ):
        gates.withhold(combos, "back_pain_combination_without_back_pain")


def _acute_strain(gates: _Gates, differential: list[dict[str, Any]]) -> None:
    findings = gates.case.findings
    leads = bool(differential) and differential[0].get("condition") == "hamstring_strain"
    if not (leads or findings.get("sudden_onset_during_sprint") is True):
        return
    onset = findings.get("onset_days")
    days = gates.lists.acute_strain_days
    if isinstance(onset, int) and onset > days:
        return
    regions = findings.get("pain_regions", ())
    sides = {r.rsplit("_", 1)[1] for r in regions if r.startswith("posterior_thigh_")}
    points = findings.get("trigger_points", ())
    sides |= {t.rsplit("_", 1)[1] for t in points if t.startswith("hamstrings_")}
    sides = sides or {"left", "right"}
    local = [
        p
        for p in gates.out.points
        if (p["side"] in sides or p["side"] == "both")
        and (
            p.get("muscle") == "hamstrings"
            or ((a := gates.atlas_point(p)) and gates.lists.acute_strain_regions & set(a.regions))
        )
    ]
    day = str(onset) if isinstance(onset, int) else "not recorded"
    side = " and ".join(sorted(sides))
    if local and not gates.warn(
        "acute_strain_no_local_needling",
        day=day,
        side=side,
        points=", ".join(dict.fromkeys(p.get("muscle", p["code"]) for p in local)),
        days=str(days),
    ):
        gates.withhold(local, "acute_strain_no_local_needling")
    if not gates.out.no_needling and not gates.warn("acute_strain_no_electro", days=str(days)):
        gates.out.no_electro_regions |= gates.lists.acute_strain_regions
    if not gates.out.hands_on_withheld and not gates.warn(
        "acute_strain_no_deep_massage", days=str(days)
    ):
        gates.out.soft_tissue_note = (
            f"Fresh strain (day {day}): relative rest of the injured hamstring and gentle, "
            f"pain-free movement; no deep massage, stretching or needling of the injured muscle "
            f"in the first {days} days; graded loading after that."
        )


def _pregnancy(gates: _Gates) -> None:
    case, out = gates.case, gates.out
    if not case.patient.get("pregnant"):
        return
    if case.findings.get("gestation_weeks") is None:
        gates.warn("pregnancy_gestation_unrecorded")
        gates.ask("gestation_weeks", "pregnancy_gestation_unrecorded", "Weeks of pregnancy")
    weeks = case.findings.get("gestation_weeks")
    if weeks is None or weeks >= 16:
        gates.warn(
            "pregnancy_positioning",
            weeks=f"{weeks} weeks" if weeks is not None else "weeks not recorded",
        )
    # Forbidden, and the sacral points traditionally avoided, are withheld alike (consent
    # overrides both); the rest of the trunk is needled gently below.
    forbidden = [
        p
        for p in out.points
        if (a := gates.atlas_point(p))
        and (a.pregnancy == "forbidden" or (a.pregnancy and "sacrum" in a.regions))
    ]
    if forbidden and not gates.warn(
        "pregnancy_forbidden_point", points=", ".join(p["code"] for p in forbidden)
    ):
        gates.withhold(forbidden, "pregnancy_forbidden_point")
    trunk_muscles = [p for p in out.points if p.get("muscle") in gates.lists.pregnancy_withhold]
    gentle = [p for p in out.points if p.get("muscle") in gates.lists.pregnancy_gentle]
    if trunk_muscles:
        muscles = ", ".join(
            dict.fromkeys(str(p["muscle"]).replace("_", " ") for p in trunk_muscles)
        )
        if not gates.warn("pregnancy_trunk_trigger_point", muscles=muscles):
            gates.withhold(trunk_muscles, "pregnancy_trunk_trigger_point")
    for p in gentle:
        p["caution"] = "pregnancy: gentle and shallow, no stimulation"
    trunk = [
        p
        for p in out.points
        if (a := gates.atlas_point(p)) and (TRUNK_REGIONS & set(a.regions) or a.pregnancy)
    ]
    if trunk:
        overridden = gates.warn(
            "pregnancy_trunk_caution", points=", ".join(p["code"] for p in trunk)
        )
        for p in trunk:
            p["caution"] = "pregnancy: gentle, shallow, no stimulation"
            p["depth_cun"] = [p["depth_cun"][0], p["depth_cun"][0]]  # the shallow end
        if not overridden:
            out.no_electro_regions |= TRUNK_REGIONS


def _combinations(gates: _Gates, pairs: tuple[tuple[str, str], ...]) -> list[str]:
    """Class pairs present in two different medicines (aspirin alone is not NSAID + aspirin)."""
    meds = [(m.generic or m.name, set(m.classes)) for m in gates.case.medications]
    found = []
    for first, second in pairs:
        for i, (name_a, classes_a) in enumerate(meds):
            match = next(
                (
                    name_b
                    for j, (name_b, classes_b) in enumerate(meds)
                    if j != i and first in classes_a and second in classes_b
                ),
                None,
            )
            if match is not None:
                found.append(
                    f"{name_a} ({medication_class_words(first)}) with {match} "
                    f"({medication_class_words(second)})"
                )
                break
    return found


def _bleeding(gates: _Gates) -> None:
    case, out, lists = gates.case, gates.out, gates.lists
    classes = case.view["medications"]
    assert isinstance(classes, frozenset)
    conditions = set(case.patient.get("conditions", ()))
    reasons = []
    if "anticoagulant" in classes:
        reasons.append("anticoagulant")
    if conditions & lists.bleeding_conditions:
        reasons.append("bleeding disorder")
    added = _combinations(gates, lists.added_risk)
    caution = [] if reasons else _combinations(gates, lists.caution)
    if not out.points:
        return
    if reasons and not gates.warn("bleeding_risk", why=" and ".join(reasons)):
        for p in out.points:
            if "depth_cun" in p:
                p["depth_cun"] = [p["depth_cun"][0], p["depth_cun"][0]]
            p["needle"] = "0.20 mm or finer; firm pressure after withdrawal"
            if p["code"] == "BL40":
                p["technique"] = "needle only; no bloodletting"
    if added and not gates.warn("bleeding_combination", pairs="; ".join(added)):
        for p in out.points:  # "superficial needling only": the message's promise, kept
            if "depth_cun" in p:
                p["depth_cun"] = [min(d, SUPERFICIAL_CUN) for d in p["depth_cun"]]
    if caution:
        gates.warn("antiplatelet_combination", pairs="; ".join(caution))
    elif not reasons and "antiplatelet" in classes:
        gates.warn("antiplatelet")
    vka = sorted({m.generic for m in case.medications if m.generic in lists.vitamin_k_antagonists})
    if vka:
        drug = " and ".join(str(v) for v in vka)
        inr = case.findings.get("inr_in_range")
        if inr is None:
            gates.ask("inr_in_range", "inr_unknown", f"On {drug}: was the last INR in range?")
            # Needles wait for the answer, as they wait for the cauda equina questions.
            if not gates.warn("inr_unknown", drug=drug):
                gates.withhold(list(out.points), "inr_unknown")
                out.no_needling = True
                out.screen_rules.append("inr_unknown")
                if out.status == "treat":
                    out.status = "screen_first"
                return
        elif inr is False and not gates.warn("inr_out_of_range", drug=drug):
            gates.withhold(list(out.points), "inr_out_of_range")
            out.no_needling = True
            out.hands_on_withheld = out.hands_on_withheld or gates.rules[
                "inr_out_of_range"
            ].message.format(drug=drug)
            if out.status == "treat":
                out.status = "refer_first"
            return
    if not (reasons or caution):
        return
    deep = [p for p in out.points if p.get("muscle") in lists.deep_trigger_points]
    if deep and not gates.warn(
        "bleeding_deep_trigger_point",
        muscles=", ".join(dict.fromkeys(str(p["muscle"]).replace("_", " ") for p in deep)),
    ):
        gates.withhold(deep, "bleeding_deep_trigger_point")
    vessels = [p for p in out.points if p["code"] in lists.major_vessels]
    if vessels and not gates.warn(
        "bleeding_major_vessel_point",
        points=", ".join(f"{p['code']} ({lists.major_vessels[p['code']]})" for p in vessels),
    ):
        gates.withhold(vessels, "bleeding_major_vessel_point")


def _devices(gates: _Gates) -> None:
    out = gates.out
    if out.no_needling:
        return
    patient = gates.case.patient
    devices = set(patient.get("devices", ()))
    conditions = set(patient.get("conditions", ()))
    if devices & {"pacemaker", "icd"} and not gates.warn("pacemaker_no_electro"):
        out.no_electro["pacemaker_no_electro"] = gates.rules["pacemaker_no_electro"].message
    if stimulators := sorted(devices & gates.lists.neurostimulators):
        words = ", ".join(s.replace("_", " ") for s in stimulators)
        device = words[0].upper() + words[1:]
        if not gates.warn("neurostimulator_no_electro", device=device):
            out.no_electro["neurostimulator_no_electro"] = gates.rules[
                "neurostimulator_no_electro"
            ].message.format(device=device)
    if "epilepsy" in conditions and not gates.warn("epilepsy_no_electro"):
        out.no_electro["epilepsy_no_electro"] = gates.rules["epilepsy_no_electro"].message
    for implant, regions in IMPLANT_REGIONS.items():
        if implant in devices and not gates.warn(
            "implant_no_current", implant=implant.replace("metal_implant_", "")
        ):
            out.no_electro_regions |= regions
    for implant, regions in IMPLANT_NEEDLE_REGIONS.items():
        if implant not in devices:
            continue
        near = [p for p in out.points if _point_regions(gates, p) & regions]
        if not near:
            continue
        words = implant.replace("metal_implant_", "").replace("_", " ")
        shown = ", ".join(
            f"trigger point in {p['muscle'].replace('_', ' ')}" if p.get("muscle") else p["code"]
            for p in near
        )
        if not gates.warn(
            "implant_no_needle_site", implant=words[0].upper() + words[1:], points=shown
        ):
            gates.withhold(near, "implant_no_needle_site")


def _point_regions(gates: _Gates, point: dict[str, Any]) -> frozenset[str]:
    """The body-chart regions a proposed point (or trigger point) lies in, without sides."""
    if point.get("muscle"):
        region = MUSCLE_REGIONS.get(str(point["muscle"]))
        return frozenset((region,)) if region else frozenset()
    atlas_point = gates.atlas_point(point)
    return frozenset(atlas_point.regions) if atlas_point else frozenset()


def _depth(gates: _Gates) -> None:
    out = gates.out
    deep = [p for p in out.points if (a := gates.atlas_point(p)) and a.organ_below]
    if deep:
        gates.warn(
            "organ_depth_limit",
            points=", ".join(_depth_note(p["code"], gates.atlas_point(p)) for p in deep),
        )
        for p in deep:
            limit = gates.atlas_point(p).depth_limit_cun
            p["depth_cun"] = [min(d, limit) for d in p["depth_cun"]]
    capped = [p for p in out.points if p.get("muscle") in gates.lists.trigger_point_depth]
    if capped:
        caps = gates.lists.trigger_point_depth
        gates.warn(
            "trigger_point_depth_cap",
            muscles=", ".join(
                dict.fromkeys(
                    f"{str(p['muscle']).replace('_', ' ')} "
                    f"(≤ {number(caps[p['muscle']].depth_cun[1])} cun)"
                    for p in capped
                )
            ),
            organs="; ".join(dict.fromkeys(caps[p["muscle"]].organ for p in capped)),
        )
        for p in capped:
            cap = caps[p["muscle"]]
            shallow = "needle" in p  # the bleeding rule keeps every needle at the shallow end
            p["depth_cun"] = [cap.depth_cun[0], cap.depth_cun[0 if shallow else 1]]
            p["depth_limit_cun"] = cap.depth_cun[1]
            p["organ_below"] = cap.organ
            p["angle"] = cap.angle


def _depth_note(code: str, point: Any) -> str:
    return f"{code} ({point.organ_below}, ≤ {number(point.depth_limit_cun)} cun)"
