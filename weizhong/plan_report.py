"""The treatment plan as a readable terminal report for the clinician."""

from __future__ import annotations

from typing import Any

from weizhong.i18n import _
from weizhong.numbers import number_range, percent

ROLE_WORDS = {
    "local": _("local"),
    "trigger_point": _("trigger point"),
    "adjacent": _("adjacent"),
    "distal": _("distal"),
    "balance": _("balance"),
}


STATUS_WORDS = {
    "treat": _("TREAT"),
    "refer_first": _("REFER FIRST: no needling or hands-on care until medically assessed"),
    "screen_first": _("SCREEN FIRST: no needling or hands-on care until the questions below are "
                      "answered"),
}  # fmt: skip


def _screen_line(plan: dict[str, Any]) -> str:
    """The red-flag screen in one line: complete or not, and whether cauda equina is open."""
    screen = plan.get("red_flag_screen") or {}
    if screen.get("cauda_equina_unscreened"):
        state = _("incomplete: cauda equina not excluded")
    elif screen.get("complete") is False:
        state = _("incomplete: {count} core question(s) not asked").format(
            count=len(screen.get("not_asked", ()))
        )
    elif screen.get("complete"):
        state = _("complete")
    else:
        state = _("not reported")
    flags = plan["assessment"]["red_flags"]
    raised = _("{count} red flag(s) raised").format(count=len(flags)) if flags else _("no red flag")
    return _("RED-FLAG SCREEN: {state}; {raised}").format(state=state, raised=raised)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def render_plan(plan: dict[str, Any]) -> str:
    lines = [_("weizhong treatment plan") + f"   ({plan['knowledge_version']})", ""]
    lines.append(_screen_line(plan))
    status = plan["status"]
    lines.append(_("PLAN STATUS: {status}").format(status=STATUS_WORDS.get(status, status)))
    for flag in plan["assessment"]["red_flags"]:
        lines.append(f"!! {flag['urgency'].upper()}: {flag['action']}")
    questions = plan.get("questions") or []
    if questions:
        lines.append(
            _("ASK FIRST: {questions}").format(
                questions="; ".join(
                    _capital(str(q.get("label") or q["finding"])) for q in questions
                )
            )
        )
    patient = plan.get("patient") or {}
    if patient.get("pregnant"):
        weeks = patient.get("gestation_weeks")
        lines.append(
            _("Pregnant, {weeks} weeks").format(weeks=weeks)
            if weeks is not None
            else _("Pregnant, weeks not recorded")
        )
    lines.append("")
    leading = ", ".join(
        f"{e.get('name') or e['condition']} {percent(e['probability'])}"
        for e in plan["assessment"]["leading"]
    )
    lines += [_("Leading: {conditions}").format(conditions=leading), ""]
    acu = plan["acupuncture"]
    lines.append(_("ACUPUNCTURE ({count} needles)").format(count=acu["needles"]))
    for point in acu["points"]:
        depth = point.get("depth_cun")
        depth_text = (
            f"  {number_range(depth[0], depth[1])} cun {point.get('angle', '')}" if depth else ""
        )
        lines.append(
            f"  {point['code']:<9} {point['side']:<7} {ROLE_WORDS[point['role']]:<13} "
            f"{point.get('name', '')}{depth_text}"
        )
        lines.append(f"            {point['rationale']}")
        for key in ("caution", "technique", "needle"):
            if point.get(key):
                lines.append(f"            {key}: {point[key]}")
    for point in acu["withheld"]:
        lines.append(
            "  "
            + _("withheld: {what} ({why})").format(
                what=_("trigger point in {muscle}").format(muscle=point["muscle"].replace("_", " "))
                if point.get("muscle")
                else point["code"],
                why=point.get("withheld_because") or point["withheld_by"],
            )
        )
    electro = acu["electrostimulation"]
    lines.append("")
    if electro:
        pairs = "; ".join(f"{'–'.join(p['points'])} ({p['side']})" for p in electro["pairs"])
        lines.append(_("ELECTRO-ACUPUNCTURE: {pairs}").format(pairs=pairs))
        lines.append(
            f"  {electro['frequency']}, {electro['pulse_width_ms'][0]}–"
            f"{electro['pulse_width_ms'][1]} ms, {electro['minutes'][0]}–"
            f"{electro['minutes'][1]} min. {electro['intensity']}"
        )
    else:
        lines.append(_("ELECTRO-ACUPUNCTURE: none") + f" — {acu['electrostimulation_note']}")
    care = plan["office_care"]
    lines += [
        "",
        _("OFFICE CARE"),
        "  "
        + _("Manipulation: {suitability} ({why})").format(
            suitability=care["manipulation"]["suitability"], why=care["manipulation"]["why"]
        ),
        "  "
        + (
            care["soft_tissue_and_mobilisation"]
            or _("Hands-on care withheld: {why}").format(why=care.get("hands_on_withheld"))
        ),
    ]
    if plan["exercises"]:
        lines += ["", _("HOME PROGRAMME")]
        for item in plan["exercises"]:
            lines.append(f"  {item['name']}: {item['dose_text']} ({', '.join(item['schedule'])})")
    if plan["herbs"]:
        lines += ["", _("HERBS (offered, never forced)")]
        lines += [
            f"  {h.get('pinyin') or h.get('formula')}: {h.get('why', '')}" for h in plan["herbs"]
        ]
    for herb in plan.get("herbs_withheld", []):
        lines.append(
            "  "
            + _("withheld: {formula}: {why}").format(
                formula=herb.get("pinyin") or herb.get("formula"), why=herb.get("why", "")
            )
        )
    guideline = plan["guideline"]
    lines += [
        "",
        _("GUIDELINE: {name}: {stance}").format(name=guideline["name"], stance=guideline["stance"]),
        "  "
        + _("Other view: {name}: {stance}").format(
            name=guideline["other_view"]["name"], stance=guideline["other_view"]["stance"]
        ),
    ]
    if plan["warnings"]:
        lines += ["", _("WARNINGS")]
        for warning in plan["warnings"]:
            mark = (
                " [" + _("overridden: {reason}").format(reason=warning["override_reason"]) + "]"
                if warning.get("overridden")
                else ""
            )
            lines.append(f"  - {warning['message']}{mark}")
    return "\n".join(lines) + "\n"
