"""How numbers are written for people, in one place.

The command line, the reports, the plan's messages, the FHIR notes and (through its template
filters) the clinic's pages all call these, so a probability reads the same everywhere:

    >>> percent(0.003), percent(0.4149), percent(0.9999), percent(1.0)
    ('<1%', '41%', '>99%', '100%')
    >>> number(36.0), number(2.5), number(0.25), number(1_250_000.0)
    ('36', '2.5', '0.25', '1250000')
    >>> number_range(0.5, 1.0), number_range(1.0, 1.0)
    ('0.5–1', '1')
    >>> money(8550), money(125_000), money(5), money(0)
    ('$85.50', '$1,250.00', '$0.05', '$0.00')
"""

from __future__ import annotations

__all__ = ["money", "money_plain", "number", "number_range", "percent"]


def percent(p: float) -> str:
    """A probability (0 to 1) as a clinician reads it: whole percent, never a false 0% or 100%.

    A chance under half a percent is "<1%" (rounding it to "0%" would say it is ruled out); one
    just under certainty is ">99%".
    """
    if 0.0 < p < 0.005:
        return "<1%"
    if 0.995 < p < 1.0:
        return ">99%"
    return f"{p:.0%}"


def number(value: float) -> str:
    """A measured or counted number as people write it: no trailing '.0' (36, not 36.0), no
    exponent for a whole number, at most six significant digits otherwise."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}"


def number_range(low: float, high: float) -> str:
    """A range as people write it, with an en dash ("0.5–1"); a range whose ends are equal is
    one number ("1", never "1.0-1.0")."""
    if number(low) == number(high):
        return number(low)
    return f"{number(low)}–{number(high)}"


def money(cents: int) -> str:
    """An amount of money, kept as whole cents, as a bill shows it: US dollars with a thousands
    separator and always two decimals ("$1,250.00"). Integer arithmetic only: no float ever
    touches money."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"money is whole cents (int), got {cents!r}")
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def money_plain(cents: int) -> str:
    """Whole cents as a plain decimal for spreadsheets and forms ("1250.00"): no symbol, no
    separator, two decimals."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"money is whole cents (int), got {cents!r}")
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}{dollars}.{rest:02d}"
