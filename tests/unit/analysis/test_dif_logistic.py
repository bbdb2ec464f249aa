"""Logistic-regression DIF: statsmodels per-examinee fits, known DIF, edge cases."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cehrs_items.analysis.dif_logistic import (
    DIF_LOGISTIC_COLUMNS,
    jodoin_gierl,
    logistic_from_counts,
    logistic_regression,
)

REF = Path(__file__).resolve().parents[2] / "reference"


def test_matches_statsmodels_on_bfi():
    data = pl.read_csv(REF / "mh" / "bfi_dichotomous.csv")
    items = [c for c in data.columns if c not in ("examinee_id", "gender")]
    got = logistic_regression(data.select(items), data["gender"], reference=1, focal=2)
    assert got.columns == list(DIF_LOGISTIC_COLUMNS)
    expected = pl.read_csv(REF / "dif_logistic" / "expected.csv")
    assert got["item_id"].to_list() == expected["item_id"].to_list()
    for col in ("chi2_uniform", "chi2_nonuniform", "chi2_total", "r2_delta"):
        assert np.allclose(got[col], expected[col], atol=1e-6, rtol=0), col
    assert (got["n"] == data.height).all()


def _simulate(seed, n=4000, k=20, dif_b=None, dif_a=None):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    theta = rng.normal(0, 1, n)
    a = np.exp(rng.normal(0, 0.2, k))
    b = rng.normal(0, 0.8, k)
    shift = np.zeros((n, k))
    if dif_b is not None:
        shift[:, dif_b[0]] += g * dif_b[1]
    slope = np.tile(a, (n, 1))
    if dif_a is not None:
        slope[:, dif_a[0]] *= np.where(g == 1, dif_a[1], 1.0)
    p = 1 / (1 + np.exp(-slope * (theta[:, None] - b - shift)))
    return (rng.random((n, k)) < p).astype(np.int8), g


def test_recovers_known_uniform_and_nonuniform_dif():
    x, g = _simulate(5, dif_b=(3, 1.0), dif_a=(7, 0.3))
    res = logistic_regression(x, g, reference=0, focal=1)
    p_unif = res["p_uniform"].to_numpy()
    p_non = res["p_nonuniform"].to_numpy()
    assert p_unif[3] < 1e-10 and res["category"][3] in ("B", "C")
    assert p_non[7] < 1e-6
    others = np.setdiff1d(np.arange(20), [3, 7])
    assert (res["category"].to_numpy()[others] == "A").mean() >= 0.9


def test_counts_are_mergeable():
    x, g = _simulate(6, n=3000, k=8, dif_b=(0, 0.6))
    whole = logistic_regression(x, g, reference=0, focal=1)
    # counts of two halves, summed, give the same answer
    from cehrs_items.analysis._tables import count_table, number_correct
    from cehrs_items.analysis.dif_logistic import counts_from_table

    parts = []
    for sl in (slice(0, 1700), slice(1700, None)):
        tot = number_correct(x[sl], np.ones(8, dtype=bool))
        table = count_table(x[sl], tot, n_codes=2, n_scores=9, group=g[sl].astype(np.int8),
                            n_groups=3)  # fmt: skip
        parts.append(counts_from_table(table, np.full(8, 2)))
    right = parts[0][0] + parts[1][0]
    total = parts[0][1] + parts[1][1]
    merged = logistic_from_counts(right, total, [f"item_{j + 1}" for j in range(8)])
    for col in ("chi2_total", "r2_delta"):
        assert np.allclose(merged[col], whole[col], atol=1e-9)


def test_undefined_items_and_missing_group():
    x, g = _simulate(8, n=500, k=5)
    x[:, 2] = 1  # everybody right
    res = logistic_regression(x, g, reference=0, focal=1)
    row = res.row(2, named=True)
    assert row["chi2_total"] is None and row["category"] is None and row["n"] == 500
    right = np.zeros((2, 3, 1))
    total = np.zeros((2, 3, 1))
    right[0] = 1
    total[0] = 3
    out = logistic_from_counts(right, total, ["X"])
    assert out["category"][0] is None


@pytest.mark.parametrize(
    ("r2", "p", "cat"),
    [(0.0349, 0.001, "A"), (0.035, 0.001, "B"), (0.0699, 0.001, "B"), (0.070, 0.001, "C"),
     (0.2, 0.05, "A"), (0.2, 0.0499, "C"), (np.nan, 0.01, None)],
)  # fmt: skip
def test_jodoin_gierl_boundaries(r2, p, cat):
    assert jodoin_gierl(np.array([r2]), np.array([p])) == [cat]
