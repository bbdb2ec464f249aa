"""Benchmark: ``simulate bank`` (10,000 items) and ``simulate responses`` (1,000,000 x 125,
Parquet), the speed targets of issue 4.

Each case runs ``--repeats`` times, each in a fresh process that imports the package,
then times the library call the command makes (``simulate_bank`` /
``simulate_responses``, writing every output file). Reported: the median and range of
the call's seconds, the median CPU time of the call (user + system, all threads: a figure
other processes on a shared machine disturb less than wall time), the median
whole-process wall time (imports and interpreter start included, i.e. what a user of the
command waits) and the largest peak resident memory.

The response case simulates the 125 items (100 operational as the scored role, 25
pretest) of a synthetic bank made once with ``simulate bank --items 125``, with 1%
omits, a 70/30 group column and DIF on two items. Outputs go to
``benchmarks/_out/simulate/`` (git-ignored) and are deleted afterwards.

Run one heavy benchmark at a time on a shared machine:

    python benchmarks/bench_simulate.py
    python benchmarks/bench_simulate.py --repeats 5 --examinees 1000000 --items 10000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "_out" / "simulate"
BLUEPRINT = ROOT / "item_bank" / "blueprint.yaml"

BANK_CASE = """
import json, resource, sys, time
from pathlib import Path
from cehrs_items.simulate.bank import simulate_bank
out = Path(sys.argv[1]); n = int(sys.argv[2]); blueprint = sys.argv[3]
r0 = resource.getrusage(resource.RUSAGE_SELF)
t = time.perf_counter()
result = simulate_bank(n, seed=1, out=out, blueprint=blueprint)
seconds = time.perf_counter() - t
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mib": r1.ru_maxrss / 1024,
                  "files": result.n_files}))
"""

RESPONSES_CASE = """
import json, resource, sys, time
from cehrs_items.simulate.responses import simulate_responses
bank, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
r0 = resource.getrusage(resource.RUSAGE_SELF)
t = time.perf_counter()
result = simulate_responses(
    bank, out=out, examinees=n, seed=2, omit_rate=0.01,
    groups=[("ref", 0.7), ("focal", 0.3)], dif={"CO-0003": 0.8, "NC-0005": -0.6},
    force=True,
)
seconds = time.perf_counter() - t
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mib": r1.ru_maxrss / 1024,
                  "rows": result.data.responses.height,
                  "columns": result.data.responses.width}))
"""


def run_case(code: str, *args: str) -> dict:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark case failed:\n{proc.stderr}")
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    record["wall"] = wall
    return record


def report(name: str, runs: list[dict], target: float) -> None:
    secs = [r["seconds"] for r in runs]
    walls = [r["wall"] for r in runs]
    median = statistics.median(secs)
    print(
        f"{name}: median {median:.2f} s (min {min(secs):.2f}, max {max(secs):.2f}; "
        f"{len(runs)} runs), CPU time median {statistics.median(r['cpu'] for r in runs):.2f} s, "
        f"whole process median {statistics.median(walls):.2f} s, "
        f"peak RSS {max(r['rss_mib'] for r in runs):,.0f} MiB; target {target:.0f} s "
        f"-> {'met' if statistics.median(walls) < target else 'MISSED'} "
        f"(median / target = {statistics.median(walls) / target:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--items", type=int, default=10_000, help="items of the bank case")
    parser.add_argument("--examinees", type=int, default=1_000_000)
    parser.add_argument("--bank-target", type=float, default=10.0, help="seconds ('in seconds')")
    parser.add_argument("--responses-target", type=float, default=60.0)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(
        f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f} "
        "(other processes slow every figure below)"
    )
    try:
        bank_runs = []
        for _ in range(args.repeats):
            shutil.rmtree(OUT / "bank", ignore_errors=True)  # not timed
            bank_runs.append(
                run_case(BANK_CASE, str(OUT / "bank"), str(args.items), str(BLUEPRINT))
            )
        report(f"simulate bank {args.items:,} items", bank_runs, args.bank_target)
        form_bank = OUT / "bank125"
        run_case(BANK_CASE, str(form_bank), "125", str(BLUEPRINT))
        response_runs = []
        for _ in range(args.repeats):
            response_runs.append(
                run_case(
                    RESPONSES_CASE,
                    str(form_bank),
                    str(OUT / "responses.parquet"),
                    str(args.examinees),
                )
            )
        shape = response_runs[0]
        size = (OUT / "responses.parquet").stat().st_size / 2**20
        report(
            f"simulate responses {shape['rows']:,} x {shape['columns'] - 2} items "
            f"(Parquet, {size:,.0f} MiB)",
            response_runs,
            args.responses_target,
        )
        print(f"load average at end {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    main()
