"""Properties of analyze: order of examinees and items does not matter; frequency weights
are repeated rows; identical groups show no DIF."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from cehrs_items.analysis import analyze
from cehrs_items.responses import LETTERS, CodedResponses

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def data_sets(draw):
    n = draw(st.integers(6, 40))
    k = draw(st.integers(3, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    ability = rng.standard_normal(n)
    keys = rng.integers(0, 4, k)
    right = rng.random((n, k)) < 1 / (1 + np.exp(-(ability[:, None] - rng.normal(0, 1, k))))
    codes = np.where(right, keys, (keys + 1 + rng.integers(0, 3, (n, k))) % 4).astype(np.int8)
    codes[rng.random((n, k)) < draw(st.sampled_from([0.0, 0.1]))] = -1
    group = np.where(rng.random(n) < 0.5, "F", "R")
    group[0], group[1] = "F", "R"
    weights = rng.integers(1, 4, n).astype(float)
    cut = draw(st.integers(1, k))
    return codes, keys, group, weights, cut


def _coded(codes, group, weights=None, ids=None, items=None):
    n, k = codes.shape
    return CodedResponses(
        codes=codes,
        kind="letters",
        item_ids=tuple(items or [f"NC-{j + 1:04d}" for j in range(k)]),
        examinee_ids=pl.Series("examinee_id", ids or [f"E{i}" for i in range(n)]),
        weights=weights,
        extra=pl.DataFrame({"group": list(group)}),
    )


def _run(coded, keys, cut, omit="incorrect"):
    key = {item: LETTERS[int(c)] for item, c in zip(coded.item_ids, keys, strict=True)}
    return analyze(
        coded,
        key=key,
        group="group",
        reference="R",
        focal="F",
        raw_cut=cut,
        dif_purify=True,
        omit=omit,
    )


def _same_dict(a, b):
    assert a.keys() == b.keys()
    for name in a:
        x, y = a[name], b[name]
        if isinstance(x, dict):
            _same_dict(x, y)
        elif isinstance(x, float) and isinstance(y, float):
            assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-10), (name, x, y)
        else:
            assert x == y, (name, x, y)


def _same(r1, r2):
    assert_frame_equal(r1.item_stats, r2.item_stats, abs_tol=1e-10)
    assert_frame_equal(r1.option_stats, r2.option_stats, abs_tol=1e-10)
    assert_frame_equal(r1.dif, r2.dif, abs_tol=1e-10)
    _same_dict(r1.test_stats, r2.test_stats)
    assert [f.message for f in r1.findings] == [f.message for f in r2.findings]


@SETTINGS
@given(data_sets(), st.randoms(use_true_random=False))
def test_permuting_examinees_changes_nothing(data, rnd):
    codes, keys, group, weights, cut = data
    order = list(range(codes.shape[0]))
    rnd.shuffle(order)
    base = _run(_coded(codes, group, weights), keys, cut)
    ids = [f"E{i}" for i in order]
    shuffled = _run(_coded(codes[order], group[order], weights[order], ids=ids), keys, cut)
    _same(base, shuffled)


@SETTINGS
@given(data_sets(), st.randoms(use_true_random=False))
def test_permuting_items_changes_nothing(data, rnd):
    codes, keys, group, weights, cut = data
    items = [f"NC-{j + 1:04d}" for j in range(codes.shape[1])]
    order = list(range(codes.shape[1]))
    rnd.shuffle(order)
    base = _run(_coded(codes, group, weights), keys, cut)
    moved = _run(
        _coded(codes[:, order], group, weights, items=[items[j] for j in order]),
        keys[order],
        cut,
    )
    # The odd-even split follows item positions by definition; everything else must not.
    base.test_stats.pop("split_half")
    moved.test_stats.pop("split_half")
    _same(base, moved)


@SETTINGS
@given(data_sets(), st.sampled_from(["incorrect", "exclude"]))
def test_a_row_of_weight_w_is_that_row_w_times(data, omit):
    codes, keys, group, weights, cut = data
    complete = ~(codes < 0).any(axis=1)
    assume(omit == "incorrect" or (complete[:2].all() and complete.sum() > 3))
    reps = weights.astype(int)
    weighted = _run(_coded(codes, group, weights), keys, cut, omit)
    n = int(reps.sum())
    expanded = _run(
        _coded(
            np.repeat(codes, reps, axis=0), np.repeat(group, reps), ids=[f"X{i}" for i in range(n)]
        ),
        keys,
        cut,
        omit,
    )
    _same_dict(
        {k: v for k, v in weighted.test_stats.items() if k != "n_rows"},
        {k: v for k, v in expanded.test_stats.items() if k != "n_rows"},
    )
    assert_frame_equal(weighted.item_stats, expanded.item_stats, abs_tol=1e-10)
    assert_frame_equal(weighted.option_stats, expanded.option_stats, abs_tol=1e-10)
    assert_frame_equal(weighted.dif, expanded.dif, abs_tol=1e-10)


@SETTINGS
@given(data_sets())
def test_identical_groups_give_delta_mh_zero(data):
    codes, keys, _, _, cut = data
    n = codes.shape[0]
    both = np.vstack([codes, codes])
    group = np.array(["R"] * n + ["F"] * n)
    result = _run(_coded(both, group, ids=[f"E{i}" for i in range(2 * n)]), keys, cut)
    estimable = result.dif.filter(pl.col("alpha_mh").is_not_nan())
    np.testing.assert_allclose(estimable["delta_mh"], 0.0, atol=1e-12)
    np.testing.assert_allclose(result.dif["std_p_dif"], 0.0, atol=1e-12)
    assert set(estimable["ets_category"]) <= {"A"}
