"""The acupuncture point atlas: channels, points and the relations between channels.

Read from ``data/atlas/*.toml`` (format: ``data/atlas/FORMAT.md``) into frozen records, checked
on load: WHO point counts per channel, consecutive codes, vocabularies, and the safety fields
the planner relies on (an organ below always comes with a depth limit).
"""

from __future__ import annotations

import hashlib
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from weizhong.errors import KnowledgeError
from weizhong.knowledge.registry import BUNDLED_DIR, knowledge_path
from weizhong.knowledge.tables import Table, read_toml

# The body-chart region each muscle of the case format lies in (a trigger point is charted,
# and checked against implant sites, by its muscle).
MUSCLE_REGIONS = {
    "hamstrings": "posterior_thigh", "iliopsoas": "groin", "quadratus_lumborum": "low_back",
    "gluteus_medius": "buttock", "gluteus_minimus": "buttock", "piriformis": "buttock",
    "erector_spinae": "low_back", "gastrocnemius": "calf", "rectus_femoris": "anterior_thigh",
    "tensor_fasciae_latae": "lateral_thigh", "adductors": "medial_thigh", "multifidus": "low_back",
}  # fmt: skip

ATLAS_DIR = BUNDLED_DIR / "atlas"
# WHO Standard Acupuncture Point Locations (2008): points per channel, 361 in all.
WHO_COUNTS = {
    "LU": 11, "LI": 20, "ST": 45, "SP": 21, "HT": 9, "SI": 19, "BL": 67,
    "KI": 27, "PC": 9, "TE": 23, "GB": 44, "LR": 14, "GV": 28, "CV": 24,
}  # fmt: skip
REGIONS = frozenset(
    [
        "head",
        "face",
        "neck",
        "chest",
        "upper_abdomen",
        "lower_abdomen",
        "upper_back",
        "low_back",
        "sacrum",
        "buttock",
        "groin",
        "posterior_thigh",
        "lateral_thigh",
        "anterior_thigh",
        "medial_thigh",
        "posterior_knee",
        "anterior_knee",
        "calf",
        "shin",
        "foot",
        "shoulder",
        "upper_arm",
        "elbow",
        "forearm",
        "wrist",
        "hand",
    ]
)
CAUTION_KINDS = frozenset(("pregnancy", "organ", "vessel", "nerve", "eye", "other"))
CATEGORIES = frozenset(
    [
        "jing_well",
        "ying_spring",
        "shu_stream",
        "jing_river",
        "he_sea",
        "yuan_source",
        "luo_connecting",
        "xi_cleft",
        "back_shu",
        "front_mu",
        "confluent",
        "lower_he_sea",
        "influential",
        "command_point",
        "horary",
        "window_of_heaven",
        "ghost_point",
    ]
)
ORGANS = frozenset(
    ["lung", "kidney", "heart", "liver", "spleen", "bladder", "eye", "spinal_cord", "brain"]
)
ANGLES = ("perpendicular", "oblique", "transverse", "prick", "superficial")
PREGNANCY = ("forbidden", "caution")


def _error(file: str, where: str, problem: str) -> KnowledgeError:
    return KnowledgeError(f"atlas/{file}", where, problem)


def plain(text: str) -> str:
    """Lower case without tone marks, spaces or hyphens: 'Wěizhōng' → 'weizhong'."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


@dataclass(frozen=True)
class Caution:
    kind: str
    text: str


@dataclass(frozen=True)
class Point:
    code: str
    channel: str  # the channel code, or "EX"
    pinyin: str
    hanzi_traditional: str
    hanzi_simplified: str
    english: str
    regions: tuple[str, ...]
    location: str
    who_page: int | None
    depth_cun: tuple[float, float]
    angle: str
    structures: str
    cautions: tuple[Caution, ...]
    categories: tuple[str, ...]
    pregnancy: str | None = None
    organ_below: str | None = None
    depth_limit_cun: float | None = None
    group: str | None = None
    note: str = ""
    source: str = ""

    @cached_property
    def search_keys(self) -> tuple[str, ...]:
        return (
            plain(self.code),
            plain(self.pinyin),
            plain(self.english),
            self.hanzi_traditional,
            self.hanzi_simplified,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code, "channel": self.channel, "pinyin": self.pinyin,
            "hanzi_traditional": self.hanzi_traditional,
            "hanzi_simplified": self.hanzi_simplified, "english": self.english,
            "regions": list(self.regions), "location": self.location,
            "who_page": self.who_page, "depth_cun": list(self.depth_cun), "angle": self.angle,
            "structures": self.structures,
            "cautions": [{"kind": c.kind, "text": c.text} for c in self.cautions],
            "categories": list(self.categories), "pregnancy": self.pregnancy,
            "organ_below": self.organ_below, "depth_limit_cun": self.depth_limit_cun,
            "group": self.group, "note": self.note,
        }  # fmt: skip


@dataclass(frozen=True)
class Channel:
    code: str
    english: str
    name: str
    pinyin: str
    hanzi_traditional: str
    hanzi_simplified: str
    limb: str
    polarity: str
    organ_pair: str | None
    clock_hours: str | None
    course: str
    regions: tuple[str, ...]
    points: tuple[str, ...]  # codes in order


@dataclass(frozen=True)
class Atlas:
    version: str
    channels: dict[str, Channel]
    points: dict[str, Point]  # in channel order, then EX

    def point(self, code: str) -> Point:
        """The point with this code (any case, spaces ignored); KeyError with a hint if none."""
        if (exact := self.points.get(code)) is not None:
            return exact
        found = self._by_plain_code.get(plain(code).upper())
        if found is None:
            raise KeyError(f"no point '{code}' in the atlas")
        return found

    @cached_property
    def _by_plain_code(self) -> dict[str, Point]:
        """The points by their code as ``point`` compares it (built once per atlas)."""
        index: dict[str, Point] = {}
        for point in self.points.values():
            index.setdefault(plain(point.code).upper(), point)
        return index

    def search(
        self,
        query: str = "",
        channel: str | None = None,
        region: str | None = None,
        category: str | None = None,
    ) -> list[Point]:
        """Points matching every filter: code, pinyin (tones optional), English or characters."""
        wanted = plain(query)
        found = []
        for point in self.points.values():
            if channel and point.channel != channel.upper():
                continue
            if region and region not in point.regions:
                continue
            if category and category not in point.categories:
                continue
            if query and not _matches(point, query, wanted):
                continue
            found.append(point)
        exact = [p for p in found if wanted and plain(p.code) == wanted]
        return exact or found

    def counts(self) -> dict[str, int]:
        by_channel = {code: len(ch.points) for code, ch in self.channels.items()}
        extra = sum(1 for p in self.points.values() if p.channel == "EX")
        return {**by_channel, "EX": extra, "total": len(self.points)}


def _matches(point: Point, query: str, wanted: str) -> bool:
    code, pinyin, english, traditional, simplified = point.search_keys
    if wanted and (wanted == code or wanted in pinyin or wanted in english):
        return True
    return query in traditional or query in simplified


def _point(table: Table, channel: str) -> Point:
    table.only((
        "code", "pinyin", "hanzi_traditional", "hanzi_simplified", "english", "regions",
        "location", "who_page", "who_page_unknown", "depth_cun", "angle", "structures",
        "cautions", "pregnancy", "organ_below", "depth_limit_cun", "categories", "group",
        "note", "source",
    ))  # fmt: skip
    regions = table.texts("regions")
    if bad := [r for r in regions if r not in REGIONS]:
        table.fail(f"unknown region(s) {', '.join(bad)}")
    categories = table.opt_texts("categories")
    if bad := [c for c in categories if c not in CATEGORIES]:
        table.fail(f"unknown categories {', '.join(bad)}")
    depth = table.data.get("depth_cun")
    if not (
        isinstance(depth, list)
        and len(depth) == 2
        and all(isinstance(d, int | float) and not isinstance(d, bool) for d in depth)
        and 0 <= depth[0] <= depth[1] <= 4
    ):
        table.fail("'depth_cun' must be [shallowest, deepest] in cun, 0–4")
    who_page = table.opt_integer("who_page")
    if who_page is None and not table.opt_flag("who_page_unknown", False):
        table.fail("needs 'who_page' (WHO 2008) or 'who_page_unknown = true'")
    cautions = []
    for item in table.opt_tables("cautions"):
        kind = item.text("kind")
        if kind not in CAUTION_KINDS:
            item.fail(f"caution kind '{kind}' is not one of {', '.join(sorted(CAUTION_KINDS))}")
        cautions.append(Caution(kind, item.text("text")))
    organ = table.opt_text("organ_below")
    limit = table.opt_number("depth_limit_cun")
    if organ is not None and (organ not in ORGANS or limit is None):
        table.fail(
            f"'organ_below' must be one of {', '.join(sorted(ORGANS))}, with a 'depth_limit_cun'"
        )
    pregnancy = table.opt_text("pregnancy")
    if pregnancy is not None and pregnancy not in PREGNANCY:
        table.fail("'pregnancy' is 'forbidden' or 'caution'")
    return Point(
        code=table.text("code"), channel=channel, pinyin=table.text("pinyin"),
        hanzi_traditional=table.text("hanzi_traditional"),
        hanzi_simplified=table.text("hanzi_simplified"), english=table.text("english"),
        regions=regions, location=table.text("location"), who_page=who_page,
        depth_cun=(float(depth[0]), float(depth[1])), angle=table.choice("angle", ANGLES),
        structures=table.text("structures"), cautions=tuple(cautions), categories=categories,
        pregnancy=pregnancy, organ_below=organ, depth_limit_cun=limit,
        group=table.opt_text("group"), note=table.opt_text("note") or "",
        source=table.opt_text("source") or "",
    )  # fmt: skip


def _point_tables(top: Table) -> tuple[Table, ...]:
    """The [[point]] tables, each labelled by its code for error messages."""
    tables = top.opt_tables("point")
    for n, table in enumerate(tables, 1):
        table.where = f"point {table.data.get('code') or f'#{n}'}"
    return tables


def _channel_file(path: Path, raw: dict[str, object]) -> tuple[Channel, list[Point]]:
    top = Table(raw, path.name, "top level", _error)
    info = top.table("channel")
    code = info.text("code")
    if code != path.stem or code not in WHO_COUNTS:
        info.fail(f"channel code '{code}' must match the file name and be a WHO channel")
    points = [_point(table, code) for table in _point_tables(top)]
    expected = [f"{code}{n}" for n in range(1, WHO_COUNTS[code] + 1)]
    actual = [p.code for p in points]
    if actual != expected:
        missing = sorted(set(expected) - set(actual), key=expected.index)
        extra = [c for c in actual if c not in expected]
        top.fail(
            f"{code} needs {WHO_COUNTS[code]} points {code}1…{code}{WHO_COUNTS[code]} in "
            f"order; missing {missing or 'none'}, unexpected {extra or 'none'}"
        )
    if info.integer("point_count") != WHO_COUNTS[code]:
        info.fail(f"'point_count' must be {WHO_COUNTS[code]} (WHO 2008)")
    regions = info.texts("regions")
    if bad := [r for r in regions if r not in REGIONS]:
        info.fail(f"unknown region(s) {', '.join(bad)}")
    channel = Channel(
        code=code, english=info.text("english"), name=info.text("name"),
        pinyin=info.text("pinyin"), hanzi_traditional=info.text("hanzi_traditional"),
        hanzi_simplified=info.text("hanzi_simplified"),
        limb=info.choice("limb", ("hand", "foot", "trunk")),
        polarity=info.choice("polarity", ("yin", "yang")),
        organ_pair=info.opt_text("organ_pair"), clock_hours=info.opt_text("clock_hours"),
        course=info.text("course"), regions=regions, points=tuple(actual),
    )  # fmt: skip
    return channel, points


def load_atlas(folder: Path | None = None) -> Atlas:
    """The atlas in ``folder`` (default: the knowledge folder's atlas/), read and checked once."""
    return _load_atlas(folder or knowledge_path("atlas"))


@cache
def _load_atlas(folder: Path) -> Atlas:
    """Load and check every channel file and the extra points; KnowledgeError on a problem."""
    digest = hashlib.sha256()
    channels: dict[str, Channel] = {}
    points: dict[str, Point] = {}
    versions = []
    for code in (*WHO_COUNTS, "EX"):
        path = folder / f"{code}.toml"
        try:
            data = path.read_bytes()
            raw = tomllib.loads(data.decode("utf-8"))
        except OSError as error:
            raise _error(path.name, "file", f"cannot be read ({error.strerror})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise _error(path.name, "file", f"is not valid TOML: {error}") from None
        digest.update(f"{code}:{len(data)}:".encode())
        digest.update(data)
        meta = Table(raw, path.name, "[meta]", _error).table("meta")
        versions.append(meta.text("version"))
        meta.text("licence")
        if code == "EX":
            top = Table(raw, path.name, "top level", _error)
            new = [_point(table, "EX") for table in _point_tables(top)]
        else:
            channel, new = _channel_file(path, raw)
            channels[code] = channel
        for point in new:
            if point.code in points:
                raise _error(path.name, point.code, "duplicate point code")
            points[point.code] = point
    return Atlas(f"{max(versions)}+{digest.hexdigest()[:10]}", channels, points)


Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ChannelRelations:
    """Channel pairings for distal and balancing point selection (relations.toml)."""

    same_name: Pairs
    interior_exterior: Pairs
    clock_order: tuple[str, ...]
    clock_start_hour: int
    balance_systems: dict[int, Pairs]  # Tan's systems 1–5; a practitioner heuristic
    mirror: Pairs  # lower-limb region ↔ upper-limb region
    reverse_mirror: Pairs
    classical_source: str
    balance_source: str

    def clock_opposite(self, channel: str) -> str:
        index = self.clock_order.index(channel)
        return self.clock_order[(index + 6) % 12]

    def partners(self, channel: str, pairs: Pairs) -> tuple[str, ...]:
        return tuple(b if a == channel else a for a, b in pairs if channel in (a, b))


def _pairs(table: Table, key: str, allowed: frozenset[str]) -> Pairs:
    value = table.data.get(key)
    if not (
        isinstance(value, list)
        and all(isinstance(p, list) and len(p) == 2 and all(x in allowed for x in p) for p in value)
    ):
        table.fail(f"'{key}' must be a list of pairs of known ids")
    return tuple((str(a), str(b)) for a, b in value)


def load_relations(folder: Path | None = None) -> ChannelRelations:
    """The channel relations (atlas/relations.toml), read and checked once."""
    return _load_relations(folder or knowledge_path("atlas"))


@cache
def _load_relations(folder: Path) -> ChannelRelations:
    top = read_toml(folder / "relations.toml", _error)
    top.table("meta").text("version")
    channels = frozenset(WHO_COUNTS) - {"GV", "CV"}
    classical = top.table("classical")
    balance = top.table("balance_method")
    mirror = top.table("limb_mirror")
    order = classical.texts("clock_order")
    if sorted(order) != sorted(channels):
        classical.fail("'clock_order' must list the twelve regular channels once each")
    opposites = tuple((order[i], order[i + 6]) for i in range(6))
    same_name = _pairs(classical, "same_name", channels)
    interior_exterior = _pairs(classical, "interior_exterior", channels)
    return ChannelRelations(
        same_name=same_name,
        interior_exterior=interior_exterior,
        clock_order=order,
        clock_start_hour=classical.integer("clock_start_hour"),
        balance_systems={
            1: same_name,
            2: _pairs(balance, "system_2", channels),
            3: interior_exterior,
            4: opposites,
            5: _pairs(balance, "system_5", channels),
        },
        mirror=_pairs(mirror, "mirror", REGIONS),
        reverse_mirror=_pairs(mirror, "reverse_mirror", REGIONS),
        classical_source=classical.text("source"),
        balance_source=balance.text("source"),
    )
