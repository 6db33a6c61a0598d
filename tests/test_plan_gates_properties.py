"""Properties of the plan's safety gates over generated cases (issue 11).

Random findings from the knowledge vocabulary, a random patient aged 5–95, pregnancy, devices and
medications from a short list that covers every bleeding class: whatever else the case says,
- any red flag: no points, no electro-acupuncture, no manipulation, no hands-on care (HZ-02);
- a pacemaker, an ICD or any implanted stimulator: no electro-acupuncture (HZ-09);
- pregnant: no traditionally forbidden point without a recorded override (HZ-08);
- under 18: manipulation is never "likely to help" (HZ-03, HZ-10);
- bleeding risk: no point over a major artery and no deep trigger point (HZ-07).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tests.strategies import cases
from weizhong.case import Case
from weizhong.knowledge.atlas import load_atlas
from weizhong.planning.plan import make_plan
from weizhong.planning.safety import load_safety_lists
from weizhong.reasoning.assessment import assess

STIMULATORS = {
    "pacemaker", "icd", "spinal_cord_stimulator", "deep_brain_stimulator",
    "vagus_nerve_stimulator", "sacral_nerve_stimulator", "cochlear_implant",
}  # fmt: skip
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _bleeding_risk(case: Case) -> bool:
    """Anticoagulant, bleeding disorder, or an antiplatelet with an NSAID or SSRI in another
    medicine (the gates' own definition, written out independently)."""
    meds = [set(m.classes) for m in case.medications]
    if any("anticoagulant" in c for c in meds):
        return True
    if "bleeding_disorder" in case.patient.get("conditions", ()):
        return True
    return any(
        "antiplatelet" in a and {"nsaid", "ssri_snri"} & b
        for i, a in enumerate(meds)
        for j, b in enumerate(meds)
        if i != j
    )


@SETTINGS
@given(cases())
def test_any_red_flag_means_no_points_no_electro_no_manipulation_no_hands_on(case: Case) -> None:
    result = assess(case)
    if not result["red_flags"]:
        return
    plan = make_plan(case, result)
    assert plan["status"] == "refer_first"
    assert plan["acupuncture"]["points"] == []
    assert plan["acupuncture"]["electrostimulation"] is None
    assert plan["office_care"]["manipulation"]["suitability"] == "not suitable"
    assert plan["office_care"]["soft_tissue_and_mobilisation"] is None
    assert plan["office_care"]["hands_on_withheld"]


@SETTINGS
@given(cases())
def test_any_implanted_stimulator_means_no_electro(case: Case) -> None:
    if not STIMULATORS & set(case.patient.get("devices", ())):
        return
    assert make_plan(case)["acupuncture"]["electrostimulation"] is None


@SETTINGS
@given(cases())
def test_pregnant_means_no_forbidden_point_without_a_recorded_override(case: Case) -> None:
    if not case.patient.get("pregnant"):
        return
    atlas = load_atlas().points
    plan = make_plan(case, max_points=30)
    forbidden = [
        p["code"]
        for p in plan["acupuncture"]["points"]
        if p["code"] in atlas and atlas[p["code"]].pregnancy == "forbidden"
    ]
    assert forbidden == [] or any(
        o["rule"] == "pregnancy_forbidden_point" for o in plan["overrides"]
    )
    assert plan["patient"]["pregnant"] is True


@SETTINGS
@given(cases())
def test_under_18_manipulation_is_never_likely_to_help(case: Case) -> None:
    if case.patient["age"] >= 18:
        return
    plan = make_plan(case)
    assert plan["office_care"]["manipulation"]["suitability"] != "likely to help"


@SETTINGS
@given(cases())
def test_bleeding_risk_means_no_major_vessel_point_and_no_deep_trigger_point(case: Case) -> None:
    if not _bleeding_risk(case):
        return
    lists = load_safety_lists()
    plan = make_plan(case, max_points=30)
    for point in plan["acupuncture"]["points"]:
        assert point["code"] not in lists.major_vessels, point["code"]
        assert point.get("muscle") not in lists.deep_trigger_points, point.get("muscle")


@SETTINGS
@given(cases())
def test_every_warning_has_a_heading_in_words(case: Case) -> None:
    """The plan pages head each warning with its title; without one they fell back to the id
    with spaces ("childs rule population", "herb ...")."""
    plan = make_plan(case, assess(case))
    for warning in plan["warnings"]:
        title = warning.get("title", "")
        assert title and "_" not in title, warning
