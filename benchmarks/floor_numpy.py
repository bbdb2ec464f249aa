"""The speed floor for ``analyze``: read, score, p-values and item-rest r, nothing else.

A deliberately bare but efficient implementation: read the item columns of a Parquet
response file with Polars, compare each column with its key letter (omitted = wrong),
take the 0/1 matrix to NumPy, and compute p-values and corrected item-total (item-rest)
correlations from X'X-free moments: cov(x_j, X) from one matrix-vector product.
No validation, options, reliability, flags, DIF or output files. ``analyze`` is
measured against this (target: within 5x).

Two readers: ``polars`` (default: read the letters, compare with the key) and ``arrow``
(read the dictionary-encoded Parquet columns as Arrow dictionaries and compare the
indices with the key's index: no string per response, the same trick ``analyze`` uses,
so the tougher floor).

Usage: python benchmarks/floor_numpy.py RESPONSES.parquet KEY.csv [polars|arrow]
Prints the elapsed seconds (after imports), the process's CPU seconds over the same span
(all threads) and a checksum of the results.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import polars as pl


def _scores_polars(path: str, key: dict[str, str]) -> np.ndarray:
    items = list(key)
    frame = pl.read_parquet(path, columns=items)
    scored = frame.select([(pl.col(i) == key[i]).fill_null(False) for i in items])
    return scored.to_numpy().view(np.int8)  # bool -> 0/1 without a copy


def _scores_arrow(path: str, key: dict[str, str]) -> np.ndarray:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    items = list(key)
    n = pq.ParquetFile(path).metadata.num_rows
    x = np.empty((len(items), n), dtype=np.int8)
    for start in range(0, len(items), 32):
        cols = items[start : start + 32]
        table = pq.read_table(path, columns=cols, read_dictionary=cols)
        for j, name in enumerate(cols, start=start):
            pos = 0
            for chunk in table.column(name).chunks:
                values = chunk.dictionary.to_pylist()
                right = values.index(key[name]) if key[name] in values else -1
                indices = pc.fill_null(chunk.indices, -2).to_numpy()
                np.equal(indices, right, out=x[j, pos : pos + len(chunk)], casting="unsafe")
                pos += len(chunk)
    return x.T


def floor(path: str, key_path: str, reader: str = "polars") -> tuple[np.ndarray, np.ndarray]:
    key = dict(pl.read_csv(key_path).select("item_id", "key").iter_rows())
    x = _scores_arrow(path, key) if reader == "arrow" else _scores_polars(path, key)
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
    start, cpu = time.perf_counter(), time.process_time()
    reader = sys.argv[3] if len(sys.argv) > 3 else "polars"
    p, rest_r = floor(sys.argv[1], sys.argv[2], reader)
    elapsed = time.perf_counter() - start
    print(f"floor_seconds {elapsed:.3f}")
    print(f"cpu_seconds {time.process_time() - cpu:.3f}")
    print(f"checksum p {p.sum():.6f} item_rest_r {np.nansum(rest_r):.6f}")


if __name__ == "__main__":
    main()
