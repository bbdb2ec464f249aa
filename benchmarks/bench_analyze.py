"""Benchmark: ``analyze`` (all tables, options, DIF, decisions) against a bare NumPy floor
and R psych.

Data: a synthetic 125-item form (100 scored + 25 pretest, letters A-D, 1% omits, a 70/30
reference/focal group column with DIF on two items) simulated with ``cehrs-items simulate
bank`` and ``simulate responses`` (falling back to a NumPy generator if those commands
are unavailable), written once to ``benchmarks/_data/`` (git-ignored) as Parquet, plus a
form file and a key.

Per size (default 10,000, 100,000 and 1,000,000 examinees) it runs, in fresh processes
and alternating, ``--repeats`` times each:

- ``floor``: ``benchmarks/floor_numpy.py`` (read, score, p-value, item-rest r), with
  both of its readers (Polars strings; Arrow dictionaries, the tougher one);
- ``analyze``: ``cehrs_items.analysis.analyze`` with the form, ``--cut`` and DIF (with
  ``--purify`` also the two-stage purified matching), plus writing every table (CSV),
  i.e. what ``cehrs-items analyze`` does;

and reports the median seconds after imports, the ratios analyze / floor and each
process's peak resident memory. With ``--r`` it also runs ``benchmarks/r_psych.R``
(``psych::alpha`` + ``score.multiple.choice``, reading a CSV copy) at ``--r-sizes``.

Run one heavy benchmark at a time on a shared machine:

    python benchmarks/bench_analyze.py
    python benchmarks/bench_analyze.py --sizes 10000 100000 --repeats 5
    python benchmarks/bench_analyze.py --sizes 1000000 --r --r-sizes 100000 1000000
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

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "_data" / "analyze"
CUT = 70
SEED = 20240617

RUNNER = """
import sys, time
import pyarrow.compute, pyarrow.parquet, scipy.integrate, scipy.stats  # imports are not work
from cehrs_items.analysis import analyze
from cehrs_items.analysis.output import write_outputs
start = time.perf_counter()
result = analyze(sys.argv[1], form=sys.argv[2], raw_cut={cut}, group="group", reference="R",
                 focal="F", dif_purify={purify})
write_outputs(result, sys.argv[3], fmt="csv", force=True)
print(f"analyze_seconds {{time.perf_counter() - start:.3f}}")
print(f"alpha {{result.test_stats['alpha']:.6f}}")
"""


def _run(cmd: list[str]) -> tuple[dict[str, float], float]:
    """Run a command; return the ``name value`` lines it prints and its peak RSS (GiB)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    values = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            with contextlib.suppress(ValueError):
                values[parts[0]] = float(parts[1])
    return values, usage.ru_maxrss / 2**20


def _simulate_with_cli(n: int, path: Path) -> Path:
    bank = DATA / "bank"
    if not bank.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cehrs_items",
                "simulate",
                "bank",
                "--items",
                "125",
                "--seed",
                "1",
                "--out",
                str(bank),
                "--blueprint",
                str(ROOT / "item_bank" / "blueprint.yaml"),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    items_csv = path.with_name(path.stem + "_items.csv")
    first = sorted(p.stem for p in (bank / "items").rglob("*.yaml"))[:2]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cehrs_items",
            "simulate",
            "responses",
            "--form",
            str(bank),
            "--bank",
            str(bank),
            "--examinees",
            str(n),
            "--seed",
            str(SEED),
            "--omit-rate",
            "0.01",
            "--groups",
            "R=0.7,F=0.3",
            "--group-column",
            "group",
            *[a for item in first for a in ("--dif", f"{item}=0.8")],
            "--out",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return items_csv


def _simulate_with_numpy(n: int, path: Path) -> Path:
    rng = np.random.default_rng(SEED)
    k = 125
    ids = [f"CO-{j + 1:04d}" for j in range(k)]
    a, b, c = rng.lognormal(0, 0.3, k), rng.normal(-0.6, 1, k), rng.beta(5, 17, k)
    keys = rng.integers(0, 4, k)
    focal = rng.random(n) < 0.3
    theta = rng.standard_normal(n)
    columns: dict[str, object] = {"examinee_id": [f"E{i:07d}" for i in range(n)]}
    columns["group"] = np.where(focal, "F", "R").tolist()
    for j in range(k):
        shift = 0.8 * focal if j < 2 else 0.0
        p = c[j] + (1 - c[j]) / (1 + np.exp(-a[j] * (theta - b[j] - shift)))
        code = np.where(rng.random(n) < p, keys[j], (keys[j] + 1 + rng.integers(0, 3, n)) % 4)
        code[rng.random(n) < 0.01] = -1
        columns[ids[j]] = pl.Series(code.astype(np.int8)).replace_strict(
            {0: "A", 1: "B", 2: "C", 3: "D"}, default=None, return_dtype=pl.String
        )
    pl.DataFrame(columns).write_parquet(path)
    items_csv = path.with_name(path.stem + "_items.csv")
    pl.DataFrame(
        {
            "item_id": ids,
            "role": ["scored"] * 100 + ["pretest"] * 25,
            "key": list(np.array(list("ABCD"))[keys]),
        }
    ).write_csv(items_csv)
    return items_csv


def prepare(n: int) -> tuple[Path, Path, Path]:
    """Responses, form and key for ``n`` examinees (made once, then reused)."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"responses_{n}.parquet"
    items_csv = path.with_name(path.stem + "_items.csv")
    if not path.exists():
        print(f"simulating {n:,} examinees ...", file=sys.stderr, flush=True)
        try:
            items_csv = _simulate_with_cli(n, path)
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"simulate command unavailable ({exc}); using NumPy", file=sys.stderr)
            items_csv = _simulate_with_numpy(n, path)
    items = pl.read_csv(items_csv)
    if "position" in items.columns:
        items = items.sort("position")
    roles = items["role"].to_list()
    if roles.count("scored") > 100:  # keep the CEHRS shape: 100 scored, 25 pretest
        roles = ["scored"] * 100 + ["pretest"] * (len(roles) - 100)
    prefix_domain = {"NC": 1, "CO": 2, "RC": 3, "RG": 4, "RP": 5}
    positions = [
        {
            "position": i + 1,
            "item_id": item,
            "item_version": 1,
            "role": role,
            "domain": prefix_domain.get(item[:2], 1),
            "key": key,
        }
        for i, (item, role, key) in enumerate(
            zip(items["item_id"], roles, items["key"], strict=True)
        )
    ]
    form = DATA / f"form_{n}.json"
    form.write_text(
        json.dumps({"form_id": "BENCH", "blueprint_id": "cehrs", "positions": positions})
    )
    key = DATA / f"key_{n}.csv"
    items.select("item_id", "key").write_csv(key)
    return path, form, key


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--r", action="store_true", help="also time R psych (needs Rscript)")
    parser.add_argument("--r-sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--purify", action="store_true", help="two-stage purified DIF too")
    args = parser.parse_args()
    runner = RUNNER.format(cut=CUT, purify=args.purify)
    rows = []
    for n in args.sizes:
        path, form, key = prepare(n)
        floor_t: dict[str, list[float]] = {"polars": [], "arrow": []}
        analyze_t, floor_mem, analyze_mem = [], [], []
        floor_script = str(ROOT / "benchmarks" / "floor_numpy.py")
        with tempfile.TemporaryDirectory() as out:
            for _ in range(args.repeats):
                for reader in floor_t:
                    values, mem = _run([sys.executable, floor_script, str(path), str(key), reader])
                    floor_t[reader].append(values["floor_seconds"])
                    floor_mem.append(mem)
                values, mem = _run([sys.executable, "-c", runner, str(path), str(form), out])
                analyze_t.append(values["analyze_seconds"])
                analyze_mem.append(mem)
        analyze_s = statistics.median(analyze_t)
        row = {
            "examinees": n,
            "floor_polars_s": statistics.median(floor_t["polars"]),
            "floor_arrow_s": statistics.median(floor_t["arrow"]),
            "analyze_s": analyze_s,
            "ratio_polars_floor": analyze_s / statistics.median(floor_t["polars"]),
            "ratio_arrow_floor": analyze_s / statistics.median(floor_t["arrow"]),
            "floor_peak_gib": max(floor_mem),
            "analyze_peak_gib": max(analyze_mem),
            "runs": args.repeats,
            "purify": args.purify,
        }
        if args.r and n in args.r_sizes:
            if shutil.which("Rscript") is None:
                print("Rscript not found; skipping R", file=sys.stderr)
            else:
                csv = path.with_suffix(".csv")
                if not csv.exists():
                    pl.read_parquet(path).write_csv(csv)
                values, mem = _run(
                    ["Rscript", str(ROOT / "benchmarks" / "r_psych.R"), str(csv), str(key)]
                )
                row["r_total_s"] = values["r_total_seconds"]
                row["r_compute_s"] = (
                    values["r_score_multiple_choice_seconds"] + values["r_alpha_seconds"]
                )
                row["r_peak_gib"] = mem
                row["r_over_analyze"] = values["r_total_seconds"] / row["analyze_s"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(pl.DataFrame(rows))


if __name__ == "__main__":
    main()
