"""The result of an equating: the conversion table plus what produced it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from cehrs_items.equating.freq import moments
from cehrs_items.tables import table_schema

TABLE_SCHEMA = table_schema("equating")


@dataclass(frozen=True)
class EquatingResult:
    """Form Y equivalents ``e_Y(x)`` of every Form X raw score, with what produced them.

    ``equated`` is unrounded; ``se`` is None when no standard errors were asked for.
    ``moments`` are the moments of the equated scores in the group that took Form X
    (population 1 in a common-item design). ``slope``/``intercept`` exist for the linear
    methods only. ``details`` holds method-specific quantities (synthetic-population
    moments, gammas, chosen smoothing degree ...); ``notes`` data-quality remarks;
    ``columns`` extra per-score columns written after ``se`` (``theta_x`` of IRT
    true-score equating; NaN is written as null).
    """

    design: str
    method: str
    equated: np.ndarray
    x_probs: np.ndarray
    se: np.ndarray | None = None
    se_method: str | None = None
    slope: float | None = None
    intercept: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def scores(self) -> np.ndarray:
        return np.arange(self.equated.size, dtype=np.int64)

    @property
    def max_score(self) -> int:
        return self.equated.size - 1

    @property
    def moments(self) -> dict[str, float]:
        """Mean, SD, skewness and kurtosis of e_Y(x) over the Form X group's scores."""
        return moments(self.equated, self.x_probs)

    def table(self) -> pl.DataFrame:
        """The conversion table: ``score`` (Int64), ``equated`` and ``se`` (Float64, null if not asked)."""
        se = (
            [None] * self.equated.size
            if self.se is None
            else [None if not math.isfinite(v) else float(v) for v in self.se]
        )
        frame = pl.DataFrame(
            {"score": self.scores, "equated": self.equated.astype(np.float64), "se": se},
            schema=TABLE_SCHEMA,
        )
        for name, values in self.columns.items():
            v = np.asarray(values, dtype=np.float64)
            frame = frame.with_columns(
                pl.Series(name, [float(t) if np.isfinite(t) else None for t in v], pl.Float64)
            )
        return frame

    def evaluate(self, x: np.ndarray | float) -> np.ndarray:
        """e_Y at (possibly non-integer) Form X scores, by linear interpolation of the table."""
        return np.interp(np.asarray(x, dtype=np.float64), self.scores, self.equated)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no NaN: undefined values become None)."""
        out: dict[str, Any] = {
            "design": self.design,
            "method": self.method,
            "max_score_x": self.max_score,
            "equated_moments": _clean(self.moments),
            "settings": _clean(self.settings),
            "details": _clean(self.details),
            "notes": list(self.notes),
            "se": self.se_method,
        }
        if self.slope is not None:
            out["linear"] = {"slope": _num(self.slope), "intercept": _num(self.intercept)}
        return out


def _num(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(float(v)) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_clean(v) for v in obj.tolist()]
    return _num(obj)
