"""Small inline SVG charts for the per-item figures of the HTML report.

A 125-item form needs 125 item figures; drawn with matplotlib they took most of the demo's
time and about 30 KB each. These charts are plain polylines and text on fixed axes
(coordinates rounded to 0.1 px, no element ids, styling by a few classes defined in the
report's stylesheet), about 3 KB and well under a millisecond each. The summary plots
(score distribution, information, equating, DIF) stay with matplotlib
(:mod:`cehrs_items.reporting.plots`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

COLOURS = ("#1b6ca8", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#7f8c8d")


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class _Panel:
    """A plotting area at (left, top) of size (width, height) with data limits."""

    def __init__(
        self,
        left: float,
        top: float,
        width: float,
        height: float,
        xlim: tuple[float, float],
        ylim: tuple[float, float],
    ) -> None:
        self.left, self.top, self.width, self.height = left, top, width, height
        self.xlim, self.ylim = xlim, ylim

    def x(self, v: float) -> float:
        lo, hi = self.xlim
        return self.left + (v - lo) / (hi - lo) * self.width

    def y(self, v: float) -> float:
        lo, hi = self.ylim
        return self.top + self.height - (v - lo) / (hi - lo) * self.height

    def polyline(self, xs: Sequence[float], ys: Sequence[float], **attrs: str) -> str:
        runs: list[list[str]] = [[]]
        for xv, yv in zip(xs, ys, strict=True):
            if yv is None or not math.isfinite(float(yv)):
                runs.append([])
                continue
            runs[-1].append(f"{_n(self.x(xv))},{_n(self.y(float(yv)))}")
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        return "".join(
            f'<polyline points="{" ".join(run)}" fill="none"{extra}/>' for run in runs if run
        )

    def dots(self, xs: Sequence[float], ys: Sequence[float], colour: str) -> str:
        return "".join(
            f'<circle cx="{_n(self.x(xv))}" cy="{_n(self.y(float(yv)))}" r="2.5" fill="{colour}"/>'
            for xv, yv in zip(xs, ys, strict=True)
            if yv is not None and math.isfinite(float(yv))
        )

    def axes(
        self,
        xticks: Sequence[tuple[float, str]],
        yticks: Sequence[tuple[float, str]],
        xlabel: str,
        ylabel: str,
    ) -> str:
        left, top, w, h = self.left, self.top, self.width, self.height
        bottom = top + h
        parts = [
            f'<path class="ax" d="M{_n(left)},{_n(top)}V{_n(bottom)}H{_n(left + w)}"/>',
        ]
        grid = []
        for v, label in yticks:
            yy = _n(self.y(v))
            grid.append(f"M{_n(left)},{yy}h{_n(w)}")
            parts.append(f'<text x="{_n(left - 4)}" y="{yy}" class="yt">{escape(label)}</text>')
        for v, label in xticks:
            xx = _n(self.x(v))
            parts.append(f'<text x="{xx}" y="{_n(bottom + 12)}" class="xt">{escape(label)}</text>')
        parts.insert(0, f'<path class="grid" d="{"".join(grid)}"/>')
        parts.append(
            f'<text x="{_n(left + w / 2)}" y="{_n(bottom + 26)}" class="xl">{escape(xlabel)}</text>'
        )
        cx, cy = _n(left - 30), _n(top + h / 2)
        parts.append(
            f'<text transform="translate({cx},{cy}) rotate(-90)" class="xl">{escape(ylabel)}</text>'
        )
        return "".join(parts)


_UNIT = [(v, f"{v:g}") for v in (0.0, 0.25, 0.5, 0.75, 1.0)]


def item_figure(
    groups: Sequence[str],
    proportions: dict[str, Sequence[float]],
    key: str | None,
    *,
    theta: Sequence[float] | None = None,
    icc: Sequence[float] | None = None,
    empirical: tuple[Sequence[float], Sequence[float]] | None = None,
    label: str = "",
) -> str:
    """One item's pictures in one SVG: the quantile plot and, when given, the ICC.

    Left: the share choosing each option in each score group, low to high (the key thick
    and solid, distractors thin and dashed). Right: the fitted item characteristic curve
    with the score groups' proportion correct placed at the normal quantile midpoints.
    """
    two = theta is not None and icc is not None
    width = 640 if two else 330
    height = 190
    left = _Panel(44, 10, 200, 135, (0.6, len(groups) + 0.4), (-0.02, 1.02))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">',
        left.axes(
            [(i + 1, g) for i, g in enumerate(groups)],
            _UNIT,
            "Score group (low to high)",
            "Proportion choosing",
        ),
    ]
    xs = list(range(1, len(groups) + 1))
    for i, (option, values) in enumerate(sorted(proportions.items())):
        colour = COLOURS[i % len(COLOURS)]
        is_key = option == key
        style = {"stroke": colour, "stroke_width": "2.4" if is_key else "1.2"}
        if not is_key:
            style["stroke_dasharray"] = "4 3"
        parts.append(left.polyline(xs, list(values), **style))
        parts.append(left.dots(xs, list(values), colour))
        ly = 18 + 14 * i
        dash = "" if is_key else ' stroke-dasharray="4 3"'
        parts.append(
            f'<path d="M252,{ly}h16" stroke="{colour}" stroke-width="{style["stroke_width"]}"'
            f"{dash}/>"
            f'<text x="272" y="{ly + 3}" class="lg">{escape(option)}{" (key)" if is_key else ""}'
            "</text>"
        )
    if two:
        right = _Panel(380, 10, 240, 135, (-4.0, 4.0), (-0.02, 1.02))
        parts.append(
            right.axes(
                [(v, f"{v:g}") for v in (-4, -2, 0, 2, 4)],
                _UNIT,
                "Ability (theta)",
                "P(correct)",
            )
        )
        parts.append(right.polyline(list(theta), list(icc), stroke=COLOURS[0], stroke_width="1.6"))
        if empirical is not None:
            parts.append(right.dots(list(empirical[0]), list(empirical[1]), COLOURS[1]))
        parts.append(
            f'<path d="M520,128h14" stroke="{COLOURS[0]}" stroke-width="1.6"/>'
            '<text x="538" y="131" class="lg">fitted ICC</text>'
        )
        if empirical is not None:
            parts.append(
                f'<circle cx="527" cy="114" r="2.5" fill="{COLOURS[1]}"/>'
                '<text x="538" y="117" class="lg">score groups</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def bars(
    scores: Sequence[int],
    freqs: Sequence[float],
    *,
    label: str,
    cut: float | None = None,
    width: int = 300,
    height: int = 130,
) -> str:
    """A small bar chart of a score distribution (per-domain and pretest blocks)."""
    n = max(len(scores), 1)
    top = max(max(freqs) if len(freqs) else 0, 1)
    panel = _Panel(40, 8, width - 50, height - 44, (-0.5, n - 0.5), (0, top * 1.05))
    step = panel.width / n
    rects = "".join(
        f'<rect x="{_n(panel.x(s - 0.5) + 0.3)}" y="{_n(panel.y(f))}" '
        f'width="{_n(max(step - 0.6, 0.5))}" height="{_n(panel.y(0) - panel.y(f))}"/>'
        for s, f in zip(scores, freqs, strict=True)
        if f > 0
    )
    every = max(1, math.ceil(n / 8))
    xticks = [(s, str(s)) for s in scores if s % every == 0]
    yticks = [(0, "0"), (top, f"{top:g}")]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">',
        panel.axes(xticks, yticks, label, "Examinees"),
        f'<g fill="{COLOURS[0]}">{rects}</g>',
    ]
    if cut is not None:
        xx = _n(panel.x(cut - 0.5))
        parts.append(
            f'<path d="M{xx},{_n(panel.top)}V{_n(panel.y(0))}" stroke="{COLOURS[1]}" '
            'stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
