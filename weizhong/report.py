"""The assessment as a readable terminal report for a clinician: red flags on top."""

from __future__ import annotations

from typing import Any

from weizhong.reasoning.words import percent

BAR_WIDTH = 20


def _bar(probability: float) -> str:
    filled = round(probability * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def render_assessment(result: dict[str, Any], colour: bool = False) -> str:
    def bold(text: str) -> str:
        return f"\033[1m{text}\033[0m" if colour else text

    def red(text: str) -> str:
        return f"\033[1;31m{text}\033[0m" if colour else text

    lines: list[str] = []
    title = "weizhong assessment"
    if result.get("case_id"):
        title += f" — case {result['case_id']}"
    lines.append(bold(title) + f"   (knowledge {result['knowledge_version']})")
    lines.append("")
    lines.append(bold("RED FLAGS"))
    if result["red_flags"]:
        for flag in result["red_flags"]:
            lines.append(red(f"  !! {flag['urgency'].upper()}: {flag['name']}"))
            found = ", ".join(f"{b['finding']} = {_show(b['value'])}" for b in flag["because"])
            lines.append(f"     because: {found}")
            lines.append(f"     action:  {flag['action']}")
    else:
        lines.append("  none raised")
    screen = result["red_flag_screen"]
    if not screen["complete"]:
        lines.append(f"  screen incomplete — not yet asked: {', '.join(screen['not_asked'])}")
    lines.append("")
    lines.append(bold("DIFFERENTIAL") + "  (conditions can coexist; each probability stands alone)")
    for rank, entry in enumerate(result["differential"], 1):
        lines.append(
            f"  {rank}. {entry['name']:<46} {_bar(entry['probability'])} "
            f"{percent(entry['probability']):>5}"
        )
        shown = [b for b in entry["because"] if b.get("counted")][:4]
        for item in shown:
            sign = {"raises": "+", "lowers": "−"}.get(item.get("effect", ""), "·")
            lines.append(f"       {sign} {item['text']}")
    lines.append("")
    lines.append(bold("NEXT TESTS"))
    if not result["next_tests"]:
        lines.append("  nothing left that would change the picture much")
    for rank, test in enumerate(result["next_tests"], 1):
        tag = "red-flag question" if test["kind"] == "red_flag_screen" else "test"
        lines.append(f"  {rank}. {', '.join(test.get('findings', [test['finding']]))} ({tag})")
        lines.append(f"     {test['why']}")
    lines.append("")
    lines.append(bold("TRIAGE"))
    rule = result["triage"]["manipulation_rule"]
    lines.append(
        f"  Manipulation rule (Childs 2004): {rule['met']} of {rule['of']} met — "
        f"{rule['status']}"
        + (f"; not yet known: {', '.join(rule['missing'])}" if rule["missing"] else "")
    )
    sb = result["triage"]["start_back"]
    if sb:
        lines.append(
            f"  STarT Back: {sb.get('risk_group') or sb.get('error')}"
            + (
                f" risk (total {sb['score']}, psychosocial {sb['psychosocial']})"
                if sb.get("risk_group")
                else ""
            )
        )
    meds = result["medications"]
    if meds["recognised"] or meds["unrecognised"]:
        lines.append("")
        lines.append(bold("MEDICATIONS"))
        for med in meds["recognised"]:
            lines.append(f"  {med['name']}: {med['generic']} — {', '.join(med['classes'])}")
        for name in meds["unrecognised"]:
            lines.append(f"  {name}: not recognised — check its class by hand")
    return "\n".join(lines) + "\n"


def _show(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
