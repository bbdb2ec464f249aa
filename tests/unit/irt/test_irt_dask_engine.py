"""MML on Dask workers and threads: the patterns scattered once, every pass run as tasks, the
local engine's results to the last bit (the chunk groups and their additions are the
same on both engines)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from irt_sim import item_ids, simulate

import cehrs_items.irt.mml_em as mml_module
import cehrs_items.irt.parallel as parallel_module
from cehrs_items.irt.mml_em import mml_em_patterns
from cehrs_items.irt.parallel import add_results, chunk_groups
from cehrs_items.irt.patterns import collapse, encode

pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def cluster():
    from cehrs_items.engine import DaskEngine

    # worker processes: the kernels and the patterns really are pickled and sent
    engine = DaskEngine(n_workers=2, threads_per_worker=1, processes=True)
    yield engine
    engine.close()


def test_dask_engine_gives_the_local_bytes(monkeypatch, cluster):
    model = "3pl"
    # Small chunks and few groups, so that groups hold several chunks each.
    monkeypatch.setattr(mml_module, "_CHUNK", 100)
    monkeypatch.setattr(parallel_module, "MAX_GROUPS", 3)
    x, om, *_ = simulate(3000, 10, model=model, seed=9, omit_rate=0.04)
    patterns, _ = collapse(encode(x, om))
    assert len(chunk_groups(patterns.n_patterns, 100)[0]) > 1
    ids = item_ids(10)
    local = mml_em_patterns(patterns, item_ids=ids, model=model)
    dask = mml_em_patterns(patterns, item_ids=ids, model=model, engine=cluster)
    assert dask.params.write_csv() == local.params.write_csv()
    assert (dask.loglik, dask.n_iter) == (local.loglik, local.n_iter)
    # the scattered patterns were released when the calibration ended (releases are
    # messages to the scheduler, so give them a moment)
    deadline = time.monotonic() + 10
    while _n_tasks(cluster) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _n_tasks(cluster) == 0


def _n_tasks(cluster) -> int:
    return cluster.client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))


def test_chunk_groups_cover_every_row_once_in_order():
    for n, rows in ((0, 7), (1, 7), (100, 7), (10**6, 16384), (10**7, 16384)):
        groups = chunk_groups(n, rows)
        flat = [sl for group in groups for sl in group]
        assert len(groups) <= parallel_module.MAX_GROUPS
        assert [sl.start for sl in flat] == list(range(0, n, rows))
        assert sum(sl.stop - sl.start for sl in flat) == n
        assert len({len(g) for g in groups[:-1]}) <= 1  # equal groups but the last


def test_add_results_adds_numbers_arrays_and_tuples_keeping_none():
    a = (1.0, np.array([1.0, 2.0]), None, (np.ones(2), 3))
    b = (0.5, np.array([1.0, 1.0]), None, (np.ones(2), 4))
    got = add_results(a, b)
    assert got[0] == 1.5 and got[2] is None and got[3][1] == 7
    np.testing.assert_array_equal(got[1], [2.0, 3.0])
    np.testing.assert_array_equal(got[3][0], [2.0, 2.0])


def test_thread_results_are_let_go_once_handed_on():
    import gc
    import weakref

    from cehrs_items.irt.parallel import map_in_order

    class Result:
        pass

    made: list[weakref.ref] = []

    def work(_item):
        result = Result()
        made.append(weakref.ref(result))
        return result

    results = map_in_order(work, range(6), threads=2)
    first = next(results)
    del first
    gc.collect()
    assert made[0]() is None  # not kept by the pool while the others are still coming
    assert len(list(results)) == 5
