"""The speed floor for ``analyze``: read, score, p-values and item-rest r, nothing else.

A deliberately bare but efficient implementation: read the item columns of a Parquet
response file with Polars, compare each column with its key letter (omitted = wrong),
take the 0/1 matrix to NumPy, and compute p-values and corrected item-total (item-rest)
correlations from X'X-free moments: cov(x_j, X) from one matrix-vector product.
No validation, options, reliability, flags, DIF or output files. ``analyze`` is
measured against this (target: within 5x).

Usage: python benchmarks/floor_numpy.py RESPONSES.parquet KEY.csv
Prints the elapsed seconds (after imports) and a checksum of the results.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import polars as pl


def floor(path: str, key_path: str) -> tuple[np.ndarray, np.ndarray]:
    key = dict(pl.read_csv(key_path).select("item_id", "key").iter_rows())
    items = list(key)
    frame = pl.read_parquet(path, columns=items)
    scored = frame.select([(pl.col(i) == key[i]).fill_null(False) for i in items])
    x = scored.to_numpy().view(np.int8)  # bool -> 0/1 without a copy
    n = x.shape[0]
    total = x.sum(axis=1, dtype=np.int64)
    p = x.sum(axis=0, dtype=np.int64) / n
    # sum_i x_ij * total_i in row chunks (float64 BLAS, exact for these counts)
    xt = np.zeros(x.shape[1])
    for start in range(0, n, 1 << 16):
        block = x[start : start + (1 << 16)].astype(np.float64)
        xt += block.T @ total[start : start + (1 << 16)].astype(np.float64)
    mean_t = total.mean()
    var_t = total.var()
    var_j = p * (1 - p)
    cov = xt / n - p * mean_t
    rest_r = (cov - var_j) / np.sqrt(var_j * (var_t + var_j - 2 * cov))
    return p, rest_r


def main() -> None:
    start = time.perf_counter()
    p, rest_r = floor(sys.argv[1], sys.argv[2])
    elapsed = time.perf_counter() - start
    print(f"floor_seconds {elapsed:.3f}")
    print(f"checksum p {p.sum():.6f} item_rest_r {np.nansum(rest_r):.6f}")


if __name__ == "__main__":
    main()
