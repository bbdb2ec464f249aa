"""Standard errors of MML item estimates from the observed information.

Louis's (1982) identity gives the observed information of the marginal log likelihood
from complete-data quantities averaged over each pattern's posterior:

.. math::

    I_{obs} = \\sum_p f_p \\Big( E[-\\partial^2 \\ell_c \\mid x_p]
              - E[s_c s_c^\\top \\mid x_p] + \\bar s_p \\bar s_p^\\top \\Big),
    \\qquad \\bar s_p = E[s_c \\mid x_p]

With :math:`e_{pjq} = x_{pj} - o_{pj} P_{jq}` and
:math:`k_{jq} = \\partial P_{jq} / \\partial \\xi_j / (P_{jq}(1 - P_{jq}))`, the middle term's
block for items j, m is :math:`\\sum_q k_{jq} k_{mq}^\\top \\sum_p f_p \\pi_{pq} e_{pjq}
e_{pmq}` (one Gram matrix per node). The cross-product ("XPD", empirical information)
alternative keeps only the last term. The negative Hessian of the log prior is added to
either, so the SEs are those of the posterior mode. Coordinates are slope, intercept and
``c`` itself; :math:`a = \\alpha/d`, :math:`b = -\\gamma/\\alpha` by the delta method.

Tested against: a central finite-difference Hessian of the marginal log likelihood
(rel 1e-4, ``tests/unit/irt/test_irt_standard_errors.py``), R ``optimHess`` on LSAT6/7
(abs 2e-5), and the spread of (estimate - truth) / SE in simulated data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from cehrs_items.irt.patterns import MISSING

_EPS = 1e-12


@dataclass(frozen=True)
class ItemSE:
    """Per-item SEs (NaN where the information is singular, None where not estimated)."""

    se_a: list[float | None]
    se_b: list[float | None]
    se_c: list[float | None]
    se_slope: list[float | None]
    se_intercept: list[float | None]
    se_sd: float | None
    vcov: np.ndarray | None


def _none_list(n: int) -> list[float | None]:
    return [None] * n


def observed_information_se(
    chunks,
    posterior: Callable[[np.ndarray], np.ndarray] | None,
    theta: np.ndarray,
    alpha: np.ndarray,
    gamma: np.ndarray,
    c: np.ndarray,
    *,
    free: np.ndarray,
    model: str,
    priors,
    d: float,
    method: str,
    tie_sd: bool,
    z: np.ndarray,
    sd: float,
) -> ItemSE:
    """SEs of the free items' parameters (see the module docstring for the method).

    ``chunks`` adds up a function of each chunk of patterns (``sum_chunks(fn, *args)``
    summing ``fn(codes, freq, *args)`` in a fixed order, with ``has_missing``: the
    E-step's ``_EStep``); ``posterior(codes)`` gives the posterior
    over the nodes of a chunk's patterns (rows sum to 1). The sums run over the chunks,
    so neither the posterior nor a float copy of the patterns is ever held whole.
    ``tie_sd``: the Rasch model with its latent SD estimated; the information is taken
    in z-scale coordinates where every item's slope equals ``d * sd`` and the common slope
    is one parameter, so ``se_sd`` is returned as well.
    """
    n_items = alpha.size
    out = {k: _none_list(n_items) for k in ("se_a", "se_b", "se_c", "se_slope", "se_intercept")}
    if method == "none" or posterior is None or not np.any(free):
        return ItemSE(**out, se_sd=None, vcov=None)
    fidx = np.flatnonzero(free)
    nf = fidx.size
    if tie_sd:
        nodes = z
        al = np.full(nf, d * sd)
    else:
        nodes = theta
        al = alpha[fidx]
    ga, cc = gamma[fidx], c[fidx]
    coords = ["alpha", "gamma"] if model != "rasch" or tie_sd else ["gamma"]
    if model == "3pl":
        coords.append("c")
    k = len(coords)

    s = expit(nodes[:, None] * al + ga)
    p = np.clip(cc + (1 - cc) * s, _EPS, 1 - _EPS)
    s1 = s * (1 - s)
    s2 = s1 * (1 - 2 * s)
    dp = {
        "alpha": (1 - cc) * s1 * nodes[:, None],
        "gamma": (1 - cc) * s1,
        "c": 1 - s,
    }
    t = nodes[:, None]
    d2 = {
        ("alpha", "alpha"): (1 - cc) * s2 * t * t,
        ("alpha", "gamma"): (1 - cc) * s2 * t,
        ("gamma", "gamma"): (1 - cc) * s2,
        ("alpha", "c"): -s1 * t,
        ("gamma", "c"): -s1,
        ("c", "c"): np.zeros_like(s),
    }
    pq = p * (1 - p)
    kv = [dp[name] / pq for name in coords]  # each Q x F

    louis = method == "louis"
    size = nf * k
    kv_p = [p * kk for kk in kv]
    p_32 = p.astype(np.float32)
    has_missing = chunks.has_missing

    def chunk_part(codes: np.ndarray, f: np.ndarray):
        block = codes[:, fidx]
        x1 = (block == 1).astype(np.float64)
        obs = (block != MISSING).astype(np.float64) if has_missing else None
        pp = posterior(codes)
        wpost = pp * f[:, None]
        r_part = x1.T @ wpost  # F x Q
        n_part = obs.T @ wpost if obs is not None else wpost.sum(0)
        # Term 3: cross-product of pattern scores (the whole of the XPD method), float32
        # products accumulated into float64.
        g = np.empty((pp.shape[0], nf, k))
        for i in range(k):
            g[:, :, i] = x1 * (pp @ kv[i])
            g[:, :, i] -= (pp @ kv_p[i]) if obs is None else obs * (pp @ kv_p[i])
        g = g.reshape(pp.shape[0], size).astype(np.float32)
        info_part = ((g * f[:, None].astype(np.float32)).T @ g).astype(np.float64)
        if not louis:
            return r_part, n_part, info_part, None
        # Term 2's Gram matrices, one per node. Only patterns with posterior mass at node q
        # contribute to it; with long tests each posterior is concentrated on a few nodes,
        # so rows below 1e-11 of posterior probability are skipped (their share of any
        # entry is < 1e-11). Float32 products (about 1e-6 relative rounding, far below the
        # SEs' own precision) accumulated into float64.
        x1_32 = x1.astype(np.float32)
        obs_32 = None if obs is None else obs.astype(np.float32)
        gram = np.zeros((nodes.size, nf, nf))
        for q in range(nodes.size):
            rows = np.flatnonzero(pp[:, q] > 1e-11)
            if rows.size == 0:
                continue
            y = x1_32[rows] - (p_32[q] if obs_32 is None else obs_32[rows] * p_32[q])
            y *= np.sqrt(wpost[rows, q]).astype(np.float32)[:, None]
            gram[q] = (y.T @ y).astype(np.float64)
        return r_part, n_part, info_part, gram

    # The chunks' sums are added in a fixed order, so the result does not depend on the
    # number of threads or on the engine.
    r, n, info, gram = chunks.sum_chunks(chunk_part)
    info = np.array(info)
    n = np.broadcast_to(n, r.shape)  # without omissions, one row of node totals
    r, n = r.T, n.T  # Q x F
    nmr = n - r
    if louis:
        # Term 1: expected complete-data information, block diagonal.
        w1 = r / p**2 + nmr / (1 - p) ** 2
        w2 = r / p - nmr / (1 - p)
        blocks = np.zeros((nf, k, k))
        for i, a_name in enumerate(coords):
            for jj, b_name in enumerate(coords):
                key = (a_name, b_name) if (a_name, b_name) in d2 else (b_name, a_name)
                blocks[:, i, jj] = (w1 * dp[a_name] * dp[b_name] - w2 * d2[key]).sum(0)
        # Term 2: posterior expectation of the complete-data score outer product.
        kq_all = np.stack(kv, axis=-1)  # Q x F x k
        term2 = np.einsum("qja,qmb,qjm->jamb", kq_all, kq_all, gram, optimize=True)
        info -= term2.reshape(size, size)
        for j in range(nf):
            info[j * k : (j + 1) * k, j * k : (j + 1) * k] += blocks[j]

    # Prior curvature (negative Hessian of the log prior) in the same coordinates.
    ia = coords.index("alpha") if "alpha" in coords else None
    ig = coords.index("gamma")
    for j in range(nf):
        base = j * k
        if model == "3pl" and priors.c is not None:
            pa, pb = priors.c
            ic = coords.index("c")
            info[base + ic, base + ic] += (pa - 1) / cc[j] ** 2 + (pb - 1) / (1 - cc[j]) ** 2
        if model != "rasch" and priors.a is not None:
            m, sdv = priors.a
            la = np.log(al[j] / d)
            h = (1 + (la - m) / sdv**2) / al[j] ** 2 - 1 / (sdv**2 * al[j] ** 2)
            info[base + ia, base + ia] += -h
        if priors.b is not None:
            m, sdv = priors.b
            if model == "rasch":
                info[base + ig, base + ig] += 1 / (sdv**2 * d**2)
            else:
                a_j, g_j = al[j], ga[j]
                b_j = -g_j / a_j
                grad_b = np.array([g_j / a_j**2, -1 / a_j])
                hess_b = np.array([[-2 * g_j / a_j**3, 1 / a_j**2], [1 / a_j**2, 0.0]])
                block = (np.outer(grad_b, grad_b) + (b_j - m) * hess_b) / sdv**2
                idx = [base + ia, base + ig]
                info[np.ix_(idx, idx)] += block

    # Map to the estimated parameters.
    if tie_sd:
        tmat = np.zeros((size, nf + 1))
        tmat[np.arange(nf) * k + ia, 0] = 1.0
        tmat[np.arange(nf) * k + ig, 1 + np.arange(nf)] = 1.0
        info = tmat.T @ info @ tmat
    info = 0.5 * (info + info.T)
    try:
        np.linalg.cholesky(info)
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.full_like(info, np.nan)
    se_sd = None
    if tie_sd:
        var_tau = cov[0, 0]
        se_sd = float(np.sqrt(var_tau) / d) if var_tau >= 0 else float("nan")
        var_g = np.diag(cov)[1:]
        for jj, j in enumerate(fidx):
            sg = float(np.sqrt(var_g[jj])) if var_g[jj] >= 0 else float("nan")
            out["se_intercept"][j] = sg
            out["se_b"][j] = sg / d
        return ItemSE(**out, se_sd=se_sd, vcov=cov)
    for jj, j in enumerate(fidx):
        blk = cov[jj * k : (jj + 1) * k, jj * k : (jj + 1) * k]
        diag = np.sqrt(np.where(np.diag(blk) >= 0, np.diag(blk), np.nan))
        out["se_intercept"][j] = float(diag[ig])
        if model == "rasch":
            out["se_b"][j] = float(diag[ig]) / d
            continue
        out["se_slope"][j] = float(diag[ia])
        out["se_a"][j] = float(diag[ia]) / d
        a_j, g_j = al[jj], ga[jj]
        grad_b = np.array([g_j / a_j**2, -1 / a_j])
        sub = blk[np.ix_([ia, ig], [ia, ig])]
        var_b = float(grad_b @ sub @ grad_b)
        out["se_b"][j] = float(np.sqrt(var_b)) if var_b >= 0 else float("nan")
        if model == "3pl":
            out["se_c"][j] = float(diag[coords.index("c")])
    return ItemSE(**out, se_sd=se_sd, vcov=cov)
