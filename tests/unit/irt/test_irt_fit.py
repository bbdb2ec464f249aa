"""S-X2 and the Lord-Wingersky recursion against brute-force enumeration."""

import itertools

import numpy as np
import pytest
from irt_sim import item_ids, simulate

from cehrs_items.irt.fit import expected_proportions, lord_wingersky, sx2
from cehrs_items.irt.mml_em import mml_em
from cehrs_items.irt.models import probability
from cehrs_items.irt.quadrature import make_quadrature


def _patterns(n_items):
    return np.array(list(itertools.product([0, 1], repeat=n_items)))


def test_lord_wingersky_matches_enumeration():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.1, 0.9, (3, 6))
    dist = lord_wingersky(p)
    pats = _patterns(6)
    for q in range(3):
        lik = np.prod(np.where(pats == 1, p[q], 1 - p[q]), axis=1)
        brute = np.bincount(pats.sum(1), weights=lik, minlength=7)
        assert np.allclose(dist[q], brute, atol=1e-14)


def test_expected_proportions_match_enumeration():
    rng = np.random.default_rng(2)
    quad = make_quadrature("gh", 15)
    a, b = rng.uniform(0.6, 1.8, 6), rng.normal(0, 1, 6)
    p = probability(quad.z, a, b, 0.2)
    e, marg = expected_proportions(p, quad.weights)
    pats = _patterns(6)
    lik = np.array([np.prod(np.where(pats == 1, p[q], 1 - p[q]), axis=1) for q in range(15)])
    joint = quad.weights @ lik  # P(pattern)
    raw = pats.sum(1)
    for k in range(1, 6):
        sel = raw == k
        assert marg[k] == pytest.approx(joint[sel].sum(), abs=1e-13)
        for i in range(6):
            brute = joint[sel & (pats[:, i] == 1)].sum() / joint[sel].sum()
            assert e[i, k] == pytest.approx(brute, abs=1e-12)


def test_sx2_null_distribution_is_roughly_chi_square():
    # Data from the fitted model's family: p-values should look uniform.
    pvals = []
    for seed in range(3):
        x, *_ = simulate(1500, 15, seed=100 + seed)
        res = mml_em(x, item_ids=item_ids(15), se_method="none")
        p = probability(res.quadrature.z, res.params["a"].to_numpy(), res.params["b"].to_numpy())
        fit = sx2(x, p, res.quadrature.weights, item_ids=item_ids(15), n_params=[2] * 15)
        pvals.extend(fit["sx2_p"].to_list())
    pvals = np.array(pvals)
    assert 0.35 < pvals.mean() < 0.65
    assert (pvals < 0.05).mean() < 0.15


def test_sx2_flags_a_misfitting_item():
    x, _, a, b, _, theta = simulate(3000, 15, seed=7)
    rng = np.random.default_rng(0)
    # Item 0 replaced by a non-monotone item: right for middling abilities only.
    x[:, 0] = (rng.random(3000) < np.where(np.abs(theta) < 0.7, 0.9, 0.2)).astype(np.int8)
    res = mml_em(x, item_ids=item_ids(15), se_method="none")
    p = probability(res.quadrature.z, res.params["a"].to_numpy(), res.params["b"].to_numpy())
    fit = sx2(x, p, res.quadrature.weights, item_ids=item_ids(15), n_params=[2] * 15)
    assert fit["sx2_p"][0] < 1e-6
    assert fit["sx2_df"][0] >= 5


def test_sx2_tiny_sample_gives_nan_not_crash():
    x = np.array([[1, 0, 1], [0, 1, 1]], dtype=np.int8)
    quad = make_quadrature("gh", 11)
    p = probability(quad.z, np.ones(3), np.zeros(3))
    fit = sx2(x, p, quad.weights, item_ids=["A", "B", "C"], n_params=[2, 2, 2])
    assert fit["sx2_p"].is_nan().all()


def test_leave_one_out_equals_rerunning_the_recursion():
    from cehrs_items.irt.fit import leave_one_out_distributions

    rng = np.random.default_rng(5)
    p = rng.uniform(0.001, 0.999, (9, 30))
    p[:, 0] = 0.5
    p[0, :5] = [0.999, 0.001, 0.9999, 1e-4, 0.5]
    p[1, 5:7] = [1.0, 0.0]  # exactly certain at a node: the unused branch divides by 0
    loo = leave_one_out_distributions(p)
    with np.errstate(all="raise"):
        leave_one_out_distributions(p)  # no warning escapes
    for i in range(30):
        direct = lord_wingersky(np.delete(p, i, axis=1))
        assert np.allclose(loo[i], direct, atol=1e-12, rtol=0)
