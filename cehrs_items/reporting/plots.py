"""Inline SVG plots for the HTML report, drawn with matplotlib.

Every plot is returned as SVG text without the XML prolog, ready to inline. Output is
deterministic: a fixed hash salt for element ids and no creation date in the metadata.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

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


def _svg(fig: plt.Figure) -> str:
    buffer = io.StringIO()
    # A fixed layout (no bbox_inches="tight") halves the time: tight bounds need a second draw.
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


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
) -> str:
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
        return _svg(fig)


def curves(
    x: Sequence[float],
    series: dict[str, Sequence[float]],
    *,
    xlabel: str,
    ylabel: str,
    points: dict[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    vline: float | None = None,
    diagonal: bool = False,
) -> str:
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
        return _svg(fig)


def item_figure(
    groups: Sequence[str],
    proportions: dict[str, Sequence[float]],
    key: str | None,
    *,
    theta: Sequence[float] | None = None,
    icc: Sequence[float] | None = None,
    empirical: tuple[Sequence[float], Sequence[float]] | None = None,
) -> str:
    """One item's pictures in one SVG: the quantile plot and, when given, the ICC.

    Left: proportion choosing each option by score group (key thick and solid,
    distractors thin and dashed). Right: the fitted item characteristic curve with the
    empirical proportion correct of each score group. One figure per item keeps the
    report fast (one render instead of two).
    """
    with plt.rc_context(_RC):
        two = icc is not None and theta is not None
        fig = plt.figure(figsize=(8.0 if two else 4.2, 2.6))
        width = 0.36 if two else 0.65
        ax = fig.add_axes((0.08 if two else 0.13, 0.17, width, 0.76))
        x = np.arange(1, len(groups) + 1)
        for i, (option, values) in enumerate(sorted(proportions.items())):
            is_key = option == key
            ax.plot(
                x,
                values,
                marker="o",
                markersize=3,
                color=_COLOURS[i % len(_COLOURS)],
                linewidth=2.4 if is_key else 1.1,
                linestyle="-" if is_key else "--",
                label=f"{option}{' (key)' if is_key else ''}",
            )
        ax.set_xticks(x, list(groups))
        # Fixed ticks: tick placement is most of matplotlib's drawing time.
        ax.set_yticks(_UNIT_TICKS)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("Score group (low to high)")
        ax.set_ylabel("Proportion choosing")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        if two:
            ax2 = fig.add_axes((0.62, 0.17, 0.36, 0.76))
            ax2.plot(theta, icc, color=_COLOURS[0], label="fitted ICC")
            if empirical is not None:
                ax2.plot(
                    empirical[0],
                    empirical[1],
                    "o",
                    markersize=3,
                    color=_COLOURS[1],
                    label="score groups",
                )
            ax2.set_yticks(_UNIT_TICKS)
            ax2.set_xticks(np.arange(-4, 5, 2))
            ax2.set_ylim(-0.02, 1.02)
            ax2.set_xlabel("Ability (theta)")
            ax2.set_ylabel("P(correct)")
            ax2.legend(loc="lower right", frameon=False)
        return _svg(fig)
