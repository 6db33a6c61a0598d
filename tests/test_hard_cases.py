"""Hard cases (issue 11): published case reports and guideline scenarios, each with answers
written from its source before the tool was run (protocol: docs/hard-cases.md).

Every file in tests/hard_cases is one case. Its shape is checked first, then the case is
assessed and planned and EVERY expectation is compared; all mismatches of a case are reported in
one assertion message, so a reader sees everything wrong at once. A plan key that is missing
(for example one still being added) makes its expectation fail, never pass.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from weizhong.case import validate_case
from weizhong.planning.plan import make_plan
from weizhong.reasoning.assessment import assess

CASE_DIR = Path(__file__).parent / "hard_cases"
CASE_FILES = sorted(CASE_DIR.glob("*.json"))
DOC = Path(__file__).parent.parent / "docs" / "hard-cases.md"

# The clinical hazards. HZ-28 (the CDS Hooks service acting for whoever calls it) is about the
# interface, not the reasoning: no case can exercise it; tests/clinic/test_cds_auth.py does.
HAZARDS = tuple(f"HZ-{n:02d}" for n in range(1, 28))
TEXTUAL_HAZARDS = frozenset({"HZ-18", "HZ-22"})  # wording: tagged, not checkable by expectations
RED_FLAG_OR_MIMIC_HAZARDS = frozenset({"HZ-01", "HZ-23", "HZ-24"})
URGENCY_RANK = {"emergency": 0, "urgent": 1, "soon": 2}
SUITABILITIES = ("likely to help", "undecided", "not the first choice", "not suitable")
PLAN_STATUSES = ("treat", "refer_first", "screen_first")
KINDS = ("case_report", "guideline_scenario")
REQUIRED_KEYS = (
    *("id", "kind", "citation", "url", "summary", "hazards", "encoding_notes", "case"),
    "expect",
)
EXPECTATIONS = {
    "red_flags": dict,
    "no_red_flags": bool,
    "top_condition_any_of": list,
    "fit": str,
    "plan_status": str,
    "needling": bool,
    "electro": bool,
    "manipulation_not": list,
    "hands_on": bool,
    "herbs": bool,
    "points_absent": list,
    "trigger_points_absent": list,
    "exercises_absent": list,
    "exercises_present": list,
    "questions_include": list,
    "next_tests_only_red_flag_questions": bool,
}
ID_PATTERN = re.compile(r"^H\d{2}_[a-z0-9_]+$")
MISSING = object()


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


CASES = [_load(path) for path in CASE_FILES]


def _dig(tree: Any, *keys: str) -> Any:
    """tree[k1][k2]..., or MISSING when any step is absent or not a mapping."""
    for key in keys:
        if not isinstance(tree, dict) or key not in tree:
            return MISSING
        tree = tree[key]
    return tree


def shape_problems(data: dict[str, Any], filename: str) -> list[str]:
    """Everything wrong with the file's shape (not with the tool's answer)."""
    problems = [f"missing key '{key}'" for key in REQUIRED_KEYS if key not in data]
    if problems:
        return problems
    if not ID_PATTERN.match(str(data["id"])):
        problems.append(f"id '{data['id']}' is not HNN_short_name")
    if filename != f"{data['id']}.json":
        problems.append(f"file name '{filename}' does not match id '{data['id']}'")
    if data["kind"] not in KINDS:
        problems.append(f"kind '{data['kind']}' is not one of {KINDS}")
    for key in ("citation", "summary", "encoding_notes"):
        if not isinstance(data[key], str) or len(data[key].strip()) < 20:
            problems.append(f"'{key}' must be a sentence or more")
    if not isinstance(data["url"], str) or not data["url"].startswith(("http://", "https://")):
        problems.append(f"url '{data['url']}' is not a web address")
    hazards = data["hazards"]
    if not isinstance(hazards, list) or not hazards:
        problems.append("hazards must list at least one hazard id")
    else:
        problems += [f"unknown hazard id '{h}'" for h in hazards if h not in HAZARDS]
    expect = data["expect"]
    if not isinstance(expect, dict) or not expect:
        return [*problems, "expect must be a non-empty object"]
    for key, value in expect.items():
        if key not in EXPECTATIONS:
            problems.append(f"expectation '{key}' is not in the vocabulary")
        elif not isinstance(value, EXPECTATIONS[key]):
            problems.append(f"expectation '{key}' must be a {EXPECTATIONS[key].__name__}")
    for flag, urgency in (expect.get("red_flags") or {}).items():
        if urgency not in URGENCY_RANK:
            problems.append(f"red flag '{flag}': urgency '{urgency}' is not one of {URGENCY_RANK}")
    if expect.get("no_red_flags") is True and expect.get("red_flags"):
        problems.append("no_red_flags is true but red_flags are expected")
    problems += [
        f"manipulation_not: '{s}' is not a suitability"
        for s in expect.get("manipulation_not", [])
        if s not in SUITABILITIES
    ]
    if "plan_status" in expect and expect["plan_status"] not in PLAN_STATUSES:
        problems.append(f"plan_status '{expect['plan_status']}' is not one of {PLAN_STATUSES}")
    return problems


def _present(value: Any) -> bool:
    return value is not MISSING and value is not None and value != []


def mismatches(expect: dict[str, Any], result: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    """Every way the assessment and plan differ from the written expectations."""
    out: list[str] = []
    flags = result.get("red_flags")
    raised = {f.get("id"): f.get("urgency") for f in flags} if isinstance(flags, list) else {}
    for flag, least in expect.get("red_flags", {}).items():
        got = raised.get(flag)
        if got is None:
            out.append(f"red flag '{flag}' not raised (raised: {raised or 'none'})")
        elif URGENCY_RANK.get(str(got), 99) > URGENCY_RANK[least]:
            out.append(f"red flag '{flag}' raised as '{got}', expected at least '{least}'")
    if expect.get("no_red_flags") is True and raised:
        out.append(f"expected no red flag, raised {raised}")
    if expect.get("no_red_flags") is False and not raised:
        out.append("expected at least one red flag, none raised")

    differential = result.get("differential") or [{}]
    top = differential[0].get("condition")
    if "top_condition_any_of" in expect and top not in expect["top_condition_any_of"]:
        out.append(f"leading condition '{top}', expected one of {expect['top_condition_any_of']}")

    if "fit" in expect:
        fit = plan.get("fit", MISSING)
        if isinstance(fit, dict):
            fit = next((fit[k] for k in ("status", "level", "fit", "rating") if k in fit), fit)
        if fit is MISSING:
            out.append(f"plan has no 'fit' (expected '{expect['fit']}')")
        elif fit != expect["fit"]:
            out.append(f"plan fit {fit!r}, expected '{expect['fit']}'")
    if "plan_status" in expect and plan.get("status") != expect["plan_status"]:
        out.append(f"plan status {plan.get('status')!r}, expected '{expect['plan_status']}'")

    points = _dig(plan, "acupuncture", "points")
    point_list = points if isinstance(points, list) else []
    codes = [p.get("code") for p in point_list]
    if "needling" in expect:
        if points is MISSING:
            out.append("plan has no acupuncture.points")
        elif expect["needling"] is False and point_list:
            out.append(f"needling expected to be withheld, points given: {codes}")
        elif expect["needling"] is True and not point_list:
            out.append("needling expected, no points given")
    if "electro" in expect:
        electro = _dig(plan, "acupuncture", "electrostimulation")
        if electro is MISSING:
            out.append("plan has no acupuncture.electrostimulation")
        elif expect["electro"] is False and electro is not None:
            pairs = [pair.get("points") for pair in electro.get("pairs", [])]
            out.append(f"electro-acupuncture expected to be withheld, given on {pairs}")
        elif expect["electro"] is True and electro is None:
            out.append("electro-acupuncture expected, none given")
    if "manipulation_not" in expect:
        suitability = _dig(plan, "office_care", "manipulation", "suitability")
        if suitability is MISSING:
            out.append("plan has no office_care.manipulation.suitability")
        elif suitability in expect["manipulation_not"]:
            why = _dig(plan, "office_care", "manipulation", "why")
            out.append(f"manipulation judged '{suitability}' ({why}); must not be that")
    if "hands_on" in expect:
        hands_on = _dig(plan, "office_care", "soft_tissue_and_mobilisation")
        if hands_on is MISSING:
            out.append("plan has no office_care.soft_tissue_and_mobilisation")
        elif expect["hands_on"] is False and hands_on is not None:
            out.append(f"hands-on care expected to be withheld, offered: {hands_on!r}")
        elif expect["hands_on"] is True and hands_on is None:
            out.append("hands-on care expected, none offered")
    if "herbs" in expect:
        herbs = plan.get("herbs", MISSING)
        names = [h.get("formula") for h in herbs] if isinstance(herbs, list) else []
        if herbs is MISSING:
            out.append("plan has no herbs list")
        elif expect["herbs"] is False and names:
            out.append(f"herbs expected to be withheld, offered: {names}")
        elif expect["herbs"] is True and not names:
            out.append("herbs expected, none offered")
    for code in expect.get("points_absent", []):
        if points is MISSING:
            out.append(f"plan has no acupuncture.points (checking {code})")
            break
        if code in codes:
            out.append(f"point {code} must not be in the plan")
    for muscle in expect.get("trigger_points_absent", []):
        if points is MISSING:
            out.append(f"plan has no acupuncture.points (checking {muscle})")
            break
        sides = [
            p.get("side")
            for p in point_list
            if p.get("code") == "ASHI" and p.get("muscle") == muscle
        ]
        if sides:
            out.append(
                f"trigger point in {muscle} ({', '.join(map(str, sides))}) must not be needled"
            )

    exercises = plan.get("exercises", MISSING)
    ids = [e.get("id") for e in exercises] if isinstance(exercises, list) else []
    if exercises is MISSING and (expect.get("exercises_absent") or expect.get("exercises_present")):
        out.append("plan has no exercises list")
    else:
        out += [
            f"exercise '{e}' must not be prescribed"
            for e in expect.get("exercises_absent", [])
            if e in ids
        ]
        out += [
            f"exercise '{e}' expected, programme is {ids}"
            for e in expect.get("exercises_present", [])
            if e not in ids
        ]

    next_tests = result.get("next_tests", MISSING)
    asked = [t.get("finding") for t in next_tests] if isinstance(next_tests, list) else []
    if next_tests is MISSING and (
        "questions_include" in expect or "next_tests_only_red_flag_questions" in expect
    ):
        out.append("assessment has no next_tests")
    else:
        out += [
            f"next tests must include '{q}' (they are {asked})"
            for q in expect.get("questions_include", [])
            if q not in asked
        ]
        if expect.get("next_tests_only_red_flag_questions"):
            other = [t.get("finding") for t in next_tests if t.get("kind") != "red_flag_screen"]
            if other:
                out.append(
                    "during a red-flag referral next tests must be red-flag questions only, "
                    f"also asks {other}"
                )
    return out


def _is_red_flag_or_mimic(data: dict[str, Any]) -> bool:
    return bool(data["expect"].get("red_flags")) or bool(
        RED_FLAG_OR_MIMIC_HAZARDS & set(data["hazards"])
    )


# Cases the tool still gets wrong, each with the gap in the knowledge behind it. An expectation is
# never changed to make a case pass; a gap is listed here, in docs/hard-cases.md and in the
# hazard log's residual risk. `strict`: when the knowledge improves and the case passes, the
# test fails until the gap is struck from this list.
KNOWN_GAPS = {
    "H33_external_iliac_endofibrosis_young_cyclist": (
        "the paper's thigh pain has no aspect the body chart can record, so nothing in the case "
        "prompts the claudication question (HZ-23)"
    ),
    "H38_adolescent_s1_radiculopathy_treated_as_hamstring_strain": (
        "adult priors: the fit says 'poor' for a 13-year-old, but sacroiliac pain still outranks "
        "the root with back pain on SLR only (HZ-16)"
    ),
    "H48_high_hamstring_tendinopathy_elite_runner": (
        "with only buttock and thigh pain in a runner, sacroiliac pain's prior outranks the "
        "tendon; the paper's examination findings were not reported (HZ-26)"
    ),
}


def _marks(data: dict[str, Any]) -> Any:
    gap = KNOWN_GAPS.get(str(data.get("id")))
    marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
    return pytest.param(data, id=str(data.get("id", "?")), marks=marks)


@pytest.mark.parametrize("data", [_marks(d) for d in CASES])
def test_hard_case_meets_its_source(data: dict[str, Any]) -> None:
    path = CASE_DIR / f"{data.get('id')}.json"
    problems = shape_problems(data, path.name)
    assert not problems, f"{data.get('id')}: bad case file:\n  " + "\n  ".join(problems)
    case = validate_case(data["case"])
    result = assess(case)
    plan = make_plan(case, result)
    wrong = mismatches(data["expect"], result, plan)
    assert not wrong, f"{data['id']} ({data['citation'][:80]}…):\n  " + "\n  ".join(wrong)


def test_every_hazard_has_a_hard_case() -> None:
    tagged = {h for data in CASES for h in data.get("hazards", [])}
    missing = [h for h in HAZARDS if h not in tagged and h not in TEXTUAL_HAZARDS]
    assert not missing, f"hazards without a hard case: {missing}"


def test_there_are_at_least_forty_hard_cases() -> None:
    assert len(CASES) >= 40, len(CASES)


def test_at_least_twenty_are_published_case_reports() -> None:
    reports = [d["id"] for d in CASES if d.get("kind") == "case_report"]
    assert len(reports) >= 20, reports


def test_a_third_are_red_flag_or_mimic_cases() -> None:
    serious = [d["id"] for d in CASES if _is_red_flag_or_mimic(d)]
    assert 3 * len(serious) >= len(CASES), (len(serious), len(CASES))


def test_ids_are_unique() -> None:
    ids = [d.get("id") for d in CASES]
    assert len(ids) == len(set(ids))


def test_the_protocol_lists_every_case() -> None:
    text = DOC.read_text(encoding="utf-8")
    unlisted = [d["id"] for d in CASES if f"`{d['id']}`" not in text]
    assert not unlisted, f"docs/hard-cases.md does not list {unlisted}"


def test_known_gaps_are_listed_in_the_protocol() -> None:
    section = DOC.read_text(encoding="utf-8").split("## Known gaps", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(H\d\d_\w+)`", section))
    assert listed == set(KNOWN_GAPS)


def test_a_missing_plan_key_fails_its_expectation() -> None:
    """The runner itself: an expectation on a key the plan lacks must fail, never pass."""
    expect = {"fit": "poor", "hands_on": False, "electro": False, "herbs": False,
              "manipulation_not": ["likely to help"], "plan_status": "screen_first",
              "questions_include": ["saddle_anaesthesia"], "points_absent": ["BL37"]}  # fmt: skip
    wrong = mismatches(expect, {"red_flags": [], "differential": [{}]}, {})
    assert len(wrong) == len(expect), wrong


def test_an_under_urgent_flag_is_a_mismatch() -> None:
    result = {"red_flags": [{"id": "cauda_equina_syndrome", "urgency": "soon"}], "next_tests": []}
    wrong = mismatches({"red_flags": {"cauda_equina_syndrome": "emergency"}}, result, {})
    assert wrong == [
        "red flag 'cauda_equina_syndrome' raised as 'soon', expected at least 'emergency'"
    ]
