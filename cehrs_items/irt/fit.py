"""Item fit: the S-X2 statistic of Orlando & Thissen (2000), via Lord-Wingersky.

For item i and summed score k (1 .. J-1), the model-implied proportion correct is

.. math::

    E_{ik} = \\frac{\\int P_i(\\theta)\\, S^{(-i)}_{k-1}(\\theta)\\, g(\\theta)\\,d\\theta}
                   {\\int S_k(\\theta)\\, g(\\theta)\\,d\\theta}

where :math:`S_k(\\theta)` is the probability of summed score k (Lord & Wingersky 1984
recursion) and :math:`S^{(-i)}` the same without item i; ``g`` is the calibration's
ability distribution, integrated on its quadrature. With :math:`N_k` examinees at score
k and :math:`O_{ik}` their observed proportion correct,

.. math:: S\\text{-}X^2_i = \\sum_k N_k \\frac{(O_{ik} - E_{ik})^2}{E_{ik}(1 - E_{ik})}

after adjacent score groups are merged, from the low end upwards, until each group's
expected numbers right and wrong are at least ``min_expected`` (default 1, as Orlando &
Thissen); a short remainder at the top joins the last group. Degrees of freedom: groups
minus the item's estimated parameters (1 Rasch, 2 2PL, 3 3PL; 0 for a fixed anchor
item). Only examinees who answered every item enter (summed scores need complete data).

Tested against: direct enumeration of all 2^J response patterns for J = 6 (E_ik, abs
1e-12), and the null distribution on data simulated from the model (mean p-value near
0.5, rejection rate at .05 near 5%).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import chi2

from cehrs_items.irt.models import lord_wingersky


def leave_one_out_distributions(p: np.ndarray) -> np.ndarray:
    """Summed-score distributions without each item: (items x nodes x items), score 0..J-1.

    Each item is removed from the full distribution by undoing its step of the
    recursion, in the direction that does not amplify rounding:

    .. math::

        T_k = (S_k - p\\,T_{k-1}) / (1 - p) \\quad (p \\le 1/2, \\text{upwards}),\\qquad
        T_{k-1} = (S_k - (1 - p)\\,T_k) / p \\quad (p > 1/2, \\text{downwards})

    (the factor applied to the previous error is below one either way), so the cost is
    O(J^2 Q) instead of O(J^3 Q).

    Tested against: the recursion rerun without each item, p in [0.001, 0.999], abs 1e-12.
    """
    q_n, n_items = p.shape
    full = lord_wingersky(p)  # Q x (J+1)
    pt = p.T  # J x Q
    up = np.zeros((n_items, q_n, n_items))
    down = np.zeros((n_items, q_n, n_items))
    one_minus = 1.0 - pt
    # The branch not used for an item/node may divide by 0 or overflow (p near 0 or 1); np.where
    # discards it.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        up[:, :, 0] = full[None, :, 0] / one_minus
        for k in range(1, n_items):
            up[:, :, k] = (full[None, :, k] - pt * up[:, :, k - 1]) / one_minus
        down[:, :, n_items - 1] = full[None, :, n_items] / pt
        for k in range(n_items - 1, 0, -1):
            down[:, :, k - 1] = (full[None, :, k] - one_minus * down[:, :, k]) / pt
    use_up = (pt <= 0.5)[:, :, None]
    return np.clip(np.where(use_up, up, down), 0.0, None)


def expected_proportions(p: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E_ik (items x scores 0..J) and the marginal score probabilities (J+1,)."""
    full = lord_wingersky(p)
    marg = weights @ full
    loo = leave_one_out_distributions(p)
    n_items = p.shape[1]
    num = np.zeros((n_items, n_items + 1))
    # sum_q w_q P_i(q) S^{-i}_{k-1}(q)
    num[:, 1:] = np.einsum("qi,iqk->ik", weights[:, None] * p, loo, optimize=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = num / marg[None, :]
    return e, marg


def _collapse(n_k: np.ndarray, o_k: np.ndarray, e_k: np.ndarray, min_expected: float):
    groups = []
    acc_n = acc_o = acc_e = 0.0
    for nk, ok, ek in zip(n_k, o_k, e_k, strict=True):
        acc_n += nk
        acc_o += ok
        acc_e += ek
        if acc_e >= min_expected and acc_n - acc_e >= min_expected:
            groups.append([acc_n, acc_o, acc_e])
            acc_n = acc_o = acc_e = 0.0
    if acc_n > 0:
        if groups:
            groups[-1][0] += acc_n
            groups[-1][1] += acc_o
            groups[-1][2] += acc_e
        else:
            groups.append([acc_n, acc_o, acc_e])
    return np.array(groups)


def sx2(
    scores: np.ndarray,
    probabilities: np.ndarray,
    quad_weights: np.ndarray,
    *,
    item_ids: list[str],
    n_params: list[int],
    weights: np.ndarray | None = None,
    min_expected: float = 1.0,
) -> pl.DataFrame:
    """S-X2 item fit for complete 0/1 data.

    Parameters
    ----------
    scores : (examinees, items) 0/1, complete cases only.
    probabilities : (nodes, items) P_j at the quadrature nodes of the ability distribution.
    quad_weights : (nodes,) weights summing to one.
    item_ids, n_params : item ids and the number of estimated parameters of each.
    weights : frequency weights of the examinees.
    min_expected : minimum expected count right and wrong in a score group.

    Returns
    -------
    polars.DataFrame
        item_id, sx2, sx2_df, sx2_p (NaN when df < 1 or there are fewer than two
        examinees; the ``warnings`` of the calibration say so), sx2_groups.

    Notes
    -----
    See the module docstring for :math:`S\\text{-}X^2`. References: Orlando & Thissen
    (2000), Applied Psychological Measurement 24, 50-64; Lord & Wingersky (1984).

    Tested against: enumeration of all patterns (E_ik abs 1e-12) and the simulated null
    distribution (see ``tests/unit/irt/test_fit.py``).
    """
    w = np.ones(scores.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    n_k, o_counts = score_group_counts(np.asarray(scores), w)
    return sx2_from_counts(
        n_k,
        o_counts,
        probabilities,
        quad_weights,
        item_ids=item_ids,
        n_params=n_params,
        min_expected=min_expected,
    )


def score_group_counts(scores: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weight of examinees at each summed score (J+1,) and, per item, of those of them
    who got it right (J x (J+1)), for complete 0/1 rows. Sums over any split of the rows
    add up to those of the whole."""
    n_items = scores.shape[1]
    raw = scores.sum(1, dtype=np.int64)
    n_k = np.bincount(raw, weights=weights, minlength=n_items + 1)
    rows, cols = np.nonzero(scores)
    o_counts = np.bincount(
        cols * (n_items + 1) + raw[rows], weights=weights[rows], minlength=n_items * (n_items + 1)
    ).reshape(n_items, n_items + 1)
    return n_k, o_counts


def sx2_from_counts(
    n_k: np.ndarray,
    o_counts: np.ndarray,
    probabilities: np.ndarray,
    quad_weights: np.ndarray,
    *,
    item_ids: list[str],
    n_params: list[int],
    min_expected: float = 1.0,
) -> pl.DataFrame:
    """:func:`sx2` from the score-group counts of :func:`score_group_counts` (summed over
    chunks of examinees or of weighted response patterns)."""
    n_items = o_counts.shape[0]
    e, _ = expected_proportions(probabilities, quad_weights)
    rows = []
    for j, item in enumerate(item_ids):
        ks = slice(1, n_items)  # scores 1 .. J-1 carry information
        grp = _collapse(n_k[ks], o_counts[j, ks], e[j, ks] * n_k[ks], min_expected)
        stat = df = p_val = float("nan")
        n_groups = 0
        if grp.size and n_k.sum() >= 2:
            grp = grp[grp[:, 0] > 0]
            n_groups = int(grp.shape[0])
            ng, og, eg = grp[:, 0], grp[:, 1], grp[:, 2]
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = (og - eg) ** 2 * ng / (eg * (ng - eg))
            stat = float(np.nansum(terms))
            df = n_groups - n_params[j]
            p_val = float(chi2.sf(stat, df)) if df >= 1 else float("nan")
            if df < 1:
                df = float(df)
        rows.append((item, stat, float(df), p_val, n_groups))
    return pl.DataFrame(
        rows,
        schema={
            "item_id": pl.String,
            "sx2": pl.Float64,
            "sx2_df": pl.Float64,
            "sx2_p": pl.Float64,
            "sx2_groups": pl.Int64,
        },
        orient="row",
    )
