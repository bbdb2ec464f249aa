"""Logistic-regression DIF on 1,000,000 examinees x 125 items, beside Mantel-Haenszel.

Both run on the same simulated 0/1 matrix (2PL, 60/40 reference/focal, three items with
uniform DIF, one with non-uniform DIF), interleaved, median of ``--repeats`` runs:

- ``logistic``: :func:`cehrs_items.analysis.dif_logistic.logistic_regression` (one
  counting pass over the matrix, then the batched Newton fit of all items x 3 models);
- ``mh``: :func:`cehrs_items.analysis.dif.mantel_haenszel` (the same counting pass, then
  the MH statistics): the floor the logistic fit adds to;
- ``fit only``: :func:`logistic_from_counts` on the counted table (what an out-of-core run
  pays after merging chunk counts).

    python benchmarks/bench_dif_logistic.py --examinees 1000000 --items 125 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from cehrs_items.analysis._tables import count_table, number_correct
from cehrs_items.analysis.dif import mantel_haenszel
from cehrs_items.analysis.dif_logistic import (
    counts_from_table,
    logistic_from_counts,
    logistic_regression,
)


def simulate(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    g = (rng.random(n) < 0.4).astype(np.int8)
    theta = rng.normal(0, 1, n).astype(np.float32) - 0.2 * g
    a = np.exp(rng.normal(0, 0.25, k)).astype(np.float32)
    b = rng.normal(0, 1, k).astype(np.float32)
    x = np.empty((n, k), dtype=np.int8)
    for start in range(0, n, 100_000):
        sl = slice(start, min(n, start + 100_000))
        shift = np.zeros((sl.stop - sl.start, k), dtype=np.float32)
        shift[:, :3] = 0.5 * g[sl, None]
        slope = np.broadcast_to(a, shift.shape).copy()
        slope[:, 3] *= np.where(g[sl] == 1, 0.5, 1.0)
        p = 1 / (1 + np.exp(-slope * (theta[sl, None] - b - shift)))
        x[sl] = rng.random(p.shape, dtype=np.float32) < p
    return x, g


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examinees", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=125)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    x, g = simulate(args.examinees, args.items, 1)
    times: dict[str, list[float]] = {"logistic": [], "mh": [], "fit only": []}
    k = args.items
    total = number_correct(x, np.ones(k, dtype=bool))
    table = count_table(x, total, n_codes=2, n_scores=k + 1, group=g, n_groups=3)
    right, tot = counts_from_table(table, np.full(k, 2))
    ids = [f"item_{j + 1}" for j in range(k)]
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        lr = logistic_regression(x, g, reference=0, focal=1)
        times["logistic"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        mantel_haenszel(x, g, reference=0, focal=1)
        times["mh"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        logistic_from_counts(right, tot, ids)
        times["fit only"].append(time.perf_counter() - t0)
    med = {name: statistics.median(v) for name, v in times.items()}
    print(f"{args.examinees} examinees x {k} items, median of {args.repeats}:")
    for name, v in med.items():
        print(f"  {name}: {v:.2f} s")
    print(f"  logistic / mh: {med['logistic'] / med['mh']:.2f}")
    print("categories:", lr["category"].value_counts(sort=True).rows())
    print("first items:", lr.head(5).select("item_id", "chi2_uniform", "chi2_nonuniform",
                                            "r2_delta", "category").rows())  # fmt: skip


if __name__ == "__main__":
    main()
