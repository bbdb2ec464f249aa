"""Benchmark: ``cehrs-items assemble`` on generated banks (the issue's speed targets).

Banks come from ``cehrs_items.simulate`` (``cehrs-items simulate bank``; cached under
``benchmarks/_data/``), falling back to the assembly tests' generator if that module is
missing. Times are wall clock of the library call ``assemble_forms`` on an already
loaded bank, median of ``--repeat`` runs; bank loading (YAML parsing and schema checks)
is timed apart, and one end-to-end ``cehrs-items assemble`` process is timed for the
10,000-item case. Not run in CI.

Scenarios (issue 5, "Must show"):

1. **4 parallel forms with anchors from a 2,000-item bank** (target: < 60 s). The base
   form is a typical blueprint-conformant form of the same bank (``--statistic none``),
   as an operational base form would be; the 4 new forms share 20 anchors with it and
   match its TIF at theta -2..2 (default: sequential, one form at a time).
2. **1 form from the 10,000-item bank** (target: < 60 s), cut target (maximin at the
   passing score's theta), and also against a base form.
3. **Growth** with bank size (1,000-10,000 items, 4 forms with anchors) and with the
   number of forms (1-8 forms, 2,000 items), for the base and the cut target.
4. **Information gap between forms**: largest TIF difference between the forms at the
   target's theta points, absolute and relative to the larger value, and the largest
   relative deviation from the target; for the cut target, the simultaneous maximin.

    python benchmarks/bench_assemble.py                 # everything (several minutes)
    python benchmarks/bench_assemble.py --quick         # scenarios 1 and 2 only
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cehrs_items.assembly import AssemblySettings, assemble_forms  # noqa: E402
from cehrs_items.bank import load_bank  # noqa: E402
from cehrs_items.blueprint import load_blueprint  # noqa: E402
from cehrs_items.forms import form_from_data  # noqa: E402

BLUEPRINT = ROOT / "item_bank" / "blueprint.yaml"


def make_bank(n_items: int, seed: int) -> Path:
    out = ROOT / "benchmarks" / "_data" / f"assemble-bank-{n_items}-{seed}"
    if (out / "items").is_dir():
        return out
    print(f"generating a {n_items}-item bank in {out.relative_to(ROOT)} ...", file=sys.stderr)
    try:
        from cehrs_items.simulate.bank import simulate_bank
    except ImportError:  # pragma: no cover - fallback when the simulate module is absent
        from cehrs_items.assembly._synthetic import (
            synthetic_item_docs,
            synthetic_stats,
            write_bank,
        )

        bp = load_blueprint(BLUEPRINT)
        docs = synthetic_item_docs(bp, n_items, seed=seed)
        write_bank(
            out, docs, synthetic_stats(docs, seed=seed), blueprint_text=BLUEPRINT.read_text()
        )
        return out
    simulate_bank(n_items, seed=seed, out=out, blueprint=BLUEPRINT)
    return out


class Banks:
    """Loaded banks by size, with their load times."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.loaded: dict[int, object] = {}
        self.load_seconds: dict[int, float] = {}
        self.paths: dict[int, Path] = {}

    def get(self, n_items: int):
        if n_items not in self.loaded:
            path = make_bank(n_items, self.seed)
            start = time.perf_counter()
            self.loaded[n_items] = load_bank(path)
            self.load_seconds[n_items] = time.perf_counter() - start
            self.paths[n_items] = path
        return self.loaded[n_items]


def base_form(bank, bp, seed: int):
    """A typical base form: blueprint constraints only, as operational base forms are."""
    result = assemble_forms(
        bank, bp, AssemblySettings(seed=seed, form_ids=("BASE",), statistic="none")
    )
    return form_from_data(result.forms[0], path="BASE.json")


def run(bank, bp, settings: AssemblySettings, base=None, repeat: int = 1):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = assemble_forms(bank, bp, settings, anchor_form=base)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def gap_figures(result) -> str:
    s = result.set_summary
    parts = []
    if s.get("tif_gap") is not None and len(result.forms) > 1:
        parts.append(f"TIF gap {s['tif_gap']:.3f} ({s['tif_gap_relative']:.2%})")
    if s.get("max_rel_deviation") is not None:
        parts.append(f"max dev from target {s['max_rel_deviation']:.2%}")
    spread = s.get("target_spread") or {}
    if result.problem.target.kind == "cut" and spread:
        name, value = next(iter(spread.items()))
        level = min(f["summary"]["info_at_cut"] for f in result.forms)
        parts.append(f"{name}: min {level:.2f}, spread {value:.3f}")
    if s.get("overlap"):
        parts.append(f"max overlap {max(s['overlap'].values())}")
    solver = result.forms[0]["solver"]
    parts.append(
        f"{solver['method']}, {len(solver['solves'])} solve(s), {solver['repairs']} repair(s); "
        f"status {solver['status']}"
    )
    return "; ".join(parts)


def line(label: str, median: float, times: list[float], result) -> None:
    spread = f" (runs {', '.join(f'{t:.1f}' for t in times)})" if len(times) > 1 else ""
    print(f"  {label:<44} median {median:6.2f} s{spread}\n      {gap_figures(result)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per timed scenario")
    parser.add_argument("--seed", type=int, default=1, help="bank seed")
    parser.add_argument("--quick", action="store_true", help="scenarios 1 and 2 only")
    args = parser.parse_args()
    bp = load_blueprint(BLUEPRINT)
    banks = Banks(args.seed)
    import scipy

    print(
        f"bench_assemble: scipy {scipy.__version__}, {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )

    print("\n1. 4 parallel forms with 20 anchors from a 2,000-item bank (target < 60 s)")
    bank = banks.get(2000)
    print(f"  bank load {banks.load_seconds[2000]:.1f} s ({len(bank)} items)")
    start = time.perf_counter()
    base = base_form(bank, bp, seed=11)
    print(f"  base form (blueprint only) {time.perf_counter() - start:.2f} s")
    m, t, r = run(bank, bp, AssemblySettings(n_forms=4, seed=7), base, args.repeat)
    line("4 forms, base TIF target, anchors 20", m, t, r)

    print("\n2. 1 form from a 10,000-item bank (target < 60 s)")
    big = banks.get(10000)
    print(f"  bank load {banks.load_seconds[10000]:.1f} s ({len(big)} items)")
    m, t, r = run(big, bp, AssemblySettings(n_forms=1, seed=7), None, args.repeat)
    line("1 form, cut target (maximin)", m, t, r)
    big_base = base_form(big, bp, seed=11)
    m, t, r = run(big, bp, AssemblySettings(n_forms=1, seed=7), big_base, args.repeat)
    line("1 form, base TIF target, anchors 20", m, t, r)
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            str(Path(sys.executable).parent / "cehrs-items"),
            "assemble",
            "--bank",
            str(banks.paths[10000]),
            "--forms",
            "1",
            "--seed",
            "7",
            "--out",
            tmp,
            "-q",
        ]
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        print(
            f"  end to end `cehrs-items assemble` (load + assemble + write): {wall:.1f} s "
            f"(exit {proc.returncode})"
        )

    if args.quick:
        return 0

    print("\n3a. growth with bank size (4 forms, 20 anchors, base target; 1 run each)")
    for n in (1000, 2000, 5000, 10000):
        bank = banks.get(n)
        base = base_form(bank, bp, seed=11)
        m, t, r = run(bank, bp, AssemblySettings(n_forms=4, seed=7), base)
        line(f"{n:>6} items (load {banks.load_seconds[n]:.1f} s)", m, t, r)

    print("\n3b. growth with the number of forms (2,000 items, 20 anchors, base target)")
    bank = banks.get(2000)
    base = base_form(bank, bp, seed=11)
    for k in (1, 2, 4, 6, 8):
        m, t, r = run(bank, bp, AssemblySettings(n_forms=k, seed=7), base)
        line(f"{k} form(s)", m, t, r)

    print("\n3c. growth with the number of forms, cut target, default method (2,000 items)")
    for k in (1, 2, 4, 6):
        m, t, r = run(bank, bp, AssemblySettings(n_forms=k, seed=7))
        line(f"{k} form(s), maximin at the cut", m, t, r)

    print("\n4. tighter settings (2,000 items, 4 forms, anchors)")
    for label, settings in (
        (
            "exposure <= 2, overlap <= 10",
            AssemblySettings(n_forms=4, seed=7, max_exposure=2, max_overlap=10),
        ),
        ("tolerance 1% (hard)", AssemblySettings(n_forms=4, seed=7, tolerance=0.01)),
        (
            "simultaneous, time limit 60 s",
            AssemblySettings(n_forms=4, seed=7, method="simultaneous"),
        ),
    ):
        try:
            m, t, r = run(bank, bp, settings, base)
            line(label, m, t, r)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
            print(f"  {label:<44} {type(exc).__name__}: {exc}")
    loads = ", ".join(f"{n}: {banks.load_seconds[n]:.1f}" for n in sorted(banks.load_seconds))
    print(f"\nbank load times (s): {loads}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
