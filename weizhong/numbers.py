"""How numbers are written for people, in one place.

The command line, the reports, the plan's messages, the FHIR notes and (through its template
filters) the clinic's pages all call these, so a probability reads the same everywhere:

    >>> percent(0.003), percent(0.4149), percent(0.9999), percent(1.0)
    ('<1%', '41%', '>99%', '100%')
    >>> number(36.0), number(2.5), number(0.25), number(1_250_000.0)
    ('36', '2.5', '0.25', '1250000')
    >>> number_range(0.5, 1.0), number_range(1.0, 1.0)
    ('0.5–1', '1')
"""

from __future__ import annotations

__all__ = ["number", "number_range", "percent"]


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
