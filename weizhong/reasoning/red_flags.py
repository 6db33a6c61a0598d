"""Red flags: deterministic guideline rules, evaluated before anything else and never hidden.

Three outputs, all pure functions of the case and the knowledge:

- :func:`evaluate_red_flags`: every raised flag, most urgent first, with the rule ids that fired,
  the findings behind them, the clinician's action and the patient's words.
- :func:`red_flag_questions`: every unanswered red-flag question that matters, never truncated,
  deduplicated, ordered by the most urgent rule the question feeds (emergency first).
- :func:`screen_status`: the state of the screen, which every output opens with.
"""

from __future__ import annotations

from typing import Any

from weizhong.case import Case
from weizhong.knowledge import Knowledge
from weizhong.knowledge.predicates import Predicate
from weizhong.knowledge.records import URGENCIES, RedFlagRule
from weizhong.reasoning.words import finding_label

RANK = {u: i for i, u in enumerate(URGENCIES)}


def _values(case: Case, predicates: tuple[Predicate, ...]) -> list[dict[str, Any]]:
    """The findings behind the predicates that hold, as {finding, value, rule}. A finding that
    was not examined is never a reason, nor is a ``?`` predicate (it holds for "not asked")."""
    out = []
    for predicate in predicates:
        if predicate.text.startswith("?") or predicate.check(case.view) is not True:
            continue
        for name in predicate.reads:
            value = case.view.get(name)
            if value is None:
                continue
            if isinstance(value, frozenset):
                value = sorted(value)
            out.append({"finding": name, "value": value, "rule": predicate.text})
    return out


def _fires(rule: RedFlagRule, case: Case) -> bool:
    """Whether every `all` predicate, one `any` and `at_least` of `of` hold (are True).

    Only True counts, so each test stops at the first predicate that settles it: most rules
    fail on their first `all` predicate, false or not examined. (This runs for every rule of
    every assessment, hence the plain loops.)"""
    view = case.view
    for predicate in rule.all:
        if predicate.check(view) is not True:
            return False
    if rule.any:
        for predicate in rule.any:
            if predicate.check(view) is True:
                break
        else:
            return False
    if not rule.of:
        return True
    holding = 0
    for predicate in rule.of:
        if predicate.check(view) is True:
            holding += 1
            if holding >= rule.at_least:
                return True
    return False


def evaluate_red_flags(case: Case, knowledge: Knowledge) -> list[dict[str, Any]]:
    """Every raised flag: urgency, the rule ids that fired (most urgent first), the findings that
    raised it, the clinician's action and source, and the patient's action in plain words."""
    raised = []
    for flag in knowledge.red_flags:
        fired: list[RedFlagRule] = []
        for rule in flag.rules:  # a plain loop: this runs for every rule of every case
            if _fires(rule, case):
                fired.append(rule)
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
                "rules": [rule.id for rule in fired],
                "because": because,
                "action": top.action,
                "patient_action": flag.patient_action[top.urgency],
                "source": top.source,
            }
        )
    raised.sort(key=lambda f: RANK[str(f["urgency"])])
    return raised


def red_flag_questions(
    case: Case, knowledge: Knowledge, raised: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Every unanswered red-flag question that matters, each once, emergency-first.

    A question is asked when (1) a raised flag could become more urgent with its answer, (2) a
    risk factor the case shows makes it relevant (the `ask` entries), or (3) the patient has had
    4 weeks or more of care without improvement, which re-opens the whole core screen. Questions
    are ordered by the most urgent rule that reads them; none is ever dropped.
    """
    if raised is None:
        raised = evaluate_red_flags(case, knowledge)
    view = case.view
    screen = knowledge.red_flag_screen
    flags = knowledge.red_flags_by_id
    candidates: list[tuple[str, str, str]] = []  # (finding, red flag, why)
    for entry in raised:
        flag = flags[entry["id"]]
        why = f"{flag.name} is raised ({entry['urgency']}): this answer could make it more urgent."
        candidates += [(finding, flag.id, why) for finding in flag.escalation[entry["urgency"]]]
    for flag_id, ask in knowledge.red_flag_asks:
        if ask.given.check(view) is True:
            candidates += [(finding, flag_id, ask.why) for finding in ask.ask]
    if screen.rescreen_when is not None and screen.rescreen_when.check(view) is True:
        why = (
            "Re-evaluation: four weeks or more of care without improvement is itself a red flag;"
            " ask the whole screen again."
        )
        candidates += [(finding, "screen", why) for finding in screen.core]
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    last = len(URGENCIES)
    for finding, flag_id, why in candidates:
        if finding in seen or view.get(finding) is not None:
            continue
        seen.add(finding)
        definition = knowledge.findings.get(finding)
        rank = screen.question_rank.get(finding, last)
        out.append(
            {
                "finding": finding,
                "kind": "red_flag_screen",
                "red_flag": flag_id,
                # The most urgent flag this question screens for (None: a risk factor only).
                "urgency": URGENCIES[rank] if rank < last else None,
                # Same shape as the differential's next tests, so a reader of next_tests never
                # meets an entry without a label.
                "label": finding_label(finding, knowledge, side=True),
                "howto": definition.howto if definition else "",
                "why": why,
            }
        )
    # Stable: within one urgency, the order of the candidates (raised flags first) is kept.
    out.sort(key=lambda q: screen.question_rank.get(q["finding"], last))
    return out


def screen_status(
    case: Case, knowledge: Knowledge, raised: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The state of the red-flag screen: what was not asked, whether cauda equina is still open,
    and one plain sentence that says so."""
    if raised is None:
        raised = evaluate_red_flags(case, knowledge)
    view = case.view
    screen = knowledge.red_flag_screen
    not_asked = [f for f in screen.core if view.get(f) is None]
    cardinal_open = [f for f in screen.cauda_equina_cardinal if view.get(f) is None]
    ces_possible = screen.cauda_equina_possible.check(view) is True or any(
        f["id"] == "cauda_equina_syndrome" for f in raised
    )
    unscreened = ces_possible and bool(cardinal_open)
    return {
        "complete": not not_asked,
        "not_asked": not_asked,
        "cauda_equina_unscreened": unscreened,
        "summary": _summary(
            not_asked, [screen.words.get(f, f) for f in cardinal_open], unscreened, raised
        ),
    }


def _summary(
    not_asked: list[str], cardinal_words: list[str], unscreened: bool, raised: list[dict[str, Any]]
) -> str:
    if unscreened:
        state = "Red-flag screen incomplete: cauda equina is not ruled out — ask about " + (
            _and(cardinal_words) + " before any treatment"
        )
    elif not_asked:
        count = len(not_asked)
        state = f"Red-flag screen incomplete: {count} core question{'s' if count > 1 else ''}"
        state += " not yet asked"
    else:
        state = "Red-flag screen complete"
    if raised:
        count = len(raised)
        top = raised[0]
        state += (
            f"; {count} red flag{'s' if count > 1 else ''} raised"
            f" (most urgent: {top['urgency']}, {top['name'].lower()})"
        )
    else:
        state += "; no red flag raised"
    return state + "."


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
