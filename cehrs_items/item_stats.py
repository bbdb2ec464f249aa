"""The bank's item statistics table (``item_bank/stats/item_stats.csv``).

One row per item and administration (contract ``schemas/item_stats.schema.json``).
Statistics never live in item files: they change with every administration. Analysis
and calibration append rows here through :func:`append_item_stats`; readers take the
latest row per item with :func:`latest_item_stats`.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import polars as pl

from cehrs_items.contracts import validator
from cehrs_items.errors import DataError
from cehrs_items.io import atomic_write
from cehrs_items.tables import table_schema
from cehrs_items.tabular import read_table

STATS_SCHEMA: dict[str, pl.DataType] = table_schema("bank_item_stats")
"""Column names and dtypes of the statistics table, in file order."""

STATS_COLUMNS = tuple(STATS_SCHEMA)
SORT_COLUMNS = ["item_id", "administration_date", "form_id", "source"]


def empty_item_stats() -> pl.DataFrame:
    return pl.DataFrame(schema=STATS_SCHEMA)


def conform_item_stats(frame: pl.DataFrame, *, where: str = "item statistics") -> pl.DataFrame:
    """Add missing optional columns as nulls, cast to the table's dtypes and order columns."""
    required = [c for c in validator("item_stats").schema["required"]]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"{where}: required column(s) {', '.join(missing)} missing "
            f"(found: {', '.join(frame.columns)})"
        )
    unknown = [c for c in frame.columns if c not in STATS_SCHEMA]
    if unknown:
        raise DataError(
            f"{where}: unknown column(s) {', '.join(unknown)}; "
            f"expected a subset of {', '.join(STATS_COLUMNS)}"
        )
    exprs = []
    for name, dtype in STATS_SCHEMA.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype, strict=False).alias(name))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)


def validate_item_stats(frame: pl.DataFrame, *, where: str = "item_stats.csv") -> list[str]:
    """Every schema violation in the table, as 'row N, field F: message' strings (row 1 = first data row)."""
    problems = []
    check = validator("item_stats")
    for row_number, row in enumerate(frame.iter_rows(named=True), start=1):
        clean = {
            k: v
            for k, v in row.items()
            if v is not None and not (isinstance(v, float) and math.isnan(v))
        }
        for error in check.iter_errors(clean):
            field = "/".join(str(p) for p in error.absolute_path) or "(row)"
            problems.append(f"{where}: row {row_number}, field {field}: {error.message}")
    return problems


def read_item_stats(path: str | Path) -> pl.DataFrame:
    """Read a statistics table (CSV or Parquet), conformed to :data:`STATS_SCHEMA`."""
    path = Path(path)
    frame = read_table(path, what="statistics table", infer=False)
    return conform_item_stats(frame, where=str(path))


def sort_item_stats(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(SORT_COLUMNS, nulls_last=True, maintain_order=True)


def render_item_stats_csv(frame: pl.DataFrame) -> str:
    """CSV text of the table with stable row order and full float precision."""
    buffer = io.StringIO()
    sort_item_stats(conform_item_stats(frame)).write_csv(buffer)
    return buffer.getvalue()


def write_item_stats(path: str | Path, frame: pl.DataFrame, *, force: bool = False) -> Path:
    """Write a whole statistics table atomically (CSV)."""
    return atomic_write(path, render_item_stats_csv(frame), force=force)


def append_item_stats(path: str | Path, rows: pl.DataFrame) -> Path:
    """Append rows to the table at ``path`` (created if absent); the rewrite is atomic."""
    rows = conform_item_stats(rows, where="new statistics rows")
    problems = validate_item_stats(rows, where="new statistics rows")
    if problems:
        raise DataError(problems[0])
    path = Path(path)
    existing = read_item_stats(path) if path.exists() else empty_item_stats()
    return write_item_stats(path, pl.concat([existing, rows]), force=True)


def latest_item_stats(frame: pl.DataFrame) -> pl.DataFrame:
    """The most recent row per item (by administration_date, then file order)."""
    return (
        frame.with_row_index("_order")
        .sort(["item_id", "administration_date", "_order"])
        .group_by("item_id", maintain_order=True)
        .last()
        .drop("_order")
        .select(STATS_COLUMNS)
    )
