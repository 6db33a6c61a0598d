"""The clinical safety case: the hazard log with its controls, their sources and their tests,
as text (``weizhong safety``), HTML (``--format html``) or JSON (``--format json``)."""

from __future__ import annotations

import html
from typing import Any

from weizhong.i18n import _
from weizhong.knowledge import load_knowledge
from weizhong.knowledge.hazards import HazardLog, load_hazard_log, rule_source, rule_summary

__all__ = ["evidence_figures", "safety_case", "safety_case_html", "safety_case_text"]


def evidence_figures() -> dict[str, int]:
    """How many likelihood ratios cite a paper and how many are expert estimates."""
    counts = load_knowledge().counts()
    return {
        "likelihood_ratios": counts["evidence"],
        "cited": counts["evidence_published"],
        "estimates": counts["evidence_estimates"],
    }


def safety_case(log: HazardLog | None = None) -> dict[str, Any]:
    """The safety case as one JSON-ready object."""
    log = log or load_hazard_log()
    hazards = []
    for hazard in log.hazards:
        before, after = log.before(hazard), log.after(hazard)
        hazards.append({
            "id": hazard.id, "title": hazard.title, "cause": hazard.cause, "harm": hazard.harm,
            "severity": hazard.severity,
            "likelihood_before": hazard.likelihood_before,
            "likelihood_after": hazard.likelihood_after,
            "risk_before": before, "risk_after": after,
            "acceptability_after": log.acceptability[after - 1],
            "controls": [
                {"rule": c.rule, "does": rule_summary(c), "source": rule_source(c),
                 "tests": list(c.tests)}
                for c in hazard.controls
            ],
            "residual": hazard.residual, "found_by": hazard.found_by,
        })  # fmt: skip
    controls = {c.rule for h in log.hazards for c in h.controls}
    tests = {t for h in log.hazards for c in h.controls for t in c.tests}
    return {
        "format": "weizhong.safety_case/1",
        "hazard_log_version": log.version,
        "standard": log.standard,
        "matrix_source": log.matrix_source,
        "counts": {"hazards": len(hazards), "controls": len(controls), "tests": len(tests)},
        "risk_before": _tally(h["risk_before"] for h in hazards),
        "risk_after": _tally(h["risk_after"] for h in hazards),
        "evidence": evidence_figures(),
        "hazards": hazards,
    }


def _tally(ratings: Any) -> dict[str, int]:
    counts = {str(r): 0 for r in range(1, 6)}
    for rating in ratings:
        counts[str(rating)] += 1
    return counts


def _word(value: str) -> str:
    return value.replace("_", " ")


def safety_case_text(case: dict[str, Any] | None = None) -> str:
    case = case or safety_case()
    counts, ev = case["counts"], case["evidence"]
    lines = [
        _("weizhong clinical safety case (hazard log {version})").format(
            version=case["hazard_log_version"]
        ),
        case["standard"],
        _("{hazards} hazards, {controls} controls, {tests} tests that prove them").format(**counts),
        _("Risk ratings (1 acceptable … 5 unacceptable) before controls: {before}").format(
            before=_ratings(case["risk_before"])
        ),
        _("                                              after controls: {after}").format(
            after=_ratings(case["risk_after"])
        ),
        _(
            "Likelihood ratios: {cited} of {total} cite a paper; {estimates} are expert estimates"
        ).format(cited=ev["cited"], total=ev["likelihood_ratios"], estimates=ev["estimates"]),
        "",
    ]
    for hazard in case["hazards"]:
        lines += [
            f"{hazard['id']}  {hazard['title']}",
            "  "
            + _(
                "severity {severity} · likelihood {before} → {after} · risk {risk_before} → "
                "{risk_after} ({acceptability})"
            ).format(
                severity=hazard["severity"],
                before=_word(hazard["likelihood_before"]),
                after=_word(hazard["likelihood_after"]),
                risk_before=hazard["risk_before"],
                risk_after=hazard["risk_after"],
                acceptability=hazard["acceptability_after"],
            ),
            "  " + _("Cause: {text}").format(text=hazard["cause"]),
            "  " + _("Harm: {text}").format(text=hazard["harm"]),
            "  " + _("Controls:"),
        ]
        for control in hazard["controls"]:
            lines.append(f"    {control['rule']}: {control['does']}")
            if control["source"]:
                lines.append("      " + _("source: {text}").format(text=control["source"]))
            for test in control["tests"]:
                lines.append("      " + _("proved by {test}").format(test=test))
        lines += ["  " + _("Residual risk: {text}").format(text=hazard["residual"]), ""]
    return "\n".join(lines)


def _ratings(tally: dict[str, int]) -> str:
    return ", ".join(f"{count} × {rating}" for rating, count in tally.items() if count)


_CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1a1a1a}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin:2rem 0 .3rem}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
.r1,.r2{background:#e6f4ea}.r3{background:#fff4ce}.r4,.r5{background:#fde2e1}
code{font-size:.85em}ul{margin:.2rem 0}.meta{color:#555}
"""


def safety_case_html(case: dict[str, Any] | None = None) -> str:
    case = case or safety_case()
    e = html.escape
    counts, ev = case["counts"], case["evidence"]
    rows = "".join(
        f"<tr><td><a href='#{e(h['id'])}'>{e(h['id'])}</a></td><td>{e(h['title'])}</td>"
        f"<td>{e(h['severity'])}</td><td class='r{h['risk_before']}'>{h['risk_before']}</td>"
        f"<td class='r{h['risk_after']}'>{h['risk_after']}</td><td>{len(h['controls'])}</td></tr>"
        for h in case["hazards"]
    )
    sections = []
    for h in case["hazards"]:
        controls = "".join(
            f"<li><code>{e(c['rule'])}</code>: {e(c['does'])}"
            + (
                f"<br><span class='meta'>{e(_('Source'))}: {e(c['source'])}</span>"
                if c["source"]
                else ""
            )
            + "<ul>"
            + "".join(f"<li><code>{e(t)}</code></li>" for t in c["tests"])
            + "</ul></li>"
            for c in h["controls"]
        )
        sections.append(
            f"<section id='{e(h['id'])}'><h2>{e(h['id'])} {e(h['title'])}</h2>"
            f"<p class='meta'>{e(_('Severity'))} {e(h['severity'])} · {e(_('likelihood'))} "
            f"{e(_word(h['likelihood_before']))} → {e(_word(h['likelihood_after']))} · "
            f"{e(_('risk'))} {h['risk_before']} → {h['risk_after']} "
            f"({e(h['acceptability_after'])})</p>"
            f"<p><strong>{e(_('Cause'))}:</strong> {e(h['cause'])}</p>"
            f"<p><strong>{e(_('Harm'))}:</strong> {e(h['harm'])}</p>"
            f"<p><strong>{e(_('Controls'))}:</strong></p><ul>{controls}</ul>"
            f"<p><strong>{e(_('Residual risk'))}:</strong> {e(h['residual'])}</p>"
            f"<p class='meta'>{e(_('Found by'))}: {e(h['found_by'])}</p></section>"
        )
    title = _("weizhong clinical safety case")
    caption = _("Risk rating before and after controls (1 acceptable … 5 unacceptable)")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{e(title)}</h1><p class='meta'>{e(_('Hazard log'))} {e(case['hazard_log_version'])}. "
        f"{e(case['standard'])}.</p>"
        f"<p>{counts['hazards']} {e(_('hazards'))}, {counts['controls']} {e(_('controls'))}, "
        f"{counts['tests']} {e(_('tests that prove them'))}. "
        f"{e(_('Likelihood ratios'))}: {ev['cited']} / {ev['likelihood_ratios']} "
        f"{e(_('cite a paper'))}; {ev['estimates']} {e(_('are expert estimates'))}.</p>"
        f"<table><caption>{e(caption)}</caption><thead><tr><th>{e(_('Hazard'))}</th><th>{e(_('Title'))}</th>"
        f"<th>{e(_('Severity'))}</th><th>{e(_('Before'))}</th><th>{e(_('After'))}</th>"
        f"<th>{e(_('Controls'))}</th></tr></thead><tbody>{rows}</tbody></table>"
        + "".join(sections)
        + f"<p class='meta'>{e(_('Risk matrix'))}: {e(case['matrix_source'])}</p>"
        "</main></body></html>"
    )
