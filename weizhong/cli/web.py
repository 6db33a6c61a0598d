"""The commands that run or use the clinic web application. They set up Django first; the core
commands never import it."""

from __future__ import annotations

import argparse
import io
import os
import sys
from typing import Any

import orjson

from weizhong.cli.common import EXIT_BAD_INPUT, EXIT_CONFIG, UsageError
from weizhong.i18n import _

__all__ = ["add_web_commands"]


def _django() -> None:
    """Set up Django for the web commands (the core commands never import it)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhong.site.settings")
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def cmd_serve(args: argparse.Namespace) -> int:
    _django()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from weizhong.clinic.ops.demo import DEMO_PASSWORDS, ensure_demo_clinic

    try:  # e.g. behind HTTPS without WEIZHONG_BASE_URL: refuse to start
        call_command("check", fail_level="ERROR", stdout=io.StringIO())
    except SystemCheckError as error:
        print(str(error), file=sys.stderr)
        return EXIT_CONFIG
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(_("data directory: {path}").format(path=settings.DATA_DIR))
    print(_("database: {engine}").format(engine=engine))
    print(_("migrating…"), flush=True)
    demo = args.demo or (os.environ.get("WEIZHONG_DEMO") == "1" and not args.no_demo)
    if demo and os.environ.get("WEIZHONG_HTTPS") == "1":
        raise UsageError(
            _(
                "the demo clinic (with its published passwords) is never made in a production "
                "start: WEIZHONG_HTTPS=1 is set; start without --demo and WEIZHONG_DEMO"
            )
        )
    _migrate()
    if demo and ensure_demo_clinic():
        print(_("demo clinic created (twenty-one patients with histories)"))
    url = f"http://{args.host}:{args.port}/"
    print()
    print(_("weizhong is running at {url}").format(url=url))
    if demo:
        for role, (user, password) in DEMO_PASSWORDS.items():
            print(
                _("  {role:<13} user {user:<8} password {password}").format(
                    role=role.replace("_", " "), user=user, password=password
                )
            )
    print(_("Stop with Ctrl-C."), flush=True)
    command = [
        sys.executable, "-m", "gunicorn", "weizhong.site.wsgi:application",
        "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers),
        "--access-logfile", "-" if args.access_log else "/dev/null", "--log-level", "warning",
        "--timeout", "60",
    ]  # fmt: skip
    os.execvp(command[0], command)
    return 0  # pragma: no cover - execvp does not return


def cmd_seed(args: argparse.Namespace) -> int:
    if args.patients is not None and not 1 <= args.patients <= 1_000_000:
        raise UsageError(_("--patients must be a whole number from 1 to 1000000"))
    _django()
    from django.core.management import call_command

    _migrate()
    if args.patients is None:
        call_command("seed", demo=True)
    else:
        call_command("seed", patients=args.patients, clinic=args.clinic, seed=args.seed)
    return 0


def cmd_send_reminders(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command

    call_command("send_reminders", dry_run=args.dry_run)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["weizhong manage", *args.rest])
    return 0


def cmd_fhir_export(args: argparse.Namespace) -> int:
    _django()
    from weizhong.clinic.models import Patient
    from weizhong.clinic.records import services
    from weizhong.fhir import export_bundle

    patient = Patient.objects.select_related("clinic").filter(pk=args.patient).first()
    if patient is None:
        raise UsageError(_("no patient with id {id}").format(id=args.patient))
    bundle = export_bundle(services.patient_record(patient), base_url=args.base_url)
    data = orjson.dumps(bundle, option=orjson.OPT_INDENT_2)
    if args.output == "-":
        sys.stdout.buffer.write(data + b"\n")
    else:
        with open(args.output, "wb") as handle:
            handle.write(data)
        print(_("wrote {n} resources to {path}").format(n=len(bundle["entry"]), path=args.output))
    return 0


def cmd_fhir_import(args: argparse.Namespace) -> int:
    _django()
    from weizhong.clinic import actions
    from weizhong.clinic.models import Clinic, Staff
    from weizhong.fhir import FhirImportError, import_bundle

    staff = Staff.objects.select_related("user", "clinic").filter(user__username=args.user).first()
    if staff is None:
        raise UsageError(_("no staff user '{user}'").format(user=args.user))
    try:
        with open(args.bundle, "rb") as handle:
            bundle = orjson.loads(handle.read())
    except (OSError, orjson.JSONDecodeError) as error:
        message = _("cannot read {path}: {error}").format(path=args.bundle, error=error)
        raise UsageError(message) from None
    try:
        imported = import_bundle(bundle)
    except FhirImportError as error:
        for issue in error.outcome["issue"]:
            where = ", ".join(issue.get("expression") or [])
            print(f"{where}: {issue['diagnostics']}", file=sys.stderr)
        return EXIT_BAD_INPUT
    clinic: Clinic = staff.clinic
    patient, exam = actions.do_import_patient(clinic=clinic, importer=staff.user, imported=imported)
    print(_("imported patient {id} ({name}){exam}").format(
        id=patient.pk, name=patient.full_name,
        exam=_(", exam {id}").format(id=exam.pk) if exam else ""))  # fmt: skip
    for note in imported.ignored:
        print(_("  ignored: {note}").format(note=note))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command

    _migrate()
    call_command("backup", **({"output": args.output} if args.output else {}))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("restore", args.archive, yes=args.yes)
    except CommandError as error:
        print(f"weizhong: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("audit_verify")
    except CommandError as error:
        print(f"weizhong: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_cds_token(args: argparse.Namespace) -> int:
    """Print a CDS Hooks token signed with an EHR's private key, for trying an integration."""
    import time
    import uuid
    from pathlib import Path

    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        key = serialization.load_pem_private_key(Path(args.key).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        reason = getattr(error, "strerror", None) or "not an unencrypted PEM private key"
        raise UsageError(_("--key {path}: {reason}").format(path=args.key, reason=reason)) from None
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP384R1):
        algorithm = "ES384"
    elif isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        algorithm = "RS384"
    else:
        raise UsageError(_("--key must be an EC P-384 or an RSA (2048 bits or more) private key"))
    if not 1 <= args.lifetime <= 300:
        raise UsageError(_("--lifetime must be from 1 to 300 seconds (five minutes at most)"))
    now = int(time.time())
    claims = {
        "iss": args.iss,
        "sub": args.sub or args.iss,
        "aud": args.aud,
        "iat": now,
        "exp": now + args.lifetime,
        "jti": str(uuid.uuid4()),
    }
    headers = {"typ": "JWT", **({"kid": args.kid} if args.kid else {})}
    print(jwt.encode(claims, key, algorithm=algorithm, headers=headers))
    return 0


def add_web_commands(sub: Any) -> None:
    """The commands that run or use the clinic web application (they set up Django)."""
    serve = sub.add_parser(
        "serve",
        help=_("run the clinic web application (migrates first; the demo clinic when asked)"),
        description=_(
            "Migrate the database and serve the clinic web application with gunicorn. With "
            "--demo (or WEIZHONG_DEMO=1) create the demo clinic once first; never with "
            "WEIZHONG_HTTPS=1 (a production start). Data lives in WEIZHONG_DATA_DIR (SQLite) or "
            "in DATABASE_URL (PostgreSQL)."
        ),
        epilog=_("examples:")
        + "\n  weizhong serve --demo\n  weizhong serve --port 9000"
        + "\n  DATABASE_URL=postgres://weizhong@localhost/weizhong weizhong serve",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on"))
    serve.add_argument("--port", type=int, default=8000, help=_("port (default 8000)"))
    serve.add_argument("--workers", type=int, default=2, help=_("gunicorn workers (default 2)"))
    serve.add_argument(
        "--demo",
        action="store_true",
        help=_("create the demo clinic once (refused with WEIZHONG_HTTPS=1)"),
    )
    # The default since issue 13 (no demo unless asked); accepted so that old scripts still run.
    serve.add_argument("--no-demo", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument("--access-log", action="store_true", help=_("log every request"))
    serve.set_defaults(func=cmd_serve)

    seed = sub.add_parser(
        "seed",
        help=_("create the demo clinic, or a large realistic clinic for load tests"),
        epilog=_("examples:") + "\n  weizhong seed\n  weizhong seed --patients 10000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    seed.add_argument("--patients", type=int, help=_("patients in a new load-test clinic"))
    seed.add_argument("--clinic", default="Load-test clinic", help=_("its name"))
    seed.add_argument("--seed", type=int, default=1, help=_("random seed"))
    seed.set_defaults(func=cmd_seed)

    reminders = sub.add_parser(
        "send-reminders",
        help=_(
            "e-mail today's home programme to patients who asked for a reminder, and "
            "appointment reminders (with a calendar file) for the next 24 hours"
        ),
        epilog=_("example (daily, from cron):") + "\n  0 8 * * * weizhong send-reminders",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reminders.add_argument("--dry-run", action="store_true", help=_("count, send nothing"))
    reminders.set_defaults(func=cmd_send_reminders)

    fhir = sub.add_parser(
        "fhir",
        help=_("export a patient's record as a FHIR R4 Bundle, or import one"),
        epilog=_("examples:")
        + "\n  weizhong fhir export 12 -o patient-12.json"
        + "\n  weizhong fhir import referral.json --user dr.lin",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fsub = fhir.add_subparsers(dest="fhir_command", metavar="ACTION", required=True)
    export = fsub.add_parser("export", help=_("a patient's record as a Bundle (JSON)"))
    export.add_argument("patient", type=int, help=_("the patient's id"))
    export.add_argument("-o", "--output", default="-", help=_("file (default: standard output)"))
    export.add_argument(
        "--base-url", default="https://weizhong.example/fhir", help=_("base of fullUrl values")
    )
    export.set_defaults(func=cmd_fhir_export)
    load = fsub.add_parser("import", help=_("a Bundle becomes a new patient with a case"))
    load.add_argument("bundle", help=_("the Bundle (JSON file)"))
    load.add_argument("--user", required=True, help=_("the clinician importing it"))
    load.set_defaults(func=cmd_fhir_import)

    backup = sub.add_parser(
        "backup",
        help=_("a checked backup of the clinic's database (SQLite or PostgreSQL)"),
        epilog=_("example:") + "\n  weizhong backup --output /mnt/usb/weizhong",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backup.add_argument("--output", help=_("folder (default: the data dir's backups/)"))
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser(
        "restore",
        help=_("restore a backup after checking every checksum (stop the server first)"),
        epilog=_("example:") + "\n  weizhong restore weizhong-backup-20261125T110000Z.tar --yes",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    restore.add_argument("archive", help=_("the backup archive (.tar)"))
    restore.add_argument("--yes", action="store_true", help=_("replace the patients there now"))
    restore.set_defaults(func=cmd_restore)
    audit = sub.add_parser("audit", help=_("the audit trail: verify its hash chain"))
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = asub.add_parser("verify", help=_("check the chain; name the first broken link"))
    verify.set_defaults(func=cmd_audit_verify)

    token = sub.add_parser(
        "cds-token",
        help=_("print a signed CDS Hooks token, to try an EHR integration by hand"),
        description=_(
            "Sign a CDS Hooks 2.0 token (a JWT: iss, sub, aud, iat, exp, a fresh jti) with an "
            "EHR's private key, ES384 for an EC P-384 key, RS384 for an RSA key. The clinic "
            "must trust that EHR (WEIZHONG_CDS_CLIENTS). Each token is accepted once."
        ),
        epilog=_("example:")
        + "\n  weizhong cds-token --key ehr-private.pem --iss https://ehr.example.org \\"
        + "\n      --aud https://clinic.example.org/cds-services/weizhong-back-pain",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    token.add_argument("--key", required=True, help=_("the EHR's private key (PEM file)"))
    token.add_argument("--iss", required=True, help=_("the issuer, as in the clients file"))
    token.add_argument("--aud", required=True, help=_("the CDS service endpoint's URL"))
    token.add_argument("--sub", help=_("the client's id (default: the issuer)"))
    token.add_argument("--kid", help=_("the key's id in the EHR's JWK Set"))
    token.add_argument(
        "--lifetime", type=int, default=60, help=_("seconds until it expires (default 60)")
    )
    token.set_defaults(func=cmd_cds_token)

    manage = sub.add_parser(
        "manage",
        help=_("Django's manage.py (createsuperuser, migrate, shell, …)"),
        epilog=_("example:") + "\n  weizhong manage migrate",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
