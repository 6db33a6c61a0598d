"""The hazard log drives the safety rules: every hazard has controls, every control is a rule that
exists and a test that proves it, and every safety rule is a control of some hazard (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from weizhong.cli import main
from weizhong.knowledge.hazards import check_hazard_log, load_hazard_log, rule_index

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "weizhong" / "knowledge" / "data"
# The rule files whose every rule must be a control of some hazard.
SAFETY_FILES = ("safety", "red_flags")


def test_every_hazard_has_controls_that_exist_and_tests_that_prove_them() -> None:
    assert check_hazard_log(load_hazard_log(), ROOT) == []


def test_every_finding_of_the_clinical_review_is_a_hazard() -> None:
    # HZ-01 to HZ-27: the clinical review (issue 11); HZ-28: the review of the CDS Hooks service.
    ids = [h.id for h in load_hazard_log().hazards]
    assert ids == [f"HZ-{n:02d}" for n in range(1, 29)]


def test_a_software_control_names_a_module_that_exists(tmp_path: Path) -> None:
    from weizhong.errors import KnowledgeError
    from weizhong.knowledge.hazards import load_software_controls

    assert {c.id for c in load_software_controls()} >= {"cds_signed_token_required"}
    text = (DATA / "software_controls.toml").read_text(encoding="utf-8")
    broken = tmp_path / "software_controls.toml"
    broken.write_text(text.replace("weizhong/clinic/interop/cds.py", "weizhong/nowhere.py"))
    with pytest.raises(KnowledgeError, match=r"nowhere\.py"):
        load_software_controls(broken)


@pytest.mark.parametrize("file", SAFETY_FILES)
def test_every_safety_rule_is_a_control_of_some_hazard(file: str) -> None:
    controlled = {
        c.rule_id for h in load_hazard_log().hazards for c in h.controls if c.file == file
    }
    rules = set(rule_index(file))
    if file == "red_flags":  # the flags themselves carry ids too; their rules are the controls
        rules = {r for r, table in rule_index(file).items() if "urgency" in table}
    assert sorted(rules - controlled) == []


def test_no_hazard_is_left_unacceptable_after_its_controls() -> None:
    log = load_hazard_log()
    for hazard in log.hazards:
        assert log.after(hazard) <= log.before(hazard), hazard.id
        assert log.after(hazard) <= 3, f"{hazard.id} is still rated {log.after(hazard)}"


def _log_with(tmp_path: Path, control: str) -> Path:
    text = (DATA / "hazards.toml").read_text(encoding="utf-8")
    marker = "[[hazard.control]]"
    first = text.index(marker)
    path = tmp_path / "hazards.toml"
    path.write_text(text[:first] + control + "\n\n" + text[first:], encoding="utf-8")
    return path


def _new_problems(path: Path) -> list[str]:
    """The problems the edited log has that the real one has not."""
    before = set(check_hazard_log(load_hazard_log(), ROOT))
    return [p for p in check_hazard_log(load_hazard_log(path), ROOT) if p not in before]


def test_the_check_names_a_control_whose_rule_does_not_exist(tmp_path: Path) -> None:
    path = _log_with(
        tmp_path,
        '[[hazard.control]]\nrule = "safety:no_such_rule"\n'
        'tests = ["tests/test_plan.py::test_a_plan_lists_its_home_programme"]',
    )
    assert _new_problems(path) == [
        "HZ-01 control safety:no_such_rule: no rule 'no_such_rule' in safety.toml"
    ]


def test_the_check_names_a_test_that_does_not_exist(tmp_path: Path) -> None:
    path = _log_with(
        tmp_path,
        '[[hazard.control]]\nrule = "safety:red_flag_refer"\n'
        'tests = ["tests/test_plan.py::test_that_was_never_written"]',
    )
    assert _new_problems(path) == [
        "HZ-01 control safety:red_flag_refer: no test test_that_was_never_written in "
        "tests/test_plan.py"
    ]


def test_the_check_names_a_control_without_a_test(tmp_path: Path) -> None:
    path = _log_with(tmp_path, '[[hazard.control]]\nrule = "safety:red_flag_refer"')
    assert _new_problems(path) == ["HZ-01 control safety:red_flag_refer: no test proves it"]


def test_safety_prints_the_case_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["safety"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("weizhong clinical safety case")
    assert "HZ-01  Cauda equina syndrome missed" in out
    assert "proved by tests/" in out
    assert "cite a paper" in out


def test_safety_writes_html_and_json(tmp_path: Path) -> None:
    page = tmp_path / "case.html"
    assert main(["safety", "--format", "html", "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert "<section id='HZ-28'>" in text
    assert "http" not in text.split("<body>")[0]  # self-contained: no external stylesheet
    target = tmp_path / "case.json"
    assert main(["safety", "--format", "json", "-o", str(target)]) == 0
    case = json.loads(target.read_text(encoding="utf-8"))
    assert case["counts"]["hazards"] == 28
    assert all(h["controls"] for h in case["hazards"])
    assert all(c["does"] for h in case["hazards"] for c in h["controls"])
