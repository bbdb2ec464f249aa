"""Decision statistics: Lord's CSEM, pass rate, Livingston-Lewis, Subkoviak."""

import math

import numpy as np
import pytest
from scipy.stats import binom

from cehrs_items.analysis import livingston_lewis, lord_csem, pass_rate, subkoviak
from cehrs_items.analysis.decision import (
    BetaTrueScore,
    beta2_from_moments,
    beta3_lower_from_moments,
    beta3_upper_from_moments,
    beta4_from_moments,
    fit_true_score_beta,
)
from cehrs_items.errors import EstimationError


def test_lord_csem():
    assert lord_csem(70, 100) == pytest.approx(math.sqrt(70 * 30 / 99), abs=1e-12)
    np.testing.assert_allclose(lord_csem(np.array([0, 50, 100]), 100), [0, math.sqrt(2500 / 99), 0])
    assert math.isnan(lord_csem(1, 1))


def test_pass_rate_counts_the_cut_as_passing():
    assert pass_rate([68, 69, 70, 71], 70) == 0.5
    assert pass_rate([68, 70], 70, weights=[3, 1]) == 0.25


@pytest.mark.parametrize(
    "truth",
    [
        BetaTrueScore(3.0, 2.0, 0.2, 0.95, "beta4"),
        BetaTrueScore(0.8, 4.0, 0.05, 0.7, "beta4"),
        BetaTrueScore(5.0, 1.5, 0.3, 0.99, "beta4"),
    ],
)
def test_beta_fits_recover_known_distributions(truth):
    mean, var, skew, kurt = truth.moments()
    four = beta4_from_moments(mean, var, skew, kurt)
    for got, want in zip(
        (four.alpha, four.beta, four.lower, four.upper),
        (truth.alpha, truth.beta, truth.lower, truth.upper),
        strict=True,
    ):
        assert got == pytest.approx(want, abs=1e-9)
    upper = beta3_upper_from_moments(mean, var, skew, upper=truth.upper)
    assert (upper.alpha, upper.beta, upper.lower) == pytest.approx(
        (truth.alpha, truth.beta, truth.lower), abs=1e-9
    )
    lower = beta3_lower_from_moments(mean, var, skew, lower=truth.lower)
    assert (lower.alpha, lower.beta, lower.upper) == pytest.approx(
        (truth.alpha, truth.beta, truth.upper), abs=1e-9
    )
    two = beta2_from_moments(mean, var, truth.lower, truth.upper)
    assert (two.alpha, two.beta) == pytest.approx((truth.alpha, truth.beta), abs=1e-9)


def test_fit_falls_back_when_bounds_leave_the_unit_interval():
    # a beta on [-0.1, 0.9]: the four-moment fit puts the lower bound below 0
    mean, var, skew, kurt = BetaTrueScore(2.0, 3.0, -0.1, 0.9, "beta4").moments()
    fitted = fit_true_score_beta(mean, var, skew, kurt)
    assert fitted.model == "beta3_lower" and fitted.lower == 0.0 and fitted.valid()
    assert fitted.moments()[:3] == pytest.approx((mean, var, skew), abs=1e-9)
    # impossible kurtosis (below skewness^2 + 1): three moments recover the uniform
    fitted = fit_true_score_beta(0.5, 1 / 12, 0.0, 1.0)
    assert fitted.model == "beta3_upper"
    assert (fitted.alpha, fitted.beta, fitted.lower) == pytest.approx((1, 1, 0), abs=1e-12)
    # and where no three-moment fit exists either, both bounds are fixed: two moments
    fitted = fit_true_score_beta(0.5, 0.05, 2.5, 2.0)
    assert fitted.model == "beta2" and (fitted.lower, fitted.upper) == (0.0, 1.0)
    assert (fitted.alpha, fitted.beta) == pytest.approx((2.0, 2.0), abs=1e-12)
    with pytest.raises(EstimationError, match="cannot be fitted"):
        fit_true_score_beta(0.5, 0.3, 0.0, 1.0)  # variance too large for [0, 1]


def _simulate(seed=3, n=200_000, k=40, truth=BetaTrueScore(4.0, 2.5, 0.15, 0.95, "beta4")):
    rng = np.random.default_rng(seed)
    tau = truth.lower + (truth.upper - truth.lower) * rng.beta(truth.alpha, truth.beta, n)
    form1 = rng.binomial(k, tau)
    form2 = rng.binomial(k, tau)
    return tau, form1, form2


def test_livingston_lewis_recovers_simulated_accuracy_and_consistency():
    k, cut = 40, 26
    tau, form1, form2 = _simulate(k=k)
    # reliability of a binomial-error score: KR-21 is exact in expectation here
    mean, var = form1.mean(), form1.var()
    rel = k / (k - 1) * (1 - mean * (k - mean) / (k * var))
    ll = livingston_lewis(form1, reliability=rel, cut=cut, max_score=k)
    assert ll.n_effective == k
    assert ll.true_score.model == "beta4"
    agree = np.mean((form1 >= cut) == (form2 >= cut))
    accurate = np.mean((form1 >= cut) == (tau >= cut / k))
    assert ll.consistency == pytest.approx(agree, abs=0.005)
    assert ll.accuracy == pytest.approx(accurate, abs=0.005)
    p1 = np.mean(form1 >= cut)
    chance = p1**2 + (1 - p1) ** 2
    assert ll.kappa == pytest.approx((agree - chance) / (1 - chance), abs=0.015)
    assert ll.accuracy_matrix.sum() == pytest.approx(1.0, abs=1e-9)
    assert ll.false_positive + ll.false_negative == pytest.approx(1 - ll.accuracy, abs=1e-12)


def test_livingston_lewis_weights_equal_repeated_scores():
    scores = np.array([10, 12, 15, 18, 20, 25, 30, 31, 35, 38])
    w = np.array([3, 5, 9, 12, 15, 12, 9, 6, 3, 1])
    a = livingston_lewis(scores, weights=w, reliability=0.85, cut=24, max_score=40)
    b = livingston_lewis(np.repeat(scores, w), reliability=0.85, cut=24, max_score=40)
    assert a.consistency == pytest.approx(b.consistency, abs=1e-12)
    assert a.accuracy == pytest.approx(b.accuracy, abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reliability": 1.0}, "strictly between 0 and 1"),
        ({"reliability": float("nan")}, "strictly between 0 and 1"),
        ({"cut": 0}, "must lie in"),
        ({"cut": [20, 10]}, "increasing"),
        ({"scores": [10] * 5}, "zero variance"),
        ({"reliability": 0.01}, "effective test length|variance"),
    ],
)
def test_livingston_lewis_undefined_cases_raise(kwargs, match):
    args = {"scores": [5, 10, 20, 30, 35], "reliability": 0.8, "cut": 20, "max_score": 40}
    args.update(kwargs)
    with pytest.raises(EstimationError, match=match):
        livingston_lewis(**args)


def test_subkoviak_by_hand():
    scores = np.array([3, 5, 8])
    n, cut, r = 10, 6, 0.7
    mean = scores.mean()
    tau = r * scores / n + (1 - r) * mean / n
    p = binom.sf(cut - 1, n, tau)
    agreement = np.mean(p**2 + (1 - p) ** 2)
    chance = p.mean() ** 2 + (1 - p.mean()) ** 2
    out = subkoviak(scores, n_items=n, cut=cut, reliability=r)
    assert out.agreement == pytest.approx(agreement, abs=1e-12)
    assert out.chance == pytest.approx(chance, abs=1e-12)
    assert out.kappa == pytest.approx((agreement - chance) / (1 - chance), abs=1e-12)


def test_subkoviak_with_perfect_reliability_and_extreme_cut():
    out = subkoviak([0, 10], n_items=10, cut=5, reliability=1.0)
    assert out.agreement == pytest.approx(1.0)
    with pytest.raises(EstimationError, match="reliability is not defined"):
        subkoviak([0, 10], n_items=10, cut=5, reliability=float("nan"))


@pytest.mark.parametrize(
    "dist",
    [
        BetaTrueScore(0.3, 0.7, 0.1, 0.9, "beta4"),  # infinite density at both ends
        BetaTrueScore(0.6, 40.0, 0.0, 1.0, "beta2"),
        BetaTrueScore(4e4, 6e4, 0.2, 0.95, "beta4"),  # a very narrow peak
        BetaTrueScore(1.0, 1.0, 0.0, 1.0, "beta2"),
    ],
)
def test_beta_integrals_are_normalised_for_extreme_shapes(dist):
    from cehrs_items.analysis.decision import _integrate

    mid = (dist.lower + dist.upper) / 2
    total = _integrate(lambda t: 1.0, -math.inf, math.inf, dist)
    split = _integrate(lambda t: 1.0, -math.inf, mid, dist) + _integrate(
        lambda t: 1.0, mid, math.inf, dist
    )
    assert total == pytest.approx(1.0, abs=1e-9)
    assert split == pytest.approx(1.0, abs=1e-9)
    mean = _integrate(lambda t: t, -math.inf, math.inf, dist)
    assert mean == pytest.approx(dist.moments()[0], abs=1e-9)
