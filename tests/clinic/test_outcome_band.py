"""Issue 13: the outcome chart's band is drawn at the number the change rule uses. The ODI's rule
is 10 points or 30% of the baseline, whichever is smaller: from a first score of 30 the rule
counts 9 points, and the chart drew its band at 10. Both now read ``improvement_threshold``,
from the instruments' knowledge; this test reads the band off the rendered page and the number
off the rule, so it fails if they part again."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.clinic.conftest import make_patient
from weizhong.clinic import actions
from weizhong.clinic.models import Clinic
from weizhong.reasoning.instruments import important_change, instrument_definition


def _odi(score: int) -> list[int]:
    total = score // 2  # ODI: 10 items of 0-5, score = sum / 50 × 100
    return [min(5, max(0, total - 5 * i)) for i in range(10)]


def _rmdq(score: int) -> list[int]:
    return [1] * score + [0] * (24 - score)


CASES = [
    ("odi", _odi, 30, 20),  # 30% of 30 = 9 < 10: the percent rule
    ("odi", _odi, 60, 44),  # 30% of 60 = 18 > 10: the MCID in points
    ("rmdq", _rmdq, 10, 5),  # 30% of 10 = 3 < 5
    ("nprs", lambda s: [s], 7, 4),
]


@pytest.mark.parametrize(("instrument", "answers", "first", "later"), CASES)
def test_the_band_on_the_chart_is_the_threshold_the_rule_uses(
    instrument: str, answers: Any, first: int, later: int, clinic: Clinic, clinician: Any,
    doc: Client,
) -> None:  # fmt: skip
    patient = make_patient(clinic)
    start = timezone.now() - dt.timedelta(days=20)
    for when, score in ((start, first), (start + dt.timedelta(days=14), later)):
        actions.do_score_outcome(patient=patient, instrument=instrument, answers=answers(score),
                                 entered_by=clinician, taken=when)  # fmt: skip
    html = doc.get(reverse("outcomes", args=[patient.pk])).content.decode()
    name = re.escape(instrument_definition(instrument).short_name)
    chart = re.search(rf"<svg[^>]*>(?:(?!</svg>).)*?>{name}</text>.*?</svg>", html, re.S)
    assert chart, f"no {instrument} chart on the page"
    band = re.search(r'<g class="mcid" data-threshold="([0-9.]+)">.*?</g>', chart.group(0), re.S)
    assert band, "no important-change band"
    rule = important_change(instrument, first, later)
    assert float(band.group(1)) == pytest.approx(float(str(rule["threshold"])))
    label = re.sub(r"<[^>]+>", "", band.group(0))
    assert label.endswith(f": {band.group(1)})"), label


def test_the_percent_rule_is_said_on_the_band(clinic: Clinic, clinician: Any, doc: Client) -> None:
    patient = make_patient(clinic)
    actions.do_score_outcome(patient=patient, instrument="odi", answers=_odi(30),
                             entered_by=clinician)  # fmt: skip
    html = doc.get(reverse("outcomes", args=[patient.pk])).content.decode()
    assert "Important change (30% of the first score: 9)" in html
    assert "MCID 10" not in html
