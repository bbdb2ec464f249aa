"""Option (distractor) statistics: hand-computed case, quantile groups, flags, errors."""

import math

import numpy as np
import polars as pl
import pytest

from cehrs_items.analysis import Thresholds, option_stats
from cehrs_items.errors import DataError

# five examinees, two items; key B (code 1) and A (code 0); -1 = omitted
CODES = np.array([[1, 0], [1, 0], [0, 2], [2, -1], [1, 0]])


def test_hand_computed_option_table():
    out = option_stats(CODES, key=["B", "A"], item_ids=["i1", "i2"])
    # totals: 2, 2, 0, 0, 2 -> mean 1.2, population variance 0.96
    i1 = out.filter(pl.col("item_id") == "i1")
    assert i1["option"].to_list() == ["A", "B", "C", "omit"]
    assert i1["is_key"].to_list() == [False, True, False, False]
    assert i1["n"].to_list() == [1, 3, 1, 0]
    np.testing.assert_allclose(i1["proportion"], [0.2, 0.6, 0.2, 0.0])
    # choosing B: indicator 1,1,0,0,1 vs totals 2,2,0,0,2 -> r = 1
    assert i1["point_biserial"][1] == pytest.approx(1.0, abs=1e-12)
    # choosing A (examinee 3, total 0): cov = (0 - 1.2) * 1 / 5 - ... by formula
    p = 0.2
    cov = 0 * 1 / 5 - p * 1.2
    assert i1["point_biserial"][0] == pytest.approx(cov / math.sqrt(p * (1 - p) * 0.96), abs=1e-12)
    assert i1["mean_score_of_choosers"].to_list()[:3] == [0.0, 2.0, 0.0]
    assert math.isnan(i1["point_biserial"][3]) and math.isnan(i1["mean_score_of_choosers"][3])
    i2 = out.filter(pl.col("item_id") == "i2")
    assert i2["option"].to_list() == ["A", "B", "C", "omit"]
    assert i2["n"].to_list() == [3, 0, 1, 1]


def test_quintile_groups_with_distinct_totals_are_single_examinees():
    out = option_stats(CODES[:, :1], key=[1], total=[0, 1, 2, 3, 4], item_ids=["i1"])
    b = out.filter(pl.col("option") == "B").row(0, named=True)
    assert [b[f"proportion_q{q}"] for q in range(1, 6)] == [1.0, 1.0, 0.0, 0.0, 1.0]


def test_quintiles_split_tied_scores_in_proportion():
    # ten examinees, totals 0,0,0,1,1,1,1,2,2,2: the second quintile (weights 2..4) holds
    # the last score-0 examinee and one of four score-1 examinees (in proportion)
    codes = np.array([[0]] * 3 + [[1], [0], [0], [0]] + [[1]] * 3)
    total = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2]
    out = option_stats(codes, key=[1], total=total, item_ids=["i"])
    b = out.filter(pl.col("option") == "B").row(0, named=True)
    # score 1 chooses B with share 1/4; quintile 2 = 1 examinee at score 0 + 1 at score 1
    assert b["proportion_q2"] == pytest.approx((0 + 0.25) / 2, abs=1e-12)
    assert b["proportion_q1"] == 0.0 and b["proportion_q5"] == 1.0


def test_flags_on_distractors_only():
    rng = np.random.default_rng(1)
    n = 400
    ability = rng.standard_normal(n)
    key = np.where(ability + rng.standard_normal(n) > 0, 0, 1)  # A key, B a plain distractor
    codes = key.copy()
    codes[ability > 1.5] = 2  # C attracts the strongest examinees
    codes[np.argsort(ability)[:3]] = 3  # D chosen by 3 weak examinees of 400
    total = np.clip(np.round(ability * 3 + 10), 0, None).astype(int)
    out = option_stats(codes[:, None], key=["A"], total=total, item_ids=["i"])
    flags = dict(zip(out["option"], out["flags"], strict=True))
    assert "distractor_positive_pb" in flags["C"]
    assert flags["D"] == "distractor_rarely_chosen"
    assert flags["A"] == "" and flags["omit"] == ""
    strict = option_stats(
        codes[:, None],
        key=["A"],
        total=total,
        item_ids=["i"],
        thresholds=Thresholds(distractor_min_proportion=0.001),
    )
    assert dict(zip(strict["option"], strict["flags"], strict=True))["D"] == ""


def test_n_options_adds_unchosen_options():
    out = option_stats(CODES, key=["B", "A"], n_options=5)
    assert out.filter(pl.col("item_id") == "item_1")["option"].to_list() == [
        "A",
        "B",
        "C",
        "D",
        "E",
        "omit",
    ]
    e = out.filter((pl.col("item_id") == "item_1") & (pl.col("option") == "E")).row(0, named=True)
    assert e["n"] == 0 and e["flags"] == "distractor_rarely_chosen"


def test_letter_frame_input():
    frame = pl.DataFrame({"q1": ["A", "b ", None, ""], "q2": ["C", "C", "A", "B"]})
    out = option_stats(frame, key=["A", "C"])
    q1 = out.filter(pl.col("item_id") == "q1")
    assert dict(zip(q1["option"], q1["n"], strict=True)) == {"A": 1, "B": 1, "omit": 2}


def test_weights_equal_repeated_rows():
    w = np.array([2, 1, 3, 1, 2])
    a = option_stats(CODES, key=["B", "A"], weights=w)
    b = option_stats(np.repeat(CODES, w, axis=0), key=["B", "A"])
    from polars.testing import assert_frame_equal

    assert_frame_equal(a, b, abs_tol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"key": ["B"]}, "1 entries for 2 items"),
        ({"key": ["F", "A"]}, "not one of"),
        ({"key": ["B", "A"], "n_options": 2}, "beyond its 2 options"),
        ({"key": ["B", "A"], "total": [1, 2]}, "one non-negative integer"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(DataError, match=match):
        option_stats(CODES, **kwargs)


def test_bad_letter_is_named():
    with pytest.raises(DataError, match=r"row 2, column q1: response 'X'"):
        option_stats(pl.DataFrame({"q1": ["A", "X"]}), key=["A"])
