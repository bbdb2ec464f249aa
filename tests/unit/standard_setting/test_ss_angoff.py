"""Modified Angoff against a panel worked out by hand (arithmetic in the comments)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.standard_setting import AngoffSettings, angoff, icc

ITEMS = ["i1", "i2", "i3", "i4"]
# Round 1                      i1   i2   i3   i4     cut
#   A                          .6   .7   .8   .5  -> 2.6
#   B                          .5   .6   .9   .4  -> 2.4
#   C                          .7   .7   .7   .7  -> 2.8
# Round 2
#   A                          .6   .7   .8   .5  -> 2.6
#   B                          .6   .6   .9   .5  -> 2.6
#   C                          .6   .7   .8   .6  -> 2.7
R1 = {"A": [0.6, 0.7, 0.8, 0.5], "B": [0.5, 0.6, 0.9, 0.4], "C": [0.7, 0.7, 0.7, 0.7]}
R2 = {"A": [0.6, 0.7, 0.8, 0.5], "B": [0.6, 0.6, 0.9, 0.5], "C": [0.6, 0.7, 0.8, 0.6]}
P_VALUES = pl.DataFrame({"item_id": ITEMS, "p_value": [0.5, 0.6, 0.9, 0.3]})


def _frame(*rounds):
    rows = []
    for rnd, table in enumerate(rounds, start=1):
        for judge, values in table.items():
            rows += [(judge, item, rnd, v) for item, v in zip(ITEMS, values, strict=True)]
    return pl.DataFrame(rows, schema=["judge_id", "item_id", "round", "rating"], orient="row")


@pytest.fixture
def result():
    return angoff(_frame(R1, R2), p_values=P_VALUES, settings=AngoffSettings(item_gap_max=0.15))


def test_round_one_cuts_sd_and_se(result):
    r1 = result.rounds.row(0, named=True)
    # mean (2.6 + 2.4 + 2.8) / 3 = 2.6; deviations 0, -.2, .2 -> SD sqrt(.08 / 2) = .2
    assert r1["cut_mean"] == pytest.approx(2.6, abs=1e-12)
    assert r1["cut_median"] == pytest.approx(2.6, abs=1e-12)
    assert r1["cut_sd"] == pytest.approx(0.2, abs=1e-12)
    assert r1["cut_se"] == pytest.approx(0.2 / math.sqrt(3), abs=1e-12)
    assert r1["change"] is None
    judges = result.judges.filter(pl.col("round") == 1)
    assert judges["cut"].to_list() == pytest.approx([2.6, 2.4, 2.8], abs=1e-12)
    assert judges["cut_percent"].to_list() == pytest.approx([0.65, 0.6, 0.7], abs=1e-12)
    assert judges["z"].to_list() == pytest.approx([0.0, -1.0, 1.0], abs=1e-12)


def test_round_two_and_change(result):
    r2 = result.rounds.row(1, named=True)
    # mean 7.9 / 3 = 2.6333; deviations -1/30, -1/30, 2/30 -> SD sqrt((6/900) / 2) = .057735
    assert r2["cut_mean"] == pytest.approx(7.9 / 3, abs=1e-12)
    assert r2["cut_median"] == pytest.approx(2.6, abs=1e-12)
    assert r2["cut_sd"] == pytest.approx(math.sqrt(1 / 300), abs=1e-12)
    assert r2["cut_se"] == pytest.approx(math.sqrt(1 / 300) / math.sqrt(3), abs=1e-12)
    assert r2["change"] == pytest.approx(7.9 / 3 - 2.6, abs=1e-12)
    change = result.judges.filter(pl.col("round") == 2)["change"].to_list()
    assert change == pytest.approx([0.0, 0.2, -0.1], abs=1e-12)
    # The recommendation is the final round's mean and SE.
    assert result.raw_cut == pytest.approx(7.9 / 3, abs=1e-12)
    assert result.raw_cut_se == pytest.approx(1 / 30, abs=1e-12)
    assert result.final_round == 2
    assert result.cut_document()["raw_cut_whole"] == 3


def test_correlation_with_p_values_by_hand(result):
    # Judge A, round 1: rating deviations -.05 .05 .15 -.15 (mean .65); p deviations
    # -.075 .025 .325 -.275 (mean .575); cross products sum .095; sums of squares .05 and
    # .1875: r = .095 / sqrt(.05 * .1875) = .981156.
    a = result.judges.filter((pl.col("round") == 1) & (pl.col("judge_id") == "A")).row(
        0, named=True
    )
    assert a["r_p_value"] == pytest.approx(0.095 / math.sqrt(0.05 * 0.1875), abs=1e-12)
    c = result.judges.filter((pl.col("round") == 1) & (pl.col("judge_id") == "C")).row(
        0, named=True
    )
    assert c["r_p_value"] is None and c["flags"] == "constant_ratings"


def test_item_gaps_and_flags(result):
    # Round 1 item means .6, .6667, .8, .5333; gaps to p .1, .0667, -.1, .2333; their
    # mean .075; centred -> .025, -.0083, -.175, .1583: i3 and i4 beyond .15.
    items = result.items.filter(pl.col("round") == 1)
    assert items["mean_rating"].to_list() == pytest.approx([0.6, 2 / 3, 0.8, 1.6 / 3], abs=1e-12)
    assert items["gap"].to_list() == pytest.approx([0.1, 2 / 3 - 0.6, -0.1, 1.6 / 3 - 0.3])
    assert items["flags"].to_list() == ["", "", "rating_vs_p_value", "rating_vs_p_value"]
    assert items["sd_rating"][0] == pytest.approx(0.1, abs=1e-12)  # .6 .5 .7


def test_agreement_is_the_icc_of_the_round_matrix(result):
    matrix = np.array([R1[j] for j in ("A", "B", "C")]).T
    expected = icc(matrix)
    r1 = result.rounds.row(0, named=True)
    assert r1["icc2_1"] == pytest.approx(expected.icc2_1, abs=1e-12)
    assert r1["icc2_k"] == pytest.approx(expected.icc2_k, abs=1e-12)


def test_theta_cut_through_the_tcc_by_hand():
    # Four Rasch items with b = 0: TCC(theta) = 4 / (1 + exp(-theta)). Cut 7.9/3 gives
    # p = 7.9/12, theta = ln(p / (1 - p)); delta method SE = SE_raw / (4 p (1 - p)).
    form = IrtForm(
        item_ids=tuple(ITEMS),
        a=np.ones(4),
        b=np.zeros(4),
        c=np.zeros(4),
        d=np.ones(4),
    )
    res = angoff(_frame(R1, R2), params=form)
    p = 7.9 / 12
    assert res.theta_cut == pytest.approx(math.log(p / (1 - p)), abs=1e-9)
    assert res.theta_cut_se == pytest.approx((1 / 30) / (4 * p * (1 - p)), abs=1e-9)


def test_yes_no_ratings_and_outlier_judge():
    items = [f"i{k}" for k in range(1, 6)]
    yes = {f"J{j}": [1, 1, 0, 1, 0] for j in range(1, 9)}
    yes["J9"] = [1, 1, 1, 1, 1]  # lenient judge: cut 5 against 3 for the others
    rows = [
        (j, i, "yes" if v else "no")
        for j, vs in yes.items()
        for i, v in zip(items, vs, strict=True)
    ]
    frame = pl.DataFrame(rows, schema=["judge_id", "item_id", "rating"], orient="row")
    res = angoff(frame, settings=AngoffSettings(yes_no=True))
    # cuts: eight 3s and one 5; mean 29/9; SD sqrt(((2/9)^2 * 8 + (16/9)^2) / 8)
    assert res.raw_cut == pytest.approx(29 / 9, abs=1e-12)
    sd = math.sqrt(((2 / 9) ** 2 * 8 + (16 / 9) ** 2) / 8)
    assert res.panel.sd == pytest.approx(sd, abs=1e-12)
    flags = dict(zip(res.judges["judge_id"], res.judges["flags"], strict=True))
    assert flags["J9"] == "outlier_cut"  # z = (16/9) / .6285 = 2.83
    assert all(flags[f"J{j}"] == "" for j in range(1, 9))
