"""The names of the body regions a case records (the body chart's and the vocabulary's), in
plain English, for the chart, the notes and the reports."""

from __future__ import annotations

from weizhong.i18n import _


def _region_names() -> dict[str, str]:
    # Whole phrases per side, so a translator can put the words in the right order.
    return {
        "neck": _("Neck"),
        "upper_back": _("Upper back"),
        "low_back": _("Low back"),
        "sacrum": _("Sacrum"),
        "lower_abdomen": _("Lower abdomen"),
        "buttock_left": _("Left buttock"),
        "buttock_right": _("Right buttock"),
        "groin_left": _("Left groin"),
        "groin_right": _("Right groin"),
        "posterior_thigh_left": _("Back of the left thigh"),
        "posterior_thigh_right": _("Back of the right thigh"),
        "lateral_thigh_left": _("Outside of the left thigh"),
        "lateral_thigh_right": _("Outside of the right thigh"),
        "anterior_thigh_left": _("Front of the left thigh"),
        "anterior_thigh_right": _("Front of the right thigh"),
        "medial_thigh_left": _("Inside of the left thigh"),
        "medial_thigh_right": _("Inside of the right thigh"),
        "posterior_knee_left": _("Back of the left knee"),
        "posterior_knee_right": _("Back of the right knee"),
        "calf_left": _("Left calf"),
        "calf_right": _("Right calf"),
        "shin_left": _("Left shin"),
        "shin_right": _("Right shin"),
        "foot_left": _("Left foot and ankle"),
        "foot_right": _("Right foot and ankle"),
        "shoulder_left": _("Left shoulder"),
        "shoulder_right": _("Right shoulder"),
        "upper_arm_left": _("Left upper arm"),
        "upper_arm_right": _("Right upper arm"),
        "forearm_left": _("Left forearm"),
        "forearm_right": _("Right forearm"),
        "hand_left": _("Left hand"),
        "hand_right": _("Right hand"),
        # Not on the clickable chart, but in the case vocabulary:
        "head": _("Head"),
        "face": _("Face"),
        "chest": _("Chest"),
        "upper_abdomen": _("Upper abdomen"),
        "anterior_knee_left": _("Front of the left knee"),
        "anterior_knee_right": _("Front of the right knee"),
        "elbow_left": _("Left elbow"),
        "elbow_right": _("Right elbow"),
        "wrist_left": _("Left wrist"),
        "wrist_right": _("Right wrist"),
    }


REGION_NAMES: dict[str, str] = _region_names()
"""Plain-English name of every region id (the chart's and the vocabulary's additions)."""
