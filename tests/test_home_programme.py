"""The home programme: a few exercises that fit the picture, never one its `avoid` list forbids;
every exercise renders; the handout is a real two-page PDF."""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import make_case
from weizhong.figures.exercise_svg import render_pose_svg
from weizhong.figures.pose import pose_from_table
from weizhong.handouts.handout import handout_html, write_handout_pdf
from weizhong.planning.home_programme import build_programme, load_exercises
from weizhong.planning.plan import make_plan
from weizhong.reasoning.assessment import assess

HAMSTRINGS = {
    "pain_regions": ["low_back", "posterior_thigh_left"],
    "onset_days": 90,
    "ake_left_deg": 50,
    "slr_left_deg": 50,
    "slr_left_response": "posterior_thigh_stretch",
    "slr_left_sensitised": False,
}
ROOT_PAIN = {
    "pain_regions": ["low_back", "calf_left"],
    "onset_days": 20,
    "slr_left_response": "leg_pain_below_knee",
    "slr_left_sensitised": True,
    "slump": "positive",
    "myotome_weakness": ["S1_left"],
    "achilles_reflex_left": "reduced",
}
STRAIN = {
    "pain_regions": ["posterior_thigh_left"],
    "onset_days": 3,
    "sudden_onset_during_sprint": True,
    "runner": True,
}
PHT = {
    "pain_regions": ["buttock_left", "posterior_thigh_left"],
    "onset_days": 120,
    "modified_bent_knee_stretch_left": True,
    "ischial_tuberosity_tender_left": True,
    "pain_worse_sitting": True,
    "runner": True,
}


def programme(findings: dict[str, Any], **patient: Any) -> dict[str, Any]:
    case = make_case(findings, {"age": 35, "sex": "male", **patient})
    return build_programme(case, assess(case)["differential"])


def ids(result: dict[str, Any]) -> set[str]:
    return {item["id"] for item in result["exercises"]}


def test_a_hamstring_picture_gets_hamstring_stretches_at_the_evidence_dose() -> None:
    result = programme(HAMSTRINGS)
    assert ids(result) & {
        "hamstring_supine_strap",
        "hamstring_standing_step",
        "hamstring_seated_chair",
        "hamstring_doorway",
    }
    stretch = next(i for i in result["exercises"] if i["category"] == "stretch")
    assert stretch["dose"]["hold_s"] == 30
    assert "Bandy" in stretch["dose"]["source"]


def test_four_exercises_at_most_by_default() -> None:
    for findings in (HAMSTRINGS, ROOT_PAIN, STRAIN, PHT):
        assert 1 <= len(programme(findings)["exercises"]) <= 4


def test_radicular_pain_gets_sliders_not_static_hamstring_stretches() -> None:
    result = programme(ROOT_PAIN)
    assert ids(result) & {"sciatic_slider_seated", "sciatic_slider_supine"}
    assert "hamstring_supine_strap" not in ids(result)


def test_tight_hamstrings_with_a_nerve_root_lose_their_static_stretches_and_say_why() -> None:
    differential = [
        {"condition": "hamstring_tightness", "probability": 0.7},
        {"condition": "lumbar_radiculopathy", "probability": 0.6},
    ]
    result = build_programme(make_case({"onset_days": 40}), differential)
    assert not ids(result) & {
        "hamstring_supine_strap",
        "hamstring_standing_step",
        "hamstring_seated_chair",
        "hamstring_doorway",
    }
    left_out = {item["id"]: item["why"] for item in result["left_out"]}
    assert "hamstring_supine_strap" in left_out
    assert "nerve" in left_out["hamstring_supine_strap"].lower()


def test_an_acute_strain_gets_no_stretching_and_no_nordics() -> None:
    result = programme(STRAIN)
    categories = {item["category"] for item in result["exercises"]}
    assert "stretch" not in categories
    assert "nordic_hamstring_lowering" not in ids(result)
    assert "hamstring_heel_dig_isometric" in ids(result)


def test_proximal_tendinopathy_gets_loading_not_deep_flexion_stretches() -> None:
    result = programme(PHT)
    assert not ids(result) & {
        "hamstring_supine_strap",
        "hamstring_seated_chair",
        "hamstring_doorway",
        "hamstring_standing_step",
    }
    assert {i["category"] for i in result["exercises"]} & {"strengthening"}


def test_directional_preference_picks_the_matching_movement() -> None:
    extension = programme(
        {"pain_regions": ["low_back"], "directional_preference": "extension", "onset_days": 30}
    )
    flexion = programme(
        {"pain_regions": ["low_back"], "directional_preference": "flexion", "onset_days": 30}
    )
    assert "knees_to_chest" not in ids(extension)
    assert "seated_flexion" not in ids(extension)
    assert not ids(flexion) & {"prone_press_up", "standing_extension"}


def test_a_week_schedule_spreads_the_days() -> None:
    item = programme(HAMSTRINGS)["exercises"][0]
    assert len(item["schedule"]) == item["dose"]["days_per_week"]


@pytest.mark.parametrize("exercise_id", sorted(load_exercises()))
def test_every_exercise_renders_as_a_valid_svg(exercise_id: str) -> None:
    exercise = load_exercises()[exercise_id]
    svg = render_pose_svg(pose_from_table(exercise.pose, exercise_id), exercise.name)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert exercise.name in svg


def test_the_library_covers_what_the_clinic_needs() -> None:
    library = load_exercises()
    assert len(library) >= 20
    categories = {e.category for e in library.values()}
    assert categories == {
        "stretch",
        "neural_mobility",
        "strengthening",
        "motor_control",
        "mobility",
    }


def _pdf(findings: dict[str, Any], **patient: Any) -> PdfReader:
    plan = make_plan(make_case(findings, {"age": 35, "sex": "male", **patient}))
    html = handout_html(plan, {"exercises": plan["exercises"]}, "Riverside Acupuncture")
    out = io.BytesIO()
    from weasyprint import HTML

    HTML(string=html).write_pdf(out)
    return PdfReader(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize("findings", [HAMSTRINGS, ROOT_PAIN, STRAIN, PHT])
def test_every_handout_opens_fits_two_pages_and_says_what_matters(findings: dict[str, Any]) -> None:
    reader = _pdf(findings)
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Riverside Acupuncture" in text
    assert "urgent medical help" in text
    plan = make_plan(make_case(findings, {"age": 35, "sex": "male"}))
    for item in plan["exercises"]:
        assert item["name"].split()[0] in text


def test_a_red_flag_handout_sends_the_patient_to_a_doctor_first() -> None:
    reader = _pdf({**ROOT_PAIN, "saddle_anaesthesia": True})
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Please see a doctor first" in text
    assert "This week" not in text


def test_write_handout_pdf_reports_pages(tmp_path: Any) -> None:
    plan = make_plan(make_case(HAMSTRINGS, {"age": 35}))
    html = handout_html(plan, {"exercises": plan["exercises"]}, "Clinic")
    started = time.perf_counter()
    pages = write_handout_pdf(html, str(tmp_path / "handout.pdf"))
    assert pages <= 2
    assert (tmp_path / "handout.pdf").read_bytes().startswith(b"%PDF")
    assert time.perf_counter() - started < 30  # generous: speed is measured by make bench


def test_exercises_command_lists_the_library_and_writes_a_gallery(tmp_path: Any) -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    run = [sys.executable, "-m", "weizhong.cli", "exercises"]
    listed = subprocess.run(run, capture_output=True, text=True, cwd=root)
    assert listed.returncode == 0
    assert len(listed.stdout.splitlines()) == len(load_exercises())
    page = tmp_path / "gallery.html"
    done = subprocess.run([*run, "--gallery", str(page)], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr
    html = page.read_text()
    for exercise in load_exercises().values():
        assert exercise.id in html
