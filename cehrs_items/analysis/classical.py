"""Classical item statistics: difficulty, discrimination, alpha-if-deleted, upper-lower D.

All statistics are computed from the score-group table (weighted counts of examinees by
total score and item score), with population moments (divisor N, the sum of the
frequency weights) as in Crocker & Algina (1986). Correlations do not depend on the
divisor, so they equal the usual sample Pearson correlations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.stats import norm

from cehrs_items.analysis._common import (
    apply_omit,
    check_weights,
    in_total_mask,
    safe_div,
    safe_sqrt,
    score_matrix,
)
from cehrs_items.analysis._tables import count_table, group_fractions, number_correct
from cehrs_items.errors import DataError
from cehrs_items.tables import table_columns

ITEM_COLUMNS: dict[str, pl.DataType] = {
    name: dtype
    for name, dtype in table_columns("item_stats").items()
    if name not in ("role", "domain", "flags")
}
"""Columns and dtypes of :func:`item_stats` (the pipeline adds role, domain and flags)."""

_TINY = 1e-12


@dataclass(frozen=True)
class ScoreDistribution:
    """Weighted frequency of each total score ``0 .. K`` and its moments (divisor N)."""

    freq: np.ndarray
    n: float
    mean: float
    var: float

    @classmethod
    def from_freq(cls, freq: np.ndarray) -> ScoreDistribution:
        freq = np.asarray(freq, dtype=np.float64)
        n = float(freq.sum())
        scores = np.arange(freq.shape[0], dtype=np.float64)
        if n <= 0:
            return cls(freq=freq, n=0.0, mean=float("nan"), var=float("nan"))
        mean = float((scores * freq).sum() / n)
        var = float(((scores - mean) ** 2 * freq).sum() / n)
        return cls(freq=freq, n=n, mean=mean, var=var)

    @property
    def deviations(self) -> np.ndarray:
        return np.arange(self.freq.shape[0], dtype=np.float64) - self.mean

    def central_moment(self, r: int) -> float:
        if self.n <= 0:
            return float("nan")
        return float((self.deviations**r * self.freq).sum() / self.n)


@dataclass(frozen=True)
class ItemMoments:
    """Per-item moments from a score-group table; arrays have one entry per item."""

    n: np.ndarray
    n_omitted: np.ndarray
    p: np.ndarray
    var: np.ndarray
    cov_total: np.ndarray
    in_total: np.ndarray
    right: np.ndarray  # (S, k) weighted number correct at each total score
    dist: ScoreDistribution


def moments_from_table(
    table: np.ndarray, key_index: np.ndarray, in_total: np.ndarray
) -> ItemMoments:
    """Item moments from ``table[s, j, o]`` (summed over groups) and each item's key index."""
    n_scores, k, _ = table.shape
    freq = table[:, 0, :].sum(axis=1) if k else np.zeros(n_scores)
    dist = ScoreDistribution.from_freq(freq)
    right = table[:, np.arange(k), key_index]
    n = np.full(k, dist.n)
    n_omitted = table[:, :, 0].sum(axis=0)
    p = safe_div(right.sum(axis=0), n)
    var = p * (1.0 - p)
    if dist.n > 0:
        cov = (dist.deviations[:, None] * right).sum(axis=0) / dist.n
    else:
        cov = np.full(k, np.nan)
    return ItemMoments(
        n=n,
        n_omitted=n_omitted,
        p=p,
        var=var,
        cov_total=cov,
        in_total=in_total,
        right=right,
        dist=dist,
    )


def _positive(x: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
    return np.asarray(x) > _TINY * np.maximum(np.asarray(scale, dtype=np.float64), _TINY)


def correlations(m: ItemMoments) -> tuple[np.ndarray, np.ndarray]:
    """(item_total_r, item_rest_r); NaN where a variance is zero."""
    var_t = m.dist.var
    ok_item = m.var > 0
    ok_total = _positive(np.full_like(m.var, var_t), 1.0)
    r_total = np.where(ok_item & ok_total, safe_div(m.cov_total, safe_sqrt(m.var * var_t)), np.nan)
    cov_rest = np.where(m.in_total, m.cov_total - m.var, m.cov_total)
    var_rest = np.where(m.in_total, var_t + m.var - 2.0 * m.cov_total, var_t)
    ok_rest = _positive(var_rest, max(var_t, 1.0) if np.isfinite(var_t) else 1.0)
    r_rest = np.where(ok_item & ok_rest, safe_div(cov_rest, safe_sqrt(m.var * var_rest)), np.nan)
    return np.clip(r_total, -1.0, 1.0), np.clip(r_rest, -1.0, 1.0)


def biserial_from_point_biserial(r_pb: np.ndarray, p: np.ndarray) -> np.ndarray:
    r"""Biserial correlation from the point-biserial and the proportion correct.

    .. math:: r_{bis} = r_{pb}\,\frac{\sqrt{pq}}{\varphi(z_p)},\qquad z_p = \Phi^{-1}(p)

    where :math:`\varphi` is the standard normal density (Crocker & Algina 1986,
    eq. 14.4, rewritten with :math:`r_{pb} = (\mu_+ - \mu_X)\sqrt{p/q}/\sigma_X`).
    NaN for p = 0 or 1.

    Tested against: hand computation at p = .5 and p = .2 with SciPy's normal density,
    abs 1e-12.
    """
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ordinate = norm.pdf(norm.ppf(p))
        out = np.asarray(r_pb) * np.sqrt(p * (1.0 - p)) / ordinate
    return np.where((p > 0) & (p < 1), out, np.nan)


def alpha_if_deleted_from_moments(m: ItemMoments) -> np.ndarray:
    r"""KR-20 of the total with item j removed; NaN for items outside the total.

    .. math:: \alpha_{(-j)} = \frac{K-1}{K-2}\Bigl(1 - \frac{\sum_{i\ne j} p_i q_i}
              {\sigma^2_{X - x_j}}\Bigr),\quad
              \sigma^2_{X-x_j} = \sigma^2_X + p_j q_j - 2\,\mathrm{cov}(x_j, X)

    Tested against: R psych 2.2.9 ``alpha()$alpha.drop$raw_alpha``, abs 1e-10.
    """
    k_in = int(m.in_total.sum())
    out = np.full(m.p.shape, np.nan)
    if k_in <= 2:
        return out
    sum_var = float(m.var[m.in_total].sum())
    var_rest = m.dist.var + m.var - 2.0 * m.cov_total
    ok = m.in_total & _positive(var_rest, max(m.dist.var, 1.0))
    ratio = safe_div(sum_var - m.var, var_rest)
    out[ok] = (k_in - 1) / (k_in - 2) * (1.0 - ratio[ok])
    return out


def upper_lower_from_moments(m: ItemMoments, fraction: float = 0.27) -> np.ndarray:
    r"""Upper-lower discrimination index D with groups of ``fraction`` of the examinees.

    .. math:: D = p_U - p_L

    The upper (lower) group holds the ``fraction`` of total weight with the highest
    (lowest) total scores; examinees tied at a boundary score enter in proportion, so the
    groups have exactly ``fraction * N`` examinees (Kelley 1939; Crocker & Algina 1986,
    sec. 14.3, use 27%).

    Tested against: hand-computed cases with and without ties at the boundary, abs 1e-12.
    """
    freq = m.dist.freq
    total = m.dist.n
    if total <= 0:
        return np.full(m.p.shape, np.nan)
    size = fraction * total
    low = group_fractions(freq, np.array([0.0]), np.array([size]))[:, 0]
    high = group_fractions(freq, np.array([total - size]), np.array([total]))[:, 0]
    p_low = (low[:, None] * m.right).sum(axis=0) / size
    p_high = (high[:, None] * m.right).sum(axis=0) / size
    return p_high - p_low


def item_frame_from_moments(
    m: ItemMoments, item_ids: Sequence[str], *, upper_lower_fraction: float = 0.27
) -> pl.DataFrame:
    r_total, r_rest = correlations(m)
    return pl.DataFrame(
        {
            "item_id": list(item_ids),
            "n": np.round(m.n).astype(np.int64),
            "n_omitted": np.round(m.n_omitted).astype(np.int64),
            "p_value": m.p,
            "item_total_r": r_total,
            "item_rest_r": r_rest,
            "biserial": biserial_from_point_biserial(r_total, m.p),
            "alpha_if_deleted": alpha_if_deleted_from_moments(m),
            "upper_lower_d": upper_lower_from_moments(m, upper_lower_fraction),
        },
        schema=ITEM_COLUMNS,
        nan_to_null=False,
    )


def item_stats(
    scores: np.ndarray | pl.DataFrame,
    *,
    item_ids: Sequence[str] | None = None,
    weights: np.ndarray | Sequence[float] | None = None,
    in_total: Sequence[bool] | np.ndarray | None = None,
    omit: str = "incorrect",
    upper_lower_fraction: float = 0.27,
) -> pl.DataFrame:
    r"""Classical item statistics of a 0/1 score matrix.

    Parameters
    ----------
    scores
        ``(examinees, items)`` 0/1 scores; NaN (NumPy) or null (Polars) is an omitted
        response. A Polars frame's column names are the item ids.
    item_ids
        Item ids (default: the frame's columns, or ``item_1 ..``).
    weights
        Frequency weights (whole numbers; a row of weight 2 counts as two examinees).
    in_total
        Which items form the total score (default all). Items outside it (pretest items)
        are analysed against the total without being part of it: their ``item_rest_r``
        equals ``item_total_r`` (there is nothing to remove) and ``alpha_if_deleted`` is
        NaN (deleting them does not change the total).
    omit
        ``"incorrect"`` scores an omitted response 0 (operational scoring);
        ``"exclude"`` drops every examinee with an omitted response.
    upper_lower_fraction
        Size of the upper and lower groups of ``upper_lower_d`` (default 27%).

    Returns
    -------
    polars.DataFrame
        One row per item, in input order: ``item_id``; ``n`` examinees used;
        ``n_omitted`` omitted responses (scored 0 under ``incorrect``); ``p_value``
        proportion correct; ``item_total_r`` point-biserial with the total;
        ``item_rest_r`` point-biserial with the total without the item; ``biserial``;
        ``alpha_if_deleted``; ``upper_lower_d``. Undefined values (zero variance) are NaN.

    Notes
    -----
    With :math:`N=\sum_i w_i`, :math:`p_j = \sum_i w_i x_{ij}/N`, the total
    :math:`X_i=\sum_{j\in T} x_{ij}` and population moments,

    .. math::
        r_{jX} = \frac{\mathrm{cov}(x_j, X)}{\sqrt{p_j q_j\,\sigma^2_X}},\qquad
        r_{j(X-j)} = \frac{\mathrm{cov}(x_j, X) - p_j q_j}
                     {\sqrt{p_j q_j\,(\sigma^2_X + p_j q_j - 2\,\mathrm{cov}(x_j, X))}}

    (Crocker & Algina 1986, eqs. 14.1-14.3 for the point-biserial and its correction for
    item overlap; Henrysson 1963). The biserial is
    :func:`biserial_from_point_biserial` of ``item_total_r``.

    References
    ----------
    Crocker, L., & Algina, J. (1986). *Introduction to Classical and Modern Test Theory*,
    ch. 14. Kelley, T. L. (1939). The selection of upper and lower groups for the
    validation of test items. *J. Educ. Psychol.*, 30, 17-24.

    Tested against: R psych 2.2.9 ``alpha()`` (``raw.r``, ``r.drop``, ``mean``,
    ``alpha.drop``) on psychTools ``ability``, abs 1e-10; hand-computed 4x3 case, abs 1e-12.
    """
    matrix, missing, ids = score_matrix(scores, item_ids=item_ids)
    w = check_weights(weights, matrix.shape[0], "weights")
    mask = in_total_mask(matrix.shape[1], in_total, "in_total")
    matrix, missing, w, _ = apply_omit(matrix, missing, w, omit)
    m = _moments(matrix, missing, w, mask)
    return item_frame_from_moments(m, ids, upper_lower_fraction=upper_lower_fraction)


def _moments(
    matrix: np.ndarray, missing: np.ndarray, weights: np.ndarray | None, in_total: np.ndarray
) -> ItemMoments:
    if matrix.shape[1] == 0:
        raise DataError("scores: no item columns")
    total = number_correct(matrix, in_total)
    codes = np.where(missing, np.int8(-1), matrix).astype(np.int8)
    table = count_table(codes, total, n_codes=2, n_scores=int(in_total.sum()) + 1, weights=weights)[
        0
    ]
    key_index = np.full(matrix.shape[1], 2)
    return moments_from_table(table, key_index, in_total)


def item_moments(
    scores: np.ndarray | pl.DataFrame,
    *,
    weights: np.ndarray | Sequence[float] | None = None,
    in_total: Sequence[bool] | np.ndarray | None = None,
    omit: str = "incorrect",
) -> ItemMoments:
    """The :class:`ItemMoments` of a 0/1 score matrix (for the reliability functions)."""
    matrix, missing, _ = score_matrix(scores)
    w = check_weights(weights, matrix.shape[0], "weights")
    mask = in_total_mask(matrix.shape[1], in_total, "in_total")
    matrix, missing, w, _ = apply_omit(matrix, missing, w, omit)
    return _moments(matrix, missing, w, mask)
