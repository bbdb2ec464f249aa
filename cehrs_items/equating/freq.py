"""Score distributions for equating: univariate and bivariate (total x anchor) tables.

Scores are number-correct totals ``0 .. K``. A :class:`ScoreDist` holds the frequencies
of one form in one group; a :class:`BivariateDist` the joint frequencies of a total score
and an anchor score (common-item designs). Frequencies may be non-integer (smoothed or
weighted). The numerical kernels elsewhere in :mod:`cehrs_items.equating` work on
*batched* relative frequencies, arrays of shape ``(B, K + 1)``, so one code path serves a
single equating (``B = 1``) and a whole bootstrap (``B`` replications at once).

Moments use the population divisor ``N`` (Kolen & Brennan 2014, ch. 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cehrs_items.errors import DataError


def _as_counts(counts: np.ndarray | list[float], what: str) -> np.ndarray:
    arr = np.asarray(counts, dtype=np.float64)
    if arr.ndim != 1 or arr.size < 2:
        raise DataError(f"{what}: a frequency table needs at least two score points")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise DataError(f"{what}: frequencies must be finite and non-negative")
    if arr.sum() <= 0:
        raise DataError(f"{what}: no examinees (all frequencies are zero)")
    return arr


@dataclass(frozen=True)
class ScoreDist:
    """Frequencies of total scores ``0 .. max_score`` on one form in one group."""

    counts: np.ndarray
    name: str = "X"
    source: str = ""
    sha256: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", _as_counts(self.counts, self.name))

    @classmethod
    def from_scores(
        cls,
        scores: np.ndarray,
        max_score: int,
        *,
        weights: np.ndarray | None = None,
        name: str = "X",
        source: str = "",
        sha256: str = "",
    ) -> ScoreDist:
        """Tabulate integer scores ``0 .. max_score`` (optionally frequency-weighted)."""
        scores = np.asarray(scores)
        _check_scores(scores, max_score, name)
        counts = np.bincount(scores.astype(np.int64), weights=weights, minlength=max_score + 1)
        return cls(counts.astype(np.float64), name=name, source=source, sha256=sha256)

    @property
    def max_score(self) -> int:
        return self.counts.size - 1

    @property
    def scores(self) -> np.ndarray:
        return np.arange(self.counts.size, dtype=np.float64)

    @property
    def n(self) -> float:
        return float(self.counts.sum())

    @property
    def probs(self) -> np.ndarray:
        return self.counts / self.counts.sum()

    def moments(self) -> dict[str, float]:
        """Mean, SD (divisor N), skewness and kurtosis (not excess) of the scores."""
        return moments(self.scores, self.probs)

    def with_counts(self, counts: np.ndarray) -> ScoreDist:
        return ScoreDist(counts, name=self.name, source=self.source, sha256=self.sha256)


@dataclass(frozen=True)
class BivariateDist:
    """Joint frequencies of total score (rows ``0 .. max_score``) and anchor score (columns).

    ``internal`` is True when the anchor items count in the total score (then the total
    is at least the anchor score), False for an external anchor.
    """

    counts: np.ndarray
    internal: bool = True
    name: str = "X"
    source: str = ""
    sha256: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        arr = np.asarray(self.counts, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 2:
            raise DataError(f"{self.name}: a bivariate table needs at least 2 x 2 score points")
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise DataError(f"{self.name}: frequencies must be finite and non-negative")
        if arr.sum() <= 0:
            raise DataError(f"{self.name}: no examinees (all frequencies are zero)")
        object.__setattr__(self, "counts", arr)

    @classmethod
    def from_scores(
        cls,
        total: np.ndarray,
        anchor: np.ndarray,
        max_score: int,
        max_anchor: int,
        *,
        internal: bool = True,
        weights: np.ndarray | None = None,
        name: str = "X",
        source: str = "",
        sha256: str = "",
    ) -> BivariateDist:
        total = np.asarray(total)
        anchor = np.asarray(anchor)
        _check_scores(total, max_score, name)
        _check_scores(anchor, max_anchor, f"{name} anchor")
        if internal and np.any(anchor > total):
            i = int(np.argmax(anchor > total))
            raise DataError(
                f"{name}: examinee {i + 1} has anchor score {int(anchor[i])} above the total "
                f"{int(total[i])}; an internal anchor counts in the total (use --external-anchor "
                "if the anchor is external)"
            )
        cell = total.astype(np.int64) * (max_anchor + 1) + anchor.astype(np.int64)
        counts = np.bincount(cell, weights=weights, minlength=(max_score + 1) * (max_anchor + 1))
        return cls(
            counts.reshape(max_score + 1, max_anchor + 1).astype(np.float64),
            internal=internal,
            name=name,
            source=source,
            sha256=sha256,
        )

    @property
    def max_score(self) -> int:
        return self.counts.shape[0] - 1

    @property
    def max_anchor(self) -> int:
        return self.counts.shape[1] - 1

    @property
    def n(self) -> float:
        return float(self.counts.sum())

    @property
    def total(self) -> ScoreDist:
        return ScoreDist(self.counts.sum(axis=1), name=self.name, source=self.source)

    @property
    def anchor(self) -> ScoreDist:
        return ScoreDist(self.counts.sum(axis=0), name=f"{self.name} anchor", source=self.source)

    def with_counts(self, counts: np.ndarray) -> BivariateDist:
        return BivariateDist(
            counts,
            internal=self.internal,
            name=self.name,
            source=self.source,
            sha256=self.sha256,
        )


def _check_scores(scores: np.ndarray, max_score: int, name: str) -> None:
    if scores.size == 0:
        raise DataError(f"{name}: no scores")
    if not np.all(np.isfinite(scores)):
        raise DataError(f"{name}: scores must be numbers (found a missing or non-finite value)")
    if np.any(scores != np.round(scores)):
        i = int(np.argmax(scores != np.round(scores)))
        raise DataError(f"{name}: score {scores[i]} (row {i + 1}) is not a whole number")
    if np.any(scores < 0) or np.any(scores > max_score):
        bad = scores[(scores < 0) | (scores > max_score)][0]
        i = int(np.argmax((scores < 0) | (scores > max_score)))
        raise DataError(
            f"{name}: score {int(bad)} (row {i + 1}) lies outside 0..{max_score}; "
            "check the maximum score (--max-x/--max-y) or the data"
        )


def moments(values: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Mean, SD (divisor N), skewness and kurtosis of ``values`` weighted by ``probs``.

    Zero variance gives ``sd = 0`` and NaN skewness and kurtosis (they are undefined).
    """
    probs = np.asarray(probs, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    mean = float(np.sum(probs * values))
    dev = values - mean
    var = float(np.sum(probs * dev**2))
    sd = float(np.sqrt(max(var, 0.0)))
    if sd <= 1e-12:
        return {"mean": mean, "sd": sd, "skewness": float("nan"), "kurtosis": float("nan")}
    return {
        "mean": mean,
        "sd": sd,
        "skewness": float(np.sum(probs * dev**3) / sd**3),
        "kurtosis": float(np.sum(probs * dev**4) / sd**4),
    }


def batch_mean_sd(
    probs: np.ndarray, values: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Means and SDs (divisor N) of each row of ``probs`` (shape ``(B, K + 1)``)."""
    if values is None:
        values = np.arange(probs.shape[-1], dtype=np.float64)
    mean = probs @ values
    var = probs @ (values**2) - mean**2
    return mean, np.sqrt(np.maximum(var, 0.0))


def normalise(counts: np.ndarray) -> np.ndarray:
    """Rows of ``counts`` divided by their sums (relative frequencies)."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum(axis=-1, keepdims=True)
    return counts / total
