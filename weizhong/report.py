"""The assessment as a readable terminal report for a clinician: red flags on top."""

from __future__ import annotations

from typing import Any

from weizhong.i18n import _
from weizhong.numbers import percent
from weizhong.reasoning.words import finding_label, medication_class_words, region_words


def _label(finding: str) -> str:
    return finding_label(finding, lower=True)


BAR_WIDTH = 20
URGENCY_WORDS = {"emergency": _("emergency"), "urgent": _("urgent"), "soon": _("soon")}
STATUS_WORDS = {
    "positive": _("positive"),
    "negative": _("negative"),
    "incomplete": _("incomplete"),
}
# One criterion of a rule: met, not met, or not examined (its finding not recorded).
CRITERION_WORDS = {True: _("met"), False: _("not met"), None: _("not examined")}


def _bar(probability: float) -> str:
    filled = round(probability * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def render_assessment(result: dict[str, Any], colour: bool = False) -> str:
    def bold(text: str) -> str:
        return f"\033[1m{text}\033[0m" if colour else text

    def red(text: str) -> str:
        return f"\033[1;31m{text}\033[0m" if colour else text

    # The state of the red-flag screen opens the report, before anything else (issue 11).
    screen = result["red_flag_screen"]
    screen_line = _("SCREEN: {summary}").format(summary=screen["summary"])
    alarm = screen["cauda_equina_unscreened"] or any(
        f["urgency"] == "emergency" for f in result["red_flags"]
    )
    lines: list[str] = [red(screen_line) if alarm else bold(screen_line), ""]
    title = _("weizhong assessment")
    if result.get("case_id"):
        title += " — " + _("case {id}").format(id=result["case_id"])
    knowledge = _("knowledge {version}").format(version=result["knowledge_version"])
    lines += [bold(title) + f"   ({knowledge})", "", bold(_("RED FLAGS"))]
    for flag in result["red_flags"]:
        urgency = URGENCY_WORDS.get(flag["urgency"], flag["urgency"]).upper()
        lines.append(red(f"  !! {urgency}: {flag['name']}"))
        found = "; ".join(f"{_label(b['finding'])}: {_show(b['value'])}" for b in flag["because"])
        lines.append("     " + _("because: {findings}").format(findings=found))
        lines.append("     " + _("action:  {action}").format(action=flag["action"]))
        if flag.get("patient_action"):
            lines.append("     " + _("patient: {words}").format(words=flag["patient_action"]))
    if not result["red_flags"]:
        lines.append("  " + _("none raised"))
    if not screen["complete"]:
        lines.append(
            "  "
            + _("screen incomplete — not yet asked: {findings}").format(
                findings="; ".join(_label(f) for f in screen["not_asked"])
            )
        )
    lines += ["", bold(_("DIFFERENTIAL")) + "  " + _("(conditions can coexist; each stands alone)")]
    fit = result.get("fit")
    if fit and fit["status"] == "poor":
        lines.append(red("  " + _("POOR FIT: {why}").format(why=fit["why"])))
    for rank, entry in enumerate(result["differential"], 1):
        lines.append(
            f"  {rank}. {entry['name']:<46} {_bar(entry['probability'])} "
            f"{percent(entry['probability']):>5}"
        )
        share = entry.get("estimate_share", 0.0)
        if share:
            lines.append(
                "       "
                + _("{share} of this movement rests on expert estimates").format(
                    share=percent(share)
                )
            )
        if entry.get("cap"):
            lines.append("       " + entry["cap"]["reason"])
        for item in [b for b in entry["because"] if b.get("counted")][:4]:
            sign = {"raises": "+", "lowers": "−"}.get(item.get("effect", ""), "·")
            lines.append(f"       {sign} {item['text']}")
    lines += ["", bold(_("NEXT TESTS"))]
    if not result["next_tests"]:
        lines.append("  " + _("nothing left that would change the picture much"))
    for rank, test in enumerate(result["next_tests"], 1):
        tag = _("red-flag question") if test["kind"] == "red_flag_screen" else _("test")
        lines.append(f"  {rank}. {test.get('label') or _label(test['finding'])} ({tag})")
        lines.append(f"     {test['why']}")
    lines += ["", bold(_("TRIAGE"))]
    rule = result["triage"]["manipulation_rule"]
    line = _("Manipulation rule (Childs 2004): {met} of {of} met — {status}").format(
        met=rule["met"], of=rule["of"], status=STATUS_WORDS.get(rule["status"], rule["status"])
    )
    lines.append("  " + line)
    for criterion in rule["criteria"]:
        label = criterion["label"][:1].upper() + criterion["label"][1:]
        lines.append(f"    {label}: {CRITERION_WORDS[criterion['met']]}")
    start_back = result["triage"]["start_back"]
    if start_back:
        lines.append(
            "  "
            + _("STarT Back: {group} risk (total {score}, psychosocial {psychosocial})").format(
                group=start_back["risk_group"],
                score=start_back["score"],
                psychosocial=start_back["psychosocial"],
            )
        )
    meds = result["medications"]
    if meds["recognised"] or meds["unrecognised"]:
        lines += ["", bold(_("MEDICATIONS"))]
        for med in meds["recognised"]:
            classes = ", ".join(medication_class_words(c) for c in med["classes"])
            lines.append(f"  {med['name']}: {med['generic']} — {classes}")
        for name in meds["unrecognised"]:
            lines.append(
                "  " + _("{name}: not recognised — check its class by hand").format(name=name)
            )
    return "\n".join(lines) + "\n"


def _show(value: object) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list):
        return ", ".join(region_words(str(v)) for v in value)
    return region_words(value) if isinstance(value, str) else str(value)
