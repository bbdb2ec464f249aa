"""Differential item functioning: Mantel-Haenszel with the ETS A/B/C rule, and STD P-DIF.

Examinees are matched on a number-correct score (thin matching: one stratum per score).
The studied item is always part of the matching score (Holland & Thayer 1988): for an
item outside the total (a pretest item, or an item removed by purification) the item's
own score is added to the total for that item's analysis. Strata without reference or
without focal examinees carry no information about the odds ratio and drop out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.stats import chi2

from cehrs_items.analysis._common import apply_omit, check_weights, safe_div, score_matrix
from cehrs_items.analysis._tables import count_table, number_correct
from cehrs_items.errors import DataError, InputError
from cehrs_items.tables import table_schema

DELTA_SCALE = 2.35
"""MH D-DIF = -2.35 ln(alpha_MH): the ETS delta metric (Holland & Thayer 1988)."""
ETS_SMALL = 1.0
ETS_LARGE = 1.5
ETS_ALPHA = 0.05
ETS_Z_ONE_SIDED = 1.645
CI_Z = 1.959963984540054
"""Normal quantile of the two-sided 95% Wald interval ``delta_mh +/- CI_Z * se_delta_mh``."""

DIF_COLUMNS: dict[str, pl.DataType] = table_schema("dif")
"""Columns and dtypes of the DIF table (``dif.csv``)."""

REFERENCE, FOCAL, OTHER = 0, 1, 2


@dataclass(frozen=True)
class Strata:
    """2 x 2 x S tables per item, each ``(k, S)``: A/B reference right/wrong, C/D focal."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray


def strata_from_table(table: np.ndarray, key_index: np.ndarray, in_matching: np.ndarray) -> Strata:
    """2x2xS tables from ``table[g, s, j, o]`` (g = 0 reference, 1 focal).

    ``in_matching[j]`` says whether score group ``s`` already counts item j; where it does
    not, a right answer moves the examinee up one stratum (the studied item is added).
    """
    k = table.shape[2]
    right = table[:2][:, :, np.arange(k), key_index]  # (2, S, k)
    wrong = table[:2].sum(axis=-1) - right
    n_scores = right.shape[1]
    r = np.zeros((2, n_scores + 1, k))
    w = np.zeros((2, n_scores + 1, k))
    inside = np.asarray(in_matching, dtype=bool)
    r[:, :n_scores, inside] = right[:, :, inside]
    r[:, 1:, ~inside] = right[:, :, ~inside]
    w[:, :n_scores, :] = wrong
    return Strata(a=r[0].T.copy(), b=w[0].T.copy(), c=r[1].T.copy(), d=w[1].T.copy())


def ets_category(
    delta_mh: np.ndarray | Sequence[float],
    se_delta_mh: np.ndarray | Sequence[float],
    p_value: np.ndarray | Sequence[float],
) -> list[str | None]:
    r"""ETS DIF category A, B or C (None where the statistics are not finite).

    A if :math:`|D| < 1` or the MH chi-square is not significant at .05 (p >= .05);
    C if :math:`|D| \ge 1.5` and :math:`|D|` is significantly greater than 1, i.e.
    :math:`(|D| - 1)/SE(D) > 1.645` (one-sided, .05); B otherwise.
    (Zwick 2012 after Dorans & Holland 1993; size alone is not the rule.)

    Tested against: hand-made boundary cases (|D| = 0.99, 1.0, 1.49, 1.5 with and
    without significance), exact.
    """
    d = np.abs(np.asarray(delta_mh, dtype=np.float64))
    se = np.asarray(se_delta_mh, dtype=np.float64)
    p = np.asarray(p_value, dtype=np.float64)
    out: list[str | None] = []
    for dj, sj, pj in zip(d, se, p, strict=True):
        if not (np.isfinite(dj) and np.isfinite(pj)):
            out.append(None)
        elif dj < ETS_SMALL or pj >= ETS_ALPHA:
            out.append("A")
        elif not np.isfinite(sj) or sj <= 0:
            out.append(None)
        elif dj >= ETS_LARGE and (dj - ETS_SMALL) / sj > ETS_Z_ONE_SIDED:
            out.append("C")
        else:
            out.append("B")
    return out


def _direction(delta: np.ndarray) -> list[str | None]:
    out: list[str | None] = []
    for v in delta:
        if np.isnan(v):
            out.append(None)
        elif v < 0:
            out.append("favors_reference")
        elif v > 0:
            out.append("favors_focal")
        else:
            out.append("none")
    return out


def frame_from_strata(s: Strata, item_ids: Sequence[str]) -> pl.DataFrame:
    """The DIF table from per-item strata (see :func:`mantel_haenszel` for the formulas)."""
    n_ref = s.a + s.b
    n_foc = s.c + s.d
    use = (n_ref > 0) & (n_foc > 0)
    a, b, c, d = (np.where(use, x, 0.0) for x in (s.a, s.b, s.c, s.d))
    n_ref, n_foc = np.where(use, n_ref, 0.0), np.where(use, n_foc, 0.0)
    total = n_ref + n_foc
    m1, m0 = a + c, b + d
    t_safe = np.where(use, total, 1.0)
    r_s = a * d / t_safe
    s_s = b * c / t_safe
    big_r = r_s.sum(axis=1)
    big_s = s_s.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = big_r / big_s
        delta = -DELTA_SCALE * np.log(alpha)
        p_s = (a + d) / t_safe
        q_s = (b + c) / t_safe
        var_log = (
            (p_s * r_s).sum(axis=1) / (2.0 * big_r**2)
            + (p_s * s_s + q_s * r_s).sum(axis=1) / (2.0 * big_r * big_s)
            + (q_s * s_s).sum(axis=1) / (2.0 * big_s**2)
        )
        se = DELTA_SCALE * np.sqrt(var_log)
    expected = n_ref * m1 / t_safe
    t_minus = np.where(use, total - 1.0, 1.0)
    variance = n_ref * n_foc * m1 * m0 / (t_safe**2 * t_minus)
    diff = (a - expected).sum(axis=1)
    var_sum = variance.sum(axis=1)
    yates = np.minimum(0.5, np.abs(diff))
    chi = safe_div((np.abs(diff) - yates) ** 2, var_sum)
    p_value = np.where(np.isnan(chi), np.nan, chi2.sf(np.nan_to_num(chi), 1))
    estimable = (big_r > 0) & (big_s > 0) & (var_sum > 0)
    alpha = np.where((big_r > 0) | (big_s > 0), alpha, np.nan)
    delta = np.where(np.isnan(alpha), np.nan, delta) + 0.0  # no negative zero
    se = np.where(estimable, se, np.nan)
    focal_total = n_foc.sum(axis=1)
    p_f = safe_div(c, n_foc)
    p_r = safe_div(a, n_ref)
    std = safe_div(
        np.where(use, n_foc * (np.nan_to_num(p_f) - np.nan_to_num(p_r)), 0.0).sum(axis=1),
        focal_total,
    )
    return pl.DataFrame(
        {
            "item_id": list(item_ids),
            "n_reference": np.round(n_ref.sum(axis=1)).astype(np.int64),
            "n_focal": np.round(focal_total).astype(np.int64),
            "n_strata": use.sum(axis=1).astype(np.int64),
            "alpha_mh": alpha,
            "delta_mh": delta,
            "se_delta_mh": se,
            "delta_mh_ci_low": delta - CI_Z * se,
            "delta_mh_ci_high": delta + CI_Z * se,
            "chi_square_mh": chi,
            "p_value": p_value,
            "ets_category": ets_category(delta, se, p_value),
            "direction": _direction(delta),
            "std_p_dif": std,
        },
        schema=DIF_COLUMNS,
        nan_to_null=False,
    )


def group_index(
    group: Sequence[object] | np.ndarray | pl.Series, reference: object, focal: object, where: str
) -> np.ndarray:
    """0 for reference, 1 for focal, 2 for anyone else (compared as text)."""
    series = group if isinstance(group, pl.Series) else pl.Series("group", list(group))
    text = series.cast(pl.String)
    ref, foc = str(reference), str(focal)
    if ref == foc:
        raise InputError(f"{where}: reference and focal group are both {ref!r}")
    idx = np.full(len(text), OTHER, dtype=np.int8)
    idx[(text == ref).fill_null(False).to_numpy()] = REFERENCE
    idx[(text == foc).fill_null(False).to_numpy()] = FOCAL
    found = sorted({v for v in text.unique().to_list() if v is not None})
    for label, code in ((ref, REFERENCE), (foc, FOCAL)):
        if not (idx == code).any():
            shown = ", ".join(found[:8]) + (" ..." if len(found) > 8 else "")
            raise DataError(f"{where}: no examinee has group value {label!r} (found: {shown})")
    return idx


def mantel_haenszel(
    scores: np.ndarray | pl.DataFrame,
    group: Sequence[object] | np.ndarray | pl.Series,
    *,
    reference: object,
    focal: object,
    item_ids: Sequence[str] | None = None,
    weights: np.ndarray | Sequence[float] | None = None,
    matching: np.ndarray | Sequence[int] | None = None,
    matching_includes: Sequence[bool] | np.ndarray | None = None,
    omit: str = "incorrect",
    purify: bool = False,
    purify_categories: str = "BC",
) -> pl.DataFrame:
    r"""Mantel-Haenszel DIF statistics, ETS categories and STD P-DIF for every item.

    Parameters
    ----------
    scores
        ``(examinees, items)`` 0/1 scores (missing = omitted).
    group
        Each examinee's group; rows in neither ``reference`` nor ``focal`` are left out.
    reference, focal
        The two group values compared (compared as text).
    item_ids
        Item ids (default: the frame's columns, or ``item_1 ..``).
    weights
        Frequency weights.
    matching
        Matching score per examinee (non-negative integers); default the number-correct
        total over all items.
    matching_includes
        For a given ``matching``: which items it already counts (default none); the
        studied item's score is added for the others. Ignored when ``matching`` is None.
    omit
        ``"incorrect"`` scores omits 0; ``"exclude"`` drops incomplete rows.
    purify
        Two-stage matching (Holland & Thayer 1988): items whose stage-one category is in
        ``purify_categories`` are removed from the matching total, and every item is
        analysed again (the studied item always stays in its own matching score). Only
        used with the default ``matching``.
    purify_categories
        ETS categories treated as DIF items at stage one (default ``"BC"``).

    Returns
    -------
    polars.DataFrame
        One row per item in input order: ``item_id``, ``n_reference``, ``n_focal``
        (examinees in the strata used), ``n_strata``, ``alpha_mh``, ``delta_mh``,
        ``se_delta_mh``, ``delta_mh_ci_low`` and ``delta_mh_ci_high`` (95% Wald
        interval), ``chi_square_mh``, ``p_value`` (of the chi-square),
        ``ets_category`` (A/B/C, null if not estimable), ``direction``
        (``favors_reference`` when delta_mh < 0, ``favors_focal`` when > 0),
        ``std_p_dif``.

    Notes
    -----
    In stratum s, :math:`A_s, B_s` are reference right/wrong, :math:`C_s, D_s` focal
    right/wrong, :math:`T_s` the stratum size, :math:`n_{Rs}, n_{Fs}, m_{1s}, m_{0s}` the
    margins. Only strata with :math:`n_{Rs}>0` and :math:`n_{Fs}>0` are used.

    .. math::
        \hat\alpha_{MH} = \frac{\sum_s A_s D_s / T_s}{\sum_s B_s C_s / T_s},\qquad
        D_{MH} = -2.35 \ln \hat\alpha_{MH}

    .. math::
        \chi^2_{MH} = \frac{\bigl(|\sum_s A_s - \sum_s E(A_s)| - c\bigr)^2}
                           {\sum_s \mathrm{Var}(A_s)},\quad
        E(A_s) = \frac{n_{Rs} m_{1s}}{T_s},\quad
        \mathrm{Var}(A_s) = \frac{n_{Rs} n_{Fs} m_{1s} m_{0s}}{T_s^2 (T_s - 1)}

    with continuity correction :math:`c = \min(0.5, |\sum_s A_s - E(A_s)|)` (Holland &
    Thayer 1988 use 0.5; the minimum, as in R ``mantelhaen.test``, keeps a zero
    difference at zero), referred to :math:`\chi^2_1`. The standard error of
    :math:`D_{MH}` is :math:`2.35\sqrt{\mathrm{Var}(\ln\hat\alpha_{MH})}` with the
    Robins-Breslow-Greenland variance (Phillips & Holland 1987):

    .. math::
        \mathrm{Var}(\ln\hat\alpha) = \frac{\sum P_s R_s}{2R^2}
          + \frac{\sum (P_s S_s + Q_s R_s)}{2RS} + \frac{\sum Q_s S_s}{2S^2}

    where :math:`R_s = A_sD_s/T_s`, :math:`S_s = B_sC_s/T_s`, :math:`P_s=(A_s+D_s)/T_s`,
    :math:`Q_s=(B_s+C_s)/T_s`, :math:`R=\sum R_s`, :math:`S=\sum S_s`. The 95% interval
    is :math:`D_{MH} \pm 1.96\,SE(D_{MH})`, the Robins-Breslow-Greenland interval of
    :math:`\ln\hat\alpha_{MH}` carried to the delta metric. STD P-DIF
    (Dorans & Kulick 1986) weights by the focal group:
    :math:`\sum_s n_{Fs}(C_s/n_{Fs} - A_s/n_{Rs}) / \sum_s n_{Fs}`.
    When :math:`R` or :math:`S` is zero (or the chi-square variance is zero) the odds
    ratio is 0, infinite or undefined, ``se_delta_mh`` is NaN and ``ets_category`` null.

    References
    ----------
    Holland, P. W., & Thayer, D. T. (1988). Differential item performance and the
    Mantel-Haenszel procedure. In H. Wainer & H. Braun (Eds.), *Test Validity*
    (pp. 129-145). Phillips, A., & Holland, P. W. (1987). Estimators of the variance of
    the Mantel-Haenszel log-odds-ratio estimate. *Biometrics*, 43, 425-431.
    Dorans, N. J., & Kulick, E. (1986). *J. Educ. Meas.*, 23, 355-368. Zwick, R. (2012).
    ETS RR-12-08.

    Tested against: R 4.2.2 ``stats::mantelhaen.test`` (statistic, p-value, estimate,
    RGB confidence interval, also as ``delta_mh_ci_low/high``) on psych ``bfi`` items dichotomised, and on Agresti's
    penicillin/rabbits example, abs 1e-9; STD P-DIF by base R, abs 1e-12.
    """
    matrix, missing, ids = score_matrix(scores, item_ids=item_ids)
    n, k = matrix.shape
    w = check_weights(weights, n, "weights")
    gidx = group_index(group, reference, focal, "group")
    if len(gidx) != n:
        raise DataError(f"group: {len(gidx)} values for {n} examinees")
    if matching is not None:
        match = np.asarray(matching)
        if match.shape != (n,) or not np.issubdtype(match.dtype, np.integer) or (match < 0).any():
            raise DataError("matching: need one non-negative integer score per examinee")
        includes = (
            np.zeros(k, dtype=bool)
            if matching_includes is None
            else np.asarray(matching_includes, dtype=bool)
        )
        if includes.shape != (k,):
            raise DataError(f"matching_includes: {includes.shape[0]} entries for {k} items")
    matrix, missing, w, keep = apply_omit(matrix, missing, w, omit)
    gidx = gidx[keep]
    if matching is None:
        in_total = np.ones(k, dtype=bool)
        frame = dif_from_scores(matrix, gidx, w, in_total, ids)
        if purify:
            flagged = _flagged(frame, purify_categories)
            frame = dif_from_scores(matrix, gidx, w, in_total & ~flagged, ids)
        return frame
    match = match[keep].astype(np.int64)
    table = count_table(
        matrix,
        match,
        n_codes=2,
        n_scores=int(match.max()) + 1 if len(match) else 1,
        weights=w,
        group=gidx,
        n_groups=3,
    )
    return frame_from_strata(strata_from_table(table, np.full(k, 2), includes), ids)


def _flagged(frame: pl.DataFrame, categories: str) -> np.ndarray:
    cats = frame.get_column("ets_category").to_list()
    return np.array([c is not None and c in categories for c in cats], dtype=bool)


def dif_from_scores(
    matrix: np.ndarray,
    gidx: np.ndarray,
    weights: np.ndarray | None,
    in_matching: np.ndarray,
    item_ids: Sequence[str],
) -> pl.DataFrame:
    """DIF with the matching total over ``in_matching`` items (studied item always added)."""
    total = number_correct(matrix, in_matching)
    table = count_table(
        matrix,
        total,
        n_codes=2,
        n_scores=int(in_matching.sum()) + 1,
        weights=weights,
        group=gidx,
        n_groups=3,
    )
    return frame_from_strata(
        strata_from_table(table, np.full(matrix.shape[1], 2), in_matching), item_ids
    )
