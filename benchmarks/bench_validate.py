"""Benchmark: ``cehrs-items validate`` against check-jsonschema on a 10,000-item bank.

Generates a synthetic bank with ``cehrs_items.simulate`` (cached under
``benchmarks/_data/``), then times, as separate processes, each ``--repeat`` times:

- ``cehrs-items validate <bank> -q`` — every layer (parse, schema, bank rules across
  files, near-duplicate stems, statistics table, item-writing lint);
- ``check-jsonschema --schemafile schemas/item.schema.json <item files>`` — the schema
  layer alone, as a CI would run it.

Prints the medians (wall clock and CPU time of the child process), their ratio, and an
in-process breakdown of validate's layers. The CPU figure is the fairer one on a busy
machine. Not run in CI.

    python benchmarks/bench_validate.py --items 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = VENV_BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def make_bank(n_items: int, seed: int) -> Path:
    from cehrs_items.simulate.bank import simulate_bank

    out = ROOT / "benchmarks" / "_data" / f"validate-bank-{n_items}-{seed}"
    if not (out / "items").is_dir():
        print(f"generating a {n_items}-item bank in {out.relative_to(ROOT)} ...", file=sys.stderr)
        simulate_bank(n_items, seed=seed, out=out, blueprint=ROOT / "item_bank" / "blueprint.yaml")
    return out


def timed(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, child CPU seconds, exit code) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({proc.returncode}): {proc.stderr[-400:]!r}")
    return wall, cpu, proc.returncode


def layers(bank: Path) -> dict[str, float]:
    """Seconds per layer, measured in this process on the same bank."""
    from cehrs_items.items.loader import load_document
    from cehrs_items.items.model import Item
    from cehrs_items.validate import _bank_files, validate_paths
    from cehrs_items.validate.bank_rules import ItemFile, check_bank, check_item_stats
    from cehrs_items.validate.lint import lint_item
    from cehrs_items.validate.schema import check_schema

    out: dict[str, float] = {}
    files = _bank_files(bank)
    t0 = time.perf_counter()
    docs = [load_document(f) for f in files]
    t1 = time.perf_counter()
    entries = []
    for f, doc in zip(files, docs, strict=True):
        problems = check_schema(doc)
        item = Item.from_data(doc.data, path=str(f)) if not problems else None
        entries.append(ItemFile(str(f), doc, abspath=f, item=item))
    t2 = time.perf_counter()
    check_bank(entries)
    t3 = time.perf_counter()
    for entry in entries:
        lint_item(entry)
    t4 = time.perf_counter()
    stats = bank / "stats" / "item_stats.csv"
    if stats.exists():
        check_item_stats(stats, items={e.item.id: e.item for e in entries if e.item})
    t5 = time.perf_counter()
    validate_paths([bank])
    t6 = time.perf_counter()
    out["parse (YAML, positions)"] = t1 - t0
    out["schema (contract)"] = t2 - t1
    out["bank rules (incl. near-duplicates)"] = t3 - t2
    out["item-writing lint"] = t4 - t3
    out["statistics table"] = t5 - t4
    out["validate_paths, all layers"] = t6 - t5
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    bank = make_bank(args.items, args.seed)
    item_files = sorted(str(p.relative_to(ROOT)) for p in (bank / "items").rglob("*.yaml"))
    rel_bank = str(bank.relative_to(ROOT))
    ours = [_tool("cehrs-items"), "validate", rel_bank, "-q"]
    theirs = [_tool("check-jsonschema"), "--schemafile", "schemas/item.schema.json", *item_files]

    runs: dict[str, list[tuple[float, float, int]]] = {
        "cehrs-items validate": [],
        "check-jsonschema": [],
    }
    for _ in range(args.repeat):  # alternate, so both see the same machine load
        runs["cehrs-items validate"].append(timed(ours))
        runs["check-jsonschema"].append(timed(theirs))

    print(f"bank: {rel_bank} ({len(item_files)} item files; load average {os.getloadavg()[0]:.1f})")
    medians = {}
    for name, results in runs.items():
        wall = statistics.median(r[0] for r in results)
        cpu = statistics.median(r[1] for r in results)
        medians[name] = (wall, cpu)
        codes = sorted({r[2] for r in results})
        print(f"{name:22s} median wall {wall:7.2f} s   median CPU {cpu:7.2f} s   exit {codes}")
    (w_ours, c_ours), (w_theirs, c_theirs) = medians.values()
    print(
        f"ratio check-jsonschema / cehrs-items validate: wall {w_theirs / w_ours:.2f}x, "
        f"CPU {c_theirs / c_ours:.2f}x"
    )
    print("in-process layers of cehrs-items validate:")
    for name, seconds in layers(bank).items():
        print(f"  {name:38s} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
