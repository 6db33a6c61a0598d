"""One assessment of one case: red flags first, then the differential, next tests and triage."""

from __future__ import annotations

from typing import Any

from weizhong.case import Case
from weizhong.knowledge import Knowledge, load_knowledge
from weizhong.reasoning.differential import (
    assess_fit,
    cited_sources,
    compute_differential,
    counted_readings,
    read_results,
)
from weizhong.reasoning.next_tests import next_tests
from weizhong.reasoning.red_flags import evaluate_red_flags, red_flag_questions, screen_status
from weizhong.reasoning.triage import manipulation_rule, start_back

OUTPUT_FORMAT = "weizhong.assessment/1"


def assess(
    case: Case, knowledge: Knowledge | None = None, *, with_sources: bool = True
) -> dict[str, Any]:
    """The contract object of ``weizhong assess --format json``.

    ``with_sources=False`` leaves out "sources" (a batch cites them once, from the knowledge
    version, rather than in every result)."""
    k = knowledge or load_knowledge()
    results, unexamined = read_results(case, k)
    counted = counted_readings(results)
    differential = compute_differential(case, k, results, counted)
    probabilities = {entry["condition"]: entry["probability"] for entry in differential}
    capped = frozenset(entry["condition"] for entry in differential if entry["cap"])
    red_flags = evaluate_red_flags(case, k)
    # Every red-flag question, never truncated, emergency-first (issue 11, HZ-04).
    questions = red_flag_questions(case, k, red_flags)
    asked = {q["finding"] for q in questions}
    if any(flag["urgency"] == "emergency" for flag in red_flags):
        tests: list[dict[str, Any]] = []  # during an emergency only red-flag questions (HZ-19)
    else:
        tests = [
            t
            for t in next_tests(case, k, unexamined, counted, probabilities, fixed=capped)
            if t["finding"] not in asked
        ]
    result: dict[str, Any] = {
        "format": OUTPUT_FORMAT,
        "case_id": case.case_id,
        "knowledge_version": k.version,
        "red_flags": red_flags,
        "red_flag_screen": screen_status(case, k, red_flags),
        "fit": assess_fit(case, k, differential),
        "differential": differential,
    }
    if with_sources:  # in its place in the contract, after the differential that cites them
        result["sources"] = cited_sources(differential, k)
    result |= {
        "next_tests": questions + tests,
        "triage": {
            "start_back": start_back(case),
            "manipulation_rule": manipulation_rule(case, k),
        },
        "medications": {
            "recognised": [
                {"name": m.name, "generic": m.generic, "classes": list(m.classes)}
                for m in case.medications
                if m.generic
            ],
            "unrecognised": case.unrecognised_medications,
        },
        "symptomatic_sides": list(case.symptomatic_sides()),
    }
    return result
