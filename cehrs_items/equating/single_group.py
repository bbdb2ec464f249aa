"""Single-group design: one group takes both forms (Kolen & Brennan 2014, sec. 2.8).

The equating functions are those of the random-groups design applied to the two marginal
distributions of the joint (Form X x Form Y) score table; what differs is sampling: the
two margins come from the same examinees, so standard errors account for the
correlation. The bootstrap resamples examinees (cells of the joint table); the analytic
SE of mean and linear equating is the delta method on the joint sample moments.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cehrs_items.equating import percentiles, random_groups, smoothing, spline_batch
from cehrs_items.equating.freq import BivariateDist, ScoreDist, normalise
from cehrs_items.equating.result import EquatingResult
from cehrs_items.errors import EquatingError

METHODS = ("mean", "linear", "equipercentile")


def marginals(joint: BivariateDist) -> tuple[ScoreDist, ScoreDist]:
    """Form X (rows) and Form Y (columns) score distributions of a joint table."""
    x = ScoreDist(joint.counts.sum(axis=1), name="X", source=joint.source, sha256=joint.sha256)
    y = ScoreDist(joint.counts.sum(axis=0), name="Y", source=joint.source, sha256=joint.sha256)
    return x, y


def linear_se(joint: BivariateDist, method: str) -> np.ndarray:
    """Delta-method SE of single-group mean or linear equating at each Form X score.

    The equated score is a function of the sample moments
    ``m = (mean X, mean Y, mean X^2, mean Y^2)`` of one group; with their covariance
    :math:`\\Sigma = [E(tt') - E(t)E(t)']/N` (which carries the X-Y correlation),

    .. math:: \\widehat{var}[\\hat l_Y(x)] = \\nabla' \\Sigma \\nabla

    (gradient by central differences). For mean equating this is
    :math:`[\\sigma^2(X) + \\sigma^2(Y) - 2\\sigma(X, Y)]/N`.

    References
    ----------
    Kolen & Brennan (2014), sec. 7.x (delta method; single-group design).

    Tested against: the closed form for mean equating (rel 1e-6) and bootstrap SEs
    (rel 0.15).
    """
    kx = joint.max_score
    xs_grid = np.arange(kx + 1, dtype=np.float64)[:, None]
    ys_grid = np.arange(joint.max_anchor + 1, dtype=np.float64)[None, :]
    p = joint.counts / joint.n
    t = np.stack(
        [
            np.broadcast_to(xs_grid, p.shape),
            np.broadcast_to(ys_grid, p.shape),
            np.broadcast_to(xs_grid**2, p.shape),
            np.broadcast_to(ys_grid**2, p.shape),
        ]
    ).reshape(4, -1)
    w = p.ravel()
    m = t @ w
    cov = ((t * w) @ t.T - np.outer(m, m)) / joint.n
    xs = np.arange(kx + 1, dtype=np.float64)

    def equated(v: np.ndarray) -> np.ndarray:
        if method == "mean":
            return xs - v[0] + v[1]
        sx = np.sqrt(v[2] - v[0] ** 2)
        sy = np.sqrt(v[3] - v[1] ** 2)
        return v[1] + sy / sx * (xs - v[0])

    grad = np.empty((4, xs.size))
    for i in range(4):
        h = 1e-6 * max(1.0, abs(m[i]))
        up, down = m.copy(), m.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (equated(up) - equated(down)) / (2 * h)
    var = np.einsum("ik,ij,jk->k", grad, cov, grad)
    return np.sqrt(np.maximum(var, 0.0))


def equate_single_group(
    joint: BivariateDist,
    *,
    method: str,
    presmooth: int | str | None = None,
    postsmooth: float | None = None,
    se_kind: str | None = None,
    replications: int = 1000,
    seed: int = 0,
) -> EquatingResult:
    """Mean, linear or equipercentile equating in the single-group design.

    Parameters
    ----------
    joint : BivariateDist
        Joint frequencies: rows Form X scores ``0 .. K_X``, columns Form Y scores.
    method, presmooth, postsmooth
        As for the random-groups functions (smoothing applies to the margins).
    se_kind : "analytic", "bootstrap" or None
        Analytic SEs exist for mean and linear equating (:func:`linear_se`); the
        bootstrap resamples examinees (multinomial draws over the joint table's cells).

    Returns
    -------
    EquatingResult
        With ``design = "single_group"``.

    References
    ----------
    Kolen & Brennan (2014), sec. 2.8 and ch. 7.

    Tested against: a joint table whose margins are the ACT Mathematics distributions
    gives the random-groups equivalents (abs 1e-12); SEs as in :func:`linear_se`.
    """
    if method not in METHODS:
        raise EquatingError(
            f"method {method.replace('_', '-')} is not available in the single-group design; "
            "use mean, linear or equipercentile"
        )
    x, y = marginals(joint)
    if method == "mean":
        result = random_groups.mean(x, y)
    elif method == "linear":
        result = random_groups.linear(x, y)
    else:
        result = random_groups.equipercentile(x, y, presmooth=presmooth, postsmooth=postsmooth)
    corr = _correlation(joint)
    result = replace(
        result,
        design="single_group",
        settings={**result.settings, "n": joint.n, "n_x": None, "n_y": None},
        details={**result.details, "correlation_xy": corr},
    )
    if se_kind is None:
        return result
    if se_kind == "analytic":
        if method == "equipercentile":
            raise EquatingError(
                "no analytic SE for single-group equipercentile equating; use --bootstrap"
            )
        return replace(result, se=linear_se(joint, method), se_method="analytic (delta method)")
    if replications < 2:
        raise EquatingError(f"--bootstrap {replications}: use at least 2 replications")
    rng = np.random.default_rng(seed)
    n = int(round(joint.n))
    draws = rng.multinomial(n, (joint.counts / joint.n).ravel(), size=replications).reshape(
        replications, *joint.counts.shape
    )
    cx = draws.sum(axis=2).astype(np.float64)
    cy = draws.sum(axis=1).astype(np.float64)
    xs = np.arange(joint.max_score + 1, dtype=np.float64)
    if method in ("mean", "linear"):
        kern = random_groups.mean_kernel if method == "mean" else random_groups.linear_kernel
        slope, intercept = kern(normalise(cx), normalise(cy))
        boot = slope[:, None] * xs[None, :] + intercept[:, None]
    elif presmooth is not None:
        degrees = result.details["presmoothing"]
        fx = smoothing.loglinear_batch(cx, degrees["x"]["degree"])
        fy = smoothing.loglinear_batch(cy, degrees["y"]["degree"])
        boot = percentiles.equipercentile_kernel(normalise(fx), normalise(fy))
    elif postsmooth is not None:
        boot = spline_batch.postsmooth_batch(
            normalise(cx), normalise(cy), cx.sum(axis=1), cy.sum(axis=1), postsmooth
        )[0]
    else:
        boot = percentiles.equipercentile_kernel(normalise(cx), normalise(cy))
    good = np.all(np.isfinite(boot), axis=1)
    if good.sum() < 2:
        raise EquatingError("bootstrap: fewer than 2 replications gave finite equated scores")
    notes = list(result.notes)
    if (~good).any():
        notes.append(
            f"bootstrap: {int((~good).sum())} of {replications} replications failed and were "
            "left out"
        )
    return replace(
        result,
        se=boot[good].std(axis=0, ddof=1),
        se_method="bootstrap",
        settings={**result.settings, "bootstrap_replications": replications, "seed": seed},
        notes=tuple(notes),
    )


def _correlation(joint: BivariateDist) -> float | None:
    p = joint.counts / joint.n
    xs = np.arange(joint.max_score + 1, dtype=np.float64)
    ys = np.arange(joint.max_anchor + 1, dtype=np.float64)
    px, py = p.sum(axis=1), p.sum(axis=0)
    mx, my = px @ xs, py @ ys
    vx, vy = px @ (xs - mx) ** 2, py @ (ys - my) ** 2
    if vx <= 0 or vy <= 0:
        return None
    return float(((xs - mx)[:, None] * (ys - my)[None, :] * p).sum() / np.sqrt(vx * vy))
