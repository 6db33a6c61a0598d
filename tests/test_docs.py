"""Docs the tests keep honest: the public contract's ids exist, and the README's commands work."""

from __future__ import annotations

import re
from pathlib import Path

from weizhong.knowledge import Knowledge

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = (ROOT / "docs" / "case-format.md").read_text()


def _table_ids(section: str) -> list[str]:
    body = CONTRACT.split(section, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z0-9_]+)` \|", body, flags=re.MULTILINE)


def test_every_finding_id_of_the_contract_is_known(knowledge: Knowledge) -> None:
    ids = _table_ids("## Findings: history") + _table_ids("## Findings: examination")
    assert len(ids) > 45
    for finding in ids:
        sided = finding.replace("_left", "_right")
        assert finding in knowledge.findings, finding
        assert sided in knowledge.findings, sided


def test_every_condition_of_the_contract_is_ranked(knowledge: Knowledge) -> None:
    ids = _table_ids("## Conditions the assessment ranks")
    assert ids and set(ids) == {c.id for c in knowledge.conditions}


def test_every_region_device_and_condition_of_the_contract_is_known(knowledge: Knowledge) -> None:
    regions = CONTRACT.split("## Regions (body chart)", 1)[1].split("\n## ", 1)[0]
    for name in re.findall(r"`([a-z_]+)`", regions):
        if name in ("_left", "_right"):
            continue
        assert (
            name in knowledge.vocabulary.regions or f"{name}_left" in knowledge.vocabulary.regions
        )
    for device in (
        "pacemaker",
        "icd",
        "metal_implant_lumbar",
        "metal_implant_hip",
        "metal_implant_knee",
    ):
        assert device in knowledge.vocabulary.devices
    for condition in (
        "epilepsy",
        "osteoporosis",
        "cancer_history",
        "immunosuppression",
        "bleeding_disorder",
        "diabetes",
    ):
        assert condition in knowledge.vocabulary.conditions


def test_every_red_flag_of_the_contract_has_rules(knowledge: Knowledge) -> None:
    section = CONTRACT.split("## Red flags the assessment raises", 1)[1].split("\n## ", 1)[0]
    added = CONTRACT.split("### Red flags added", 1)[1].strip().split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", section + added)) - {"emergency", "urgent", "soon"}
    assert named == {flag.id for flag in knowledge.red_flags}


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    head = readme[: readme.index("\n## ")]
    assert "make run" in head and "make test" in head


def test_ci_calls_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_make_target_in_the_readme_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    for target in set(re.findall(r"`make ([a-z]+)", readme)):
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
