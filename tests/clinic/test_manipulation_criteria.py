"""Issue 13: the manipulation rule names its criteria. "1/5 met" alone does not say which; the
assessment page, the command line's text and the plan say each criterion in words, met, not met
or not examined."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from tests.clinic.conftest import make_exam, make_patient
from tests.clinic.test_plain_words import readable_text
from tests.conftest import assess_findings
from weizhong.clinic.models import Clinic
from weizhong.report import render_assessment

# Met: symptoms under 16 days, none below the knee. Not met: FABQ work 25. Not examined: the
# hips' rotation and lumbar springing.
SOME_MET = {"onset_days": 10, "pain_regions": ["low_back"], "fabq_work": 25}
EXPECTED = [
    ("Symptoms for less than 16 days", "met"),
    ("No symptoms distal to the knee", "met"),
    ("FABQ work subscale below 19", "not met"),
    ("At least one hip with more than 35° internal rotation", "not examined"),
    ("At least one hypomobile lumbar level on springing", "not examined"),
]


def test_the_assessment_page_names_each_criterion_met_not_met_or_not_examined(
    clinic: Clinic, clinician: Any, doc: Client
) -> None:
    exam = make_exam(make_patient(clinic), clinician, SOME_MET)
    html = doc.get(reverse("exam", args=[exam.pk])).content.decode()
    section = html[html.index("Manipulation rule") :]
    section = section[: section.index("</section>")]
    text = " ".join(readable_text(section).split())
    assert "2/5 criteria met" in text
    found = re.findall(r"([A-Z][^:]+): (met|not met|not examined)", text)
    assert found == EXPECTED, text


def test_the_command_line_text_names_each_criterion() -> None:
    text = render_assessment(assess_findings(SOME_MET))
    triage = text[text.index("TRIAGE") :]
    assert "2 of 5 met" in triage
    for label, state in EXPECTED:
        assert f"    {label}: {state}\n" in triage


def test_the_plan_says_which_criteria_the_rule_rests_on() -> None:
    from tests.conftest import make_case
    from weizhong.planning.plan import make_plan

    negative = {**SOME_MET, "onset_days": 40, "hip_internal_rotation_left_deg": 20,
                "lumbar_hypomobility": False}  # fmt: skip
    why = make_plan(make_case(negative))["office_care"]["manipulation"]["why"]
    assert why.startswith("Childs rule negative (1 of 5; met: no symptoms distal to the knee. "
                          "Not met: symptoms for less than 16 days;"), why  # fmt: skip
