"""Issue 12: every knowledge file is found one way, and a malformed one stops every command that
reads it with exit 78 and a message naming the file, the entry and how to fix it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from weizhong.cli import EXIT_CONFIG, main
from weizhong.errors import InputError, KnowledgeError, WeizhongError
from weizhong.knowledge.registry import (
    BUNDLED_DIR,
    FILES,
    check_all,
    knowledge_path,
    registered,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "weizhong" / "examples" / "runner_tight_hamstrings.json")

COMMANDS: dict[str, list[str]] = {
    "assess": ["assess", EXAMPLE],
    "plan": ["plan", EXAMPLE],
    "handout": ["handout", EXAMPLE, "-o", "{tmp}/handout.html"],
    "exercises": ["exercises"],
    "score": ["score", "startback", "1", "0", "1", "1", "0", "0", "1", "0", "3"],
    "points": ["points", "BL40"],
    "knowledge check": ["knowledge", "check"],
    "knowledge sources": ["knowledge", "sources"],
    "safety": ["safety"],
}
# The core knowledge (the first eleven files) is one versioned set: every command that assesses,
# plans or lists exercises reads all of it.
CORE = ("assess", "plan", "handout", "exercises", "knowledge check", "knowledge sources", "safety")
READERS: dict[str, tuple[str, ...]] = {
    "findings.toml": CORE,
    "conditions.toml": CORE,
    "evidence.toml": CORE,
    "red_flags.toml": CORE,
    "triage.toml": CORE,
    "medications.toml": CORE,
    "instruments.toml": (*CORE, "score"),
    "prescription.toml": CORE,
    "safety.toml": CORE,
    "herbs.toml": CORE,
    "exercises.toml": CORE,
    "stratified_care.toml": ("plan", "handout", "knowledge check", "safety"),
    "hazards.toml": ("knowledge check", "safety"),
    "software_controls.toml": ("knowledge check", "safety"),
    "billing.toml": ("knowledge check",),  # and the clinic's superbill
    "fhir_codes.toml": ("knowledge check",),  # and `weizhong fhir`, which needs the database
    # The safety case checks every rule file it quotes, and the safety rules name atlas points.
    "atlas/BL.toml": ("plan", "handout", "points", "knowledge check", "safety"),
    "atlas/relations.toml": ("plan", "handout", "knowledge check"),
}
MALFORMED = {
    "not TOML": lambda text: text + "\n= a line that is not TOML\n",
    "emptied": lambda text: "",
}


def test_every_registered_file_has_a_row_in_the_reader_table() -> None:
    names = {f.name for f in FILES}
    assert names - {"atlas"} == {f for f in READERS if not f.startswith("atlas/")}
    assert {p.name for p in BUNDLED_DIR.glob("*.toml")} == names - {"atlas"}


def test_every_loader_in_the_registry_can_be_imported_and_loads_the_bundled_file() -> None:
    for entry in FILES:
        assert entry.load() is not None, entry.name
    assert check_all() == []


def test_knowledge_check_says_which_files_it_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "check", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["checked"] == [entry.name for entry in FILES]
    assert main(["knowledge", "check"]) == 0
    text = capsys.readouterr().out
    assert "all files valid" in text
    assert (
        "also checked: stratified_care.toml, hazards.toml, software_controls.toml, billing.toml, "
        "fhir_codes.toml, atlas" in text
    )


def test_a_clinic_copy_overrides_the_bundled_file_and_only_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEIZHONG_KNOWLEDGE_DIR", raising=False)
    assert knowledge_path("billing.toml") == BUNDLED_DIR / "billing.toml"
    monkeypatch.setenv("WEIZHONG_KNOWLEDGE_DIR", str(tmp_path))
    shutil.copy(BUNDLED_DIR / "herbs.toml", tmp_path / "herbs.toml")
    assert knowledge_path("herbs.toml") == tmp_path / "herbs.toml"
    assert knowledge_path("findings.toml") == BUNDLED_DIR / "findings.toml"
    assert knowledge_path("atlas") == BUNDLED_DIR / "atlas"


def test_one_error_root() -> None:
    from weizhong.billing.model import BillingError
    from weizhong.case import CaseError
    from weizhong.fhir.codes import FhirCodesError
    from weizhong.fhir.importer import FhirImportError
    from weizhong.planning.plan import PlanSettingError
    from weizhong.planning.safety import OverrideError
    from weizhong.reasoning.instruments import InstrumentDataError, InstrumentError

    for error in (InstrumentDataError, FhirCodesError):
        assert issubclass(error, KnowledgeError)
    for error in (CaseError, InstrumentError, PlanSettingError, OverrideError, BillingError):
        assert issubclass(error, InputError)
    assert issubclass(FhirImportError, InputError)
    assert issubclass(KnowledgeError, WeizhongError) and issubclass(InputError, WeizhongError)
    with pytest.raises(KeyError):
        registered("nonsense.toml")


def _break(tmp_path: Path, target: str, how: str) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    if target.startswith("atlas/"):
        shutil.copytree(BUNDLED_DIR / "atlas", folder / "atlas")
    else:
        shutil.copy(BUNDLED_DIR / target, folder / target)
    path = folder / target
    path.write_text(MALFORMED[how](path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


@pytest.mark.parametrize("how", MALFORMED)
@pytest.mark.parametrize("target", READERS)
def test_a_malformed_file_stops_every_command_that_reads_it_with_exit_78(
    target: str,
    how: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _break(tmp_path, target, how)
    monkeypatch.setenv("WEIZHONG_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    for command, argv in COMMANDS.items():
        code = main([arg.format(tmp=tmp_path) for arg in argv])
        err = capsys.readouterr().err
        if command not in READERS[target]:
            assert code == 0, f"{command}: {err}"
            continue
        assert code == EXIT_CONFIG, f"{command} gave {code}: {err}"
        assert f"knowledge is malformed: {target}" in err, command
        assert f"to fix it, edit {path}" in err, command
        assert "Traceback" not in err and "This is a bug" not in err


@pytest.mark.parametrize("target", READERS)
def test_knowledge_check_names_each_malformed_file_as_json(
    target: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _break(tmp_path, target, "emptied")
    monkeypatch.setenv("WEIZHONG_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    assert main(["knowledge", "check", "--format", "json"]) == EXIT_CONFIG
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False
    assert [p["file"] for p in out["problems"]] == [target]


def test_a_broken_billing_entry_is_no_longer_all_files_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12: `knowledge check` said "all files valid" on a broken billing.toml."""
    shutil.copy(BUNDLED_DIR / "billing.toml", tmp_path / "billing.toml")
    text = (tmp_path / "billing.toml").read_text()
    assert "[timed_therapy]" in text
    (tmp_path / "billing.toml").write_text(text.replace("[timed_therapy]", "[timed_therapies]"))
    monkeypatch.setenv("WEIZHONG_KNOWLEDGE_DIR", str(tmp_path))
    assert main(["knowledge", "check"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "billing.toml" in err and "timed_therapy" in err
    assert "all files valid" not in err
