"""Benchmark: what hostile item files cost ``validate`` (issue 12).

Builds, under ``--work`` (default ``benchmarks/_data/hostile``, git-ignored), a copy of
the shipped bank with 50 extra item files that each carry a YAML alias bomb (9 levels of
10 aliases: 10^9 values if expanded), then measures in this process, ``--repeats`` times:

- ``one-file``: :func:`cehrs_items.items.loader.load_document` of one bomb file;
- ``folder``: ``validate_paths`` of a folder holding only the 50 bombs;
- ``bank``: ``validate_paths`` of the whole bank with the bombs in it;
- ``one-in-bank``: ``validate_paths`` of one bomb file inside that bank (the bank is
  loaded as context for the cross-file rules);
- ``normal``: ``load_document`` of one ordinary item file, for comparison;

and prints the median seconds of each. Run it against another checkout with
``PYTHONPATH=<checkout> python benchmarks/bench_hostile_yaml.py`` from outside the
repository to compare versions.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BOMB = """id: {id}
version: 1
a0: &a0 [x, x, x, x, x, x, x, x, x, x]
a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
a3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
a4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
a5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
a6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
a7: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
a8: &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]
"""


def build(work: Path) -> tuple[Path, Path]:
    if work.exists():
        shutil.rmtree(work)
    bank = work / "bank"
    shutil.copytree(ROOT / "item_bank", bank)
    bombs_in_bank = bank / "items" / "9"
    bombs_alone = work / "bombs"
    for folder in (bombs_in_bank, bombs_alone):
        folder.mkdir(parents=True)
        for i in range(50):
            item_id = f"NC-9{i:03d}"
            (folder / f"{item_id}.yaml").write_text(BOMB.format(id=item_id))
    return bank, bombs_alone


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "_data" / "hostile")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import cehrs_items
    from cehrs_items.items.loader import load_document
    from cehrs_items.validate import validate_paths

    bank, bombs = build(args.work)
    one = bank / "items" / "9" / "NC-9000.yaml"
    normal = next(p for p in sorted((bank / "items").rglob("*.yaml")) if "/9/" not in str(p))
    print(f"cehrs_items from {Path(cehrs_items.__file__).parent}")
    cases = {
        "one-file": lambda: load_document(one),
        "normal": lambda: load_document(normal),
        "folder": lambda: validate_paths([bombs]),
        "bank": lambda: validate_paths([bank]),
        "one-in-bank": lambda: validate_paths([one]),
    }
    for name, fn in cases.items():
        print(f"{name:12s} {median_time(fn, args.repeats):8.3f} s")
    doc = load_document(one)
    for f in doc.findings:
        print(f"  {f.rule} {f.line}:{f.col} {f.message}")


if __name__ == "__main__":
    main()
