"""Outcome charts: scores over time with the important-change band, and joint angles (SVG)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from weizhong.i18n import _

from .body import FONT, GRID, INK, MUTED, _e, _f, _num
from .points import _marker_svg, _text_width

# --- 4. outcome charts --------------------------------------------------------------------------

_SERIES_STYLE = (  # colour, dash pattern, marker
    ("#1f5fa8", "", "circle"),
    ("#c62828", "7 4", "square"),
    ("#1e7a3c", "2 3", "triangle"),
    ("#6f2c91", "9 3 2 3", "diamond"),
    ("#b35400", "4 2", "circle"),
)


def _ticks(lo: float, hi: float) -> list[float]:
    """3–5 round tick values for the range, including its ends where they fit."""
    span = hi - lo
    if span <= 0:
        return [lo]
    best: tuple[tuple[bool, int], list[float]] | None = None
    power = 10 ** math.floor(math.log10(span))
    for scale in (power / 100, power / 10, power, power * 10):
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = mantissa * scale
            first = math.ceil(lo / step - 1e-9)
            ticks = [round(k * step, 10) for k in range(first, int(hi / step + 1e-9) + 1)]
            if not ticks:
                continue
            if (
                mantissa == 2.5
                and lo.is_integer()
                and hi.is_integer()
                and any(not t.is_integer() for t in ticks)
            ):
                continue  # 2.5, 7.5 on a whole-number scale reads oddly
            if ticks[0] - lo >= 0.35 * step:
                ticks.insert(0, lo)
            if hi - ticks[-1] >= 0.35 * step:
                ticks.append(hi)
            if 3 <= len(ticks) <= 5:
                score = (math.isclose(ticks[0], lo) and math.isclose(ticks[-1], hi), len(ticks))
                if best is None or score > best[0]:
                    best = (score, ticks)
    return best[1] if best else [lo, (lo + hi) / 2, hi]


def _data_ticks(values: Sequence[float]) -> list[float]:
    """3–5 round ticks spanning measured values (at least 10 units), never below 0 for values
    that are all positive."""
    vmin, vmax = min(values), max(values)
    middle = (vmin + vmax) / 2
    vmin, vmax = min(vmin, middle - 5), max(vmax, middle + 5)
    pad = 0.04 * (vmax - vmin)
    for power in range(6):
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = mantissa * 10**power
            lo = math.floor((vmin - pad) / step) * step
            hi = math.ceil((vmax + pad) / step) * step
            if min(values) >= 0:
                lo = max(lo, 0.0)
            count = round((hi - lo) / step) + 1
            if 3 <= count <= 5 and (mantissa != 2.5 or lo % 5 == 0):
                return [lo + k * step for k in range(count)]
    return [vmin, middle, vmax]


def _thin(labels: Sequence[str], room: float) -> list[int]:
    """Indices of the x labels to print: every k-th, always the first and the last."""
    n = len(labels)
    if n <= 1:
        return list(range(n))
    widest = max(_text_width(label, 10) for label in labels) + 6
    every = max(1, math.ceil(widest / (room / (n - 1))))
    keep = list(range(0, n, every))
    if keep[-1] != n - 1:
        if (n - 1 - keep[-1]) < every and len(keep) > 1:
            keep.pop()  # too close to the last one
        keep.append(n - 1)
    return keep


@dataclass(frozen=True)
class _Frame:
    left: float
    top: float
    right: float
    bottom: float
    lo: float
    hi: float
    count: int

    def x(self, i: int) -> float:
        if self.count <= 1:
            return (self.left + self.right) / 2
        pad = 14.0
        return self.left + pad + i * (self.right - self.left - 2 * pad) / (self.count - 1)

    def y(self, value: float) -> float:
        value = min(max(value, self.lo), self.hi)
        return self.bottom - (value - self.lo) / (self.hi - self.lo) * (self.bottom - self.top)


def _finite(points: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    return [(str(label), float(v)) for label, v in points if math.isfinite(float(v))]


def _svg_open(width: int, height: int, label: str, kind: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img"'
        f' aria-label="{_e(label)}" font-family="{FONT}">'
    )


def _empty_chart(title: str, message: str, width: int) -> str:
    return (
        f"{_svg_open(width, 56, f'{title}: {message}', 'chart-empty')}"
        f'<text x="8" y="18" font-size="13" font-weight="bold" fill="{INK}">{_e(title)}</text>'
        f'<text x="8" y="42" font-size="12" fill="{MUTED}">{_e(message)}</text></svg>'
    )


def _axes(frame: _Frame, labels: Sequence[str], ticks: Sequence[float], suffix: str) -> str:
    parts = []
    for t in ticks:
        y = frame.y(t)
        parts.append(
            f'<line x1="{_f(frame.left)}" y1="{_f(y)}" x2="{_f(frame.right)}" y2="{_f(y)}"'
            f' stroke="{GRID}" stroke-width="1"/>'
            f'<text class="y-tick" x="{_f(frame.left - 6)}" y="{_f(y + 3.5)}" text-anchor="end"'
            f' font-size="10"'
            f' fill="{MUTED}">{_e(_num(t) + suffix)}</text>'
        )
    parts.append(
        f'<path d="M{_f(frame.left)},{_f(frame.top)} L{_f(frame.left)},{_f(frame.bottom)}'
        f' L{_f(frame.right)},{_f(frame.bottom)}" fill="none" stroke="{MUTED}" stroke-width="1"/>'
    )
    for i in _thin(labels, frame.right - frame.left - 28):
        x = frame.x(i)
        parts.append(
            f'<line x1="{_f(x)}" y1="{_f(frame.bottom)}" x2="{_f(x)}" y2="{_f(frame.bottom + 4)}"'
            f' stroke="{MUTED}"/><text class="x-label" x="{_f(x)}" y="{_f(frame.bottom + 16)}"'
            f' text-anchor="middle" font-size="10" fill="{MUTED}">{_e(labels[i])}</text>'
        )
    return "".join(parts)


def _line(
    frame: _Frame,
    name: str,
    xs: Sequence[int],
    points: Sequence[tuple[str, float]],
    style: tuple[str, str, str],
    units: str = "",
) -> str:
    """One series: the line, then a dot per value (with its label and value as a tooltip)."""
    colour, dash, marker = style
    coords = [(frame.x(i), frame.y(v)) for i, (_label, v) in zip(xs, points, strict=True)]
    parts = [f'<g class="series" data-name="{_e(name)}">']
    if len(coords) > 1:
        d = "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in coords)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path class="line" d="{d}" fill="none" stroke="{colour}" stroke-width="2.2"'
            f' stroke-linejoin="round"{dashes}/>'
        )
    for (x, y), (label, value) in zip(coords, points, strict=True):
        tip = f"{name}, {label}: {_num(value)}{units}" if name else f"{label}: {_num(value)}{units}"
        if marker == "circle":
            dot = (
                f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3.6" fill="{colour}" stroke="#ffffff"'
                f' stroke-width="1.2"/>'
            )
        else:
            dot = _marker_svg(marker, x, y, colour, 3.8)
        parts.append(f'<g class="dot"><title>{_e(tip)}</title>{dot}</g>')
    parts.append("</g>")
    return "".join(parts)


def _value_label(x: float, y: float, text: str, frame: _Frame, colour: str = INK) -> str:
    below = y - frame.top < 16  # no room above the top of the plot
    ty = y + 16 if below else y - 8
    return (
        f'<text class="value" x="{_f(x)}" y="{_f(ty)}" text-anchor="middle" font-size="10.5"'
        f' font-weight="bold" fill="{colour}" stroke="#ffffff" stroke-width="3"'
        f' paint-order="stroke">{_e(text)}</text>'
    )


def outcome_chart_svg(
    title: str,
    points: Sequence[tuple[str, float]],
    *,
    score_min: float,
    score_max: float,
    higher_is_better: bool,
    mcid: float | None = None,
    mcid_words: str = "MCID",
    units: str = "",
    width: int = 560,
    height: int = 220,
) -> str:
    """One outcome measure over time: scores as a line with labelled dots on the instrument's
    own range, and, with an MCID, the band from the first score to the first score improved by
    the MCID (scores past its dashed edge have changed by an amount patients notice). ``mcid``
    is the improvement the change rule counts from the first score
    (``weizhong.reasoning.instruments.improvement_threshold``), ``mcid_words`` how it was chosen.

    Non-finite scores are left out; scores outside the range are drawn at its edge.
    """
    data = _finite(points)
    if not data:
        return _empty_chart(title, _("No scores yet"), width)
    lo, hi = float(score_min), float(score_max)
    if hi <= lo:
        hi = lo + 1
    direction = _("higher is better") if higher_is_better else _("lower is better")
    unit = f" {units}" if units else ""
    first, latest = data[0], data[-1]
    if len(data) == 1:
        summary = _("{title}: {value}{unit} on {label}; {direction}").format(
            title=title, value=_num(first[1]), unit=unit, label=first[0], direction=direction
        )
    else:
        summary = _(
            "{title}: first {first}{unit} on {first_label}, latest {latest}{unit} on"
            " {latest_label}; {direction}"
        ).format(
            title=title, first=_num(first[1]), first_label=first[0], latest=_num(latest[1]),
            latest_label=latest[0], unit=unit, direction=direction,
        )  # fmt: skip
    frame = _Frame(44, 32, width - 16, height - 28, lo, hi, len(data))
    parts = [
        _svg_open(width, height, summary, "outcome-chart"),
        f'<text x="8" y="18" font-size="13" font-weight="bold" fill="{INK}">{_e(title)}</text>',
        f'<text x="{width - 8}" y="18" text-anchor="end" font-size="10.5" fill="{MUTED}">'
        f"{_e(direction)}{_e(f' · {units}') if units else ''}</text>",
    ]
    parts.append(_axes(frame, [d[0] for d in data], _ticks(lo, hi), ""))
    if mcid is not None and mcid > 0:
        parts.append(_mcid_band(frame, data[0][1], mcid, higher_is_better, mcid_words))
    unit_tip = f" {units}" if units and len(units) > 2 else units
    parts.append(_line(frame, "", range(len(data)), data, _SERIES_STYLE[0], unit_tip))
    values = [v for _label, v in data]
    crowded = len(data) > 1 and (frame.x(1) - frame.x(0)) < 18
    keep = {0, len(data) - 1, values.index(min(values)), values.index(max(values))}
    for i, value in enumerate(values):
        if not crowded or i in keep:  # when crowded, only the ends and the extremes
            parts.append(_value_label(frame.x(i), frame.y(value), _num(value), frame))
    parts.append("</svg>")
    return "".join(parts)


def _mcid_band(
    frame: _Frame, baseline: float, mcid: float, higher_is_better: bool, words: str
) -> str:
    target = baseline + mcid if higher_is_better else baseline - mcid
    y0, y1 = frame.y(baseline), frame.y(target)
    top, bottom = min(y0, y1), max(y0, y1)
    label = _("Important change ({words}: {mcid})").format(words=words, mcid=_num(mcid))
    parts = [
        f'<g class="mcid" data-threshold="{_num(mcid)}"><rect x="{_f(frame.left)}" y="{_f(top)}"'
        f' width="{_f(frame.right - frame.left)}" height="{_f(max(bottom - top, 0.5))}"'
        f' fill="#1e7a3c" fill-opacity="0.1"/>'
    ]
    inside = frame.lo <= target <= frame.hi
    if inside:
        parts.append(
            f'<line x1="{_f(frame.left)}" y1="{_f(y1)}" x2="{_f(frame.right)}" y2="{_f(y1)}"'
            f' stroke="#1e7a3c" stroke-width="1.4" stroke-dasharray="6 4"/>'
        )
    # The label sits on the band's side of the dashed line, at the right end.
    room_inside = bottom - top >= 14
    towards_band = 1 if y1 < y0 else -1  # +1: the band lies below the dashed line
    if room_inside:
        ty = y1 + (13 if towards_band > 0 else -4)
    else:
        ty = y1 - 4 if towards_band > 0 else y1 + 11
    ty = min(max(ty, frame.top + 10), frame.bottom - 3)
    parts.append(
        f'<text x="{_f(frame.right - 4)}" y="{_f(ty)}" text-anchor="end" font-size="10"'
        f' fill="#17602f" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
        f"{_e(label)}</text></g>"
    )
    return "".join(parts)


def angles_chart_svg(
    title: str,
    series: Mapping[str, Sequence[tuple[str, float]]],
    units: str = "°",
    *,
    width: int = 560,
    height: int = 240,
) -> str:
    """Several measurements over time (such as straight-leg raise and active knee extension on
    each side): one line each, told apart by colour, dash pattern and marker, with a legend.
    The x axis is the union of the series' labels in first-seen order; each series' latest value
    is printed at its end."""
    clean = {name: _finite(points) for name, points in series.items()}
    clean = {name: points for name, points in clean.items() if points}
    if not clean:
        return _empty_chart(title, _("No measurements yet"), width)
    labels = list(dict.fromkeys(label for points in clean.values() for label, _v in points))
    index = {label: i for i, label in enumerate(labels)}
    ticks = _data_ticks([v for points in clean.values() for _label, v in points])
    lo, hi = ticks[0], ticks[-1]
    summary = "; ".join(
        _("{name} {first}{units} to {latest}{units}").format(
            name=name, first=_num(points[0][1]), latest=_num(points[-1][1]), units=units
        )
        for name, points in clean.items()
    )
    legend_y = 38
    frame = _Frame(44, 52, width - 48, height - 28, lo, hi, len(labels))
    parts = [
        _svg_open(width, height, f"{title}: {summary}", "angles-chart"),
        f'<text x="8" y="18" font-size="13" font-weight="bold" fill="{INK}">{_e(title)}</text>',
        _axes(frame, labels, ticks, units),
    ]
    x = frame.left
    ends: list[tuple[float, str, str]] = []
    for k, (name, points) in enumerate(clean.items()):
        style = _SERIES_STYLE[k % len(_SERIES_STYLE)]
        colour, dash, marker = style
        xs = [index[label] for label, _v in points]
        parts.append(_line(frame, name, xs, points, style, units))
        ends.append((frame.y(points[-1][1]), _num(points[-1][1]) + units, colour))
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{_f(x)}" y1="{legend_y}" x2="{_f(x + 26)}" y2="{legend_y}"'
            f' stroke="{colour}" stroke-width="2.2"{dashes}/>'
            f"{_marker_svg(marker, x + 13, legend_y, colour, 3.8)}"
            f'<text x="{_f(x + 32)}" y="{legend_y + 4}" font-size="11" fill="{INK}">'
            f"{_e(name)}</text>"
        )
        x += 32 + _text_width(name, 11) + 18
    # The latest values, at the right edge, nudged apart so they never overlap.
    ends.sort()
    last_y = -math.inf
    for y, text, colour in ends:
        y = max(y + 3.5, last_y + 12)
        last_y = y
        parts.append(
            f'<text x="{_f(frame.right + 6)}" y="{_f(y)}" font-size="10.5" font-weight="bold"'
            f' fill="{colour}">{_e(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
