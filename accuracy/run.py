"""`make accuracy`: run the benchmark, print the figures for each half, and write the results into
docs/accuracy.md (between its results markers) with the reliability plots.

Per-case results are printed for the development half only: the test half is reported as
figures, so that nobody tunes the knowledge to its cases (docs/accuracy.md, the protocol).
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accuracy.benchmark import (  # noqa: E402  (the path is set just above)
    Outcome,
    figures,
    load_cases,
    read_lock,
    reliability_svg,
    run_case,
    shape_problems,
    write_lock,
)

DOC = ROOT / "docs" / "accuracy.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _pct(share: dict[str, Any]) -> str:
    if not share["total"]:
        return "no cases"
    low, high = share["ci95"]
    return (
        f"{share['rate'] * 100:.0f}% ({share['hits']}/{share['total']}; 95% CI "
        f"{low * 100:.0f}–{high * 100:.0f}%)"
    )


def results(by_half: dict[str, dict[str, Any]]) -> str:
    rows = [
        ("Top-1 (leading condition right)", "top1", "≥ 80%"),
        ("Top-3", "top3", "≥ 95%"),
        ("Red-flag recall (raised at all)", "red_flag_recall", "100%"),
        ("Red-flag recall at the right urgency", "red_flag_recall_at_urgency", "100%"),
        ("Spurious flags (cases without a flag)", "spurious_flags", "0"),
        ("Mimics referred (flag or poor fit)", "mimics_referred", "≥ 90%"),
    ]
    lines = [
        START,
        "",
        "| figure | test half (reported) | development half | target (test) |",
        "|---|---|---|---|",
        f"| cases | {by_half['test']['cases']} | {by_half['dev']['cases']} | |",
    ]
    for label, key, target in rows:
        lines.append(
            f"| {label} | {_pct(by_half['test'][key])} | {_pct(by_half['dev'][key])} | {target} |"
        )
    for label, key, target in (
        ("Unsafe plan items", "unsafe_plan_items", "0"),
        ("Cases with an unsafe item", "cases_with_unsafe_items", "0"),
    ):
        lines.append(f"| {label} | {by_half['test'][key]} | {by_half['dev'][key]} | {target} |")
    for half in ("test", "dev"):
        brier = by_half[half]["brier"]
        by_half[half]["brier_text"] = "n/a" if math.isnan(brier) else f"{brier:.3f}"
    lines.append(
        f"| Brier score of the leading condition | {by_half['test']['brier_text']} | "
        f"{by_half['dev']['brier_text']} | lower is better |"
    )
    lines += [
        "",
        "Reliability of the leading condition's probability (test half):",
        "",
        "![Reliability plot, test half](accuracy-reliability-test.svg)",
        "",
        END,
    ]
    return "\n".join(lines)


def dev_only() -> int:
    """ACCURACY_HALF=dev: the development half's figures and per-case lines, and nothing else.
    Test-half case files are not opened, no test-half figure is printed and nothing is written:
    this is the mode to work in (docs/accuracy.md, the protocol)."""
    cases = load_cases(only="dev")
    problems = [p for c in cases for p in shape_problems(c.data, c.id)]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    outcomes = [run_case(case) for case in cases]
    print(f"weizhong accuracy benchmark, development half only ({len(cases)} cases)")
    _print_figures("dev", figures(outcomes))
    _print_cases(outcomes)
    print("\nnothing written (ACCURACY_HALF=dev)")
    return 0


def _print_figures(half: str, f: dict[str, Any]) -> None:
    print(f"\n{half} half ({f['cases']} cases)")
    for key in (
        "top1",
        "top3",
        "red_flag_recall",
        "red_flag_recall_at_urgency",
        "spurious_flags",
        "mimics_referred",
    ):
        print(f"  {key:<28} {_pct(f[key])}")
    print(
        f"  {'unsafe_plan_items':<28} {f['unsafe_plan_items']} "
        f"in {f['cases_with_unsafe_items']} cases"
    )
    print(f"  {'brier':<28} {f['brier']:.3f}")


def _print_cases(outcomes: list[Outcome]) -> None:
    print("\ndevelopment half, case by case (the test half is reported as figures only):")
    for o in outcomes:
        expected = o.case.expected
        wanted = "/".join(sorted(o.case.acceptable)) or f"mimic {expected.get('mimic')}"
        missing = [f for f in expected.get("red_flags") or {} if f not in o.flags]
        print(
            f"  {o.case.id:<48} {'ok ' if o.top1_right else '-- ' if o.modelled else '   '}"
            f"lead {o.leading} ({o.probability:.2f}) want {wanted}; fit {o.fit}; "
            f"flags {sorted(o.flags) or '-'}"
            + (f"; MISSED {missing}" if missing else "")
            + (f"; UNSAFE {o.unsafe}" if o.unsafe else "")
        )


def main() -> int:
    half = os.environ.get("ACCURACY_HALF", "")
    if half == "dev":
        return dev_only()
    if half:
        print(f"ACCURACY_HALF must be 'dev' or unset, not {half!r}", file=sys.stderr)
        return 2
    cases = load_cases()
    problems = [p for c in cases for p in shape_problems(c.data, c.id)]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    locked = read_lock()
    moved = [c.id for c in cases if locked.get(c.id, c.half) != c.half]
    if moved:
        print(f"the locked split changed for {moved}", file=sys.stderr)
        return 2
    write_lock(cases)
    outcomes: dict[str, list[Outcome]] = {"test": [], "dev": []}
    for case in cases:
        outcomes[case.half].append(run_case(case))
    by_half = {half: figures(items) for half, items in outcomes.items()}
    print(f"weizhong accuracy benchmark: {len(cases)} published cases")
    for half in ("test", "dev"):
        _print_figures(half, by_half[half])
    _print_cases(outcomes["dev"])
    for half in ("test", "dev"):
        svg = reliability_svg(by_half[half]["reliability"], f"Leading condition, {half} half")
        (ROOT / "docs" / f"accuracy-reliability-{half}.svg").write_text(svg, encoding="utf-8")
    text = DOC.read_text(encoding="utf-8")
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    DOC.write_text(before + results(by_half) + after, encoding="utf-8")
    print(f"\nwrote {DOC.relative_to(ROOT)} and the reliability plots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
