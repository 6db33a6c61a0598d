"""The public case format ``weizhong.case/1``: parsing, validation and clear errors.

Validation is driven by ``knowledge/data/findings.toml``, so the format and the knowledge cannot
drift apart. Every problem found is reported (not just the first), each naming the field and what
is allowed. A finding that is missing was *not examined*; it is never read as negative.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

from weizhong.errors import InputError
from weizhong.i18n import _
from weizhong.knowledge import Knowledge, load_knowledge
from weizhong.knowledge.instruments import InstrumentError, check_answers
from weizhong.knowledge.records import SIDES, FindingDef
from weizhong.numbers import number

FORMAT = "weizhong.case/1"
TOP_LEVEL = ("format", "id", "patient", "findings")
PATIENT_KEYS = ("age", "sex", "pregnant", "medications", "devices", "conditions")
# Chart text around a drug name that is not part of the name: doses, forms, frequencies.
_DOSE_WORDS = frozenset(
    {
        *("mg", "mcg", "µg", "g", "ml", "iu", "units", "unit", "tab", "tabs", "tablet", "tablets"),
        *("cap", "caps", "capsule", "capsules", "od", "bd", "bid", "tid", "qid", "qd"),
        *("qds", "tds"),
        *("prn", "daily", "nightly", "weekly", "once", "twice", "a", "day", "at", "night", "mane"),
        *("nocte", "po", "oral", "sr", "xr", "er", "mr", "cr", "la", "xl", "dr", "ec", "inhaler"),
        *("patch", "cream", "gel", "injection", "inj", "solution"),
    }
)
_TOKEN = re.compile(r"[a-z][a-z\-']*[a-z]|[a-z]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a case: where, and what is allowed."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class CaseError(InputError):
    """The case is invalid. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class MedicationMatch:
    name: str
    generic: str | None
    classes: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """A validated case. ``view`` is the flat mapping that rule predicates read."""

    case_id: str | None
    patient: dict[str, Any]
    findings: dict[str, Any]
    medications: tuple[MedicationMatch, ...]
    view: Mapping[str, object] = field(repr=False)

    @property
    def unrecognised_medications(self) -> list[str]:
        return [m.name for m in self.medications if m.generic is None]

    def symptomatic_sides(self) -> tuple[str, ...]:
        """Sides of the sided pain regions; both when pain is central or not charted."""
        return self._sides

    @cached_property  # read several times per assessment; a frozen case never changes
    def _sides(self) -> tuple[str, ...]:
        regions = self.findings.get("pain_regions") or ()
        sides = tuple(s for s in SIDES if any(r.endswith(f"_{s}") for r in regions))
        return sides or SIDES


class _DuplicateKey(ValueError):
    pass


def _no_contradictory_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out and out[key] != value:
            raise _DuplicateKey(
                _(
                    "'{key}' appears twice with different values ({first} and {second}); keep the "
                    "one you mean"
                ).format(key=key, first=json.dumps(out[key]), second=json.dumps(value))
            )
        out[key] = value
    return out


_SPACE_BEFORE_COLON = re.compile(r'"\s+:')


def _key_count(raw: object) -> int:
    """Keys of the case object and of its patient and findings objects."""
    if not isinstance(raw, dict):
        return -1
    inner = (raw.get("patient"), raw.get("findings"))
    return len(raw) + sum(len(table) for table in inner if isinstance(table, dict))


def _maybe_duplicated(raw: object, text: str) -> bool:
    """Whether the text could hold a duplicate key that the fast parser silently dropped.

    Every key in the text is followed by `":`; if the text has exactly as many of those as the
    case, patient and findings objects have keys, no key was dropped. Anything unusual (a value
    containing `":`, an object nested elsewhere, white space before a colon) answers True and
    sends the case down the careful path.
    """
    return text.count('":') != _key_count(raw) or bool(_SPACE_BEFORE_COLON.search(text))


def parse_case_text(text: str, knowledge: Knowledge | None = None) -> Case:
    """Parse JSON text into a validated Case, or raise CaseError."""
    raw: object = None
    fast = "\\" not in text  # escapes could hide a duplicate key from the text check
    if fast:
        try:
            raw = orjson.loads(text)
        except orjson.JSONDecodeError:
            fast = False  # let the standard parser give its precise message
    if not fast or _maybe_duplicated(raw, text):
        try:
            raw = json.loads(text, object_pairs_hook=_no_contradictory_duplicates)
        except _DuplicateKey as error:
            raise CaseError([Problem("case", str(error))]) from None
        except json.JSONDecodeError as error:
            message = _("is not valid JSON (line {line}, column {column}: {problem})").format(
                line=error.lineno, column=error.colno, problem=error.msg
            )
            raise CaseError([Problem("case", message)]) from None
        except RecursionError:
            raise CaseError([Problem("case", _("is nested too deeply to be a case"))]) from None
    return validate_case(raw, knowledge)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, float) and not math.isfinite(value):
        return _("infinity or not-a-number")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    return _("an object")


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return _("; did you mean '{id}'?").format(id=close[0]) if close else ""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _range(d: FindingDef) -> str:
    def fmt(x: float | None) -> str:
        return f"{number(x)}" if x is not None else "?"

    return f"{fmt(d.minimum)}–{fmt(d.maximum)}"


class _Validator:
    def __init__(self, knowledge: Knowledge) -> None:
        self.k = knowledge
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def add_to(self, name: str, message: str) -> None:
        """A problem with finding `name` (its place is spelled out only when there is one)."""
        self.add(f"findings.{name}", message)

    def finding(self, name: str, value: object) -> object:
        d = self.k.findings[name]
        kind = d.type
        if kind == "bool":
            if isinstance(value, bool):
                return value
            self.add_to(name, _("must be true or false, not {kind}").format(kind=_type_name(value)))
        elif kind in ("int", "number"):
            if not _is_number(value):
                self.add_to(
                    name,
                    _("must be a number in {range}, not {kind}").format(
                        range=_range(d), kind=_type_name(value)
                    ),
                )
                return None
            number = float(value)  # type: ignore[arg-type]
            if kind == "int" and not number.is_integer():
                self.add_to(
                    name,
                    _("must be a whole number in {range}, not {value}").format(
                        range=_range(d), value=value
                    ),
                )
                return None
            assert d.minimum is not None
            assert d.maximum is not None
            if not d.minimum <= number <= d.maximum:
                message = (
                    _("{value} is outside {range} degrees")
                    if name.endswith("_deg")
                    else _("{value} is outside {range}")
                )
                self.add_to(name, message.format(value=value, range=_range(d)))
                return None
            return int(number) if kind == "int" else value
        elif kind == "enum":
            if isinstance(value, str) and value in d.values:
                return value
            shown = json.dumps(value) if isinstance(value, str) else _type_name(value)
            hint = _suggest(value, d.values) if isinstance(value, str) else ""
            self.add_to(
                name,
                _("{value} is not allowed; use one of: {allowed}").format(
                    value=shown, allowed=", ".join(d.values)
                )
                + hint,
            )
        elif kind == "int_list":
            if (
                isinstance(value, list)
                and len(value) == d.length
                and all(_is_number(v) and float(v).is_integer() for v in value)
            ):
                answers = tuple(int(v) for v in value)
                if name == "startback_answers":
                    try:
                        check_answers("startback", list(answers))
                    except InstrumentError as error:
                        self.add_to(name, str(error))
                        return None
                return answers
            self.add_to(name, _("must be a list of {count} whole numbers").format(count=d.length))
        else:
            return self.id_list(name, kind, d, value)
        return None

    def id_list(self, name: str, kind: str, d: FindingDef, value: object) -> object:
        if kind == "regions":
            allowed: frozenset[str] = self.k.vocabulary.regions
        elif kind == "muscles":
            allowed = self.k.vocabulary.muscles
        else:
            allowed = d.level_ids
        if isinstance(value, list) and all(isinstance(i, str) and i in allowed for i in value):
            return tuple(dict.fromkeys(value))
        where = f"findings.{name}"
        if not isinstance(value, list):
            self.add(where, _("must be a list, not {kind}").format(kind=_type_name(value)))
            return None
        if kind == "regions":
            what = _("a body-chart region")
        elif kind == "muscles":
            what = _("a muscle and side such as 'hamstrings_left'")
        else:
            what = _("a level {first}…{last} with a side, such as '{last}_left'").format(
                first=d.levels[0], last=d.levels[-1]
            )
        good = []
        for index, item in enumerate(value):
            if isinstance(item, str) and item in allowed:
                good.append(item)
            elif isinstance(item, str):
                self.add(
                    f"{where}[{index}]",
                    _("'{item}' is not {what}").format(item=item, what=what)
                    + _suggest(item, allowed),
                )
            else:
                self.add(f"{where}[{index}]", _("must be text naming {what}").format(what=what))
        return tuple(dict.fromkeys(good))

    def patient(self, raw: object) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.add("patient", _("must be an object, not {kind}").format(kind=_type_name(raw)))
            return {}
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in PATIENT_KEYS:
                self.add(
                    f"patient.{key}",
                    _("unknown field; allowed: {allowed}").format(allowed=", ".join(PATIENT_KEYS))
                    + _suggest(key, PATIENT_KEYS),
                )
            elif value is None:
                continue
            elif key == "age":
                if _is_number(value) and float(value).is_integer() and 0 <= value <= 120:
                    out["age"] = int(value)
                else:
                    self.add(
                        f"patient.{key}",
                        _("must be a whole number of years 0–120, not {value}").format(
                            value=json.dumps(value)
                        ),
                    )
            elif key == "sex":
                if value in self.k.vocabulary.sexes:
                    out["sex"] = value
                else:
                    self.add(
                        f"patient.{key}",
                        _("{value} is not allowed; use one of: {allowed}").format(
                            value=json.dumps(value), allowed=", ".join(self.k.vocabulary.sexes)
                        ),
                    )
            elif key == "pregnant":
                if isinstance(value, bool):
                    out["pregnant"] = value
                else:
                    self.add(
                        f"patient.{key}",
                        _("must be true or false, not {kind}").format(kind=_type_name(value)),
                    )
            elif key == "medications":
                if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
                    out["medications"] = tuple(v.strip() for v in value)
                else:
                    self.add(
                        f"patient.{key}",
                        _("must be a list of medication names as written in the chart"),
                    )
            else:
                allowed = (
                    self.k.vocabulary.devices if key == "devices" else self.k.vocabulary.conditions
                )
                if not isinstance(value, list):
                    self.add(
                        f"patient.{key}",
                        _("must be a list, not {kind}").format(kind=_type_name(value)),
                    )
                    continue
                good = []
                for index, item in enumerate(value):
                    if isinstance(item, str) and item in allowed:
                        good.append(item)
                    else:
                        hint = _suggest(item, allowed) if isinstance(item, str) else ""
                        self.add(
                            f"patient.{key}[{index}]",
                            _("{value} is not known; use one of: {allowed}").format(
                                value=json.dumps(item), allowed=", ".join(allowed)
                            )
                            + hint,
                        )
                out[key] = tuple(dict.fromkeys(good))
        return out

    def consistency(self, findings: dict[str, Any]) -> None:
        for side in SIDES:
            response = findings.get(f"slr_{side}_response")
            if response == "none" and findings.get(f"slr_{side}_sensitised") is True:
                self.add(
                    f"findings.slr_{side}_sensitised",
                    _(
                        "cannot be true when slr_{side}_response is 'none' (no symptoms to "
                        "sensitise); record the response, or leave sensitised out"
                    ).format(side=side),
                )


def match_medication(name: str, knowledge: Knowledge) -> MedicationMatch:
    """Map a chart entry ('Eliquis 5mg bd') to its generic and classes, ignoring dose and form."""
    index = knowledge.medications
    text = name.casefold().strip()
    if text in index:
        med = index[text]
        return MedicationMatch(name, med.generic, med.classes)
    words = text.split()
    for length in range(len(words) - 1, 0, -1):  # "tylenol #3 2 tabs": names may hold digits
        found = index.get(" ".join(words[:length]))
        if found is not None:
            return MedicationMatch(name, found.generic, found.classes)
    tokens = [t for t in _TOKEN.findall(text) if t not in _DOSE_WORDS]
    for length in range(len(tokens), 0, -1):
        for start in range(len(tokens) - length + 1):
            candidate = " ".join(tokens[start : start + length])
            found = index.get(candidate) or index.get(candidate.replace(" ", "-"))
            if found is not None:
                return MedicationMatch(name, found.generic, found.classes)
    return MedicationMatch(name, None, ())


def _plainly_valid(d: FindingDef, value: object) -> bool:
    """Whether `value` is a plainly valid true/false, choice or in-range number for `d`, kept
    unchanged. Most findings of most cases are; anything else (lists, edge cases, errors) goes
    through `_Validator.finding`, which accepts the same values and explains the rest. (A batch
    validates some thirty findings a case: this spares a method call and checks on each.)"""
    kind = d.type
    if kind == "bool":
        return type(value) is bool
    if kind == "enum":
        return type(value) is str and value in d.values
    if kind == "int":
        numeric: tuple[type, ...] = (int,)  # not bool: type() is exact
    elif kind == "number":
        numeric = (int, float)  # NaN and infinity fail the range test below
    else:
        return False
    return (
        type(value) in numeric
        and d.minimum is not None
        and d.maximum is not None
        and d.minimum <= value <= d.maximum  # type: ignore[operator]
    )


def validate_case(raw: object, knowledge: Knowledge | None = None) -> Case:
    """Validate a decoded JSON value as a case; raise CaseError listing every problem."""
    k = knowledge or load_knowledge()
    v = _Validator(k)
    if not isinstance(raw, dict):
        message = _("must be a JSON object, not {kind}").format(kind=_type_name(raw))
        raise CaseError([Problem("case", message)])
    for key in raw:
        if key not in TOP_LEVEL:
            v.add(
                key,
                _("unknown top-level field; allowed: {allowed}").format(
                    allowed=", ".join(TOP_LEVEL)
                )
                + _suggest(key, TOP_LEVEL),
            )
    if raw.get("format") != FORMAT:
        shown = json.dumps(raw.get("format")) if "format" in raw else _("missing")
        v.add("format", _('must be "{format}" ({value})').format(format=FORMAT, value=shown))
    case_id = raw.get("id")
    if case_id is not None and not isinstance(case_id, str | int):
        v.add("id", _("must be text or a whole number"))
    patient = v.patient(raw.get("patient"))
    findings: dict[str, Any] = {}
    view: dict[str, object] = {}  # what rule predicates read: lists as sets, then the patient
    raw_findings = raw.get("findings", {})
    if not isinstance(raw_findings, dict):
        v.add("findings", _("must be an object, not {kind}").format(kind=_type_name(raw_findings)))
        raw_findings = {}
    for name, value in raw_findings.items():
        d = k.findings.get(name)
        if d is None:
            v.add(
                f"findings.{name}",
                _("unknown finding id")
                + (_suggest(name, k.findings) or _("; see the case format for the list")),
            )
        elif value is None:
            continue  # explicit null: not examined
        elif _plainly_valid(d, value):
            findings[name] = view[name] = value  # kept as it is, as the full check would keep it
        else:
            checked = v.finding(name, value)
            if checked is not None:
                findings[name] = checked
                view[name] = frozenset(checked) if isinstance(checked, tuple) else checked
    v.consistency(findings)
    if v.problems:
        raise CaseError(v.problems)
    medications = tuple(match_medication(m, k) for m in patient.get("medications", ()))
    view["age"] = patient.get("age")
    view["sex"] = patient.get("sex", "unknown")
    view["pregnant"] = patient.get("pregnant")
    view["conditions"] = frozenset(patient.get("conditions", ()))
    view["devices"] = frozenset(patient.get("devices", ()))
    view["medications"] = frozenset(c for m in medications for c in m.classes)
    return Case(str(case_id) if case_id is not None else None, patient, findings, medications, view)
