"""KR-20, KR-21, coefficient alpha, alpha-if-deleted, SEM."""

import math

import numpy as np
import pytest

from cehrs_items.analysis import (
    alpha_if_deleted,
    coefficient_alpha,
    kr20,
    kr21,
    standard_error_of_measurement,
)

HAND = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [1, 1, 1]])


def test_hand_computed_kr20_and_kr21():
    # sum pq = .1875 + .1875 + .25 = .625; var(X) = .5; mean 2
    assert kr20(HAND) == pytest.approx(1.5 * (1 - 0.625 / 0.5), abs=1e-12)
    assert kr21(HAND) == pytest.approx(1.5 * (1 - 2 * (3 - 2) / (3 * 0.5)), abs=1e-12)


def test_kr20_equals_alpha_for_complete_binary_data():
    rng = np.random.default_rng(3)
    theta = rng.standard_normal(500)
    x = (theta[:, None] + rng.standard_normal((500, 10)) > 0).astype(int)
    assert kr20(x) == pytest.approx(coefficient_alpha(x), abs=1e-12)
    # and equals the covariance-matrix form with N - 1 divisors
    cov = np.cov(x, rowvar=False)
    alpha = 10 / 9 * (1 - np.trace(cov) / cov.sum())
    assert kr20(x) == pytest.approx(alpha, abs=1e-12)


def test_alpha_if_deleted_is_alpha_of_the_remaining_items():
    rng = np.random.default_rng(11)
    x = (rng.random((200, 6)) < 0.6).astype(int)
    x[:, :3] |= (rng.random((200, 1)) < 0.3).astype(int)
    dropped = alpha_if_deleted(x)
    for j in range(6):
        assert dropped[j] == pytest.approx(kr20(np.delete(x, j, axis=1)), abs=1e-12)


def test_weights_equal_repeated_rows():
    rng = np.random.default_rng(5)
    x = (rng.random((40, 5)) < 0.5).astype(int)
    w = rng.integers(0, 4, 40)
    expanded = np.repeat(x, w, axis=0)
    assert kr20(x, weights=w) == pytest.approx(kr20(expanded), abs=1e-12)
    assert kr21(x, weights=w) == pytest.approx(kr21(expanded), abs=1e-12)
    assert coefficient_alpha(x, weights=w) == pytest.approx(coefficient_alpha(expanded), abs=1e-12)


def test_polytomous_alpha_by_formula():
    x = np.array([[1, 2, 3], [2, 2, 4], [3, 4, 4], [4, 3, 5], [2, 1, 1.0]])
    var = x.var(axis=0)
    expected = 1.5 * (1 - var.sum() / x.sum(axis=1).var())
    assert coefficient_alpha(x) == pytest.approx(expected, abs=1e-12)


def test_undefined_cases_are_nan():
    assert math.isnan(kr20(np.array([[1], [0], [1]])))  # one item
    assert math.isnan(kr20(np.array([[1, 0], [1, 0]])))  # constant totals
    assert math.isnan(kr21(np.array([[1, 1], [1, 1]])))
    assert np.isnan(alpha_if_deleted(np.array([[1, 0], [0, 1], [1, 1]]))).all()  # 2 items


def test_sem():
    assert standard_error_of_measurement(10.0, 0.91) == pytest.approx(3.0, abs=1e-12)
    assert standard_error_of_measurement(10.0, -0.44) == pytest.approx(12.0, abs=1e-12)
    assert math.isnan(standard_error_of_measurement(10.0, float("nan")))
