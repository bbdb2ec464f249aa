"""The Dask engine on a real two-worker LocalCluster gives the local engine's numbers."""

from __future__ import annotations

import sys

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from analysis_sim import form_data, simulate_letters

from cehrs_items.analysis import analyze
from cehrs_items.engine import DaskEngine, LocalEngine, make_engine
from cehrs_items.errors import DataError, InputError
from cehrs_items.forms import form_from_data

pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def cluster():
    # a real scheduler and two workers; threads keep the test short (no process start-up)
    engine = DaskEngine(n_workers=2, threads_per_worker=1, processes=False)
    yield engine
    engine.close()


def _folder(tmp_path, frame, sizes):
    folder = tmp_path / "parts"
    folder.mkdir()
    start = 0
    for i, size in enumerate(sizes):
        pq.write_table(
            frame.slice(start, size).to_arrow(), folder / f"p{i}.parquet", row_group_size=128
        )
        start += size
    return folder


def test_dask_engine_equals_local_engine(tmp_path, cluster):
    frame, key = simulate_letters(n=1200, k=12, seed=11, dif_items=(1,))
    folder = _folder(tmp_path, frame, [500, 300, 400])
    form = form_from_data(form_data(key, {"NC-0002"}))
    options = dict(form=form, raw_cut=6, group="group", reference="R", focal="F", dif_purify=True)
    local = analyze(folder, chunk_rows=256, **options)
    dask = analyze(folder, chunk_rows=256, engine=cluster, **options)
    assert len(cluster.client.scheduler_info()["workers"]) == 2
    assert np.array_equal(local.counts.table, dask.counts.table)
    for name in ("item_stats", "option_stats", "dif"):
        a, b = getattr(local, name), getattr(dask, name)
        assert a.columns == b.columns and a.height == b.height
        for col in a.columns:
            if a[col].dtype.is_float():
                assert np.allclose(a[col].to_numpy(), b[col].to_numpy(), atol=1e-10, equal_nan=True)
            else:
                assert a[col].to_list() == b[col].to_list()
    assert local.test_stats == dask.test_stats
    assert all(v > 0 for v in cluster.worker_peak_rss().values())


def test_a_bad_row_on_a_worker_is_the_same_located_error(tmp_path, cluster):
    frame, key = simulate_letters(n=400, k=6, seed=2)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 333)
        .then(pl.lit("Q"))
        .otherwise(pl.col("NC-0002"))
        .alias("NC-0002")
    )
    folder = _folder(tmp_path, frame, [200, 200])
    with pytest.raises(DataError, match=r"row 334, column NC-0002: response 'Q'"):
        analyze(folder, key=key, chunk_rows=100, engine=cluster)


def test_engine_names_and_a_missing_dask(monkeypatch):
    with make_engine("local") as engine:
        assert isinstance(engine, LocalEngine)
    with pytest.raises(InputError, match="--scheduler needs --engine dask"):
        make_engine("local", "tcp://127.0.0.1:1")
    with pytest.raises(InputError, match="unknown"):
        make_engine("spark")
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(InputError, match=r"pip install 'cehrs-items\[dask\]'"):
        DaskEngine()


def test_what_a_task_carries_pickles(tmp_path):
    """Worker processes receive the partition, read spec and plan pickled."""
    import pickle

    from cehrs_items.analysis.sufficient import CountPlan, count_partition
    from cehrs_items.partitions import ReadSpec, parquet_partitions

    frame, key = simulate_letters(n=300, k=5, seed=4)
    folder = _folder(tmp_path, frame, [300])
    part = parquet_partitions(folder, chunk_rows=128).partitions[1]
    spec = ReadSpec(source=str(folder), items=tuple(key))
    plan = CountPlan(
        key_code=np.array(["ABCD".index(v) for v in key.values()], dtype=np.int8),
        in_total=np.ones(5, bool),
        kind="letters",
    )
    args = pickle.loads(pickle.dumps((part, spec, plan)))
    again = count_partition(args[0], spec=args[1], plan=args[2])
    direct = count_partition(part, spec=spec, plan=plan)
    assert again.n_rows == part.n_rows == 128
    assert np.array_equal(again.table, direct.table)
