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
_COLOURS = ["#1b6ca8", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#7f8c8d"]


def _svg(fig: plt.Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _figure(width: float = 4.2, height: float = 2.6) -> tuple[plt.Figure, plt.Axes]:
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(width, height))
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


def quantile_plot(
    groups: Sequence[str], proportions: dict[str, Sequence[float]], key: str | None
) -> str:
    """Proportion choosing each option by score group: the classic item-analysis view.

    The key is drawn as a thick solid line, distractors as thinner dashed lines.
    """
    with plt.rc_context(_RC):
        fig, ax = _figure()
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
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("Score group (low to high)")
        ax.set_ylabel("Proportion choosing")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
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
