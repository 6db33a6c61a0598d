"""Backups and restores of the clinic database, as one self-checking tar archive.

An archive ``weizhong-backup-<UTC time>.tar`` holds two files:

- the database: ``weizhong.sqlite3`` (SQLite, a consistent snapshot made with SQLite's online
  backup API, safe while the server writes, checked with ``PRAGMA integrity_check``) or
  ``weizhong.pgdump`` (PostgreSQL, ``pg_dump --format=custom``);
- ``manifest.json``: the format (``weizhong.backup/1``), when, which engine, the migration state,
  the weizhong version, row counts per model and the SHA-256 of the database file.

The secret key is deliberately not in the archive: portal links and research pseudonyms depend
on it, and a backup that carries its own key hands both to whoever finds the backup. The clinic
keeps the key separately.

Restore checks everything before it touches the database: the archive's ``.sha256`` beside it,
the manifest, every file's checksum, the engine. SQLite is restored with the backup API from the
snapshot into the live database file (one write transaction through SQLite's own locking and
WAL, so other connections see the old or the new database, never a mixture, and no -wal/-shm
file is left describing the old one); PostgreSQL with ``pg_restore --clean --if-exists
--no-owner --single-transaction`` (all or nothing). Afterwards the rows are counted again and
compared with the manifest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FORMAT = "weizhong.backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "weizhong.sqlite3"
POSTGRES_MEMBER = "weizhong.pgdump"
MEMBERS = {"sqlite": SQLITE_MEMBER, "postgresql": POSTGRES_MEMBER}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SECRET_KEY_NOTE = (
    "The secret key is not in this backup: portal links and research pseudonyms depend on it. "
    "Keep a copy of it separately (the data directory's secret.key, or WEIZHONG_SECRET_KEY)."
)
_CHUNK = 1 << 20
_MAX_MANIFEST = 1 << 20  # a manifest is a few kilobytes; refuse to parse anything huge


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the person at the desk."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Manifest:
    format: str
    created: str
    engine: str  # "sqlite" or "postgresql" (Django's connection.vendor)
    version: str
    migrations: dict[str, str]  # app label -> latest applied migration
    counts: dict[str, int]  # model label -> rows
    tables: dict[str, str]  # model label -> database table
    files: dict[str, dict[str, Any]]  # member name -> {"sha256": ..., "bytes": ...}
    secret_key_included: bool = False

    @property
    def database_member(self) -> str:
        return MEMBERS[self.engine]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "created": self.created,
            "engine": self.engine,
            "weizhong_version": self.version,
            "migrations": self.migrations,
            "counts": self.counts,
            "tables": self.tables,
            "files": self.files,
            "secret_key_included": self.secret_key_included,
            "secret_key_note": SECRET_KEY_NOTE,
        }

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        if not isinstance(data, dict):
            raise BackupError("manifest.json is not a JSON object: not a weizhong backup")
        found = data.get("format")
        if found != FORMAT:
            raise BackupError(
                f"unsupported backup format {found!r}: this weizhong reads {FORMAT!r} archives"
            )
        try:
            manifest = cls(
                format=found,
                created=str(data["created"]),
                engine=str(data["engine"]),
                version=str(data["weizhong_version"]),
                migrations={str(k): str(v) for k, v in data["migrations"].items()},
                counts={str(k): int(v) for k, v in data["counts"].items()},
                tables={str(k): str(v) for k, v in data["tables"].items()},
                files={
                    str(k): {"sha256": str(v["sha256"]), "bytes": int(v["bytes"])}
                    for k, v in data["files"].items()
                },
                secret_key_included=bool(data.get("secret_key_included", False)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise BackupError(f"manifest.json is incomplete or malformed ({error!r})") from None
        if manifest.engine not in MEMBERS:
            raise BackupError(f"manifest.json names an unknown database engine {manifest.engine!r}")
        if manifest.database_member not in manifest.files:
            raise BackupError(
                f"manifest.json does not list the database file {manifest.database_member}"
            )
        if set(manifest.counts) - set(manifest.tables):
            raise BackupError("manifest.json counts rows of models whose table it does not name")
        return manifest


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    sha256: str
    checksum_path: Path
    manifest: Manifest
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        return self.manifest.counts


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    engine: str
    target: str  # the SQLite file or the PostgreSQL database restored into
    counts: dict[str, int]
    replaced_patients: int  # patients in the target before the restore
    manifest: Manifest
    seconds: float
    migrations_pending: list[str] = field(default_factory=list)  # "app.name", to run migrate


# ------------------------------------------------------------------------------- helpers


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashing(source: IO[bytes], target: IO[bytes] | None) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a directory be fsynced
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_private(path: Path, data: bytes) -> None:
    """Write a new file readable by its owner only, durably, under a temporary name first."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    value, unit = float(size), "bytes"
    for unit in ("kB", "MB", "GB", "TB"):  # noqa: B007 - the last unit is the one used
        value /= 1000
        if value < 1000:
            break
    return f"{value:.1f} {unit}"


def counted_models() -> list[Any]:
    """The models whose rows a backup counts: every model of the clinic app (so a model added
    later is counted without touching this file) and the user accounts."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    models = list(apps.get_app_config("clinic").get_models())
    user = get_user_model()
    if user not in models:
        models.append(user)
    return models


def _latest_migrations(connection: Any) -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if app not in latest or name > latest[app]:
            latest[app] = name
    return dict(sorted(latest.items()))


def _count(cursor: Any, tables: Mapping[str, str], existing: set[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label, table in tables.items():
        if table in existing:
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
            counts[label] = int(cursor.fetchone()[0])
    return counts


def _engine_of(connection: Any) -> str:
    if connection.vendor not in MEMBERS:
        raise BackupError(
            f"backups support SQLite and PostgreSQL, not {connection.vendor} "
            "(use that database's own tools)"
        )
    return str(connection.vendor)


# ------------------------------------------------------------------------------- backup


def snapshot_sqlite(source: sqlite3.Connection, target: Path) -> None:
    """Copy the database behind ``source`` into the new file ``target`` with SQLite's online
    backup API, in one step: a consistent snapshot that does not stop writers (WAL). The copy is
    switched to a rollback journal so that it is one self-contained file, then checked."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)  # pages=-1: everything in one step, under one read transaction
        dest.execute("PRAGMA journal_mode=DELETE")
        problems = [row[0] for row in dest.execute("PRAGMA integrity_check")]
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not copy the database: {error}") from None
    finally:
        dest.close()
    if problems != ["ok"]:
        raise BackupError(
            "the snapshot failed SQLite's integrity check (the database itself may be damaged): "
            + "; ".join(problems[:5])
        )


def _sqlite_counts(path: Path, tables: Mapping[str, str]) -> dict[str, int]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        existing = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        return _count(db.cursor(), tables, existing)
    finally:
        db.close()


def _pg_params(settings_dict: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore, and the environment carrying the password
    (never the command line, where any user of the machine could read it in ps)."""
    args: list[str] = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
    ):
        if options.get(option):
            env[variable] = str(options[option])
    return args, env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed or not on PATH: install the PostgreSQL client programs "
            "of the server's version (Debian: apt-get install postgresql-client)"
        )
    return path


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as error:
        raise BackupError(f"{what} could not be started: {error}") from None
    if done.returncode != 0:
        stderr = "\n".join(done.stderr.strip().splitlines()[-20:]) or "(no message)"
        raise BackupError(f"{what} failed (exit status {done.returncode}):\n{stderr}")
    return done


def _dump_postgres(connection: Any, target: Path, tables: Mapping[str, str]) -> dict[str, int]:
    """pg_dump in the custom format, from a snapshot exported by a repeatable-read transaction
    in which the rows are also counted: the counts describe exactly what was dumped even while
    the clinic keeps writing."""
    pg_dump = _pg_tool("pg_dump")
    settings_dict = connection.settings_dict
    args, env = _pg_params(settings_dict)
    with connection.wrap_database_errors:  # psycopg's errors as Django's
        raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        with connection.wrap_database_errors, raw.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.execute(
                "SELECT c.relname FROM pg_class c "
                "WHERE c.relkind IN ('r', 'p') AND pg_table_is_visible(c.oid)"
            )
            existing = {row[0] for row in cursor.fetchall()}
            counts = _count(cursor, tables, existing)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    *args,
                    "--dbname",
                    str(settings_dict["NAME"]),
                ],
                env,
                "pg_dump",
            )
            cursor.execute("COMMIT")
    finally:
        raw.close()
    os.chmod(target, 0o600)
    return counts


def _unique_name(output_dir: Path, created: dt.datetime) -> Path:
    stem = f"weizhong-backup-{created:%Y%m%dT%H%M%SZ}"
    path, n = output_dir / f"{stem}.tar", 1
    while path.exists() or path.with_name(path.name + ".sha256").exists():
        n += 1
        path = output_dir / f"{stem}-{n}.tar"
    return path


def _tar_member(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def default_output_dir() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR) / "backups"


def make_backup(output_dir: Path | str | None = None) -> BackupResult:
    """Write one backup archive of the default database into ``output_dir`` (default: the data
    directory's ``backups``) and its ``.sha256`` beside it."""
    from django.db import Error

    try:
        return _make_backup(output_dir)
    except Error as error:
        raise BackupError(f"database error: {error}".strip()) from None


def _make_backup(output_dir: Path | str | None) -> BackupResult:
    from django.db import connection

    import weizhong

    started = time.perf_counter()
    engine = _engine_of(connection)
    output = Path(output_dir) if output_dir is not None else default_output_dir()
    try:
        output.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"cannot create the backup folder {output}: {error}") from None
    if not output.is_dir() or not os.access(output, os.W_OK):
        raise BackupError(f"cannot write into {output}")
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    tables = {model._meta.label: model._meta.db_table for model in counted_models()}
    member = MEMBERS[engine]

    try:
        work = Path(tempfile.mkdtemp(prefix=".weizhong-backup-", dir=output))  # same disk, 0700
    except OSError as error:
        raise BackupError(f"cannot write into {output}: {error}") from None
    try:
        database = work / member
        connection.ensure_connection()
        migrations = _latest_migrations(connection)
        if engine == "sqlite":
            snapshot_sqlite(connection.connection, database)
            counts = _sqlite_counts(database, tables)
        else:
            counts = _dump_postgres(connection, database, tables)
        with database.open("rb") as handle:
            digest, size = _copy_hashing(handle, None)
        manifest = Manifest(
            format=FORMAT,
            created=created.isoformat().replace("+00:00", "Z"),
            engine=engine,
            version=weizhong.__version__,
            migrations=migrations,
            counts=counts,
            tables={label: tables[label] for label in counts},
            files={member: {"sha256": digest, "bytes": size}},
        )
        manifest_bytes = json.dumps(manifest.to_json(), indent=2, sort_keys=True).encode() + b"\n"

        final = _unique_name(output, created)
        temporary = work / (final.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw_file:
            with tarfile.open(fileobj=raw_file, mode="w", format=tarfile.PAX_FORMAT) as tar:
                now = created.timestamp()
                info = _tar_member(MANIFEST, len(manifest_bytes), now)
                tar.addfile(info, io.BytesIO(manifest_bytes))
                with database.open("rb") as handle:
                    tar.addfile(_tar_member(member, size, now), handle)
            raw_file.flush()
            os.fsync(raw_file.fileno())
        archive_sha = _sha256_file(temporary)
        archive_size = temporary.stat().st_size
        os.replace(temporary, final)  # same directory tree, same file system: atomic
        _fsync_dir(output)
    except OSError as error:
        raise BackupError(f"could not write the backup in {output}: {error}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    checksum_path = final.with_name(final.name + ".sha256")
    try:
        _write_private(checksum_path, f"{archive_sha}  {final.name}\n".encode())
    except OSError as error:
        raise BackupError(f"backup written to {final}, but not its checksum: {error}") from None
    return BackupResult(
        path=final,
        size=archive_size,
        sha256=archive_sha,
        checksum_path=checksum_path,
        manifest=manifest,
        seconds=time.perf_counter() - started,
    )


# ------------------------------------------------------------------------------- verify


def _open_tar(path: Path) -> tarfile.TarFile:
    if not path.exists():
        raise BackupError(f"no such file: {path}")
    if not path.is_file():
        raise BackupError(f"not a file: {path}")
    try:
        return tarfile.open(path, mode="r:")
    except (tarfile.TarError, EOFError) as error:
        raise BackupError(f"{path.name} is not a tar archive (or is damaged): {error}") from None
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error}") from None


def _check_archive_checksum(path: Path) -> None:
    checksum_path = path.with_name(path.name + ".sha256")
    if not checksum_path.exists():
        return
    try:
        expected = checksum_path.read_text().split()[0].lower()
    except (OSError, IndexError, UnicodeDecodeError):
        raise BackupError(f"{checksum_path.name} is unreadable or empty") from None
    actual = _sha256_file(path)
    if actual != expected:
        raise BackupError(
            f"checksum mismatch: {path.name} does not match {checksum_path.name} "
            f"(expected {expected}, found {actual}); the archive was changed or damaged"
        )


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    seen: set[str] = set()
    for info in tar:
        if not info.isfile() or "/" in info.name or info.name in ("", ".", ".."):
            raise BackupError(
                f"unexpected entry {info.name!r} in the archive: not a weizhong backup"
            )
        if info.name in seen:
            raise BackupError(f"{info.name} appears twice in the archive")
        seen.add(info.name)
        yield info


def _read_manifest(tar: tarfile.TarFile, path: Path) -> Manifest:
    try:
        info = tar.getmember(MANIFEST)
    except KeyError:
        raise BackupError(f"{path.name} has no manifest.json: not a weizhong backup") from None
    if not info.isfile() or info.size > _MAX_MANIFEST:
        raise BackupError("manifest.json in the archive is not a small file")
    handle = tar.extractfile(info)
    assert handle is not None
    try:
        data = json.loads(handle.read())
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"manifest.json is not valid JSON: {error}") from None
    return Manifest.from_json(data)


def _verify(path: Path, extract_dir: Path | None = None) -> Manifest:
    """Check the archive; with ``extract_dir``, also write its files there, hashing what is
    written (so the bytes restored are the bytes checked)."""
    _check_archive_checksum(path)
    tar = _open_tar(path)
    try:
        with tar:
            manifest = _read_manifest(tar, path)
            found: set[str] = set()
            for info in _members(tar):
                if info.name == MANIFEST:
                    continue
                if info.name not in manifest.files:
                    raise BackupError(f"{info.name} is in the archive but not in its manifest")
                found.add(info.name)
                source = tar.extractfile(info)
                assert source is not None
                if extract_dir is None:
                    digest, size = _copy_hashing(source, None)
                else:
                    fd = os.open(
                        extract_dir / info.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
                    )
                    with os.fdopen(fd, "wb") as target:
                        digest, size = _copy_hashing(source, target)
                        target.flush()
                        os.fsync(target.fileno())
                expected = manifest.files[info.name]
                if digest != expected["sha256"] or size != expected["bytes"]:
                    raise BackupError(
                        f"checksum mismatch in {info.name}: the archive was changed or damaged "
                        f"(expected {expected['sha256']}, found {digest})"
                    )
            missing = sorted(set(manifest.files) - found)
            if missing:
                raise BackupError(
                    f"the archive lacks {', '.join(missing)} (listed in its manifest)"
                )
    except (tarfile.TarError, EOFError) as error:
        raise BackupError(f"{path.name} is damaged or truncated: {error}") from None
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error}") from None
    return manifest


def verify_archive(path: Path | str) -> Manifest:
    """Check an archive without touching any database: its ``.sha256`` (when beside it), its
    manifest and the checksum of every file. Raises BackupError naming what is wrong."""
    return _verify(Path(path))


def count_lines(counts: Mapping[str, int]) -> Iterable[str]:
    """``clinic.Patient  1000``-style lines, the clinical tables first."""
    width = max((len(label) for label in counts), default=0)
    for label in sorted(counts, key=lambda item: (not item.startswith("clinic."), item)):
        yield f"  {label:<{width}}  {counts[label]:>9}"
