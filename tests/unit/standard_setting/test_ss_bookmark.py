"""Bookmark: RP locations, booklet order and panel cut against a hand-computed example."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.errors import DataError
from cehrs_items.standard_setting import (
    BookmarkSettings,
    bookmark,
    ordered_item_booklet,
    rp_location,
)

# Four items, D = 1. RP .67: ln(.67 / .33) = .708185.
#   I1 2PL a 1,  b -1          theta = -1 + .708185        = -.291815
#   I2 2PL a 2,  b  0          theta = .708185 / 2         =  .354093
#   I3 3PL a 1,  b .5, c .2    include: .5 + ln(.47 / .33) =  .853640
#                              exclude: .5 + .708185       = 1.208185
#   I4 2PL a .5, b 1           theta = 1 + .708185 / .5    = 2.416370
FORM = IrtForm(
    item_ids=("I1", "I2", "I3", "I4"),
    a=np.array([1.0, 2.0, 1.0, 0.5]),
    b=np.array([-1.0, 0.0, 0.5, 1.0]),
    c=np.array([0.0, 0.0, 0.2, 0.0]),
    d=np.ones(4),
)
LOGIT = math.log(0.67 / 0.33)
LOC = {
    "I1": -1 + LOGIT,
    "I2": LOGIT / 2,
    "I3": 0.5 + math.log(0.47 / 0.33),
    "I4": 1 + LOGIT / 0.5,
}


def _p(theta, a, b, c):
    return c + (1 - c) / (1 + math.exp(-a * (theta - b)))


def test_rp_locations_by_hand():
    theta = rp_location(FORM.a, FORM.b, FORM.c, FORM.d, rp=0.67, guessing="include")
    assert theta.tolist() == pytest.approx([LOC[i] for i in FORM.item_ids], abs=1e-12)
    excl = rp_location(FORM.a, FORM.b, FORM.c, FORM.d, rp=0.67, guessing="exclude")
    assert excl[2] == pytest.approx(0.5 + LOGIT, abs=1e-12)


def test_booklet_order_and_raw_location():
    booklet = ordered_item_booklet(FORM)
    assert booklet["item_id"].to_list() == ["I1", "I2", "I3", "I4"]
    assert booklet["page"].to_list() == [1, 2, 3, 4]
    t = LOC["I2"]
    tcc = sum(_p(t, a, b, c) for a, b, c in zip(FORM.a, FORM.b, FORM.c, strict=True))
    assert booklet["raw_rp"][1] == pytest.approx(tcc, abs=1e-12)


def test_bookmark_panel_worked_example():
    # Pages 2, 3, 3 -> thetas .354093, .853640, .853640; mean .687124; deviations
    # -.333031, .166516, .166516 -> SD sqrt(.166365 / 2) = .288414; SE / sqrt(3).
    placements = pl.DataFrame({"judge_id": ["J1", "J2", "J3"], "page": [2, 3, 3]})
    res = bookmark(placements, FORM)
    thetas = [LOC["I2"], LOC["I3"], LOC["I3"]]
    mean = sum(thetas) / 3
    sd = math.sqrt(sum((t - mean) ** 2 for t in thetas) / 2)
    assert res.theta_cut == pytest.approx(mean, abs=1e-10)
    assert res.theta_cut_se == pytest.approx(sd / math.sqrt(3), abs=1e-10)
    assert res.judges["item_id"].to_list() == ["I2", "I3", "I3"]
    tcc = sum(_p(mean, a, b, c) for a, b, c in zip(FORM.a, FORM.b, FORM.c, strict=True))
    assert res.raw_cut == pytest.approx(tcc, abs=1e-10)
    # delta method: raw SE = TCC slope at the cut x theta SE
    slope = sum(
        a * (1 - c) * s * (1 - s)
        for a, b, c in zip(FORM.a, FORM.b, FORM.c, strict=True)
        for s in [1 / (1 + math.exp(-a * (mean - b)))]
    )
    assert res.raw_cut_se == pytest.approx(slope * sd / math.sqrt(3), abs=1e-10)


def test_location_conventions_and_median():
    placements = pl.DataFrame({"judge_id": ["J1", "J2", "J3"], "page": [2, 3, 4]})
    before = bookmark(placements, FORM, settings=BookmarkSettings(location="before"))
    assert before.judges["theta_cut"].to_list() == pytest.approx(
        [LOC["I1"], LOC["I2"], LOC["I3"]], abs=1e-12
    )
    mid = bookmark(placements, FORM, settings=BookmarkSettings(location="midpoint"))
    assert mid.judges["theta_cut"][0] == pytest.approx((LOC["I1"] + LOC["I2"]) / 2, abs=1e-12)
    med = bookmark(placements, FORM, settings=BookmarkSettings(center="median"))
    assert med.theta_cut == pytest.approx(LOC["I3"], abs=1e-12)
    assert med.theta_cut_se == pytest.approx(math.sqrt(math.pi / 2) * med.panel.se, abs=1e-12)


def test_rounds_and_change():
    placements = pl.DataFrame(
        {"judge_id": ["J1", "J2", "J1", "J2"], "round": [1, 1, 2, 2], "page": [1, 4, 2, 3]}
    )
    res = bookmark(placements, FORM)
    assert res.rounds["round"].to_list() == [1, 2]
    r2 = res.judges.filter(pl.col("round") == 2)
    assert r2["change"].to_list() == pytest.approx(
        [LOC["I2"] - LOC["I1"], LOC["I3"] - LOC["I4"]], abs=1e-12
    )
    assert res.theta_cut == pytest.approx((LOC["I2"] + LOC["I3"]) / 2, abs=1e-12)


def test_guessing_at_or_above_rp_is_refused():
    form = IrtForm(("X1", "X2"), np.ones(2), np.zeros(2), np.array([0.1, 0.7]), np.ones(2))
    with pytest.raises(DataError, match=r"item 'X2': c = 0.7 is not below RP 0.67"):
        ordered_item_booklet(form)
    booklet = ordered_item_booklet(form, BookmarkSettings(guessing="exclude"))
    assert booklet.height == 2


def test_page_one_has_nothing_before_it():
    placements = pl.DataFrame({"judge_id": ["J1", "J2"], "page": [1, 2]})
    with pytest.raises(DataError, match="judge 'J1', round 1: page 1 has no item before it"):
        bookmark(placements, FORM, settings=BookmarkSettings(location="before"))
