"""IRT true-score and observed-score equating."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest

from cehrs_items.equating import IrtForm, equate, irt_based
from cehrs_items.errors import DataError, EquatingError


def _params(n: int, seed: int, shift: float = 0.0, se: bool = False) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {
        "item_id": [f"IT-{i:04d}" for i in range(n)],
        "a": rng.uniform(0.6, 2.0, n),
        "b": rng.normal(0, 1, n) + shift,
        "c": rng.uniform(0.05, 0.25, n),
        "d": np.full(n, 1.702),
    }
    if se:
        cols |= {"se_a": np.full(n, 0.05), "se_b": np.full(n, 0.05), "se_c": np.full(n, 0.02)}
    return pl.DataFrame(cols)


def test_lord_wingersky_matches_enumeration():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.1, 0.9, size=(3, 6))
    dist = irt_based.lord_wingersky(p)
    for row in range(3):
        brute = np.zeros(7)
        for pattern in itertools.product([0, 1], repeat=6):
            s = np.array(pattern)
            brute[s.sum()] += np.prod(np.where(s == 1, p[row], 1 - p[row]))
        np.testing.assert_allclose(dist[row], brute, atol=1e-14)


def test_true_score_equating_of_a_form_to_itself_is_identity():
    form = IrtForm.from_params(_params(30, 2))
    result = equate(form, form, method="irt-true")
    np.testing.assert_allclose(result.equated, np.arange(31), atol=1e-9)
    observed = equate(form, form, method="irt-observed")
    np.testing.assert_allclose(observed.equated, np.arange(31), atol=1e-6)


def test_true_score_equivalents_lie_on_both_characteristic_curves():
    x = IrtForm.from_params(_params(25, 3), name="X")
    y = IrtForm.from_params(_params(25, 3, shift=0.4), name="Y")
    result = irt_based.irt_true(x, y)
    px = tuple(v[None] for v in (x.a, x.b, x.c, x.d))
    py = tuple(v[None] for v in (y.a, y.b, y.c, y.d))
    inside = np.arange(26)[(np.arange(26) > x.c.sum()) & (np.arange(26) < 25)]
    theta = irt_based.solve_theta(inside[None].astype(float), *px)
    tx = irt_based._prob(theta, *px).sum(-1)[0]
    ty = irt_based._prob(theta, *py).sum(-1)[0]
    np.testing.assert_allclose(tx, inside, atol=1e-9)
    np.testing.assert_allclose(result.equated[inside], ty, atol=1e-9)
    # Below sum(c): Kolen's linear interpolation; the top score maps to the top score.
    low = np.arange(26)[np.arange(26) <= x.c.sum()]
    np.testing.assert_allclose(result.equated[low], low * y.c.sum() / x.c.sum())
    assert result.equated[25] == 25
    # Form Y is harder: its equivalents are lower.
    assert np.all(result.equated[inside] < inside)


def test_observed_score_equating_matches_simulated_random_groups():
    """Simulate two groups from the model, equate their scores; IRT observed matches."""
    from cehrs_items.equating import ScoreDist

    px, py = _params(40, 5), _params(40, 6, shift=0.3)
    x, y = IrtForm.from_params(px), IrtForm.from_params(py)
    rng = np.random.default_rng(7)
    scores = []
    for form in (x, y):
        theta = rng.standard_normal(200_000)
        p = form.c + (1 - form.c) / (1 + np.exp(-form.d * form.a * (theta[:, None] - form.b)))
        scores.append((rng.random(p.shape) < p).sum(axis=1))
    empirical = equate(
        ScoreDist.from_scores(scores[0], 40),
        ScoreDist.from_scores(scores[1], 40),
        method="equipercentile",
    )
    model = equate(x, y, method="irt-observed", w1=0.5)
    np.testing.assert_allclose(model.equated[8:36], empirical.equated[8:36], atol=0.15)


def test_parametric_bootstrap_needs_standard_errors():
    x = IrtForm.from_params(_params(10, 8))
    with pytest.raises(EquatingError, match="se_a"):
        equate(x, x, method="irt-true", se_kind="bootstrap", replications=20)
    with pytest.raises(EquatingError, match="analytic"):
        equate(x, x, method="irt-true", se_kind="analytic")
    xs = IrtForm.from_params(_params(10, 8, se=True))
    ys = IrtForm.from_params(_params(10, 9, se=True))
    result = equate(xs, ys, method="irt-true", se_kind="bootstrap", replications=50, seed=1)
    assert np.all(np.isfinite(result.se)) and result.se[5] > 0
    again = equate(xs, ys, method="irt-true", se_kind="bootstrap", replications=50, seed=1)
    np.testing.assert_array_equal(result.se, again.se)


def test_missing_parameters_for_form_items():
    with pytest.raises(DataError, match="no parameters"):
        IrtForm.from_params(_params(5, 1), items=["IT-0000", "XX-9999"])
