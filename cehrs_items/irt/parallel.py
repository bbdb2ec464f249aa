"""Threads for the chunked E-step and information sums.

NumPy ufuncs and BLAS release the GIL, so chunks of patterns can run on a pool of
threads. BLAS is held to one thread inside (two levels of threads would oversubscribe
the CPUs), and callers add the chunks' sums in chunk order, so results do not depend on
the number of threads or on their timing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from threadpoolctl import threadpool_limits

Item = TypeVar("Item")
Result = TypeVar("Result")


def default_threads() -> int:
    """CPUs this process may use (its affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no affinity mask
        return max(1, os.cpu_count() or 1)


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS on one thread inside the block."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def map_in_order(
    fn: Callable[[Item], Result], items: Iterable[Item], threads: int
) -> Iterator[Result]:
    """``fn`` of each item on ``threads`` threads with single-threaded BLAS, yielded in
    the items' order (results are produced as the threads go; consume them all)."""
    items = list(items)
    with single_threaded_blas():
        if threads > 1 and len(items) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                yield from pool.map(fn, items)
        else:
            for item in items:
                yield fn(item)
