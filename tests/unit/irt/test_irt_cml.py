"""Rasch CML against eRm and psychotools (run once by tests/reference/erm/reference.R)."""

import itertools

import numpy as np
import polars as pl
import pytest
from irt_sim import REFERENCE, item_ids, simulate

from cehrs_items.errors import EstimationError
from cehrs_items.irt.cml import elementary_symmetric, rasch_cml


def _raschdat1():
    frame = pl.read_csv(REFERENCE / "erm" / "raschdat1.csv")
    ids = [c for c in frame.columns if c != "examinee_id"]
    x = frame.select(ids).to_numpy().astype(np.int8)
    na = np.zeros_like(x, dtype=bool)
    na[0:40, 25:30] = True  # the blocks reference.R sets to NA
    na[60:100, 0:3] = True
    return x, ids, {"raschdat1": np.zeros_like(na), "raschdat1_na": na}


@pytest.mark.parametrize("dataset", ["raschdat1", "raschdat1_na"])
def test_matches_erm_and_psychotools(dataset):
    # The R packages stop at their own (looser) tolerances: eRm agrees to about 4e-5 in b,
    # psychotools to about 1.5e-4. Tolerances: b 1e-4 (eRm) and 2e-4 (psychotools), SE
    # 5e-5, conditional log likelihood 1e-5 (and ours is never below theirs).
    x, ids, masks = _raschdat1()
    res = rasch_cml(x, item_ids=ids, omitted=masks[dataset])
    assert res.converged
    exp = pl.read_csv(REFERENCE / "erm" / "expected.csv").filter(pl.col("dataset") == dataset)
    for source, tol in (("eRm::RM", 1e-4), ("psychotools::raschmodel", 2e-4)):
        e = exp.filter(pl.col("source") == source)
        b = dict(e.filter(pl.col("param") == "b").select("item_id", "value").iter_rows())
        got = dict(res.params.select("item_id", "b").iter_rows())
        assert max(abs(got[i] - b[i]) for i in ids) < tol, source
        ll = float(e.filter(pl.col("param") == "loglik")["value"][0])
        assert res.loglik == pytest.approx(ll, abs=1e-5)
        assert res.loglik >= ll - 1e-9
    se = dict(
        exp.filter((pl.col("source") == "eRm::RM") & (pl.col("param") == "se_b"))
        .select("item_id", "value")
        .iter_rows()
    )
    got_se = dict(res.params.select("item_id", "se_b").iter_rows())
    assert max(abs(got_se[i] - se[i]) for i in ids) < 5e-5
    assert res.params["b"].sum() == pytest.approx(0.0, abs=1e-10)


def test_esf_matches_enumeration():
    eps = np.exp(np.random.default_rng(3).normal(0, 1.5, 8))
    scaled, log_scale = elementary_symmetric(eps)
    gamma = scaled * np.exp(log_scale)
    for r in range(9):
        brute = sum(np.prod(eps[list(s)]) for s in itertools.combinations(range(8), r))
        assert gamma[r] == pytest.approx(brute, rel=1e-12)


def test_esf_does_not_overflow_for_long_tests():
    eps = np.exp(np.full(300, 6.0))  # gamma_150 would be ~1e470 unscaled
    scaled, log_scale = elementary_symmetric(eps)
    assert np.all(np.isfinite(scaled)) and np.isfinite(log_scale)


def test_recovery_and_scaling():
    x, _, _, b, _, _ = simulate(3000, 12, model="rasch", seed=31)
    res = rasch_cml(x, item_ids=item_ids(12))
    assert np.sqrt(np.mean((res.params["b"].to_numpy() - (b - b.mean())) ** 2)) < 0.08
    res_n = rasch_cml(x, item_ids=item_ids(12), scaling=1.702)
    assert np.allclose(res_n.params["b"] * 1.702, res.params["b"], atol=1e-8)


def test_zero_variance_item_is_excluded():
    x, *_ = simulate(400, 6, model="rasch", seed=32)
    x[:, 0] = 0
    res = rasch_cml(x, item_ids=item_ids(6))
    assert res.excluded == {"IT-0000": "no variance: every answer wrong"}
    assert res.params.height == 5


def test_needs_two_items():
    x = np.array([[0, 1], [1, 0], [1, 1]], dtype=np.int8)
    x[:, 1] = 1
    with pytest.raises(EstimationError):
        rasch_cml(x)
