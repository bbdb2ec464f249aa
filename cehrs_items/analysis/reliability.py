"""Reliability of the total score: KR-20 (coefficient alpha for 0/1 items), KR-21, SEM.

Population variances (divisor N) are used throughout; KR-20 is a ratio of variances, so
it equals coefficient alpha computed from sample covariances (as R ``psych::alpha`` does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from cehrs_items.analysis._common import check_weights
from cehrs_items.analysis.classical import (
    ItemMoments,
    ScoreDistribution,
    alpha_if_deleted_from_moments,
    item_moments,
)


def kr20_from_moments(m: ItemMoments) -> float:
    r"""KR-20 of the items in the total (see :func:`kr20`)."""
    k = int(m.in_total.sum())
    var_t = m.dist.var
    if k < 2 or not math.isfinite(var_t) or var_t <= 0:
        return float("nan")
    return k / (k - 1) * (1.0 - float(m.var[m.in_total].sum()) / var_t)


def kr21_from_distribution(dist: ScoreDistribution, n_items: int) -> float:
    r"""KR-21 from the total-score mean and variance (see :func:`kr21`)."""
    k = n_items
    if k < 2 or not math.isfinite(dist.var) or dist.var <= 0:
        return float("nan")
    return k / (k - 1) * (1.0 - dist.mean * (k - dist.mean) / (k * dist.var))


def kr20(
    scores: np.ndarray | pl.DataFrame,
    *,
    weights: np.ndarray | Sequence[float] | None = None,
    omit: str = "incorrect",
) -> float:
    r"""Kuder-Richardson formula 20 (coefficient alpha for 0/1 items).

    Parameters
    ----------
    scores
        ``(examinees, items)`` 0/1 matrix; missing (NaN/null) is omitted.
    weights
        Frequency weights.
    omit
        ``"incorrect"`` scores omits 0; ``"exclude"`` drops incomplete rows.

    Returns
    -------
    float
        KR-20, or NaN with fewer than two items or zero total-score variance.

    Notes
    -----
    .. math:: \mathrm{KR20} = \frac{K}{K-1}\Bigl(1 - \frac{\sum_j p_j q_j}{\sigma^2_X}\Bigr)

    with population variances (Kuder & Richardson 1937, eq. 20; Crocker & Algina 1986,
    eq. 7.4).

    References
    ----------
    Kuder, G. F., & Richardson, M. W. (1937). The theory of the estimation of test
    reliability. *Psychometrika*, 2, 151-160.

    Tested against: R psych 2.2.9 ``alpha()$total$raw_alpha`` on psychTools ``ability``
    and on the iqitems-derived letters set, abs 1e-10.
    """
    return kr20_from_moments(item_moments(scores, weights=weights, omit=omit))


def coefficient_alpha(
    scores: np.ndarray | pl.DataFrame,
    *,
    weights: np.ndarray | Sequence[float] | None = None,
) -> float:
    r"""Cronbach's coefficient alpha of any numeric item matrix (complete rows only).

    .. math:: \alpha = \frac{K}{K-1}\Bigl(1 - \frac{\sum_j \sigma^2_j}{\sigma^2_X}\Bigr)

    Rows with a missing value are dropped. Equals :func:`kr20` for complete 0/1 data.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297-334.

    Tested against: R psych 2.2.9 ``alpha()$total$raw_alpha``, abs 1e-10.
    """
    values = (
        scores.select(pl.all().cast(pl.Float64)).to_numpy()
        if isinstance(scores, pl.DataFrame)
        else np.asarray(scores, dtype=np.float64)
    )
    w = check_weights(weights, values.shape[0], "weights")
    keep = ~np.isnan(values).any(axis=1)
    values = values[keep]
    w = np.ones(values.shape[0]) if w is None else w[keep]
    k = values.shape[1]
    total_w = w.sum()
    if k < 2 or total_w <= 0:
        return float("nan")
    mean = (w[:, None] * values).sum(axis=0) / total_w
    var_items = (w[:, None] * (values - mean) ** 2).sum(axis=0) / total_w
    total = values.sum(axis=1)
    mean_t = (w * total).sum() / total_w
    var_t = (w * (total - mean_t) ** 2).sum() / total_w
    if var_t <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - var_items.sum() / var_t))


def kr21(
    scores: np.ndarray | pl.DataFrame,
    *,
    weights: np.ndarray | Sequence[float] | None = None,
    omit: str = "incorrect",
) -> float:
    r"""Kuder-Richardson formula 21 (KR-20 under equal item difficulty).

    .. math:: \mathrm{KR21} = \frac{K}{K-1}\Bigl(1 - \frac{\mu_X (K - \mu_X)}{K\,\sigma^2_X}\Bigr)

    with the population variance (Kuder & Richardson 1937, eq. 21; Crocker & Algina 1986,
    eq. 7.5). NaN with fewer than two items or zero variance.

    Tested against: hand computation on a 4x3 matrix, abs 1e-12.
    """
    m = item_moments(scores, weights=weights, omit=omit)
    return kr21_from_distribution(m.dist, int(m.in_total.sum()))


def alpha_if_deleted(
    scores: np.ndarray | pl.DataFrame,
    *,
    weights: np.ndarray | Sequence[float] | None = None,
    omit: str = "incorrect",
) -> np.ndarray:
    r"""KR-20 of the remaining items when each item in turn is deleted.

    .. math:: \alpha_{(-j)} = \frac{K-1}{K-2}\Bigl(1 - \frac{\sum_{i\ne j} p_i q_i}
              {\sigma^2_{X-x_j}}\Bigr)

    NaN with fewer than three items or zero variance of the rest score.

    Tested against: R psych 2.2.9 ``alpha()$alpha.drop$raw_alpha``, abs 1e-10.
    """
    return alpha_if_deleted_from_moments(item_moments(scores, weights=weights, omit=omit))


def standard_error_of_measurement(sd: float, reliability: float) -> float:
    r"""Classical standard error of measurement.

    .. math:: \mathrm{SEM} = \sigma_X \sqrt{1 - \rho_{XX'}}

    (Crocker & Algina 1986, eq. 7.12). NaN if either input is NaN or reliability > 1.

    Tested against: hand computation, abs 1e-12.
    """
    if not (math.isfinite(sd) and math.isfinite(reliability)) or reliability > 1:
        return float("nan")
    return sd * math.sqrt(max(0.0, 1.0 - reliability))


def _weighted_moments(values: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total_w = w.sum()
    mean = (w @ values) / total_w
    dev = values - mean
    cov = (dev * w[:, None]).T @ dev / total_w
    return mean, cov


def split_half(
    scores: np.ndarray,
    *,
    weights: np.ndarray | Sequence[float] | None = None,
) -> dict[str, float]:
    r"""Odd-even split-half reliability with the Spearman-Brown correction.

    Parameters
    ----------
    scores
        ``(examinees, items)`` 0/1 matrix of the items in the total, in form order
        (omits already scored 0).
    weights
        Frequency weights.

    Returns
    -------
    dict
        ``r_half`` (correlation of the odd- and even-position half scores),
        ``spearman_brown`` (the full-length estimate), ``n_odd``, ``n_even``.
        Both statistics are NaN with fewer than two items or a half without variance.

    Notes
    -----
    With half scores :math:`O` (items 1, 3, 5, ...) and :math:`E` (items 2, 4, ...),

    .. math:: r_{OE} = \frac{\mathrm{cov}(O, E)}{\sigma_O \sigma_E},\qquad
              \rho_{SB} = \frac{2 r_{OE}}{1 + r_{OE}}

    (Spearman 1910; Brown 1910; Crocker & Algina 1986, eqs. 7.1-7.2). Only the sums,
    sums of squares and the cross-product of the two half scores enter, so the statistic
    can be merged over chunks of examinees.

    Tested against: NumPy ``corrcoef`` of the half scores computed independently in the
    test, abs 1e-12; and on parallel halves (each item duplicated) Spearman-Brown
    equals 2r/(1+r) with r = 1 giving 1, abs 1e-12.
    """
    matrix = np.asarray(scores, dtype=np.float64)
    n, k = matrix.shape
    w = check_weights(weights, n, "weights")
    w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
    if k < 2 or w.sum() <= 0:
        return split_half_from_moments(k, 0.0, np.zeros(2), np.zeros((2, 2)))
    halves = np.column_stack([matrix[:, 0::2].sum(axis=1), matrix[:, 1::2].sum(axis=1)])
    mean, cov = _weighted_moments(halves, w)
    return split_half_from_moments(k, float(w.sum()), mean, cov)


def split_half_from_moments(
    k: int, total_weight: float, mean: np.ndarray, cov: np.ndarray
) -> dict[str, float]:
    """:func:`split_half` from the half scores' mean vector and (divisor-N) covariance.

    The merged-counts route of ``analyze`` gets them from the part totals
    (:mod:`cehrs_items.analysis.sufficient`: ``part_freq`` and ``part_cross`` of the
    ``odd`` and ``even`` parts); ``k`` is the number of items split.
    """
    out = {"r_half": math.nan, "spearman_brown": math.nan, "n_odd": (k + 1) // 2, "n_even": k // 2}
    if k < 2 or total_weight <= 0:
        return out
    if cov[0, 0] <= 1e-12 or cov[1, 1] <= 1e-12:  # no variance (up to rounding)
        return out
    r = float(cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]))
    out["r_half"] = r
    out["spearman_brown"] = 2.0 * r / (1.0 + r) if r > -1.0 else math.nan
    return out


def block_statistics(
    scores: np.ndarray,
    *,
    weights: np.ndarray | Sequence[float] | None = None,
) -> dict[str, object]:
    r"""Summary, reliability and score distribution of the sum of a block of items.

    The block is a domain's scored items or the pretest items, as Iteman reports each
    domain with its own statistics.

    Parameters
    ----------
    scores
        ``(examinees, items)`` 0/1 matrix of the block's items (omits scored 0).
    weights
        Frequency weights.

    Returns
    -------
    dict
        ``n_items``, ``mean``, ``sd`` (population), ``min``, ``max``, ``mean_p``,
        ``alpha`` (KR-20 of the block), ``sem`` and ``score_distribution``
        (``{"score": [0..K], "freq": [...]}``). Undefined values are NaN.

    Notes
    -----
    .. math:: \mathrm{KR20}_B = \frac{K_B}{K_B-1}\Bigl(1 - \frac{\sum_{j\in B} p_j q_j}
              {\sigma^2_{X_B}}\Bigr),\qquad \mathrm{SEM}_B = \sigma_{X_B}\sqrt{1-\mathrm{KR20}_B}

    (Kuder & Richardson 1937; Crocker & Algina 1986, eq. 7.12). The block's item
    proportions and the distribution of its sum are the sufficient statistics, so the
    result merges over chunks of examinees.

    Tested against: :func:`coefficient_alpha` (sample-covariance route) on the same
    block, abs 1e-10, and NumPy mean/std of the block sums, abs 1e-12.
    """
    matrix = np.asarray(scores, dtype=np.float64)
    n, k = matrix.shape
    w = check_weights(weights, n, "weights")
    w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
    total_w = float(w.sum())
    sums = matrix.sum(axis=1)
    freq = np.bincount(sums.astype(np.int64), weights=w, minlength=k + 1)
    p = (w @ matrix) / total_w if total_w > 0 else np.full(k, math.nan)
    return block_statistics_from_counts(freq, p)


def block_statistics_from_counts(freq: np.ndarray, p: np.ndarray) -> dict[str, object]:
    """:func:`block_statistics` from the weighted frequency of each block sum ``0 .. K``
    (``freq``, length at least K + 1) and the block items' proportions correct ``p``.

    The merged-counts route of ``analyze`` takes ``freq`` from ``part_freq`` and ``p``
    from the score-group table (:mod:`cehrs_items.analysis.sufficient`).
    """
    k = int(np.asarray(p).shape[0])
    freq = np.asarray(freq, dtype=np.float64)[: k + 1]
    total_w = float(freq.sum())
    nan = math.nan
    if total_w <= 0 or k == 0:
        return {
            "n_items": k,
            "mean": nan,
            "sd": nan,
            "min": None,
            "max": None,
            "mean_p": nan,
            "alpha": nan,
            "sem": nan,
            "score_distribution": {"score": list(range(k + 1)), "freq": [0] * (k + 1)},
        }
    values = np.arange(k + 1, dtype=np.float64)
    mean = float(freq @ values / total_w)
    var = float(freq @ (values - mean) ** 2 / total_w)
    sd = math.sqrt(var)
    alpha = nan
    if k >= 2 and var > 1e-12:
        alpha = k / (k - 1) * (1.0 - float((p * (1.0 - p)).sum()) / var)
    present = np.nonzero(freq > 0)[0]
    return {
        "n_items": k,
        "mean": mean,
        "sd": sd,
        "min": int(present.min()),
        "max": int(present.max()),
        "mean_p": float(np.mean(p)),
        "alpha": alpha,
        "sem": standard_error_of_measurement(sd, alpha),
        "score_distribution": {
            "score": list(range(k + 1)),
            "freq": [int(round(f)) for f in freq],
        },
    }
