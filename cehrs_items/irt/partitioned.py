"""Scored response patterns from Parquet read in partitions, for MML calibration.

MML needs only the unique response patterns and their total weights, not the examinees.
A clean Parquet source (see :mod:`cehrs_items.partitions`) is read one row batch at a
time; each batch is scored against the key (0 wrong, 1 right, 2 omitted), collapsed to
its unique patterns, and the batches' patterns are collapsed once more at the end. What
is held is the int8 patterns (one byte per item and unique pattern) and their weights,
never the letters or the whole matrix of examinees; with few items, or many repeated
patterns, that is far less than the data.

For unweighted data the patterns and their counts equal those of the whole-file reader
exactly (integer sums, the same lexicographic order), so a calibration from them gives
the same bytes. Sources that are not clean return None and are read whole by the caller,
which then gives the whole-file reader's normalisation, errors and warnings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from cehrs_items.errors import warn_data
from cehrs_items.irt.patterns import (
    DEFAULT_MEMORY_BYTES,
    MISSING,
    ScoredPatterns,
    collapse_blocks,
)
from cehrs_items.partitions import (
    NotClean,
    check_unique_ids,
    id_hashes,
    open_clean_parquet,
    read_partition,
    rows_text,
)
from cehrs_items.responses import (
    LETTERS,
    all_omitted_message,
    beyond_key_message,
    key_letter_codes,
)


def scored_patterns_from_parquet(
    source: str | Path,
    *,
    key: Mapping[str, str] | None,
    items: Sequence[str] | None,
    id_column: str,
    weight_column: str | None,
    n_options: int | Mapping[str, int] | None = None,
    chunk_rows: int | None = None,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    spill_dir: str | Path | None = None,
) -> ScoredPatterns | None:
    """Unique scored patterns of a clean Parquet source, with the examinees' summed
    weights (their count, without a weight column).

    The patterns are collapsed batch by batch and held in memory up to ``memory_bytes``,
    then spilled to a temporary folder under ``spill_dir`` and collapsed there range by
    range (:func:`~cehrs_items.irt.patterns.collapse_blocks`): either way they are the
    whole-file reader's patterns in the same order. Errors and warnings are those of the
    whole-file reader: a letters source without a key or with unkeyed items, repeated
    examinee ids (checked from 64-bit hashes, confirmed on the ids), examinees who
    omitted every item, and letters beyond every keyed option. Returns None where the
    source must be read whole.
    """
    opened = open_clean_parquet(
        source,
        items=items,
        id_column=id_column,
        weight_column=weight_column,
        chunk_rows=chunk_rows,
        n_options=n_options,
    )
    if opened is None:
        return None
    chunked, spec, kind = opened
    item_ids = list(spec.items)
    key_codes = key_letter_codes(key, item_ids, spec.source) if kind == "letters" else None
    hashes: list[np.ndarray] = []
    all_omitted: list[int] = []
    n_all_omitted = 0
    beyond = None  # (n_bad, columns, first row, column index, code)

    def scored_batches():
        nonlocal n_all_omitted, beyond, all_omitted
        for part in chunked.partitions:
            for first_row, coded in read_partition(part, spec):
                if coded.kind != kind:
                    raise NotClean(f"{spec.source}: rows from {first_row + 1} differ in kind")
                codes = np.ascontiguousarray(coded.codes)
                omitted = codes < 0
                if key_codes is not None:
                    scored = np.where(omitted, MISSING, codes == key_codes).astype(np.int8)
                    beyond = _beyond_key(beyond, codes, key_codes, first_row)
                else:
                    scored = np.where(omitted, MISSING, codes).astype(np.int8)
                every = np.flatnonzero(omitted.all(axis=1))
                n_all_omitted += every.size
                all_omitted += (every[: 6 - len(all_omitted)] + first_row + 1).tolist()
                hashes.append(id_hashes(coded.examinee_ids))
                yield scored, coded.weights

    try:
        patterns = collapse_blocks(
            scored_batches(),
            memory_bytes=memory_bytes,
            spill_dir=spill_dir,
            expected_rows=chunked.n_rows,
        )
    except NotClean:
        return None
    # Arrow's allocator keeps the pages of the decoded batches for reuse (a few hundred MB
    # after a 262,144-row partition of 125 items); estimation needs none of them.
    pa.default_memory_pool().release_unused()
    check_unique_ids(np.sort(np.concatenate(hashes)), chunked, id_column)
    if n_all_omitted:
        warn_data(all_omitted_message(spec.source, n_all_omitted, rows_text(all_omitted)))
    if beyond is not None:
        n_bad, columns, row, j, code = beyond
        top = len(LETTERS) - 2
        warn_data(beyond_key_message(spec.source, n_bad, len(columns), top, row, item_ids[j], code))
    return ScoredPatterns(patterns, tuple(item_ids))


def _beyond_key(state, codes: np.ndarray, key_codes: np.ndarray, first_row: int):
    """Running count of letters beyond every keyed option (judged as the whole-file reader
    judges them: only when the highest key is the next-to-last letter)."""
    top = int(key_codes.max())
    if top != len(LETTERS) - 2:
        return state
    bad = codes > top
    n_bad = int(bad.sum())
    if not n_bad:
        return state
    columns = set(np.flatnonzero(bad.any(axis=0)).tolist())
    if state is None:
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        j = int(np.flatnonzero(bad[row])[0])
        return n_bad, columns, first_row + row, j, int(codes[row, j])
    return state[0] + n_bad, state[1] | columns, *state[2:]
