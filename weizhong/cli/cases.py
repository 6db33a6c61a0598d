"""The commands about one case or a batch of cases: assess, plan, handout."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from weizhong.cli.common import (
    EXIT_BAD_INPUT,
    UsageError,
    emit,
    problems_json,
    read_text,
)
from weizhong.i18n import _, ngettext
from weizhong.progress import Progress

__all__ = ["add_assess", "add_handout", "add_plan", "cmd_assess", "cmd_handout", "cmd_plan"]

ASSESS_EXAMPLES = _("""\
examples:
  weizhong assess case.json                 readable report for the clinician
  weizhong assess case.json --format json   the contract object, for programs
  cat case.json | weizhong assess -         read the case from standard input
  weizhong assess --jsonl cases.jsonl > results.jsonl
                                            one case per line in, one result per line out
""")

PLAN_EXAMPLES = _("""\
examples:
  weizhong plan case.json                   readable plan for the clinician
  weizhong plan case.json --format json     the contract object
  weizhong plan case.json --override pregnancy_forbidden_point="discussed, consent recorded"
  weizhong plan case.json --guideline NICE_NG59 --max-points 8
""")


def cmd_assess(args: argparse.Namespace) -> int:
    from weizhong.case import CaseError, parse_case_text
    from weizhong.reasoning.assessment import assess

    if args.jsonl:
        return _assess_batch(args.jsonl, with_sources=args.with_sources)
    if not args.case:
        raise UsageError(_("give a case file, '-' for standard input, or --jsonl FILE"))
    text = read_text(args.case)
    try:
        case = parse_case_text(text)
    except CaseError as error:
        if args.format == "json":
            emit(problems_json(error), sys.stdout)
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
            result = {"line": number, **problems_json(error)}
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
        case = parse_case_text(read_text(args.case))
    except CaseError as error:
        if args.format == "json":
            emit(problems_json(error), sys.stdout)
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
        case = parse_case_text(read_text(args.case))
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


def add_assess(sub: Any) -> None:
    """weizhong assess"""
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


def add_plan(sub: Any) -> None:
    """weizhong plan"""
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


def add_handout(sub: Any) -> None:
    """weizhong handout"""
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
