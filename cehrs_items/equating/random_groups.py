"""Random-groups (and single-group marginal) equating: mean, linear and equipercentile.

Notation of Kolen & Brennan (2014, ch. 2): Form X is the new form, Form Y the base form,
``e_Y(x)`` the Form Y equivalent of a Form X score ``x``. The numerical kernels (names
ending in ``_kernel``) take *batched* relative frequencies, shape ``(B, K + 1)``, so the
same code computes one equating or ``B`` bootstrap replications at once.
"""

from __future__ import annotations

import numpy as np

from cehrs_items.equating import smoothing
from cehrs_items.equating.freq import ScoreDist, batch_mean_sd, normalise
from cehrs_items.equating.percentiles import (
    cumulative,
    equipercentile_kernel,
    percentile_point,
    percentile_rank,
)
from cehrs_items.equating.result import EquatingResult
from cehrs_items.errors import EquatingError

__all__ = [
    "cumulative",
    "equipercentile",
    "equipercentile_kernel",
    "linear",
    "linear_kernel",
    "mean",
    "mean_kernel",
    "percentile_point",
    "percentile_rank",
]

# ----------------------------------------------------------------------------- kernels


def linear_kernel(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and intercepts of linear equating, one per batch row (NaN if sd_X = 0)."""
    mx, sx = batch_mean_sd(np.atleast_2d(px))
    my, sy = batch_mean_sd(np.atleast_2d(py))
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(sx > 0, sy / sx, np.nan)
    return slope, my - slope * mx


def mean_kernel(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mx, _ = batch_mean_sd(np.atleast_2d(px))
    my, _ = batch_mean_sd(np.atleast_2d(py))
    return np.ones_like(mx), my - mx


# ---------------------------------------------------------------------------- methods


def mean(x: ScoreDist, y: ScoreDist) -> EquatingResult:
    """Mean equating, random groups.

    .. math:: m_Y(x) = x - \\mu(X) + \\mu(Y)

    Parameters
    ----------
    x, y : ScoreDist
        Form X (new) and Form Y (base) score distributions.

    Returns
    -------
    EquatingResult
        ``table()`` has columns ``score``, ``equated`` (unrounded) and ``se`` (null).

    References
    ----------
    Kolen & Brennan (2014), sec. 2.1.

    Tested against: Kolen & Brennan (2014) ch. 2 ACT Mathematics example (p. 50),
    abs 1e-4.
    """
    slope, intercept = mean_kernel(x.probs, y.probs)
    return _linear_result("mean", x, y, float(slope[0]), float(intercept[0]))


def linear(x: ScoreDist, y: ScoreDist) -> EquatingResult:
    """Linear equating, random groups.

    .. math:: l_Y(x) = \\frac{\\sigma(Y)}{\\sigma(X)}[x - \\mu(X)] + \\mu(Y)

    with population SDs (divisor N). A form with zero score variance cannot be linearly
    equated: :class:`~cehrs_items.errors.EquatingError`.

    References
    ----------
    Kolen & Brennan (2014), sec. 2.2.

    Tested against: Kolen & Brennan (2014) ch. 2 ACT Mathematics example (p. 50),
    abs 1e-4.
    """
    slope, intercept = linear_kernel(x.probs, y.probs)
    if not np.isfinite(slope[0]) or slope[0] == 0:
        raise EquatingError(
            f"{x.name}/{y.name}: linear equating needs score variance on both forms "
            "(one form's scores are all equal); use mean equating"
        )
    return _linear_result("linear", x, y, float(slope[0]), float(intercept[0]))


def _linear_result(
    method: str, x: ScoreDist, y: ScoreDist, slope: float, intercept: float
) -> EquatingResult:
    equated = slope * x.scores + intercept
    return EquatingResult(
        design="random_groups",
        method=method,
        equated=equated,
        x_probs=x.probs,
        slope=slope,
        intercept=intercept,
        settings={"n_x": x.n, "n_y": y.n},
        notes=_small_notes(x, y),
    )


SMALL_SAMPLE = 100
"""Below this many examinees a group's equating error is large (K&B 2014, sec. 8.x)."""


def _small_notes(*dists: ScoreDist) -> tuple[str, ...]:
    return tuple(
        f"{d.name}: only {d.n:g} examinees; equating error will be large "
        "(consider mean or identity equating)"
        for d in dists
        if d.n < SMALL_SAMPLE
    )


def equipercentile(
    x: ScoreDist,
    y: ScoreDist,
    *,
    presmooth: int | str | None = None,
    postsmooth: float | None = None,
    max_degree: int = 10,
) -> EquatingResult:
    """Equipercentile equating, random groups, with optional smoothing.

    .. math:: e_Y(x) = Q^{-1}[P(x)]

    with continuized percentile ranks ``P`` of Form X and the inverse percentile-rank
    function ``Q^{-1}`` of Form Y (:func:`percentile_rank`, :func:`percentile_point`).
    Equated scores lie in ``[-.5, K_Y + .5]``.

    Parameters
    ----------
    x, y : ScoreDist
    presmooth : int, "aic", "bic" or None
        Log-linear presmoothing of both distributions: the polynomial degree ``C`` (the
        first ``C`` moments are preserved), or the degree chosen per form by AIC or BIC
        from ``1 .. max_degree`` (:func:`cehrs_items.equating.smoothing.loglinear`).
    postsmooth : float or None
        Cubic-spline postsmoothing parameter ``S`` (K&B 2014, sec. 3.4); 0 interpolates.
        Cannot be combined with ``presmooth``.

    Returns
    -------
    EquatingResult

    Notes
    -----
    Zero frequencies: the inverse percentile rank over a run of zero-frequency scores is
    not unique; the midpoint of the upper and lower inverses is used (see
    :func:`percentile_point`). A form with a single observed score is equated, but its
    equipercentile function is flat.

    References
    ----------
    Kolen & Brennan (2014), sec. 2.5 (eqs. 2.14-2.18 of the 2004 edition) and ch. 3.

    Tested against: Kolen & Brennan (2014) Table 2.7 (ACT Mathematics), abs 1e-4.
    """
    if presmooth is not None and postsmooth is not None:
        raise EquatingError("use either presmoothing or postsmoothing, not both")
    details: dict = {}
    px, py = x.probs, y.probs
    if presmooth is not None:
        fx = smoothing.loglinear(x.counts, degree=presmooth, max_degree=max_degree)
        fy = smoothing.loglinear(y.counts, degree=presmooth, max_degree=max_degree)
        px, py = normalise(fx.fitted), normalise(fy.fitted)
        details["presmoothing"] = {"x": fx.summary(), "y": fy.summary()}
    equated = equipercentile_kernel(px, py)[0]
    if postsmooth is not None:
        equated, spline_details = smoothing.postsmooth(x.probs, y.probs, x.n, y.n, s=postsmooth)
        details["postsmoothing"] = spline_details
    method = "equipercentile"
    return EquatingResult(
        design="random_groups",
        method=method,
        equated=equated,
        x_probs=x.probs,
        settings={
            "n_x": x.n,
            "n_y": y.n,
            "presmooth": presmooth,
            "postsmooth": postsmooth,
        },
        details=details,
        notes=_small_notes(x, y) + _zero_notes(x, y),
    )


def _zero_notes(*dists: ScoreDist) -> tuple[str, ...]:
    notes = []
    for d in dists:
        zeros = np.flatnonzero(d.counts == 0)
        if zeros.size:
            shown = ", ".join(str(int(z)) for z in zeros[:10]) + (" ..." if zeros.size > 10 else "")
            notes.append(
                f"{d.name}: {zeros.size} score point(s) with zero frequency ({shown}); "
                "inverse percentile ranks there use the midpoint convention"
            )
    return tuple(notes)
