"""The commands that read the knowledge itself: score, exercises, points, knowledge, safety."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from weizhong.cli.common import EXIT_CONFIG, UsageError, emit, report_knowledge_error, show_help
from weizhong.i18n import _, ngettext
from weizhong.numbers import number

if TYPE_CHECKING:
    from weizhong.knowledge.atlas import Point

__all__ = [
    "add_exercises",
    "add_knowledge",
    "add_points",
    "add_safety",
    "add_score",
    "cmd_exercises",
    "cmd_knowledge_check",
    "cmd_knowledge_sources",
    "cmd_points",
    "cmd_safety",
    "cmd_score",
]

SCORE_EXAMPLES = _("""\
examples:
  weizhong score nprs 7
  weizhong score odi 3 2 - 1 0 2 3 1 2 1    '-' marks a skipped item
  weizhong score startback 1 0 1 1 0 0 1 0 3
  weizhong score psfs 4 6 5.5
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
    from weizhong.knowledge.atlas import load_atlas
    from weizhong.knowledge.instruments import instrument_ids
    from weizhong.knowledge.registry import FILES, check_all

    problems = check_all()  # every registered file, each by its own loader
    if problems:
        if args.format == "json":
            emit(
                {
                    "ok": False,
                    "problems": [
                        {"file": p.file, "entry": p.entry, "problem": p.problem} for p in problems
                    ],
                },
                sys.stdout,
            )
        for problem in problems:
            report_knowledge_error(problem)
        return EXIT_CONFIG
    knowledge = load_knowledge()
    instruments = instrument_ids()
    atlas = load_atlas()
    atlas_counts = atlas.counts()
    counts = {
        **knowledge.counts(),
        "instruments": len(instruments),
        "atlas_channels": len(atlas.channels),
        "atlas_points_who": atlas_counts["total"] - atlas_counts["EX"],
        "atlas_points_extra": atlas_counts["EX"],
    }
    if args.format == "json":
        emit(
            {
                "ok": True,
                "version": knowledge.version,
                "files": knowledge.file_versions,
                "checked": [entry.name for entry in FILES],
                "counts": counts,
            },
            sys.stdout,
        )
        return 0
    print(_("knowledge {version}: all files valid").format(version=knowledge.version))
    for name, version in knowledge.file_versions.items():
        print(f"  {name + '.toml':<18} " + _("version {version}").format(version=version))
    versioned = {f"{name}.toml" for name in knowledge.file_versions}
    others = [entry.name for entry in FILES if entry.name not in versioned]
    print("  " + _("also checked: {names}").format(names=", ".join(others)))
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
    depth = _("{low}–{high} cun, {angle}").format(
        low=number(point.depth_cun[0]), high=number(point.depth_cun[1]), angle=point.angle
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
    if point.organ_below and point.depth_limit_cun is not None:
        lines.append(
            _("over the {organ}: no deeper than {limit} cun").format(
                organ=point.organ_below, limit=number(point.depth_limit_cun)
            )
        )
    if point.note:
        lines.append(_("note: {text}").format(text=point.note))
    return "\n".join(lines) + "\n"


def add_score(sub: Any) -> None:
    """weizhong score"""
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


def add_exercises(sub: Any) -> None:
    """weizhong exercises"""
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


def add_points(sub: Any) -> None:
    """weizhong points"""
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


def add_knowledge(sub: Any) -> None:
    """weizhong knowledge check | sources"""
    knowledge = sub.add_parser(
        "knowledge",
        help=_("check the knowledge files"),
        description=_("Work with the cited knowledge files."),
    )
    knowledge.set_defaults(func=show_help(knowledge))
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


def add_safety(sub: Any) -> None:
    """weizhong safety"""
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
