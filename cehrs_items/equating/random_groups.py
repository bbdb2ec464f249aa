"""Random-groups (and single-group marginal) equating: mean, linear and equipercentile.

Notation of Kolen & Brennan (2014, ch. 2): Form X is the new form, Form Y the base form,
``e_Y(x)`` the Form Y equivalent of a Form X score ``x``. The numerical kernels (names
ending in ``_kernel``) take *batched* relative frequencies, shape ``(B, K + 1)``, so the
same code computes one equating or ``B`` bootstrap replications at once.
"""

from __future__ import annotations

import numpy as np

from cehrs_items.equating.freq import ScoreDist, batch_mean_sd, normalise
from cehrs_items.equating.result import EquatingResult
from cehrs_items.errors import EquatingError

# ----------------------------------------------------------------------------- kernels


def cumulative(probs: np.ndarray) -> np.ndarray:
    """Cumulative distribution ``F(x)`` of each row: non-decreasing, at most 1, and exactly
    1 from the last score with positive probability on (no round-off above or below 1)."""
    cum = np.minimum(np.cumsum(probs, axis=-1), 1.0)
    positive = probs > 0
    last = probs.shape[-1] - 1 - np.argmax(positive[..., ::-1], axis=-1)
    index = np.arange(probs.shape[-1])
    cum = np.where(index >= last[..., None], 1.0, cum)
    return cum


def percentile_rank(probs: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Percentile ranks ``P(x)`` (0-100) of scores ``x`` under each row of ``probs``.

    Continuized with the uniform-kernel convention of Kolen & Brennan (2014, eq. 2.14):

    .. math:: P(x) = 100\\{F(x^* - 1) + [x - (x^* - .5)][F(x^*) - F(x^* - 1)]\\}

    for :math:`-.5 \\le x < K + .5`, with :math:`x^*` the integer closest to ``x``;
    ``P = 0`` below ``-.5`` and 100 from ``K + .5`` on. At an integer score this is
    :math:`100[F(x - 1) + f(x)/2]`.

    Parameters
    ----------
    probs : ndarray, shape (B, K + 1)
        Relative frequencies of scores ``0 .. K``.
    x : ndarray, shape (M,) or (B, M)
        Scores at which to evaluate (need not be integers).
    """
    probs = np.atleast_2d(probs)
    k = probs.shape[-1] - 1
    cum = cumulative(probs)
    cum_before = np.concatenate([np.zeros_like(cum[:, :1]), cum[:, :-1]], axis=1)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = np.broadcast_to(x, (probs.shape[0], x.size))
    star = np.clip(np.floor(x + 0.5), 0, k).astype(np.int64)
    f_before = np.take_along_axis(cum_before, star, axis=1)
    f_at = np.take_along_axis(cum, star, axis=1)
    pr = f_before + (x - (star - 0.5)) * (f_at - f_before)
    pr = np.where(x < -0.5, 0.0, np.where(x >= k + 0.5, 1.0, pr))
    return 100.0 * pr


def percentile_point(probs: np.ndarray, pr: np.ndarray) -> np.ndarray:
    """Scores with percentile ranks ``pr`` (the inverse of :func:`percentile_rank`).

    The upper inverse of Kolen & Brennan (eq. 2.15 of the 2004 edition, p. 45), with
    :math:`y_U^*` the smallest
    score whose cumulative proportion exceeds :math:`P^*/100`,

    .. math:: P^{-1}_U(P^*) = \\frac{P^*/100 - G(y_U^* - 1)}{G(y_U^*) - G(y_U^* - 1)} + (y_U^* - .5),

    and the lower inverse :math:`P^{-1}_L` built from the largest score whose cumulative
    proportion is below :math:`P^*/100`. They coincide unless :math:`P^*/100` equals a
    cumulative proportion followed by scores with zero frequency; there the inverse is
    not unique and, as K&B (2014, p. 45) and Equating Recipes do, the average of the two is
    returned (the midpoint of the flat stretch). ``P* = 100`` gives ``K + .5``; at
    ``P* = 0`` the lower inverse is ``-.5`` and the upper one the first score with
    positive frequency minus .5, so a distribution starting with zero frequencies maps
    ``P* = 0`` to the middle of that empty stretch (K&B 2014 Table 2.7 maps ``x = 0`` to
    0 in this way).

    Parameters
    ----------
    probs : ndarray, shape (B, K + 1)
    pr : ndarray, shape (B, M)
        Percentile ranks in [0, 100].
    """
    probs = np.atleast_2d(probs)
    k = probs.shape[-1] - 1
    cum = cumulative(probs)
    p = np.clip(np.atleast_2d(pr) / 100.0, 0.0, 1.0)
    cum_ext = np.concatenate([np.zeros_like(cum[:, :1]), cum], axis=1)  # G(-1) = 0, G(0..K)
    # Upper: first j with G(j) > p.
    upper_idx = np.sum(cum[:, None, :] <= p[:, :, None], axis=-1)  # 0..K+1
    j = np.minimum(upper_idx, k)
    g_hi = np.take_along_axis(cum_ext, j + 1, axis=1)
    g_lo = np.take_along_axis(cum_ext, j, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = (p - g_lo) / (g_hi - g_lo) + (j - 0.5)
    upper = np.where(upper_idx > k, k + 0.5, upper)
    # Lower: last j with G(j) < p; the interval is (j + .5, next score with mass).
    lower_cnt = np.sum(cum[:, None, :] < p[:, :, None], axis=-1)  # 0..K+1
    jl = lower_cnt - 1  # -1 .. K
    jn = np.minimum(jl + 1, k)
    g_lo2 = np.take_along_axis(cum_ext, jl + 1, axis=1)  # G(jl)
    g_hi2 = np.take_along_axis(cum_ext, jn + 1, axis=1)  # G(jl + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = (p - g_lo2) / (g_hi2 - g_lo2) + (jl + 0.5)
    lower = np.where(p <= 0, -0.5, lower)
    lower = np.where(lower_cnt > k, k + 0.5, lower)
    return 0.5 * (upper + lower)


def equipercentile_kernel(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """``e_Y(x) = Q^{-1}[P(x)]`` for every integer ``x`` of each batch row."""
    px = np.atleast_2d(px)
    x = np.arange(px.shape[-1], dtype=np.float64)
    return percentile_point(py, percentile_rank(px, x))


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
    from cehrs_items.equating import smoothing

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
