"""Cubic-spline postsmoothing for many bootstrap replications at once.

The same computation as :func:`cehrs_items.equating.smoothing.postsmooth`, vectorised over
replications: each replication has its own fitting range ``[x_low, x_high]``, handled by
solving on the whole integer score grid with the knots outside the range fixed (their
second derivatives are 0 and they do not touch the fit inside). The pentadiagonal
systems are factorised by a batched LDL' recursion and the smoothing weight is found by
bisection on its logarithm for all replications together.
"""

from __future__ import annotations

import numpy as np

from cehrs_items.equating.percentiles import (
    equipercentile_kernel,
    equipercentile_se_batch,
    percentile_rank,
)

LOG_LAMBDA = (-30.0, 30.0)
MAX_STEPS = 60


def _solve_pentadiagonal(
    a0: np.ndarray, a1: np.ndarray, a2: np.ndarray, rhs: np.ndarray
) -> np.ndarray:
    """Solve symmetric positive-definite pentadiagonal systems, one per row.

    ``a0`` (B, N) is the diagonal, ``a1`` (B, N - 1) the first and ``a2`` (B, N - 2) the
    second super-diagonal. LDL' with a unit lower-triangular factor of bandwidth 2.
    """
    n = a0.shape[1]
    d = np.empty_like(a0)
    l1 = np.zeros_like(a0)  # l1[j] = L[j, j - 1]
    l2 = np.zeros_like(a0)  # l2[j] = L[j, j - 2]
    for j in range(n):
        dj = a0[:, j].copy()
        if j >= 2:
            l2[:, j] = a2[:, j - 2] / d[:, j - 2]
            dj -= l2[:, j] ** 2 * d[:, j - 2]
        if j >= 1:
            t = a1[:, j - 1] - (l2[:, j] * d[:, j - 2] * l1[:, j - 1] if j >= 2 else 0.0)
            l1[:, j] = t / d[:, j - 1]
            dj -= l1[:, j] ** 2 * d[:, j - 1]
        d[:, j] = dj
    z = np.empty_like(rhs)
    for j in range(n):
        zj = rhs[:, j].copy()
        if j >= 1:
            zj -= l1[:, j] * z[:, j - 1]
        if j >= 2:
            zj -= l2[:, j] * z[:, j - 2]
        z[:, j] = zj
    w = z / d
    x = np.empty_like(rhs)
    for j in range(n - 1, -1, -1):
        xj = w[:, j].copy()
        if j + 1 < n:
            xj -= l1[:, j + 1] * x[:, j + 1]
        if j + 2 < n:
            xj -= l2[:, j + 2] * x[:, j + 2]
        x[:, j] = xj
    return x


def _fit(y: np.ndarray, var: np.ndarray, lo: np.ndarray, hi: np.ndarray, s: float):
    """Smoothing splines on integer knots ``lo..hi`` per row; returns values and second
    derivatives on the full grid (zero outside the range) and the smoothing weights."""
    b, n = y.shape
    k = np.arange(n)
    inside = (k[None, :] >= lo[:, None]) & (k[None, :] <= hi[:, None])
    m = (hi - lo + 1).astype(np.float64)
    interior = (k[None, 1:-1] > lo[:, None]) & (k[None, 1:-1] < hi[:, None])  # knots 1..n-2
    var = np.where(inside, var, 0.0)
    # Reinsch matrices for unit spacing: R (2/3, 1/6) and Q'DQ, restricted to the interior.
    r0 = np.full((b, n - 2), 2 / 3)
    r1 = np.full((b, n - 3), 1 / 6)
    m0 = var[:, :-2] + 4 * var[:, 1:-1] + var[:, 2:]
    m1 = -2 * (var[:, 1:-2] + var[:, 2:-1])
    m2 = var[:, 2:-2].copy()
    qty = y[:, :-2] - 2 * y[:, 1:-1] + y[:, 2:]
    pair1 = interior[:, :-1] & interior[:, 1:]
    pair2 = interior[:, :-2] & interior[:, 2:]
    qty = np.where(interior, qty, 0.0)

    def solve(lam: np.ndarray):
        lam_c = lam[:, None]
        a0 = np.where(interior, r0 + lam_c * m0, 1.0)
        a1 = np.where(pair1, r1 + lam_c * m1, 0.0)
        a2 = np.where(pair2, lam_c * m2, 0.0)
        gamma_int = _solve_pentadiagonal(a0, a1, a2, qty)
        gamma = np.zeros((b, n))
        gamma[:, 1:-1] = gamma_int
        q_gamma = np.zeros((b, n))
        q_gamma[:, 1:] += gamma[:, :-1]
        q_gamma[:, :-1] += gamma[:, 1:]
        q_gamma -= 2 * gamma
        values = np.where(inside, y - lam_c * var * q_gamma, 0.0)
        return values, gamma

    def crit(values: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(inside, (y - values) ** 2 / var, 0.0)
        return z.sum(axis=1) / m

    if s <= 0:
        values, gamma = solve(np.zeros(b))
        return values, gamma, np.zeros(b)
    # Weighted least-squares line (the limit of infinite smoothing).
    w = np.where(inside, 1.0 / np.where(var > 0, var, 1.0), 0.0)
    sw, swx, swy = w.sum(1), (w * k).sum(1), (w * y).sum(1)
    swxx, swxy = (w * k * k).sum(1), (w * k * y).sum(1)
    slope = (sw * swxy - swx * swy) / (sw * swxx - swx**2)
    intercept = (swy - slope * swx) / sw
    line = np.where(inside, intercept[:, None] + slope[:, None] * k[None, :], 0.0)
    lo_t = np.full(b, LOG_LAMBDA[0])
    hi_t = np.full(b, LOG_LAMBDA[1])
    f_lo = crit(solve(np.exp(lo_t))[0]) - s
    f_hi = crit(solve(np.exp(hi_t))[0]) - s
    # Illinois (modified regula falsi) on log(lambda): the criterion is smooth and
    # increasing there, so it converges in a few steps; all rows move together.
    fa, fb = f_lo, f_hi
    side = np.zeros(b, dtype=np.int8)
    for _ in range(MAX_STEPS):
        with np.errstate(divide="ignore", invalid="ignore"):
            c = hi_t - fb * (hi_t - lo_t) / (fb - fa)
        c = np.where(np.isfinite(c), np.clip(c, lo_t, hi_t), 0.5 * (lo_t + hi_t))
        fc = crit(solve(np.exp(c))[0]) - s
        left = fc < 0  # root lies right of c: c becomes the new lower end
        lo_t, fa = np.where(left, c, lo_t), np.where(left, fc, fa)
        hi_t, fb = np.where(left, hi_t, c), np.where(left, fb, fc)
        # Illinois step: halve the stale end's value when the same end is kept twice.
        fb = np.where(left & (side == 1), fb / 2, fb)
        fa = np.where(~left & (side == -1), fa / 2, fa)
        side = np.where(left, 1, -1).astype(np.int8)
        if np.all((np.abs(fc) <= 1e-10 * s) | (hi_t - lo_t < 1e-10)):
            break
    lam = np.exp(np.where(np.abs(fa) < np.abs(fb), lo_t, hi_t))
    lam = np.where(f_lo >= 0, 0.0, lam)
    values, gamma = solve(lam)
    use_line = (crit(line) <= s) | (f_hi < 0)
    values = np.where(use_line[:, None], line, values)
    gamma = np.where(use_line[:, None], 0.0, gamma)
    return values, gamma, np.where(use_line, np.inf, lam)


def _evaluate(
    values: np.ndarray,
    gamma: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    t: np.ndarray,
    *,
    derivative: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Each row's natural cubic spline (integer knots) at ``t`` (shape (M,) or (B, M)),
    clipped to the row's range; optionally also the first derivative."""
    t = np.broadcast_to(t, (values.shape[0], t.shape[-1]))
    tc = np.clip(t, lo[:, None], hi[:, None]).astype(np.float64)
    i = np.clip(
        np.floor(tc).astype(np.int64), lo[:, None], np.maximum(hi[:, None] - 1, lo[:, None])
    )
    a = tc - i
    bb = 1 - a
    last = values.shape[1] - 1
    v0 = np.take_along_axis(values, i, axis=1)
    v1 = np.take_along_axis(values, np.minimum(i + 1, last), axis=1)
    g0 = np.take_along_axis(gamma, i, axis=1)
    g1 = np.take_along_axis(gamma, np.minimum(i + 1, last), axis=1)
    curve = (1 + a) * g1 + (1 + bb) * g0
    out = a * v1 + bb * v0 - (1 / 6) * a * bb * curve
    if not derivative:
        return out
    slope = v1 - v0 - (1 / 6) * ((1 - 2 * a) * curve + a * bb * (g1 - g0))
    return out, slope


def _direction(pa: np.ndarray, pb: np.ndarray, na: np.ndarray, nb: np.ndarray, s: float):
    ka = pa.shape[1] - 1
    xs = np.arange(ka + 1, dtype=np.float64)
    e = equipercentile_kernel(pa, pb)
    pr = percentile_rank(pa, xs)
    ok = (pr >= 0.5) & (pr <= 99.5)
    lo = np.argmax(ok, axis=1)
    hi = ka - np.argmax(ok[:, ::-1], axis=1)
    valid = ok.any(axis=1) & (hi > lo)
    lo = np.where(valid, lo, 0)
    hi = np.where(valid, hi, ka)
    se = equipercentile_se_batch(pa, pb, na, nb)
    inside = (xs[None, :] >= lo[:, None]) & (xs[None, :] <= hi[:, None])
    positive = np.where(inside & (se > 0), se, np.inf)
    floor = positive.min(axis=1)
    floor = np.where(np.isfinite(floor), floor, 1.0)
    se = np.where(se > 0, se, floor[:, None])
    values, gamma, lam = _fit(e, se**2, lo, hi, s)
    return values, gamma, lo, hi, valid, lam


def _full(values, gamma, lo, hi, ka, kb, t, *, derivative=False):
    """The whole postsmoothed function: spline inside [lo, hi], K&B's straight lines to
    (-.5, -.5) and (K_a + .5, K_b + .5) outside. ``t`` is (M,) or (B, M)."""
    t = np.broadcast_to(t, (values.shape[0], t.shape[-1]))
    d, ds = _evaluate(values, gamma, lo, hi, t, derivative=True)
    d_lo = np.take_along_axis(values, lo[:, None], axis=1)
    d_hi = np.take_along_axis(values, hi[:, None], axis=1)
    lo_c, hi_c = lo[:, None].astype(float), hi[:, None].astype(float)
    slope_below = (d_lo + 0.5) / (lo_c + 0.5)
    slope_above = ((kb + 0.5) - d_hi) / ((ka + 0.5) - hi_c)
    below = slope_below * (t + 0.5) - 0.5
    above = d_hi + slope_above * (t - hi_c)
    out = np.where(t < lo_c, below, np.where(t > hi_c, above, d))
    if not derivative:
        return out
    deriv = np.where(t < lo_c, slope_below, np.where(t > hi_c, slope_above, ds))
    return out, deriv


def _invert(values, gamma, lo, hi, ka, kb, targets: np.ndarray) -> np.ndarray:
    """Smallest t in [-.5, K_a + .5] with f(t) >= target, f the (made monotone) postsmoothed
    function of each row: bracket between integer knots, then safeguarded Newton."""
    b = values.shape[0]
    knots = np.concatenate([[-0.5], np.arange(ka + 1, dtype=np.float64), [ka + 0.5]])
    f_knots = np.maximum.accumulate(_full(values, gamma, lo, hi, ka, kb, knots), axis=1)
    tgt = np.broadcast_to(targets, (b, targets.shape[-1]))
    # Interval index: last knot whose (monotone) value is below the target.
    j = np.sum(f_knots[:, None, :] < tgt[:, :, None], axis=-1) - 1
    j = np.clip(j, 0, knots.size - 2)
    left = knots[j]
    right = knots[j + 1]
    f_left = np.take_along_axis(f_knots, j, axis=1)
    f_right = np.take_along_axis(f_knots, j + 1, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(
            f_right > f_left, left + (tgt - f_left) / (f_right - f_left) * (right - left), left
        )
    t = np.clip(t, left, right)
    for _ in range(30):
        f, df = _full(values, gamma, lo, hi, ka, kb, t, derivative=True)
        resid = f - tgt
        if np.all(np.abs(resid) < 1e-12):
            break
        left = np.where(resid < 0, t, left)
        right = np.where(resid > 0, t, right)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = t - resid / df
        bad = ~np.isfinite(step) | (step <= left) | (step >= right)
        t = np.where(bad, 0.5 * (left + right), step)
    # Targets beyond the function's range map to the ends (as interpolation clamps).
    t = np.where(tgt <= f_knots[:, :1], -0.5, t)
    return np.where(tgt >= f_knots[:, -1:], ka + 0.5, t)


def postsmooth_batch(
    px: np.ndarray, py: np.ndarray, nx: np.ndarray, ny: np.ndarray, s: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Symmetric cubic-spline postsmoothed equivalents for each row (K&B 2014, sec. 3.4;
    see :func:`cehrs_items.equating.smoothing.postsmooth`), and per-row details (fitting
    ranges and smoothing weights of both directions). Rows without two scores inside the
    percentile-rank range [.5, 99.5] give NaN (a failed replication)."""
    kx, ky = px.shape[1] - 1, py.shape[1] - 1
    vx, gx, lox, hix, okx, lamx = _direction(px, py, nx, ny, s)
    vy, gy, loy, hiy, oky, lamy = _direction(py, px, ny, nx, s)
    xs = np.arange(kx + 1, dtype=np.float64)
    d_xy = _full(vx, gx, lox, hix, kx, ky, xs)
    inverse = _invert(vy, gy, loy, hiy, ky, kx, xs)
    out = 0.5 * (d_xy + inverse)
    details = {
        "x_low": lox,
        "x_high": hix,
        "weight_x_to_y": lamx,
        "y_low": loy,
        "y_high": hiy,
        "weight_y_to_x": lamy,
    }
    return np.where((okx & oky)[:, None], out, np.nan), details
