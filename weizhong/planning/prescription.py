"""The acupuncture prescription: which points, on which side, in which role, and why.

Follows the assessment: each condition that leads (see prescription.toml [settings]) brings its
points; classical combinations join when their history fits; trigger points come from the exam;
balance points come from the channel relations and the limb mirror (a practitioner heuristic),
never over an organ or a major artery (safety.toml [major_vessel]).
Safety rules are applied afterwards by :mod:`weizhong.planning.safety`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from weizhong.case import Case
from weizhong.knowledge.atlas import Atlas, ChannelRelations, load_atlas, load_relations
from weizhong.knowledge.loader import KnowledgeError, case_name_checker, load_knowledge
from weizhong.knowledge.predicates import Predicate, all_of, compile_predicate
from weizhong.knowledge.registry import configuration, knowledge_path
from weizhong.knowledge.tables import Table, read_toml
from weizhong.planning.safety import major_vessel_points

ROLES = ("local", "trigger_point", "adjacent", "distal", "balance")
HAND_CHANNELS = frozenset(("LU", "LI", "HT", "SI", "PC", "TE"))
FOOT_CHANNELS = frozenset(("ST", "SP", "BL", "KI", "GB", "LR"))
BALANCE_PREFERENCE = ("BL", "GB", "ST", "KI", "SP", "LR")


@dataclass(frozen=True)
class Choice:
    code: str
    role: str
    why: str
    source: str


@dataclass(frozen=True)
class Combination:
    id: str
    codes: tuple[str, ...]
    role: str
    when: tuple[Predicate, ...]
    why: str
    source: str
    needs_back_pain: bool = False


@dataclass(frozen=True)
class TriggerPointRule:
    muscle: str
    why: str
    caution: str
    source: str


@dataclass(frozen=True)
class PrescriptionRules:
    version: str
    max_points: int
    max_needles: int
    include_at: float
    include_relative: float
    by_condition: dict[str, tuple[Choice, ...]]
    combinations: tuple[Combination, ...]
    trigger_points: dict[str, TriggerPointRule]
    electro: dict[str, Any]
    guidelines: dict[str, dict[str, str]]
    office_care: dict[str, str]


def load_prescription_rules(path: Path | None = None) -> PrescriptionRules:
    """Read and check prescription.toml against the atlas and the conditions, once."""
    return _load_prescription(path or knowledge_path("prescription.toml"), configuration())


@cache
def _load_prescription(path: Path, configured: str) -> PrescriptionRules:
    """Cached by the knowledge setting too: the rules are checked against the atlas and the
    core knowledge."""
    top = read_toml(path, KnowledgeError)
    atlas = load_atlas()
    knowledge = load_knowledge()
    conditions = {c.id for c in knowledge.conditions}
    version = top.table("meta").text("version")
    settings = top.table("settings")

    def choice(table: Table) -> Choice:
        code = table.text("code")
        if code not in atlas.points:
            table.fail(f"point '{code}' is not in the atlas")
        return Choice(code, table.choice("role", ROLES), table.text("why"), table.text("source"))

    by_condition: dict[str, tuple[Choice, ...]] = {}
    for entry in top.opt_tables("condition"):
        ident = entry.text("id")
        entry.where = f"condition '{ident}'"
        if ident not in conditions:
            entry.fail("not a condition the assessment ranks")
        by_condition[ident] = tuple(choice(item) for item in entry.opt_tables("points"))
    known = case_name_checker(knowledge)
    combinations = []
    for entry in top.opt_tables("combination"):
        codes = entry.texts("points")
        if bad := [c for c in codes if c not in atlas.points]:
            entry.fail(f"points not in the atlas: {', '.join(bad)}")
        combinations.append(Combination(
            entry.text("id"), codes, entry.choice("role", ROLES),
            tuple(compile_predicate(text, known) for text in entry.opt_texts("when")),
            entry.text("why"), entry.text("source"), entry.opt_flag("needs_back_pain", False),
        ))  # fmt: skip
    trigger_points = {}
    muscles = {m.rsplit("_", 1)[0] for m in knowledge.vocabulary.muscles}
    for muscle, item in (top.table("trigger_points").data or {}).items():
        table = top.child(item, f"trigger_points.{muscle}")
        if muscle not in muscles:
            table.fail(f"'{muscle}' is not a muscle of the case format")
        trigger_points[muscle] = TriggerPointRule(
            muscle, table.text("why"), table.text("caution"), table.text("source")
        )
    guidelines = {
        key: {"id": key, **{k: str(v) for k, v in value.items()}}
        for key, value in (top.table("guideline").data or {}).items()
        if isinstance(value, dict)
    }
    return PrescriptionRules(
        version=version,
        max_points=settings.integer("max_points"),
        max_needles=settings.integer("max_needles"),
        include_at=settings.number("include_at"),
        include_relative=settings.number("include_relative"),
        by_condition=by_condition,
        combinations=tuple(combinations),
        trigger_points=trigger_points,
        electro=top.table("electro").data,
        guidelines=guidelines,
        office_care=_office_care(top.table("office_care"), conditions),
    )


def _side(case: Case) -> str:
    sides = case.symptomatic_sides()
    return sides[0] if len(sides) == 1 else "both"


def _opposite(side: str) -> str:
    return {"left": "right", "right": "left"}.get(side, "both")


def _entry(
    atlas: Atlas, code: str, side: str, role: str, why: str, source: str, condition: str | None
) -> dict[str, Any]:
    point = atlas.points[code]
    midline = point.channel in ("GV", "CV")
    return {
        "code": code,
        "side": "midline" if midline else side,
        "role": role,
        "rationale": why,
        "source": source,
        "for": condition,
        "name": f"{point.pinyin} {point.hanzi_traditional}",
        "english": point.english,
        "depth_cun": list(point.depth_cun),
        "angle": point.angle,
    }


def needles(points: list[dict[str, Any]]) -> int:
    return sum(2 if p["side"] == "both" else 1 for p in points)


def propose_points(
    case: Case, differential: list[dict[str, Any]], max_points: int | None = None
) -> list[dict[str, Any]]:
    """Candidate points in priority order, before safety rules; at most `max_points` entries."""
    rules = load_prescription_rules()
    atlas = load_atlas()
    limit = max_points or rules.max_points
    side = _side(case)
    specific = [e for e in differential if e["condition"] != "nonspecific_low_back_pain"]
    lead = max((e["probability"] for e in specific), default=0.0)
    floor = max(rules.include_at, rules.include_relative * lead)
    chosen = [e["condition"] for e in differential if e["probability"] >= floor]
    if not chosen:
        # Nonspecific low back pain is the fallback only for back pain: when its label is
        # capped (pain charted, none in the back) no condition's protocol is forced (HZ-26).
        rest = next((e for e in differential if e["condition"] == "nonspecific_low_back_pain"), {})
        chosen = [] if rest.get("cap") else ["nonspecific_low_back_pain"]
    candidates: list[dict[str, Any]] = []
    for condition in chosen:
        for item in rules.by_condition.get(condition, ()):
            candidates.append(
                _entry(atlas, item.code, side, item.role, item.why, item.source, condition)
            )
    for raw in case.findings.get("trigger_points", ()):
        muscle, muscle_side = raw.rsplit("_", 1)
        rule = rules.trigger_points.get(muscle)
        if rule is not None:
            candidates.append({
                "code": "ASHI", "side": muscle_side, "role": "trigger_point",
                "rationale": rule.why, "source": rule.source, "for": None,
                "muscle": muscle, "caution": rule.caution, "name": "Āshì 阿是",
                "english": f"trigger point in {muscle.replace('_', ' ')}",
            })  # fmt: skip
    for combination in rules.combinations:
        if all_of(combination.when, case.view) is True:
            for code in combination.codes:
                entry = _entry(
                    atlas,
                    code,
                    "both",
                    combination.role,
                    combination.why,
                    combination.source,
                    None,
                )
                entry["combination"] = combination.id
                if combination.needs_back_pain:
                    entry["needs_back_pain"] = True
                candidates.append(entry)
    candidates += balance_points(case, atlas, load_relations())
    return _prioritise(candidates, limit, rules.max_needles)


def _prioritise(
    candidates: list[dict[str, Any]], limit: int, max_needles: int
) -> list[dict[str, Any]]:
    """One entry per point (first reason wins), ordered by role, within `limit` entries and
    `max_needles` needles."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for candidate in candidates:
        key = (candidate["code"], candidate.get("muscle", ""), candidate["side"])
        if key not in seen:
            seen[key] = candidate
    ordered = sorted(seen.values(), key=lambda p: ROLES.index(p["role"]))
    # keep every role represented before filling up with more of the first roles
    kept: list[dict[str, Any]] = []
    for role in ROLES:
        first = next((p for p in ordered if p["role"] == role), None)
        if first is not None:
            kept.append(first)
    for point in ordered:
        if len(kept) >= limit:
            break
        if point not in kept and needles([*kept, point]) <= max_needles:
            kept.append(point)
    return sorted(kept[:limit], key=lambda p: ROLES.index(p["role"]))


def balance_points(case: Case, atlas: Atlas, relations: ChannelRelations) -> list[dict[str, Any]]:
    """Upper-limb points mirroring the painful leg region on the balancing channels (Tan)."""
    out: list[dict[str, Any]] = []
    over_artery = major_vessel_points()
    regions = case.findings.get("pain_regions", ())
    for region_id in regions:
        region, _, side = region_id.rpartition("_")
        if side not in ("left", "right"):
            continue
        mirrored = dict(relations.mirror).get(region)
        reverse = dict(relations.reverse_mirror).get(region)
        if mirrored is None:
            continue
        crossing = [
            c for c in atlas.channels.values() if c.code in FOOT_CHANNELS and region in c.regions
        ]
        # the posterior chain first: this clinic's leg pain is mostly on the Bladder channel
        crossing.sort(key=lambda c: BALANCE_PREFERENCE.index(c.code))
        for channel in crossing[:1]:
            for system, pairs in sorted(relations.balance_systems.items()):
                for partner in relations.partners(channel.code, pairs):
                    if partner not in HAND_CHANNELS:
                        continue
                    for target in [t for t in (mirrored, reverse) if t]:
                        point = next(
                            (
                                p
                                for p in atlas.points.values()
                                if p.channel == partner
                                and target in p.regions
                                and p.organ_below is None  # a balance point is never a risk
                                and p.code not in over_artery  # ... nor on a major artery
                                and p.depth_cun[1] > 0
                            ),
                            None,
                        )
                        if point is None:
                            continue
                        why = (
                            f"Balance Method (practitioner heuristic, no controlled evidence): "
                            f"{channel.english} channel pain in the {region.replace('_', ' ')} ↔ "
                            f"{atlas.channels[partner].english} channel at the "
                            f"{target.replace('_', ' ')} (system {system}), opposite side."
                        )
                        out.append(
                            _entry(
                                atlas,
                                point.code,
                                _opposite(side),
                                "balance",
                                why,
                                relations.balance_source,
                                None,
                            )
                        )
                        break
        if len(out) >= 2:
            break
    return out[:2]


def _office_care(table: Table, conditions: set[str]) -> dict[str, str]:
    care = {key: table.text(key) for key in table.data}
    if unknown := sorted(set(care) - conditions - {"default", "source"}):
        table.fail(f"not conditions: {', '.join(unknown)}")
    table.text("default")
    return care
