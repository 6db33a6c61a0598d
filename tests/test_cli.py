"""The command line as a user meets it: real processes, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "weizhong" / "examples" / "runner_tight_hamstrings.json"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weizhong.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_assess_prints_a_readable_report() -> None:
    done = run("assess", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.index("RED FLAGS") < out.index("DIFFERENTIAL") < out.index("NEXT TESTS")
    assert "Low back pain driven by tight hamstrings" in out


def test_assess_json_is_the_contract_object() -> None:
    done = run("assess", str(EXAMPLE), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"red_flags", "differential", "next_tests", "knowledge_version"} <= set(result)
    top = result["differential"][0]
    assert top["condition"] == "hamstring_tightness"
    assert 0 <= top["probability"] <= 1 and top["because"]


def test_assess_reads_standard_input() -> None:
    done = run("assess", "-", "--format", "json", stdin=EXAMPLE.read_text())
    assert done.returncode == 0
    assert json.loads(done.stdout)["differential"][0]["condition"] == "hamstring_tightness"


def test_a_bad_case_exits_2_with_every_problem_and_no_traceback() -> None:
    bad = json.dumps(
        {"format": "weizhong.case/1", "findings": {"slr_left_deg": 400, "slum": "positive"}}
    )
    done = run("assess", "-", stdin=bad)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "findings.slr_left_deg: 400 is outside 0–180 degrees" in done.stderr
    assert "did you mean 'slump'" in done.stderr


def test_a_bad_case_in_json_mode_also_prints_machine_readable_problems() -> None:
    done = run("assess", "-", "--format", "json", stdin='{"format": "weizhong.case/1", "x": 1}')
    assert done.returncode == 2
    assert json.loads(done.stdout)["problems"][0]["field"] == "x"


def test_a_missing_file_is_a_clear_error() -> None:
    done = run("assess", "no-such-case.json")
    assert done.returncode == 2
    assert "cannot read no-such-case.json" in done.stderr
    assert "Traceback" not in done.stderr


def test_batch_mode_writes_one_result_per_line_and_keeps_going(tmp_path: Path) -> None:
    good = json.dumps(json.loads(EXAMPLE.read_text()))
    batch = tmp_path / "cases.jsonl"
    batch.write_text(f"{good}\nnot json\n\n{good}\n")
    done = run("assess", "--jsonl", str(batch))
    assert done.returncode == 2
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["line"] for line in lines] == [1, 2, 4]
    assert lines[1]["error"] == "invalid_case"
    assert lines[2]["differential"][0]["condition"] == "hamstring_tightness"
    assert "1 of 3 lines could not be answered" in done.stderr


def test_score_prints_json_with_a_score() -> None:
    done = run("score", "odi", "3", "2", "-", "1", "0", "2", "3", "1", "2", "1")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["score"] == pytest.approx(15 / 45 * 100, abs=0.05)
    assert result["skipped"] == [3]


def test_score_start_back_item_9_on_its_0_to_4_scale() -> None:
    result = json.loads(
        run("score", "startback", "1", "1", "1", "0", "1", "1", "1", "0", "3").stdout
    )
    assert result["score"] == 7
    assert result["band"] == "high"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("score", "odx", "1"), "odi"),
        (("score", "nprs", "11"), "nprs item 1"),
        (("score", "nprs", "seven"), "not a number"),
    ],
)
def test_score_errors_exit_2_and_name_the_problem(args: tuple[str, ...], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_knowledge_check_prints_counts() -> None:
    done = run("knowledge", "check", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert report["counts"]["conditions"] == 9
    assert report["counts"]["red_flags"] == 12
    assert report["counts"]["instruments"] == 7


@pytest.mark.parametrize("command", [(), ("assess",), ("score",), ("knowledge", "check")])
def test_help_everywhere_with_examples(command: tuple[str, ...]) -> None:
    done = run(*command, "--help")
    assert done.returncode == 0
    assert "usage:" in done.stdout
    if command:
        assert "example" in done.stdout


def test_no_arguments_prints_help_and_exits_2() -> None:
    done = run()
    assert done.returncode == 2
    assert "assess" in done.stdout


def test_a_command_group_without_an_action_shows_its_own_help() -> None:
    done = run("knowledge")
    assert done.returncode == 2
    assert done.stdout.startswith("usage: weizhong knowledge")


def run_with_broken(
    tmp_path: Path, file: str, old: str, new: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run a command against a copy of the data files in which `file` has `old` made `new`."""
    data = tmp_path / "data"
    if not data.exists():
        shutil.copytree(ROOT / "weizhong" / "knowledge" / "data", data)
        path = data / file
        text = path.read_text()
        assert old in text, f"fixture out of date: {old!r} not in {file}"
        path.write_text(text.replace(old, new, 1))
    env = {**os.environ, "WEIZHONG_KNOWLEDGE_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "weizhong.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def test_malformed_knowledge_names_the_file_and_exits_78(tmp_path: Path) -> None:
    for args in (("knowledge", "check"), ("assess", str(EXAMPLE))):
        done = run_with_broken(tmp_path, "conditions.toml", "prior = 0.03", "prior = 3", *args)
        assert done.returncode == 78
        assert "conditions.toml" in done.stderr
        assert "lumbar_spinal_stenosis" in done.stderr
        assert "Traceback" not in done.stderr


def test_batch_leaves_sources_to_one_command_unless_asked(tmp_path: Path) -> None:
    batch = tmp_path / "cases.jsonl"
    batch.write_text(json.dumps(json.loads(EXAMPLE.read_text())) + "\n")
    plain = json.loads(run("assess", "--jsonl", str(batch)).stdout)
    full = json.loads(run("assess", "--jsonl", str(batch), "--with-sources").stdout)
    assert "sources" not in plain
    cited = {
        item["evidence"]
        for entry in full["differential"]
        for item in entry["because"]
        if "evidence" in item
    }
    assert cited <= set(full["sources"])
    everything = json.loads(run("knowledge", "sources").stdout)
    assert everything["knowledge_version"] == full["knowledge_version"]
    for key, text in full["sources"].items():
        assert everything["sources"][key] == text


def test_a_clinics_own_planning_data_is_used_and_checked(tmp_path: Path) -> None:
    done = run_with_broken(
        tmp_path,
        "safety.toml",
        '[rule.pacemaker_no_electro]\ntitle = "Pacemaker or defibrillator: no electro"\ndoes',
        '[rule.pacemaker_no_electro]\ntitle = "Pacemaker or defibrillator: no electro"\ndoez',
        "plan",
        str(EXAMPLE),
    )
    assert done.returncode == 78
    assert "safety.toml" in done.stderr
    assert "pacemaker_no_electro" in done.stderr


def test_a_byte_order_mark_from_a_windows_export_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    done = run("assess", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["differential"][0]["condition"] == "hamstring_tightness"
