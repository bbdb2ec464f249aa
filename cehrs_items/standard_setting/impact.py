"""Impact data: the pass rate a cut implies on observed scores, overall and by group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from cehrs_items.errors import DataError
from cehrs_items.tables import table_schema

CUT_TOLERANCE = 1e-9
"""A raw score within this distance below the cut counts as at the cut (as in scaling)."""

ALL_GROUP = "all"

IMPACT_SCHEMA = table_schema("impact")


def impact(
    raw: np.ndarray | Sequence[float],
    cuts: float | Sequence[float],
    *,
    groups: Sequence[str | None] | None = None,
) -> pl.DataFrame:
    r"""Pass and failure rates implied by each raw cut, overall and per group.

    .. math:: \text{pass rate}(c) = \frac{1}{N} \sum_i [x_i \ge c]

    An examinee passes with a raw score at or above the cut (within 1e-9, as the
    conversion does). Examinees whose group is missing count only in ``all``.

    Parameters
    ----------
    raw : array of float
        Raw (number-correct) scores, one per examinee.
    cuts : float or sequence of float
        Raw cuts (a fractional cut such as an Angoff sum 68.4 passes scores 69 and up).
    groups : sequence of str, optional
        Group label per examinee (e.g. a ``group`` column of the responses).

    Returns
    -------
    DataFrame
        ``raw_cut``, ``group`` (``all`` first, then groups sorted), ``n``, ``n_pass``,
        ``pass_rate``, ``fail_rate``; one row per cut and group.

    Tested against: hand counts on a 10-examinee example (exact).
    """
    x = np.asarray(raw, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise DataError("impact needs at least one examinee's raw score")
    if not np.all(np.isfinite(x)):
        raise DataError("impact: a raw score is missing or not a number")
    cut_list = [float(cuts)] if np.isscalar(cuts) else [float(c) for c in cuts]
    labels: list[tuple[str, np.ndarray]] = [(ALL_GROUP, np.ones(x.size, dtype=bool))]
    if groups is not None:
        g = np.asarray([None if v is None else str(v) for v in groups], dtype=object)
        if g.size != x.size:
            raise DataError(f"impact: {g.size} group labels for {x.size} raw scores")
        for name in sorted({v for v in g if v is not None and v != ""}):
            labels.append((name, g == name))
    rows = []
    for cut in cut_list:
        passed = x >= cut - CUT_TOLERANCE
        for name, mask in labels:
            n = int(mask.sum())
            n_pass = int((passed & mask).sum())
            rate = n_pass / n if n else None
            rows.append((cut, name, n, n_pass, rate, None if rate is None else 1.0 - rate))
    return pl.DataFrame(rows, schema=IMPACT_SCHEMA, orient="row")


CURVE_SCHEMA = table_schema("failure_curve")


def failure_curve(raw: np.ndarray | Sequence[float], max_score: int) -> pl.DataFrame:
    r"""Observed failure rate at every whole cut :math:`c = 0, \ldots, K`.

    .. math:: F(c) = \frac{1}{N} \sum_i [x_i < c]

    ``F`` is the empirical distribution function just below ``c``; between whole cuts
    the compromise methods interpolate it linearly (:func:`observed_fail_rate`).

    Returns ``raw_cut``, ``n_fail``, ``fail_rate``, ``pass_rate`` (= 1 - ``fail_rate``).

    Tested against: hand counts on a 10-examinee example (exact).
    """
    x = np.asarray(raw, dtype=np.float64)
    if x.size == 0:
        raise DataError("the failure-rate curve needs at least one raw score")
    if np.any(x > max_score + CUT_TOLERANCE) or np.any(x < 0):
        raise DataError(f"a raw score lies outside 0..{max_score} (the form's maximum)")
    cuts = np.arange(max_score + 1)
    n_fail = np.searchsorted(np.sort(x), cuts - CUT_TOLERANCE, side="left")
    fail = n_fail / x.size
    return pl.DataFrame(
        {"raw_cut": cuts, "n_fail": n_fail, "fail_rate": fail, "pass_rate": 1.0 - fail},
        schema=CURVE_SCHEMA,
    )


def observed_fail_rate(curve: pl.DataFrame, cut: np.ndarray | float) -> np.ndarray:
    """The failure-rate curve at any real cut in ``[0, K]``, linear between whole cuts."""
    xs = curve.get_column("raw_cut").to_numpy().astype(np.float64)
    ys = curve.get_column("fail_rate").to_numpy()
    return np.interp(np.asarray(cut, dtype=np.float64), xs, ys)
