"""Score-group count tables: the one pass over the response matrix.

Every statistic of the analysis is a function of the weighted number of examinees in
each (group, total score, item, chosen option) cell, so the hot path is a single chunked
``np.bincount`` over the whole matrix; everything after works on a table whose size
depends on the test length, not on the number of examinees.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CHUNK_ROWS = 1 << 13


def count_table(
    codes: np.ndarray,
    total: np.ndarray,
    *,
    n_codes: int,
    n_scores: int,
    weights: np.ndarray | None = None,
    group: np.ndarray | None = None,
    n_groups: int = 1,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Weighted counts ``table[g, s, j, o]``.

    ``codes`` is ``(n, k)`` int8 with ``-1`` for an omitted response and ``0 .. n_codes-1``
    for the chosen option (or the 0/1 score); ``o = code + 1`` so index 0 holds omits.
    ``total`` is each examinee's score group ``0 .. n_scores-1``; ``group`` (optional)
    each examinee's group index ``0 .. n_groups-1``. Frequency ``weights`` count a row
    that many times.
    """
    n, k = codes.shape
    width = n_codes + 1
    size = n_groups * n_scores * k * width
    out = np.zeros(size, dtype=np.float64)
    item_offset = np.arange(k, dtype=np.int64) * width + 1
    # Row-major codes are processed as (rows, k) blocks, column-major codes (as read
    # column by column) as (k, rows) blocks; bincount does not care about the order.
    by_column = codes.flags.f_contiguous and not codes.flags.c_contiguous
    columns = codes.T if by_column else None
    rows_max = min(chunk_rows, max(n, 1))
    buffer = np.empty(k * rows_max, dtype=np.int64)
    for start in range(0, n, chunk_rows):
        stop = min(n, start + chunk_rows)
        rows = stop - start
        base = total[start:stop].astype(np.int64)
        if group is not None:
            base += group[start:stop].astype(np.int64) * n_scores
        base *= k * width
        if by_column:
            idx = buffer[: rows * k].reshape(k, rows)
            np.add(item_offset[:, None], base[None, :], out=idx)
            idx += columns[:, start:stop]
            w = None if weights is None else np.tile(weights[start:stop], k)
        else:
            idx = buffer[: rows * k].reshape(rows, k)
            np.add(base[:, None], item_offset[None, :], out=idx)
            idx += codes[start:stop]
            w = None if weights is None else np.repeat(weights[start:stop], k)
        flat = idx.ravel()
        if w is None:
            out += np.bincount(flat, minlength=size)
        else:
            out += np.bincount(flat, weights=w, minlength=size)
        if progress is not None:
            progress(stop, n)
    return out.reshape(n_groups, n_scores, k, width)


def number_correct(scores: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Row totals of the 0/1 ``scores`` over the columns where ``items`` is True (int64).

    A matrix-vector product, which reads the matrix once in either memory order, instead
    of copying the selected columns first.
    """
    mask = np.asarray(items, dtype=np.int8)
    return np.einsum("ij,j->i", scores.view(np.int8), mask, dtype=np.int64)


def group_fractions(counts: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Share of each score level's weight inside cumulative-weight intervals.

    Score levels are ordered; level ``s`` covers the cumulative-weight interval
    ``[C_{s-1}, C_s)``. For each target interval ``[lower_q, upper_q)`` the result
    ``F[s, q]`` is the fraction of level ``s`` inside it, so examinees tied at a group
    boundary are split proportionally rather than by row order (which keeps the groups
    exactly the requested size, and the statistics invariant to row order and to
    expanding frequency weights).
    """
    cum = np.cumsum(counts)
    start = cum - counts
    lo = np.maximum(start[:, None], lower[None, :])
    hi = np.minimum(cum[:, None], upper[None, :])
    overlap = np.clip(hi - lo, 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(counts[:, None] > 0, overlap / counts[:, None], 0.0)
    return frac
