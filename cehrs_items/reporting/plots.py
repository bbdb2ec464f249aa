"""Summary plots of the report, drawn with matplotlib: inline SVG or PNG (Word report).

Every SVG is returned without the XML prolog, ready to inline, with its element ids
prefixed by the figure's name (matplotlib numbers them ``figure_1``, ``patch_1`` ... in
every file, so two inlined figures would repeat ids) and path coordinates rounded to
0.1 px. Output is deterministic: a fixed hash salt and no creation date in the metadata.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

_RC = {
    "svg.hashsalt": "cehrs-items",
    "svg.fonttype": "none",
    "font.size": 8,
    "font.family": "sans-serif",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.4,
}
_UNIT_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
_COLOURS = ["#1b6ca8", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#7f8c8d"]


_ID = re.compile(r'\bid="([^"]+)"')


def _round(match: re.Match[str]) -> str:
    text = f"{float(match.group(0)):.1f}"
    return "0" if text in ("0.0", "-0.0") else text.removesuffix(".0")


def prefix_ids(svg: str, prefix: str) -> str:
    """Every ``id`` of ``svg`` and every reference to it (``#id``) prefixed with ``prefix-``."""
    ids = sorted(set(_ID.findall(svg)), key=len, reverse=True)
    if not ids:
        return svg
    pattern = re.compile(r'(id="|#)(' + "|".join(map(re.escape, ids)) + r')(?=["\)])')
    return pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def _compact(svg: str) -> str:
    """Coordinates in path data and attributes rounded to 0.1 px (invisible at screen size)."""
    return re.sub(r'(?<=[ ,"(LMCQlmcq])-?\d+\.\d{2,}', _round, svg)


def _svg(fig: plt.Figure, name: str) -> str:
    buffer = io.StringIO()
    # A fixed layout (no bbox_inches="tight") halves the time: tight bounds need a second draw.
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    start = text.find("<svg")
    text = text[start:] if start >= 0 else text
    return prefix_ids(_compact(text), name)


def _png(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _out(fig: plt.Figure, name: str, fmt: str) -> Any:
    return _png(fig) if fmt == "png" else _svg(fig, name)


def _figure(
    width: float = 4.2, height: float = 2.6, *, legend_right: bool = False
) -> tuple[plt.Figure, plt.Axes]:
    fig = plt.figure(figsize=(width, height))
    right = 0.78 if legend_right else 0.97
    ax = fig.add_axes((0.13, 0.17, right - 0.13, 0.78))
    return fig, ax


def histogram(
    scores: Sequence[float],
    freqs: Sequence[float],
    *,
    cut: float | None = None,
    xlabel: str = "Raw score",
    name: str = "hist",
    fmt: str = "svg",
) -> Any:
    """Bar chart of a score distribution, with the cut score marked when given."""
    with plt.rc_context(_RC):
        fig, ax = _figure(5.6, 2.6)
        ax.bar(scores, freqs, width=1.0, color=_COLOURS[0], edgecolor="white", linewidth=0.3)
        if cut is not None:
            ax.axvline(cut - 0.5, color=_COLOURS[1], linestyle="--", linewidth=1.2)
            ax.text(
                cut - 0.5,
                max(freqs) if len(freqs) else 1,
                f" cut {cut:g}",
                color=_COLOURS[1],
                va="top",
                ha="left",
            )
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Examinees")
        return _out(fig, name, fmt)


def curves(
    x: Sequence[float],
    series: dict[str, Sequence[float]],
    *,
    xlabel: str,
    ylabel: str,
    points: dict[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    vline: float | None = None,
    diagonal: bool = False,
    name: str = "curves",
    fmt: str = "svg",
) -> Any:
    """Line plot of one or more curves over ``x`` (ICC, TIF/CSEM, equating functions)."""
    with plt.rc_context(_RC):
        fig, ax = _figure()
        for i, (name, values) in enumerate(series.items()):
            ax.plot(x, values, color=_COLOURS[i % len(_COLOURS)], label=name)
        for i, (name, (px, py)) in enumerate((points or {}).items()):
            ax.plot(px, py, "o", markersize=3, color=_COLOURS[(i + 3) % len(_COLOURS)], label=name)
        if diagonal:
            lo, hi = float(np.min(x)), float(np.max(x))
            ax.plot(
                [lo, hi], [lo, hi], color="#999999", linewidth=0.8, linestyle=":", label="identity"
            )
        if vline is not None:
            ax.axvline(vline, color=_COLOURS[1], linestyle="--", linewidth=1.0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if len(series) + len(points or {}) > 1 or diagonal:
            ax.legend(frameon=False)
        return _out(fig, name, fmt)


def equating_differences(
    score: Sequence[float],
    methods: dict[str, tuple[Sequence[float], Sequence[float] | None]],
    *,
    name: str = "eqdiff",
    fmt: str = "svg",
) -> Any:
    """Equated minus raw score by method, one panel each, with a band of +/- 2 SE.

    ``methods`` maps a method name to (equated, se); ``se`` may be None (no band).
    """
    x = np.asarray(score, dtype=np.float64)
    n = max(len(methods), 1)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(
            rows, cols, figsize=(2.7 * cols, 2.1 * rows), sharex=True, sharey=True, squeeze=False
        )
        fig.subplots_adjust(left=0.08, right=0.99, bottom=0.17 / rows + 0.05, top=0.92, hspace=0.4)
        for ax in axes.ravel()[n:]:
            ax.set_visible(False)
        for i, (method, (equated, se)) in enumerate(methods.items()):
            ax = axes.ravel()[i]
            diff = np.asarray(equated, dtype=np.float64) - x
            colour = _COLOURS[i % len(_COLOURS)]
            if se is not None:
                band = 2.0 * np.asarray(se, dtype=np.float64)
                ax.fill_between(x, diff - band, diff + band, color=colour, alpha=0.18, lw=0)
            ax.plot(x, diff, color=colour)
            ax.axhline(0.0, color="#999999", linewidth=0.8, linestyle=":")
            ax.set_title(method, fontsize=8)
            if i % cols == 0:
                ax.set_ylabel("Equated - raw")
            if i >= n - cols:
                ax.set_xlabel("Raw score on the new form")
        return _out(fig, name, fmt)


def dif_deltas(
    item_ids: Sequence[str],
    delta: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    category: Sequence[str | None],
    *,
    name: str = "dif",
    fmt: str = "svg",
) -> Any:
    """MH D-DIF of every item (sorted) with its 95% interval; ETS B/C items coloured."""
    d = np.asarray(delta, dtype=np.float64)
    ok = np.isfinite(d)
    order = np.argsort(np.where(ok, d, np.inf), kind="stable")[: int(ok.sum())]
    with plt.rc_context(_RC):
        fig, ax = _figure(7.6, 2.8)
        xs = np.arange(order.size)
        colours = {"A": "#7f8c8d", "B": _COLOURS[4], "C": _COLOURS[1]}
        for cat in ("A", "B", "C"):
            sel = [k for k, j in enumerate(order) if category[j] == cat]
            if not sel:
                continue
            js = order[sel]
            lo = np.asarray(low, dtype=np.float64)[js]
            hi = np.asarray(high, dtype=np.float64)[js]
            ax.errorbar(
                xs[sel],
                d[js],
                yerr=[d[js] - lo, hi - d[js]],
                fmt="o",
                markersize=2.5,
                elinewidth=0.7,
                color=colours[cat],
                label=f"category {cat}",
            )
            if cat != "A":
                for k, j in zip(xs[sel], js, strict=True):
                    ax.annotate(
                        item_ids[j],
                        (k, d[j]),
                        fontsize=6,
                        xytext=(3, 3),
                        textcoords="offset points",
                    )
        for level, style in ((1.0, ":"), (1.5, "--")):
            for sign in (-1, 1):
                ax.axhline(sign * level, color="#999999", linewidth=0.7, linestyle=style)
        ax.axhline(0.0, color="#555555", linewidth=0.6)
        ax.set_xticks([])
        ax.set_xlabel("Items, sorted by MH D-DIF (negative: favours the reference group)")
        ax.set_ylabel("MH D-DIF (95% CI)")
        ax.legend(frameon=False, loc="upper left", ncols=3)
        return _out(fig, name, fmt)
