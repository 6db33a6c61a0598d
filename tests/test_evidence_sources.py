"""Issue 11: an evidence entry that claims published figures must say where they come from.

An entry without `estimate = true` is shown to the clinician as measured, not guessed (HZ-18).
Its `source` must therefore let a reader find the study and check the numbers: a year, a journal
(volume:page, a PMC or Cochrane id) or a guideline, and the very figures the entry uses. Its
`population` must name the study's patients, not the clinic an estimate was made for.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from weizhong.knowledge import load_knowledge
from weizhong.knowledge.records import EvidenceDef

YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
# "Spine 25:1140", "J Chiropr Med 17(1)", "PeerJ 4:e2325", "PMC5883635", "Cochrane CD007431"
JOURNAL = re.compile(r"\b\d{1,4}\s?(:\s?[eE]?\d+|\(\d+\))|\bPMC\d+|\bCD\d{6}\b")
GUIDELINE = re.compile(r"\b(NICE|NG\d+|guideline)\b", re.IGNORECASE)
NUMBER = re.compile(r"(?<![\d.])\d*\.\d+")
ESTIMATE_SETTING = "the population this estimate was made for"

PUBLISHED = [e for e in load_knowledge().evidence if not e.citation.estimate]


def _states(text: str, value: float) -> bool:
    """Whether `text` quotes `value` (to two decimals, as papers round them)."""
    return any(abs(float(n) - value) < 0.006 for n in NUMBER.findall(text))


def _problems(entry: EvidenceDef) -> list[str]:
    source = entry.citation.source
    problems = []
    if not YEAR.search(source):
        problems.append("names no year")
    if not (JOURNAL.search(source) or GUIDELINE.search(source)):
        problems.append("names no journal (volume:page, PMC or Cochrane id) or guideline")
    if entry.sensitivity is not None and entry.specificity is not None:
        figures = {"sensitivity": entry.sensitivity, "specificity": entry.specificity}
    else:
        figures = {"LR+": entry.lr_positive, "LR−": entry.lr_negative}
    problems += [
        f"does not state the {name} {value} the entry uses"
        for name, value in figures.items()
        if not _states(source, value)
    ]
    return problems


@pytest.mark.parametrize("entry", PUBLISHED, ids=[e.id for e in PUBLISHED])
def test_every_published_entry_cites_a_year_a_journal_and_its_own_figures(
    entry: EvidenceDef,
) -> None:
    assert not _problems(entry), f"{entry.id}: source {'; '.join(_problems(entry))}"


@pytest.mark.parametrize("entry", PUBLISHED, ids=[e.id for e in PUBLISHED])
def test_every_published_entry_names_the_study_population(entry: EvidenceDef) -> None:
    assert ESTIMATE_SETTING not in entry.population.setting, (
        f"{entry.id}: the population is the clinic the estimate was made for, not the study's"
    )


def _entry(source: str, sensitivity: float, specificity: float) -> EvidenceDef:
    published = next(e for e in PUBLISHED if e.sensitivity is not None)
    citation = replace(published.citation, source=source)
    return replace(published, citation=citation, sensitivity=sensitivity, specificity=specificity)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("Martin, Knee Surg Sports Traumatol Arthrosc 22:882: Se 0.52, Sp 0.90", "year"),
        ("Martin 2014, a study of 33 patients: Se 0.52, Sp 0.90", "journal"),
        ("Martin 2014, Knee Surg Sports Traumatol Arthrosc 22:882 (n=33)", "sensitivity"),
        ("Martin 2014, Knee Surg Sports Traumatol Arthrosc 22:882: Se 0.52, Sp 0.8", "specificity"),
    ],
    ids=["no_year", "no_journal", "no_numbers", "wrong_specificity"],
)
def test_the_source_check_rejects_an_incomplete_citation(source: str, problem: str) -> None:
    entry = _entry(source=source, sensitivity=0.52, specificity=0.90)
    assert any(problem in p for p in _problems(entry))


def test_the_source_check_accepts_a_complete_citation() -> None:
    entry = _entry(
        source="Martin 2014, Knee Surg Sports Traumatol Arthrosc 22:882 (n=33): Se 0.52, Sp 0.90",
        sensitivity=0.52,
        specificity=0.90,
    )
    assert _problems(entry) == []
