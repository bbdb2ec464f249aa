"""Benchmark: ``cehrs-items calibrate`` end to end on 1M (or 10M) x 125 option letters.

The data are ``bench_scale.py``'s 1M-row Parquet files (made by ``cehrs-items simulate
responses``; ``--make-data`` simulates them, 10-60 s each) and their key: the first file
(``--rows 1m``) or the folder of ten (``--rows 10m``). Each run is a fresh ``python -m
cehrs_items calibrate`` process (reading, scoring, MML-EM, Louis SEs, S-X2 fit, writing),
timed as a whole with the peak RSS of its largest process (with Dask, the largest of the
client and its worker processes); runs are interleaved:

- ``new``: this checkout, default settings (the Parquet read in partitions and kept as
  unique scored patterns, in memory up to 512 MiB and spilled to disk beyond; chunked,
  threaded E-step; SQUAREM);
- ``spill``: the same with ``--memory-limit 64MiB``, so the patterns go to disk;
- ``dask``: the same with ``--engine dask`` (a two-worker LocalCluster started by the
  command; the patterns are scattered to the workers and every pass runs there);
- ``old``: another checkout (``--old PATH``, e.g. ``git worktree add --detach /tmp/old
  <commit>``).

Then the parameter files are compared with ``new``'s (largest absolute difference of a,
b, c and their SEs).

    python benchmarks/bench_calibrate_scale.py --make-data --old /tmp/old --models 2pl,3pl
    python benchmarks/bench_calibrate_scale.py --rows 10m --variants new --models 2pl
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import DATA, ROOT, form_and_key, make_data, measure  # noqa: E402


def calibrate_cmd(data: Path, key: Path, model: str, out: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "cehrs_items", "calibrate", str(data), "--key", str(key),
            "--model", model, "--out", str(out), "--force", *extra]  # fmt: skip


VARIANTS = {
    "new": [],
    "spill": ["--memory-limit", "64MiB"],
    "dask": ["--engine", "dask"],
    "old": [],
}


def max_diff(a: Path, b: Path) -> dict[str, float]:
    import numpy as np
    import polars as pl

    x, y = pl.read_csv(a).sort("item_id"), pl.read_csv(b).sort("item_id")
    return {
        col: float(np.nanmax(np.abs(x[col].to_numpy() - y[col].to_numpy())))
        for col in ("a", "b", "c", "se_a", "se_b")
        if x[col].dtype.is_float()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, help="another checkout to time as 'old'")
    parser.add_argument("--models", default="2pl,3pl")
    parser.add_argument("--variants", default="new,spill,dask,old")
    parser.add_argument("--rows", choices=("1m", "10m"), default="1m")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--make-data", action="store_true")
    args = parser.parse_args()
    if args.make_data:
        make_data(n_files=1 if args.rows == "1m" else 10)
    _, key = form_and_key()
    data = DATA / "parts" / "part-00.parquet" if args.rows == "1m" else DATA / "parts"
    variants = [v for v in args.variants.split(",") if v != "old" or args.old]
    envs = {v: dict(os.environ, PYTHONPATH=str(args.old if v == "old" else ROOT)) for v in variants}
    print(f"# {data.name}: {args.rows} x 125 letters; whole-process timings", flush=True)
    print(f"# load average before: {os.getloadavg()}", flush=True)
    print("model  version  wall_s  peak_gib", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            walls: dict[str, list[float]] = {name: [] for name in envs}
            for _ in range(args.repeats):
                for name, env in envs.items():
                    out = Path(tmp) / f"{name}-{model}.csv"
                    cmd = calibrate_cmd(data, key, model, out, VARIANTS[name])
                    values, peak = measure([sys.executable, "-c", TIMER, *cmd], env=env)
                    walls[name].append(values["seconds"])
                    print(
                        f"{model:5s}  {name:7s}  {values['seconds']:6.1f}  {peak:8.2f}", flush=True
                    )
            med = {name: statistics.median(v) for name, v in walls.items()}
            for name in med:
                if name == "new" or "new" not in med:
                    continue
                print(f"{model:5s}  {name}/new wall = {med[name] / med['new']:.3f}", flush=True)
                diffs = max_diff(Path(tmp) / f"{name}-{model}.csv", Path(tmp) / f"new-{model}.csv")
                print(f"{model:5s}  max |{name} - new|: {diffs}", flush=True)
    print(f"# load average after: {os.getloadavg()}", flush=True)


TIMER = (
    "import runpy, sys, time\n"
    "start = time.perf_counter()\n"
    "sys.argv = sys.argv[3:]\n"
    "try:\n"
    "    runpy.run_module('cehrs_items', run_name='__main__')\n"
    "except SystemExit as exc:\n"
    "    if exc.code not in (0, None):\n"
    "        raise\n"
    "print(f'seconds {time.perf_counter() - start:.3f}')\n"
)

if __name__ == "__main__":
    main()
