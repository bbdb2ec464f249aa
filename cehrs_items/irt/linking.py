"""Linking two calibrations through common items: Stocking-Lord, Haebara, mean/sigma,
mean/mean, and the screening of anchor items for parameter drift.

The new calibration's ability scale is placed on the base scale by
:math:`\\theta_{base} = A\\,\\theta_{new} + B`, so the new parameters become
:math:`a^* = a/A`, :math:`b^* = A b + B`, :math:`c^* = c` (Kolen & Brennan 2014, eq. 6.2-6.4).

- mean/sigma: :math:`A = \\sigma(b_{base}) / \\sigma(b_{new})` (population SDs),
  :math:`B = \\mu(b_{base}) - A \\mu(b_{new})` (eq. 6.8-6.9).
- mean/mean: :math:`A = \\mu(a_{new}) / \\mu(a_{base})` (eq. 6.10).
- Haebara (1980), one-way (new to base): minimise
  :math:`H_1 = \\sum_q w^{base}_q \\sum_j [P_j(\\theta_q; base) - P_j(\\theta_q; new^*)]^2`
  over abilities :math:`\\theta_q` of the base group on the base scale.
- Stocking & Lord (1983), one-way: minimise
  :math:`S_1 = \\sum_q w^{base}_q [\\sum_j P_j(\\theta_q; base) - \\sum_j P_j(\\theta_q; new^*)]^2`.
- Symmetric criteria (Haebara 1980; Kim & Kolen 2007; K&B 2014 sec. 6.3.3, as Kolen's
  STUIRT computes them): the one-way criterion plus the same criterion in the other
  direction, the base parameters placed on the new scale (:math:`a A`, :math:`(b - B)/A`)
  and compared with the new parameters over the new group's abilities on the new scale:
  :math:`H = H_1 + \\sum_r w^{new}_r \\sum_j [P_j(\\theta_r; new) - P_j(\\theta_r; base^\\#)]^2`
  (likewise for Stocking-Lord with test characteristic curves). Each group's weights are
  normalised to sum to 1, so the two directions count equally.

Ability distributions (:class:`AbilityDistribution`): given as points and weights, from a
calibration (a normal N(mean, SD) carried by the parameter file in ``theta_mean`` and
``theta_sd``, discretised on 41 points over mean +/- 4 SD), or N(0, 1) on 41 points on
[-4, 4]. The criteria are minimised by BFGS from the mean/sigma solution (gradient
tolerance 1e-10), then polished by Nelder-Mead.

Tested against: exact recovery of known A and B when the new parameters are an exact
transformation of the base ones (abs 1e-6); the PyPI ``mirt`` 1.2.0 ``link`` on the same
items and grid, one-way criteria (abs 1e-6; ``tests/reference/mirt_linking``); Kolen &
Brennan (2014) ch. 6 example, all four methods with the symmetric criterion, against an
independent implementation (Powell minimiser on a re-derived criterion;
``tests/reference/kolen-brennan-ch6``), abs 1e-5.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.special import expit

from cehrs_items.errors import DataError, EquatingError, InputError
from cehrs_items.tables import table_schema

LinkMethod = Literal["stocking-lord", "haebara", "mean-sigma", "mean-mean"]
LINK_METHODS = ("stocking-lord", "haebara", "mean-sigma", "mean-mean")
CURVE_METHODS = ("stocking-lord", "haebara")
Criterion = Literal["one-way", "symmetric"]
CRITERIA = ("one-way", "symmetric")
GRID_POINTS = 41
GRID_BOUND = 4.0
DRIFT_THRESHOLD = 2.7
"""Huynh & Meyer (2010): an anchor drifts when |robust z| of its b difference or of its
a ratio exceeds 2.7."""
ANCHOR_COLUMNS = ("anchor", "anchor_note")
"""Columns a linked parameter file gets: ``anchor`` is ``linked`` for the common items
the constants came from, ``dropped`` for anchors set aside by drift screening (with the
reason in ``anchor_note``), empty for the other items. ``equate`` and ``report`` show
them, so the hand-over says which anchors were dropped and why."""
IQR_TO_SD = 0.74
"""Robust SD = 0.74 IQR (the IQR of a normal distribution is 1.35 SD)."""

CONSTANTS_COLUMNS: dict[str, pl.DataType] = table_schema("link_constants")
"""Columns of the constants table: every method's A and B, its own criterion value at the
minimum (null for the moment methods, which minimise none), and both characteristic-curve
criteria evaluated at that method's constants (so the methods can be compared)."""

DRIFT_COLUMNS: dict[str, pl.DataType] = table_schema("link_drift")
"""Columns of ``drift.csv``."""


@dataclass(frozen=True)
class AbilityDistribution:
    """Discrete ability distribution on one calibration's own scale: points, weights
    (normalised to sum to 1) and where it came from."""

    theta: np.ndarray
    weight: np.ndarray
    source: str

    @classmethod
    def normal(cls, mean: float = 0.0, sd: float = 1.0, *, source: str = "") -> AbilityDistribution:
        """N(mean, sd) on 41 evenly spaced points over mean +/- 4 SD, normal-density weights."""
        if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
            raise DataError(f"ability distribution N({mean}, {sd}): need a finite mean and SD > 0")
        z = np.linspace(-GRID_BOUND, GRID_BOUND, GRID_POINTS)
        w = np.exp(-0.5 * z**2)
        return cls(mean + sd * z, w / w.sum(), source or f"N({mean:.4g}, {sd:.4g}^2)")

    @classmethod
    def from_points(
        cls, theta: Sequence[float] | np.ndarray, weight: Sequence[float] | np.ndarray | None, *,
        source: str = "points",
    ) -> AbilityDistribution:  # fmt: skip
        t = np.asarray(theta, dtype=np.float64)
        w = np.ones(t.size) if weight is None else np.asarray(weight, dtype=np.float64)
        if t.ndim != 1 or t.size < 2 or w.shape != t.shape:
            raise DataError(f"{source}: need at least 2 ability points, each with one weight")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(w))) or np.any(w < 0):
            raise DataError(f"{source}: abilities and weights must be finite, weights >= 0")
        if w.sum() <= 0:
            raise DataError(f"{source}: the weights sum to 0")
        return cls(t, w / w.sum(), source)

    def describe(self) -> dict:
        mean = float(self.weight @ self.theta)
        sd = float(np.sqrt(self.weight @ (self.theta - mean) ** 2))
        return {"source": self.source, "points": int(self.theta.size), "mean": mean, "sd": sd}


def read_ability(path: str | Path) -> AbilityDistribution:
    """Read an ability distribution CSV with columns ``theta,weight`` (one row a point)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such ability distribution file")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ability distribution: {exc}") from exc
    if not rows or [h.strip() for h in rows[0]][:2] != ["theta", "weight"]:
        found = ", ".join(rows[0]) if rows else "nothing"
        raise DataError(f"{path}: line 1: expected the header theta,weight (found: {found})")
    theta, weight = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        for col, name in ((0, "theta"), (1, "weight")):
            try:
                value = float(row[col])
            except (IndexError, ValueError):
                value = math.nan
            if not math.isfinite(value) or (name == "weight" and value < 0):
                raise DataError(
                    f"{path}: line {line}, column {name}: "
                    f"{row[col] if col < len(row) else '(empty)'!r} is not a "
                    f"{'non-negative ' if name == 'weight' else ''}number"
                )
            (theta if name == "theta" else weight).append(value)
    return AbilityDistribution.from_points(theta, weight, source=str(path))


def distribution_from_params(frame: pl.DataFrame, *, where: str = "") -> AbilityDistribution | None:
    """The calibration's ability distribution carried by a parameter file (columns
    ``theta_mean``, ``theta_sd``, one value for the whole file) or None."""
    if "theta_mean" not in frame.columns or "theta_sd" not in frame.columns:
        return None
    values = frame.select(
        pl.col("theta_mean").cast(pl.Float64, strict=False),
        pl.col("theta_sd").cast(pl.Float64, strict=False),
    ).unique()
    if values.height != 1 or values.null_count().sum_horizontal().item() > 0:
        raise DataError(
            f"{where or 'parameters'}: columns theta_mean and theta_sd must hold one value "
            "for the whole file (the calibration's ability distribution)"
        )
    mean, sd = values.row(0)
    return AbilityDistribution.normal(
        mean,
        sd,
        source=f"calibration N({mean:.4g}, {sd:.4g}^2)" + (f" from {where}" if where else ""),
    )


@dataclass(frozen=True)
class LinkResult:
    """Linking constants (``theta_base = A * theta_new + B``) and the new parameters on
    the base scale (``params``, all items of the new calibration)."""

    method: str
    A: float
    B: float
    criterion: float | None
    converged: bool
    common_items: tuple[str, ...]
    params: pl.DataFrame
    constants: pl.DataFrame
    settings: dict


def _arrays(frame: pl.DataFrame, items: Sequence[str]) -> tuple[np.ndarray, ...]:
    sub = frame.filter(pl.col("item_id").is_in(list(items))).sort("item_id")
    d = sub["d"].to_numpy() if "d" in sub.columns else np.ones(sub.height)
    return sub["a"].to_numpy(), sub["b"].to_numpy(), sub["c"].to_numpy(), d


def _p(theta, a, b, c, d):
    return c + (1 - c) * expit(d * a * (theta[:, None] - b))


def transform_params(params: pl.DataFrame, A: float, B: float) -> pl.DataFrame:
    """New parameters on the base scale: a/A, A*b + B, c; SEs scaled likewise."""
    out = params.with_columns((pl.col("a") / A).alias("a"), (pl.col("b") * A + B).alias("b"))
    if "se_a" in out.columns:
        out = out.with_columns((pl.col("se_a") / A).alias("se_a"))
    if "se_b" in out.columns:
        out = out.with_columns((pl.col("se_b") * abs(A)).alias("se_b"))
    drop = [c for c in ("slope", "intercept", "se_slope", "se_intercept") if c in out.columns]
    if "theta_mean" in out.columns and "theta_sd" in out.columns:
        out = out.with_columns(
            (pl.col("theta_mean").cast(pl.Float64) * A + B).alias("theta_mean"),
            (pl.col("theta_sd").cast(pl.Float64) * abs(A)).alias("theta_sd"),
        )
    return out.drop(drop)


def _moment_constants(new, base) -> dict[str, tuple[float, float]]:
    a_n, b_n, _, _ = new
    a_b, b_b, _, _ = base
    sd_n = float(np.std(b_n))
    if sd_n == 0:
        raise EquatingError("common items' new difficulties have no spread; cannot link")
    a_ms = float(np.std(b_b)) / sd_n
    a_mm = float(np.mean(a_n) / np.mean(a_b))
    return {
        "mean-sigma": (a_ms, float(np.mean(b_b) - a_ms * np.mean(b_n))),
        "mean-mean": (a_mm, float(np.mean(b_b) - a_mm * np.mean(b_n))),
    }


class _Criteria:
    """The characteristic-curve criteria of one pair of calibrations (see module doc)."""

    def __init__(self, nw, bs, base_dist, new_dist, symmetric: bool) -> None:
        self.nw, self.bs = nw, bs
        self.tb, self.wb = base_dist.theta, base_dist.weight
        self.tn, self.wn = new_dist.theta, new_dist.weight
        self.symmetric = symmetric
        self.p_base = _p(self.tb, *bs)  # base items at base abilities: fixed
        self.p_new = _p(self.tn, *nw)  # new items at new abilities: fixed

    def __call__(self, x: np.ndarray, kind: str) -> float:
        A, B = float(x[0]), float(x[1])
        if not A > 0:
            return 1e10
        a_n, b_n, c_n, d_n = self.nw
        a_b, b_b, c_b, d_b = self.bs
        moved = _p(self.tb, a_n / A, A * b_n + B, c_n, d_n)
        value = self._loss(self.p_base, moved, self.wb, kind)
        if self.symmetric:
            back = _p(self.tn, a_b * A, (b_b - B) / A, c_b, d_b)
            value += self._loss(self.p_new, back, self.wn, kind)
        return value

    @staticmethod
    def _loss(p1: np.ndarray, p2: np.ndarray, w: np.ndarray, kind: str) -> float:
        if kind == "haebara":
            return float(w @ ((p1 - p2) ** 2).sum(1))
        return float(w @ (p1.sum(1) - p2.sum(1)) ** 2)


def _minimise(crit: _Criteria, kind: str, x0: np.ndarray) -> tuple[float, float, float, bool]:
    res = minimize(crit, x0, args=(kind,), method="BFGS", options={"gtol": 1e-10})
    res2 = minimize(
        crit,
        res.x,
        args=(kind,),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-16, "maxiter": 4000},
    )
    best = res2 if res2.fun <= res.fun else res
    return float(best.x[0]), float(best.x[1]), float(best.fun), bool(best.success or res.success)


def link(
    new: pl.DataFrame,
    base: pl.DataFrame,
    *,
    method: LinkMethod = "stocking-lord",
    items: Sequence[str] | None = None,
    criterion: Criterion = "symmetric",
    theta_new: AbilityDistribution | None = None,
    theta_base: AbilityDistribution | None = None,
    theta: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> LinkResult:
    """Linking constants from the common items of two calibrations.

    Parameters
    ----------
    new, base : parameter frames (item_id, a, b, c, d) of the new and the base calibration.
    method : ``stocking-lord`` (default), ``haebara``, ``mean-sigma`` or ``mean-mean``.
    items : the common items (default: every item in both frames).
    criterion : ``symmetric`` (default; K&B 2014 and STUIRT) or ``one-way`` (new to base
        only, over the base group's abilities).
    theta_new, theta_base : the two groups' ability distributions, each on its own
        calibration's scale (default: the distribution a parameter frame carries in
        ``theta_mean``/``theta_sd``, else N(0, 1)).
    theta, weights : base-scale abilities and weights (shorthand for ``theta_base``).

    Returns
    -------
    LinkResult
        ``A``, ``B``, the chosen method's criterion at the solution (None for the moment
        methods), the new parameters transformed onto the base scale, and ``constants``
        (:data:`CONSTANTS_COLUMNS`): one row per method, the chosen one first.

    Notes
    -----
    See the module docstring for the formulas. References: Kolen & Brennan (2014), *Test
    Equating, Scaling, and Linking*, 3rd ed., ch. 6; Haebara, T. (1980), *Japanese
    Psychological Research*, 22, 144-149; Stocking, M. L., & Lord, F. M. (1983), *Applied
    Psychological Measurement*, 7, 201-210; Kim, S., & Kolen, M. J. (2007), *Applied
    Psychological Measurement*, 31, 259-281.

    Tested against: exact recovery of known constants (abs 1e-6); the PyPI ``mirt`` 1.2.0
    package, one-way (abs 1e-6); K&B ch. 6 example, symmetric, against an independent
    implementation (abs 1e-5).
    """
    if method not in LINK_METHODS:
        raise InputError(f"linking method {method!r} unknown; use {', '.join(LINK_METHODS)}")
    if criterion not in CRITERIA:
        raise InputError(f"linking criterion {criterion!r} unknown; use {', '.join(CRITERIA)}")
    both = sorted(set(new["item_id"].to_list()) & set(base["item_id"].to_list()))
    common = sorted(items) if items is not None else both
    missing = sorted(set(common) - set(both))
    if missing:
        raise EquatingError(f"common item(s) not in both calibrations: {', '.join(missing[:5])}")
    if len(common) < 2:
        raise EquatingError(
            f"linking needs at least 2 common items; found {len(common)} "
            "(items with the same item_id in both parameter files)"
        )
    if theta is not None:
        theta_base = AbilityDistribution.from_points(theta, weights, source="theta grid")
    theta_base = theta_base or distribution_from_params(base) or AbilityDistribution.normal()
    theta_new = theta_new or distribution_from_params(new) or AbilityDistribution.normal()
    nw = _arrays(new, common)
    bs = _arrays(base, common)
    crit = _Criteria(nw, bs, theta_base, theta_new, criterion == "symmetric")
    moments = _moment_constants(nw, bs)
    results: dict[str, tuple[float, float, float | None, bool]] = {}
    for kind in CURVE_METHODS:
        results[kind] = _minimise(crit, kind, np.array(moments["mean-sigma"]))
    for kind, (A, B) in moments.items():
        results[kind] = (A, B, None, True)
    A, B, value, ok = results[method]
    order = [method] + [m for m in LINK_METHODS if m != method]
    constants = pl.DataFrame(
        {
            "method": order,
            "A": [results[m][0] for m in order],
            "B": [results[m][1] for m in order],
            "criterion": [results[m][2] for m in order],
            "haebara_criterion": [crit(np.array(results[m][:2]), "haebara") for m in order],
            "stocking_lord_criterion": [
                crit(np.array(results[m][:2]), "stocking-lord") for m in order
            ],
            "converged": [results[m][3] for m in order],
        },
        schema=CONSTANTS_COLUMNS,
    )
    linked = transform_params(new, A, B).drop([c for c in ANCHOR_COLUMNS if c in new.columns])
    linked = linked.with_columns(
        pl.when(pl.col("item_id").is_in(common))
        .then(pl.lit("linked"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("anchor"),
        pl.lit(None, dtype=pl.String).alias("anchor_note"),
    )
    return LinkResult(
        method=method,
        A=A,
        B=B,
        criterion=value,
        converged=ok,
        common_items=tuple(common),
        params=linked.sort("item_id"),
        constants=constants,
        settings={
            "method": method,
            "criterion": criterion,
            "common_items": len(common),
            "theta_base": theta_base.describe(),
            "theta_new": theta_new.describe(),
        },
    )


def _robust_z(x: np.ndarray) -> np.ndarray:
    """(x - median) / (0.74 IQR); NaN everywhere when the IQR is 0 (no spread to judge by)."""
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    scale = IQR_TO_SD * (q3 - q1)
    if not scale > 0:
        return np.full(x.shape, np.nan)
    return (x - med) / scale


def _fmt_z(value: float) -> str:
    return "undefined" if not np.isfinite(value) else f"{value:.2f}"


@dataclass(frozen=True)
class DriftResult:
    """Anchor screening: ``table`` (:data:`DRIFT_COLUMNS`, one row per common item), the
    items kept and dropped, and the final link on the kept items."""

    table: pl.DataFrame
    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    iterations: int
    link: LinkResult
    threshold: float


def screen_drift(
    new: pl.DataFrame,
    base: pl.DataFrame,
    *,
    method: LinkMethod = "stocking-lord",
    items: Sequence[str] | None = None,
    criterion: Criterion = "symmetric",
    theta_new: AbilityDistribution | None = None,
    theta_base: AbilityDistribution | None = None,
    threshold: float = DRIFT_THRESHOLD,
    min_items: int = 3,
    max_iterations: int | None = None,
) -> DriftResult:
    r"""Screen the common items for parameter drift, then link on the stable ones.

    Each iteration links the new calibration to the base on the items still kept (with
    ``method`` and ``criterion``), places the new parameters on the base scale and
    computes, over the kept items, the robust z of the difficulty differences and of the
    slope ratios (Huynh & Meyer 2010):

    .. math::
        d_j = b_j^{base} - b_j^{new*},\quad r_j = a_j^{new*} / a_j^{base},\quad
        z(x_j) = \frac{x_j - \mathrm{median}(x)}{0.74\,\mathrm{IQR}(x)}

    An item is flagged when :math:`|z(d_j)| > 2.7` or :math:`|z(r_j)| > 2.7` (two-sided,
    about the 0.7% tails of a normal). Flagged items are dropped and the screen repeats
    on the rest until an iteration flags none. A robust z is undefined (NaN, never
    flagging) when the IQR is 0. Screening stops, keeping the rest, rather than leave
    fewer than ``min_items`` anchors, or after ``max_iterations`` screening passes (None:
    until none is flagged). The final link is exactly :func:`link` on the kept items.
    Because the median and IQR are recomputed on the survivors, removing gross outliers
    narrows the IQR and can flag items that the first pass accepted; with few anchors (the
    K&B example has 12) this cascade can drop most of them, so read the table (and
    consider ``max_iterations=1``) before accepting a screen that drops many anchors.

    Returns
    -------
    DriftResult
        ``table`` has one row per common item: the values of the iteration in which it
        was flagged, or of the last iteration for kept items (``iteration`` says which).

    References
    ----------
    Huynh, H., & Meyer, P. (2010). Use of robust z in detecting unstable items in item
    response theory models. *Practical Assessment, Research & Evaluation*, 15(2).

    Tested against: simulated anchors with known drift (hit rate and false alarms over
    replications; ``benchmarks/bench_drift.py``); the final constants equal a plain
    :func:`link` on the kept items (abs 1e-12).
    """
    if not threshold > 0:
        raise InputError(f"drift threshold {threshold} must be positive")
    if max_iterations is not None and max_iterations < 1:
        raise InputError(f"drift screening iterations {max_iterations} must be at least 1")
    both = sorted(set(new["item_id"].to_list()) & set(base["item_id"].to_list()))
    kept = sorted(items) if items is not None else both
    rows: dict[str, dict] = {}
    iteration = 0
    while True:
        iteration += 1
        res = link(
            new, base, method=method, items=kept, criterion=criterion,
            theta_new=theta_new, theta_base=theta_base,
        )  # fmt: skip
        a_n, b_n, _, _ = _arrays(res.params, kept)
        a_b, b_b, _, _ = _arrays(base, kept)
        diff = b_b - b_n
        ratio = a_n / a_b
        z_b, z_a = _robust_z(diff), _robust_z(ratio)
        with np.errstate(invalid="ignore"):
            flag = (np.abs(z_b) > threshold) | (np.abs(z_a) > threshold)
        if flag.any() and len(kept) - int(flag.sum()) < min_items:
            flag[:] = False  # too few anchors would remain: keep them all
        for j, item in enumerate(kept):
            rows[item] = {
                "item_id": item,
                "b_new_linked": float(b_n[j]),
                "b_base": float(b_b[j]),
                "b_difference": float(diff[j]),
                "robust_z_b": float(z_b[j]),
                "a_ratio": float(ratio[j]),
                "robust_z_a": float(z_a[j]),
                "flagged": bool(flag[j]),
                "iteration": iteration,
            }
        if not flag.any():
            break
        kept = [i for i, f in zip(kept, flag, strict=True) if not f]
        if max_iterations is not None and iteration >= max_iterations:
            res = link(
                new, base, method=method, items=kept, criterion=criterion,
                theta_new=theta_new, theta_base=theta_base,
            )  # fmt: skip
            break
    table = pl.DataFrame(
        [rows[i] for i in sorted(rows)], schema=DRIFT_COLUMNS, orient="row"
    ).fill_nan(None)
    dropped = tuple(sorted(i for i, r in rows.items() if r["flagged"]))
    settings = dict(res.settings)
    settings["drift"] = {
        "rule": "|robust z| > threshold for b difference or a ratio (Huynh & Meyer 2010)",
        "threshold": threshold,
        "iterations": iteration,
        "max_iterations": max_iterations,
        "dropped": list(dropped),
    }
    notes = {
        item: (
            f"drift: robust z of b difference {_fmt_z(r['robust_z_b'])}, of a ratio "
            f"{_fmt_z(r['robust_z_a'])} (|z| > {threshold:g}, pass {r['iteration']})"
        )
        for item, r in rows.items()
        if r["flagged"]
    }
    params = res.params.with_columns(
        pl.when(pl.col("item_id").is_in(list(notes)))
        .then(pl.lit("dropped"))
        .otherwise(pl.col("anchor"))
        .alias("anchor"),
        pl.col("item_id").replace_strict(notes, default=None, return_dtype=pl.String)
        .alias("anchor_note"),
    )  # fmt: skip
    final = LinkResult(**{**res.__dict__, "settings": settings, "params": params})
    return DriftResult(
        table=table,
        kept=tuple(kept),
        dropped=dropped,
        iterations=iteration,
        link=final,
        threshold=threshold,
    )


def link_files(
    new: str | Path,
    base: str | Path,
    *,
    method: LinkMethod = "stocking-lord",
    items: Sequence[str] | None = None,
    criterion: Criterion = "symmetric",
    theta_new: str | Path | None = None,
    theta_base: str | Path | None = None,
    screen: bool = False,
    threshold: float = DRIFT_THRESHOLD,
    max_iterations: int | None = None,
) -> LinkResult | DriftResult:
    """Read two parameter files (and optional ability distribution CSVs) and :func:`link`
    the first (new) to the second (base), or :func:`screen_drift` when ``screen``."""
    from cehrs_items.irt.params import read_params

    new_frame, base_frame = read_params(new), read_params(base)
    dist_new = (
        read_ability(theta_new)
        if theta_new is not None
        else distribution_from_params(new_frame, where=str(new))
    )
    dist_base = (
        read_ability(theta_base)
        if theta_base is not None
        else distribution_from_params(base_frame, where=str(base))
    )
    kwargs = {
        "method": method,
        "items": items,
        "criterion": criterion,
        "theta_new": dist_new,
        "theta_base": dist_base,
    }
    if screen:
        return screen_drift(
            new_frame, base_frame, threshold=threshold, max_iterations=max_iterations, **kwargs
        )
    return link(new_frame, base_frame, **kwargs)
