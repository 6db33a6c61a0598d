"""The knowledge files: they load, every number is cited, and malformed files fail loudly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from weizhong.knowledge import Knowledge, KnowledgeError
from weizhong.knowledge.loader import DATA_DIR, load_knowledge


def test_every_evidence_entry_has_a_source_or_a_reasoned_estimate(knowledge: Knowledge) -> None:
    for entry in knowledge.evidence:
        citation = entry.citation
        assert citation.source or (citation.estimate and len(citation.rationale) > 20), entry.id


def test_every_condition_has_a_cited_prior(knowledge: Knowledge) -> None:
    for condition in knowledge.conditions:
        assert condition.computed or condition.citation.text(), condition.id


def test_likelihood_ratios_are_consistent_with_sensitivity_and_specificity(
    knowledge: Knowledge,
) -> None:
    for entry in knowledge.evidence:
        if entry.sensitivity is not None and entry.specificity is not None:
            se, sp = entry.sensitivity, entry.specificity
            assert entry.lr_positive == pytest.approx(se / (1 - sp))
            assert entry.lr_negative == pytest.approx((1 - se) / sp)


def test_the_version_changes_with_the_content(tmp_path: Path, knowledge: Knowledge) -> None:
    same, changed = tmp_path / "same", tmp_path / "changed"
    shutil.copytree(DATA_DIR, same)
    shutil.copytree(DATA_DIR, changed)
    with (changed / "evidence.toml").open("a") as handle:
        handle.write("\n# a comment changes the digest\n")
    assert load_knowledge(same).version == knowledge.version
    assert load_knowledge(changed).version != knowledge.version


BROKEN = [
    (
        "evidence.toml",
        'when = ["slump == positive"]',
        'when = ["slump == maybe"]',
        "evidence #",
        "'maybe' is not a value of 'slump'",
    ),
    (
        "evidence.toml",
        'when = ["crossed_slr_{side}"]',
        'when = ["crossed_slr_{side} =< 3"]',
        "'radic_crossed_slr'",
        "is not a predicate",
    ),
    (
        "evidence.toml",
        'specificity = 0.88\nsource = "Devillé',
        'specificity = 1.5\nsource = "Devillé',
        "'radic_crossed_slr'",
        "strictly between 0 and 1",
    ),
    (
        "evidence.toml",
        'source = "Devillé 2000',
        'sauce = "Devillé 2000',
        "'radic_crossed_slr'",
        "needs a 'source'",
    ),
    (
        "evidence.toml",
        'condition = "lumbar_radiculopathy"\nlabel = "crossed',
        'condition = "lumbar_radiculopathi"\nlabel = "crossed',
        "'radic_crossed_slr'",
        "not in conditions.toml",
    ),
    ("conditions.toml", "prior = 0.03", "prior = 3", "'lumbar_spinal_stenosis'", "probability"),
    ("red_flags.toml", 'urgency = "soon"', 'urgency = "whenever"', "rule #", "not one of"),
    ("findings.toml", 'type = "bool"', 'type = "boolean"', "finding #", "is not one of"),
    (
        "triage.toml",
        'predicate = "lumbar_hypomobility"',
        'predicate = "lumbar_hypermobility"',
        "criterion 'lumbar_hypomobility'",
        "unknown finding",
    ),
    ("evidence.toml", "[meta]", "[meta\n", "file", "not valid TOML"),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "entry", "problem"), BROKEN, ids=[f"{b[0]}:{b[4]}" for b in BROKEN]
)
def test_a_malformed_file_names_file_entry_and_problem(
    tmp_path: Path, file: str, old: str, new: str, entry: str, problem: str
) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    text = (copy / file).read_text()
    assert old in text, f"fixture out of date: {old!r} not in {file}"
    (copy / file).write_text(text.replace(old, new, 1))
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(copy)
    message = str(info.value)
    assert message.startswith(file)
    assert entry in message
    assert problem in message


def test_an_impossible_pair_of_likelihood_ratios_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    path = copy / "evidence.toml"
    text = path.read_text().replace(
        "lr_positive = 2.5\nlr_negative = 0.5", "lr_positive = 2.5\nlr_negative = 1.5", 1
    )
    path.write_text(text)
    with pytest.raises(KnowledgeError, match="opposite sides of 1"):
        load_knowledge(copy)


def test_every_data_file_says_what_it_is_its_version_and_licence() -> None:
    for path in DATA_DIR.glob("*.toml"):
        text = path.read_text()
        assert text.startswith("#"), path.name
        assert "version" in text and "licence" in text.lower(), path.name


def test_medication_names_are_unique_to_one_drug(knowledge: Knowledge) -> None:
    assert len(knowledge.medications) > 100
    required = {"anticoagulant", "antiplatelet", "corticosteroid", "diuretic", "antihypertensive"}
    assert required <= set(knowledge.medication_classes)
