"""Where the chunk kernels run: in this process, or as Dask tasks on a cluster.

An engine maps a kernel over partitions and hands the results back, in partition order,
to the caller, which merges them (the reduction always happens here, on the client).
The kernels are plain module-level functions of a partition and a small plan, so the
same code runs in both engines and the numbers agree (exactly: the counts of ``analyze``
are whole-number sums, and ``calibrate``'s MML adds its chunk sums in the same order on
both engines; see :mod:`cehrs_items.irt.parallel`).

- ``local``: one partition after another in this process; memory is one partition.
- ``dask``: ``dask.distributed`` tasks, one per partition, on an existing cluster
  (``scheduler="tcp://host:8786"``) or on a ``LocalCluster`` started here (two
  single-threaded worker processes by default). Workers read their partitions from the
  shared file system themselves; only the small count arrays travel back. Needs the
  optional extra: ``pip install 'cehrs-items[dask]'``.

See docs/scale.md for pointing the Dask engine at Kubernetes, YARN or SSH clusters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from cehrs_items.errors import InputError

ENGINES = ("local", "dask")


class LocalEngine:
    """Run each partition in this process, one after another."""

    name = "local"

    def map(self, func: Callable[..., Any], items: Sequence[Any], **kwargs: Any) -> Iterator[Any]:
        """``func(item, **kwargs)`` for each item, lazily and in order."""
        for item in items:
            yield func(item, **kwargs)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskEngine:
    """Run each partition as a ``dask.distributed`` task; results come back in order.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://10.0.0.5:8786``), or a
        ``dask.distributed.Client`` already connected; None starts a ``LocalCluster``.
    n_workers, threads_per_worker, processes
        The ``LocalCluster`` started when no scheduler is given.
    """

    name = "dask"

    def __init__(
        self,
        scheduler: Any = None,
        *,
        n_workers: int = 2,
        threads_per_worker: int = 1,
        processes: bool = True,
    ) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise InputError(
                "--engine dask needs dask.distributed: pip install 'cehrs-items[dask]'"
            ) from exc
        self._own_client = True
        self.cluster = None
        if scheduler is None:
            self.cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=threads_per_worker,
                processes=processes,
                dashboard_address=None,
            )
            self.client = Client(self.cluster)
        elif isinstance(scheduler, str):
            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise InputError(
                    f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({exc})"
                ) from exc
        else:
            self.client = scheduler
            self._own_client = False

    def map(self, func: Callable[..., Any], items: Sequence[Any], **kwargs: Any) -> Iterator[Any]:
        """Submit ``func(item, **kwargs)`` for every item at once; yield results in order."""
        futures = self.client.map(func, list(items), pure=False, **kwargs)
        try:
            for future in futures:
                result = future.result()
                future.release()
                yield result
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def worker_peak_rss(self) -> dict[str, int]:
        """Peak resident memory (bytes) of each worker process so far."""
        return dict(self.client.run(_peak_rss))

    def close(self) -> None:
        """Close the client, and the cluster if this engine started it."""
        if self._own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _peak_rss() -> int:
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def check_engine(engine: str | LocalEngine | DaskEngine, scheduler: Any = None) -> None:
    """Raise what :func:`make_engine` would raise for these arguments, without starting
    anything (so a command can refuse them before it reads its data)."""
    if not isinstance(engine, str):
        return
    if engine not in ENGINES:
        raise InputError(f"--engine {engine!r} unknown; use one of: {', '.join(ENGINES)}")
    if engine == "local" and scheduler is not None:
        raise InputError("--scheduler needs --engine dask")
    if engine == "dask":
        try:
            import dask.distributed  # noqa: F401
        except ImportError as exc:
            raise InputError(
                "--engine dask needs dask.distributed: pip install 'cehrs-items[dask]'"
            ) from exc


def make_engine(engine: str | LocalEngine | DaskEngine = "local", scheduler: Any = None):
    """A context manager giving an engine by name (``local`` or ``dask``), closed on exit.

    An engine object is used as is and left open: its owner closes it.
    """
    if not isinstance(engine, str):
        return contextlib.nullcontext(engine)
    if engine == "local":
        if scheduler is not None:
            raise InputError("--scheduler needs --engine dask")
        return LocalEngine()
    if engine == "dask":
        return DaskEngine(scheduler)
    raise InputError(f"--engine {engine!r} unknown; use one of: {', '.join(ENGINES)}")
