"""Every knowledge file, the loader that reads and checks it, and where it is found.

One rule finds them all: a file in ``$WEIZHONG_KNOWLEDGE_DIR`` (a clinic's own copy) overrides
the bundled file of the same name; a file the clinic has not copied is read from the bundled
``data/`` folder. The atlas is one folder (its channel files and ``relations.toml``) and is
overridden as a whole.

Each loader is named as ``module:function`` and imported only when it is called, so this module
(at the bottom of the core) names the planning, billing and FHIR loaders without importing them.
Every loader is cached per path and raises :class:`KnowledgeError` naming the file, the entry
and the problem; ``weizhong knowledge check`` calls each in turn (:func:`check_all`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from weizhong.errors import KnowledgeError

__all__ = [
    "BUNDLED_DIR",
    "ENVIRONMENT_VARIABLE",
    "FILES",
    "KnowledgeFile",
    "check_all",
    "configuration",
    "fix_hint",
    "knowledge_path",
    "registered",
]

BUNDLED_DIR = Path(__file__).resolve().parent / "data"
ENVIRONMENT_VARIABLE = "WEIZHONG_KNOWLEDGE_DIR"  # read by configuration(), named in messages


@dataclass(frozen=True)
class KnowledgeFile:
    """One knowledge file (or the atlas folder): its name, what it holds, and its loader."""

    name: str  # as found in the knowledge folder: "herbs.toml", "atlas"
    holds: str
    loader: str  # "module:function"; the function takes no argument and reads knowledge_path(name)

    def load(self) -> object:
        """Read and check the configured copy of this file (cached by its loader)."""
        module, _, function = self.loader.partition(":")
        load = cast("Callable[[], object]", getattr(importlib.import_module(module), function))
        return load()


_CORE = "weizhong.knowledge.loader:load_knowledge"

FILES: tuple[KnowledgeFile, ...] = (
    KnowledgeFile("findings.toml", "the findings a case may record, and their vocabulary", _CORE),
    KnowledgeFile("conditions.toml", "the conditions, their priors and fit rules", _CORE),
    KnowledgeFile("evidence.toml", "likelihood ratios and the population they hold in", _CORE),
    KnowledgeFile("red_flags.toml", "red-flag rules and the screening questions", _CORE),
    KnowledgeFile("triage.toml", "the manipulation rule and its validated population", _CORE),
    KnowledgeFile("medications.toml", "medicines by name, brand and class", _CORE),
    KnowledgeFile(
        "instruments.toml",
        "the outcome questionnaires and how each is scored",
        "weizhong.knowledge.instruments:load_instruments",
    ),
    KnowledgeFile(
        "prescription.toml",
        "point selection for each condition",
        "weizhong.planning.prescription:load_prescription_rules",
    ),
    KnowledgeFile(
        "safety.toml",
        "safety rules that change a plan",
        "weizhong.planning.safety:load_safety_rules",
    ),
    KnowledgeFile(
        "herbs.toml",
        "herbal formulas, their herbs, gates and interactions",
        "weizhong.planning.herb_catalogue:load_catalogue",
    ),
    KnowledgeFile(
        "exercises.toml",
        "the home-exercise library, its rules and education",
        "weizhong.figures.pose:load_exercise_library",  # the library, each figure's pose too
    ),
    KnowledgeFile(
        "stratified_care.toml",
        "care matched to the STarT Back risk group",
        "weizhong.planning.stratified:load_stratified_rules",
    ),
    KnowledgeFile(
        "hazards.toml",
        "the clinical safety case's hazard log",
        "weizhong.knowledge.hazards:load_hazard_log",
    ),
    KnowledgeFile(
        "software_controls.toml",
        "safeguards built into the code (CDS Hooks trust) that the hazard log names",
        "weizhong.knowledge.hazards:load_software_controls",
    ),
    KnowledgeFile(
        "billing.toml",
        "billing codes, units and payer rules",
        "weizhong.billing.rules:billing_rules",
    ),
    KnowledgeFile(
        "fhir_codes.toml",
        "ICD-10-CM, SNOMED CT and LOINC codes for FHIR export",
        "weizhong.fhir.codes:code_table",
    ),
    KnowledgeFile(
        "atlas",
        "the point atlas: one file per channel, the extra points, channel relations",
        "weizhong.knowledge.registry:load_whole_atlas",
    ),
)


def registered(name: str) -> KnowledgeFile:
    """The registry entry for ``name``; KeyError for a file that is not registered."""
    for entry in FILES:
        if entry.name == name:
            return entry
    raise KeyError(f"{name} is not a registered knowledge file")


def knowledge_path(name: str) -> Path:
    """Where ``name`` is read from: the clinic's copy when ``$WEIZHONG_KNOWLEDGE_DIR`` has one,
    else the bundled file. ``name`` is a registered file or folder (``atlas``)."""
    folder = configuration()
    if folder:
        copy = Path(folder) / name
        if copy.exists():
            return copy
    return BUNDLED_DIR / name


def configuration() -> str:
    """``$WEIZHONG_KNOWLEDGE_DIR`` as text ('' when unset). The cached loaders key on it, so a
    loader that checks its file against another (a plan's rules against the core knowledge and
    the atlas) reads again when the setting changes."""
    return os.environ.get("WEIZHONG_KNOWLEDGE_DIR") or ""  # the one place that reads it


def load_whole_atlas() -> object:
    """The atlas and its channel relations, both from the configured atlas folder."""
    from weizhong.knowledge.atlas import load_atlas, load_relations

    return load_atlas(), load_relations()


def check_all() -> list[KnowledgeError]:
    """Load every registered file; the problems found, one per failing loader (empty: valid).

    A loader shared by several files (the core knowledge) runs once and stops at its first
    problem, which names the file it is in. Loaders that build on another file fail with its
    error too; each file is listed once, with the first problem found in it.
    """
    problems: dict[str, KnowledgeError] = {}
    done: set[str] = set()
    for entry in FILES:
        if entry.loader in done:
            continue
        done.add(entry.loader)
        try:
            entry.load()
        except KnowledgeError as error:
            problems.setdefault(error.file, error)
    return list(problems.values())


def fix_hint(error: KnowledgeError) -> str:
    """How to fix the file an error names: which copy to edit, or how to fall back."""
    name = error.file
    path = knowledge_path(name.split("/", 1)[0])
    if path.is_relative_to(BUNDLED_DIR):
        return f"to fix it, edit the bundled file {BUNDLED_DIR / name}"
    return (
        f"to fix it, edit {path.parent / name}, or remove that file from "
        f"{ENVIRONMENT_VARIABLE} ({path.parent}) to use the bundled one"
    )
