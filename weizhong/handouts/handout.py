"""The patient's handout: the home programme with figures, dose, a week's tick-box schedule,
what to feel and when to stop, and the symptoms that need urgent care.

HTML and CSS are built here (escaped, our words, marked for translation) and turned into a PDF
by WeasyPrint, imported only when a PDF is asked for: the core stays light.
"""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from typing import Any

from weizhong.i18n import _
from weizhong.planning.home_programme import WEEKDAYS, load_exercises

CSS = """
@page { size: A4; margin: 14mm 14mm 16mm 14mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt;
                         color: #555; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; color: #1d2330;
       line-height: 1.3; }
h1 { font-size: 17pt; margin: 0 0 1mm 0; color: #1f3a5f; }
h2 { font-size: 12pt; margin: 4mm 0 2mm 0; color: #1f3a5f; border-bottom: 0.6pt solid #9fb3c8; }
h3 { font-size: 10.5pt; margin: 0 0 1mm 0; }
.meta { color: #444; font-size: 9pt; margin-bottom: 2mm; }
.for { font-size: 11pt; margin: 0 0 0.5mm 0; }
.urgent { border: 1.4pt solid #b00020; background: #fdecee; padding: 3mm; margin: 2mm 0;
          break-inside: avoid; }
.urgent h2 { color: #b00020; border: none; margin-top: 0; }
/* One card a line, the figure beside the words: short cards that fill the page (issue 13). */
.card { display: flex; gap: 3mm; border: 0.6pt solid #c9d3de; border-radius: 2mm;
        padding: 2mm; margin: 0 0 2mm 0; break-inside: avoid; }
.card .figure { flex: 0 0 46mm; margin: 0; }
.card .words { flex: 1 1 auto; }
/* More than four exercises (added by hand): smaller figures and type keep two pages. */
.dense .card { padding: 1.4mm; margin-bottom: 1.4mm; }
.dense .card .figure { flex-basis: 34mm; }
.dense .card .figure svg { width: 34mm; height: 22.1mm; }
.dense .card, .dense .card h3 { font-size: 8pt; }
.dense ol { margin-top: 0.4mm; margin-bottom: 0.4mm; }
.dense li { margin-bottom: 0.2mm; }
.week-block { break-inside: avoid; }
.figure { text-align: center; margin-bottom: 1mm; }
.dose { font-weight: bold; color: #1f3a5f; }
ol { margin: 1mm 0 1mm 4.5mm; padding: 0; }
li { margin-bottom: 0.6mm; }
.feel, .stop { margin: 0.8mm 0; }
.stop { color: #7a0016; }
table.week { border-collapse: collapse; width: 100%; margin-top: 1mm; }
table.week th, table.week td { border: 0.6pt solid #9fb3c8; padding: 1.2mm; text-align: center; }
table.week td.name { text-align: left; }
.box { display: inline-block; width: 4mm; height: 4mm; border: 0.8pt solid #1d2330; }
.off { color: #aab; }
.footer { margin-top: 3mm; font-size: 8.5pt; color: #444; }
"""

# Up to this many exercises (the planner proposes at most four) the cards are full size.
DENSE_AFTER = 4

URGENT_SYMPTOMS = (
    _("numbness between the legs or around the back passage"),
    _("new trouble passing urine or controlling your bladder or bowels"),
    _("numbness or weakness in both legs, or weakness that is getting worse"),
    _("fever or shivering with the back pain"),
    _("severe pain that is constant, at night, and not eased by any position"),
)


# What the patient reads when the plan waits for a doctor, by urgency, when a flag brings no
# patient wording of its own: plain words, never the clinician's instruction (hazard HZ-22).
PATIENT_ACTIONS = {
    "emergency": _("Go to an emergency department today. Do not wait for your next appointment."),
    "urgent": _("See a doctor today or tomorrow, before any more treatment here."),
    "soon": _("See your doctor in the next two weeks, before treatment here goes on."),
}


# Added for a pregnant patient: the warning signs of pregnancy itself (NICE NG201, antenatal care).
PREGNANCY_SYMPTOMS = (
    _("bleeding from the vagina, or fluid leaking"),
    _("regular tightenings or period-like pains, or your baby moving less than usual"),
    _("one calf or thigh that is swollen, red or painful"),
)


def _urgent_symptoms(plan: dict[str, Any]) -> tuple[str, ...]:
    pregnant = bool((plan.get("patient") or {}).get("pregnant"))
    return URGENT_SYMPTOMS + (PREGNANCY_SYMPTOMS if pregnant else ())


def _see_a_doctor_first(plan: dict[str, Any]) -> str:
    """The box that opens a handout whose plan waits for a doctor or for more questions."""
    flags = plan["assessment"]["red_flags"]
    if flags:
        title = _("Please see a doctor first")
        actions = list(
            dict.fromkeys(
                str(f.get("patient_action") or PATIENT_ACTIONS[f["urgency"]]) for f in flags
            )
        )
    else:  # screen_first: questions the clinician must still ask
        title = _("A few more questions first")
        actions = [
            _(
                "Your clinician needs to ask you a few more questions before treatment starts. "
                "If you have numbness between your legs or new trouble passing urine or "
                "controlling your bowels, go to an emergency department today."
            )
        ]
    # The plan decides whether the home programme waits: say what it decided.
    exercises_wait = _(
        "Do not start any exercises until you have been checked."
        if not plan.get("exercises")
        else "You may do the gentle exercises below while you wait; stop any that make the "
        "pain worse."
    )
    return (
        "<div class='urgent'><h2>"
        + escape(title)
        + "</h2>"
        + "".join(f"<p>{escape(a)}</p>" for a in actions)
        + "<p>"
        + escape(exercises_wait)
        + "</p></div>"
    )


MONTHS = (
    _("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"),
    _("August"), _("September"), _("October"), _("November"), _("December"),
)  # fmt: skip


def long_date(day: dt.date) -> str:
    """'6 December 2026': a date a patient reads without thinking (never ISO)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def handout_html(
    plan: dict[str, Any],
    programme: dict[str, Any],
    clinic: str,
    today: dt.date | None = None,
    *,
    patient_name: str | None = None,
    date_text: str | None = None,
) -> str:
    """The handout as one HTML document (figures inline as SVG). ``date_text`` is the date in
    the clinic's own format; without it the date is written out in words."""
    library = load_exercises()
    date = date_text or long_date(today or dt.date.today())
    parts = [f"<h1>{escape(_('Your home programme'))}</h1>"]
    if patient_name:
        parts.append(f"<p class='for'>{escape(_('For {name}').format(name=patient_name))}</p>")
    parts.append(
        f"<div class='meta'>{escape(clinic)} · {escape(_('prepared on {date}').format(date=date))}"
        "</div>"
    )
    refer = plan.get("status") in ("refer_first", "screen_first")
    if refer:
        parts.append(_see_a_doctor_first(plan))
    exercises = programme["exercises"] if plan.get("exercises") else []
    if exercises:
        parts.append(f"<h2>{escape(_('Your exercises'))}</h2>")
        cards = [_card(library[item["id"]], item) for item in exercises]
        # A card never splits across pages, and there is never an empty card.
        density = "cards dense" if len(cards) > DENSE_AFTER else "cards"
        parts.append(
            f"<div class='{density}'>"
            + "".join(f"<div class='card'>{card}</div>" for card in cards)
            + "</div>"
        )
        parts.append(
            f"<div class='week-block'><h2>{escape(_('This week'))}</h2>"
            + _week_table(exercises)
            + "</div>"
        )
    parts.append(
        "<div class='urgent'><h2>"
        + escape(_("Get urgent medical help today if you notice"))
        + "</h2><ul>"
        + "".join(f"<li>{escape(s)}</li>" for s in _urgent_symptoms(plan))
        + "</ul></div>"
    )
    if exercises:
        parts.append(
            "<div class='footer'>"
            + escape(
                _(
                    "Some stretch or mild ache is expected; pain that lasts more than two hours "
                    "after the exercises, or is worse the next morning, means do less and tell "
                    "us at your next visit."
                )
            )
            + "</div>"
        )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>"
        + escape(_("Your home programme"))
        + f"</title><style>{CSS}</style></head><body>"
        + "".join(parts)
        + "</body></html>"
    )


def _card(exercise: Any, item: dict[str, Any]) -> str:
    from weizhong.figures.exercise_svg import render_pose_svg
    from weizhong.figures.pose import exercise_pose

    pose = exercise_pose(exercise.pose, exercise.id)
    svg = render_pose_svg(pose, exercise.name, exercise.feel, ident=f"fig-{exercise.id}")
    svg = svg[svg.index("<svg") :]  # drop the XML declaration inside HTML
    svg = re.sub(r'width="[^"]*" height="[^"]*"', 'width="46mm" height="29.9mm"', svg, count=1)
    steps = "".join(f"<li>{escape(step)}</li>" for step in exercise.steps)
    stop = "; ".join(exercise.stop_if)
    return (
        f"<div class='figure'>{svg}</div><div class='words'>"
        f"<h3>{escape(exercise.name)}</h3>"
        f"<div class='dose'>{escape(item['dose_text'])}</div>"
        f"<ol>{steps}</ol>"
        f"<div class='feel'><b>{escape(_('You should feel:'))}</b> {escape(exercise.feel)}</div>"
        f"<div class='stop'><b>{escape(_('Stop if:'))}</b> {escape(stop)}</div></div>"
    )


def _week_table(exercises: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{escape(_(day))}</th>" for day in WEEKDAYS)
    rows = []
    for item in exercises:
        cells = "".join(
            "<td><span class='box'></span></td>"
            if day in item["schedule"]
            else "<td class='off'>–</td>"
            for day in WEEKDAYS
        )
        rows.append(f"<tr><td class='name'>{escape(item['name'])}</td>{cells}</tr>")
    return (
        f"<table class='week'><tr><th>{escape(_('Exercise'))}</th>{head}</tr>"
        + "".join(rows)
        + "</table>"
    )


def handout_pdf(html: str) -> bytes:
    """The PDF as bytes (the clinic app sends it without touching the disk)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def card_figure(exercise_id: str) -> str:
    """An exercise's figure as inline SVG that scales to its container (the portal's cards)."""
    from weizhong.figures.exercise_svg import render_pose_svg
    from weizhong.figures.pose import exercise_pose

    exercise = load_exercises()[exercise_id]
    pose = exercise_pose(exercise.pose, exercise.id)
    svg = render_pose_svg(pose, exercise.name, exercise.feel, ident=f"fig-{exercise.id}")
    svg = svg[svg.index("<svg") :]
    return re.sub(r'width="[^"]*" height="[^"]*"', 'width="100%"', svg, count=1)


def write_handout_pdf(html: str, path: str) -> int:
    """Write the PDF; return its number of pages."""
    from weasyprint import HTML

    document = HTML(string=html).render()
    document.write_pdf(path)
    return len(document.pages)
