"""Reading partitions ahead on a background thread: the same batches, counts and errors
as reading them one after another, and no thread left behind."""

from __future__ import annotations

import threading

import numpy as np
import pyarrow.parquet as pq
import pytest
from analysis_sim import simulate_letters

from cehrs_items.analysis.sufficient import (
    CountPlan,
    count_partition,
    count_partitions,
)
from cehrs_items.partitions import (
    NotClean,
    ReadSpec,
    _read_ahead,
    parquet_partitions,
    read_partition,
    read_partitions,
)

K = 9


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    frame, _ = simulate_letters(n=900, k=K, seed=11, dif_items=(1,))
    out = tmp_path_factory.mktemp("ahead")
    # row groups of 60 and 200 rows, and a file whose groups are larger than a batch
    for i, (start, size, group_rows) in enumerate(((0, 300, 60), (300, 1, 60), (301, 599, 200))):
        pq.write_table(
            frame.slice(start, size).to_arrow(), out / f"p{i}.parquet", row_group_size=group_rows
        )
    return out


def _spec(batch_rows: int) -> ReadSpec:
    items = tuple(f"NC-{j + 1:04d}" for j in range(K))
    return ReadSpec(source="parts", items=items, extra_columns=("group",), batch_rows=batch_rows)


def _plan() -> CountPlan:
    return CountPlan(
        key_code=np.arange(K, dtype=np.int8) % 4,
        in_total=np.ones(K, dtype=bool),
        kind="letters",
        group=("group", "R", "F"),
        parts=np.stack([np.arange(K) % 2 == 0, np.arange(K) % 2 == 1]),
        hash_ids=True,
        track_reads=True,
    )


def _no_reader_thread() -> bool:
    return not any(t.name == "cehrs-read-ahead" for t in threading.enumerate())


@pytest.mark.parametrize(("chunk_rows", "batch_rows"), [(150, 150), (250, 100), (10_000, 10_000)])
@pytest.mark.parametrize("ahead", [0, 1, 3])
def test_read_partitions_gives_read_partitions_batches(folder, chunk_rows, batch_rows, ahead):
    parts = parquet_partitions(folder, chunk_rows=chunk_rows).partitions
    spec = _spec(batch_rows)
    want = [(i, r, c) for i, p in enumerate(parts) for r, c in read_partition(p, spec)]
    got = list(read_partitions(parts, spec, ahead=ahead))
    assert [(i, r) for i, r, _ in got] == [(i, r) for i, r, _ in want]
    for (_, _, a), (_, _, b) in zip(got, want, strict=True):
        assert np.array_equal(a.codes, b.codes)
        assert a.examinee_ids.to_list() == b.examinee_ids.to_list()
        assert a.extra.equals(b.extra)
        assert a.codes.shape[0] <= batch_rows
    rows = [r + c.codes.shape[0] for _, r, c in got]
    assert [r for _, r, _ in got][1:] == rows[:-1] and rows[-1] == 900
    assert _no_reader_thread()


def test_row_groups_larger_than_a_batch_are_cut(folder):
    parts = parquet_partitions(folder / "p2.parquet", chunk_rows=10_000).partitions
    sizes = [c.codes.shape[0] for _, c in read_partition(parts[0], _spec(70))]
    assert sizes == [70, 70, 60] * 2 + [70, 70, 59]  # groups of 200, 200 and 199 rows
    whole = [c.codes.shape[0] for _, c in read_partition(parts[0], _spec(200))]
    assert whole == [200, 200, 199]  # each group read whole


@pytest.mark.parametrize("ahead", [0, 1, 2])
def test_count_partitions_equals_counting_each_partition(folder, ahead):
    parts = parquet_partitions(folder, chunk_rows=130).partitions
    spec, plan = _spec(130), _plan()
    got = list(count_partitions(parts, spec=spec, plan=plan, ahead=ahead))
    want = [count_partition(p, spec=spec, plan=plan) for p in parts]
    assert len(got) == len(want) == len(parts)
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a.table, b.table)
        assert np.array_equal(a.part_freq, b.part_freq)
        assert np.array_equal(a.part_cross, b.part_cross)
        assert np.array_equal(a.id_hashes, b.id_hashes)
        assert (a.n_read, a.n_rows, a.group_values) == (b.n_read, b.n_rows, b.group_values)
    assert _no_reader_thread()


def test_an_error_reaches_the_consumer_after_the_items_before_it():
    def items():
        yield from range(5)
        raise NotClean("rows from 6 need the whole-file reader")

    seen = []
    with pytest.raises(NotClean, match="rows from 6"):
        for x in _read_ahead(items(), 2):
            seen.append(x)
    assert seen == [0, 1, 2, 3, 4]
    assert _no_reader_thread()


def test_a_consumer_that_stops_early_stops_the_reader():
    produced = []

    def items():
        for i in range(1000):
            produced.append(i)
            yield i

    reader = _read_ahead(items(), 1)
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    reader.close()
    assert _no_reader_thread()
    assert len(produced) <= 6  # the reader stopped within a few items of the consumer


def test_stopping_read_partitions_early_stops_its_reader(folder):
    parts = parquet_partitions(folder, chunk_rows=100).partitions
    batches = read_partitions(parts, _spec(100), ahead=2)
    index, first_row, coded = next(batches)
    assert (index, first_row, coded.codes.shape[0]) == (0, 0, 60)
    batches.close()
    assert _no_reader_thread()


def test_a_file_that_cannot_be_read_is_located(tmp_path, folder):
    import shutil

    from cehrs_items.errors import InputError

    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    parts = parquet_partitions(bad, chunk_rows=10_000).partitions
    (bad / "p2.parquet").write_bytes(b"PAR1 not a parquet file PAR1")
    with pytest.raises(InputError, match=r"p2\.parquet: cannot read responses"):
        list(read_partitions(parts, _spec(10_000), ahead=1))
    assert _no_reader_thread()


@pytest.mark.parametrize(
    ("cores", "others", "depth"),
    [(2, 0, 1), (2, 1, 0), (2, 3, 0), (1, 0, 0), (8, 6, 1), (8, 7, 0), (2, None, 0)],
)
def test_reading_ahead_only_with_an_idle_core(monkeypatch, cores, others, depth):
    import os

    from cehrs_items.analysis import sufficient

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(sufficient, "_other_runnable_tasks", lambda: others)
    assert sufficient.read_ahead_depth() == depth


def test_runnable_tasks_are_read():
    from cehrs_items.analysis import sufficient

    others = sufficient._other_runnable_tasks()
    assert others is None or others >= 0
