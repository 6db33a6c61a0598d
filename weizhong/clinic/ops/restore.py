"""Restoring a backup: everything is checked before the database is touched, and the rows are
counted again afterwards (the archive's format is described in ``backup``)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from weizhong.clinic.ops.backup import (  # the archive's helpers, shared
    ENGINE_NAMES,
    BackupError,
    RestoreResult,
    _count,
    _engine_of,
    _pg_params,
    _pg_tool,
    _quote,
    _run,
    _sqlite_counts,
    _verify,
    default_output_dir,
)

# ------------------------------------------------------------------------------- restore


def _sqlite_patients(path: Path, table: str) -> int:
    if not path.exists() or path.stat().st_size == 0:
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20)
        try:
            row = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)
            ).fetchone()
            if row is None:
                return 0
            return int(db.execute(f"SELECT COUNT(*) FROM {_quote(table)}").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error as error:
        raise BackupError(f"cannot read the current database {path}: {error}") from None


def _postgres_patients(connection: Any, table: str) -> int:
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return 0
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return int(cursor.fetchone()[0])


def restore_sqlite(snapshot: Path, target: Path) -> None:
    """Replace the database in ``target`` with ``snapshot`` through SQLite's backup API: one
    write transaction on the target, taken with SQLite's own locks (it waits for a writer, never
    tears a reader), written through the target's WAL or journal and synced (synchronous=FULL).
    A crash half way leaves the old database. The snapshot is opened read-only."""
    if not target.exists():
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    source = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    dest = sqlite3.connect(target, timeout=20)
    try:
        dest.execute("PRAGMA busy_timeout=20000")
        dest.execute("PRAGMA synchronous=FULL")
        mode = dest.execute("PRAGMA journal_mode").fetchone()[0]
        if mode == "wal":
            src_page = source.execute("PRAGMA page_size").fetchone()[0]
            dst_page = dest.execute("PRAGMA page_size").fetchone()[0]
            if src_page != dst_page:
                raise BackupError(
                    f"the backup's page size ({src_page}) differs from the database's "
                    f"({dst_page}) in WAL mode: stop the server, move {target.name} (and its "
                    "-wal/-shm files) aside and restore again"
                )
        source.backup(dest)
        if mode == "wal":
            dest.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        problems = [row[0] for row in dest.execute("PRAGMA integrity_check")]
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not restore into {target}: {error}") from None
    finally:
        source.close()
        dest.close()
    if problems != ["ok"]:
        raise BackupError(
            "the restored database failed SQLite's integrity check: " + "; ".join(problems[:5])
        )


def restore_postgres(connection: Any, dump: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    args, env = _pg_params(connection.settings_dict)
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            *args,
            "--dbname",
            str(connection.settings_dict["NAME"]),
            str(dump),
        ],
        env,
        "pg_restore",
    )


def _pending_migrations(connection: Any) -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [
        f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards
    ]


def _compare_counts(expected: Mapping[str, int], actual: Mapping[str, int]) -> None:
    wrong = [
        f"{label}: {actual.get(label, 'no table')} rows, the backup had {n}"
        for label, n in sorted(expected.items())
        if actual.get(label) != n
    ]
    if wrong:
        raise BackupError("the restored database does not match the backup: " + "; ".join(wrong))


def restore_backup(
    path: Path | str, *, replace: bool, sqlite_target: Path | str | None = None
) -> RestoreResult:
    """Restore an archive into the default database (or, for SQLite, into ``sqlite_target``).

    Nothing is touched until the archive has been verified; a database that holds patients is
    replaced only when ``replace`` is true. Afterwards the rows are counted again and compared
    with the manifest's counts."""
    from django.db import Error

    try:
        return _restore_backup(Path(path), replace, sqlite_target)
    except Error as error:
        raise BackupError(f"database error: {error}".strip()) from None


def _restore_backup(
    archive: Path, replace: bool, sqlite_target: Path | str | None
) -> RestoreResult:
    from django.db import connection, connections
    from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

    from weizhong.clinic.models import Patient

    started = time.perf_counter()
    target: Path | None
    if sqlite_target is not None:
        engine, target = "sqlite", Path(sqlite_target)
    else:
        engine = _engine_of(connection)
        target = Path(connection.settings_dict["NAME"]) if engine == "sqlite" else None
        if isinstance(connection, SQLiteWrapper) and connection.is_in_memory_db():
            raise BackupError("the database is in memory: there is nothing to restore into")
    if target is not None and not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent} to restore {target.name} into")
    # The archive is unpacked beside the database (same disk, a 0700 folder), never into /tmp.
    work_dir = target.parent if target is not None else default_output_dir().parent
    try:
        work = Path(tempfile.mkdtemp(prefix=".weizhong-restore-", dir=work_dir))
    except OSError as error:
        raise BackupError(f"cannot unpack the archive into {work_dir}: {error}") from None
    try:
        # Every check before the database is touched: .sha256, manifest, each file's checksum
        # (of the very bytes unpacked here), the engine, the patients it would replace.
        manifest = _verify(archive, extract_dir=work)
        if manifest.engine != engine:
            raise BackupError(
                f"{archive.name} is a {ENGINE_NAMES[manifest.engine]} backup and the database "
                f"is {ENGINE_NAMES[engine]}: restore it into a "
                f"{ENGINE_NAMES[manifest.engine]} database (to move a clinic between engines, "
                "use dumpdata/loaddata)"
            )
        patient_table = Patient._meta.db_table
        if target is not None:
            existing = _sqlite_patients(target, patient_table)
            target_name = str(target)
        else:
            existing = _postgres_patients(connection, patient_table)
            target_name = str(connection.settings_dict["NAME"])
        if existing and not replace:
            raise BackupError(
                f"the database {target_name} holds {existing} patient"
                f"{'' if existing == 1 else 's'}; restoring would replace them (and everything "
                f"else in it) with the backup of {manifest.created}. Say --yes to replace them."
            )

        extracted = work / manifest.database_member
        if target is not None:
            if sqlite_target is None:
                connections.close_all()  # no connection of this process keeps a transaction
            restore_sqlite(extracted, target)
            counts = _sqlite_counts(target, manifest.tables)
        else:
            connections.close_all()  # no idle session of ours holds a lock pg_restore needs
            restore_postgres(connection, extracted)
            with connection.cursor() as cursor:
                existing_tables = set(connection.introspection.table_names(cursor))
                counts = _count(cursor, manifest.tables, existing_tables)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _compare_counts(manifest.counts, counts)
    pending = _pending_migrations(connection) if sqlite_target is None else []
    return RestoreResult(
        path=archive,
        engine=engine,
        target=target_name,
        counts=counts,
        replaced_patients=existing,
        manifest=manifest,
        seconds=time.perf_counter() - started,
        migrations_pending=pending,
    )
