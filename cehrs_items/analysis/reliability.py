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
