"""MML-EM against R references (LSAT6/LSAT7) and against known generating parameters."""

import numpy as np
import polars as pl
import pytest
from irt_sim import item_ids, lsat_expected, lsat_patterns, simulate

from cehrs_items.errors import DataError, InputError
from cehrs_items.irt.mml_em import FixedItem, Priors, mml_em
from cehrs_items.irt.quadrature import make_quadrature

LSAT_ITEMS = [f"Q{j}" for j in range(1, 6)]


def _ref(dataset, model, method, points):
    e = lsat_expected().filter(
        (pl.col("dataset") == dataset)
        & (pl.col("model") == model)
        & (pl.col("method") == method)
        & (pl.col("points") == points)
    )
    return {(r["item_id"] or "", r["param"]): float(r["value"]) for r in e.iter_rows(named=True)}


@pytest.mark.parametrize("dataset", ["lsat6", "lsat7"])
@pytest.mark.parametrize("model", ["rasch", "2pl", "3pl"])
@pytest.mark.parametrize("points", [21, 41])
def test_lsat_matches_direct_maximisation_in_r(dataset, model, points):
    # Same Gauss-Hermite nodes on both sides; R maximises the marginal likelihood directly
    # (optim BFGS, reltol 1e-15) and its SEs come from a numerical Hessian (step 1e-4).
    # Tolerances: estimates abs 2e-5 (EM run to tol 1e-8), SEs abs 2e-5 (finite-difference
    # error of optimHess), log likelihood abs 1e-4.
    x, f = lsat_patterns(dataset)
    res = mml_em(
        x,
        weights=f,
        item_ids=LSAT_ITEMS,
        model=model,
        quadrature=make_quadrature("gh", points),
        tol=1e-8,
        max_iter=5000,
    )
    assert res.converged
    ref = _ref(dataset, model, "optim-gh", points)
    p = {r["item_id"]: r for r in res.params.iter_rows(named=True)}
    names = {"rasch": ["b", "se_b"], "2pl": ["a", "b", "se_a", "se_b"]}
    names["3pl"] = names["2pl"] + ["c", "se_c"]
    for item in LSAT_ITEMS:
        for name in names[model]:
            assert p[item][name] == pytest.approx(ref[(item, name)], abs=2e-5), (item, name)
    if model == "rasch":
        assert res.sd == pytest.approx(ref[("", "sd")], abs=2e-5)
        assert res.se_sd == pytest.approx(ref[("", "se_sd")], abs=2e-5)
    key = "log_posterior" if model == "3pl" else "loglik"
    got = res.log_posterior if model == "3pl" else res.loglik
    assert got == pytest.approx(ref[("", key)], abs=1e-4)


@pytest.mark.parametrize("dataset", ["lsat6", "lsat7"])
def test_lsat_rasch_matches_lme4_glmer(dataset):
    # glmer uses adaptive quadrature (30 points); our 41-point Gauss-Hermite rule differs
    # from it by less than 1e-5 here; the tolerance 1e-4 allows for glmer's optimiser.
    x, f = lsat_patterns(dataset)
    res = mml_em(
        x,
        weights=f,
        item_ids=LSAT_ITEMS,
        model="rasch",
        quadrature=make_quadrature("gh", 41),
        tol=1e-8,
    )
    ref = _ref(dataset, "rasch", "glmer-agq", 30)
    for r in res.params.iter_rows(named=True):
        assert r["b"] == pytest.approx(ref[(r["item_id"], "b")], abs=1e-4)
        assert r["se_b"] == pytest.approx(ref[(r["item_id"], "se_b")], abs=1e-3)
    assert res.sd == pytest.approx(ref[("", "sd")], abs=1e-4)
    assert res.loglik == pytest.approx(ref[("", "loglik")], abs=1e-3)


def _rmse(est, true):
    return float(np.sqrt(np.mean((np.asarray(est) - true) ** 2)))


@pytest.mark.parametrize("model", ["2pl", "3pl"])
def test_recovery_small(model):
    # 2,000 x 20: sampling RMSE of a is about 0.06 and of b about 0.06 in the 2PL; the 3PL
    # is far noisier (easy items' b and c trade off), hence its looser limits and the
    # median check.
    x, om, a, b, c, _ = simulate(2000, 20, model=model, seed=11)
    res = mml_em(x, item_ids=item_ids(20), model=model)
    assert res.converged
    p = res.params
    limits = {"2pl": (0.10, 0.10), "3pl": (0.25, 0.40)}[model]
    assert _rmse(p["a"], a) < limits[0]
    assert _rmse(p["b"], b) < limits[1]
    assert float(np.median(np.abs(p["b"].to_numpy() - b))) < 0.12
    if model == "3pl":
        # c is weakly identified at this size; the Beta(5, 17) prior keeps it near 0.2.
        assert _rmse(p["c"], c) < 0.10
    # The SEs describe the spread: the standardised errors have SD near 1.
    z = (p["b"].to_numpy() - b) / p["se_b"].to_numpy()
    assert 0.5 < float(np.std(z)) < 1.6


def test_rasch_recovers_latent_sd():
    x, _, _, b, _, _ = simulate(3000, 15, model="rasch", seed=4, sd=1.3)
    res = mml_em(x, item_ids=item_ids(15), model="rasch")
    assert res.sd == pytest.approx(1.3, abs=0.08)
    assert _rmse(res.params["b"], b) < 0.08
    assert (res.params["a"] == 1.0).all()
    assert res.params["se_a"].is_null().all()


def test_omitted_responses_are_missing_not_wrong():
    x, om, *_ = simulate(800, 8, seed=5, omit_rate=0.15)
    first = mml_em(x, omitted=om, item_ids=item_ids(8), tol=1e-7)
    flipped = np.where(om, 1 - x, x)  # whatever sits under the mask must not matter
    second = mml_em(flipped, omitted=om, item_ids=item_ids(8), tol=1e-7)
    assert np.allclose(first.params["a"], second.params["a"], atol=1e-12)
    as_wrong = mml_em(np.where(om, 0, x), item_ids=item_ids(8), tol=1e-7)
    assert not np.allclose(first.params["b"], as_wrong.params["b"], atol=1e-3)
    assert (first.params["n"].to_numpy() == (~om).sum(0)).all()


def test_frequency_weights_equal_repeated_rows():
    x, *_ = simulate(300, 6, seed=6)
    w = np.random.default_rng(0).integers(1, 4, 300).astype(float)
    weighted = mml_em(x, weights=w, item_ids=item_ids(6), tol=1e-8)
    repeated = mml_em(np.repeat(x, w.astype(int), axis=0), item_ids=item_ids(6), tol=1e-8)
    for col in ("a", "b", "se_a", "se_b"):
        assert np.allclose(weighted.params[col], repeated.params[col], atol=1e-9)


def test_item_without_variance_is_excluded_with_reason():
    x, *_ = simulate(500, 6, seed=7)
    x[:, 2] = 1
    res = mml_em(x, item_ids=item_ids(6))
    assert res.excluded == {"IT-0002": "no variance: every answer right"}
    assert "IT-0002" not in res.params["item_id"].to_list()
    assert res.params.height == 5


def test_anchor_items_fix_the_scale_and_place_pretest_items():
    x, _, a, b, c, _ = simulate(4000, 25, seed=8, mean=0.3, sd=1.1)
    ids = item_ids(25)
    fixed = {ids[j]: FixedItem(a=a[j], b=b[j]) for j in range(20)}
    res = mml_em(x, item_ids=ids, fixed=fixed)
    assert res.mean == pytest.approx(0.3, abs=0.06)
    assert res.sd == pytest.approx(1.1, abs=0.06)
    p = res.params.filter(~pl.col("fixed"))
    assert _rmse(p["b"], b[20:]) < 0.12
    assert _rmse(p["a"], a[20:]) < 0.12
    anchors = res.params.filter(pl.col("fixed"))
    assert np.allclose(anchors["b"], b[:20]) and anchors["se_b"].is_null().all()
    # Without anchors the pretest items would sit 0.3/1.1 off: the anchor really moved them.
    free = mml_em(x[:, 20:], item_ids=ids[20:])
    assert _rmse(free.params["b"], b[20:]) > _rmse(p["b"], b[20:])


def test_scaling_constant_only_rescales_a():
    x, *_ = simulate(600, 6, seed=9)
    logistic = mml_em(x, item_ids=item_ids(6), tol=1e-8)
    normal = mml_em(x, item_ids=item_ids(6), scaling=1.702, tol=1e-8)
    assert np.allclose(normal.params["a"] * 1.702, logistic.params["a"], atol=1e-6)
    assert np.allclose(normal.params["b"], logistic.params["b"], atol=1e-6)
    assert (normal.params["d"] == 1.702).all()


def test_not_converged_is_reported():
    x, *_ = simulate(300, 6, seed=10)
    res = mml_em(x, item_ids=item_ids(6), max_iter=2)
    assert not res.converged and res.n_iter == 2 and res.max_change > 1e-4


def test_same_input_same_output():
    x, om, *_ = simulate(400, 7, seed=12, omit_rate=0.1, model="3pl")
    one = mml_em(x, omitted=om, item_ids=item_ids(7), model="3pl")
    two = mml_em(x, omitted=om, item_ids=item_ids(7), model="3pl")
    assert one.params.equals(two.params)


def test_priors_pull_estimates():
    x, *_ = simulate(300, 6, seed=13, model="3pl")
    loose = mml_em(x, item_ids=item_ids(6), model="3pl", priors=Priors(c=(2, 2)))
    tight = mml_em(x, item_ids=item_ids(6), model="3pl", priors=Priors(c=(200, 800)))
    assert np.all(np.abs(tight.params["c"].to_numpy() - 0.2) < 0.02)
    assert not np.allclose(loose.params["c"], tight.params["c"], atol=0.01)
    shrunk = mml_em(x, item_ids=item_ids(6), priors=Priors(a=(0.0, 0.05), b=(0.0, 0.1)))
    assert np.all(np.abs(np.log(shrunk.params["a"].to_numpy())) < 0.2)
    assert np.all(np.abs(shrunk.params["b"].to_numpy()) < 0.5)


def test_bad_arguments():
    x, *_ = simulate(50, 4, seed=1)
    with pytest.raises(InputError):
        mml_em(x, model="4pl")
    with pytest.raises(InputError):
        Priors(c=(0.5, 2))
    with pytest.raises(DataError):
        mml_em(x, item_ids=["A", "B"])
    bad = x.copy()
    bad[3, 1] = 7
    with pytest.raises(DataError, match="row 4"):
        mml_em(bad)
