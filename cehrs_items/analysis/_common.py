"""Input checks shared by the statistics functions of :mod:`cehrs_items.analysis`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from cehrs_items.errors import DataError, InputError

OMIT_RULES = ("incorrect", "exclude")


def item_names(k: int, item_ids: Sequence[str] | None, where: str) -> tuple[str, ...]:
    if item_ids is None:
        return tuple(f"item_{j + 1}" for j in range(k))
    ids = tuple(str(i) for i in item_ids)
    if len(ids) != k:
        raise DataError(f"{where}: {len(ids)} item ids given for {k} item columns")
    if len(set(ids)) != len(ids):
        raise DataError(f"{where}: item ids repeat")
    return ids


def score_matrix(
    scores: np.ndarray | pl.DataFrame,
    *,
    item_ids: Sequence[str] | None = None,
    where: str = "scores",
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """0/1 scores as ``(int8 matrix with omits as 0, omitted mask, item ids)``.

    A Polars frame gives its column names as item ids and nulls as omitted; a NumPy
    array may hold NaN for omitted. Anything other than 0, 1 or missing is a DataError
    naming the row and column.
    """
    if isinstance(scores, pl.DataFrame):
        ids = item_names(scores.width, item_ids or scores.columns, where)
        try:
            values = scores.select(pl.all().cast(pl.Float64)).to_numpy()
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"{where}: item scores must be numeric 0/1 ({exc})") from exc
    else:
        values = np.asarray(scores, dtype=np.float64)
        if values.ndim != 2:
            raise DataError(f"{where}: expected a 2-D matrix (examinees x items)")
        ids = item_names(values.shape[1], item_ids, where)
    missing = np.isnan(values)
    bad = ~missing & (values != 0) & (values != 1)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"{where}: row {row + 1}, column {ids[col]}: score {float(values[row, col]):g} is not 0, 1 "
            "or missing"
        )
    matrix = np.where(missing, 0, values).astype(np.int8)
    return matrix, missing, ids


def check_weights(
    weights: np.ndarray | Sequence[float] | None, n: int, where: str, first_row: int = 0
) -> np.ndarray | None:
    """Frequency weights as float64, or None; whole non-negative numbers only.

    ``first_row`` offsets the row number in messages (for a chunk of the data).
    """
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape[0] != n:
        raise DataError(f"{where}: {w.shape[0]} weights for {n} examinees")
    bad = ~np.isfinite(w) | (w < 0) | (w != np.round(w))
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{where}: row {first_row + row + 1}: weight {float(w[row]):g} is not a whole non-negative number "
            "(frequency weights count examinees)"
        )
    return w


def check_omit(omit: str) -> str:
    if omit not in OMIT_RULES:
        raise InputError(f"omit rule {omit!r} unknown; use 'incorrect' or 'exclude'")
    return omit


def apply_omit(
    matrix: np.ndarray, missing: np.ndarray, weights: np.ndarray | None, omit: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Drop incomplete rows under ``exclude``; return the kept-row mask as well."""
    check_omit(omit)
    keep = np.ones(matrix.shape[0], dtype=bool)
    if omit == "exclude":
        keep = ~missing.any(axis=1)
        matrix, missing = matrix[keep], missing[keep]
        if weights is not None:
            weights = weights[keep]
    return matrix, missing, weights, keep


def in_total_mask(k: int, in_total: Sequence[bool] | np.ndarray | None, where: str) -> np.ndarray:
    if in_total is None:
        return np.ones(k, dtype=bool)
    mask = np.asarray(in_total, dtype=bool).ravel()
    if mask.shape[0] != k:
        raise DataError(f"{where}: in_total has {mask.shape[0]} entries for {k} items")
    return mask


def safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with NaN wherever den is not positive (no warnings)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = den > 0
    np.divide(num, den, out=out, where=ok)
    return out


def safe_sqrt(x: np.ndarray) -> np.ndarray:
    """sqrt with tiny negative round-off clipped to 0."""
    return np.sqrt(np.clip(x, 0.0, None))
