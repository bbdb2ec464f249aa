"""Out-of-core analyze: Parquet read in partitions gives the in-memory results exactly."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from analysis_sim import form_data, simulate_letters
from polars.testing import assert_frame_equal

from cehrs_items.analysis import analyze
from cehrs_items.analysis.sufficient import CountPlan, count_chunk, empty_counts, merge_all
from cehrs_items.errors import DataError
from cehrs_items.forms import form_from_data
from cehrs_items.partitions import parquet_partitions
from cehrs_items.responses import (
    ResponseSet,
    coded_from_response_set,
    read_codes,
    read_responses,
    warn_beyond_key,
)

TOL = 1e-12


def _split_files(frame: pl.DataFrame, folder, sizes, row_group_size=53):
    """Write ``frame`` as consecutive Parquet files of ``sizes`` rows, small row groups."""
    folder.mkdir()
    start = 0
    for i, size in enumerate(sizes):
        part = frame.slice(start, size)
        pq.write_table(
            part.to_arrow(), folder / f"part-{i:02d}.parquet", row_group_size=row_group_size
        )
        start += size
    assert start == frame.height
    return folder


def _assert_same(a, b):
    assert_frame_equal(a.item_stats, b.item_stats, check_exact=False, abs_tol=TOL, rel_tol=0)
    assert_frame_equal(a.option_stats, b.option_stats, check_exact=False, abs_tol=TOL, rel_tol=0)
    if a.dif is None:
        assert b.dif is None
    else:
        assert_frame_equal(a.dif, b.dif, check_exact=False, abs_tol=TOL, rel_tol=0)
    if a.dif_logistic is None:
        assert b.dif_logistic is None
    else:
        assert_frame_equal(
            a.dif_logistic, b.dif_logistic, check_exact=False, abs_tol=TOL, rel_tol=0
        )
    _same_json(a.test_stats, b.test_stats)
    assert [(f.rule, f.message) for f in a.findings] == [(f.rule, f.message) for f in b.findings]


def _same_json(x, y):
    if isinstance(x, dict):
        assert set(x) == set(y)
        for k in x:
            _same_json(x[k], y[k])
    elif isinstance(x, list):
        assert len(x) == len(y)
        for u, v in zip(x, y, strict=True):
            _same_json(u, v)
    elif isinstance(x, float) and isinstance(y, float):
        assert x == pytest.approx(y, abs=TOL, rel=0) or (math.isnan(x) and math.isnan(y))
    else:
        assert x == y


@pytest.fixture(scope="module")
def data():
    frame, key = simulate_letters(n=1500, k=14, seed=7, dif_items=(2, 5))
    rng = np.random.default_rng(3)
    frame = frame.with_columns(pl.Series("freq", rng.integers(0, 4, frame.height)))
    form = form_from_data(form_data(key, {"NC-0004", "NC-0011"}))
    return frame, key, form


@pytest.mark.parametrize("omit", ["incorrect", "exclude"])
def test_partitioned_parquet_equals_the_in_memory_path(tmp_path, data, omit):
    frame, _, form = data
    folder = _split_files(frame, tmp_path / "parts", [400, 1, 599, 500])
    options = dict(
        form=form,
        raw_cut=7,
        group="group",
        reference="R",
        focal="F",
        dif_purify=True,
        dif_methods=("mh", "logistic"),
        weight_column="freq",
        omit=omit,
    )
    whole = read_responses(folder, weight_column="freq", extra_columns=["group"])
    in_memory = analyze(whole, **options)
    chunked = analyze(folder, chunk_rows=97, **options)
    glob = analyze(str(tmp_path / "parts" / "part-0*.parquet"), chunk_rows=10_000, **options)
    assert len(parquet_partitions(folder, chunk_rows=97).partitions) > 15
    _assert_same(in_memory, chunked)
    _assert_same(in_memory, glob)
    # the counts themselves are bit-identical, whatever the partitioning
    assert np.array_equal(in_memory.counts.table, chunked.counts.table)
    assert np.array_equal(in_memory.counts.part_freq, glob.counts.part_freq)


def test_part_totals_give_domain_and_split_half_statistics(data):
    frame, key, form = data
    result = analyze(read_responses_frame(frame), form=form)
    counts = result.counts
    names = result.part_names
    assert names == (
        "domain_1",
        "domain_2",
        "domain_3",
        "domain_4",
        "domain_5",
        "pretest",
        "odd",
        "even",
    )
    items = list(key)
    x = np.column_stack([(frame[i] == key[i]).fill_null(False).to_numpy() for i in items]).astype(
        float
    )
    scored = np.array([i not in {"NC-0004", "NC-0011"} for i in items])
    odd = np.flatnonzero(scored)[0::2]
    even = np.flatnonzero(scored)[1::2]
    t_odd, t_even = x[:, odd].sum(axis=1), x[:, even].sum(axis=1)
    i_odd, i_even = names.index("odd"), names.index("even")
    assert counts.part_cross[i_odd, i_even] == pytest.approx((t_odd * t_even).sum(), abs=1e-9)
    freq = counts.part_freq[i_odd]
    assert np.array_equal(
        freq[: x.shape[1] + 1], np.bincount(t_odd.astype(int), minlength=x.shape[1] + 1)
    )
    d2 = [j for j, _ in enumerate(items) if j % 5 == 1 and scored[j]]
    assert np.array_equal(
        counts.part_freq[names.index("domain_2")],
        np.bincount(x[:, d2].sum(axis=1).astype(int), minlength=len(items) + 1),
    )


def read_responses_frame(frame):
    items = tuple(c for c in frame.columns if c.startswith("NC-"))
    return ResponseSet(
        frame=frame, item_ids=items, id_column="examinee_id", kind="letters", source="<frame>"
    )


def test_item_cross_products_merge_over_chunks(data):
    frame, key, _ = data
    coded = coded_from_response_set(read_responses_frame(frame), list(key))
    key_code = np.array(["ABCD".index(key[i]) for i in key], dtype=np.int8)
    plan = CountPlan(
        key_code=key_code, in_total=np.ones(len(key), bool), kind="letters", item_cross=True
    )
    whole = count_chunk(coded, plan)
    pieces = [
        count_chunk(coded.__class__(**{**coded.__dict__, "codes": coded.codes[s : s + 211]}), plan)
        for s in range(0, frame.height, 211)
    ]
    merged = merge_all(plan, pieces)
    x = (coded.codes == key_code).astype(float)
    assert np.array_equal(whole.item_cross, x.T @ x)
    assert np.array_equal(merged.item_cross, whole.item_cross)
    assert np.array_equal(merged.table, whole.table)
    assert empty_counts(plan).merge(whole).n_rows == frame.height


def test_lower_case_chunk_takes_the_full_checks_and_still_agrees(tmp_path, data):
    frame, key, form = data
    messy = frame.with_columns(
        pl.when(pl.int_range(pl.len()) > 1000)
        .then(pl.col("NC-0001").str.to_lowercase())
        .otherwise(pl.col("NC-0001"))
        .alias("NC-0001")
    )
    folder = _split_files(messy, tmp_path / "messy", [700, 800])
    whole = analyze(read_responses(folder, extra_columns=["group", "freq"]), form=form)
    chunked = analyze(folder, form=form, chunk_rows=100)
    _assert_same(whole, chunked)


def test_errors_name_the_row_of_the_whole_data(tmp_path, data):
    frame, _, form = data
    bad = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 1234)
        .then(pl.lit("Z"))
        .otherwise(pl.col("NC-0003"))
        .alias("NC-0003")
    )
    folder = _split_files(bad, tmp_path / "bad", [1000, 500])
    with pytest.raises(DataError, match=r"row 1235, column NC-0003: response 'Z'"):
        analyze(folder, form=form, chunk_rows=64)
    repeated = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 1400)
        .then(pl.lit("E00010"))
        .otherwise(pl.col("examinee_id"))
        .alias("examinee_id")
    )
    folder = _split_files(repeated, tmp_path / "rep", [1000, 500])
    with pytest.raises(DataError) as chunked_error:
        analyze(folder, form=form, chunk_rows=64)
    with pytest.raises(DataError) as whole_error:
        read_responses(folder)
    assert str(chunked_error.value) == str(whole_error.value)
    assert "row 1401, column examinee_id: examinee id 'E00010' repeats (first on row 11)" in str(
        whole_error.value
    )
    good = _split_files(frame, tmp_path / "good", [900, 600])
    with pytest.raises(DataError, match=r"no examinee has group value 'X' \(found: F, R\)"):
        analyze(good, form=form, group="group", reference="R", focal="X", chunk_rows=64)


def test_data_warnings_are_the_whole_file_readers(tmp_path, data):
    """All-omitted examinees and letters beyond the highest key: same warnings, same rows."""
    from cehrs_items.errors import collect_warnings

    frame, key, _ = data
    items = list(key)
    four = {i: ("B" if k == "E" else k) for i, k in key.items()}  # no item keyed E
    empty_rows = pl.int_range(pl.len()).is_in([17, 1203])
    frame = frame.with_columns(
        [pl.when(empty_rows).then(None).otherwise(pl.col(i)).alias(i) for i in items]
    ).with_columns(
        pl.when(pl.int_range(pl.len()).is_in([880, 1401]))
        .then(pl.lit("E"))
        .otherwise(pl.col("NC-0007"))
        .alias("NC-0007")
    )
    whole_file = tmp_path / "whole.parquet"
    frame.write_parquet(whole_file)
    folder = _split_files(frame, tmp_path / "w", [700, 800])
    with collect_warnings() as whole:  # the whole-file reader and its beyond-key check
        coded = read_codes(whole_file, items=items)
        key_codes = np.array(["ABCDE".index(four[i]) for i in items])
        warn_beyond_key(coded.codes, items, key_codes, str(whole_file))
    with collect_warnings() as in_memory:
        a = analyze(coded, key=four)
    assert in_memory == whole[1:]  # the in-memory path words beyond-key the same way
    with collect_warnings() as chunked:
        b = analyze(folder, key=four, chunk_rows=100)
    assert len(whole) == 2 and "omitted every item (rows 18, 1204)" in whole[0]
    assert "first: row 881, column NC-0007, 'E'" in whole[1]
    assert [w.replace(str(whole_file), "SRC") for w in whole] == [
        w.replace(str(folder), "SRC") for w in chunked
    ]
    assert np.array_equal(a.counts.table, b.counts.table)
