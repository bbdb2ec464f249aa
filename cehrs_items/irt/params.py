"""Item parameter files: the hand-over between calibration and its users.

A parameter file is CSV (or Parquet) with at least ``item_id``, ``a``, ``b`` and ``c``
(``c`` = 0 for Rasch/2PL) and optionally ``d``, the logistic scaling constant (1 when
absent), ``model`` and the standard errors ``se_a``, ``se_b``, ``se_c``. Calibration
writes further columns (``n``, item fit, warnings); readers ignore what they do not use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from cehrs_items.errors import DataError
from cehrs_items.tabular import read_table

REQUIRED_PARAM_COLUMNS = ("item_id", "a", "b", "c")


def params_from_frame(frame: pl.DataFrame, *, where: str = "parameters") -> pl.DataFrame:
    """Check and normalise a parameter frame: item_id, a, b, c, d as Float64, sorted by item_id."""
    missing = [c for c in REQUIRED_PARAM_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{where}: column(s) {', '.join(missing)} missing (found: {', '.join(frame.columns)})"
        )
    if "d" not in frame.columns:
        frame = frame.with_columns(pl.lit(1.0).alias("d"))
    numeric = ["a", "b", "c", "d"] + [c for c in ("se_a", "se_b", "se_c") if c in frame.columns]
    frame = frame.with_columns(
        pl.col("item_id").cast(pl.String),
        *[pl.col(c).cast(pl.Float64, strict=False) for c in numeric],
    )
    for row, rec in enumerate(frame.select("item_id", "a", "b", "c", "d").iter_rows(), start=1):
        item_id, a, b, c, d = rec
        if item_id is None or item_id == "":
            raise DataError(f"{where}: row {row}, column item_id: empty item id")
        for name, value in (("a", a), ("b", b), ("c", c), ("d", d)):
            if value is None or not np.isfinite(value):
                raise DataError(f"{where}: row {row} ({item_id}), column {name}: not a number")
        if a <= 0:
            raise DataError(f"{where}: row {row} ({item_id}), column a: slope {a} must be > 0")
        if not 0 <= c < 1:
            raise DataError(f"{where}: row {row} ({item_id}), column c: {c} must lie in [0, 1)")
        if d <= 0:
            raise DataError(f"{where}: row {row} ({item_id}), column d: {d} must be > 0")
    dup = frame.get_column("item_id").is_duplicated()
    if dup.any():
        raise DataError(f"{where}: item {frame['item_id'][int(dup.arg_max())]!r} appears twice")
    return frame.sort("item_id")


def read_params(path: str | Path) -> pl.DataFrame:
    """Read a parameter file (CSV or Parquet) and check it with :func:`params_from_frame`."""
    path = Path(path)
    frame = read_table(path, what="parameter")
    return params_from_frame(frame, where=str(path))
