"""Typed reads from one TOML table, with errors that name the file, the entry and the problem.

The knowledge loader and the instrument loader both read their files through :class:`Table`;
each passes its own error type, so callers still catch ``KnowledgeError`` or
``InstrumentDataError``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NoReturn, TypeVar, cast

from weizhong.knowledge.records import Citation

__all__ = ["ErrorFactory", "Table", "read_toml"]

ErrorFactory = Callable[[str, str, str], Exception]
"""Builds the exception to raise from (file, where, problem)."""

_Choice = TypeVar("_Choice", bound=str)


class Table:
    """One TOML table and where it lives (``file``, and ``where`` within the file).

    A required getter fails when the key is missing; an ``opt_`` getter returns None (an empty
    tuple for lists, ``default`` for flags) when it is missing, and checks the value when present.
    Numbers keep their TOML type, so a whole number still prints without '.0'.
    """

    def __init__(self, data: object, file: str, where: str, error: ErrorFactory) -> None:
        self.file, self.where, self._error = file, where, error
        if not isinstance(data, dict):
            self.fail(f"expected a table, got {type(data).__name__}")
        self.data = cast("dict[str, object]", data)

    def fail(self, problem: str) -> NoReturn:
        # The message locates the problem; the KeyError or parse error behind it is noise.
        raise self._error(self.file, self.where, problem) from None

    def child(self, data: object, where: str) -> Table:
        """Another table from the same file, raising the same error type."""
        return Table(data, self.file, where, self._error)

    def only(self, allowed: Iterable[str]) -> None:
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            self.fail(f"unknown key(s) {', '.join(unknown)} (typo?)")

    def has(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str) -> object:
        if key not in self.data:
            self.fail(f"missing key '{key}'")
        return self.data[key]

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"'{key}' must be a non-empty string")
        return value

    def opt_text(self, key: str) -> str | None:
        return self.text(key) if key in self.data else None

    def integer(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"'{key}' must be a whole number, got {value!r}")
        return value

    def opt_integer(self, key: str) -> int | None:
        return self.integer(key) if key in self.data else None

    def number(self, key: str) -> float:
        value = self._get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.fail(f"'{key}' must be a number, got {value!r}")
        return value

    def opt_number(self, key: str) -> float | None:
        return self.number(key) if key in self.data else None

    def opt_flag(self, key: str, default: bool) -> bool:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            self.fail(f"'{key}' must be true or false, got {value!r}")
        return value

    def choice(self, key: str, options: tuple[_Choice, ...]) -> _Choice:
        value = self.text(key)
        for option in options:
            if value == option:
                return option
        self.fail(f"'{key}' is {value!r}; expected one of {', '.join(options)}")

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(f"'{key}' must be a list of non-empty strings")
        return tuple(cast("list[str]", value))

    def opt_texts(self, key: str) -> tuple[str, ...]:
        return self.texts(key) if key in self.data else ()

    def integers(self, key: str) -> tuple[int, ...]:
        """A non-empty list of whole numbers."""
        value = self._get(key)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            self.fail(f"'{key}' must be a non-empty list of whole numbers")
        return tuple(cast("list[int]", value))

    def table(self, key: str) -> Table:
        return self.child(self._get(key), f"{self.where}.{key}")

    def opt_table(self, key: str) -> Table | None:
        return self.table(key) if key in self.data else None

    def opt_tables(self, key: str) -> tuple[Table, ...]:
        if key not in self.data:
            return ()
        value = self.data[key]
        if not isinstance(value, list):
            self.fail(f"'{key}' must be an array of tables")
        return tuple(self.child(v, f"{self.where}.{key}[{i}]") for i, v in enumerate(value))

    def numbered(self, key: str, what: str, *, required: bool = True) -> tuple[Table, ...]:
        """The array of tables under `key`, each labelled '<where> <what> #n' for messages;
        with `required`, an empty or missing array is an error."""
        tables = self.opt_tables(key)
        if required and not tables:
            self.fail(f"needs at least one [[{key}]] ({what})")
        for n, table in enumerate(tables, 1):
            table.where = f"{self.where} {what} #{n}"
        return tables

    def citation(self) -> Citation:
        """Where the numbers come from: a 'source', or 'estimate = true' with a 'rationale'."""
        source = self.opt_text("source")
        estimate = self.opt_flag("estimate", False)
        rationale = self.opt_text("rationale")
        if estimate and rationale is None:
            self.fail("'estimate = true' needs a one-line 'rationale'")
        if source is None and not estimate:
            self.fail("needs a 'source', or 'estimate = true' with a one-line 'rationale'")
        return Citation(source=source or "", estimate=estimate, rationale=rationale or "")


def read_toml(path: Path, error: ErrorFactory, file: str | None = None) -> Table:
    """The top-level table of a TOML data file; `error` names the file if it cannot be read."""
    name = file or path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as problem:
        raise error(name, "file", f"cannot be read as TOML: {problem}") from None
    return Table(raw, name, "top level", error)
