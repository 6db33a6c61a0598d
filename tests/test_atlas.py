"""The point atlas, checked against an independent second source (tests/fixtures)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from weizhong.knowledge import KnowledgeError
from weizhong.knowledge.atlas import ATLAS_DIR, load_atlas, load_relations, plain

ROOT = Path(__file__).resolve().parent.parent
SECOND = tomllib.loads((ROOT / "tests" / "fixtures" / "atlas_second_source.toml").read_text())


def test_per_channel_counts_match_the_who_standard() -> None:
    atlas = load_atlas()
    counts = atlas.counts()
    for channel, count in SECOND["counts"].items():
        assert counts[channel] == count, channel
    assert sum(SECOND["counts"].values()) == 361
    assert counts["total"] - counts["EX"] == 361


@pytest.mark.parametrize(("code", "name"), sorted(SECOND["names"].items()))
def test_sample_codes_and_names(code: str, name: str) -> None:
    point = load_atlas().point(code)
    assert plain(point.pinyin) == plain(name)


@pytest.mark.parametrize(("code", "categories"), sorted(SECOND["categories"].items()))
def test_sample_categories(code: str, categories: list[str]) -> None:
    assert set(categories) <= set(load_atlas().point(code).categories)


def test_safety_facts_the_planner_relies_on() -> None:
    atlas = load_atlas()
    for code in SECOND["safety"]["pregnancy_forbidden"]:
        assert atlas.point(code).pregnancy == "forbidden", code
    for code in SECOND["safety"]["over_lung"]:
        point = atlas.point(code)
        assert point.organ_below == "lung", code
        assert point.depth_limit_cun is not None
        assert point.depth_limit_cun <= point.depth_cun[1]
    for code in SECOND["safety"]["over_kidney"]:
        assert atlas.point(code).organ_below == "kidney", code


def test_every_point_is_complete() -> None:
    for point in load_atlas().points.values():
        assert point.location and point.structures and point.english, point.code
        assert point.regions, point.code
        assert point.pinyin != plain(point.pinyin) or point.channel == "EX", point.code  # tones


def test_huatuojiaji_is_listed_by_level() -> None:
    # 17 levels (T1–L5), each entry bilateral like every channel point: 34 points in all
    jiaji = [p for p in load_atlas().points.values() if p.group == "EX-B2"]
    assert [p.code for p in jiaji][:2] == ["EX-B2-T1", "EX-B2-T2"]
    assert len(jiaji) == 17
    thoracic = [p for p in jiaji if "-T" in p.code]
    assert all(p.organ_below == "lung" for p in thoracic)


@pytest.mark.parametrize(
    ("query", "expected"),
    [("BL40", ["BL40"]), ("bl 40", ["BL40"]), ("Wěizhōng", ["BL40"]), ("weizhong", ["BL40"]),
     ("委中", ["BL40"]), ("houxi", ["SI3"])],
)  # fmt: skip
def test_search_by_code_pinyin_with_or_without_tones_and_characters(
    query: str, expected: list[str]
) -> None:
    assert [p.code for p in load_atlas().search(query)] == expected


def test_search_filters_by_channel_and_region() -> None:
    found = load_atlas().search(channel="BL", region="posterior_thigh")
    codes = {p.code for p in found}
    assert {"BL36", "BL37"} <= codes
    assert all(p.channel == "BL" for p in found)


def test_the_balance_method_gives_si_lu_and_ki_for_the_bladder_channel() -> None:
    relations = load_relations()
    partners = {
        c for pairs in relations.balance_systems.values() for c in relations.partners("BL", pairs)
    }
    assert partners == {"SI", "LU", "KI"}
    assert relations.clock_opposite("BL") == "LU"


def test_a_malformed_atlas_names_the_file_and_point(tmp_path: Path) -> None:
    copy = tmp_path / "atlas"
    shutil.copytree(ATLAS_DIR, copy)
    path = copy / "BL.toml"
    text = path.read_text()
    start = text.index('code = "BL40"')
    path.write_text(
        text[:start] + text[start:].replace("regions = [", 'regions = ["knee_pit", ', 1)
    )
    with pytest.raises(KnowledgeError) as info:
        load_atlas(copy)
    assert "atlas/BL.toml" in str(info.value)
    assert "BL40" in str(info.value)
    assert "knee_pit" in str(info.value)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weizhong.cli", "points", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_points_command_shows_one_point_in_full() -> None:
    done = _run("BL40")
    assert done.returncode == 0, done.stderr
    assert "Wěizhōng" in done.stdout
    assert "WHO 2008" in done.stdout


def test_points_command_json_and_filters() -> None:
    done = _run("--channel", "GB", "--format", "json")
    assert done.returncode == 0
    assert len(json.loads(done.stdout)) == 44


def test_points_command_rejects_an_unknown_region() -> None:
    done = _run("--region", "kneepit")
    assert done.returncode == 2
    assert "unknown region 'kneepit'" in done.stderr
