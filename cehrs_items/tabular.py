"""Checked reading of tabular input files: CSV/TSV text and Parquet.

Every reader of an input table goes through here, so that a damaged or mislabelled file
becomes one located :class:`~cehrs_items.errors.InputError` (file, row, column, what to
do) instead of a parser's message or a silent misreading. The rules are listed in
``schemas/responses.md`` ("What is checked when a file is read").

Text checks work on the raw bytes with vectorised NumPy scans (no per-row Python loop
unless the file uses quoted fields): the file is not empty, its content matches its
extension, it is UTF-8 (a UTF-8 byte-order mark is accepted; UTF-16/32 and Latin-1 are
named), it holds no NUL byte, the header has no empty or repeated names and is
separated by the expected delimiter, there is no blank line inside the data, and every
row has as many fields as the header (a short last line without a newline is reported as
a file cut off mid-row). Parquet checks: the magic bytes at both ends, readable metadata,
no repeated column names, and the same columns and types in every file of a directory or
glob.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from cehrs_items.errors import DataError, InputError

PARQUET_MAGIC = b"PAR1"
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
)
_UTF8_BOM = b"\xef\xbb\xbf"
_SAVE_UTF8 = "save it as UTF-8 (in Excel: 'CSV UTF-8 (comma delimited)')"
_SEPARATOR_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (parsers add multi-line hints)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def describe_bytes(head: bytes) -> str:
    """What the first bytes of a file look like, for 'not a ... file' messages."""
    if head.startswith(PARQUET_MAGIC):
        return "Parquet data"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (an Excel .xlsx workbook?)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel .xls workbook"
    if head.startswith(b"\x1f\x8b"):
        return "gzip-compressed data"
    for bom, name in _BOMS:
        if head.startswith(bom):
            return f"{name} text"
    sample = head.removeprefix(_UTF8_BOM)
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 3:
            return "binary data"
        text = sample[: exc.start].decode("utf-8")
    if "\x00" in text or not text.strip():
        return "binary data"
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if printable < 0.95 * len(text):
        return "binary data"
    shown = text.splitlines()[0][:40] if text.splitlines() else text[:40]
    return f"text starting {shown!r}"


def check_file_kind(path: Path, kind: str) -> None:
    """Refuse an empty file or one whose first bytes contradict its extension."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(256)
            if size >= 8:
                handle.seek(size - 4)
                tail = handle.read(4)
            else:
                tail = b""
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if size == 0:
        raise InputError(
            f"{path}: empty file (0 bytes); expected a header row (examinee_id and the item "
            f"ids) and one row per examinee"
        )
    if kind == "parquet":
        if not head.startswith(PARQUET_MAGIC):
            what = describe_bytes(head)
            hint = (
                "; if it is CSV, rename it to .csv"
                if what.startswith("text")
                else "; write it again as Parquet or CSV"
            )
            raise InputError(f"{path}: not a Parquet file (it holds {what}){hint}")
        if tail != PARQUET_MAGIC:
            raise InputError(
                f"{path}: Parquet file is truncated or damaged (no footer at the end of its "
                f"{size} bytes); write it again"
            )
        return
    if head.startswith(PARQUET_MAGIC):
        raise InputError(
            f"{path}: this is a Parquet file with a text extension; rename it to .parquet"
        )
    what = describe_bytes(head)
    if what.startswith(("a ZIP", "an old", "gzip")):
        raise InputError(f"{path}: not a text (CSV) file (it holds {what}); export it as CSV UTF-8")


def _line_and_col(data: bytes, pos: int, sep: bytes) -> tuple[int, int]:
    """1-based line number and field number of byte offset ``pos``."""
    line_start = data.rfind(b"\n", 0, pos) + 1
    line = data.count(b"\n", 0, pos) + 1
    field = data.count(sep, line_start, pos) + 1
    return line, field


def _where(header: Sequence[str], line: int, field: int) -> str:
    column = header[field - 1] if 0 < field <= len(header) else f"field {field}"
    if line == 1:
        return f"header, column {field} ({column})"
    return f"row {line - 1} (line {line}), column {column}"


def _guess_8bit(byte: bytes) -> str:
    try:
        char = byte.decode("cp1252")
    except UnicodeDecodeError:
        char = byte.decode("latin-1")
    return f"the file looks like Latin-1/Windows-1252 text (there it would be {char!r})"


def _check_encoding(data: bytes, path: Path, sep: bytes) -> bytes:
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise InputError(f"{path}: the file is encoded as {name}, not UTF-8; {_SAVE_UTF8}")
    head = data[:200]
    if len(head) >= 8 and head.count(b"\x00") * 3 >= len(head):
        # UTF-16 without a byte-order mark: every other byte of ASCII text is NUL.
        order = "little-endian" if head[1:2] == b"\x00" else "big-endian"
        raise InputError(
            f"{path}: the file looks encoded as UTF-16 ({order}, no byte-order mark), not "
            f"UTF-8; {_SAVE_UTF8}"
        )
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    nul = data.find(b"\x00")
    if nul >= 0:
        n = data.count(b"\x00")
        raise InputError(
            f"{path}: {_where(_header_for(data, sep), *_line_and_col(data, nul, sep))}: "
            f"NUL byte in a cell ({n} in the file; binary garbage or a UTF-16 fragment); "
            f"remove it and save the file as plain UTF-8 text"
        )
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, field = _line_and_col(data, exc.start, sep)
            raw = data[exc.start : exc.start + 1]
            raise InputError(
                f"{path}: {_where(_header_for(data, sep), line, field)}: byte "
                f"0x{data[exc.start]:02X} is not UTF-8; {_guess_8bit(raw)}; {_SAVE_UTF8}"
            ) from exc
    return data


def _header_for(data: bytes, sep: bytes) -> list[str]:
    end = data.find(b"\n")
    line = data[: end if end >= 0 else len(data)].rstrip(b"\r")
    return [f.strip('"') for f in line.decode("utf-8", "replace").split(sep.decode())]


def _parse_header(data: bytes, path: Path, sep: str) -> list[str]:
    end = data.find(b"\n")
    line = data[: end if end >= 0 else len(data)].rstrip(b"\r").decode("utf-8")
    if not line.strip():
        raise InputError(
            f"{path}: line 1 is blank; the first line must be the header (examinee_id and the "
            f"item ids)"
        )
    header = next(csv.reader([line], delimiter=sep))
    if len(header) == 1:
        found = {s: line.count(s) for s in _SEPARATOR_NAMES if s != sep and line.count(s)}
        if found:
            other = max(found, key=lambda s: found[s])
            expected = _SEPARATOR_NAMES[sep]
            raise InputError(
                f"{path}: line 1: the header holds no {expected} but {found[other]} "
                f"{_SEPARATOR_NAMES[other]}(s): the file is {_SEPARATOR_NAMES[other]}-separated; "
                f"save it {expected}-separated"
                + (" (or name it .tsv if tab-separated)" if other == "\t" else "")
            )
    for index, name in enumerate(header, start=1):
        if name.strip() == "":
            raise InputError(
                f"{path}: line 1, column {index}: empty column name; name the column or delete it"
            )
        if name != name.strip():
            raise InputError(
                f"{path}: line 1, column {index}: column name {name!r} has surrounding spaces; "
                f"remove them"
            )
    seen: dict[str, int] = {}
    for index, name in enumerate(header, start=1):
        if name in seen:
            raise InputError(
                f"{path}: line 1: column {name!r} appears twice (columns {seen[name]} and "
                f"{index}); which one holds the responses is ambiguous: delete or rename one"
            )
        seen[name] = index
    return header


def _field_counts_fast(data: bytes, sep: bytes) -> tuple[np.ndarray, np.ndarray, bool]:
    """Fields per line, line lengths (without the newline), whether the last line ends.

    Valid only for files without quote characters: a separator then always separates.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    terminated = bool(data.endswith(b"\n"))
    n_lines = len(newlines) + (0 if terminated else 1)
    seps = np.flatnonzero(arr == sep[0])
    line_of_sep = np.searchsorted(newlines, seps)
    counts = np.bincount(line_of_sep, minlength=n_lines)[:n_lines] + 1
    starts = np.concatenate(([0], newlines + 1))[:n_lines]
    ends = np.concatenate((newlines, [len(data)]))[:n_lines]
    lengths = ends - starts
    # A line holding only "\r" (CRLF file) is blank too.
    cr = np.zeros(n_lines, dtype=bool)
    nonempty = lengths > 0
    cr[nonempty] = arr[ends[nonempty] - 1] == 13
    lengths = lengths - cr
    return counts, lengths, terminated


def _field_counts_quoted(text: str, sep: str) -> tuple[np.ndarray, np.ndarray, bool, np.ndarray]:
    """As :func:`_field_counts_fast` for quoted files, by the csv module (one entry per record);
    also the 1-based physical line each record starts on."""
    counts, lengths, lines = [], [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    start = 1
    try:
        for record in reader:
            counts.append(len(record))
            lengths.append(0 if not record else sum(len(f) for f in record) + len(record))
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"line {reader.line_num}: {exc}") from exc
    return (
        np.asarray(counts, dtype=np.int64),
        np.asarray(lengths, dtype=np.int64),
        text.endswith("\n"),
        np.asarray(lines, dtype=np.int64),
    )


def _rows_text(lines: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(v) - 1) for v in lines[:limit])
    return shown + (" ..." if len(lines) > limit else "")


def _check_structure(data: bytes, path: Path, sep: str, header: list[str]) -> None:
    if b'"' in data:
        try:
            counts, lengths, terminated, line_no = _field_counts_quoted(data.decode("utf-8"), sep)
        except DataError as exc:
            raise InputError(
                f'{path}: {exc}; a quote character (") opens a field that never closes; '
                f"fix the quoting"
            ) from exc
    else:
        counts, lengths, terminated = _field_counts_fast(data, sep.encode())
        line_no = np.arange(1, len(counts) + 1)
    width = len(header)
    blank = lengths == 0
    # Blank lines at the very end are harmless; inside the data they are not.
    last_content = int(np.flatnonzero(~blank)[-1]) if (~blank).any() else 0
    body = np.arange(len(counts)) <= last_content
    inner_blank = np.flatnonzero(blank & body)
    if len(inner_blank):
        line = int(line_no[inner_blank[0]])
        raise InputError(
            f"{path}: line {line} is blank ({len(inner_blank)} blank line(s) inside the data); "
            f"delete blank lines"
        )
    wrong = np.flatnonzero((counts != width) & body & ~blank)
    if len(wrong) == 0:
        return
    first = int(wrong[0])
    line = int(line_no[first])
    got = int(counts[first])
    others = len(wrong) - 1
    more = (
        f" ({len(wrong)} rows have the wrong number of fields: rows {_rows_text(line_no[wrong])})"
        if others
        else ""
    )
    if first == last_content and not terminated and got < width:
        raise InputError(
            f"{path}: row {line - 1} (line {line}), the last: {got} of {width} fields and no "
            f"end of line: the file is cut off mid-row (truncated copy or download?); get the "
            f"complete file{more}"
        )
    if got < width:
        missing = header[got] if got < width else ""
        raise InputError(
            f"{path}: row {line - 1} (line {line}): {got} fields, the header has {width} "
            f"(columns from {missing} on are missing); every row needs one field per column "
            f"(an omitted response is an empty field){more}"
        )
    raise InputError(
        f"{path}: row {line - 1} (line {line}): {got} fields, the header has {width} "
        f"(extra fields after the last column {header[-1]}); remove them or add their "
        f"column names{more}"
    )


def read_text_table(path: Path, *, separator: str = ",", infer: bool = False) -> pl.DataFrame:
    """Read a CSV/TSV file after the byte-level checks above; strings unless ``infer``."""
    check_file_kind(path, "text")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    data = _check_encoding(data, path, separator.encode())
    if not data.strip():
        raise InputError(
            f"{path}: the file holds only blank lines; expected a header row and one row per "
            f"examinee"
        )
    header = _parse_header(data, path, separator)
    _check_structure(data, path, separator, header)
    if data.endswith((b"\n\n", b"\n\r\n")):
        data = data.rstrip(b"\r\n") + b"\n"  # trailing blank lines (allowed) are not rows
    try:
        if infer:
            return pl.read_csv(data, infer_schema_length=None, separator=separator)
        return pl.read_csv(data, infer_schema=False, separator=separator)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read as CSV: {first_line(exc)}") from exc


def read_table(path: str | Path, *, what: str = "table", infer: bool = True) -> pl.DataFrame:
    """Read a small input table (key, parameters, conversion, equating, statistics).

    ``.parquet`` files are read as Parquet, ``.tsv`` as tab-separated text, anything else
    as CSV, each after the checks of this module; every failure is an :class:`InputError`
    naming the file and ``what`` it should have been.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such {what} file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file (expected a {what} file)")
    if path.suffix.lower() == ".parquet":
        check_parquet_files([path])
        try:
            return pl.read_parquet(path)
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            raise InputError(f"{path}: cannot read {what}: {first_line(exc)}") from exc
        except pl.exceptions.PanicException as exc:  # a BaseException: damaged pages
            raise InputError(f"{path}: the Parquet data are damaged; write the file again") from exc
    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    return read_text_table(path, separator=separator, infer=infer)


def _arrow_names(path: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(
            f"{path}: not a readable Parquet file ({first_line(exc)}); write it again"
        ) from exc


def check_parquet_files(files: Sequence[Path]) -> dict[str, pl.DataType]:
    """Check the magic bytes, metadata and column names of Parquet files; the common schema."""
    schema: dict[str, pl.DataType] | None = None
    first: Path | None = None
    for path in files:
        check_file_kind(path, "parquet")
        names = _arrow_names(path)
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise InputError(
                    f"{path}: column {name!r} appears twice; which one holds the responses is "
                    f"ambiguous: write the file with unique column names"
                )
            seen.add(name)
        try:
            this = dict(pl.read_parquet_schema(path))
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            raise InputError(
                f"{path}: not a readable Parquet file ({first_line(exc)}); write it again"
            ) from exc
        if schema is None:
            schema, first = this, path
            continue
        if list(this) != list(schema):
            missing = [c for c in schema if c not in this]
            extra = [c for c in this if c not in schema]
            detail = (
                f"lacks column {missing[0]!r}"
                if missing
                else f"has column {extra[0]!r} that {first.name} lacks"
                if extra
                else "orders its columns differently"
            )
            raise InputError(
                f"{path}: {detail}; every file of a directory or pattern must have the columns "
                f"of the first ({first.name})"
            )
        for name, dtype in this.items():
            if dtype != schema[name]:
                raise InputError(
                    f"{path}: column {name!r} is {dtype}, but {schema[name]} in {first.name}; "
                    f"every file must store a column with one type"
                )
    return schema or {}


_ITEM_DTYPES = (pl.String, pl.Categorical, pl.Enum, pl.Null)


def _scalar_key(dtype: pl.DataType) -> bool:
    return (
        dtype == pl.String
        or dtype.is_integer()
        or dtype in (pl.Categorical, pl.Boolean)
        or isinstance(dtype, pl.Enum)
    )


def check_item_dtypes(
    schema: dict[str, pl.DataType],
    items: Sequence[str],
    id_column: str,
    source: str,
    *,
    keys: Sequence[str] = (),
) -> None:
    """Item columns must be text (letters) or numbers (0/1); the id column and ``keys``
    (group variables, the long format's ``item_id``) text, integers or categories."""
    for name in items:
        dtype = schema.get(name)
        if dtype is None:
            continue
        if isinstance(dtype, _ITEM_DTYPES) or dtype in _ITEM_DTYPES or dtype.is_numeric():
            continue
        raise DataError(
            f"{source}: column {name}: type {dtype} cannot hold a response; an item column holds "
            f"an option letter (text) or a 0/1 score (integer), one value per cell"
        )
    dtype = schema.get(id_column)
    if dtype is not None and not _scalar_key(dtype):
        raise DataError(
            f"{source}: column {id_column}: type {dtype} cannot hold examinee ids; use text or "
            f"integers"
        )
    for name in keys:
        dtype = schema.get(name)
        if dtype is not None and not (_scalar_key(dtype) or dtype.is_numeric()):
            raise DataError(
                f"{source}: column {name}: type {dtype} cannot hold group labels or ids; use "
                f"text or integers, one value per cell"
            )
