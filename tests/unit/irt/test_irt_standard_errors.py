"""Louis observed-information SEs against a finite-difference Hessian of the marginal
log likelihood, computed independently here."""

import numpy as np
import pytest
from irt_sim import item_ids, simulate
from scipy.special import expit

from cehrs_items.irt.mml_em import mml_em
from cehrs_items.irt.quadrature import make_quadrature


def _marginal_loglik(par, x, om, quad, n_items):
    alpha, gamma = par[:n_items], par[n_items:]
    p = expit(quad.z[:, None] * alpha + gamma)
    obs = ~om
    ll = (x * obs) @ np.log(p).T + ((1 - x) * obs) @ np.log1p(-p).T
    return float(np.log(np.exp(ll) @ quad.weights).sum())


def _numerical_hessian(fun, x0, h=1e-4):
    k = x0.size
    hess = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            e_i = np.eye(k)[i] * h
            e_j = np.eye(k)[j] * h
            hess[i, j] = (
                fun(x0 + e_i + e_j)
                - fun(x0 + e_i - e_j)
                - fun(x0 - e_i + e_j)
                + fun(x0 - e_i - e_j)
            ) / (4 * h * h)
    return hess


def test_louis_equals_finite_difference_hessian_with_missing_data():
    n_items = 4
    x, om, *_ = simulate(600, n_items, seed=21, omit_rate=0.2)
    quad = make_quadrature("gh", 21)
    res = mml_em(
        x, omitted=om, item_ids=item_ids(n_items), quadrature=quad, tol=1e-10, max_iter=5000
    )
    p = res.params
    par = np.concatenate([p["slope"].to_numpy(), p["intercept"].to_numpy()])
    hess = _numerical_hessian(lambda v: _marginal_loglik(v, x, om, quad, n_items), par)
    se = np.sqrt(np.diag(np.linalg.inv(-hess)))
    assert np.allclose(p["se_slope"].to_numpy(), se[:n_items], rtol=1e-4)
    assert np.allclose(p["se_intercept"].to_numpy(), se[n_items:], rtol=1e-4)
    # Delta method: se_a = se_slope / d; se_b from the slope-intercept covariance.
    assert np.allclose(p["se_a"].to_numpy(), p["se_slope"].to_numpy())
    cov = np.linalg.inv(-hess)
    for j in range(n_items):
        a_j, g_j = par[j], par[n_items + j]
        grad = np.array([g_j / a_j**2, -1 / a_j])
        sub = cov[np.ix_([j, n_items + j], [j, n_items + j])]
        assert p["se_b"][j] == pytest.approx(float(np.sqrt(grad @ sub @ grad)), rel=1e-4)


def test_crossprod_is_close_to_louis_in_large_samples():
    x, *_ = simulate(5000, 10, seed=22)
    louis = mml_em(x, item_ids=item_ids(10), se_method="louis")
    xpd = mml_em(x, item_ids=item_ids(10), se_method="crossprod")
    ratio = xpd.params["se_b"].to_numpy() / louis.params["se_b"].to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.15)
    assert louis.settings["se_method"] == "louis"


def test_se_none_leaves_nulls():
    x, *_ = simulate(200, 5, seed=23)
    res = mml_em(x, item_ids=item_ids(5), se_method="none")
    assert res.params["se_a"].is_null().all() and res.params["se_b"].is_null().all()
