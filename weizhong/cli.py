"""The ``weizhong`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from weizhong.i18n import _, ngettext
from weizhong.knowledge import KnowledgeError
from weizhong.progress import Progress

if TYPE_CHECKING:
    from weizhong.knowledge.atlas import Point

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70
EXIT_CONFIG = 78  # sysexits EX_CONFIG: the knowledge files are malformed

ASSESS_EXAMPLES = _("""\
examples:
  weizhong assess case.json                 readable report for the clinician
  weizhong assess case.json --format json   the contract object, for programs
  cat case.json | weizhong assess -         read the case from standard input
  weizhong assess --jsonl cases.jsonl > results.jsonl
                                            one case per line in, one result per line out
""")
SCORE_EXAMPLES = _("""\
examples:
  weizhong score nprs 7
  weizhong score odi 3 2 - 1 0 2 3 1 2 1    '-' marks a skipped item
  weizhong score startback 1 0 1 1 0 0 1 0 3
  weizhong score psfs 4 6 5.5
""")


class UsageError(Exception):
    """Bad input from the command line: print the message and exit 2."""


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read().removeprefix("\ufeff")
    try:
        with open(path, encoding="utf-8-sig") as handle:  # a BOM from a Windows export is fine
            return handle.read()
    except OSError as error:
        raise UsageError(
            _("cannot read {path}: {why}").format(path=path, why=error.strerror)
        ) from None
    except UnicodeDecodeError:
        raise UsageError(_("cannot read {path}: it is not UTF-8 text").format(path=path)) from None


def _emit(obj: Any, out: IO[str]) -> None:
    out.write(orjson.dumps(obj).decode() + "\n")


def _problems_json(error: Any) -> dict[str, Any]:
    return {
        "error": "invalid_case",
        "problems": [{"field": p.field, "message": p.message} for p in error.problems],
    }


def cmd_assess(args: argparse.Namespace) -> int:
    from weizhong.case import CaseError, parse_case_text
    from weizhong.reasoning.assessment import assess

    if args.jsonl:
        return _assess_batch(args.jsonl, with_sources=args.with_sources)
    if not args.case:
        raise UsageError(_("give a case file, '-' for standard input, or --jsonl FILE"))
    text = _read_text(args.case)
    try:
        case = parse_case_text(text)
    except CaseError as error:
        if args.format == "json":
            _emit(_problems_json(error), sys.stdout)
        count = len(error.problems)
        lines = [
            "weizhong: "
            + ngettext(
                "the case has {count} problem:", "the case has {count} problems:", count
            ).format(count=count)
        ]
        lines += [f"  - {p}" for p in error.problems]
        print("\n".join(lines), file=sys.stderr)
        return EXIT_BAD_INPUT
    result = assess(case)
    if args.format == "json":
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        from weizhong.report import render_assessment

        sys.stdout.write(render_assessment(result, colour=sys.stdout.isatty()))
    return 0


def _lines(path: str) -> Iterator[str]:
    if path == "-":
        yield from sys.stdin
        return
    try:
        handle = open(path, encoding="utf-8-sig")  # noqa: SIM115 - closed below
    except OSError as error:
        raise UsageError(
            _("cannot read {path}: {why}").format(path=path, why=error.strerror)
        ) from None
    with handle:
        yield from handle


def _progress(path: str) -> Progress:
    """Progress over the lines of a batch file (counted only when a person is watching)."""
    progress = Progress(None, _("cases"))
    if progress.enabled and path != "-":
        with open(path, "rb") as handle:
            progress.total = sum(1 for _line in handle)
    return progress


def _batch(
    path: str,
    answer: Callable[[Any], dict[str, Any]],
    line_errors: tuple[type[Exception], ...] = (),
) -> int:
    """One case per line in, one JSON result per line out; a bad line is reported and skipped.

    `line_errors` are errors about one case (a setting that does not fit it): reported on its
    line like an invalid case.
    """
    from weizhong.case import CaseError, parse_case_text
    from weizhong.knowledge import load_knowledge

    knowledge = load_knowledge()
    out = sys.stdout.buffer  # orjson writes bytes: no decode and re-encode of each result
    progress = _progress(path)
    bad = done = 0
    for number, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        try:
            result = answer(parse_case_text(line, knowledge))
            result["line"] = number
        except CaseError as error:
            result = {"line": number, **_problems_json(error)}
            bad += 1
        except line_errors as error:
            result = {"line": number, "error": "not_possible_for_this_case", "message": str(error)}
            bad += 1
        out.write(orjson.dumps(result, option=orjson.OPT_APPEND_NEWLINE))
        done += 1
        progress.update(done)
    progress.update(done, final=True)
    if bad:
        print(
            "weizhong: "
            + _(
                "{bad} of {done} lines could not be answered; their lines in the output say why"
            ).format(bad=bad, done=done),
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return 0


def _assess_batch(path: str, with_sources: bool = False) -> int:
    from weizhong.knowledge import load_knowledge
    from weizhong.reasoning.assessment import assess

    knowledge = load_knowledge()

    def answer(case: Any) -> dict[str, Any]:
        # Without --with-sources the sources are not gathered at all: they are cited from one
        # knowledge version, and `weizhong knowledge sources` prints them all.
        return assess(case, knowledge, with_sources=with_sources)

    return _batch(path, answer)


def cmd_plan(args: argparse.Namespace) -> int:
    from weizhong.case import CaseError, parse_case_text
    from weizhong.planning.plan import PlanEdits, PlanSettingError, make_plan
    from weizhong.planning.safety import OverrideError, parse_overrides

    try:
        overrides = parse_overrides(args.override or [])
    except OverrideError as error:
        raise UsageError(str(error)) from None
    edits = PlanEdits(
        tuple(args.add_point),
        tuple(args.remove_point),
        tuple(args.add_exercise),
        tuple(args.remove_exercise),
    )
    settings: dict[str, Any] = {
        "overrides": overrides,
        "max_points": args.max_points,
        "max_exercises": args.max_exercises,
        "guideline": args.guideline,
        "edits": edits,
    }
    if args.jsonl:
        return _batch(args.jsonl, lambda case: make_plan(case, **settings), (PlanSettingError,))
    if not args.case:
        raise UsageError(_("give a case file, '-' for standard input, or --jsonl FILE"))
    try:
        case = parse_case_text(_read_text(args.case))
    except CaseError as error:
        if args.format == "json":
            _emit(_problems_json(error), sys.stdout)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        plan = make_plan(case, **settings)
    except PlanSettingError as error:
        raise UsageError(str(error)) from None
    if args.format == "json":
        json.dump(plan, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        from weizhong.plan_report import render_plan

        sys.stdout.write(render_plan(plan))
    return 0


def cmd_handout(args: argparse.Namespace) -> int:
    from weizhong.case import CaseError, parse_case_text
    from weizhong.handouts.handout import handout_html, write_handout_pdf
    from weizhong.planning.plan import make_plan

    try:
        case = parse_case_text(_read_text(args.case))
    except CaseError as error:
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.output.lower().endswith((".pdf", ".html")):
        raise UsageError(
            _("-o must name a .pdf (or .html) file, not {path}").format(path=args.output)
        )
    plan = make_plan(case, max_exercises=args.max_exercises)
    html = handout_html(plan, {"exercises": plan["exercises"]}, args.clinic)
    try:
        if args.output.lower().endswith(".html"):
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(html)
            print(_("wrote {path}").format(path=args.output))
            return 0
        pages = write_handout_pdf(html, args.output)
    except OSError as error:
        raise UsageError(
            _("cannot write {path}: {why}").format(path=args.output, why=error.strerror)
        ) from None
    print(
        ngettext("wrote {path} ({pages} page)", "wrote {path} ({pages} pages)", pages).format(
            path=args.output, pages=pages
        )
    )
    return 0


def cmd_exercises(args: argparse.Namespace) -> int:
    from weizhong.planning.home_programme import dose_text, load_exercises

    library = load_exercises()
    if args.gallery:
        from weizhong.figures.gallery import gallery_html

        page = gallery_html((e.id, e.name, e.pose) for e in library.values())
        try:
            with open(args.gallery, "w", encoding="utf-8") as handle:
                handle.write(page)
        except OSError as error:
            raise UsageError(
                _("cannot write {path}: {why}").format(path=args.gallery, why=error.strerror)
            ) from None
        print(_("wrote {path} ({count} figures)").format(path=args.gallery, count=len(library)))
        return 0
    if args.format == "json":
        json.dump(
            [
                {
                    "id": e.id,
                    "name": e.name,
                    "category": e.category,
                    "serves": e.serves,
                    "dose": e.dose,
                    "avoid": [a.__dict__ for a in e.avoid],
                }
                for e in library.values()
            ],
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    for e in library.values():
        print(f"{e.id:<36} {e.category:<16} {dose_text(e.dose)}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from weizhong.reasoning.instruments import InstrumentError, score_instrument

    answers: list[int | float | None] = []
    for position, raw in enumerate(args.answers, 1):
        if raw == "-":
            answers.append(None)
            continue
        try:
            number = float(raw)
        except ValueError:
            raise UsageError(
                _(
                    "{instrument} item {position}: '{raw}' is not a number; give a number, or "
                    "'-' for a skipped item"
                ).format(instrument=args.instrument, position=position, raw=raw)
            ) from None
        answers.append(int(number) if number.is_integer() else number)
    try:
        result = score_instrument(args.instrument, answers)
    except InstrumentError as error:
        raise UsageError(str(error)) from None
    json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def cmd_knowledge_sources(args: argparse.Namespace) -> int:
    from weizhong.knowledge import load_knowledge

    knowledge = load_knowledge()
    json.dump(
        {"knowledge_version": knowledge.version, "sources": knowledge.sources},
        sys.stdout,
        ensure_ascii=False,
        indent=2,
    )
    sys.stdout.write("\n")
    return 0


def cmd_knowledge_check(args: argparse.Namespace) -> int:
    from weizhong.knowledge import load_knowledge
    from weizhong.reasoning.instruments import InstrumentDataError, instrument_ids

    knowledge = load_knowledge()  # a KnowledgeError is reported by main()
    try:
        instruments = instrument_ids()
    except InstrumentDataError as error:
        raise KnowledgeError("instruments.toml", "file", str(error)) from None
    from weizhong.knowledge.atlas import load_atlas, load_relations

    atlas = load_atlas()
    load_relations()
    atlas_counts = atlas.counts()
    counts = {
        **knowledge.counts(),
        "instruments": len(instruments),
        "atlas_channels": len(atlas.channels),
        "atlas_points_who": atlas_counts["total"] - atlas_counts["EX"],
        "atlas_points_extra": atlas_counts["EX"],
    }
    if args.format == "json":
        _emit(
            {
                "ok": True,
                "version": knowledge.version,
                "files": knowledge.file_versions,
                "counts": counts,
            },
            sys.stdout,
        )
        return 0
    print(_("knowledge {version}: all files valid").format(version=knowledge.version))
    for name, version in knowledge.file_versions.items():
        print(f"  {name + '.toml':<18} " + _("version {version}").format(version=version))
    for name, count in counts.items():
        print(f"  {count:>6}  {name.replace('_', ' ')}")
    return 0


def cmd_safety(args: argparse.Namespace) -> int:
    from weizhong.safety_case import safety_case, safety_case_html, safety_case_text

    case = safety_case()
    if args.format == "json":
        text = orjson.dumps(case, option=orjson.OPT_INDENT_2).decode() + "\n"
    elif args.format == "html":
        text = safety_case_html(case)
    else:
        text = safety_case_text(case) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(_("wrote {path}").format(path=args.output), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


PLAN_EXAMPLES = _("""\
examples:
  weizhong plan case.json                   readable plan for the clinician
  weizhong plan case.json --format json     the contract object
  weizhong plan case.json --override pregnancy_forbidden_point="discussed, consent recorded"
  weizhong plan case.json --guideline NICE_NG59 --max-points 8
""")
POINTS_EXAMPLES = _("""\
examples:
  weizhong points BL40                      one point in full
  weizhong points weizhong                  pinyin, with or without tone marks
  weizhong points "middle of the crook"     English name
  weizhong points 委中                      characters
  weizhong points --channel BL --region posterior_thigh
  weizhong points --category xi_cleft --format json
""")


def cmd_points(args: argparse.Namespace) -> int:
    from weizhong.knowledge.atlas import CATEGORIES, REGIONS, load_atlas

    atlas = load_atlas()
    if args.channel and args.channel.upper() not in (*atlas.channels, "EX"):
        raise UsageError(
            _("unknown channel '{channel}'; use one of: {allowed}").format(
                channel=args.channel, allowed=", ".join((*atlas.channels, "EX"))
            )
        )
    if args.region and args.region not in REGIONS:
        raise UsageError(
            _("unknown region '{region}'; use one of: {allowed}").format(
                region=args.region, allowed=", ".join(sorted(REGIONS))
            )
        )
    if args.category and args.category not in CATEGORIES:
        raise UsageError(
            _("unknown category '{category}'; use one of: {allowed}").format(
                category=args.category, allowed=", ".join(sorted(CATEGORIES))
            )
        )
    found = atlas.search(" ".join(args.query), args.channel, args.region, args.category)
    if args.format == "json":
        json.dump([p.to_dict() for p in found], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0 if found else 1
    if not found:
        print(_("no point matches"), file=sys.stderr)
        return 1
    if len(found) == 1:
        sys.stdout.write(_render_point(found[0]))
        return 0
    for point in found:
        print(
            f"{point.code:<9} {point.pinyin:<16} {point.hanzi_traditional:<6} "
            f"{point.english:<32} {', '.join(point.regions)}"
        )
    print(ngettext("{count} point", "{count} points", len(found)).format(count=len(found)))
    return 0


def _render_point(point: Point) -> str:
    chars = point.hanzi_traditional
    if point.hanzi_simplified != point.hanzi_traditional:
        chars += f" / {point.hanzi_simplified}"
    page = (
        _("WHO 2008 p. {page}").format(page=point.who_page)
        if point.who_page
        else _("WHO 2008 page not recorded")
    )
    depth = _("{low:g}–{high:g} cun, {angle}").format(
        low=point.depth_cun[0], high=point.depth_cun[1], angle=point.angle
    )
    lines = [
        f"{point.code}  {point.pinyin}  {chars}  {point.english}",
        _("channel: {channel}    regions: {regions}").format(
            channel=point.channel, regions=", ".join(point.regions)
        ),
        _("location ({page}): {text}").format(page=page, text=point.location),
        _("needling: {depth}").format(depth=depth),
        _("beneath: {text}").format(text=point.structures),
    ]
    if point.categories:
        lines.append(_("categories: {names}").format(names=", ".join(point.categories)))
    for caution in point.cautions:
        lines.append(_("caution ({kind}): {text}").format(kind=caution.kind, text=caution.text))
    if point.pregnancy:
        lines.append(_("pregnancy: {status}").format(status=point.pregnancy))
    if point.organ_below:
        lines.append(
            _("over the {organ}: no deeper than {limit:g} cun").format(
                organ=point.organ_below, limit=point.depth_limit_cun
            )
        )
    if point.note:
        lines.append(_("note: {text}").format(text=point.note))
    return "\n".join(lines) + "\n"


def _show_help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """A command that only prints its parser's help: for a group given no action."""

    def show(args: argparse.Namespace) -> int:
        parser.print_help()
        return EXIT_BAD_INPUT

    return show


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

    from weizhong.clinic.ops.demo import DEMO_PASSWORDS, ensure_demo_clinic

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(_("data directory: {path}").format(path=settings.DATA_DIR))
    print(_("database: {engine}").format(engine=engine))
    print(_("migrating…"), flush=True)
    _migrate()
    if not args.no_demo and ensure_demo_clinic():
        print(_("demo clinic created (a dozen patients with histories)"))
    url = f"http://{args.host}:{args.port}/"
    print()
    print(_("weizhong is running at {url}").format(url=url))
    if not args.no_demo:
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


def _web_commands(sub: Any) -> None:
    serve = sub.add_parser(
        "serve",
        help=_("run the clinic web application (migrates and seeds the demo clinic first)"),
        description=_(
            "Migrate the database, create the demo clinic once, and serve the clinic web "
            "application with gunicorn. Data lives in WEIZHONG_DATA_DIR (SQLite) or in "
            "DATABASE_URL (PostgreSQL)."
        ),
        epilog=_("examples:")
        + "\n  weizhong serve\n  weizhong serve --port 9000 --no-demo"
        + "\n  DATABASE_URL=postgres://weizhong@localhost/weizhong weizhong serve",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on"))
    serve.add_argument("--port", type=int, default=8000, help=_("port (default 8000)"))
    serve.add_argument("--workers", type=int, default=2, help=_("gunicorn workers (default 2)"))
    serve.add_argument("--no-demo", action="store_true", help=_("do not create the demo clinic"))
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
        help=_("e-mail today's home programme to patients who asked for a reminder"),
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

    manage = sub.add_parser(
        "manage",
        help=_("Django's manage.py (createsuperuser, migrate, shell, …)"),
        epilog=_("example:") + "\n  weizhong manage migrate",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="weizhong",
        description=_(
            "Clinical reasoning for back, hamstring and hip-flexor pain: red flags, an "
            "explained differential, next tests and outcome scores."
        ),
        epilog=_("Run 'weizhong COMMAND --help' for examples."),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    assess = sub.add_parser(
        "assess",
        help=_("assess a case (format weizhong.case/1)"),
        description=_(
            "Assess one case: red flags first, then the ranked differential with its reasons, "
            "and the next tests worth doing."
        ),
        epilog=ASSESS_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    assess.add_argument("case", nargs="?", help=_("case file, or '-' for standard input"))
    assess.add_argument("--format", choices=("text", "json"), default="text")
    assess.add_argument(
        "--jsonl",
        metavar="FILE",
        help=_("batch mode: one case per line ('-' for stdin), one JSON result per line"),
    )
    assess.add_argument(
        "--with-sources",
        action="store_true",
        help=_(
            "in batch mode, repeat the sources on every line (they are the same for a knowledge "
            "version; 'weizhong knowledge sources' prints them once)"
        ),
    )
    assess.set_defaults(func=cmd_assess)
    score = sub.add_parser(
        "score",
        help=_("score an outcome questionnaire"),
        description=_("Score an outcome instrument by its published rules and print JSON."),
        epilog=SCORE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument("instrument", help=_("odi, rmdq, startback, nprs, psfs, fabq or lefs"))
    score.add_argument(
        "answers", nargs="*", help=_("item answers in order; '-' marks a skipped item")
    )
    score.set_defaults(func=cmd_score)
    plan = sub.add_parser(
        "plan",
        help=_("propose a treatment plan for a case"),
        description=_(
            "Assess the case and propose a treatment plan: acupuncture points with their roles "
            "and reasons, electro-acupuncture, office care, herbs and the guideline stance. "
            "Safety rules change the plan and say why; override one with a written reason."
        ),
        epilog=PLAN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plan.add_argument("case", nargs="?", help=_("case file, or '-' for standard input"))
    plan.add_argument(
        "--jsonl",
        metavar="FILE",
        help=_("batch mode: one case per line ('-' for stdin), one plan per line"),
    )
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.add_argument(
        "--override",
        action="append",
        metavar="RULE=REASON",
        help=_("override a safety rule, with the reason recorded in the plan"),
    )
    plan.add_argument("--max-points", type=int, help=_("most point entries (default 10)"))
    plan.add_argument(
        "--max-exercises",
        type=int,
        default=4,
        help=_("most exercises in the home programme (default 4)"),
    )
    plan.add_argument(
        "--add-point",
        action="append",
        default=[],
        metavar="CODE[:SIDE]",
        help=_("add a point (checked by the safety rules like any other)"),
    )
    plan.add_argument(
        "--remove-point",
        action="append",
        default=[],
        metavar="CODE",
        help=_("remove a proposed point"),
    )
    plan.add_argument(
        "--add-exercise",
        action="append",
        default=[],
        metavar="ID",
        help=_("add an exercise to the home programme"),
    )
    plan.add_argument(
        "--remove-exercise",
        action="append",
        default=[],
        metavar="ID",
        help=_("remove an exercise from the home programme"),
    )
    plan.add_argument(
        "--guideline",
        default="ACP2017",
        choices=("ACP2017", "NICE_NG59"),
        help=_("the guideline the clinic follows (its stance is shown)"),
    )
    plan.set_defaults(func=cmd_plan)
    handout = sub.add_parser(
        "handout",
        help=_("write the patient's home-programme handout as a PDF"),
        description=_(
            "Plan the case and write the patient's handout: the exercises with figures and "
            "dose, a week's tick-box schedule, what to feel and when to stop, and the symptoms "
            "that need urgent care."
        ),
        epilog=_("examples:")
        + "\n  weizhong handout case.json -o handout.pdf"
        + '\n  weizhong handout case.json -o handout.pdf --clinic "Riverside Acupuncture"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    handout.add_argument("case", help=_("case file, or '-' for standard input"))
    handout.add_argument("-o", "--output", required=True, help=_("the PDF (or .html) to write"))
    handout.add_argument(
        "--clinic",
        default=os.environ.get("WEIZHONG_CLINIC_NAME", "weizhong"),
        help=_("the clinic's name on the handout (or $WEIZHONG_CLINIC_NAME)"),
    )
    handout.add_argument("--max-exercises", type=int, default=4)
    handout.set_defaults(func=cmd_handout)
    exercises = sub.add_parser(
        "exercises",
        help=_("list the home-exercise library, or write a gallery of its figures"),
        description=_(
            "List the exercise library with doses, or write an HTML gallery of "
            "every figure for review."
        ),
        epilog=_("examples:") + "\n  weizhong exercises\n  weizhong exercises --gallery "
        "figures.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    exercises.add_argument("--format", choices=("text", "json"), default="text")
    exercises.add_argument(
        "--gallery", metavar="FILE.html", help=_("write every figure to one page")
    )
    exercises.set_defaults(func=cmd_exercises)
    points = sub.add_parser(
        "points",
        help=_("list and search the acupuncture point atlas"),
        description=_(
            "List and search the point atlas by code, pinyin (with or without tone marks), "
            "English name or characters, and filter by channel, body region or category."
        ),
        epilog=POINTS_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    points.add_argument("query", nargs="*", help=_("code, pinyin, English name or characters"))
    points.add_argument("--channel", help=_("channel code such as BL, or EX for extra points"))
    points.add_argument("--region", help=_("body-chart region such as posterior_thigh"))
    points.add_argument("--category", help=_("classical category such as he_sea or xi_cleft"))
    points.add_argument("--format", choices=("text", "json"), default="text")
    points.set_defaults(func=cmd_points)
    knowledge = sub.add_parser(
        "knowledge",
        help=_("check the knowledge files"),
        description=_("Work with the cited knowledge files."),
    )
    knowledge.set_defaults(func=_show_help(knowledge))
    ksub = knowledge.add_subparsers(dest="knowledge_command", metavar="ACTION")
    check = ksub.add_parser(
        "check",
        help=_("validate every knowledge file and print counts"),
        description=_("Validate every knowledge file and print counts."),
        epilog=_("example:") + "\n  weizhong knowledge check --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(func=cmd_knowledge_check)
    sources = ksub.add_parser(
        "sources",
        help=_("print the source of every likelihood ratio and prior, as JSON"),
        description=_(
            "Print, as JSON, the source (or expert-estimate rationale) of every likelihood "
            "ratio by evidence id and of every prior as 'prior:<condition>'. Batch results "
            "leave these out unless asked (--with-sources)."
        ),
        epilog=_("example:") + "\n  weizhong knowledge sources > sources.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sources.set_defaults(func=cmd_knowledge_sources)
    safety = sub.add_parser(
        "safety",
        help=_("print the clinical safety case (hazard log, controls, tests)"),
        description=_(
            "Print the clinical safety case: every hazard the software could contribute to, its "
            "cause, harm and risk before and after the controls, each control (a rule in the "
            "knowledge files, with its source) and the tests that prove it."
        ),
        epilog=_("examples:")
        + "\n  weizhong safety\n  weizhong safety --format html -o safety-case.html"
        + "\n  weizhong safety --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    safety.add_argument("--format", choices=("text", "html", "json"), default="text")
    safety.add_argument("-o", "--output", help=_("write to this file instead of standard output"))
    safety.set_defaults(func=cmd_safety)
    _web_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        code: int = args.func(args)
        return code
    except UsageError as error:
        print(f"weizhong: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KnowledgeError as error:  # a data file was edited badly: say which, not a traceback
        print(
            "weizhong: " + _("knowledge is malformed: {error}").format(error=error), file=sys.stderr
        )
        return EXIT_CONFIG
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug, not bad input: say so plainly
        if os.environ.get("WEIZHONG_DEBUG"):
            raise
        print(
            "weizhong: "
            + _(
                "internal error ({kind}: {error}). This is a bug; rerun with WEIZHONG_DEBUG=1 "
                "for details and please report it."
            ).format(kind=type(error).__name__, error=error),
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
