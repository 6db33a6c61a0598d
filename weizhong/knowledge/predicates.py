"""A small predicate language for rules in the knowledge files.

Rules are written as short strings such as ``"slr_{side}_response == leg_pain_below_knee"`` or
``"age >= 50 and smoker"`` so that a clinician can read the data files. Each string is compiled
once, at start-up, into a closure over the flat case view (see :mod:`weizhong.case`), which keeps
an assessment fast.

Evaluation is three-valued: ``True``, ``False``, or ``None`` when a finding the predicate reads was
not examined. ``and`` is false as soon as one part is false, ``or`` true as soon as one part is
true, and otherwise unknown. A leading ``?`` makes a predicate count as true when unexamined.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Value = object
CaseView = Mapping[str, Value]
Tri = bool | None
Check = Callable[[CaseView], Tri]

_COMPARISON = re.compile(r"^([a-z0-9_]+)\s*(==|!=|<=|>=|<|>)\s*(\S+)$")
_MEMBERSHIP = re.compile(r"^([a-z0-9_]+)\s+(in|has_any|has_none)\s+\[(.*)\]$")
_HAS = re.compile(r"^([a-z0-9_]+)\s+has\s+([a-z0-9_]+)$")
_NAME = re.compile(r"^[a-z0-9_]+$")


class PredicateError(ValueError):
    """A rule string that cannot be compiled; the message says why."""


@dataclass(frozen=True)
class Predicate:
    """A compiled rule string: what it says, which fields it reads, and how to check it."""

    text: str
    reads: tuple[str, ...]
    check: Check

    def __call__(self, case: CaseView) -> Tri:
        return self.check(case)


def _literal(token: str) -> Value:
    if token == "true":
        return True
    if token == "false":
        return False
    try:
        return int(token)
    except ValueError:
        pass
    try:
        return float(token)
    except ValueError:
        return token


def _atom(text: str, known: Callable[[str, Value | None], None]) -> tuple[Check, tuple[str, ...]]:
    """Compile one atom (no `and`/`or`). `known(name, literal)` validates names and values."""
    optional = text.startswith("?")
    body = text[1:].strip() if optional else text
    check: Check
    if m := _COMPARISON.match(body):
        name, op, raw = m.groups()
        literal = _literal(raw)
        known(name, literal)
        check = _comparison(name, op, literal)
    elif m := _MEMBERSHIP.match(body):
        name, op, raw_items = m.groups()
        items = frozenset(_literal(t.strip()) for t in raw_items.split(",") if t.strip())
        if not items:
            raise PredicateError(f"'{text}': the list is empty")
        for item in items:
            known(name, item)
        if op == "in":
            check = _in(name, items)
        elif op == "has_any":
            check = _has_any(name, items)
        else:
            check = _negate(_has_any(name, items))
    elif m := _HAS.match(body):
        name, item = m.groups()
        known(name, item)
        check = _has_any(name, frozenset([item]))
    elif _NAME.match(body):
        known(body, True)
        check = _truthy(body)
    else:
        raise PredicateError(
            f"'{text}' is not a predicate; write 'finding', 'finding OP value' (== != < <= > >=), "
            "'finding in [a, b]', 'finding has x', 'finding has_any [x, y]' or "
            "'finding has_none [x, y]'"
        )
    reads = (m.group(1) if m else body,)
    if optional:
        inner = check

        def check_optional(case: CaseView) -> Tri:
            result = inner(case)
            return True if result is None else result

        return check_optional, reads
    return check, reads


def _truthy(name: str) -> Check:
    def check(case: CaseView) -> Tri:
        value = case.get(name)
        return None if value is None else bool(value)

    return check


def _comparison(name: str, op: str, literal: Value) -> Check:
    # One closure per operator, chosen here at compile time: these checks run hundreds of
    # times per assessment, so no operator is looked up or dispatched per call.
    if op == "==":

        def equal(case: CaseView) -> Tri:
            value = case.get(name)
            return None if value is None else value == literal

        return equal
    if op == "!=":

        def unequal(case: CaseView) -> Tri:
            value = case.get(name)
            return None if value is None else value != literal

        return unequal
    if isinstance(literal, bool) or not isinstance(literal, int | float):
        raise PredicateError(f"'{name} {op} {literal}': {op} compares numbers")
    compare = _ORDER[op]
    bound = float(literal)

    def ordered(case: CaseView) -> Tri:
        value = case.get(name)
        return None if value is None else compare(float(value), bound)  # type: ignore[arg-type]

    return ordered


_ORDER: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _negate(inner: Check) -> Check:
    def check(case: CaseView) -> Tri:
        result = inner(case)
        return None if result is None else not result

    return check


def _in(name: str, items: frozenset[Value]) -> Check:
    def check(case: CaseView) -> Tri:
        value = case.get(name)
        return None if value is None else value in items

    return check


def _has_any(name: str, items: frozenset[Value]) -> Check:
    def check(case: CaseView) -> Tri:
        value = case.get(name)
        if value is None:
            return None
        return not items.isdisjoint(value)  # type: ignore[arg-type]

    return check


def compile_predicate(text: str, known: Callable[[str, Value | None], None]) -> Predicate:
    """Compile ``text``; ``known(name, value)`` raises PredicateError for unknown names/values."""
    if not isinstance(text, str) or not text.strip():
        raise PredicateError("a predicate must be a non-empty string")
    alternatives: list[tuple[list[Check], list[str]]] = []
    reads: list[str] = []
    for alternative in re.split(r"\s+or\s+", text.strip()):
        checks: list[Check] = []
        for part in re.split(r"\s+and\s+", alternative.strip()):
            check, part_reads = _atom(part.strip(), known)
            checks.append(check)
            reads.extend(r for r in part_reads if r not in reads)
        alternatives.append((checks, []))
    conjunctions = [_all(checks) for checks, _ in alternatives]
    combined = conjunctions[0] if len(conjunctions) == 1 else _any(conjunctions)
    return Predicate(text=text, reads=tuple(reads), check=combined)


def _all(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def check(case: CaseView) -> Tri:
        unknown = False
        for part in checks:
            result = part(case)
            if result is False:
                return False
            if result is None:
                unknown = True
        return None if unknown else True

    return check


def _any(checks: list[Check]) -> Check:
    def check(case: CaseView) -> Tri:
        unknown = False
        for part in checks:
            result = part(case)
            if result is True:
                return True
            if result is None:
                unknown = True
        return None if unknown else False

    return check


def all_of(predicates: tuple[Predicate, ...], case: CaseView) -> Tri:
    """Three-valued AND over compiled predicates (True for an empty tuple)."""
    unknown = False
    for predicate in predicates:
        result = predicate.check(case)
        if result is False:
            return False
        if result is None:
            unknown = True
    return None if unknown else True


def _always(case: CaseView) -> Tri:
    return True


def combine(predicates: tuple[Predicate, ...]) -> Check:
    """One check for a tuple of predicates (three-valued AND), built once at load time."""
    if not predicates:
        return _always
    if len(predicates) == 1:
        return predicates[0].check
    return _all([p.check for p in predicates])
