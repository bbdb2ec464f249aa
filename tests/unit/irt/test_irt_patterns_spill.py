"""Patterns collapsed out of core: the same patterns, order and estimates as in memory.

``collapse_blocks`` must give exactly what ``collapse`` gives on all the rows at once,
whether it holds the blocks or spills them to disk in key ranges; everything downstream
(MML, its SEs, S-X2) must then give the same bytes from spilled patterns.
"""

from __future__ import annotations

import gc

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from irt_sim import item_ids, simulate

from cehrs_items.errors import DataError, EstimationError, InputError
from cehrs_items.irt.calibrate import calibrate
from cehrs_items.irt.mml_em import FixedItem, mml_em, mml_em_patterns
from cehrs_items.irt.patterns import (
    ScoredPatterns,
    SpilledArray,
    collapse,
    collapse_blocks,
    encode,
    subset_patterns,
)
from cehrs_items.responses import ScoredResponses


def _blocks(codes, weights, sizes):
    start = 0
    for size in sizes:
        yield codes[start : start + size], weights[start : start + size]
        start += size
    yield codes[start:], weights[start:]


def _codes(n, n_items, seed, omit_rate=0.1):
    x, om, *_ = simulate(n, n_items, seed=seed, omit_rate=omit_rate)
    return encode(x, om)


@pytest.mark.parametrize("n_items", [3, 12, 45, 130])  # 45 and 130: beyond the 40-item key
@pytest.mark.parametrize("memory_bytes", [0, 700, 10**9])
def test_collapse_blocks_equals_collapse_of_all_rows(tmp_path, n_items, memory_bytes):
    codes = _codes(2500, n_items, seed=n_items)
    weights = np.random.default_rng(1).integers(0, 4, codes.shape[0]).astype(float)
    want, _ = collapse(codes, weights)
    got = collapse_blocks(
        _blocks(codes, weights, [1, 400, 0, 999]),
        memory_bytes=memory_bytes,
        spill_dir=tmp_path,
        expected_rows=codes.shape[0],
    )
    assert got.spilled == (memory_bytes < 10**9)
    np.testing.assert_array_equal(got.codes[:], want.codes)
    np.testing.assert_array_equal(got.freq[:], want.freq)
    assert got.total == want.total == weights.sum()
    assert got.has_missing
    del got
    gc.collect()
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.lists(st.integers(0, 2), min_size=4, max_size=4), min_size=1, max_size=60),
    cut=st.integers(0, 60),
    memory_bytes=st.sampled_from([0, 40, 10**6]),
)
def test_collapse_blocks_property(tmp_path_factory, data, cut, memory_bytes):
    codes = np.array(data, dtype=np.int8)
    weights = np.arange(1, codes.shape[0] + 1, dtype=float)
    want, _ = collapse(codes, weights)
    got = collapse_blocks(
        _blocks(codes, weights, [cut]),
        memory_bytes=memory_bytes,
        spill_dir=tmp_path_factory.mktemp("spill"),
    )
    np.testing.assert_array_equal(got.codes[:], want.codes)
    np.testing.assert_array_equal(got.freq[:], want.freq)


def test_subset_equals_collapsing_the_examinees_rows(tmp_path):
    codes = _codes(3000, 20, seed=4, omit_rate=0.4)
    weights = np.random.default_rng(2).integers(0, 3, codes.shape[0]).astype(float)
    cols = [0, 3, 4, 17]
    sub = codes[:, cols]
    keep = (sub != 2).any(1) & (weights > 0)
    want, _ = collapse(sub[keep], weights[keep])
    patterns, _ = collapse(codes, weights)
    for memory_bytes in (0, 10**9):
        got = subset_patterns(patterns, cols, memory_bytes=memory_bytes, spill_dir=tmp_path)
        np.testing.assert_array_equal(got.codes[:], want.codes)
        np.testing.assert_array_equal(got.freq[:], want.freq)


def test_spilled_array_reads_row_slices_only(tmp_path):
    values = np.arange(60, dtype=np.int8).reshape(20, 3)
    values.tofile(tmp_path / "a.bin")
    arr = SpilledArray(tmp_path / "a.bin", np.int8, (20, 3))
    assert len(arr) == 20 and arr.ndim == 2 and arr.shape == (20, 3)
    np.testing.assert_array_equal(arr[5:9], values[5:9])
    np.testing.assert_array_equal(arr[18:40], values[18:])
    np.testing.assert_array_equal(arr[3:7, [0, 2]], values[3:7, [0, 2]])
    assert arr[9:4].shape == (0, 3)
    with pytest.raises(TypeError, match="contiguous slices"):
        arr[[1, 2]]


def test_a_spill_folder_that_is_not_a_folder_is_refused(tmp_path):
    codes = _codes(200, 5, seed=1)
    with pytest.raises(InputError, match=r"spill folder .*nowhere: not a folder"):
        collapse_blocks(
            _blocks(codes, np.ones(200), [50]), memory_bytes=0, spill_dir=tmp_path / "nowhere"
        )


def test_no_rows_at_all_is_an_error():
    with pytest.raises(DataError, match="no examinee rows"):
        collapse_blocks(iter([(np.zeros((0, 4), np.int8), np.ones(0))]))


@pytest.mark.parametrize("model", ["rasch", "2pl", "3pl"])
def test_mml_on_spilled_patterns_gives_the_same_bytes(tmp_path, model):
    x, om, *_ = simulate(1500, 8, model=model, seed=21, omit_rate=0.03)
    x[:, 5] = 1  # an item everyone got right: excluded, so the patterns are collapsed again
    om[:, 5] = False
    om[7] = True  # an examinee who omitted everything
    weights = np.ones(x.shape[0])
    weights[::50] = 0.0
    ids = item_ids(8)
    want = mml_em(x, omitted=om, weights=weights, item_ids=ids, model=model)
    blocks = _blocks(encode(x, om), weights, [400, 500])
    spilled = collapse_blocks(blocks, memory_bytes=0, spill_dir=tmp_path)
    got = mml_em_patterns(spilled, item_ids=ids, model=model, memory_bytes=0, spill_dir=tmp_path)
    assert spilled.spilled and got.excluded == want.excluded == {
        ids[5]: "no variance: every answer right"
    }
    assert got.params.write_csv() == want.params.write_csv()
    assert (got.loglik, got.n_iter, got.settings) == (want.loglik, want.n_iter, want.settings)


def test_calibrate_from_patterns_equals_calibrate_from_responses(tmp_path):
    x, om, *_ = simulate(1500, 8, seed=5, omit_rate=0.02)
    ids = item_ids(8)
    responses = ScoredResponses(
        scores=x,
        omitted=om,
        item_ids=tuple(ids),
        examinee_ids=pl.Series("examinee_id", [str(i) for i in range(x.shape[0])]),
        weights=None,
        extra=pl.DataFrame(),
    )
    spilled = collapse_blocks(
        _blocks(encode(x, om), np.ones(x.shape[0]), [700]), memory_bytes=0, spill_dir=tmp_path
    )
    patterns = ScoredPatterns(spilled, tuple(ids))
    for kwargs in ({}, {"estimate": ids[2:7]}):
        want = calibrate(responses, **kwargs)
        got = calibrate(patterns, memory_bytes=0, spill_dir=tmp_path, **kwargs)
        assert got.params.write_csv() == want.params.write_csv()
        assert got.settings == want.settings
    in_memory = ScoredPatterns(spilled.in_memory(), tuple(ids))
    cml = calibrate(in_memory, model="rasch", method="cml", fit=False)
    want = calibrate(responses, model="rasch", method="cml", fit=False)
    np.testing.assert_allclose(cml.params["b"], want.params["b"], atol=1e-9)
    with pytest.raises(InputError, match="cml needs the responses in memory"):
        calibrate(patterns, model="rasch", method="cml")


def test_patterns_without_any_answer_are_an_estimation_error():
    patterns, _ = collapse(np.full((50, 2), 2, dtype=np.int8), np.ones(50))
    fixed = {i: FixedItem(a=1.0, b=0.0) for i in ("a", "b")}  # anchors are never excluded
    with pytest.raises(EstimationError, match="no examinee answered any item"):
        mml_em_patterns(patterns, item_ids=["a", "b"], fixed=fixed)
