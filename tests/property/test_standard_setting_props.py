"""Properties of the standard-setting methods (hypothesis)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.irt.models import probability
from cehrs_items.standard_setting import (
    BookmarkSettings,
    angoff,
    beuk,
    bookmark,
    failure_curve,
    hofstee,
    icc,
    impact,
    observed_fail_rate,
)

ratings_matrix = st.integers(2, 8).flatmap(
    lambda n: st.integers(2, 6).flatmap(
        lambda k: arrays(np.float64, (n, k), elements=st.floats(0, 1, allow_subnormal=False))
    )
)


def _long(matrix: np.ndarray) -> pl.DataFrame:
    n, k = matrix.shape
    return pl.DataFrame(
        {
            "judge_id": [f"J{j}" for j in range(k) for _ in range(n)],
            "item_id": [f"I{i:02d}" for _ in range(k) for i in range(n)],
            "rating": matrix.T.ravel(),
        }
    )


@settings(max_examples=40)
@given(ratings_matrix)
def test_angoff_cut_is_the_sum_of_item_means(matrix):
    res = angoff(_long(matrix))
    assert res.raw_cut == pytest.approx(matrix.mean(axis=1).sum(), abs=1e-9)
    assert res.raw_cut == pytest.approx(res.judges["cut"].mean(), abs=1e-9)
    assert res.items["mean_rating"].sum() == pytest.approx(res.raw_cut, abs=1e-9)


@settings(max_examples=30)
@given(ratings_matrix, st.randoms(use_true_random=False))
def test_icc_ignores_the_order_of_items_and_judges(matrix, rnd):
    rows = list(range(matrix.shape[0]))
    cols = list(range(matrix.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    a, b = icc(matrix), icc(matrix[rows][:, cols])
    for name in ("icc2_1", "icc2_k", "icc3_1", "icc3_k"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None) or abs(a.ms_items - a.ms_error) < 1e-9
        if x is not None and y is not None:
            assert x == pytest.approx(y, abs=1e-8)


item_params = st.tuples(
    st.floats(0.3, 2.5), st.floats(-2.5, 2.5), st.floats(0.0, 0.35), st.floats(0.4, 0.9)
)


@settings(max_examples=60)
@given(st.lists(item_params, min_size=2, max_size=8), st.data())
def test_bookmark_theta_solves_p_equals_rp_for_the_bookmarked_item(items, data):
    rp = items[0][3]
    a = np.array([i[0] for i in items])
    b = np.array([i[1] for i in items])
    c = np.minimum(np.array([i[2] for i in items]), rp - 0.05)
    form = IrtForm(tuple(f"I{j}" for j in range(len(items))), a, b, c, np.ones(len(items)))
    page = data.draw(st.integers(1, len(items)))
    placements = pl.DataFrame({"judge_id": ["J1", "J2"], "page": [page, page]})
    res = bookmark(placements, form, settings=BookmarkSettings(rp=rp))
    item = res.judges["item_id"][0]
    j = form.item_ids.index(item)
    p = probability(res.theta_cut, a[j], b[j], c[j])
    assert np.asarray(p).item() == pytest.approx(rp, abs=1e-10)
    # The raw cut is the TCC at the theta cut.
    assert res.raw_cut == pytest.approx(float(probability(res.theta_cut, a, b, c).sum()), abs=1e-9)


scores = st.integers(5, 30).flatmap(
    lambda k: st.tuples(st.just(k), st.lists(st.integers(0, k), min_size=3, max_size=60))
)


@settings(max_examples=60)
@given(scores, st.data())
def test_hofstee_cut_lies_on_the_observed_curve(ks, data):
    k, raw = ks
    raw = np.array(raw, dtype=float)
    kmin = data.draw(st.integers(0, k - 1))
    kmax = data.draw(st.integers(kmin + 1, k))
    fmin = data.draw(st.floats(0, 0.9))
    fmax = data.draw(st.floats(fmin + 0.05, 1.0))
    frame = pl.DataFrame(
        {
            "judge_id": ["A", "B"],
            "min_cut": [kmin, kmin],
            "max_cut": [kmax, kmax],
            "min_fail": [fmin, fmin],
            "max_fail": [fmax, fmax],
        }
    )
    res = hofstee(frame, raw, max_score=k)
    assert kmin <= res.raw_cut <= kmax
    curve = failure_curve(raw, k)
    on_curve = float(observed_fail_rate(curve, res.raw_cut))
    assert res.fail_rate == pytest.approx(on_curve, abs=1e-12)
    if res.intersects:
        line = fmax + (fmin - fmax) * (res.raw_cut - kmin) / (kmax - kmin)
        assert on_curve == pytest.approx(line, abs=1e-9)


@settings(max_examples=60)
@given(scores, st.data())
def test_beuk_cut_lies_on_the_curve_and_the_line(ks, data):
    k, raw = ks
    raw = np.array(raw, dtype=float)
    cuts = data.draw(st.lists(st.integers(0, k), min_size=2, max_size=6))
    rates = data.draw(st.lists(st.floats(0, 1), min_size=len(cuts), max_size=len(cuts)))
    frame = pl.DataFrame(
        {"judge_id": [f"J{i}" for i in range(len(cuts))], "cut": cuts, "pass_rate": rates}
    )
    res = beuk(frame, raw, max_score=k)
    assert 0 <= res.raw_cut <= k
    pass_rate = 1 - float(observed_fail_rate(failure_curve(raw, k), res.raw_cut))
    row = res.rounds.row(0, named=True)
    assert row["pass_rate"] == pytest.approx(pass_rate, abs=1e-12)
    if res.intersects and row["slope"] is not None:
        line = row["mean_pass_rate"] + row["slope"] * (res.raw_cut - row["mean_cut"])
        assert pass_rate == pytest.approx(line, abs=1e-9)


@settings(max_examples=40)
@given(
    st.lists(st.integers(0, 20), min_size=1, max_size=50), st.lists(st.floats(0, 20), min_size=2)
)
def test_pass_rate_falls_as_the_cut_rises(raw, cuts):
    cuts = sorted(cuts)
    rates = impact(np.array(raw, dtype=float), cuts)["pass_rate"].to_list()
    assert all(x >= y for x, y in zip(rates, rates[1:], strict=False))
