"""Distractor (option) analysis: who chooses each option and how they score.

One row per item and option, plus one ``omit`` row per item. The quantile columns
``proportion_q1 .. proportion_qG`` give the share of each score group choosing the
option (G = 5: quintiles of the total score), the data of the classic quantile plot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from cehrs_items.analysis._common import check_omit, check_weights, item_names, safe_div, safe_sqrt
from cehrs_items.analysis._tables import count_table, group_fractions
from cehrs_items.analysis.classical import ScoreDistribution, biserial_from_point_biserial
from cehrs_items.analysis.flags import Thresholds
from cehrs_items.errors import DataError
from cehrs_items.responses import LETTERS
from cehrs_items.tables import table_columns

OMIT_LABEL = "omit"


def option_columns(score_groups: int) -> dict[str, pl.DataType]:
    """Columns and dtypes of the option table for ``score_groups`` quantile groups."""
    groups = [f"proportion_q{q}" for q in range(1, score_groups + 1)]
    return table_columns("option_stats", {"proportion_q<k>": groups})


def option_frame_from_table(
    table: np.ndarray,
    key_index: np.ndarray,
    n_options: np.ndarray,
    item_ids: Sequence[str],
    *,
    labels: Sequence[str] = LETTERS,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Option statistics from ``table[s, j, o]`` (o = 0 omit, o = c + 1 option code c)."""
    t = thresholds or Thresholds()
    groups = t.score_groups
    n_scores, k, width = table.shape
    dist = ScoreDistribution.from_freq(table[:, 0, :].sum(axis=1))
    total_w = dist.n
    counts = table.sum(axis=0)  # (k, width)
    proportion = safe_div(counts, np.full_like(counts, total_w))
    scores = np.arange(n_scores, dtype=np.float64)
    sum_scores = np.einsum("s,sjo->jo", scores, table)
    mean_choosers = safe_div(sum_scores, counts)
    if total_w > 0:
        cov = np.einsum("s,sjo->jo", dist.deviations, table) / total_w
    else:
        cov = np.full(counts.shape, np.nan)
    var_o = proportion * (1.0 - proportion)
    ok = (var_o > 0) & (dist.var > 0)
    pbis = np.where(ok, safe_div(cov, safe_sqrt(var_o * dist.var)), np.nan)
    pbis = np.clip(pbis, -1.0, 1.0)
    if total_w > 0:
        edges = np.arange(groups + 1, dtype=np.float64) * total_w / groups
        frac = group_fractions(dist.freq, edges[:-1], edges[1:])  # (S, G)
        by_group = np.einsum("sq,sjo->qjo", frac, table) / (total_w / groups)
    else:
        by_group = np.full((groups, k, width), np.nan)

    rows_item: list[str] = []
    rows_option: list[str] = []
    rows_o: list[int] = []
    rows_j: list[int] = []
    for j, item in enumerate(item_ids):
        for o in [0, *range(1, int(n_options[j]) + 1)]:
            rows_item.append(item)
            rows_option.append(OMIT_LABEL if o == 0 else labels[o - 1])
            rows_j.append(j)
            rows_o.append(o)
    jj = np.asarray(rows_j, dtype=np.int64)
    oo = np.asarray(rows_o, dtype=np.int64)
    is_key = oo == key_index[jj]
    distractor = (oo > 0) & ~is_key
    prop = proportion[jj, oo]
    pb = pbis[jj, oo]
    flags = []
    for d, pr, r in zip(distractor, prop, pb, strict=True):
        found = []
        if d and not np.isnan(r) and r > t.distractor_pb_max:
            found.append("distractor_positive_pb")
        if d and not np.isnan(pr) and pr < t.distractor_min_proportion:
            found.append("distractor_rarely_chosen")
        flags.append(";".join(found))
    data: dict[str, object] = {
        "item_id": rows_item,
        "option": rows_option,
        "is_key": is_key,
        "n": np.round(counts[jj, oo]).astype(np.int64),
        "proportion": prop,
        "point_biserial": pb,
        # Option biserial (Iteman's "Rbis" per option): the point-biserial of choosing the
        # option against the total, corrected to the latent-normal metric.
        "biserial": biserial_from_point_biserial(pb, prop),
        "mean_score_of_choosers": mean_choosers[jj, oo],
    }
    for q in range(groups):
        data[f"proportion_q{q + 1}"] = by_group[q][jj, oo]
    data["flags"] = flags
    frame = pl.DataFrame(data, schema=option_columns(groups), nan_to_null=False)
    return frame.sort(["item_id", "option"], maintain_order=True)


def _codes_matrix(
    codes: np.ndarray | pl.DataFrame, labels: Sequence[str], where: str
) -> tuple[np.ndarray, list[str] | None]:
    if isinstance(codes, pl.DataFrame):
        mapping = {label: i for i, label in enumerate(labels)}
        columns = codes.columns
        try:
            coded = codes.select(
                [
                    pl.col(c)
                    .cast(pl.String)
                    .str.strip_chars()
                    .str.to_uppercase()
                    .replace_strict(mapping, default=None, return_dtype=pl.Int8)
                    .alias(c)
                    for c in columns
                ]
            )
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"{where}: cannot read option letters ({exc})") from exc
        raw = codes.select(pl.all().cast(pl.String).str.strip_chars())
        bad = (
            coded.select(pl.all().is_null()).to_numpy()
            & ~raw.select(pl.all().is_null() | (pl.all() == "")).to_numpy()
        )
        if bad.any():
            row, col = (int(v) for v in np.argwhere(bad)[0])
            raise DataError(
                f"{where}: row {row + 1}, column {columns[col]}: response "
                f"{raw[row, col]!r} is not one of {', '.join(labels)} or empty"
            )
        return coded.fill_null(-1).to_numpy().astype(np.int8), list(columns)
    matrix = np.asarray(codes)
    if matrix.ndim != 2:
        raise DataError(f"{where}: expected a 2-D matrix (examinees x items)")
    if not np.issubdtype(matrix.dtype, np.integer):
        raise DataError(f"{where}: option codes must be integers (-1 = omitted)")
    bad = (matrix < -1) | (matrix >= len(labels))
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"{where}: row {row + 1}, column {col + 1}: option code {matrix[row, col]} is not "
            f"in -1 .. {len(labels) - 1}"
        )
    return matrix.astype(np.int8), None


def option_stats(
    codes: np.ndarray | pl.DataFrame,
    *,
    key: Sequence[str | int],
    item_ids: Sequence[str] | None = None,
    total: np.ndarray | Sequence[int] | None = None,
    weights: np.ndarray | Sequence[float] | None = None,
    n_options: int | Sequence[int] | None = None,
    labels: Sequence[str] = LETTERS,
    omit: str = "incorrect",
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    r"""Option (distractor) statistics.

    Parameters
    ----------
    codes
        ``(examinees, items)`` chosen options: integer codes (``-1`` omitted, ``0`` the
        first label) or a Polars frame of letters (null/empty = omitted).
    key
        The keyed option of each item, as a label (``"B"``) or a code (``1``).
    item_ids
        Item ids (default: the frame's columns, or ``item_1 ..``).
    total
        The score each option is correlated with (non-negative integers); default the
        number-correct score over these items.
    weights
        Frequency weights.
    n_options
        Options per item (one number for all, or one per item); default each item's
        highest code chosen or keyed, plus one. An option nobody chose gets a row with
        ``n = 0`` (and is flagged ``distractor_rarely_chosen``) only if it is within
        ``n_options``.
    labels
        Option labels by code (default ``A``-``E``).
    omit
        ``"incorrect"`` keeps examinees with omitted responses (their omits get the
        ``omit`` row); ``"exclude"`` drops them.
    thresholds
        Flag thresholds (``distractor_pb_max``, ``distractor_min_proportion``,
        ``score_groups``).

    Returns
    -------
    polars.DataFrame
        Sorted by ``item_id``, ``option``: ``item_id``; ``option`` (label, or ``omit``);
        ``is_key``; ``n`` choosers; ``proportion`` of all examinees; ``point_biserial``
        of choosing the option with the total; ``biserial`` (option biserial, below);
        ``mean_score_of_choosers``;
        ``proportion_q1 .. proportion_qG`` share of each score group (lowest first)
        choosing the option; ``flags`` (``distractor_positive_pb``,
        ``distractor_rarely_chosen`` for distractors).

    Notes
    -----
    For the indicator :math:`d_{ijo}` of examinee i choosing option o of item j,

    .. math::
        p_{jo} = \frac{\sum_i w_i d_{ijo}}{N},\qquad
        r_{jo} = \frac{\mathrm{cov}(d_{jo}, X)}{\sqrt{p_{jo}(1-p_{jo})\,\sigma^2_X}}

    (the point-biserial of the option, Crocker & Algina 1986, sec. 14.5; Haladyna &
    Rodriguez 2013, ch. 10 on distractor evaluation). The option biserial, as Iteman
    reports per option, is
    :math:`r_{bis,jo} = r_{jo}\sqrt{p_{jo}(1-p_{jo})}/\varphi(\Phi^{-1}(p_{jo}))` (Crocker &
    Algina 1986, eq. 14.4), NaN for an option nobody or everybody chose. Score groups hold equal shares of
    the total weight; examinees tied at a group boundary enter each group in proportion.

    Tested against: R psych 2.2.9 ``response.frequencies()`` (proportions) and base R
    ``cor()`` (option point-biserials) on the psychTools ``iqitems`` complete cases, abs
    1e-10; hand-computed 5x2 case, abs 1e-12; option biserial against the item biserial
    of the key (same formula on the key's indicator), abs 1e-12.
    """
    check_omit(omit)
    matrix, columns = _codes_matrix(codes, labels, "codes")
    n, k = matrix.shape
    ids = item_names(k, item_ids or columns, "codes")
    if len(key) != k:
        raise DataError(f"key: {len(key)} entries for {k} items")
    key_codes = np.empty(k, dtype=np.int64)
    for j, entry in enumerate(key):
        if isinstance(entry, str):
            if entry not in labels:
                raise DataError(f"key: item {ids[j]}: {entry!r} is not one of {', '.join(labels)}")
            key_codes[j] = labels.index(entry)
        else:
            key_codes[j] = int(entry)
            if not 0 <= key_codes[j] < len(labels):
                raise DataError(f"key: item {ids[j]}: code {entry} out of range")
    w = check_weights(weights, n, "weights")
    keep = np.ones(n, dtype=bool)
    if omit == "exclude":
        keep = ~(matrix < 0).any(axis=1)
    if total is None:
        score = (matrix == key_codes[None, :]).sum(axis=1, dtype=np.int64)
    else:
        score = np.asarray(total)
        if score.shape != (n,) or not np.issubdtype(score.dtype, np.integer) or (score < 0).any():
            raise DataError("total: need one non-negative integer score per examinee")
        score = score.astype(np.int64)
    matrix, score = matrix[keep], score[keep]
    if w is not None:
        w = w[keep]
    if n_options is None:
        highest = matrix.max(axis=0) if matrix.shape[0] else np.full(k, -1)
        per_item = np.maximum(highest, key_codes) + 1
    elif isinstance(n_options, int):
        per_item = np.full(k, n_options)
    else:
        per_item = np.asarray(list(n_options), dtype=np.int64)
        if per_item.shape != (k,):
            raise DataError(f"n_options: {per_item.shape[0]} entries for {k} items")
    if (per_item > len(labels)).any() or (per_item <= key_codes).any():
        raise DataError(f"n_options: must cover the key and be at most {len(labels)}")
    if matrix.shape[0]:
        beyond = matrix.max(axis=0) >= per_item
        if beyond.any():
            j = int(np.argmax(beyond))
            raise DataError(
                f"codes: item {ids[j]} has option code {int(matrix[:, j].max())} beyond its "
                f"{int(per_item[j])} options"
            )
    n_scores = int(score.max()) + 1 if score.shape[0] else 1
    table = count_table(matrix, score, n_codes=len(labels), n_scores=n_scores, weights=w)[0]
    return option_frame_from_table(
        table, key_codes + 1, per_item, ids, labels=labels, thresholds=thresholds
    )
