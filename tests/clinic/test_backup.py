"""Backups and restores (weizhong/clinic/ops/backup.py and restore.py, and the backup and restore
commands).

The suite runs on SQLite (an in-memory test database) and on PostgreSQL (DATABASE_URL). Backups
are always made of the live test database. On SQLite a restore goes into a file database in
tmp_path (swapping the live in-memory database is not meaningful); on PostgreSQL it goes into
the live test database. The tests are transactional: pg_dump reads committed rows only.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from weizhong.clinic import actions
from weizhong.clinic.management.commands import restore as restore_command
from weizhong.clinic.models import Amendment, Clinic, Note, Patient, Visit
from weizhong.clinic.ops import backup, restore
from weizhong.clinic.ops.backup import (
    FORMAT,
    BackupError,
    make_backup,
    verify_archive,
)
from weizhong.clinic.ops.restore import restore_backup

from .conftest import make_exam, make_patient, make_plan, make_visit

pytestmark = pytest.mark.django_db(transaction=True)

# Every value as text, so that rows read through Django's cursor and through a plain sqlite3
# connection compare equal.
ROWS = {
    "patients": (
        "SELECT id, clinic_id, given_name, family_name, CAST(birth_date AS TEXT), email "
        "FROM clinic_patient ORDER BY id"
    ),
    "visits": (
        "SELECT id, patient_id, plan_id, clinician_id, CAST(date AS TEXT), "
        "CAST(points AS TEXT) FROM clinic_visit ORDER BY id"
    ),
    "notes": (
        "SELECT id, visit_id, subjective, assessment, signed_by_id, CAST(signed_at AS TEXT), "
        "version FROM clinic_note ORDER BY id"
    ),
    "amendments": "SELECT id, note_id, author_id, text FROM clinic_amendment ORDER BY id",
    "users": "SELECT id, username, password FROM auth_user ORDER BY id",
}


def sqlite() -> bool:
    return connection.vendor == "sqlite"


def live_rows() -> dict[str, list[tuple[Any, ...]]]:
    with connection.cursor() as cursor:
        rows = {}
        for name, sql in ROWS.items():
            cursor.execute(sql)
            rows[name] = [tuple(row) for row in cursor.fetchall()]
    return rows


def file_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(path)
    try:
        return {name: db.execute(sql).fetchall() for name, sql in ROWS.items()}
    finally:
        db.close()


class Target:
    """Where a restore goes: a file database in tmp_path on SQLite, the live test database on
    PostgreSQL."""

    def __init__(self, tmp_path: Path) -> None:
        self.file = tmp_path / "restored" / "weizhong.sqlite3"
        self.file.parent.mkdir()
        self.scratch = tmp_path / "scratch-backups"

    def restore(self, archive: Path, *, replace: bool) -> backup.RestoreResult:
        if sqlite():
            return restore_backup(archive, replace=replace, sqlite_target=self.file)
        return restore_backup(archive, replace=replace)

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return file_rows(self.file) if sqlite() else live_rows()

    def catch_up(self) -> None:
        """Make the target hold what the live database holds now (SQLite: copy it over)."""
        if sqlite():
            self.restore(make_backup(self.scratch).path, replace=True)


@pytest.fixture
def clinic_data(clinic: Clinic, clinician: User) -> dict[str, Any]:
    """Two patients; one with an exam, a plan, two visits, a signed note and an amendment."""
    ada = make_patient(clinic)
    exam = make_exam(ada, clinician)
    plan = make_plan(exam, clinician)
    first = make_visit(ada, plan, clinician)
    make_visit(ada, plan, clinician, needle_minutes=20)
    actions.do_sign_note(note=first.note, signer=clinician)
    Amendment.objects.create(note=first.note, author=clinician, text="Pain 3/10 on leaving.")
    bo = make_patient(clinic, given_name="Bo", family_name="Walker", email="bo@example.org")
    return {"ada": ada, "bo": bo, "visit": first, "plan": plan, "clinician": clinician}


def change_everything(data: dict[str, Any]) -> None:
    """Edit, sign, add: what a clinic day does to the data after a backup."""
    Patient.objects.filter(pk=data["ada"].pk).update(family_name="Renamed")
    second = Visit.objects.exclude(pk=data["visit"].pk).get(patient=data["ada"])
    actions.do_sign_note(note=second.note, signer=data["clinician"])
    make_visit(data["bo"], None, data["clinician"])
    make_patient(data["ada"].clinic, given_name="Zed", email="zed@example.org")


def database_member() -> str:
    return "weizhong.sqlite3" if sqlite() else "weizhong.pgdump"


def forge(path: Path, manifest: dict[str, Any] | bytes | None, files: dict[str, bytes]) -> Path:
    """A tar archive with this manifest (None: without one) and these files."""
    with tarfile.open(path, "w") as tar:
        members = dict(files)
        if manifest is not None:
            raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
            members = {"manifest.json": raw, **members}
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def forged_manifest(engine: str, member: str, data: bytes) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "created": "2025-01-01T00:00:00Z",
        "engine": engine,
        "weizhong_version": "0.1.0",
        "migrations": {},
        "counts": {"clinic.Patient": 0},
        "tables": {"clinic.Patient": "clinic_patient"},
        "files": {member: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}},
    }


# ------------------------------------------------------------------------------- backup


def test_backup_manifest_counts_match_the_data(clinic_data: dict[str, Any], tmp_path: Path) -> None:
    result = make_backup(tmp_path)
    manifest = result.manifest

    assert manifest.format == "weizhong.backup/1"
    assert manifest.engine == connection.vendor
    for model in backup.counted_models():
        assert manifest.counts[model._meta.label] == model.objects.count(), model
    assert manifest.counts["clinic.Patient"] == 2
    assert manifest.counts["clinic.Visit"] == 2
    assert manifest.counts["clinic.Note"] == 2
    assert manifest.counts["clinic.Amendment"] == 1
    assert manifest.counts["auth.User"] == 1
    assert {"clinic.AuditEvent", "clinic.ApiToken", "clinic.HomeLog"} <= set(manifest.counts)
    latest_clinic = max(
        name for app, name in MigrationRecorder(connection).applied_migrations() if app == "clinic"
    )
    assert manifest.migrations["clinic"] == latest_clinic
    assert manifest.secret_key_included is False

    # One archive, its checksum file, nothing left behind; owner-only.
    assert result.path.name.startswith("weizhong-backup-") and result.path.suffix == ".tar"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        result.path.name,
        result.path.name + ".sha256",
    ]
    assert result.path.stat().st_mode & 0o777 == 0o600
    archive_bytes = result.path.read_bytes()
    assert result.size == len(archive_bytes)
    assert result.sha256 == hashlib.sha256(archive_bytes).hexdigest()
    assert result.checksum_path.read_text() == f"{result.sha256}  {result.path.name}\n"

    with tarfile.open(result.path) as tar:
        assert sorted(tar.getnames()) == sorted(["manifest.json", database_member()])
        stored = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        member = tar.extractfile(database_member()).read()  # type: ignore[union-attr]
    assert stored["counts"] == manifest.counts
    assert stored["files"][database_member()]["sha256"] == hashlib.sha256(member).hexdigest()
    assert stored["secret_key_included"] is False and "secret key" in stored["secret_key_note"]
    assert settings.SECRET_KEY.encode() not in archive_bytes
    if sqlite():
        assert member.startswith(b"SQLite format 3\x00")
    else:
        assert member.startswith(b"PGDMP")  # pg_dump's custom format


def test_a_backup_verifies(clinic_data: dict[str, Any], tmp_path: Path) -> None:
    result = make_backup(tmp_path)
    assert verify_archive(result.path) == result.manifest
    result.checksum_path.unlink()  # the .sha256 is optional
    assert verify_archive(result.path) == result.manifest


def test_two_backups_in_the_same_second_do_not_overwrite(
    clinic_data: dict[str, Any], tmp_path: Path
) -> None:
    first, second = make_backup(tmp_path), make_backup(tmp_path)
    assert first.path != second.path
    assert verify_archive(first.path) and verify_archive(second.path)


def test_backup_into_an_unwritable_place_is_a_clear_error(
    clinic_data: dict[str, Any], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(BackupError, match="cannot create the backup folder"):
        make_backup(blocker / "backups")


def test_backup_command_prints_the_archive_its_checksum_and_counts(
    clinic_data: dict[str, Any], tmp_path: Path
) -> None:
    out = io.StringIO()
    call_command("backup", output=str(tmp_path), stdout=out)
    text = out.getvalue()
    (archive,) = tmp_path.glob("*.tar")
    assert f"backup written: {archive}" in text
    assert hashlib.sha256(archive.read_bytes()).hexdigest() in text
    assert f"({archive.stat().st_size} bytes)" in text
    assert any(line.split() == ["clinic.Patient", "2"] for line in text.splitlines())
    assert "secret key is not in this backup" in text


# ------------------------------------------------------------------------------- verify


def flip_byte_in_member(archive: Path, member: str, at: int = 200) -> None:
    with tarfile.open(archive) as tar:
        offset = tar.getmember(member).offset_data + at
    with archive.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0x01]))


def test_a_flipped_byte_in_the_snapshot_fails_verification_naming_the_file(
    clinic_data: dict[str, Any], tmp_path: Path
) -> None:
    result = make_backup(tmp_path / "backups")
    member = database_member()
    flip_byte_in_member(result.path, member)

    with pytest.raises(BackupError, match=rf"{result.path.name} does not match .*\.sha256"):
        verify_archive(result.path)
    result.checksum_path.unlink()
    with pytest.raises(BackupError, match=rf"checksum mismatch in {member}"):
        verify_archive(result.path)

    # Restore checks first and changes nothing.
    target = Target(tmp_path)
    target.catch_up()
    before = target.rows()
    with pytest.raises(BackupError, match=rf"checksum mismatch in {member}"):
        target.restore(result.path, replace=True)
    assert target.rows() == before
    assert not list(target.file.parent.glob(".weizhong-restore-*"))


def test_damaged_or_foreign_archives_are_clear_errors(
    clinic_data: dict[str, Any], tmp_path: Path
) -> None:
    good = make_backup(tmp_path / "backups")
    good.checksum_path.unlink()
    data = good.path.read_bytes()

    cases: dict[str, tuple[Path, str]] = {}
    cases["missing"] = (tmp_path / "nope.tar", "no such file")
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(os.urandom(4096))
    cases["garbage"] = (garbage, "not a tar archive")
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(data[: len(data) // 2])
    cases["truncated"] = (truncated, "damaged or truncated")
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    cases["empty"] = (empty, "not a tar archive")
    cases["no manifest"] = (
        forge(tmp_path / "nomanifest.tar", None, {"weizhong.sqlite3": b"x"}),
        "has no manifest.json",
    )
    wrong_format = forged_manifest("sqlite", "weizhong.sqlite3", b"x") | {"format": "other/9"}
    cases["wrong format"] = (
        forge(tmp_path / "format.tar", wrong_format, {"weizhong.sqlite3": b"x"}),
        "unsupported backup format 'other/9'",
    )
    cases["manifest not json"] = (
        forge(tmp_path / "json.tar", b"{not json", {"weizhong.sqlite3": b"x"}),
        "manifest.json is not valid JSON",
    )
    manifest = forged_manifest("sqlite", "weizhong.sqlite3", b"x")
    cases["extra file"] = (
        forge(tmp_path / "extra.tar", manifest, {"weizhong.sqlite3": b"x", "evil.sh": b"rm"}),
        "evil.sh is in the archive but not in its manifest",
    )
    cases["missing file"] = (forge(tmp_path / "lacks.tar", manifest, {}), "lacks weizhong.sqlite3")
    cases["path in archive"] = (
        forge(tmp_path / "path.tar", manifest, {"../weizhong.sqlite3": b"x"}),
        "unexpected entry '../weizhong.sqlite3'",
    )

    before = live_rows()
    for name, (path, message) in cases.items():
        with pytest.raises(BackupError, match=message):
            verify_archive(path)
        case_dir = tmp_path / name.replace(" ", "-")
        case_dir.mkdir()
        target = Target(case_dir)
        with pytest.raises(BackupError, match=message):
            target.restore(path, replace=True)
        assert not target.file.exists()
    assert live_rows() == before


# ------------------------------------------------------------------------------- restore


def test_restore_refuses_a_backup_of_the_other_engine(
    clinic_data: dict[str, Any], tmp_path: Path
) -> None:
    other, member = (
        ("postgresql", "weizhong.pgdump") if sqlite() else ("sqlite", "weizhong.sqlite3")
    )
    archive = forge(
        tmp_path / "other.tar", forged_manifest(other, member, b"data"), {member: b"data"}
    )
    verify_archive(archive)  # a sound archive, only of the other engine
    before = live_rows()
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    message = f"is a {names[other]} backup and the database is {names[connection.vendor]}"
    with pytest.raises(BackupError, match=message):
        Target(tmp_path).restore(archive, replace=True)
    assert live_rows() == before
    if not sqlite():  # and a PostgreSQL backup never goes into a SQLite file either
        dump = make_backup(tmp_path / "pg").path
        with pytest.raises(BackupError, match="is a PostgreSQL backup and the database is SQLite"):
            restore_backup(dump, replace=True, sqlite_target=tmp_path / "x.sqlite3")


def test_restore_refuses_to_replace_patients_without_replace(
    clinic_data: dict[str, Any], tmp_path: Path
) -> None:
    target = Target(tmp_path)
    archive = make_backup(tmp_path / "backups").path
    make_patient(clinic_data["ada"].clinic, given_name="Zed", email="zed@example.org")
    target.catch_up()
    before = target.rows()
    assert len(before["patients"]) == 3

    with pytest.raises(BackupError, match=r"holds 3 patients; restoring would replace them"):
        target.restore(archive, replace=False)
    assert target.rows() == before


def test_restore_into_an_empty_database_needs_no_replace(
    clinic_data: dict[str, Any], tmp_path: Path
) -> None:
    """SQLite: a new file (made owner-only); PostgreSQL: the test database emptied."""
    archive = make_backup(tmp_path / "backups").path
    expected = live_rows()
    target = Target(tmp_path)
    if not sqlite():
        call_command("flush", interactive=False)
        assert Patient.objects.count() == 0
    result = target.restore(archive, replace=False)
    assert result.replaced_patients == 0
    assert target.rows() == expected
    if sqlite():
        assert target.file.stat().st_mode & 0o777 == 0o600


def test_restore_brings_back_the_rows_of_backup_time(
    clinic_data: dict[str, Any], tmp_path: Path
) -> None:
    at_backup = live_rows()
    assert any(note[4] is not None for note in at_backup["notes"])  # a signed note
    assert any(note[4] is None for note in at_backup["notes"])  # and an unsigned one
    result = make_backup(tmp_path / "backups")

    change_everything(clinic_data)
    target = Target(tmp_path)
    target.catch_up()
    changed = target.rows()
    assert changed != at_backup and len(changed["patients"]) == 3

    restored = target.restore(result.path, replace=True)
    assert target.rows() == at_backup
    assert restored.counts == result.manifest.counts
    assert restored.replaced_patients == 3
    assert restored.engine == connection.vendor


def test_restore_notices_rows_that_do_not_match_the_manifest(
    clinic_data: dict[str, Any], tmp_path: Path
) -> None:
    """The recount after a restore is a real check: a manifest that promises a row more than
    the database holds (a tampered or buggy backup with consistent checksums) fails."""
    result = make_backup(tmp_path / "backups")
    member = database_member()
    with tarfile.open(result.path) as tar:
        data = tar.extractfile(member).read()  # type: ignore[union-attr]
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    manifest["counts"]["clinic.Patient"] += 1
    archive = forge(tmp_path / "lying.tar", manifest, {member: data})
    with pytest.raises(BackupError, match=r"clinic.Patient: 2 rows, the backup had 3"):
        Target(tmp_path).restore(archive, replace=True)


def test_restore_command_asks_for_yes_then_prints_a_summary(
    clinic_data: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = Target(tmp_path)
    if sqlite():  # the command restores into the live database; here a file in tmp_path
        restore = functools.partial(restore_backup, sqlite_target=target.file)
        monkeypatch.setattr(restore_command, "restore_backup", restore)
    archive = make_backup(tmp_path / "backups").path
    target.catch_up()

    with pytest.raises(CommandError, match=r"holds 2 patients.*--yes"):
        call_command("restore", str(archive))
    out = io.StringIO()
    call_command("restore", str(archive), yes=True, stdout=out)
    text = out.getvalue()
    assert f"restored {archive.name} into " in text
    assert "replaced a database of 2 patients" in text
    assert any(line.split() == ["clinic.Visit", "2"] for line in text.splitlines())
    assert "secret key is not in this backup" in text

    flip_byte_in_member(archive, database_member())
    with pytest.raises(CommandError, match=r"checksum mismatch: .* does not match"):
        call_command("restore", str(archive), yes=True)


# ------------------------------------------------------------------------------- SQLite


def test_sqlite_snapshot_is_consistent_while_a_writer_is_busy(tmp_path: Path) -> None:
    """The online backup API copies the committed database while another connection holds an
    open write transaction (WAL): no waiting, no half-written rows, one self-contained file."""
    live = tmp_path / "live.sqlite3"
    setup = sqlite3.connect(live)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (n INTEGER)")
    setup.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(100)])
    setup.commit()
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(50)])

    reader = sqlite3.connect(live)
    snapshot = tmp_path / "snapshot.sqlite3"
    backup.snapshot_sqlite(reader, snapshot)
    writer.execute("COMMIT")

    copy = sqlite3.connect(snapshot)
    assert copy.execute("SELECT COUNT(*) FROM t").fetchone() == (100,)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copy.close()
    assert not (tmp_path / "snapshot.sqlite3-wal").exists()
    assert snapshot.stat().st_mode & 0o777 == 0o600
    for db in (setup, writer, reader):
        db.close()


def test_sqlite_restore_goes_through_sqlite_so_open_connections_see_the_new_database(
    tmp_path: Path,
) -> None:
    """Restoring with the backup API into a live WAL database: a connection that stays open
    (a server worker) sees the restored rows, not the old file or a stale -wal."""
    snapshot = tmp_path / "snapshot.sqlite3"
    source = sqlite3.connect(snapshot)
    source.execute("CREATE TABLE t (n INTEGER)")
    source.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    source.commit()
    source.close()

    live = tmp_path / "live.sqlite3"
    old = sqlite3.connect(live)
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE t (n INTEGER)")
    old.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
    old.commit()
    worker = sqlite3.connect(live)
    assert worker.execute("SELECT COUNT(*) FROM t").fetchone() == (1000,)

    restore.restore_sqlite(snapshot, live)
    assert worker.execute("SELECT n FROM t ORDER BY n").fetchall() == [(1,), (2,)]
    assert worker.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    worker.close()
    old.close()
    assert sqlite3.connect(live).execute("PRAGMA integrity_check").fetchone() == ("ok",)


# ------------------------------------------------------------------------------- PostgreSQL


def test_pg_tools_missing_or_failing_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = tmp_path / "weizhong.pgdump"
    dump.write_bytes(b"not a dump at all")
    pg_restore = backup.shutil.which("pg_restore")
    assert pg_restore, "pg_restore is needed for this test (postgresql-client)"
    with pytest.raises(BackupError, match=r"pg_restore failed \(exit status 1\):\n.*valid archive"):
        restore.restore_postgres(connection, dump)

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_restore is not installed or not on PATH"):
        restore.restore_postgres(connection, dump)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="PostgreSQL round trip: runs when DATABASE_URL is a postgres URL (CI runs both)",
)
def test_postgres_round_trip_against_the_test_database(
    clinic_data: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    assert connection.settings_dict["NAME"].startswith("test_")  # never the clinic's database
    calls: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def spy(command: list[str], **kwargs: Any) -> Any:
        calls.append((command, kwargs["env"]))
        return real_run(command, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", spy)

    at_backup = live_rows()
    result = make_backup(tmp_path)
    change_everything(clinic_data)
    assert live_rows() != at_backup
    restored = restore_backup(result.path, replace=True)

    assert live_rows() == at_backup
    assert restored.counts == result.manifest.counts
    assert restored.target == connection.settings_dict["NAME"]
    assert restored.migrations_pending == []
    # The sequences came back too: new rows do not collide with restored ones.
    new = make_patient(clinic_data["ada"].clinic, given_name="After")
    assert new.pk > max(row[0] for row in at_backup["patients"])
    assert Note.objects.filter(signed_at__isnull=False).count() == 1

    (dump_cmd, _), (restore_cmd, _) = calls
    db = connection.settings_dict
    assert db["PASSWORD"]
    for command, env in calls:
        assert env["PGPASSWORD"] == db["PASSWORD"]
        # Never on the command line: no URL or conninfo, and (the CI password may equal the
        # user name) not in any argument but the user, the database and our files' paths.
        assert not any("://" in arg or "password=" in arg.lower() for arg in command)
        others = [a for a in command[1:] if a not in (db["USER"], db["NAME"]) and "/" not in a]
        assert not any(db["PASSWORD"] in arg for arg in others), others
    assert "--format=custom" in dump_cmd and any(a.startswith("--snapshot=") for a in dump_cmd)
    assert {"--clean", "--if-exists", "--no-owner", "--single-transaction"} <= set(restore_cmd)
