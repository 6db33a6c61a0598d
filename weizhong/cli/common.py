"""What every command shares: exit codes, usage errors, reading input, writing JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import IO, Any

import orjson

from weizhong.errors import InputError, KnowledgeError
from weizhong.i18n import _

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CONFIG",
    "EXIT_INTERNAL",
    "UsageError",
    "emit",
    "problems_json",
    "read_text",
    "report_knowledge_error",
    "show_help",
]

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70
EXIT_CONFIG = 78  # sysexits EX_CONFIG: the knowledge files are malformed


class UsageError(InputError):
    """Bad input from the command line: print the message and exit 2."""


def read_text(path: str) -> str:
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


def emit(obj: Any, out: IO[str]) -> None:
    out.write(orjson.dumps(obj).decode() + "\n")


def problems_json(error: Any) -> dict[str, Any]:
    return {
        "error": "invalid_case",
        "problems": [{"field": p.field, "message": p.message} for p in error.problems],
    }


def show_help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """A command that only prints its parser's help: for a group given no action."""

    def show(args: argparse.Namespace) -> int:
        parser.print_help()
        return EXIT_BAD_INPUT

    return show


def report_knowledge_error(error: KnowledgeError) -> None:
    """The file, the entry and the problem, then which copy to fix."""
    from weizhong.knowledge.registry import fix_hint

    print("weizhong: " + _("knowledge is malformed: {error}").format(error=error), file=sys.stderr)
    print("  " + fix_hint(error), file=sys.stderr)
