"""Response patterns: collapse a 0/1 matrix with omissions into unique rows and counts.

Estimation works on unique patterns with frequency weights: identical rows (same
answers, same omissions) contribute identically to the marginal likelihood, so each is
evaluated once. Codes: 0 wrong, 1 right, 2 omitted (missing for IRT).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cehrs_items.errors import DataError

MISSING = 2


@dataclass(frozen=True)
class Patterns:
    """Unique response patterns (``codes``, int8 0/1/2) and their total weights ``freq``."""

    codes: np.ndarray
    freq: np.ndarray

    @property
    def n_patterns(self) -> int:
        return int(self.codes.shape[0])

    @property
    def has_missing(self) -> bool:
        return bool((self.codes == MISSING).any())

    def correct(self, dtype: type = np.float64) -> np.ndarray:
        """1 where the response is right (0 for wrong or omitted)."""
        return (self.codes == 1).astype(dtype)

    def observed(self, dtype: type = np.float64) -> np.ndarray:
        """1 where a response was given (0 where omitted)."""
        return (self.codes != MISSING).astype(dtype)


def encode(scores: np.ndarray, omitted: np.ndarray | None = None) -> np.ndarray:
    """int8 codes 0/1/2 from a 0/1 matrix and an omission mask (True = omitted)."""
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise DataError(
            f"responses: expected a 2-D examinee x item matrix, got shape {scores.shape}"
        )
    if scores.dtype in (np.int8, np.uint8, np.bool_):
        bad = scores.view(np.uint8) > 1  # one byte each: anything but 0 and 1 (negatives wrap)
    else:
        bad = ~np.isin(scores, (0, 1))
    if omitted is not None:
        omitted = np.asarray(omitted, dtype=bool)
        bad &= ~omitted
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"responses: row {row + 1}, item column {col + 1}: score {scores[row, col]!r} "
            "is not 0 or 1; score the responses first"
        )
    if omitted is None:
        return scores.astype(np.int8, copy=True)
    return np.where(omitted, np.int8(MISSING), scores.astype(np.int8, copy=False))


def weighted_counts(
    codes: np.ndarray, weights: np.ndarray, chunk_rows: int = 65536
) -> tuple[np.ndarray, np.ndarray]:
    """Per item: the weight of examinees who answered it, and of those who got it right.

    Summed over chunks of rows, so no full-size float copy of the matrix is made.
    """
    answered = np.zeros(codes.shape[1])
    right = np.zeros(codes.shape[1])
    for start in range(0, codes.shape[0], chunk_rows):
        block = codes[start : start + chunk_rows]
        w = weights[start : start + chunk_rows]
        answered += w @ (block != MISSING)
        right += w @ (block == 1)
    return answered, right


def collapse(codes: np.ndarray, weights: np.ndarray | None = None) -> tuple[Patterns, np.ndarray]:
    """Unique rows of ``codes`` with summed weights, and each row's pattern index.

    Rows of zero weight are kept in the index but add nothing to ``freq``. The order of
    patterns is the lexicographic order of their bytes (deterministic).
    """
    codes = np.ascontiguousarray(codes, dtype=np.int8)
    n, j = codes.shape
    if n == 0:
        raise DataError("responses: no examinee rows")
    view = codes.view(np.dtype((np.void, j)))[:, 0]
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    freq = np.bincount(inverse, weights=w, minlength=first.size)
    return Patterns(codes=codes[first], freq=freq), inverse
