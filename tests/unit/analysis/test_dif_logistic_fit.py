"""The batched Newton fit of logistic DIF: step halving re-evaluates only the items
whose step is halved, and gives the same bits as re-evaluating every item."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, xlogy

from cehrs_items.analysis import dif_logistic
from cehrs_items.analysis.dif_logistic import MAX_NEWTON, NEWTON_TOL, _fit


def _fit_every_item(design, right, total):
    """The fit as it was written before: every halving re-evaluates all items."""
    n_cells, p = design.shape
    k = right.shape[1]
    beta = np.zeros((k, p))
    overall = right.sum(0) / np.maximum(total.sum(0), 1e-300)
    beta[:, 0] = np.log(np.clip(overall, 1e-6, 1 - 1e-6) / np.clip(1 - overall, 1e-6, 1))

    def loglik(b):
        mu = expit(design @ b.T)
        return (xlogy(right, mu) + xlogy(total - right, 1 - mu)).sum(0)

    ll = loglik(beta)
    converged = np.zeros(k, dtype=bool)
    ridge = 1e-12 * np.eye(p)
    for _ in range(MAX_NEWTON):
        mu = expit(design @ beta.T)
        grad = (design.T @ (right - total * mu)).T
        w = total * mu * (1 - mu)
        hess = np.einsum("ci,cj,ck->kij", design, design, w) + ridge
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        step[converged] = 0.0
        scale = np.ones(k)
        new_ll = loglik(beta + step)
        for _ in range(30):
            worse = new_ll < ll - 1e-12
            if not worse.any():
                break
            scale[worse] *= 0.5
            new_ll = loglik(beta + scale[:, None] * step)
        beta = beta + scale[:, None] * step
        change = np.abs(new_ll - ll)
        ll = np.maximum(new_ll, ll)
        converged |= (np.abs(scale[:, None] * step).max(1) < NEWTON_TOL) | (change < 1e-12)
        if converged.all():
            break
    return ll, converged


def _cells(seed: int, n_scores: int, k: int, per_cell: float):
    """Simulated (2 groups x scores) cells of k items with uniform DIF on some items."""
    rng = np.random.default_rng(seed)
    s = np.arange(n_scores, dtype=float)
    z = (s - s.mean()) / s.std()
    rows = []
    for g in (0.0, 1.0):
        for zz in z:
            rows.append((1.0, zz, g, zz * g))
    design = np.array(rows)
    a = rng.uniform(0.5, 2.0, k)
    b = rng.normal(0, 1, k)
    dif = np.where(rng.random(k) < 0.3, rng.normal(0, 0.6, k), 0.0)
    eta = a[None, :] * (design[:, 1:2] - b[None, :]) + design[:, 2:3] * dif[None, :]
    total = rng.poisson(per_cell, size=(design.shape[0], k)).astype(float) + 1.0
    right = rng.binomial(total.astype(np.int64), expit(eta)).astype(float)
    return design, right, total


def test_fit_bits_equal_reevaluating_every_item(monkeypatch):
    widths: list[int] = []

    def counted_expit(x):
        widths.append(x.shape[1])
        return expit(x)

    monkeypatch.setattr(dif_logistic, "expit", counted_expit)
    for seed, n_scores, k, per_cell in ((1, 41, 30, 4000.0), (2, 101, 125, 3000.0), (3, 6, 7, 3.0)):
        design, right, total = _cells(seed, n_scores, k, per_cell)
        for p in (2, 3, 4):
            widths.clear()
            got_ll, got_ok = _fit(design[:, :p], right, total)
            want_ll, want_ok = _fit_every_item(design[:, :p], right, total)
            assert np.array_equal(got_ll, want_ll)
            assert np.array_equal(got_ok, want_ok)
            if seed == 2:  # many examinees per cell: rounding makes some steps halve
                assert min(widths) < k
