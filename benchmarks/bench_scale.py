"""Benchmark: ``analyze`` out of core (1M and 10M x 125) and on a Dask LocalCluster.

Data: ten 1,000,000-row Parquet files made by ``cehrs-items simulate responses`` (125
items: 100 scored + 25 pretest, 1% omits, groups R/F 70/30, DIF on two items, a
different ``--id-prefix`` per file) in ``benchmarks/_data/scale/parts/`` (git-ignored;
``--make-data`` simulates them first, 10-60 s per file). The form and key come from the
first file's ``_items.csv``.

Each measurement runs in a fresh process (wall time after imports, CPU time of the
process over the same span, peak RSS), interleaved and repeated; the load average is
recorded before and after, since the machine may be shared:

- ``floor``: ``benchmarks/floor_numpy.py`` on one 1M file (read, score, p, item-rest r);
- ``old``: ``analyze`` of another checkout (``--old PATH``, e.g. the commit before the
  out-of-core change, unpacked with ``git archive``) on the same 1M file;
- ``new``: ``analyze`` of this checkout on the same 1M file; with ``--old``, its tables
  and count arrays are compared with the old checkout's (``identical_old_new``: counts
  bit-identical, every float within 1e-12);
- ``new_10m``: ``analyze`` on the directory of ten files (local engine);
- ``dask_10m``: the same with ``engine="dask"`` on a 2-worker LocalCluster (one thread
  per worker process): wall, each worker's peak RSS, the sum of task compute times from
  the scheduler's task stream, and whether every table equals the local engine's.

Every analyze run does the full job: options, KR-20, decisions at raw cut 70, MH and
logistic-regression DIF.

    python benchmarks/bench_scale.py --make-data
    python benchmarks/bench_scale.py --old /tmp/old-checkout --repeats 5
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "_data" / "scale"

RUNNER = """
import json, sys, time
import pyarrow.compute, pyarrow.parquet, scipy.integrate, scipy.stats  # imports are not work
import numpy as np
from cehrs_items.analysis import analyze
engine = sys.argv[3]
kwargs = {}
if engine != "local":
    kwargs["engine"] = engine
start, cpu = time.perf_counter(), time.process_time()
result = analyze(sys.argv[1], form=sys.argv[2], raw_cut=70, group="group", reference="R",
                 focal="F", dif_methods=("mh", "logistic"), **kwargs)
print(f"seconds {time.perf_counter() - start:.3f}")
print(f"cpu_seconds {time.process_time() - cpu:.3f}")
print(f"alpha {result.test_stats['alpha']:.12f}")
print(f"n {result.test_stats['n_examinees']}")
if len(sys.argv) > 4:  # keep the results for comparison
    out = sys.argv[4]
    np.save(out + "/table.npy", result.counts.table)
    for name in ("item_stats", "option_stats", "dif", "dif_logistic"):
        getattr(result, name).write_parquet(f"{out}/{name}.parquet")
    with open(out + "/test_stats.json", "w") as fh:
        json.dump(result.test_stats, fh, sort_keys=True)
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
                     focal="F", dif_methods=("mh", "logistic"), engine=engine)
    wall = time.perf_counter() - t0
compute = sum(s["stop"] - s["start"] for t in ts.data for s in t["startstops"]
              if s["action"] == "compute")
transfer = sum(s["stop"] - s["start"] for t in ts.data for s in t["startstops"]
               if s["action"] == "transfer")
peaks = engine.worker_peak_rss()
t1 = time.perf_counter()
local = analyze(sys.argv[1], form=sys.argv[2], raw_cut=70, group="group", reference="R",
                focal="F", dif_methods=("mh", "logistic"))
local_s = time.perf_counter() - t1
same = bool(np.array_equal(result.counts.table, local.counts.table))
for name in ("item_stats", "option_stats", "dif", "dif_logistic"):
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
    """Run a command (in the temporary folder); its ``name value`` lines."""
    # run outside any checkout: ``python -c`` puts the working folder first on sys.path,
    # ahead of PYTHONPATH, which would import this checkout's package as "old" too
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
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


def same_results(a: Path, b: Path, tol: float = 1e-12) -> dict[str, object]:
    """Counts bit-identical and every table within ``tol`` (two RUNNER output folders)."""
    import numpy as np
    import polars as pl

    out: dict[str, object] = {
        "counts_bit_identical": bool(
            np.array_equal(np.load(a / "table.npy"), np.load(b / "table.npy"))
        )
    }
    worst = 0.0
    same = True
    for name in ("item_stats", "option_stats", "dif", "dif_logistic"):
        x, y = pl.read_parquet(a / f"{name}.parquet"), pl.read_parquet(b / f"{name}.parquet")
        same &= x.columns == y.columns and x.height == y.height
        for col in x.columns:
            if x[col].dtype.is_float():
                u, v = x[col].to_numpy(), y[col].to_numpy()
                same &= bool(np.array_equal(np.isnan(u), np.isnan(v)))
                both = ~np.isnan(u) & ~np.isnan(v)
                if both.any():
                    worst = max(worst, float(np.abs(u[both] - v[both]).max()))
            else:
                same &= x[col].to_list() == y[col].to_list()
    ta = json.loads((a / "test_stats.json").read_text())
    tb = json.loads((b / "test_stats.json").read_text())
    out["test_stats_equal"] = ta == tb
    out["tables_max_abs_diff"] = worst
    out["identical_old_new"] = bool(same and worst <= tol and out["counts_bit_identical"])
    return out


def make_data(n_files: int = 10, rows: int = 1_000_000) -> None:
    """Simulate the bank and the ``n_files`` response files (skips files already made)."""
    bank = DATA / "bank"
    tmp, parts = DATA / "tmp", DATA / "parts"
    tmp.mkdir(parents=True, exist_ok=True)
    parts.mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-m", "cehrs_items"]
    if not bank.exists():
        subprocess.run(
            [*cli, "simulate", "bank", "--items", "125", "--seed", "1", "--out", str(bank),
             "--blueprint", str(ROOT / "item_bank" / "blueprint.yaml")],
            check=True, capture_output=True,
        )  # fmt: skip
    dif = sorted(p.stem for p in (bank / "items").rglob("*.yaml"))[:2]
    for i in range(n_files):
        name = f"part-{i:02d}.parquet"
        if (parts / name).exists():
            continue
        subprocess.run(
            [*cli, "simulate", "responses", "--form", str(bank), "--bank", str(bank),
             "--examinees", str(rows), "--seed", str(100 + i), "--omit-rate", "0.01",
             "--groups", "R=0.7,F=0.3", "--group-column", "group",
             *[a for item in dif for a in ("--dif", f"{item}=0.8")],
             "--id-prefix", f"P{i:02d}-", "--out", str(tmp / name), "--force"],
            check=True, capture_output=True,
        )  # fmt: skip
        (tmp / name).rename(parts / name)


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
    parser.add_argument("--make-data", action="store_true", help="simulate the data first")
    args = parser.parse_args()
    if args.make_data:
        make_data()
    form, key = form_and_key()
    one = DATA / "parts" / "part-00.parquet"
    ten = DATA / "parts"
    env_new = dict(os.environ, PYTHONPATH=str(ROOT))
    env_old = dict(os.environ, PYTHONPATH=str(args.old)) if args.old else None
    times: dict[str, list[float]] = {"floor": [], "old": [], "new": []}
    cpus: dict[str, list[float]] = {"floor": [], "old": [], "new": []}
    peaks: dict[str, list[float]] = {"floor": [], "old": [], "new": []}
    floor = str(ROOT / "benchmarks" / "floor_numpy.py")
    keep = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    (keep / "old").mkdir()
    (keep / "new").mkdir()
    load_before = os.getloadavg()
    for r in range(args.repeats):
        v, m = measure([sys.executable, floor, str(one), str(key)], env_new)
        times["floor"].append(v["floor_seconds"])
        cpus["floor"].append(v["cpu_seconds"])
        peaks["floor"].append(m)
        if env_old is not None:
            extra = [str(keep / "old")] if r == 0 else []
            cmd = [sys.executable, "-c", RUNNER, str(one), str(form), "local", *extra]
            v, m = measure(cmd, env_old)
            times["old"].append(v["seconds"])
            cpus["old"].append(v["cpu_seconds"])
            peaks["old"].append(m)
        extra = [str(keep / "new")] if r == 0 else []
        cmd = [sys.executable, "-c", RUNNER, str(one), str(form), "local", *extra]
        v, m = measure(cmd, env_new)
        times["new"].append(v["seconds"])
        cpus["new"].append(v["cpu_seconds"])
        peaks["new"].append(m)
        print(json.dumps({k: t[-1] for k, t in times.items() if t}), flush=True)
    out: dict[str, object] = {
        name: {
            "median_s": statistics.median(t),
            "runs": t,
            "median_cpu_s": statistics.median(cpus[name]),
            "peak_gib": max(peaks[name]),
        }
        for name, t in times.items()
        if t
    }
    out["load_average_before_after"] = [load_before, os.getloadavg()]
    out["ratio_new_floor_1m"] = out["new"]["median_s"] / out["floor"]["median_s"]
    out["ratio_new_floor_1m_cpu"] = out["new"]["median_cpu_s"] / out["floor"]["median_cpu_s"]
    if "old" in out:
        out["ratio_new_old_1m"] = out["new"]["median_s"] / out["old"]["median_s"]
        out.update(same_results(keep / "old", keep / "new"))
    if not args.skip_10m:
        v, m = measure([sys.executable, "-c", RUNNER, str(ten), str(form), "local"], env_new)
        out["new_10m"] = {"seconds": v["seconds"], "peak_gib": m, "n": v["n"]}
        out["new_10m"]["cpu_seconds"] = v["cpu_seconds"]
        out["ratio_10m_1m"] = v["seconds"] / out["new"]["median_s"]
        out["load_average_after_10m"] = os.getloadavg()
    if not args.skip_dask:
        v, m = measure([sys.executable, "-c", DASK_RUNNER, str(ten), str(form)], env_new)
        v["client_process_peak_gib"] = m
        out["dask_10m"] = v
    print(json.dumps(out, indent=1))
    shutil.rmtree(keep, ignore_errors=True)


if __name__ == "__main__":
    main()
