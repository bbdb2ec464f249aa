"""Mantel-Haenszel DIF: a hand-computed example, the ETS rule, strata, purification."""

import math

import numpy as np
import pytest

from cehrs_items.analysis import ets_category, mantel_haenszel
from cehrs_items.errors import DataError, InputError

# Two strata: (A, B, C, D) = reference right/wrong, focal right/wrong.
STRATA = [(10, 10, 5, 15), (20, 5, 15, 10)]


def _rows(strata):
    """One examinee per row: score on the studied item, group, matching stratum."""
    score, group, match = [], [], []
    for s, (a, b, c, d) in enumerate(strata):
        for value, grp, count in ((1, "R", a), (0, "R", b), (1, "F", c), (0, "F", d)):
            score += [value] * count
            group += [grp] * count
            match += [s] * count
    return np.array(score)[:, None], group, np.array(match)


def _mh(strata, **kwargs):
    x, group, match = _rows(strata)
    return mantel_haenszel(
        x, group, reference="R", focal="F", matching=match, matching_includes=[True], **kwargs
    ).row(0, named=True)


def test_hand_computed_two_strata():
    out = _mh(STRATA)
    r = 10 * 15 / 40 + 20 * 10 / 50  # sum A D / T = 3.75 + 4
    s = 10 * 5 / 40 + 5 * 15 / 50  # sum B C / T = 1.25 + 1.5
    assert out["alpha_mh"] == pytest.approx(r / s, abs=1e-12)
    assert out["delta_mh"] == pytest.approx(-2.35 * math.log(r / s), abs=1e-12)
    diff = (10 - 20 * 15 / 40) + (20 - 25 * 35 / 50)
    var = 20 * 20 * 15 * 25 / (40**2 * 39) + 25 * 25 * 35 * 15 / (50**2 * 49)
    assert out["chi_square_mh"] == pytest.approx((abs(diff) - 0.5) ** 2 / var, abs=1e-12)
    rgb = (
        (0.625 * 3.75 + 0.6 * 4) / (2 * r**2)
        + (0.625 * 1.25 + 0.375 * 3.75 + 0.6 * 1.5 + 0.4 * 4) / (2 * r * s)
        + (0.375 * 1.25 + 0.4 * 1.5) / (2 * s**2)
    )
    assert out["se_delta_mh"] == pytest.approx(2.35 * math.sqrt(rgb), abs=1e-12)
    assert out["std_p_dif"] == pytest.approx((20 * (0.25 - 0.5) + 25 * (0.6 - 0.8)) / 45, abs=1e-12)
    assert out["n_reference"] == 45 and out["n_focal"] == 45 and out["n_strata"] == 2
    assert out["direction"] == "favors_reference"
    # |D| = 2.44, p = .046 < .05, (|D| - 1)/SE = 1.30 < 1.645: category B
    assert out["ets_category"] == "B"


def test_strata_without_one_group_drop_out():
    with_extra = _mh([*STRATA, (3, 1, 0, 0), (0, 0, 2, 2)])
    assert with_extra == _mh(STRATA)


def test_identical_groups_give_no_dif():
    rng = np.random.default_rng(2)
    x = (rng.random((200, 6)) < 0.6).astype(int)
    both = np.vstack([x, x])
    group = ["R"] * 200 + ["F"] * 200
    out = mantel_haenszel(both, group, reference="R", focal="F")
    np.testing.assert_allclose(out["alpha_mh"], 1.0, atol=1e-12)
    np.testing.assert_allclose(out["delta_mh"], 0.0, atol=1e-12)
    np.testing.assert_allclose(out["std_p_dif"], 0.0, atol=1e-12)
    assert out["ets_category"].to_list() == ["A"] * 6


@pytest.mark.parametrize(
    ("delta", "se", "p", "category"),
    [
        (-0.99, 0.1, 1e-6, "A"),  # small
        (-1.0, 0.1, 1e-6, "B"),  # |D| = 1 is not below 1
        (1.49, 0.01, 1e-6, "B"),
        (1.5, 0.1, 1e-6, "C"),  # (1.5 - 1) / .1 = 5 > 1.645
        (-1.5, 0.31, 1e-6, "B"),  # .5 / .31 = 1.61: not significantly above 1
        (-2.0, 0.5, 0.0499, "C"),
        (2.0, 0.5, 0.05, "A"),  # not significant at .05: A whatever the size
        (3.0, 0.1, 0.2, "A"),
        (float("nan"), 0.1, 0.01, None),
        (float("inf"), float("nan"), 0.01, None),
    ],
)
def test_ets_rule(delta, se, p, category):
    assert ets_category([delta], [se], [p]) == [category]


def test_studied_item_is_added_when_the_matching_score_lacks_it():
    rng = np.random.default_rng(4)
    x = (rng.random((300, 5)) < 0.5).astype(int)
    group = rng.choice(["R", "F"], 300)
    others = x[:, 1:].sum(axis=1)
    added = mantel_haenszel(
        x[:, :1], group, reference="R", focal="F", matching=others, matching_includes=[False]
    )
    included = mantel_haenszel(
        x[:, :1],
        group,
        reference="R",
        focal="F",
        matching=others + x[:, 0],
        matching_includes=[True],
    )
    assert added.equals(included)
    default = mantel_haenszel(x, group, reference="R", focal="F")
    assert default.row(0) == included.row(0)


def test_not_estimable_items_have_no_category():
    x = np.array([[1, 1], [1, 0], [1, 1], [1, 0]] * 10)  # item 1: everybody right
    group = ["R", "R", "F", "F"] * 10
    out = mantel_haenszel(x, group, reference="R", focal="F")
    first = out.row(0, named=True)
    assert math.isnan(first["alpha_mh"]) and first["ets_category"] is None
    assert first["direction"] is None


def test_infinite_odds_ratio():
    # item 1 right for every focal and wrong for every reference examinee at each score
    x = np.array([[0, 1], [1, 0], [0, 0], [1, 1]] * 5)
    group = ["R", "F", "R", "F"] * 5
    matching = np.array([1, 1, 0, 2] * 5)
    out = mantel_haenszel(
        x[:, :1], group, reference="R", focal="F", matching=matching, matching_includes=[True]
    ).row(0, named=True)
    assert out["alpha_mh"] == 0.0 and out["delta_mh"] == math.inf
    assert out["ets_category"] is None and out["direction"] == "favors_focal"


def _dif_data(seed=9, n=4000, k=20, dif_items=(0, 1, 2, 3), shift=1.2):
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n)
    focal = rng.random(n) < 0.5
    b = rng.normal(0, 0.8, k)
    shifts = np.zeros(k)
    shifts[list(dif_items)] = shift
    logit = 1.3 * (theta[:, None] - b[None, :] - focal[:, None] * shifts[None, :])
    x = (rng.random((n, k)) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, np.where(focal, "F", "R")


def test_simulated_dif_items_are_found_and_purification_removes_them():
    x, group = _dif_data()
    stage1 = mantel_haenszel(x, group, reference="R", focal="F")
    assert set(stage1.filter(stage1["ets_category"] == "C")["item_id"]) == {
        f"item_{j}" for j in (1, 2, 3, 4)
    }
    purified = mantel_haenszel(x, group, reference="R", focal="F", purify=True)
    clean = [f"item_{j}" for j in range(5, 21)]
    before = stage1.filter(stage1["item_id"].is_in(clean))["delta_mh"].abs().mean()
    after = purified.filter(purified["item_id"].is_in(clean))["delta_mh"].abs().mean()
    assert after < before  # unbalanced DIF contaminates the unpurified matching score
    assert (purified["delta_mh"][:4] < -1.5).all()


def test_weights_equal_repeated_rows():
    x, group = _dif_data(n=500)
    w = np.random.default_rng(1).integers(0, 3, 500)
    weighted = mantel_haenszel(x, group, reference="R", focal="F", weights=w)
    expanded = mantel_haenszel(
        np.repeat(x, w, axis=0), np.repeat(group, w), reference="R", focal="F"
    )
    from polars.testing import assert_frame_equal

    assert_frame_equal(weighted, expanded, abs_tol=1e-10)


def test_group_errors():
    x = np.ones((4, 2), dtype=int)
    with pytest.raises(InputError, match="both 'R'"):
        mantel_haenszel(x, list("RRFF"), reference="R", focal="R")
    with pytest.raises(DataError, match=r"no examinee has group value 'G' \(found: F, R\)"):
        mantel_haenszel(x, list("RRFF"), reference="R", focal="G")
    with pytest.raises(DataError, match="one non-negative integer"):
        mantel_haenszel(x, list("RRFF"), reference="R", focal="F", matching=[0.5, 1, 1, 1])
