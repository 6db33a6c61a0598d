"""The ``weizhong`` command line, one module per group of commands.

common.py   exit codes, usage errors, reading input, writing JSON
cases.py    assess, plan, handout (one case, or a batch of cases)
library.py  score, exercises, points, knowledge check | sources, safety
web.py      serve, seed, send-reminders, fhir, backup, restore, audit, manage
main.py     the parser and ``main``
"""

from weizhong.cli.common import EXIT_BAD_INPUT, EXIT_CONFIG, EXIT_INTERNAL, UsageError
from weizhong.cli.main import build_parser, main

__all__ = ["EXIT_BAD_INPUT", "EXIT_CONFIG", "EXIT_INTERNAL", "UsageError", "build_parser", "main"]
