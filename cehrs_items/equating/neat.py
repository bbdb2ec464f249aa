"""Common-item non-equivalent groups (NEAT) equating: linear and equipercentile methods.

Population 1 took Form X (new), population 2 took Form Y (base); both took the anchor V
(internal: counted in the total; external: not). Notation of Kolen & Brennan (2014,
ch. 4-5). The synthetic population weights the two populations by ``w1`` and
``w2 = 1 - w1``; the default ``w1`` is ``N1 / (N1 + N2)``.

Every kernel takes batched joint relative frequencies, ``p1`` of shape
``(B, K_X + 1, K_V + 1)`` and ``p2`` of shape ``(B, K_Y + 1, K_V + 1)``, so the same code
serves one equating and a bootstrap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cehrs_items.equating import smoothing
from cehrs_items.equating.freq import BivariateDist
from cehrs_items.equating.percentiles import (
    equipercentile_kernel,
    percentile_point,
    percentile_rank,
)
from cehrs_items.equating.result import EquatingResult
from cehrs_items.errors import EquatingError

LINEAR_METHODS = ("tucker", "levine_observed", "levine_true", "chained_linear", "braun_holland")
EQUIPERCENTILE_METHODS = ("frequency_estimation", "chained_equipercentile")
VARIANCE_FLOOR = 1e-10
"""Variances at or below this (round-off of a constant score) count as zero."""


def group_moments(p: np.ndarray) -> dict[str, np.ndarray]:
    """Means, variances and the covariance of total and anchor, per batch row (divisor N)."""
    p = p if p.ndim == 3 else p[None]
    kx, kv = p.shape[1] - 1, p.shape[2] - 1
    xs = np.arange(kx + 1, dtype=np.float64)
    vs = np.arange(kv + 1, dtype=np.float64)
    px = p.sum(axis=2)
    pv = p.sum(axis=1)
    mx = px @ xs
    mv = pv @ vs
    vx = px @ xs**2 - mx**2
    vv = pv @ vs**2 - mv**2
    cxv = np.einsum("bij,i,j->b", p, xs, vs) - mx * mv
    return {"mean_x": mx, "mean_v": mv, "var_x": vx, "var_v": vv, "cov_xv": cxv}


def gammas(
    method: str, m1: dict[str, np.ndarray], m2: dict[str, np.ndarray], internal: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The gamma terms of the Tucker and Levine methods (K&B 2014, ch. 4; Levine's for an
    internal and an external anchor, eqs. 4.58-4.59)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "tucker":
            return m1["cov_xv"] / m1["var_v"], m2["cov_xv"] / m2["var_v"]
        if method in ("levine_observed", "levine_true"):
            if internal:
                return m1["var_x"] / m1["cov_xv"], m2["var_x"] / m2["cov_xv"]
            g1 = (m1["var_x"] + m1["cov_xv"]) / (m1["var_v"] + m1["cov_xv"])
            g2 = (m2["var_x"] + m2["cov_xv"]) / (m2["var_v"] + m2["cov_xv"])
            return g1, g2
    raise EquatingError(f"no gamma terms for method {method!r}")


def synthetic_moments(
    m1: dict[str, np.ndarray],
    m2: dict[str, np.ndarray],
    g1: np.ndarray,
    g2: np.ndarray,
    w1: float,
) -> dict[str, np.ndarray]:
    """Synthetic-population means and SDs of X and Y (K&B 2014, sec. 4.1).

    .. math::
        \\mu_s(X) = \\mu_1(X) - w_2\\gamma_1[\\mu_1(V) - \\mu_2(V)] \\\\
        \\mu_s(Y) = \\mu_2(Y) + w_1\\gamma_2[\\mu_1(V) - \\mu_2(V)] \\\\
        \\sigma_s^2(X) = \\sigma_1^2(X) - w_2\\gamma_1^2[\\sigma_1^2(V) - \\sigma_2^2(V)]
            + w_1 w_2 \\gamma_1^2[\\mu_1(V) - \\mu_2(V)]^2 \\\\
        \\sigma_s^2(Y) = \\sigma_2^2(Y) + w_1\\gamma_2^2[\\sigma_1^2(V) - \\sigma_2^2(V)]
            + w_1 w_2 \\gamma_2^2[\\mu_1(V) - \\mu_2(V)]^2
    """
    w2 = 1.0 - w1
    dm = m1["mean_v"] - m2["mean_v"]
    dv = m1["var_v"] - m2["var_v"]
    mean_x = m1["mean_x"] - w2 * g1 * dm
    mean_y = m2["mean_x"] + w1 * g2 * dm
    var_x = m1["var_x"] - w2 * g1**2 * dv + w1 * w2 * g1**2 * dm**2
    var_y = m2["var_x"] + w1 * g2**2 * dv + w1 * w2 * g2**2 * dm**2
    return {
        "mean_x": mean_x,
        "mean_y": mean_y,
        "sd_x": np.sqrt(np.maximum(var_x, 0.0)),
        "sd_y": np.sqrt(np.maximum(var_y, 0.0)),
        "var_x": var_x,
        "var_y": var_y,
    }


def linear_from_moments(
    method: str,
    m1: dict[str, np.ndarray],
    m2: dict[str, np.ndarray],
    w1: float,
    internal: bool,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Slope and intercept of a moment-based NEAT linear method (all but Braun-Holland)."""
    details: dict[str, Any] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("tucker", "levine_observed"):
            g1, g2 = gammas(method, m1, m2, internal)
            syn = synthetic_moments(m1, m2, g1, g2, w1)
            slope = syn["sd_y"] / syn["sd_x"]
            intercept = syn["mean_y"] - slope * syn["mean_x"]
            details = {"gamma_1": g1, "gamma_2": g2, "synthetic": syn}
        elif method == "levine_true":
            g1, g2 = gammas(method, m1, m2, internal)
            slope = g2 / g1
            intercept = m2["mean_x"] + g2 * (m1["mean_v"] - m2["mean_v"]) - slope * m1["mean_x"]
            details = {"gamma_1": g1, "gamma_2": g2}
        elif method == "chained_linear":
            sx1, sv1 = np.sqrt(m1["var_x"]), np.sqrt(m1["var_v"])
            sy2, sv2 = np.sqrt(m2["var_x"]), np.sqrt(m2["var_v"])
            slope = (sy2 / sv2) * (sv1 / sx1)
            intercept = (
                m2["mean_x"] + (sy2 / sv2) * (m1["mean_v"] - m2["mean_v"]) - slope * m1["mean_x"]
            )
        else:
            raise EquatingError(f"unknown moment-based NEAT linear method {method!r}")
    return slope, intercept, details


def linear_kernel(
    method: str, p1: np.ndarray, p2: np.ndarray, w1: float, internal: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Slopes and intercepts of a NEAT linear method for each batch row, and its details."""
    p1 = p1 if p1.ndim == 3 else p1[None]
    p2 = p2 if p2.ndim == 3 else p2[None]
    if method != "braun_holland":
        return linear_from_moments(method, group_moments(p1), group_moments(p2), w1, internal)
    fs, gs = frequency_estimation_distributions(p1, p2, w1)[:2]
    xs = np.arange(fs.shape[-1], dtype=np.float64)
    ys = np.arange(gs.shape[-1], dtype=np.float64)
    mx, my = fs @ xs, gs @ ys
    sx = np.sqrt(np.maximum(fs @ xs**2 - mx**2, 0))
    sy = np.sqrt(np.maximum(gs @ ys**2 - my**2, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = sy / sx
    intercept = my - slope * mx
    return slope, intercept, {"synthetic": {"mean_x": mx, "mean_y": my, "sd_x": sx, "sd_y": sy}}


def frequency_estimation_distributions(
    p1: np.ndarray, p2: np.ndarray, w1: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic distributions of X and Y under the frequency-estimation assumptions.

    .. math::
        f_s(x) = w_1 f_1(x) + w_2 \\sum_v f_1(x|v) h_2(v), \\qquad
        g_s(y) = w_1 \\sum_v g_2(y|v) h_1(v) + w_2 g_2(y)

    (K&B 2014, sec. 5.1). Where an anchor score ``v`` was observed in one population
    but not the other the conditional distribution is undefined; that ``v``'s weight is
    dropped and the synthetic distribution renormalised. Returns ``f_s``, ``g_s`` and the
    mass dropped per batch row (0 when none).
    """
    p1 = p1 if p1.ndim == 3 else p1[None]
    p2 = p2 if p2.ndim == 3 else p2[None]
    h1 = p1.sum(axis=1)  # (B, V)
    h2 = p2.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond1 = np.where(h1[:, None, :] > 0, p1 / h1[:, None, :], 0.0)  # f1(x|v)
        cond2 = np.where(h2[:, None, :] > 0, p2 / h2[:, None, :], 0.0)  # g2(y|v)
    f1 = p1.sum(axis=2)
    g2 = p2.sum(axis=2)
    w2 = 1.0 - w1
    fs = w1 * f1 + w2 * np.einsum("bxv,bv->bx", cond1, h2)
    gs = w1 * np.einsum("byv,bv->by", cond2, h1) + w2 * g2
    lost = w2 * np.sum(np.where(h1 > 0, 0.0, h2), axis=1) + w1 * np.sum(
        np.where(h2 > 0, 0.0, h1), axis=1
    )
    fs = fs / fs.sum(axis=1, keepdims=True)
    gs = gs / gs.sum(axis=1, keepdims=True)
    return fs, gs, lost


def frequency_estimation_kernel(p1: np.ndarray, p2: np.ndarray, w1: float) -> np.ndarray:
    fs, gs, _ = frequency_estimation_distributions(p1, p2, w1)
    return equipercentile_kernel(fs, gs)


def chained_equipercentile_kernel(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """``e_Y(x) = e_{Y2}[e_{V1}(x)]``: X to V in population 1, then V to Y in population 2."""
    p1 = p1 if p1.ndim == 3 else p1[None]
    p2 = p2 if p2.ndim == 3 else p2[None]
    f1, h1 = p1.sum(axis=2), p1.sum(axis=1)
    g2, h2 = p2.sum(axis=2), p2.sum(axis=1)
    v_equiv = equipercentile_kernel(f1, h1)  # (B, Kx + 1) on the V scale
    return percentile_point(g2, percentile_rank(h2, v_equiv))


# ---------------------------------------------------------------------------- methods


def default_w1(x: BivariateDist, y: BivariateDist) -> float:
    return x.n / (x.n + y.n)


def _check(x: BivariateDist, y: BivariateDist, w1: float | None) -> float:
    if x.max_anchor != y.max_anchor:
        raise EquatingError(
            f"the anchor score ranges differ ({x.name}: 0..{x.max_anchor}, {y.name}: "
            f"0..{y.max_anchor}); both groups must take the same anchor"
        )
    if x.internal != y.internal:
        raise EquatingError("both groups must have the same kind of anchor (internal or external)")
    w = default_w1(x, y) if w1 is None else float(w1)
    if not 0.0 <= w <= 1.0:
        raise EquatingError(f"synthetic weight w1 = {w} must lie between 0 and 1")
    return w


def _notes(x: BivariateDist, y: BivariateDist) -> list[str]:
    notes = []
    for d in (x, y):
        if d.n < 100:
            notes.append(f"{d.name}: only {d.n:g} examinees; equating error will be large")
        m = group_moments(d.counts[None] / d.n)
        if m["var_v"][0] <= VARIANCE_FLOOR:
            notes.append(f"{d.name}: anchor scores have no variance")
    return notes


def linear_method(
    method: str, x: BivariateDist, y: BivariateDist, *, w1: float | None = None
) -> EquatingResult:
    """A NEAT linear method: Tucker, Levine observed-score, Levine true-score, chained
    linear or Braun-Holland.

    Tucker and Levine observed-score equate in the synthetic population:

    .. math:: l_{Ys}(x) = \\frac{\\sigma_s(Y)}{\\sigma_s(X)}[x - \\mu_s(X)] + \\mu_s(Y)

    with :func:`synthetic_moments` and the method's gammas: Tucker
    :math:`\\gamma_1 = \\sigma_1(X,V)/\\sigma_1^2(V)`, :math:`\\gamma_2 = \\sigma_2(Y,V)/\\sigma_2^2(V)`
    (K&B sec. 4.1); Levine, internal anchor :math:`\\gamma_1 = \\sigma_1^2(X)/\\sigma_1(X,V)`
    (eq. 4.58), external anchor
    :math:`\\gamma_1 = [\\sigma_1^2(X) + \\sigma_1(X,V)]/[\\sigma_1^2(V) + \\sigma_1(X,V)]`
    (eq. 4.59), likewise for population 2. Levine true-score (K&B ch. 4, Levine true-score method):

    .. math:: l_Y(x) = \\frac{\\gamma_2}{\\gamma_1}[x - \\mu_1(X)] + \\mu_2(Y)
        + \\gamma_2[\\mu_1(V) - \\mu_2(V)]

    Chained linear (K&B 2014, sec. 4.x):

    .. math:: l_Y(x) = \\mu_2(Y) + \\frac{\\sigma_2(Y)}{\\sigma_2(V)}\\left\\{\\mu_1(V)
        - \\mu_2(V) + \\frac{\\sigma_1(V)}{\\sigma_1(X)}[x - \\mu_1(X)]\\right\\}

    Braun-Holland: linear equating with the means and SDs of the frequency-estimation
    synthetic distributions (K&B 2014, sec. 5.x).

    Parameters
    ----------
    method : str
        One of :data:`LINEAR_METHODS`.
    x, y : BivariateDist
        Total x anchor frequencies of population 1 (Form X) and 2 (Form Y).
    w1 : float, optional
        Synthetic weight of population 1 (default ``N1 / (N1 + N2)``); Levine true-score
        and chained linear do not use it.

    Returns
    -------
    EquatingResult
        With ``slope`` and ``intercept``; ``details`` holds the gammas and synthetic moments.

    References
    ----------
    Kolen & Brennan (2014), ch. 4 (Tucker, Levine), sec. 5.x (Braun-Holland).

    Tested against: Kolen & Brennan (2014) ch. 4 common-item example (36 items, 12-item
    internal anchor; Table 4.4), abs 1e-4.
    """
    w = _check(x, y, w1)
    p1 = x.counts[None] / x.n
    p2 = y.counts[None] / y.n
    for d, m in ((x, group_moments(p1)), (y, group_moments(p2))):
        for key, what in (("var_x", "total"), ("var_v", "anchor")):
            if m[key][0] <= VARIANCE_FLOOR:
                raise EquatingError(
                    f"{method}: the equating is undefined for these data: {d.name}'s {what} "
                    "scores have no variance"
                )
    slope, intercept, details = linear_kernel(method, p1, p2, w, x.internal)
    s, b = float(slope[0]), float(intercept[0])
    if not np.isfinite(s) or not np.isfinite(b) or s <= 0:
        raise EquatingError(
            f"{method}: the equating is undefined for these data (a variance or covariance "
            "is zero or negative); check the anchor scores"
        )
    xs = np.arange(x.max_score + 1, dtype=np.float64)
    return EquatingResult(
        design="neat",
        method=method,
        equated=s * xs + b,
        x_probs=x.total.probs,
        slope=s,
        intercept=b,
        settings={
            "w1": w if method not in ("levine_true", "chained_linear") else None,
            "anchor": "internal" if x.internal else "external",
            "n_1": x.n,
            "n_2": y.n,
        },
        details=_details_scalar(details, group_moments(p1), group_moments(p2)),
        notes=tuple(_notes(x, y)),
    )


def _details_scalar(details: dict[str, Any], m1: dict, m2: dict) -> dict[str, Any]:
    def first(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: first(u) for k, u in v.items()}
        return float(np.asarray(v).ravel()[0])

    out = {k: first(v) for k, v in details.items()}
    out["population_1"] = {
        "mean_x": first(m1["mean_x"]),
        "sd_x": float(np.sqrt(m1["var_x"][0])),
        "mean_v": first(m1["mean_v"]),
        "sd_v": float(np.sqrt(m1["var_v"][0])),
        "cov_xv": first(m1["cov_xv"]),
    }
    out["population_2"] = {
        "mean_y": first(m2["mean_x"]),
        "sd_y": float(np.sqrt(m2["var_x"][0])),
        "mean_v": first(m2["mean_v"]),
        "sd_v": float(np.sqrt(m2["var_v"][0])),
        "cov_yv": first(m2["cov_xv"]),
    }
    return out


def tucker(x: BivariateDist, y: BivariateDist, *, w1: float | None = None) -> EquatingResult:
    """Tucker linear equating (see :func:`linear_method`)."""
    return linear_method("tucker", x, y, w1=w1)


def levine_observed(
    x: BivariateDist, y: BivariateDist, *, w1: float | None = None
) -> EquatingResult:
    """Levine observed-score linear equating (see :func:`linear_method`)."""
    return linear_method("levine_observed", x, y, w1=w1)


def levine_true(x: BivariateDist, y: BivariateDist) -> EquatingResult:
    """Levine true-score linear equating applied to observed scores (see :func:`linear_method`)."""
    return linear_method("levine_true", x, y)


def chained_linear(x: BivariateDist, y: BivariateDist) -> EquatingResult:
    """Chained linear equating (see :func:`linear_method`)."""
    return linear_method("chained_linear", x, y)


def braun_holland(x: BivariateDist, y: BivariateDist, *, w1: float | None = None) -> EquatingResult:
    """Braun-Holland linear equating (see :func:`linear_method`)."""
    return linear_method("braun_holland", x, y, w1=w1)


def _smooth_pair(
    x: BivariateDist, y: BivariateDist, presmooth: int | str | None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    if presmooth is None:
        return x.counts / x.n, y.counts / y.n, {}
    degree = _bivariate_degree(x, presmooth), _bivariate_degree(y, presmooth)
    fx = smoothing.loglinear_bivariate(x.counts, degree=degree[0], internal=x.internal)
    fy = smoothing.loglinear_bivariate(y.counts, degree=degree[1], internal=y.internal)
    info = {"degree_x": degree[0], "degree_y": degree[1], "cross": 1, "chosen_by": presmooth}
    return fx / fx.sum(), fy / fy.sum(), {"presmoothing": info}


def _bivariate_degree(d: BivariateDist, presmooth: int | str) -> int:
    """The bivariate degree: given, or chosen by AIC/BIC from 1..6 (same C for X and V)."""
    if not isinstance(presmooth, str):
        return int(presmooth)
    crit = presmooth.lower()
    if crit not in ("aic", "bic"):
        raise EquatingError(
            f"presmoothing degree {presmooth!r}: use a whole number, 'aic' or 'bic'"
        )
    best, best_value = 1, np.inf
    mask = smoothing.structural_mask(d.max_score, d.max_anchor, d.internal)
    obs = d.counts[mask]
    for c in range(1, min(6, d.max_anchor, d.max_score) + 1):
        fitted = smoothing.loglinear_bivariate(d.counts, degree=c, internal=d.internal)[mask]
        keep = obs > 0
        ll = float(np.sum(obs[keep] * np.log(fitted[keep] / fitted.sum())))
        n_par = 2 * c + 1
        value = -2 * ll + (2 * n_par if crit == "aic" else n_par * np.log(d.n))
        if value < best_value - 1e-9:
            best, best_value = c, value
    return best


def frequency_estimation(
    x: BivariateDist,
    y: BivariateDist,
    *,
    w1: float | None = None,
    presmooth: int | str | None = None,
) -> EquatingResult:
    """Frequency-estimation equipercentile equating.

    The synthetic distributions :math:`f_s`, :math:`g_s` of
    :func:`frequency_estimation_distributions` are equated with the random-groups
    equipercentile method, :math:`e_{Ys}(x) = Q_s^{-1}[P_s(x)]`.

    Parameters
    ----------
    presmooth : int, "aic", "bic" or None
        Bivariate log-linear presmoothing of both joint distributions with ``C`` moments
        of total and anchor and one cross-product (:func:`smoothing.loglinear_bivariate`).

    Notes
    -----
    Anchor scores observed in one population only: their conditional distributions are
    undefined; the mass is dropped and the synthetic distribution renormalised (reported
    in ``notes``). Zero frequencies in the synthetic distributions use the midpoint
    convention of :func:`~cehrs_items.equating.percentiles.percentile_point`.

    References
    ----------
    Kolen & Brennan (2014), sec. 5.1.

    Tested against: Kolen & Brennan (2014) ch. 5 hypothetical example (Tables 5.1-5.3,
    w1 = 1) and the common-item example, abs 1e-4 where published to four decimals.
    """
    w = _check(x, y, w1)
    p1, p2, details = _smooth_pair(x, y, presmooth)
    fs, gs, lost = frequency_estimation_distributions(p1[None], p2[None], w)
    equated = equipercentile_kernel(fs, gs)[0]
    notes = _notes(x, y)
    if lost[0] > 0:
        notes.append(
            f"anchor score(s) observed in one population only: {lost[0]:.4f} of the synthetic "
            "weight had no conditional distribution and was dropped (renormalised)"
        )
    xs = np.arange(fs.shape[-1], dtype=np.float64)
    ys = np.arange(gs.shape[-1], dtype=np.float64)
    details["synthetic"] = {
        "mean_x": float(fs[0] @ xs),
        "sd_x": float(np.sqrt(fs[0] @ xs**2 - (fs[0] @ xs) ** 2)),
        "mean_y": float(gs[0] @ ys),
        "sd_y": float(np.sqrt(gs[0] @ ys**2 - (gs[0] @ ys) ** 2)),
    }
    return EquatingResult(
        design="neat",
        method="frequency_estimation",
        equated=equated,
        x_probs=x.total.probs,
        settings={
            "w1": w,
            "anchor": "internal" if x.internal else "external",
            "presmooth": presmooth,
            "n_1": x.n,
            "n_2": y.n,
        },
        details=details,
        notes=tuple(notes),
    )


def chained_equipercentile(
    x: BivariateDist, y: BivariateDist, *, presmooth: int | str | None = None
) -> EquatingResult:
    """Chained equipercentile equating.

    .. math:: e_Y(x) = e_{Y2}[e_{V1}(x)]

    Form X scores are equated to the anchor in population 1 (equipercentile), and the
    resulting (non-integer) anchor equivalents to Form Y in population 2, using the
    continuized percentile-rank function at non-integer anchor scores (K&B eq. 2.14).

    References
    ----------
    Kolen & Brennan (2014), sec. 5.x (chained equipercentile); Livingston, Dorans &
    Wright (1990).

    Tested against: Kolen & Brennan (2014) ch. 5 common-item example, abs 1e-4 where
    published to four decimals.
    """
    _check(x, y, 0.5)
    p1, p2, details = _smooth_pair(x, y, presmooth)
    equated = chained_equipercentile_kernel(p1[None], p2[None])[0]
    return EquatingResult(
        design="neat",
        method="chained_equipercentile",
        equated=equated,
        x_probs=x.total.probs,
        settings={
            "anchor": "internal" if x.internal else "external",
            "presmooth": presmooth,
            "n_1": x.n,
            "n_2": y.n,
        },
        details=details,
        notes=tuple(_notes(x, y)),
    )
