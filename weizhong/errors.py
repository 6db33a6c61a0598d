"""Every error weizhong raises on purpose, under one root (pint's ``errors.py`` habit).

    WeizhongError            anything weizhong raises knowingly; anything else is a bug
    ├── KnowledgeError       a knowledge file is malformed (the command line exits 78)
    │                        the message names the file, the entry and the problem
    └── InputError           something a person or a program gave us cannot be used
                             (a case, answers to a questionnaire, a plan setting, a bundle, …)

The specific errors live beside the code that raises them and subclass one of these
(``CaseError``, ``InstrumentError``, ``InstrumentDataError``, ``FhirCodesError``, …), so a
caller may catch exactly what it can handle, or one of the roots.
"""

from __future__ import annotations

__all__ = ["InputError", "KnowledgeError", "WeizhongError"]


class WeizhongError(Exception):
    """The root: weizhong raised this on purpose, and its message is meant for a person."""


class KnowledgeError(WeizhongError, ValueError):
    """A knowledge file is malformed. The message names the file, the entry and the problem.

    ``entry`` may be empty for a problem with the file as a whole that has no better place.
    """

    def __init__(self, file: str, entry: str, problem: str) -> None:
        self.file, self.entry, self.problem = file, entry, problem
        super().__init__(f"{file}: {entry}: {problem}" if entry else f"{file}: {problem}")


class InputError(WeizhongError, ValueError):
    """Input that cannot be used as given; the message says what is wrong and what is allowed."""
