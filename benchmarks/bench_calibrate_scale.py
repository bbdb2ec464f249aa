"""Benchmark: ``cehrs-items calibrate`` end to end on 1,000,000 x 125 option letters.

The data are ``bench_scale.py``'s first 1M-row Parquet file (made by ``cehrs-items
simulate responses``; ``--make-data`` simulates it, 10-60 s) and its key. Each run is a
fresh ``python -m cehrs_items calibrate`` process (reading, scoring, MML-EM, Louis SEs,
S-X2 fit, writing), timed as a whole with its peak RSS; runs are interleaved:

- ``new``: this checkout (the Parquet file read in partitions and kept as unique scored
  patterns; chunked, threaded E-step; SQUAREM);
- ``old``: another checkout (``--old PATH``, e.g. ``git worktree add --detach /tmp/old
  <commit>``), which reads the file whole.

Then the two parameter files are compared (largest absolute difference of a, b, c; the
old version's plain EM and SQUAREM stop at different points within the tolerance).

    python benchmarks/bench_calibrate_scale.py --make-data --old /tmp/old --models 2pl,3pl
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


def calibrate_cmd(data: Path, key: Path, model: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "cehrs_items", "calibrate", str(data), "--key", str(key),
            "--model", model, "--out", str(out), "--force"]  # fmt: skip


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
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--make-data", action="store_true")
    args = parser.parse_args()
    if args.make_data:
        make_data(n_files=1)
    _, key = form_and_key()
    data = DATA / "parts" / "part-00.parquet"
    envs = {"new": dict(os.environ, PYTHONPATH=str(ROOT))}
    if args.old:
        envs["old"] = dict(os.environ, PYTHONPATH=str(args.old))
    print(f"# {data.name}: 1,000,000 x 125 letters; whole-process timings", flush=True)
    print("model  version  wall_s  peak_gib", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            walls: dict[str, list[float]] = {name: [] for name in envs}
            for _ in range(args.repeats):
                for name, env in envs.items():
                    out = Path(tmp) / f"{name}-{model}.csv"
                    wrapped = [sys.executable, "-c", TIMER, *calibrate_cmd(data, key, model, out)]
                    values, peak = measure(wrapped, env=env)
                    walls[name].append(values["seconds"])
                    print(
                        f"{model:5s}  {name:7s}  {values['seconds']:6.1f}  {peak:8.2f}", flush=True
                    )
            med = {name: statistics.median(v) for name, v in walls.items()}
            if "old" in med:
                print(f"{model:5s}  new/old wall = {med['new'] / med['old']:.3f}", flush=True)
                diffs = max_diff(Path(tmp) / f"new-{model}.csv", Path(tmp) / f"old-{model}.csv")
                print(f"{model:5s}  max |new - old|: {diffs}", flush=True)


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
