"""Hofstee and Beuk against examples worked out by hand, and impact counts."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cehrs_items.standard_setting import beuk, failure_curve, hofstee, impact

# Ten examinees on a 10-item form. Failure rate F(c) = share scoring below c:
# c     0  1  2  3   4   5   6   7   8   9   10
# F(c)  0  0  0  .1  .2  .3  .5  .7  .8  .9  1
RAW = np.array([2, 3, 4, 5, 5, 6, 6, 7, 8, 9], dtype=float)


def test_failure_curve_by_hand():
    curve = failure_curve(RAW, 10)
    assert curve["fail_rate"].to_list() == pytest.approx(
        [0, 0, 0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0], abs=1e-12
    )
    assert curve["n_fail"].to_list() == [0, 0, 0, 1, 2, 3, 5, 7, 8, 9, 10]


def _hofstee_frame(min_cut, max_cut, min_fail, max_fail):
    return pl.DataFrame(
        {
            "judge_id": ["A", "B", "C"],
            "min_cut": min_cut,
            "max_cut": max_cut,
            "min_fail": min_fail,
            "max_fail": max_fail,
        }
    )


def test_hofstee_worked_example():
    # Means: k_min 5, k_max 8, f_min .2, f_max .6. Line L(c) = .6 - (.4/3)(c - 5).
    # On [5, 6] F(c) = .3 + .2(c - 5); .3 + .2t = .6 - .1333t gives t = .9: cut 5.9,
    # where F = L = .48.
    frame = _hofstee_frame([4, 5, 6], [7, 8, 9], [0.1, 0.2, 0.3], [0.5, 0.6, 0.7])
    res = hofstee(frame, RAW, max_score=10)
    assert res.raw_cut == pytest.approx(5.9, abs=1e-12)
    assert res.fail_rate == pytest.approx(0.48, abs=1e-12)
    assert res.intersects is True
    row = res.rounds.row(0, named=True)
    assert (row["min_cut"], row["max_cut"]) == pytest.approx((5, 8), abs=1e-12)
    assert (row["min_fail"], row["max_fail"]) == pytest.approx((0.2, 0.6), abs=1e-12)
    assert res.cut_document()["raw_cut_whole"] == 6


def test_hofstee_without_intersection_takes_the_bound():
    # Line from (5, .95) to (8, .85) lies above F everywhere on [5, 8] (F(8) = .8):
    # the observed failure rate never reaches what the judges accept; cut = k_max 8.
    frame = _hofstee_frame([5, 5, 5], [8, 8, 8], [0.85, 0.85, 0.85], [0.95, 0.95, 0.95])
    res = hofstee(frame, RAW, max_score=10)
    assert res.raw_cut == 8 and res.intersects is False
    assert "stays below the Hofstee line" in res.notes[0]
    # And the other way: line from (5, .1) to (8, 0) lies below F (F(5) = .3): cut = 5.
    frame = _hofstee_frame([5, 5, 5], [8, 8, 8], [0, 0, 0], [0.1, 0.1, 0.1])
    res = hofstee(frame, RAW, max_score=10)
    assert res.raw_cut == 5 and res.intersects is False


def test_beuk_worked_example():
    # Judges' cuts 5, 6, 6, 7: mean 6, SD sqrt(2/3); pass rates .6 .7 .7 .8: mean .7, SD
    # sqrt(.02/3); slope = SD ratio = .1. Line V(c) = .7 + .1(c - 6). Pass-rate curve on
    # [5, 6]: P = .7 - .2t. .7 - .2t = .6 + .1t gives t = 1/3: cut 5.3333, pass rate .6333.
    frame = pl.DataFrame(
        {"judge_id": list("ABCD"), "cut": [5, 6, 6, 7], "pass_rate": [0.6, 0.7, 0.7, 0.8]}
    )
    res = beuk(frame, RAW, max_score=10)
    row = res.rounds.row(0, named=True)
    assert row["slope"] == pytest.approx(0.1, abs=1e-12)
    assert row["sd_cut"] == pytest.approx(np.sqrt(2 / 3), abs=1e-12)
    assert res.raw_cut == pytest.approx(16 / 3, abs=1e-12)
    assert row["pass_rate"] == pytest.approx(0.7 - 0.2 / 3, abs=1e-12)
    assert res.intersects is True


def test_beuk_agreed_cut_is_kept():
    frame = pl.DataFrame({"judge_id": list("AB"), "cut": [6, 6], "pass_rate": [0.6, 0.8]})
    res = beuk(frame, RAW, max_score=10)
    assert res.raw_cut == 6 and res.fail_rate == pytest.approx(0.5)


def test_rounds_each_get_a_cut_and_the_last_is_recommended():
    frame = pl.DataFrame(
        {
            "judge_id": ["A", "B", "A", "B"],
            "round": [1, 1, 2, 2],
            "cut": [4, 8, 5, 7],
            "pass_rate": [0.9, 0.5, 0.8, 0.6],
        }
    )
    res = beuk(frame, RAW, max_score=10)
    assert res.rounds["round"].to_list() == [1, 2]
    assert res.final_round == 2
    assert res.raw_cut == res.rounds["raw_cut"][1]


def test_impact_by_hand_with_groups():
    groups = ["f", "m", "f", "m", "f", "m", "f", "m", None, "m"]
    table = impact(RAW, [5.9, 7], groups=groups)
    # cut 5.9: scores 6, 6, 7, 8, 9 pass -> 5 of 10; f: 2,4,5,6 -> 6 passes (1 of 4);
    # m: 3,5,6,7,9 -> 6, 7, 9 pass (3 of 5)
    rows = {(r["raw_cut"], r["group"]): r for r in table.iter_rows(named=True)}
    assert rows[(5.9, "all")]["n_pass"] == 5 and rows[(5.9, "all")]["pass_rate"] == 0.5
    assert (rows[(5.9, "f")]["n"], rows[(5.9, "f")]["n_pass"]) == (4, 1)
    assert (rows[(5.9, "m")]["n"], rows[(5.9, "m")]["n_pass"]) == (5, 3)
    assert rows[(7.0, "all")]["n_pass"] == 3
    assert table["group"].to_list() == ["all", "f", "m", "all", "f", "m"]


def test_pretest_columns_of_the_form_are_not_reported_as_unscored(tmp_path):
    """Impact data read with a form: its pretest columns are known, not 'unscored items'."""
    import warnings

    from cehrs_items.assembly._synthetic import form_document
    from cehrs_items.errors import DataWarning
    from cehrs_items.forms import form_from_data
    from cehrs_items.standard_setting.run import read_observed_scores

    layout = [("NC-0001", "scored"), ("NC-0002", "scored"), ("NC-0003", "pretest")]
    form = form_from_data(form_document([], layout, "F1"))
    responses = tmp_path / "r.csv"
    pl.DataFrame(
        {
            "examinee_id": ["a", "b", "c"],
            "NC-0001": ["A", "B", "A"],
            "NC-0002": ["A", "A", "C"],
            "NC-0003": ["B", "A", "A"],
        }
    ).write_csv(responses)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        observed = read_observed_scores(responses=responses, form=form)
    assert observed.max_score == 2
    assert observed.raw.tolist() == [2.0, 1.0, 1.0]
