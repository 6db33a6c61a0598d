"""Scoring of the questionnaires in knowledge/data/instruments.toml.

Worked examples come from the published scoring sheets named in the data file's `source` fields.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from weizhong.reasoning.instruments import (
    DATA_FILE,
    InstrumentDataError,
    InstrumentError,
    important_change,
    instrument_definition,
    instrument_ids,
    load_instrument_file,
    score_instrument,
)

# ODI sections whose sum is 16: the example on the published scoring sheet.
ODI_SUM_16 = [2, 2, 1, 2, 2, 1, 2, 1, 2, 1]


def odi_with_sum(total: int) -> list[int | float | None]:
    """Ten ODI sections adding up to `total` (0–50), filled from the first section."""
    answers: list[int | float | None] = []
    for _ in range(10):
        section = min(5, total)
        answers.append(section)
        total -= section
    return answers


def fabq_with(values: dict[int, int]) -> list[int | float | None]:
    """16 FABQ answers, all 0 except the given 1-based items."""
    return [values.get(n, 0) for n in range(1, 17)]


# ------------------------------------------------------------------ the data file


def test_the_data_file_holds_the_seven_instruments_of_the_brief() -> None:
    assert sorted(instrument_ids()) == ["fabq", "lefs", "nprs", "odi", "psfs", "rmdq", "startback"]


def test_the_data_file_licence_names_each_owner_of_licensed_text() -> None:
    library = load_instrument_file(DATA_FILE)
    assert "Mapi Research Trust" in library.licence
    assert "Keele" in library.licence
    assert "facts" in library.licence
    assert "Mapi" in instrument_definition("odi").licence
    assert "non-commercial" in instrument_definition("startback").licence


def test_item_labels_are_short_names_not_questionnaire_text() -> None:
    for instrument_id in instrument_ids():
        for label in instrument_definition(instrument_id).item_labels:
            assert len(label) <= 45, f"{instrument_id}: {label!r} reads like questionnaire text"
    assert instrument_definition("odi").item_labels[0] == "Pain intensity"


def test_the_patient_wording_has_words_for_every_answer() -> None:
    odi = instrument_definition("odi").patient
    assert odi is not None and len(odi.questions) == 10
    assert odi.choices_for(2)[0] == "No trouble at all" and odi.choices_for(1)[0] == "No pain"
    startback = instrument_definition("startback").patient
    assert startback is not None and startback.choices_for(9)[-1] == "Extremely"
    assert instrument_definition("nprs").patient is None  # not asked at intake


def test_every_estimate_in_the_data_file_gives_a_rationale() -> None:
    for instrument_id in instrument_ids():
        definition = instrument_definition(instrument_id)
        provenances = [definition.missing.provenance]
        provenances += [s.provenance for s in definition.subscales]
        provenances += [f.provenance for f in definition.flags]
        provenances += [t.provenance for t in (definition.mcid, definition.mdc) if t is not None]
        for provenance in provenances:
            assert provenance.source or provenance.estimate
            if provenance.estimate:
                assert provenance.rationale


def test_the_result_carries_the_data_file_version() -> None:
    result = score_instrument("nprs", [4])
    assert result.knowledge_version == load_instrument_file(DATA_FILE).version == "2026.11.1"


def test_definitions_and_results_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        instrument_definition("odi").score_max = 50  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        score_instrument("nprs", [4]).score = 0  # type: ignore[misc]


def test_to_dict_is_json_ready_and_carries_the_score() -> None:
    payload = score_instrument("odi", ODI_SUM_16).to_dict()
    decoded = json.loads(json.dumps(payload))
    assert decoded["score"] == 32.0
    assert decoded["score_range"] == [0, 100]
    assert decoded["band"] == "moderate"
    assert decoded["instrument"] == "odi"


def test_instrument_ids_are_matched_whatever_the_case() -> None:
    assert score_instrument("ODI", ODI_SUM_16).instrument == "odi"


# ------------------------------------------------------------------ ODI


def test_odi_sum_16_over_ten_sections_is_32_percent() -> None:
    result = score_instrument("odi", ODI_SUM_16)
    assert result.score == 32.0
    assert result.answered == 10
    assert result.skipped == []
    assert result.score_range == (0, 100)


def test_odi_skipped_section_shrinks_the_denominator() -> None:
    answers: list[int | float | None] = [
        2,
        2,
        1,
        2,
        2,
        1,
        2,
        None,
        2,
        2,
    ]  # sum 16, sex life skipped
    result = score_instrument("odi", answers)
    assert result.score == 35.6  # 16/45 × 100 = 35.56
    assert result.answered == 9
    assert result.skipped == [8]
    assert "1 section skipped: denominator 45" in result.notes


def test_odi_two_skipped_sections_leave_a_denominator_of_40() -> None:
    answers: list[int | float | None] = [2, 2, 2, 2, 2, 2, 2, None, None, 2]  # sum 16
    result = score_instrument("odi", answers)
    assert result.score == 40.0
    assert result.skipped == [8, 9]
    assert "2 sections skipped: denominator 40" in result.notes


def test_odi_refuses_three_skipped_sections() -> None:
    answers: list[int | float | None] = [None, None, None, 1, 1, 1, 1, 1, 1, 1]
    with pytest.raises(InstrumentError, match=r"3 sections skipped \(items 1, 2, 3\).*at most 2"):
        score_instrument("odi", answers)


@pytest.mark.parametrize(
    ("section_sum", "percent", "band"),
    [
        (0, 0.0, "minimal"),
        (10, 20.0, "minimal"),
        (11, 22.0, "moderate"),
        (20, 40.0, "moderate"),
        (21, 42.0, "severe"),
        (30, 60.0, "severe"),
        (31, 62.0, "crippled"),
        (40, 80.0, "crippled"),
        (41, 82.0, "bed-bound"),
        (50, 100.0, "bed-bound"),
    ],
)
def test_odi_band_boundaries(section_sum: int, percent: float, band: str) -> None:
    result = score_instrument("odi", odi_with_sum(section_sum))
    assert result.score == percent
    assert result.band == band


def test_odi_accepts_whole_numbers_written_as_floats() -> None:
    assert score_instrument("odi", [float(v) for v in ODI_SUM_16]).score == 32.0


def test_odi_reports_mcid_and_mdc_with_units() -> None:
    result = score_instrument("odi", ODI_SUM_16)
    assert (result.mcid, result.mdc) == (10, 10)
    assert (
        "MCID 10 percentage points or 30% of baseline; MDC90 10 percentage points" in result.notes
    )
    assert result.interpretation == "ODI 32.0% (higher is worse): moderate disability."


# ------------------------------------------------------------------ RMDQ


def test_rmdq_score_is_the_number_of_statements_that_apply() -> None:
    answers = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    result = score_instrument("rmdq", answers)
    assert result.score == 7
    assert isinstance(result.score, int)
    assert result.band == "limited"


@pytest.mark.parametrize(
    ("ticked", "band"),
    [(0, "recovered range"), (2, "recovered range"), (3, "limited"), (24, "limited")],
)
def test_rmdq_two_or_fewer_is_the_recovered_range(ticked: int, band: str) -> None:
    result = score_instrument("rmdq", [1] * ticked + [0] * (24 - ticked))
    assert result.score == ticked
    assert result.band == band


def test_rmdq_refuses_an_unanswered_item_and_says_to_enter_zero() -> None:
    with pytest.raises(InstrumentError, match=r"rmdq: too many skipped.*item 24.*enter 0"):
        score_instrument("rmdq", [0] * 23 + [None])


# ------------------------------------------------------------------ STarT Back


@pytest.mark.parametrize(
    ("answers", "total", "psychosocial", "band"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 0, "low"),
        ([1, 1, 1, 0, 0, 0, 0, 0, 0], 3, 0, "low"),  # total 3: low
        ([0, 0, 0, 0, 1, 1, 1, 0, 0], 3, 3, "low"),  # total 3 decides before the subscore
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, 0, "medium"),  # total 4, subscore 0
        ([1, 0, 0, 0, 1, 1, 1, 0, 0], 4, 3, "medium"),  # total 4, subscore 3
        ([0, 0, 0, 0, 1, 1, 1, 1, 0], 4, 4, "high"),  # subscore 4
        ([1, 1, 1, 1, 1, 1, 1, 1, 4], 9, 5, "high"),  # maximum
    ],
)
def test_startback_band_boundaries(
    answers: list[int | float | None], total: int, psychosocial: int, band: str
) -> None:
    result = score_instrument("startback", answers)
    assert result.score == total
    assert result.subscores == {"psychosocial": psychosocial}
    assert result.band == band


@pytest.mark.parametrize(("bother", "counts"), [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1)])
def test_startback_item_9_counts_only_for_very_much_or_extremely(bother: int, counts: int) -> None:
    result = score_instrument("startback", [0] * 8 + [bother])
    assert result.score == counts
    assert result.subscores["psychosocial"] == counts


def test_startback_item_9_can_tip_medium_into_high() -> None:
    physical_and_three_psychosocial = [0, 0, 0, 1, 1, 1, 1, 0]
    moderately = score_instrument("startback", [*physical_and_three_psychosocial, 2])
    very_much = score_instrument("startback", [*physical_and_three_psychosocial, 3])
    assert (moderately.score, moderately.band) == (4, "medium")
    assert (very_much.score, very_much.band) == (5, "high")
    assert "item 9 answered 2: counts 0 (only 3–4 count)" in moderately.notes


def test_startback_items_1_to_8_take_only_agree_or_disagree() -> None:
    with pytest.raises(InstrumentError, match=r"startback item 1: 2 is not allowed; answer 0 or 1"):
        score_instrument("startback", [2, 0, 0, 0, 0, 0, 0, 0, 0])


def test_startback_item_9_takes_0_to_4() -> None:
    with pytest.raises(InstrumentError, match=r"startback item 9: 5 is not allowed; answer 0–4"):
        score_instrument("startback", [0] * 8 + [5])


# ------------------------------------------------------------------ NPRS


@pytest.mark.parametrize(
    ("rating", "band"),
    [
        (0, "none"),
        (1, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
)
def test_nprs_score_is_the_rating_with_its_band(rating: int, band: str) -> None:
    result = score_instrument("nprs", [rating])
    assert result.score == rating
    assert result.band == band


def test_nprs_takes_whole_numbers_from_0_to_10() -> None:
    with pytest.raises(
        InstrumentError, match=r"nprs item 1: 7.5 is not allowed \(whole numbers only\)"
    ):
        score_instrument("nprs", [7.5])
    with pytest.raises(InstrumentError, match=r"nprs item 1: 11 is not allowed; answer 0–10"):
        score_instrument("nprs", [11])


# ------------------------------------------------------------------ PSFS


def test_psfs_score_is_the_mean_of_three_activities() -> None:
    result = score_instrument("psfs", [3, 4, 4])
    assert result.score == 3.67
    assert result.answered == 3
    assert result.band is None


def test_psfs_accepts_decimal_ratings_and_up_to_five_activities() -> None:
    assert score_instrument("psfs", [2.5, 5, 7.5, 10]).score == 6.25
    assert score_instrument("psfs", [1, 2, 3, 4, 5]).score == 3.0


@pytest.mark.parametrize("ratings", [[5, 5], [5, 5, 5, 5, 5, 5]])
def test_psfs_needs_three_to_five_activities(ratings: list[int | float | None]) -> None:
    with pytest.raises(InstrumentError, match=r"psfs expects 3 to 5 answers \(one per activity\)"):
        score_instrument("psfs", ratings)


def test_psfs_refuses_a_blank_activity_rating() -> None:
    with pytest.raises(InstrumentError, match=r"psfs: too many skipped: 1 activity skipped"):
        score_instrument("psfs", [3, None, 4])


def test_psfs_ratings_stay_within_0_to_10() -> None:
    with pytest.raises(InstrumentError, match=r"psfs item 2: 10.5 is not allowed; answer 0–10"):
        score_instrument("psfs", [3, 10.5, 4])


# ------------------------------------------------------------------ FABQ


@pytest.mark.parametrize("item", range(1, 17))
def test_fabq_item_map_puts_each_item_in_its_subscale(item: int) -> None:
    # Waddell 1993 map: PA = items 2–5; W = items 6, 7, 9, 10, 11, 12, 15; the rest in neither.
    result = score_instrument("fabq", fabq_with({item: 6}))
    assert result.subscores["physical_activity"] == (6 if item in {2, 3, 4, 5} else 0)
    assert result.subscores["work"] == (6 if item in {6, 7, 9, 10, 11, 12, 15} else 0)
    assert result.score == 6


def test_fabq_subscale_sums_and_maxima() -> None:
    mixed = fabq_with({1: 6, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 8: 6, 9: 1, 10: 2, 15: 3})
    result = score_instrument("fabq", mixed)
    assert result.subscores == {"physical_activity": 10, "work": 17}
    assert result.score == 39
    top = score_instrument("fabq", [6] * 16)
    assert top.subscores == {"physical_activity": 24, "work": 42}
    assert top.score == 96


@pytest.mark.parametrize(
    ("work_items", "work", "cpr_note", "elevated_note"),
    [
        ({6: 6, 7: 6, 9: 6}, 18, True, False),
        ({6: 6, 7: 6, 9: 6, 10: 1}, 19, False, False),
        ({6: 6, 7: 6, 9: 6, 10: 6, 11: 5}, 29, False, False),
        ({6: 6, 7: 6, 9: 6, 10: 6, 11: 6}, 30, False, True),
    ],
)
def test_fabq_work_cut_offs_are_reported_at_their_boundaries(
    work_items: dict[int, int], work: int, cpr_note: bool, elevated_note: bool
) -> None:
    result = score_instrument("fabq", fabq_with(work_items))
    assert result.subscores["work"] == work
    assert any("prediction rule" in note for note in result.notes) is cpr_note
    assert any("above 29" in note for note in result.notes) is elevated_note


def test_fabq_physical_activity_above_14_is_flagged() -> None:
    high = score_instrument("fabq", fabq_with({2: 6, 3: 6, 4: 3}))
    borderline = score_instrument("fabq", fabq_with({2: 6, 3: 6, 4: 2}))
    assert high.subscores["physical_activity"] == 15
    assert any("FABQ-PA above 14" in note for note in high.notes)
    assert not any("FABQ-PA above 14" in note for note in borderline.notes)


def test_fabq_refuses_a_skipped_item_rather_than_prorating() -> None:
    with pytest.raises(InstrumentError, match=r"fabq: too many skipped.*item 9"):
        score_instrument("fabq", [0] * 8 + [None] + [0] * 7)


# ------------------------------------------------------------------ LEFS


def test_lefs_total_is_the_sum_of_twenty_items() -> None:
    assert score_instrument("lefs", [4] * 20).score == 80
    assert score_instrument("lefs", [0] * 20).score == 0
    result = score_instrument("lefs", [4] * 10 + [2] * 5 + [1] * 5)
    assert result.score == 55
    assert result.direction == "higher_is_better"
    assert result.interpretation == "LEFS 55/80 (higher is better)."


def test_lefs_notes_a_score_at_the_healthy_median() -> None:
    at_median = score_instrument("lefs", [4] * 17 + [3] * 3)  # 77
    below = score_instrument("lefs", [4] * 16 + [3] * 4)  # 76
    assert at_median.score == 77
    assert any("healthy-population median" in note for note in at_median.notes)
    assert not any("healthy-population median" in note for note in below.notes)


def test_lefs_refuses_a_skipped_item() -> None:
    with pytest.raises(InstrumentError, match=r"lefs: too many skipped: 1 item skipped \(item 3\)"):
        score_instrument("lefs", [4, 4, None] + [4] * 17)


# ------------------------------------------------------------------ errors


def test_unknown_instrument_lists_the_known_ids() -> None:
    with pytest.raises(
        InstrumentError, match=r"unknown instrument 'sf36'; known instruments: odi, "
    ):
        score_instrument("sf36", [1])


def test_wrong_number_of_answers_says_how_many_are_expected() -> None:
    with pytest.raises(InstrumentError, match=r"odi expects 10 answers \(one per section\), got 9"):
        score_instrument("odi", [1] * 9)
    with pytest.raises(InstrumentError, match=r"rmdq expects 24 answers"):
        score_instrument("rmdq", [0] * 25)


def test_out_of_range_value_names_the_instrument_item_and_what_is_allowed() -> None:
    answers = [1, 1, 1, 7, 1, 1, 1, 1, 1, 1]
    with pytest.raises(InstrumentError) as caught:
        score_instrument("odi", answers)
    assert str(caught.value) == "odi item 4: 7 is not allowed; answer 0–5, or '-' for skipped"


@pytest.mark.parametrize("bad", ["3", True, float("nan"), float("inf"), [1]])
def test_non_number_answer_is_refused(bad: object) -> None:
    answers = [1, bad, 1, 1, 1, 1, 1, 1, 1, 1]
    with pytest.raises(InstrumentError, match=r"odi item 2: .* not a (finite )?number; answer 0–5"):
        score_instrument("odi", answers)  # type: ignore[arg-type]


def test_answers_must_be_a_list() -> None:
    with pytest.raises(InstrumentError, match=r"nprs: answers must be a list"):
        score_instrument("nprs", "7")  # type: ignore[arg-type]


def test_instrument_error_is_a_value_error() -> None:
    assert issubclass(InstrumentError, ValueError)


# ------------------------------------------------------------------ important_change


def test_odi_improvement_of_ten_points_is_important() -> None:
    change = important_change("odi", 50, 40)
    assert change["change"] == -10
    assert change["improvement"] == 10
    assert change["direction"] == "improved"
    assert change["threshold"] == 10
    assert change["important"] is True
    assert change["important_improvement"] is True


def test_odi_improvement_below_ten_points_and_30_percent_is_not_important() -> None:
    change = important_change("odi", 50, 41)  # 9 points, 18%
    assert change["important"] is False
    assert change["percent_improvement"] == 18.0


def test_odi_30_percent_rule_counts_from_a_low_baseline() -> None:
    change = important_change("odi", 20, 14)  # 6 points = 30% of 20
    assert change["important_improvement"] is True
    assert change["threshold"] == 6
    assert "30% of baseline 20" in str(change["threshold_used"])
    assert change["beyond_mdc"] is False
    assert change["notes"]  # warns that 6 points is within measurement error


def test_odi_worsening_by_the_mcid_is_important_too() -> None:
    change = important_change("odi", 30, 40)
    assert change["direction"] == "worsened"
    assert change["important_worsening"] is True
    assert change["important_improvement"] is False
    assert change["important"] is True


def test_odi_small_worsening_is_not_important() -> None:
    change = important_change("odi", 30, 36)  # 6 points worse is 20%, but % rules are for gains
    assert change["important"] is False


@pytest.mark.parametrize(
    ("instrument_id", "before", "after", "important", "direction"),
    [
        ("lefs", 40, 49, True, "improved"),  # higher is better: +9 reaches the MCID
        ("lefs", 40, 48, False, "improved"),
        ("lefs", 49, 40, True, "worsened"),
        ("psfs", 4, 6.3, True, "improved"),  # +2.3 reaches the MCID
        ("psfs", 5.9, 8.2, True, "improved"),  # 8.2 − 5.9 is 2.299999… in floating point
        ("psfs", 4, 6.2, False, "improved"),
        ("psfs", 6.3, 4, True, "worsened"),
        ("nprs", 6, 4, True, "improved"),  # lower is better: −2 reaches the MCID
        ("nprs", 8, 7, False, "improved"),  # 1 point, 12.5%
        ("nprs", 3, 2, True, "improved"),  # 1 point but 33% of baseline
        ("nprs", 4, 6, True, "worsened"),
        ("rmdq", 12, 7, True, "improved"),
        ("rmdq", 20, 16, False, "improved"),  # 4 points, 20%
        ("rmdq", 10, 10, False, "unchanged"),
    ],
)
def test_important_change_respects_each_instruments_direction(
    instrument_id: str, before: float, after: float, important: bool, direction: str
) -> None:
    change = important_change(instrument_id, before, after)
    assert change["important"] is important
    assert change["direction"] == direction


def test_important_change_refuses_instruments_without_an_mcid() -> None:
    with pytest.raises(InstrumentError, match=r"startback: no minimal clinically important change"):
        important_change("startback", 5, 2)
    with pytest.raises(InstrumentError, match=r"fabq: no minimal clinically important change"):
        important_change("fabq", 50, 20)


def test_important_change_refuses_scores_outside_the_range() -> None:
    with pytest.raises(InstrumentError, match=r"odi before: 120 is outside the score range 0–100"):
        important_change("odi", 120, 30)
    with pytest.raises(InstrumentError, match=r"lefs after: True is not a number"):
        important_change("lefs", 40, True)


# ------------------------------------------------------------------ malformed data files


def _mutated_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = DATA_FILE.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found in the data file"
    path = tmp_path / "instruments.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_shipped_data_file_loads_cleanly(tmp_path: Path) -> None:
    copy = _mutated_copy(tmp_path, 'version = "2026.11.1"', 'version = "2026.11.1"')
    assert [d.id for d in load_instrument_file(copy).instruments] == instrument_ids()


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'points = 10\npercent = 30\nsource = "Ostelo 2008, Spine 33:90 (international',
            'points = 10\npercent = 30\nsourc = "Ostelo 2008, Spine 33:90 (international',
            r"instrument 'odi'\.mcid: unknown key\(s\) sourc",
        ),
        (
            "items = [6, 7, 9, 10, 11, 12, 15]\nmax = 42",
            "items = [6, 7, 9, 10, 11, 12, 15]\nmax = 40",
            r"instrument 'fabq'\.subscale\[1\]: 'max' 40 does not match",
        ),
        ('id = "lefs"', 'id = "odi"', r"instrument 'odi': duplicate id \(entry #7\)"),
        (
            "answer_max = 4\n",
            "answer_max = 5\n",
            r"instrument 'lefs': score range 0–80 does not match",
        ),
        ('"Travelling",\n]', "]", r"instrument 'odi': 'item_labels' has 9 labels for 10 items"),
        (
            "max_skipped = 2\n",
            "max_skipped = 0\n",
            r"instrument 'odi'\.missing: rule 'none' goes with max_skipped = 0",
        ),
        (
            '{ label = "bed-bound", max = 100,',
            '{ label = "bed-bound", max = 99,',
            r"instrument 'odi'\.bands: bands must end at score_max 100",
        ),
        (
            'direction = "higher_is_better"\nmethod = "sum"',
            'direction = "lower_is_better"\nmethod = "sum"',
            r"instrument 'lefs': 'direction' is 'lower_is_better'",
        ),
        ('[meta]\nname = "instruments"', '[meta\nname = "instruments"', r"is not valid TOML"),
        (
            '  "Travel: trips by car, bus or train",\n',
            "",
            r"instrument 'odi'\.patient: 'questions' has 9 questions for 10 items",
        ),
        (
            'choices = ["No", "Yes"]',
            'choices = ["No", "Maybe", "Yes"]',
            r"instrument 'startback'\.patient: 'choices' has 3 words; item 1 takes 2 answers",
        ),
        (
            '{ item = 9, choices = ["Not at all", "A little", "Some", "Very much", "Extremely"] }',
            '{ item = 9, choices = ["Not at all", "Extremely"] }',
            r"item 9 takes 5 answers, not 2",
        ),
        (
            'ends = ["0: I cannot do it at all", "10: I can do it as well as before the problem"]',
            'choices = ["no", "yes"]',
            r"instrument 'psfs'\.patient: 'choices' has 2 words; item 1 takes 11 answers",
        ),
    ],
)
def test_a_malformed_entry_names_the_file_the_entry_and_the_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    path = _mutated_copy(tmp_path, old, new)
    with pytest.raises(InstrumentDataError, match=problem) as caught:
        load_instrument_file(path)
    assert str(caught.value).startswith(path.name)  # the file by name, as every knowledge error


def test_a_number_without_source_or_estimate_is_refused(tmp_path: Path) -> None:
    path = _mutated_copy(
        tmp_path,
        'points = 9\nsource = "Binkley 1999',
        'points = 9\nrationale = "Binkley 1999',
    )
    with pytest.raises(InstrumentDataError, match=r"instrument 'lefs'\.mcid: needs a 'source'"):
        load_instrument_file(path)


def test_an_estimate_without_rationale_is_refused(tmp_path: Path) -> None:
    path = _mutated_copy(
        tmp_path,
        'rationale = "A one-item scale has nothing to score without its item."\n',
        "",
    )
    with pytest.raises(
        InstrumentDataError, match=r"instrument 'nprs'\.missing: 'estimate = true' needs"
    ):
        load_instrument_file(path)


def test_a_missing_file_is_reported_with_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(InstrumentDataError, match=r"nowhere\.toml: file: cannot be read"):
        load_instrument_file(missing)
