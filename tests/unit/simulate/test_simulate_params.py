"""Model-implied statistics, standard errors and the parameter draw."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import integrate, stats

from cehrs_items.errors import DataError, InputError
from cehrs_items.irt.models import probability
from cehrs_items.simulate.params import (
    ParamDistribution,
    Screen,
    draw_item_params,
    expected_information,
    expected_standard_errors,
    implied_item_stats,
    implied_moments,
    item_stream,
    quadrature,
)


def _items(n: int, seed: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = np.exp(rng.normal(0.1, 0.3, n))
    b = rng.normal(-0.6, 1.0, n)
    c = rng.beta(5, 17, n)
    return a, b, c


def test_quadrature_weights_integrate_normal_moments():
    x, w = quadrature(81, mean=0.5, sd=1.3)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    assert w @ x == pytest.approx(0.5, abs=1e-12)
    assert w @ (x - 0.5) ** 2 == pytest.approx(1.3**2, abs=1e-12)


@pytest.mark.parametrize("mean,sd", [(0.0, 1.0), (-0.4, 0.8), (0.3, 1.2)])
def test_p_values_match_adaptive_quadrature(mean, sd):
    a, b, c = _items(6)
    p = implied_moments(a, b, c, theta_mean=mean, theta_sd=sd)["p_value"]
    for j in range(6):
        expected, _ = integrate.quad(
            lambda t, j=j: probability(t, a[j], b[j], c[j]).item() * stats.norm.pdf(t, mean, sd),
            -np.inf,
            np.inf,
            epsabs=1e-13,
        )
        assert p[j] == pytest.approx(expected, abs=1e-10)


def test_point_biserial_matches_simulated_form():
    """Fixed 100-item form: implied r vs the point-biserial of 200,000 simulees."""
    a, b, c = _items(100, seed=11)
    implied = implied_moments(a, b, c)
    rng = np.random.default_rng(12)
    theta = rng.standard_normal(200_000)
    u = (rng.random((theta.size, 100)) < probability(theta, a, b, c)).astype(np.float64)
    total = u.sum(axis=1)
    uc = u - u.mean(axis=0)
    tc = total - total.mean()
    r = (uc * tc[:, None]).sum(axis=0) / np.sqrt((uc**2).sum(axis=0) * (tc**2).sum())
    np.testing.assert_allclose(u.mean(axis=0), implied["p_value"], atol=0.005)
    np.testing.assert_allclose(r, implied["item_total_r"], atol=0.01)
    assert implied["var_total"][0] == pytest.approx(total.var(), rel=0.02)


def test_point_biserial_of_item_outside_the_total():
    """A pretest-like item (not in the total) against a 60-item total, by simulation."""
    a, b, c = _items(61, seed=21)
    ref = np.arange(61) < 60
    implied = implied_moments(a, b, c, reference=ref)
    rng = np.random.default_rng(22)
    theta = rng.standard_normal(200_000)
    u = (rng.random((theta.size, 61)) < probability(theta, a, b, c)).astype(np.float64)
    total = u[:, :60].sum(axis=1)
    r = np.corrcoef(u[:, 60], total)[0, 1]
    assert implied["item_total_r"][60] == pytest.approx(r, abs=0.01)
    # an item outside the total correlates less than the same item inside it would
    inside = implied_moments(a, b, c)["item_total_r"][60]
    assert implied["item_total_r"][60] < inside


@pytest.mark.parametrize("counted", [True, False])
def test_typical_form_matches_mean_over_random_forms(counted):
    a, b, c = _items(80, seed=31)
    pool = np.ones(80, dtype=bool)
    pool[0] = counted  # item 0 in the pool (scored) or not (pretest)
    length = 25
    typical = implied_moments(
        a,
        b,
        c,
        reference=pool,
        counted=np.full(80, True) if counted else ~(np.arange(80) == 0),
        form_length=length,
    )["item_total_r"][0]
    rng = np.random.default_rng(32)
    exact = []
    others = np.arange(1, 80)
    for _ in range(40):
        chosen = rng.choice(others, size=length - 1 if counted else length, replace=False)
        mask = np.zeros(80, dtype=bool)
        mask[chosen] = True
        mask[0] = counted
        exact.append(implied_moments(a, b, c, reference=mask)["item_total_r"][0])
    assert typical == pytest.approx(np.mean(exact), abs=0.005)


def test_implied_item_stats_frame():
    a, b, c = _items(5)
    params = pl.DataFrame({"item_id": [f"NC-000{i}" for i in range(5)], "a": a, "b": b, "c": c})
    out = implied_item_stats(params)
    assert out.columns == ["item_id", "p_value", "item_total_r"]
    assert out.get_column("item_id").to_list() == params.get_column("item_id").to_list()
    assert out.get_column("p_value").is_between(0, 1).all()
    with pytest.raises(DataError, match="column 'c' missing"):
        implied_item_stats(params.drop("c"))


def test_typical_form_cannot_exceed_the_pool():
    a, b, c = _items(10)
    with pytest.raises(DataError, match="needs 10 other reference items"):
        implied_moments(a, b, c, form_length=11)
    ok = implied_moments(a, b, c, form_length=10)  # every item with the 9 others
    fixed = implied_moments(a, b, c)
    np.testing.assert_allclose(ok["item_total_r"], fixed["item_total_r"], atol=1e-12)


def test_invalid_parameters_and_pools_are_data_errors():
    with pytest.raises(DataError, match="not a valid 3PL item"):
        implied_moments(np.array([1.0, -1.0]), np.zeros(2), np.zeros(2))
    with pytest.raises(DataError, match="not a valid 3PL item"):
        implied_moments(np.array([1.0]), np.array([np.nan]), np.zeros(1))
    a, b, c = _items(4)
    with pytest.raises(DataError, match="at least 3 are needed"):
        implied_moments(a, b, c, reference=np.array([True, True, False, False]), form_length=50)
    with pytest.raises(InputError):
        quadrature(81, sd=0.0)


def test_information_equals_covariance_of_the_score():
    """Fisher information per examinee = Var of the score vector (simulated, 400,000 draws)."""
    a, b, c = np.array([1.3, 0.8]), np.array([-0.5, 0.7]), np.array([0.2, 0.25])
    info = expected_information(a, b, c)
    rng = np.random.default_rng(41)
    theta = rng.standard_normal(400_000)[:, None]
    logistic = 1 / (1 + np.exp(-a * (theta - b)))
    p = c + (1 - c) * logistic
    u = rng.random(p.shape) < p
    slope = (1 - c) * logistic * (1 - logistic)
    grads = np.stack([slope * (theta - b), -slope * a, 1 - logistic], axis=-1)
    score = ((u - p) / (p * (1 - p)))[..., None] * grads
    for j in range(2):
        empirical = np.cov(score[:, j, :], rowvar=False)
        rel = np.linalg.norm(empirical - info[j]) / np.linalg.norm(info[j])
        assert rel < 0.03


def test_standard_errors_scale_with_n_and_prior():
    a, b, c = _items(3)
    se1 = expected_standard_errors(a, b, c, 400)
    se4 = expected_standard_errors(a, b, c, 1600)
    np.testing.assert_allclose(se4["se_b"], se1["se_b"] / 2, rtol=1e-10)
    with_prior = expected_standard_errors(a, b, c, 400, c_prior=(5.0, 17.0))
    assert (with_prior["se_c"] < se1["se_c"]).all()
    none = expected_standard_errors(a, b, c, np.array([0, 100, 100]))
    assert np.isnan(none["se_a"][0]) and np.isfinite(none["se_a"][1:]).all()


def test_item_stream_depends_only_on_seed_and_id():
    x1 = item_stream(7, "NC-0001").random(3)
    x2 = item_stream(7, "NC-0001").random(3)
    y = item_stream(7, "NC-0002").random(3)
    z = item_stream(8, "NC-0001").random(3)
    np.testing.assert_array_equal(x1, x2)
    assert not np.allclose(x1, y) and not np.allclose(x1, z)
    with pytest.raises(InputError, match="non-negative"):
        item_stream(-1, "NC-0001")


def test_parameters_stay_put_when_the_bank_grows():
    small = draw_item_params(["NC-0001", "NC-0002", "NC-0003"], seed=3, screen=None)
    large = draw_item_params(
        ["NC-0001", "NC-0002", "NC-0003", "CO-0001", "CO-0002"], seed=3, screen=None
    )
    left = small.table.select("item_id", "a", "b", "c")
    right = large.table.select("item_id", "a", "b", "c").head(3)
    assert left.equals(right)


def test_screened_draw_behaves_like_a_certification_bank():
    ids = [f"CO-{i:04d}" for i in range(1, 401)]
    pool = np.arange(400) < 320
    drawn = draw_item_params(ids, seed=2026, reference=pool, counted=pool, form_length=100)
    t = drawn.table
    screen = Screen()
    assert t.get_column("screened").all()
    assert t.get_column("p_value").is_between(screen.p_min, screen.p_max).all()
    assert t.get_column("item_total_r").is_between(screen.r_min, screen.r_max).all()
    assert t.get_column("p_value").mean() == pytest.approx(0.70, abs=0.03)
    assert t.get_column("c").mean() == pytest.approx(5 / 22, abs=0.015)
    dist = ParamDistribution()
    assert t.get_column("a").is_between(dist.a_min, dist.a_max).all()
    assert (t.get_column("c") <= dist.c_max).all()
    again = draw_item_params(ids, seed=2026, reference=pool, counted=pool, form_length=100)
    assert again.table.equals(t)
    other = draw_item_params(ids, seed=2027, reference=pool, counted=pool, form_length=100)
    assert not other.table.equals(t)


def test_unreachable_screen_keeps_nearest_draw_and_flags_it():
    ids = [f"RP-{i:04d}" for i in range(1, 11)]
    drawn = draw_item_params(ids, seed=1, screen=Screen(r_min=0.95, r_max=0.99), form_length=10)
    assert not drawn.table.get_column("screened").any()
    assert drawn.table.height == 10


def test_repeated_ids_are_rejected():
    with pytest.raises(DataError, match="repeat"):
        draw_item_params(["NC-0001", "NC-0001"], seed=1)
