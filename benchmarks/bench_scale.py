"""Benchmark: ``analyze`` out of core (1M and 10M x 125) and on a Dask LocalCluster.

Data: ten 1,000,000-row Parquet files made by ``cehrs-items simulate responses`` (125
items: 100 scored + 25 pretest, 1% omits, groups R/F 70/30, DIF on two items, a
different ``--id-prefix`` per file) in ``benchmarks/_data/scale/parts/`` (git-ignored;
``benchmarks/_data/scale/gen.sh`` below makes them, about a minute per file). The form
and key come from the first file's ``_items.csv``.

Each measurement runs in a fresh process (wall time after imports, peak RSS of the
process from ``wait4``), interleaved and repeated:

- ``floor``: ``benchmarks/floor_numpy.py`` on one 1M file (read, score, p, item-rest r);
- ``old``: ``analyze`` of another checkout (``--old PATH``, e.g. the commit before the
  out-of-core change, unpacked with ``git archive``) on the same 1M file;
- ``new``: ``analyze`` of this checkout on the same 1M file;
- ``new_10m``: ``analyze`` on the directory of ten files (local engine);
- ``dask_10m``: the same with ``engine="dask"`` on a 2-worker LocalCluster (one thread
  per worker process): wall, each worker's peak RSS, the sum of task compute times from
  the scheduler's task stream, and whether every table equals the local engine's.

Every analyze run does the full job: options, KR-20, decisions at raw cut 70, MH DIF.

    python benchmarks/bench_scale.py --old /tmp/old-checkout --repeats 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "_data" / "scale"

RUNNER = """
import json, sys, time
import pyarrow.parquet, scipy.integrate, scipy.stats  # imports are not work
from cehrs_items.analysis import analyze
engine = sys.argv[3]
kwargs = {}
if engine != "local":
    kwargs["engine"] = engine
start = time.perf_counter()
result = analyze(sys.argv[1], form=sys.argv[2], raw_cut=70, group="group", reference="R",
                 focal="F", **kwargs)
print(f"seconds {time.perf_counter() - start:.3f}")
print(f"alpha {result.test_stats['alpha']:.12f}")
print(f"n {result.test_stats['n_examinees']}")
"""

DASK_RUNNER = """
import sys, time
import numpy as np
import pyarrow.parquet, scipy.integrate, scipy.stats
from distributed import get_task_stream
from cehrs_items.analysis import analyze
from cehrs_items.engine import DaskEngine
start = time.perf_counter()
engine = DaskEngine(n_workers=2, threads_per_worker=1, processes=True)
started = time.perf_counter() - start
with get_task_stream(engine.client) as ts:
    t0 = time.perf_counter()
    result = analyze(sys.argv[1], form=sys.argv[2], raw_cut=70, group="group", reference="R",
                     focal="F", engine=engine)
    wall = time.perf_counter() - t0
compute = sum(s["stop"] - s["start"] for t in ts.data for s in t["startstops"]
              if s["action"] == "compute")
transfer = sum(s["stop"] - s["start"] for t in ts.data for s in t["startstops"]
               if s["action"] == "transfer")
peaks = engine.worker_peak_rss()
t1 = time.perf_counter()
local = analyze(sys.argv[1], form=sys.argv[2], raw_cut=70, group="group", reference="R",
                focal="F")
local_s = time.perf_counter() - t1
same = bool(np.array_equal(result.counts.table, local.counts.table))
for name in ("item_stats", "option_stats", "dif"):
    a, b = getattr(result, name), getattr(local, name)
    for col in a.columns:
        if a[col].dtype.is_float():
            same &= bool(np.allclose(a[col].to_numpy(), b[col].to_numpy(), atol=1e-10,
                                     rtol=0, equal_nan=True))
        else:
            same &= a[col].to_list() == b[col].to_list()
same &= result.test_stats == local.test_stats
engine.close()
print(f"cluster_start_seconds {started:.3f}")
print(f"seconds {wall:.3f}")
print(f"task_compute_seconds {compute:.3f}")
print(f"task_transfer_seconds {transfer:.3f}")
print(f"tasks {len(ts.data)}")
print(f"worker_peak_gib_max {max(peaks.values()) / 2**30:.3f}")
print(f"worker_peak_gib_min {min(peaks.values()) / 2**30:.3f}")
print(f"local_seconds_same_process {local_s:.3f}")
print(f"equal_to_local {int(same)}")
"""


def run(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run a command; its ``name value`` lines."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = proc.communicate()
    values: dict[str, float] = {}
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{err[-2000:]}")
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            with contextlib.suppress(ValueError):
                values[parts[0]] = float(parts[1])
    return values


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[dict[str, float], float]:
    """Run ``cmd`` under a small wrapper that reports the peak RSS of its largest process
    (the command, or a process it started and waited for)."""
    wrapper = (
        "import os, subprocess, sys, resource\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stdout.write(p.stdout); sys.stderr.write(p.stderr)\n"
        "print(f'peak_gib {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20:.3f}')\n"
        "sys.exit(p.returncode)\n"
    )
    values = run([sys.executable, "-c", wrapper, *cmd], env=env)
    return values, values.pop("peak_gib", float("nan"))


def form_and_key() -> tuple[Path, Path]:
    import polars as pl

    items = pl.read_csv(DATA / "tmp" / "part-00_items.csv").sort("position")
    prefix_domain = {"NC": 1, "CO": 2, "RC": 3, "RG": 4, "RP": 5}
    positions = [
        {
            "position": int(r["position"]),
            "item_id": r["item_id"],
            "item_version": 1,
            "role": r["role"],
            "domain": prefix_domain.get(r["item_id"][:2], 1),
            "key": r["key"],
        }
        for r in items.iter_rows(named=True)
    ]
    form = DATA / "form.json"
    form.write_text(
        json.dumps({"form_id": "BENCH", "blueprint_id": "cehrs", "positions": positions})
    )
    key = DATA / "key.csv"
    items.select("item_id", "key").write_csv(key)
    return form, key


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--old", type=Path, help="another checkout to time as 'old'")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-10m", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    form, key = form_and_key()
    one = DATA / "parts" / "part-00.parquet"
    ten = DATA / "parts"
    env_new = dict(os.environ, PYTHONPATH=str(ROOT))
    env_old = dict(os.environ, PYTHONPATH=str(args.old)) if args.old else None
    times: dict[str, list[float]] = {"floor": [], "old": [], "new": []}
    peaks: dict[str, list[float]] = {"floor": [], "old": [], "new": []}
    floor = str(ROOT / "benchmarks" / "floor_numpy.py")
    for _ in range(args.repeats):
        v, m = measure([sys.executable, floor, str(one), str(key)], env_new)
        times["floor"].append(v["floor_seconds"])
        peaks["floor"].append(m)
        if env_old is not None:
            v, m = measure([sys.executable, "-c", RUNNER, str(one), str(form), "local"], env_old)
            times["old"].append(v["seconds"])
            peaks["old"].append(m)
            alpha_old = v["alpha"]
        v, m = measure([sys.executable, "-c", RUNNER, str(one), str(form), "local"], env_new)
        times["new"].append(v["seconds"])
        peaks["new"].append(m)
        alpha_new = v["alpha"]
        print(json.dumps({k: t[-1] for k, t in times.items() if t}), flush=True)
    out: dict[str, object] = {
        name: {"median_s": statistics.median(t), "runs": t, "peak_gib": max(peaks[name])}
        for name, t in times.items()
        if t
    }
    out["ratio_new_floor_1m"] = out["new"]["median_s"] / out["floor"]["median_s"]
    if "old" in out:
        out["ratio_new_old_1m"] = out["new"]["median_s"] / out["old"]["median_s"]
        out["alpha_equal_old_new"] = alpha_old == alpha_new
    if not args.skip_10m:
        v, m = measure([sys.executable, "-c", RUNNER, str(ten), str(form), "local"], env_new)
        out["new_10m"] = {"seconds": v["seconds"], "peak_gib": m, "n": v["n"]}
        out["ratio_10m_1m"] = v["seconds"] / out["new"]["median_s"]
    if not args.skip_dask:
        v, m = measure([sys.executable, "-c", DASK_RUNNER, str(ten), str(form)], env_new)
        v["client_process_peak_gib"] = m
        out["dask_10m"] = v
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        main()
