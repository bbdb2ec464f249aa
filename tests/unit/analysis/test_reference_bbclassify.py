"""Livingston & Lewis decision statistics against BBClassify 1.0.0 (tests/reference/bbclassify)."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cehrs_items.analysis import livingston_lewis

REF = Path(__file__).resolve().parents[2] / "reference" / "bbclassify"
TOL = 6e-6  # printed to 5 decimals


@pytest.fixture(scope="module")
def result():
    dist = pl.read_csv(REF / "act288m.csv")
    return livingston_lewis(
        dist["score"].to_numpy(),
        weights=dist["freq"].to_numpy(),
        reliability=0.873,
        cut=[22, 24],
        max_score=40,
    )


@pytest.fixture(scope="module")
def expected():
    frame = pl.read_csv(REF / "expected.csv")
    return dict(zip(frame["quantity"], frame["value"], strict=True))


def test_true_score_moments_and_beta(result, expected):
    mean, var, skew, kurt = result.true_score_moments
    assert result.n_effective == expected["n_effective"]
    assert mean == pytest.approx(expected["true_mean"], abs=TOL)
    assert var == pytest.approx(expected["true_variance"], abs=TOL)
    assert skew == pytest.approx(expected["true_skewness"], abs=TOL)
    assert kurt == pytest.approx(expected["true_kurtosis"], abs=TOL)
    ts = result.true_score
    assert ts.model == "beta3_upper"
    assert ts.alpha == pytest.approx(expected["beta_alpha"], abs=TOL)
    assert ts.beta == pytest.approx(expected["beta_beta"], abs=TOL)
    assert ts.lower == pytest.approx(expected["beta_lower"], abs=TOL)
    assert ts.upper == pytest.approx(expected["beta_upper"], abs=TOL)


def test_accuracy_and_consistency_matrices(result, expected):
    acc = np.array([[expected[f"accuracy_t{t}_x{o}"] for o in range(3)] for t in range(3)])
    cons = np.array([[expected[f"consistency_x{a}_x{b}"] for b in range(3)] for a in range(3)])
    np.testing.assert_allclose(result.accuracy_matrix, acc, rtol=0, atol=TOL)
    np.testing.assert_allclose(result.consistency_matrix, cons, rtol=0, atol=TOL)
    assert result.accuracy == pytest.approx(expected["accuracy"], abs=TOL)
    assert result.consistency == pytest.approx(expected["consistency"], abs=TOL)
    # BBClassify renormalises its consistency matrix (its entries summed to 0.99999)
    # before the chance agreement; ours sums to 1 within 1e-9, hence 1e-5 here.
    assert result.consistency_matrix.sum() == pytest.approx(1.0, abs=1e-9)
    assert result.chance_consistency == pytest.approx(expected["chance_consistency"], abs=1e-5)
    assert result.kappa == pytest.approx(expected["kappa"], abs=1e-5)
