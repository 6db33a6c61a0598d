"""The ``weizhong`` command line: its parser, and ``main`` with the exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from weizhong.cli.cases import add_assess, add_handout, add_plan
from weizhong.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CONFIG,
    EXIT_INTERNAL,
    UsageError,
    report_knowledge_error,
)
from weizhong.cli.library import add_exercises, add_knowledge, add_points, add_safety, add_score
from weizhong.cli.web import add_web_commands
from weizhong.errors import KnowledgeError
from weizhong.i18n import _

__all__ = ["build_parser", "main"]


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
    # In this order in the help: the core commands, then the clinic's.
    add_assess(sub)
    add_score(sub)
    add_plan(sub)
    add_handout(sub)
    add_exercises(sub)
    add_points(sub)
    add_knowledge(sub)
    add_safety(sub)
    add_web_commands(sub)
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
        report_knowledge_error(error)
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
