"""The clinical hazard log (hazards.toml): hazards, their controls and the tests that prove them.

A control names a rule in another knowledge file as ``FILE:ID``. :func:`rule_index` finds every
rule id a knowledge file defines (any table with an ``id`` key, and the keys of a ``[rule]`` table),
so the log can be checked against the rules that really exist; :func:`check_hazard_log` adds the
tests (which must exist in the test suite) and is run by tests/test_hazard_log.py.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from weizhong.errors import KnowledgeError
from weizhong.knowledge.registry import FILES, knowledge_path, registered
from weizhong.knowledge.tables import Table, read_toml

__all__ = [
    "Control",
    "Hazard",
    "HazardLog",
    "SoftwareControl",
    "check_hazard_log",
    "load_hazard_log",
    "load_software_controls",
    "rule_index",
]

HAZARD_ID = re.compile(r"HZ-\d{2}")
TEST_ID = re.compile(r"(?P<file>tests/[\w/]+\.py)::(?P<name>\w+)(\[[^\]]*\])?")


@dataclass(frozen=True)
class Control:
    """One rule that lowers a hazard, and the tests that prove the rule works."""

    rule: str  # FILE:ID
    tests: tuple[str, ...]

    @property
    def file(self) -> str:
        return self.rule.partition(":")[0]

    @property
    def rule_id(self) -> str:
        return self.rule.partition(":")[2]


@dataclass(frozen=True)
class Hazard:
    id: str
    title: str
    cause: str
    harm: str
    severity: str
    likelihood_before: str
    likelihood_after: str
    controls: tuple[Control, ...]
    residual: str
    found_by: str


@dataclass(frozen=True)
class HazardLog:
    version: str
    standard: str
    severities: tuple[str, ...]
    likelihoods: tuple[str, ...]
    matrix: dict[str, tuple[int, ...]]
    matrix_source: str
    acceptability: tuple[str, ...]
    hazards: tuple[Hazard, ...]

    def risk(self, likelihood: str, severity: str) -> int:
        """The DCB0129 rating, 1 (acceptable) to 5 (unacceptable)."""
        return self.matrix[likelihood][self.severities.index(severity)]

    def before(self, hazard: Hazard) -> int:
        return self.risk(hazard.likelihood_before, hazard.severity)

    def after(self, hazard: Hazard) -> int:
        return self.risk(hazard.likelihood_after, hazard.severity)


def hazard_ids(table: Table) -> tuple[str, ...]:
    """A rule's `hazards` list, each checked to be a hazard id (HZ-01) of this log's form."""
    hazards = table.texts("hazards")
    if bad := [h for h in hazards if not HAZARD_ID.fullmatch(h)]:
        table.fail(f"'hazards' must be hazard ids like HZ-07, not {', '.join(bad)}")
    return hazards


@dataclass(frozen=True)
class SoftwareControl:
    """A safeguard enforced by weizhong's code (not a clinical rule) that a hazard names."""

    id: str
    does: str
    where: str  # a module inside the package, e.g. weizhong/clinic/interop/cds_auth.py
    source: str


def load_software_controls(path: Path | None = None) -> tuple[SoftwareControl, ...]:
    """The software controls (software_controls.toml), each checked: an id once, what it does,
    a module that exists, and its source."""
    return _load_controls(path or knowledge_path("software_controls.toml"))


@cache
def _load_controls(path: Path) -> tuple[SoftwareControl, ...]:
    top = read_toml(path, KnowledgeError)
    top.only(("meta", "control"))
    top.table("meta").text("version")
    package = Path(__file__).resolve().parent.parent.parent  # the folder holding weizhong/
    controls: list[SoftwareControl] = []
    for entry in top.numbered("control", "control"):
        entry.only(("id", "does", "where", "source"))
        ident = entry.text("id")
        entry.where = f"control '{ident}'"
        if any(c.id == ident for c in controls):
            entry.fail("the id is used twice")
        where = entry.text("where")
        if not where.startswith("weizhong/") or not (package / where).is_file():
            entry.fail(f"'where' names {where!r}, not a module of the weizhong package")
        controls.append(SoftwareControl(ident, entry.text("does"), where, entry.text("source")))
    return tuple(controls)


def load_hazard_log(path: Path | None = None) -> HazardLog:
    """The hazard log, read and shape-checked once (rules and tests: :func:`check_hazard_log`)."""
    return _load(path or knowledge_path("hazards.toml"))


@cache
def _load(path: Path) -> HazardLog:
    top = read_toml(path, KnowledgeError)
    meta = top.table("meta")
    scales = top.table("scales")
    severities = scales.texts("severity")
    likelihoods = scales.texts("likelihood")
    risk = scales.table("risk")
    matrix: dict[str, tuple[int, ...]] = {}
    for likelihood in likelihoods:
        row = risk.data.get(likelihood)
        if not (
            isinstance(row, list)
            and len(row) == len(severities)
            and all(isinstance(r, int) and 1 <= r <= 5 for r in row)
        ):
            risk.fail(f"'{likelihood}' needs {len(severities)} ratings from 1 to 5")
        matrix[likelihood] = tuple(row)
    hazards: list[Hazard] = []
    for entry in top.opt_tables("hazard"):
        ident = entry.text("id")
        entry.where = f"hazard '{ident}'"
        if not HAZARD_ID.fullmatch(ident):
            entry.fail("an id looks like HZ-01")
        if any(h.id == ident for h in hazards):
            entry.fail("the id is used twice")
        controls = []
        for item in entry.opt_tables("control"):
            rule = item.text("rule")
            if ":" not in rule:
                item.fail(f"rule '{rule}' must be FILE:ID, e.g. safety:bleeding_risk")
            tests = item.opt_texts("tests")
            if bad := [t for t in tests if not TEST_ID.fullmatch(t)]:
                item.fail(f"not a pytest node id: {', '.join(bad)}")
            controls.append(Control(rule, tests))
        hazards.append(
            Hazard(
                id=ident,
                title=entry.text("title"),
                cause=entry.text("cause"),
                harm=entry.text("harm"),
                severity=entry.choice("severity", severities),
                likelihood_before=entry.choice("likelihood_before", likelihoods),
                likelihood_after=entry.choice("likelihood_after", likelihoods),
                controls=tuple(controls),
                residual=entry.text("residual"),
                found_by=entry.text("found_by"),
            )
        )
    return HazardLog(
        version=meta.text("version"),
        standard=meta.text("standard"),
        severities=severities,
        likelihoods=likelihoods,
        matrix=matrix,
        matrix_source=scales.text("matrix_source"),
        acceptability=scales.texts("acceptability"),
        hazards=tuple(hazards),
    )


def _walk(node: object, found: dict[str, dict[str, Any]]) -> None:
    if isinstance(node, dict):
        ident = node.get("id")
        if isinstance(ident, str):
            found.setdefault(ident, node)
        rules = node.get("rule")
        if isinstance(rules, dict):
            for key, value in rules.items():
                if isinstance(value, dict):
                    found.setdefault(key, value)
        for value in node.values():
            _walk(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found)


@cache
def _rules_in(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise KnowledgeError(path.name, "file", f"cannot be read as TOML: {error}") from None
    found: dict[str, dict[str, Any]] = {}
    _walk(data, found)
    return found


def rule_index(file: str, data_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every rule id that knowledge file FILE (without .toml) defines, with its table."""
    if data_dir is None:
        # The configured copy, checked by its own loader first: the safety case quotes rules
        # from it and must not quote a malformed file.
        name = f"{file}.toml"
        if any(entry.name == name for entry in FILES):
            registered(name).load()
        path = knowledge_path(name)
    else:
        path = data_dir / f"{file}.toml"
    if not path.is_file():
        return {}
    return _rules_in(path)


def rule_summary(control: Control) -> str:
    """What the rule does, in its own file's words (its message, does, action or why)."""
    table = rule_index(control.file).get(control.rule_id, {})
    for key in ("does", "action", "message", "why", "for_clinician", "reason", "label", "text"):
        value = table.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
            return "; ".join(value)
    if isinstance(suggests := table.get("suggests"), str):
        return f"says the picture fits none of the modelled conditions and suggests {suggests}"
    if isinstance(rationale := table.get("rationale"), str):
        return rationale
    return ""


def rule_source(control: Control) -> str:
    table = rule_index(control.file).get(control.rule_id, {})
    value = table.get("source") or table.get("rationale") or ""
    return str(value)


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            names.add(node.name)
    return names


def check_hazard_log(log: HazardLog, repo: Path) -> list[str]:
    """Every problem with the log: hazards without a control or a test, rules or tests that do
    not exist. ``repo`` is the checkout holding tests/."""
    problems = []
    names: dict[str, set[str]] = {}
    for hazard in log.hazards:
        if not hazard.controls:
            problems.append(f"{hazard.id}: no control")
        for control in hazard.controls:
            where = f"{hazard.id} control {control.rule}"
            if control.rule_id not in rule_index(control.file):
                problems.append(f"{where}: no rule '{control.rule_id}' in {control.file}.toml")
            if not control.tests:
                problems.append(f"{where}: no test proves it")
            for test in control.tests:
                match = TEST_ID.fullmatch(test)
                assert match is not None  # checked at load
                file = repo / match["file"]
                if not file.is_file():
                    problems.append(f"{where}: test file {match['file']} does not exist")
                    continue
                if match["file"] not in names:
                    names[match["file"]] = _test_names(file)
                if match["name"] not in names[match["file"]]:
                    problems.append(f"{where}: no test {match['name']} in {match['file']}")
    return problems
