"""Where the chunk kernels of MML run: threads of this process, or Dask workers.

NumPy ufuncs and BLAS release the GIL, so chunks of patterns can run on a pool of
threads; BLAS is held to one thread inside (two levels of threads would oversubscribe
the CPUs). The chunks are grouped, a kernel's results are added up within a group in
chunk order, and callers add the groups' sums in group order, so a result does not
depend on the number of threads, on their timing, or on the engine: the grouping is a
function of the number of patterns alone (:func:`chunk_groups`), and the Dask engine
runs each group as one task with exactly the same additions (:class:`DaskChunks`).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
from threadpoolctl import threadpool_limits

from cehrs_items.irt.patterns import row_slices

Item = TypeVar("Item")
Result = TypeVar("Result")
#: At most this many groups of chunks (Dask tasks per pass over the patterns).
MAX_GROUPS = 256
_FETCH = 8  # group sums fetched from Dask workers per round trip


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
    fn: Callable[[Item], Result],
    items: Iterable[Item],
    threads: int,
    pool: ThreadPoolExecutor | None = None,
) -> Iterator[Result]:
    """``fn`` of each item on ``threads`` threads with single-threaded BLAS, yielded in
    the items' order (results are produced as the threads go; consume them all). A
    ``pool`` given is used (and left open) instead of a new one."""
    items = list(items)
    with single_threaded_blas():
        if threads > 1 and len(items) > 1:
            with contextlib.ExitStack() as stack:
                if pool is None:
                    pool = stack.enter_context(ThreadPoolExecutor(max_workers=threads))
                futures = deque(pool.submit(fn, item) for item in items)
                try:
                    while futures:  # a result is let go as soon as it is handed on
                        yield futures.popleft().result()
                finally:  # interrupted or abandoned: drop the work not started
                    for future in futures:
                        future.cancel()
        else:
            for item in items:
                yield fn(item)


def chunk_groups(n_rows: int, chunk_rows: int) -> list[list[slice]]:
    """Slices of ``chunk_rows`` rows, grouped into at most :data:`MAX_GROUPS` runs of
    consecutive chunks of equal count."""
    slices = row_slices(n_rows, chunk_rows)
    per_group = max(1, math.ceil(len(slices) / MAX_GROUPS))
    return [slices[i : i + per_group] for i in range(0, len(slices), per_group)]


def add_results(a: Any, b: Any) -> Any:
    """``a + b`` for kernel results: numbers and arrays add, tuples add item by item, None
    stays None."""
    if a is None:
        return None
    if isinstance(a, tuple):
        return tuple(add_results(x, y) for x, y in zip(a, b, strict=True))
    return a + b


def run_group(
    fn: Callable[..., Any], chunks: Iterable[tuple[np.ndarray, np.ndarray]], *args: Any
) -> Any:
    """``fn(codes, freq, *args)`` of each chunk, added up in chunk order."""
    return _add_in_order(fn(codes, freq, *args) for codes, freq in chunks)


def _add_in_order(results: Iterable[Any]) -> Any:
    total = None
    for i, result in enumerate(results):
        total = result if i == 0 else add_results(total, result)
    return total


def _run_scattered(call: tuple[Callable[..., Any], tuple], chunks) -> Any:
    fn, args = call
    return run_group(fn, chunks, *args)


class LocalChunks:
    """Patterns in this process (in memory or spilled), their chunk groups on threads.

    A group's chunks are read one at a time as its thread reaches them.
    """

    def __init__(self, patterns, chunk_rows: int, threads: int | None = None) -> None:
        self.patterns = patterns
        self.groups = chunk_groups(patterns.n_patterns, chunk_rows)
        self.threads = threads if threads is not None else default_threads()
        # One pool for every pass: glibc gives each new thread its own malloc arena, and
        # each arena keeps the chunk buffers it freed, so a pool per pass (25-40 passes)
        # let the process grow by a chunk's working memory per arena, up to 16 of them.
        self._pool = ThreadPoolExecutor(max_workers=self.threads) if self.threads > 1 else None

    def sum(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(codes, freq, *args)`` of every chunk, added up within each group in chunk
        order and then over the groups in group order (each group's sum is added as it
        comes, so only a few are ever held)."""
        codes, freq = self.patterns.codes, self.patterns.freq

        def work(group: list[slice]):
            return run_group(fn, ((codes[sl], np.asarray(freq[sl])) for sl in group), *args)

        return _add_in_order(map_in_order(work, self.groups, self.threads, self._pool))

    def close(self) -> None:
        """Stop the threads."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class DaskChunks:
    """Patterns scattered to the workers of a ``dask.distributed`` client, one future per
    chunk group, kept there for every pass; each pass broadcasts the kernel and its small
    arguments once, runs one task per group, and brings back only the groups' sums. The
    client holds one group at a time while scattering.
    """

    def __init__(self, patterns, client, chunk_rows: int) -> None:
        self.client = client
        self.groups = chunk_groups(patterns.n_patterns, chunk_rows)
        self.futures = []
        for group in self.groups:
            data = [(patterns.codes[sl], np.asarray(patterns.freq[sl])) for sl in group]
            self.futures.append(client.scatter([data], hash=False)[0])

    def sum(self, fn: Callable[..., Any], *args: Any) -> Any:
        """As :meth:`LocalChunks.sum`: the groups run as tasks, and their sums are fetched
        a few at a time and added in group order (the rest stay on their workers)."""
        call = self.client.scatter([(fn, args)], broadcast=True, hash=False)[0]
        tasks = [
            self.client.submit(_run_scattered, call, future, pure=False) for future in self.futures
        ]

        def results():
            # Fetched a few at a time: one round trip per batch, and at most a batch held.
            for start in range(0, len(tasks), _FETCH):
                batch = tasks[start : start + _FETCH]
                yield from self.client.gather(batch)
                for task in batch:
                    task.release()

        try:
            return _add_in_order(results())
        finally:
            self.client.cancel([task for task in tasks if not task.done()])
            call.release()

    def close(self) -> None:
        """Release the scattered patterns on the workers."""
        for future in self.futures:
            future.release()
        self.futures = []
