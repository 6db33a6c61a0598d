"""Small helpers for how findings and regions are said to clinicians (numbers: weizhong.numbers)."""

from __future__ import annotations

from weizhong.knowledge import Knowledge, load_knowledge
from weizhong.numbers import percent as percent  # re-exported: it was defined here


def region_words(region: str) -> str:
    """A body-chart region as a person says it: 'calf_left' is 'left calf'."""
    base, _, side = region.rpartition("_")
    if side in ("left", "right") and base:
        return f"{side} {base.replace('_', ' ')}"
    return region.replace("_", " ")


def finding_label(
    finding: str, knowledge: Knowledge | None = None, *, side: bool = False, lower: bool = False
) -> str:
    """A finding as a person reads it: its label (never its id), with its side when asked
    ('... (left)'), starting lower-case when it goes inside a sentence."""
    definition = (knowledge or load_knowledge()).findings.get(finding)
    label = definition.label if definition else finding.replace("_", " ")
    if side and definition is not None and definition.side:
        label += f" ({definition.side})"
    return label[:1].lower() + label[1:] if lower else label


# Medication classes whose id, with its underscores as spaces, is not how a clinician says it
# (issue 13: the chart showed "ssri snri"). The others read well as words ("beta blocker").
MEDICATION_CLASS_WORDS = {
    "ssri_snri": "SSRI or SNRI",
    "nsaid": "NSAID",
    "dmard": "DMARD",
    "pde5_inhibitor": "PDE5 inhibitor",
    "h2_antagonist": "H2 antagonist",
    "adhd_medication": "ADHD medication",
    "corticosteroid_inhaled": "inhaled corticosteroid",
    "corticosteroid_topical": "topical corticosteroid",
    "bone_antiresorptive": "bone-protecting drug (antiresorptive)",
    "endocrine_cancer_therapy": "hormone therapy for cancer",
    "lipid_lowering_other": "other lipid-lowering drug",
    "immunomodulator_other": "other immunomodulator",
    "analgesic_other": "other painkiller",
    "musculoskeletal_other": "other musculoskeletal drug",
    "gastrointestinal_other": "other gastrointestinal drug",
    "antidepressant_other": "other antidepressant",
    "anxiolytic_other": "other anxiolytic",
    "antiasthmatic_other": "other asthma or COPD drug",
}


def medication_class_words(medication_class: str) -> str:
    """A medication class as a clinician says it: "SSRI or SNRI", "beta blocker"."""
    return MEDICATION_CLASS_WORDS.get(medication_class, medication_class.replace("_", " "))
