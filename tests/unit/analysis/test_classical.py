"""Classical item statistics: hand-computed cases, brute force, edge cases."""

import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from cehrs_items.analysis import item_stats
from cehrs_items.analysis.classical import biserial_from_point_biserial
from cehrs_items.errors import DataError, InputError

HAND = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [1, 1, 1]])


def test_hand_computed_case():
    # totals 2, 1, 2, 3: mean 2, population variance 0.5; p = .75, .75, .5
    out = item_stats(HAND, item_ids=["a", "b", "c"])
    assert out["item_id"].to_list() == ["a", "b", "c"]
    assert out["n"].to_list() == [4, 4, 4]
    np.testing.assert_allclose(out["p_value"], [0.75, 0.75, 0.5], atol=1e-15)
    # cov(x_j, X) = 0, .25, .25
    np.testing.assert_allclose(
        out["item_total_r"],
        [0.0, 0.25 / math.sqrt(0.1875 * 0.5), 0.25 / math.sqrt(0.25 * 0.5)],
        atol=1e-12,
    )
    # item a: rest = 1, 0, 2, 2; cov = -0.1875; var(rest) = 0.6875
    assert out["item_rest_r"][0] == pytest.approx(-0.1875 / math.sqrt(0.1875 * 0.6875), abs=1e-12)
    # alpha without item c: items a, b: pq sum .375, var(a + b) = var(2,1,1,2) = .25
    assert out["alpha_if_deleted"][2] == pytest.approx(2 * (1 - 0.375 / 0.25), abs=1e-12)
    # biserial of c (p = .5): r_pb * .5 / phi(0)
    assert out["biserial"][2] == pytest.approx(
        out["item_total_r"][2] * 0.5 / norm.pdf(0), abs=1e-12
    )


def test_upper_lower_d_without_ties():
    # four examinees with distinct totals; 25% groups are the top and bottom examinee
    x = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]])
    out = item_stats(x, upper_lower_fraction=0.25)
    np.testing.assert_allclose(out["upper_lower_d"], [1.0, 1.0, 1.0])


def test_upper_lower_d_splits_ties_in_proportion():
    # totals 0, 1, 1, 2 (x = item 1 only for the middle pair): the lower 25% is the
    # first examinee plus nothing; with 37.5% the lower group takes half of the tie.
    x = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    out = item_stats(x, upper_lower_fraction=0.375)
    # lower group weight 1.5: examinee 1 (x1 = 0) + half of each tied examinee (x1 = 1, 0)
    p_low = (0 + 0.5 * 1 + 0.5 * 0) / 1.5
    p_high = (1 + 0.5 * 1 + 0.5 * 0) / 1.5
    assert out["upper_lower_d"][0] == pytest.approx(p_high - p_low, abs=1e-12)


def _brute(x, w, in_total):
    """Weighted Pearson correlations computed row by row."""
    total = x[:, in_total].sum(axis=1)

    def corr(a, b):
        ma, mb = np.average(a, weights=w), np.average(b, weights=w)
        cov = np.average((a - ma) * (b - mb), weights=w)
        return cov / math.sqrt(
            np.average((a - ma) ** 2, weights=w) * np.average((b - mb) ** 2, weights=w)
        )

    rows = []
    for j in range(x.shape[1]):
        rest = total - x[:, j] if in_total[j] else total
        rows.append((np.average(x[:, j], weights=w), corr(x[:, j], total), corr(x[:, j], rest)))
    return np.array(rows)


def test_random_matrix_against_brute_force_with_weights_and_pretest():
    rng = np.random.default_rng(7)
    x = (rng.random((300, 8)) < rng.uniform(0.3, 0.9, 8)).astype(float)
    w = rng.integers(1, 4, 300)
    in_total = np.array([True] * 6 + [False] * 2)
    out = item_stats(x, weights=w, in_total=in_total)
    expected = _brute(x, w, in_total)
    np.testing.assert_allclose(out["p_value"], expected[:, 0], atol=1e-12)
    np.testing.assert_allclose(out["item_total_r"], expected[:, 1], atol=1e-12)
    np.testing.assert_allclose(out["item_rest_r"], expected[:, 2], atol=1e-12)
    # pretest items: nothing to remove, and deleting them does not change the total
    np.testing.assert_array_equal(out["item_rest_r"][6:], out["item_total_r"][6:])
    assert out["alpha_if_deleted"][6:].is_nan().all()
    assert out["n"][0] == w.sum()


def test_omits_incorrect_versus_exclude():
    x = np.array([[1, 1], [np.nan, 0], [0, 1], [1, 0]])
    incorrect = item_stats(x)
    assert incorrect["n"].to_list() == [4, 4]
    assert incorrect["n_omitted"].to_list() == [1, 0]
    assert incorrect["p_value"][0] == pytest.approx(0.5)
    exclude = item_stats(x, omit="exclude")
    assert exclude["n"].to_list() == [3, 3]
    assert exclude["p_value"][0] == pytest.approx(2 / 3)


def test_zero_variance_and_all_omitted_items_are_nan_not_errors():
    x = np.array([[1, 0, np.nan, 1], [1, 0, np.nan, 0], [1, 0, np.nan, 1]])
    out = item_stats(x)
    assert out["p_value"].to_list()[:3] == [1.0, 0.0, 0.0]
    for col in ("item_total_r", "item_rest_r", "biserial"):
        assert out[col][:3].is_nan().all()
    assert out["n_omitted"][2] == 3


def test_single_examinee_and_constant_totals():
    out = item_stats(np.array([[1, 0, 1]]))
    assert out["item_total_r"].is_nan().all()
    assert out["alpha_if_deleted"].is_nan().all()


def test_polars_frame_input_uses_column_names():
    frame = pl.DataFrame({"X-1": [1, 0, None], "X-2": [0, 1, 1]})
    out = item_stats(frame)
    assert out["item_id"].to_list() == ["X-1", "X-2"]
    assert out["n_omitted"].to_list() == [1, 0]


def test_biserial_formula_and_extremes():
    r = biserial_from_point_biserial(np.array([0.3, 0.3, 0.3]), np.array([0.2, 0.0, 1.0]))
    z = norm.ppf(0.2)
    assert r[0] == pytest.approx(0.3 * math.sqrt(0.16) / norm.pdf(z), abs=1e-12)
    assert np.isnan(r[1]) and np.isnan(r[2])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"scores": np.array([[1, 2]])}, DataError, "row 1, column item_2: score 2 is not 0, 1"),
        ({"scores": np.array([[1, 0]]), "weights": [1.5]}, DataError, "whole non-negative"),
        ({"scores": np.array([[1, 0]]), "weights": [1, 2]}, DataError, "2 weights for 1"),
        ({"scores": np.array([[1, 0]]), "omit": "skip"}, InputError, "omit rule"),
        ({"scores": np.array([[1, 0]]), "item_ids": ["a"]}, DataError, "1 item ids"),
    ],
)
def test_bad_input_raises_a_named_error(kwargs, error, match):
    with pytest.raises(error, match=match):
        item_stats(**kwargs)
