"""Response data in row chunks: Parquet files split into partitions read one at a time.

The out-of-core and distributed paths of ``analyze`` and ``calibrate`` never hold the
whole response matrix. A Parquet file, a directory of them or a glob is cut into
:class:`Partition` objects (runs of whole row groups of one file, about ``chunk_rows``
rows each, known from the file footers without reading any data); a partition is read
by :func:`read_partition` as a few :class:`~cehrs_items.responses.CodedResponses` row
batches.

Only clean data are read this way: item columns stored as strings exactly ``A``-``E``
or null (dictionary-encoded, as every Parquet writer stores them) or as integers 0/1,
non-empty ids without surrounding spaces or missing-value look-alikes, valid weights and
no option beyond a declared number of options. Such data pass every check of
:func:`~cehrs_items.responses.read_responses` unchanged. A batch that is not clean raises
:class:`NotClean`, and the caller reads the source whole instead, which normalises it
(lower case, spaces) or raises the located error or warning the whole-file reader gives.

Partitions are small frozen dataclasses, so they travel to Dask workers as task
arguments; each worker opens its file itself (the data never pass through the client).

What the chunked reader cannot check within one batch, examinee ids repeating across
batches, is checked by the caller from 64-bit id hashes (:func:`id_hashes`,
:func:`check_unique_ids`), 8 bytes per row instead of the ids themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from cehrs_items.errors import DataError, InputError
from cehrs_items.responses import (
    _MISSING_IDS,
    ID_COLUMN,
    ITEM_ID_RE,
    LETTERS,
    LONG_COLUMNS,
    CodedResponses,
    _item_columns,
    _resolve_sources,
)

DEFAULT_CHUNK_ROWS = 1 << 18
"""Rows per partition (262,144): about 33 MB of int8 codes at 125 items; see docs/scale.md."""

_LETTER_CODE = {letter: i for i, letter in enumerate(LETTERS)}
_HASH_SEED = 0x9E3779B9


@dataclass(frozen=True)
class Partition:
    """Consecutive whole row groups of one Parquet file.

    ``first_row`` is the 0-based position of its first row in the whole data (files in
    sorted order, as :func:`~cehrs_items.responses.read_responses` reads them).
    """

    path: str
    row_groups: tuple[int, ...]
    first_row: int
    n_rows: int


@dataclass(frozen=True)
class ReadSpec:
    """Which columns a partition read returns, and how they are named in messages."""

    source: str
    id_column: str = ID_COLUMN
    items: tuple[str, ...] = ()
    weight_column: str | None = None
    extra_columns: tuple[str, ...] = ()
    batch_rows: int = DEFAULT_CHUNK_ROWS
    n_options: tuple[int, ...] | None = None


class NotClean(Exception):  # noqa: N818 (a signal to the caller, not an error of the user's)
    """A batch needs the whole-file reader (normalisation, or a located error/warning)."""


@dataclass(frozen=True)
class ChunkedSource:
    """A Parquet source cut into partitions, with its column names and row count."""

    source: str
    partitions: tuple[Partition, ...]
    columns: tuple[str, ...]
    n_rows: int

    def item_ids(
        self,
        id_column: str,
        items: Sequence[str] | None,
        weight_column: str | None,
        extra_columns: Sequence[str],
    ) -> list[str]:
        """The item columns, chosen as :func:`~cehrs_items.responses.read_responses` does."""
        return _item_columns(
            list(self.columns), id_column, items, weight_column, extra_columns, self.source
        )


def parquet_partitions(
    source: str | Path, *, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> ChunkedSource | None:
    """Cut a Parquet source into partitions of about ``chunk_rows`` rows.

    Returns None for sources the chunked reader does not handle (CSV, long format);
    those are read whole. The caller runs the whole-file reader's schema checks first.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if chunk_rows < 1:
        raise InputError(f"--chunk-rows must be a positive number of rows (got {chunk_rows})")
    files, kind = _resolve_sources(source)
    if kind != "parquet":
        return None
    name = str(source)
    parts: list[Partition] = []
    columns: tuple[str, ...] | None = None
    row = 0
    for file in files:
        try:
            meta = pq.ParquetFile(file).metadata
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{file}: cannot read responses: {exc}") from exc
        names = tuple(meta.schema.to_arrow_schema().names)
        if columns is None:
            columns = names
        elif set(names) != set(columns):
            raise InputError(
                f"{file}: columns differ from {files[0].name} (every file of {name} must "
                "have the same columns)"
            )
        group: list[int] = []
        rows = 0
        for g in range(meta.num_row_groups):
            n = meta.row_group(g).num_rows
            if group and rows + n > chunk_rows:
                parts.append(Partition(str(file), tuple(group), row, rows))
                row += rows
                group, rows = [], 0
            group.append(g)
            rows += n
        if group:
            parts.append(Partition(str(file), tuple(group), row, rows))
            row += rows
    columns = columns or ()
    if all(c in columns for c in LONG_COLUMNS) and not any(ITEM_ID_RE.match(c) for c in columns):
        return None
    return ChunkedSource(source=name, partitions=tuple(parts), columns=columns, n_rows=row)


def read_partition(part: Partition, spec: ReadSpec) -> Iterator[tuple[int, CodedResponses]]:
    """The partition's rows as ``(first_row, CodedResponses)`` batches of ``batch_rows``.

    Clean data (option columns stored as strings exactly ``A``-``E`` or null, integer
    0/1 columns) are coded straight from the Arrow dictionaries; anything else goes
    through :func:`~cehrs_items.responses.response_set_from_frame`, which normalises it
    or raises the same DataError as reading the whole file would.
    """
    for first_row, batch in _arrow_batches(part, spec):
        yield first_row, _code_located(batch, spec, first_row, part)


def _arrow_batches(part: Partition, spec: ReadSpec):
    """The partition's Arrow record batches, as ``(first_row, batch)``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    items = list(spec.items)
    wanted = [spec.id_column, *items]
    if spec.weight_column is not None:
        wanted.append(spec.weight_column)
    wanted += [c for c in spec.extra_columns if c not in wanted]
    try:
        file = pq.ParquetFile(part.path, read_dictionary=items)
        row = part.first_row
        for batch in _row_batches(file, part.row_groups, wanted, spec.batch_rows):
            yield row, batch
            row += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{part.path}: cannot read responses: {exc}") from exc


def _code_located(batch, spec: ReadSpec, first_row: int, part: Partition) -> CodedResponses:
    """:func:`code_batch`, with Arrow's errors located in the partition's file."""
    import pyarrow as pa

    try:
        return code_batch(batch, spec, first_row)
    except pa.ArrowException as exc:
        raise InputError(f"{part.path}: cannot read responses: {exc}") from exc


def read_partitions(
    parts: Sequence[Partition], spec: ReadSpec, *, ahead: int = 1
) -> Iterator[tuple[int, int, CodedResponses]]:
    """Every partition's batches, in order, as ``(partition index, first_row, coded)``.

    With ``ahead`` > 0 the batches are decoded on a background thread (Arrow's decoding
    releases the GIL), up to ``ahead`` batches ahead of the consumer, and coded on the
    consumer's thread, so that decoding the next batch overlaps with coding and counting
    this one. The sequence, and any exception (:class:`NotClean`, a located InputError),
    reaches the consumer exactly as :func:`read_partition` gives it, partition after
    partition; only the timing differs. ``ahead=0`` decodes on the calling thread.
    """

    def batches() -> Iterator[tuple[int, int, object]]:
        for index, part in enumerate(parts):
            for first_row, batch in _arrow_batches(part, spec):
                yield index, first_row, batch

    decoded = _read_ahead(batches(), ahead) if ahead > 0 else batches()
    try:
        for index, first_row, batch in decoded:
            yield index, first_row, _code_located(batch, spec, first_row, parts[index])
    finally:
        decoded.close()  # stops the background thread if the consumer stops early


_END = object()


def _read_ahead(items: Iterator, depth: int) -> Iterator:
    """``items``, produced on a background thread at most ``depth`` items ahead.

    An exception of the producer is raised in the consumer after the items before it.
    If the consumer stops early, the producer stops after its current item."""
    import contextlib
    import queue
    import threading

    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                slots.put((item, None))
            slots.put((_END, None))
        except BaseException as exc:  # handed over to the consumer, raised there
            slots.put((_END, exc))

    thread = threading.Thread(target=produce, name="cehrs-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = slots.get()
            if item is _END:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting for a free slot
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.05)
        thread.join()


def _row_batches(file, row_groups: Sequence[int], columns: list[str], batch_rows: int):
    """Record batches of the given row groups: each row group whole when it has at most
    ``batch_rows`` rows, otherwise ``batch_rows`` at a time.

    A whole row group is read with ``read_row_group``, which decodes its columns on
    Arrow's threads into buffers of the row group's size. ``iter_batches`` with a batch
    larger than the row group costs several times more fresh memory (and kernel time to
    supply it) for the same batches; it is kept for row groups larger than a batch.
    """
    meta = file.metadata
    for g in row_groups:
        if meta.row_group(g).num_rows <= batch_rows:
            yield from file.read_row_group(g, columns=columns).to_batches()
        else:
            yield from file.iter_batches(batch_size=batch_rows, row_groups=[g], columns=columns)


def code_batch(batch, spec: ReadSpec, first_row: int) -> CodedResponses:
    """Code one Arrow record batch of clean data; :class:`NotClean` otherwise."""
    coded = _fast_batch(batch, spec)
    if coded is None:
        raise NotClean(f"{spec.source}: rows from {first_row + 1} need the whole-file reader")
    return coded


def _fast_batch(batch, spec: ReadSpec) -> CodedResponses | None:
    import pyarrow as pa
    import pyarrow.compute as pc

    n = batch.num_rows
    if n == 0:
        return None
    ids = batch.column(spec.id_column)
    if ids.null_count or _suspicious_ids(ids):
        return None
    weights = None
    if spec.weight_column is not None:
        w = batch.column(spec.weight_column)
        if w.null_count or not (pa.types.is_integer(w.type) or pa.types.is_floating(w.type)):
            return None
        weights = w.to_numpy(zero_copy_only=False).astype(np.float64)
        if not np.isfinite(weights).all() or (weights < 0).any():
            return None
    codes = np.empty((len(spec.items), n), dtype=np.int8)
    scratch = np.empty(n, dtype=np.int32)
    kind = None
    for j, name in enumerate(spec.items):
        column = batch.column(name)
        if pa.types.is_dictionary(column.type) and pa.types.is_string(column.type.value_type):
            if kind == "scored":
                return None
            kind = "letters"
            values = column.dictionary.to_pylist()
            if any(v not in _LETTER_CODE for v in values):
                return None
            _code_letters(column.indices, values, codes[j], scratch)
        elif pa.types.is_integer(column.type):
            if kind == "letters":
                return None
            kind = "scored"
            values = pc.fill_null(column, -1).to_numpy()
            if ((values < -1) | (values > 1)).any():
                return None
            codes[j] = values
        else:
            return None
    if kind is None or (kind == "scored" and bool((codes < 0).all())):
        return None
    if kind == "letters" and spec.n_options is not None:
        limits = np.asarray(spec.n_options, dtype=np.int8)
        if (limits < len(LETTERS)).any() and (codes >= limits[:, None]).any():
            return None
    extra = pl.from_arrow(batch.select(list(spec.extra_columns))) if spec.extra_columns else None
    return CodedResponses(
        codes=codes.T,
        kind=kind,
        item_ids=tuple(spec.items),
        examinee_ids=pl.Series(spec.id_column, ids),
        weights=weights,
        extra=extra if isinstance(extra, pl.DataFrame) else pl.DataFrame(),
        source=spec.source,
    )


def _code_letters(indices, values: list[str], out: np.ndarray, scratch: np.ndarray) -> None:
    """Option codes (A=0 ... E=4, null -1) of one dictionary-encoded letter column.

    ``indices`` are the Arrow dictionary indices, ``values`` the dictionary (letters).
    For int32 indices and up to 7 entries the dictionary-to-code map is packed four bits per entry into
    one integer and applied with shifts on the index buffer itself (no per-value
    ``take``, no copy of the indices); nulls are cleared from the validity bitmap.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(indices)
    if len(values) > 7 or indices.type != pa.int32():
        lut = np.array([_LETTER_CODE[v] for v in values] + [-1], np.int8)
        np.take(lut, pc.fill_null(indices, len(values)).to_numpy(), out=out)
        return
    packed = 0
    for i, v in enumerate(values):
        packed |= (_LETTER_CODE[v] + 1) << (4 * i)  # code + 1, so 0 is left for omitted
    validity, data = indices.buffers()[:2]
    index = np.frombuffer(data, dtype=np.int32, count=n, offset=indices.offset * 4)
    np.left_shift(index, 2, out=scratch)
    np.right_shift(np.int32(packed), scratch, out=scratch)
    np.copyto(out, scratch, casting="unsafe")  # low byte: this entry's nibble and the next
    out &= 15
    if indices.null_count:
        bits = np.frombuffer(validity, dtype=np.uint8)
        valid = np.unpackbits(bits, count=indices.offset + n, bitorder="little")[indices.offset :]
        out *= valid.view(np.int8)
    out -= 1


def _suspicious_ids(ids) -> bool:
    """Ids the whole-file reader warns about: blank, padded, or like a missing value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        return False
    if _edge_bytes_suspicious(ids):
        return True
    short = pc.filter(ids, pc.less_equal(pc.binary_length(ids), 4))
    if len(short) == 0:
        return False
    upper = pc.utf8_upper(short)
    return bool(pc.any(pc.is_in(upper, value_set=pa.array([*_MISSING_IDS, ""]))).as_py())


_EDGE_BYTE = np.zeros(256, dtype=bool)
_EDGE_BYTE[[9, 10, 11, 12, 13, 32]] = True  # ASCII white space
_EDGE_BYTE[128:] = True  # part of a non-ASCII character: let the whole-file reader judge


def _edge_bytes_suspicious(ids) -> bool:
    """Some id starts or ends with white space (or a non-ASCII character, which might be
    white space too: those batches go to the whole-file reader, whose ``strip`` decides).

    Reads the first and last byte of each string straight from the Arrow offsets and
    data buffers (no regular expression over every id)."""
    import pyarrow as pa

    n = len(ids)
    if n == 0:
        return False
    _, offset_buffer, data_buffer = ids.buffers()[:3]
    width = np.int64 if pa.types.is_large_string(ids.type) else np.int32
    size = np.dtype(width).itemsize
    offsets = np.frombuffer(offset_buffer, dtype=width, count=n + 1, offset=ids.offset * size)
    if data_buffer is None or offsets[-1] == offsets[0]:
        return False
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if not filled.all():
        starts, ends = starts[filled], ends[filled]
    return bool(_EDGE_BYTE[data[starts]].any() or _EDGE_BYTE[data[ends - 1]].any())


def rows_text(rows: Sequence[int], limit: int = 5) -> str:
    """'row 3' / 'rows 3, 8, 9 ...' for 1-based row numbers (the first ``limit + 1`` given),
    as the whole-file reader writes them."""
    shown = ", ".join(str(r) for r in rows[:limit])
    return ("row " if len(rows) == 1 else "rows ") + shown + (" ..." if len(rows) > limit else "")


def id_hashes(ids: pl.Series) -> np.ndarray:
    """Sorted 64-bit hashes of the examinee ids of one chunk (to find repeats later)."""
    return np.sort(ids.cast(pl.String).hash(seed=_HASH_SEED).to_numpy())


def check_unique_ids(hashes: np.ndarray, source: ChunkedSource, id_column: str) -> None:
    """Raise the whole-file DataError if any examinee id repeats across the chunks.

    ``hashes`` are the sorted hashes of every row. Equal hashes are confirmed on the id
    column itself (read alone), so a hash collision never rejects good data.
    """
    if hashes.size < 2 or not (hashes[1:] == hashes[:-1]).any():
        return
    files = sorted({p.path for p in source.partitions})
    try:
        ids = pl.scan_parquet(files).select(id_column).collect().get_column(id_column)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{source.source}: cannot read responses: {exc}") from exc
    repeat = ~ids.is_first_distinct()
    if repeat.any():
        row = int(repeat.arg_max()) + 1
        raise DataError(
            f"{source.source}: row {row}, column {id_column}: examinee id {ids[row - 1]!r} "
            f"repeats (first on row {int((ids == ids[row - 1]).arg_max()) + 1})"
        )


def probe_kind(source: ChunkedSource, spec: ReadSpec) -> str:
    """``letters`` or ``scored``: integer item columns are scores; for string columns the
    first rows decide (as they would for the whole file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not source.partitions:
        raise DataError(f"{spec.source}: no examinee rows")
    first = source.partitions[0]
    schema = pq.ParquetFile(first.path).schema_arrow
    types = [schema.field(i).type for i in spec.items]
    if all(pa.types.is_integer(t) for t in types):
        return "scored"
    # all string columns: the first one's first rows decide (a column that differs is
    # found when read, and the whole-file reader takes over)
    strings = all(pa.types.is_string(t) or pa.types.is_large_string(t) for t in types)
    probe = ReadSpec(
        source=spec.source,
        id_column=spec.id_column,
        items=spec.items[:1] if strings else spec.items,
        weight_column=spec.weight_column,
        extra_columns=spec.extra_columns,
        batch_rows=min(spec.batch_rows, 4096),
    )
    _, coded = next(read_partition(first, probe))
    return coded.kind


def open_clean_parquet(
    responses: str | Path,
    *,
    items: Sequence[str] | None,
    id_column: str,
    weight_column: str | None,
    extra_columns: Sequence[str] = (),
    chunk_rows: int | None = None,
    n_options: int | Mapping[str, int] | None = None,
) -> tuple[ChunkedSource, ReadSpec, str] | None:
    """A Parquet source cut into partitions, its read spec and its kind (``letters`` or
    ``scored``), after the whole-file reader's file-level checks; None where the source
    must be read whole (not Parquet, a column missing, items not found, no rows, or data
    that are not clean)."""
    from cehrs_items.responses import _open as open_response_source
    from cehrs_items.responses import _warn_unscored as warn_unscored_columns
    from cehrs_items.tabular import check_item_dtypes, check_parquet_files

    files, kind = _resolve_sources(responses)
    if kind != "parquet":
        return None
    check_parquet_files(files)  # the located file-level errors of every reader, first
    chunked = parquet_partitions(responses, chunk_rows=chunk_rows or DEFAULT_CHUNK_ROWS)
    if chunked is None:
        return None
    opened = open_response_source(responses)
    name, columns = opened.name, list(opened.schema)
    extra = list(extra_columns)
    if id_column not in columns:
        return None
    if weight_column is not None and weight_column not in columns:
        return None
    if any(c not in columns for c in extra):
        return None
    try:
        item_ids = chunked.item_ids(id_column, items, weight_column, extra)
    except DataError:
        return None
    if not item_ids or chunked.n_rows == 0:
        return None
    check_item_dtypes(opened.schema, item_ids, id_column, name)
    reserved = {id_column, *extra, *([weight_column] if weight_column else [])}
    warn_unscored_columns(columns, item_ids, reserved, name)
    limits = None
    if n_options is not None:
        limits = tuple(
            n_options if isinstance(n_options, int) else int(n_options.get(i, len(LETTERS)))
            for i in item_ids
        )
    spec = ReadSpec(
        source=name,
        id_column=id_column,
        items=tuple(item_ids),
        weight_column=weight_column,
        extra_columns=tuple(extra),
        batch_rows=chunk_rows or DEFAULT_CHUNK_ROWS,
        n_options=limits,
    )
    try:
        kind = probe_kind(chunked, spec)
    except NotClean:
        return None
    return chunked, spec, kind
