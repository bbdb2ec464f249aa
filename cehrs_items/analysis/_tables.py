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

    Column-major codes (as read column by column from Parquet) are counted a few items
    at a time (:func:`_count_by_columns`); row-major codes in row blocks of ``chunk_rows``.
    Every cell is a sum of whole-number weights, so both give the same table exactly.
    """
    n, k = codes.shape
    if codes.flags.f_contiguous and not codes.flags.c_contiguous:
        return _count_by_columns(
            codes.T, total, n_codes, n_scores, weights, group, n_groups, progress
        )
    width = n_codes + 1
    size = n_groups * n_scores * k * width
    out = np.zeros(size, dtype=np.float64)
    item_offset = np.arange(k, dtype=np.int64) * width + 1
    rows_max = min(chunk_rows, max(n, 1))
    buffer = np.empty(k * rows_max, dtype=np.int64)
    for start in range(0, n, chunk_rows):
        stop = min(n, start + chunk_rows)
        rows = stop - start
        base = total[start:stop].astype(np.int64)
        if group is not None:
            base += group[start:stop].astype(np.int64) * n_scores
        base *= k * width
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


_TUPLE_CELLS = 40
"""Items counted together by :func:`_count_by_columns`: as many as keep the joint option
cells (``width ** t``) at or below this (2 items for letters A-E, 3 for 0/1 scores)."""


def _count_by_columns(
    columns: np.ndarray,
    total: np.ndarray,
    n_codes: int,
    n_scores: int,
    weights: np.ndarray | None,
    group: np.ndarray | None,
    n_groups: int,
    progress: Callable[[int, int], None] | None,
) -> np.ndarray:
    """:func:`count_table` of ``columns`` = codes transposed, ``(k, n)`` C-contiguous.

    Items are taken ``t`` at a time: one ``bincount`` over the joint index
    ``(g * S + s) * W**t + sum_i (code_i + 1) * W**(t - 1 - i)`` (int8 arithmetic
    per item, one int64 index per row), and each item's ``(g, s, o)`` counts are margins
    of that joint table. This counts each row ``k / t`` times instead of ``k`` times, over
    a histogram small enough to stay in cache.
    """
    k, n = columns.shape
    width = n_codes + 1
    t = 1
    while t < k and width ** (t + 1) <= _TUPLE_CELLS:
        t += 1
    strata = n_groups * n_scores
    cells = width**t
    acc_type = np.int64 if weights is None else np.float64
    out = np.zeros((k, strata, width), dtype=acc_type)
    if n == 0 or k == 0:
        return out.astype(np.float64).reshape(k, n_groups, n_scores, width).transpose(1, 2, 0, 3)
    base = total.astype(np.int64)
    if group is not None:
        base += group.astype(np.int64) * n_scores
    ones = sum(width**i for i in range(t))  # every code shifted by one (omit -1 -> 0)
    joint_base = base * cells + ones
    single_base = base * width + 1
    # the joint code stays within +-40 (width ** t <= _TUPLE_CELLS): int8 arithmetic
    joint = np.empty(n, dtype=np.int8)
    term = np.empty(n, dtype=np.int8)
    index = np.empty(n, dtype=np.int64)
    firsts = range(0, k - k % t, t)  # blocks of t items; the last k % t items one by one
    hists = np.empty((len(firsts), strata * cells), dtype=acc_type)
    for b, first in enumerate(firsts):
        np.multiply(columns[first], width ** (t - 1), out=joint, dtype=np.int8, casting="unsafe")
        for i in range(1, t):
            if i == t - 1:
                joint += columns[first + i]
            else:
                np.multiply(
                    columns[first + i],
                    width ** (t - i - 1),
                    out=term,
                    dtype=np.int8,
                    casting="unsafe",
                )
                joint += term
        np.add(joint_base, joint, out=index)
        hists[b] = weighted_bincount(index, weights, strata * cells)
        if progress is not None:
            progress(n * (first + t) // k, n)
    # each item's (g, s, o) counts are margins of its block's joint table, all blocks at once
    joint_tables = hists.reshape((len(firsts), strata) + (width,) * t)
    for i in range(t):
        others = tuple(2 + a for a in range(t) if a != i)
        out[np.asarray(firsts, dtype=np.int64) + i] = joint_tables.sum(axis=others)
    for j in range(len(firsts) * t, k):
        np.add(single_base, columns[j], out=index)
        out[j] = weighted_bincount(index, weights, strata * width).reshape(strata, width)
    if progress is not None:
        progress(n, n)
    table = out.astype(np.float64).reshape(k, n_groups, n_scores, width)
    return np.ascontiguousarray(table.transpose(1, 2, 0, 3))


def weighted_bincount(index: np.ndarray, weights: np.ndarray | None, size: int) -> np.ndarray:
    """``np.bincount`` of ``index`` (length ``size``), weighted when ``weights`` is given."""
    if weights is None:
        return np.bincount(index, minlength=size)
    return np.bincount(index, weights=weights, minlength=size)


def column_totals(scores: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Totals over the rows of ``scores`` ``(k, n)`` (0/1, C-contiguous) where ``items`` is
    True: one vectorised add per item along the examinees, in the narrowest exact integer
    type (uint8 below 256 items)."""
    mask = np.asarray(items, dtype=bool)
    if int(mask.sum()) < 256:  # row by row in place: no copy of the selected rows
        out = np.zeros(scores.shape[1], dtype=np.uint8)
        rows = scores.view(np.uint8)
        for j in np.flatnonzero(mask):
            np.add(out, rows[j], out=out)
        return out
    out = np.zeros(scores.shape[1], dtype=np.int32)
    np.add.reduce(scores[mask], axis=0, dtype=np.int32, out=out)
    return out


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
