"""Red flags: deterministic guideline rules, evaluated before anything else and never hidden."""

from __future__ import annotations

from typing import Any

from weizhong.case import Case
from weizhong.knowledge import Knowledge
from weizhong.knowledge.predicates import Predicate, all_of
from weizhong.knowledge.records import URGENCIES, RedFlagRule

RANK = {u: i for i, u in enumerate(URGENCIES)}


def _values(case: Case, predicates: tuple[Predicate, ...]) -> list[dict[str, Any]]:
    """The findings behind the predicates that hold, as {finding, value, rule}."""
    out = []
    for predicate in predicates:
        if predicate.check(case.view) is not True:
            continue
        for name in predicate.reads:
            value = case.view.get(name)
            if isinstance(value, frozenset):
                value = sorted(value)
            out.append({"finding": name, "value": value, "rule": predicate.text})
    return out


def _fires(rule: RedFlagRule, case: Case) -> bool:
    if all_of(rule.all, case.view) is not True:
        return False
    if rule.any and not any(p.check(case.view) is True for p in rule.any):
        return False
    return not rule.of or sum(p.check(case.view) is True for p in rule.of) >= rule.at_least


def evaluate_red_flags(case: Case, knowledge: Knowledge) -> list[dict[str, Any]]:
    """Every raised flag with urgency, the findings that raised it, the action and its source."""
    raised = []
    for flag in knowledge.red_flags:
        fired = [rule for rule in flag.rules if _fires(rule, case)]
        if not fired:
            continue
        fired.sort(key=lambda r: RANK[r.urgency])
        top = fired[0]
        because: list[dict[str, Any]] = []
        for rule in fired:
            for item in _values(case, rule.all + rule.any + rule.of):
                if all(item["finding"] != b["finding"] for b in because):
                    because.append(item)
        raised.append(
            {
                "id": flag.id,
                "name": flag.name,
                "urgency": top.urgency,
                "because": because,
                "action": top.action,
                "source": top.source,
            }
        )
    raised.sort(key=lambda f: RANK[str(f["urgency"])])
    return raised


def red_flag_questions(case: Case, knowledge: Knowledge) -> list[dict[str, Any]]:
    """Unasked red-flag questions made relevant by a risk factor the case does show."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for flag in knowledge.red_flags:
        for ask in flag.asks:
            if ask.given.check(case.view) is not True:
                continue
            for finding in ask.ask:
                if case.view.get(finding) is None and finding not in seen:
                    seen.add(finding)
                    definition = knowledge.findings.get(finding)
                    out.append(
                        {
                            "finding": finding,
                            "kind": "red_flag_screen",
                            "red_flag": flag.id,
                            # Same shape as the differential's next tests, so a reader of
                            # next_tests never meets an entry without a label.
                            "label": definition.label if definition else finding,
                            "howto": definition.howto if definition else "",
                            "why": ask.why,
                        }
                    )
    return out


def screen_status(case: Case, knowledge: Knowledge) -> dict[str, Any]:
    not_asked = [f for f in knowledge.screen_core if case.view.get(f) is None]
    return {"complete": not not_asked, "not_asked": not_asked}
