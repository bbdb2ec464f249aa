"""Inter-judge agreement: intraclass correlations of an items x judges rating matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cehrs_items.errors import DataError


@dataclass(frozen=True)
class Icc:
    """Intraclass correlations (Shrout & Fleiss 1979) with the two-way ANOVA mean squares.

    ``icc2_1``/``icc2_k``: two-way random effects, absolute agreement, one judge / the
    mean of ``k`` judges (ICC(2,1), ICC(2,k)). ``icc3_1``/``icc3_k``: two-way mixed,
    consistency (ICC(3,1), ICC(3,k)). ``None`` where a denominator is zero (e.g. every
    rating equal).
    """

    n_items: int
    n_judges: int
    ms_items: float
    ms_judges: float
    ms_error: float
    icc2_1: float | None
    icc2_k: float | None
    icc3_1: float | None
    icc3_k: float | None


def _ratio(num: float, den: float) -> float | None:
    return None if abs(den) < 1e-15 else float(num / den)


def icc(ratings: np.ndarray) -> Icc:
    r"""Shrout-Fleiss intraclass correlations of ``ratings`` (items in rows, judges in columns).

    Items are the targets and judges the raters. From the two-way ANOVA without
    replication, with :math:`n` items, :math:`k` judges, :math:`MS_R` (items),
    :math:`MS_C` (judges) and :math:`MS_E` (residual):

    .. math::

        ICC(2,1) = \frac{MS_R - MS_E}{MS_R + (k-1) MS_E + k (MS_C - MS_E) / n}, \qquad
        ICC(2,k) = \frac{MS_R - MS_E}{MS_R + (MS_C - MS_E) / n}

        ICC(3,1) = \frac{MS_R - MS_E}{MS_R + (k-1) MS_E}, \qquad
        ICC(3,k) = \frac{MS_R - MS_E}{MS_R}

    ICC(2,·) treats the judges as a random sample of possible judges and counts their
    differences in level (a lenient judge) as disagreement: it is the agreement of the
    panel's cut. ICC(3,·) ignores level and measures whether judges order the items
    alike.

    Parameters
    ----------
    ratings : ndarray, shape (n_items, n_judges)
        Complete ratings (no missing values), at least 2 x 2.

    Returns
    -------
    Icc
        The four coefficients (``None`` when a denominator is zero) and the mean squares.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing
    rater reliability. *Psychological Bulletin*, 86(2), 420-428 (the ANOVA mean squares and the ICC(2,·), ICC(3,·) formulas).

    Tested against: Shrout & Fleiss (1979) Table 2 example (6 targets x 4 judges:
    ICC(2,1) = .29, ICC(3,1) = .71, ICC(2,4) = .62, ICC(3,4) = .91; abs 5e-3 at the
    published two decimals) and ``pingouin.intraclass_corr`` 0.7.0 on simulated panels
    (``tests/reference/pingouin_icc``; abs 1e-10).
    """
    x = np.asarray(ratings, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise DataError(f"ICC needs at least 2 items and 2 judges (got shape {x.shape})")
    if not np.all(np.isfinite(x)):
        raise DataError("ICC needs complete ratings (a value is missing or not finite)")
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * np.sum((x.mean(axis=1) - grand) ** 2)
    ss_cols = n * np.sum((x.mean(axis=0) - grand) ** 2)
    ss_total = np.sum((x - grand) ** 2)
    ss_err = max(ss_total - ss_rows - ss_cols, 0.0)
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    return Icc(
        n_items=n,
        n_judges=k,
        ms_items=float(msr),
        ms_judges=float(msc),
        ms_error=float(mse),
        icc2_1=_ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n),
        icc2_k=_ratio(msr - mse, msr + (msc - mse) / n),
        icc3_1=_ratio(msr - mse, msr + (k - 1) * mse),
        icc3_k=_ratio(msr - mse, msr),
    )
