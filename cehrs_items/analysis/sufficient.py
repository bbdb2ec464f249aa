"""Mergeable sufficient statistics of ``analyze``: one kernel per row chunk, summed after.

Every table ``analyze`` writes is a function of a few arrays of weighted counts that add
up over any split of the examinees into row chunks. :func:`count_chunk` computes them
for one chunk (a :class:`~cehrs_items.responses.CodedResponses`), :meth:`AnalysisCounts.merge`
adds two results, and the statistics are derived once from the merged counts. Because
every entry is a weighted count of whole examinees (a sum of whole-number frequency
weights, exact in float64 up to 2**53), the merged arrays do not depend on how the rows
were chunked or in which order the chunks were merged: the chunked, in-memory and Dask
paths give bit-identical tables.

What the arrays hold, and what derives from them
------------------------------------------------
``table[g, s, j, o]``
    Weighted number of examinees in DIF group ``g`` (0 reference, 1 focal, 2 other; one
    group without DIF) with scored total ``s`` (0 .. number of scored items; the total
    over ``plan.in_total``) choosing option code ``o - 1`` on item ``j`` (``o = 0``:
    omitted). For 0/1 data the "options" are the scores 0 and 1.

    Derived from it: p-values, item-total / item-rest / biserial correlations,
    alpha-if-deleted, upper-lower D, the score distribution and its moments, KR-20, KR-21
    and SEM (:func:`~cehrs_items.analysis.classical.moments_from_table`); the option
    table with point-biserials, choosers' means and quantile proportions
    (:func:`~cehrs_items.analysis.options.option_frame_from_table`); the decision
    statistics at a cut (from the score distribution); and the Mantel-Haenszel 2 x 2 x S
    strata (:func:`~cehrs_items.analysis.dif.strata_from_table`).

    **Hooks.** An option biserial is the option point-biserial rescaled by the option's
    proportion, all from ``table.sum(axis=0)`` exactly as the point-biserial is. A
    confidence interval for MH delta needs only the strata (``se_delta_mh`` already
    comes from them). Logistic-regression DIF (Swaminathan & Rogers 1990) on the
    scored total is a binomial GLM whose data are grouped by (group, total): the
    successes are ``table[g, s, j, key_index[j]]`` and the trials
    ``table[g, s, j, :].sum()``, so a batched Newton fit on these counts (``S x 2``
    cells per item) is the same fit as on the examinee rows, and merges across chunks.

``part_freq[m, t]`` and ``part_cross[m, l]`` (when ``plan.parts`` is given)
    For each part ``m`` (a set of items: a domain, the pretest block, the odd and even
    halves of the scored items) the weighted frequency of each part total ``t`` and the
    weighted cross-products ``sum_i w_i T_im T_il`` of the part totals. Derived from
    them: each part's score distribution, mean, variance and KR-20 (with the part's
    p-values from ``table``), and the split-half correlation
    ``r = cov(T_odd, T_even) / (sd_odd sd_even)`` with its Spearman-Brown step-up
    ``2r / (1 + r)``.

``item_cross[j, l]`` (when ``plan.item_cross``)
    Weighted ``sum_i w_i x_ij x_il`` of the 0/1 scores (omitted = 0): the whole
    inter-item covariance matrix, for any split or composite not declared in advance.
    Off by default: at 125 items it costs one ``k x k`` matrix product per chunk.

Every array is a sum over examinees, so :meth:`AnalysisCounts.merge` is ``+``; the
distinct DIF group values are a set union and the id hashes a concatenation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from cehrs_items.analysis._common import check_weights
from cehrs_items.analysis._tables import column_totals, count_table, weighted_bincount
from cehrs_items.analysis.dif import FOCAL, OTHER, REFERENCE
from cehrs_items.errors import DataError
from cehrs_items.responses import LETTERS, CodedResponses

_MAX_GROUP_VALUES = 64
_CROSS_BLOCK = 1 << 16
_ROWS_KEPT = 6


@dataclass(frozen=True)
class CountPlan:
    """What :func:`count_chunk` counts: small and picklable (sent with each Dask task).

    ``key_code[j]`` is the keyed option code of item ``j`` (1 for 0/1 data);
    ``in_total`` the items summed into the score groups; ``kind`` the kind every chunk
    must have (``letters`` or ``scored``); ``group`` the DIF column, reference and focal
    values (None: one group). ``score_only`` counts 0/1 scores instead of options (the
    purified-DIF pass). ``parts`` is an ``(m, k)`` boolean matrix of item sets whose
    totals are tabulated; ``item_cross`` adds the item x item cross-products;
    ``hash_ids`` keeps the hashes of the examinee ids (to find repeats across chunks).
    ``track_reads`` records the rows where every item is omitted, and ``beyond_code``
    (letters without declared options) the responses beyond the highest keyed option:
    the chunked reader's share of the whole-file reader's data warnings.
    """

    key_code: np.ndarray
    in_total: np.ndarray
    kind: str
    omit: str = "incorrect"
    group: tuple[str, str, str] | None = None
    weight_where: str = "weights"
    score_only: bool = False
    parts: np.ndarray | None = None
    item_cross: bool = False
    hash_ids: bool = False
    track_reads: bool = False
    beyond_code: int | None = None

    @property
    def n_items(self) -> int:
        return int(self.key_code.shape[0])

    @property
    def n_scores(self) -> int:
        return int(np.asarray(self.in_total, dtype=bool).sum()) + 1

    @property
    def n_codes(self) -> int:
        return 2 if (self.score_only or self.kind != "letters") else len(LETTERS)

    @property
    def n_groups(self) -> int:
        return 3 if self.group is not None else 1


@dataclass
class AnalysisCounts:
    """The sufficient statistics of one chunk, or of many merged (see the module doc).

    ``n_read`` rows were read, ``n_rows`` of them counted (fewer under ``--omit
    exclude``). ``group_values`` are distinct values of the DIF column seen (the reference
    and focal values when present, and up to 64 others per chunk, for messages), ``id_hashes`` the sorted 64-bit hashes of the examinee ids, when asked.
    """

    table: np.ndarray
    n_read: int
    n_rows: int
    part_freq: np.ndarray | None = None
    part_cross: np.ndarray | None = None
    item_cross: np.ndarray | None = None
    group_values: frozenset[str] = field(default_factory=frozenset)
    id_hashes: np.ndarray | None = None
    all_omitted: tuple[int, tuple[int, ...]] = (0, ())
    beyond: tuple[int, np.ndarray | None, tuple[int, int, int] | None] = (0, None, None)

    @property
    def total_weight(self) -> float:
        """Sum of the frequency weights of the counted rows."""
        if self.table.shape[2] == 0:
            return 0.0
        return float(self.table[:, :, 0, :].sum())

    def merge(self, other: AnalysisCounts) -> AnalysisCounts:
        """The counts of the union of both chunks (every array adds)."""

        def add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            return None if a is None or b is None else a + b

        hashes = None
        if self.id_hashes is not None and other.id_hashes is not None:
            hashes = np.concatenate([self.id_hashes, other.id_hashes])
        values = self.group_values | other.group_values
        all_omitted = (
            self.all_omitted[0] + other.all_omitted[0],
            tuple(sorted(self.all_omitted[1] + other.all_omitted[1])[:_ROWS_KEPT]),
        )
        cols = [c for c in (self.beyond[1], other.beyond[1]) if c is not None]
        firsts = [f for f in (self.beyond[2], other.beyond[2]) if f is not None]
        beyond = (
            self.beyond[0] + other.beyond[0],
            np.logical_or.reduce(cols) if cols else None,
            min(firsts) if firsts else None,
        )
        return AnalysisCounts(
            table=self.table + other.table,
            n_read=self.n_read + other.n_read,
            n_rows=self.n_rows + other.n_rows,
            part_freq=add(self.part_freq, other.part_freq),
            part_cross=add(self.part_cross, other.part_cross),
            item_cross=add(self.item_cross, other.item_cross),
            group_values=values,
            id_hashes=hashes,
            all_omitted=all_omitted,
            beyond=beyond,
        )


def empty_counts(plan: CountPlan) -> AnalysisCounts:
    """Counts of no examinee (the identity of :meth:`AnalysisCounts.merge`)."""
    k = plan.n_items
    m = 0 if plan.parts is None else plan.parts.shape[0]
    return AnalysisCounts(
        table=np.zeros((plan.n_groups, plan.n_scores, k, plan.n_codes + 1)),
        n_read=0,
        n_rows=0,
        part_freq=np.zeros((m, k + 1)) if plan.parts is not None else None,
        part_cross=np.zeros((m, m)) if plan.parts is not None else None,
        item_cross=np.zeros((k, k)) if plan.item_cross else None,
        id_hashes=np.zeros(0, dtype=np.uint64) if plan.hash_ids else None,
    )


def merge_all(plan: CountPlan, counts) -> AnalysisCounts:
    """Merge an iterable of chunk counts (in the order given)."""
    out = empty_counts(plan)
    hashes: list[np.ndarray] = []  # joined once at the end, not once per chunk
    for c in counts:
        if c.id_hashes is not None:
            hashes.append(c.id_hashes)
            c = replace(c, id_hashes=np.zeros(0, dtype=np.uint64))
        out = out.merge(c)
    if out.id_hashes is not None:
        out = replace(out, id_hashes=np.sort(np.concatenate([out.id_hashes, *hashes])))
    return out


def group_codes(values: pl.Series, reference: str, focal: str) -> np.ndarray:
    """0 reference, 1 focal, 2 anyone else (compared as text, null is 'anyone else')."""
    text = values.cast(pl.String)
    idx = np.full(len(text), OTHER, dtype=np.int8)
    idx[(text == str(reference)).fill_null(False).to_numpy()] = REFERENCE
    idx[(text == str(focal)).fill_null(False).to_numpy()] = FOCAL
    return idx


def count_chunk(coded: CodedResponses, plan: CountPlan, first_row: int = 0) -> AnalysisCounts:
    """The sufficient statistics of one row chunk (see the module doc).

    ``coded.codes`` holds the analysed items in ``plan`` order. ``first_row`` (0-based
    position of the chunk in the whole data) only serves the row numbers of messages.
    """
    from cehrs_items.partitions import id_hashes

    if coded.kind != plan.kind:
        raise DataError(
            f"{coded.source}: rows from {first_row + 1}: item columns hold "
            f"{'option letters' if coded.kind == 'letters' else '0/1 scores'} where earlier "
            f"rows hold {'option letters' if plan.kind == 'letters' else '0/1 scores'}; "
            "use one kind"
        )
    codes = coded.codes
    n_read = int(codes.shape[0])
    weights = check_weights(coded.weights, n_read, plan.weight_where, first_row=first_row)
    extra = coded.extra
    ids = coded.examinee_ids
    # items x examinees, each item's responses contiguous (as the Parquet reader makes
    # them; an in-memory row-major matrix is transposed once)
    columns = np.ascontiguousarray(codes.T)
    all_omitted: tuple[int, tuple[int, ...]] = (0, ())
    beyond: tuple[int, np.ndarray | None, tuple[int, int, int] | None] = (0, None, None)
    if plan.track_reads:
        empty = np.flatnonzero(columns.max(axis=0) < 0)
        all_omitted = (int(empty.size), tuple(int(r) + first_row + 1 for r in empty[:_ROWS_KEPT]))
    if plan.beyond_code is not None:
        cols = columns.max(axis=1) > plan.beyond_code
        if cols.any():
            bad = columns[cols] > plan.beyond_code  # (items beyond, n)
            row = int(np.flatnonzero(bad.any(axis=0))[0])
            j = int(np.flatnonzero(cols)[int(np.flatnonzero(bad[:, row])[0])])
            first = (first_row + row, j, int(columns[j, row]))
            beyond = (int(bad.sum()), cols, first)
    if plan.omit == "exclude":
        keep = ~(columns < 0).any(axis=0)
        if not keep.all():
            columns = np.ascontiguousarray(columns[:, keep])
            weights = weights[keep] if weights is not None else None
            if plan.group is not None:
                extra = extra.filter(pl.Series(keep))
    scores = np.equal(columns, plan.key_code[:, None]).view(np.int8)  # (k, n)
    part_totals = None
    if plan.parts is not None:
        part_totals = np.zeros((0, scores.shape[1]), dtype=np.uint8)
        if plan.parts.shape[0]:
            part_totals = np.stack([column_totals(scores, p) for p in plan.parts])
    halves = _halves(plan.parts, plan.in_total)
    if halves is not None:  # two disjoint parts make up the total: add their totals
        total = part_totals[halves[0]].astype(np.int32) + part_totals[halves[1]]
    else:
        total = column_totals(scores, plan.in_total)
    gidx = None
    values: frozenset[str] = frozenset()
    if plan.group is not None:
        column, reference, focal = plan.group
        series = extra.get_column(column)
        gidx = group_codes(series, reference, focal)
        seen = series.cast(pl.String).drop_nulls().unique().sort()
        # the two compared values when present, and a few others for messages
        values = frozenset(seen.head(_MAX_GROUP_VALUES).to_list()) | (
            frozenset(seen.filter(seen.is_in([reference, focal])).to_list())
        )
    table = count_table(
        (scores if plan.score_only else columns).T,
        total,
        n_codes=plan.n_codes,
        n_scores=plan.n_scores,
        weights=weights,
        group=gidx,
        n_groups=plan.n_groups,
    )
    part_freq = part_cross = item_cross = None
    if plan.parts is not None:
        part_freq, part_cross = _part_counts(part_totals, weights, scores.shape[0])
    if plan.item_cross:
        item_cross = _item_cross(scores.T, weights)
    return AnalysisCounts(
        table=table,
        n_read=n_read,
        n_rows=int(columns.shape[1]),
        part_freq=part_freq,
        part_cross=part_cross,
        item_cross=item_cross,
        group_values=values,
        id_hashes=id_hashes(ids) if plan.hash_ids else None,
        all_omitted=all_omitted,
        beyond=beyond,
    )


def _halves(parts: np.ndarray | None, in_total: np.ndarray) -> tuple[int, int] | None:
    """Two parts that are disjoint and together make up the scored total (the odd and
    even halves), if the plan has them."""
    if parts is None:
        return None
    total = np.asarray(in_total, dtype=bool)
    for p in range(parts.shape[0]):
        for q in range(p + 1, parts.shape[0]):
            if not (parts[p] & parts[q]).any() and np.array_equal(parts[p] | parts[q], total):
                return p, q
    return None


def _part_counts(
    totals: np.ndarray, weights: np.ndarray | None, n_items: int
) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of each part total and the cross-products of the part totals.

    ``totals`` is ``(m, n)``: each part's total for each examinee. The cross-products
    are float64 sums of whole numbers below 2**53, so exact in any order.
    """
    m, n = totals.shape
    freq = np.zeros((m, n_items + 1))
    if n == 0:
        return freq, np.zeros((m, m))
    for p in range(m):
        freq[p] = weighted_bincount(totals[p], weights, n_items + 1)
    tf = totals.astype(np.float64)  # (m, n)
    cross = tf @ (tf if weights is None else tf * weights[None, :]).T
    return freq, cross


def _item_cross(scores: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """``sum_i w_i x_ij x_il`` in row blocks (float32 products are exact below 2**24)."""
    n, k = scores.shape
    out = np.zeros((k, k))
    for start in range(0, n, _CROSS_BLOCK):
        block = scores[start : start + _CROSS_BLOCK]
        if weights is None:
            x = block.astype(np.float32)
            out += (x.T @ x).astype(np.float64)
        else:
            x = block.astype(np.float64)
            out += x.T @ (x * weights[start : start + _CROSS_BLOCK, None])
    return out


def count_partition(part, *, spec, plan: CountPlan) -> AnalysisCounts:
    """The kernel of both engines: read one Parquet partition and count it, batch by batch.

    ``part`` is a :class:`~cehrs_items.partitions.Partition` and ``spec`` its
    :class:`~cehrs_items.partitions.ReadSpec`; runs in this process or on a Dask worker.
    """
    from cehrs_items.partitions import read_partition

    out = empty_counts(plan)
    for first_row, coded in read_partition(part, spec):
        out = out.merge(count_chunk(coded, plan, first_row))
    return out


def count_partitions(parts, *, spec, plan: CountPlan, ahead: int | None = None):
    """:func:`count_partition` of each partition, in order, with reading ahead.

    The local engine's kernel: the next batch is decoded on a background thread
    (:func:`~cehrs_items.partitions.read_partitions`) while this thread codes and counts
    the current one. The counts are the same as :func:`count_partition`'s, partition by
    partition (the same batches, merged in the same order). ``ahead`` is the number of
    batches decoded ahead; None reads one ahead when a core is idle
    (:func:`read_ahead_depth`), and none on a busy machine, where the overlap has no
    core to run on and only costs CPU time.
    """
    from cehrs_items.partitions import read_partitions

    if ahead is None:
        ahead = read_ahead_depth()
    current, out = 0, empty_counts(plan)
    for index, first_row, coded in read_partitions(parts, spec, ahead=ahead):
        while index > current:
            yield out
            current, out = current + 1, empty_counts(plan)
        out = out.merge(count_chunk(coded, plan, first_row))
    for _ in range(current, len(parts)):
        yield out
        out = empty_counts(plan)


def read_ahead_depth() -> int:
    """Batches to decode ahead in this process: 1 when a core is idle, else 0.

    A core counts as idle when fewer tasks than this process's cores are runnable right
    now, this thread included (the fourth field of ``/proc/loadavg``; elsewhere the
    one-minute load average stands in). Measured on a two-core machine whose cores were
    busy with other work (load 3-5), reading ahead cost about 10% more CPU time and wall
    time than reading in turn: it pays only with a core to spare. Timing only: the
    counts are the same either way.
    """
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    if cores < 2:
        return 0
    others = _other_runnable_tasks()
    return 1 if others is not None and others <= cores - 2 else 0


def _other_runnable_tasks() -> float | None:
    """Tasks runnable now besides this thread (None: unknown)."""
    import os

    try:
        with open("/proc/loadavg", encoding="ascii") as fh:
            return int(fh.read().split()[3].split("/")[0]) - 1
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None
