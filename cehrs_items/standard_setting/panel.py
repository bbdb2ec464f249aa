"""Reading and checking a standard-setting panel's data (``schemas/standard_setting.md``).

Every panel file is CSV with a header row; row numbers in messages count data rows from
1 (the header is not a row), as for response files. Each check names the file, the row
and the column, and says what is expected. The checked frames are plain Polars frames
with fixed columns and dtypes, sorted, so that the methods receive clean data:

- ratings (modified Angoff): ``judge_id``, ``item_id``, ``round``, ``rating``
- Hofstee judgements: ``judge_id``, ``round``, ``min_cut``, ``max_cut``, ``min_fail``, ``max_fail``
- Beuk judgements: ``judge_id``, ``round``, ``cut``, ``pass_rate``
- bookmarks: ``judge_id``, ``round``, ``page``

``round`` is optional in every file (default 1). The same ``*_from_frame`` checks run on
frames built in memory (``where`` names them in messages).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from cehrs_items.errors import DataError, InputError
from cehrs_items.tables import table_schema
from cehrs_items.tabular import read_table

YES = frozenset({"yes", "y", "true"})
NO = frozenset({"no", "n", "false"})


def read_panel_csv(path: str | Path) -> pl.DataFrame:
    """Read a panel CSV as text columns (values are parsed and checked by the callers)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such panel file")
    return read_table(path, what="panel CSV", infer=False)


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        [pl.col(c).cast(pl.String).str.strip_chars().alias(c) for c in frame.columns]
    )


def _require(frame: pl.DataFrame, columns: Sequence[str], where: str, hint: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{where}: column(s) {', '.join(missing)} missing (found: "
            f"{', '.join(frame.columns) or 'none'}); {hint}"
        )
    if frame.height == 0:
        raise DataError(f"{where}: no data rows")


def _ids(frame: pl.DataFrame, column: str, where: str) -> pl.Series:
    col = frame.get_column(column)
    bad = col.is_null() | (col == "")
    if bad.any():
        row = int(bad.arg_max()) + 1
        raise DataError(f"{where}: row {row}, column {column}: empty; give an id")
    return col


def _numbers(
    frame: pl.DataFrame,
    column: str,
    where: str,
    *,
    low: float | None = None,
    high: float | None = None,
    whole: bool = False,
    what: str = "a number",
) -> pl.Series:
    """Parse a text column as Float64, naming the first bad row."""
    text = frame.get_column(column)
    for row, value in enumerate(text.to_list(), start=1):
        if value is None or value == "":
            raise DataError(f"{where}: row {row}, column {column}: empty; give {what}")
        try:
            number = float(value)
        except ValueError:
            raise DataError(
                f"{where}: row {row}, column {column}: {value!r} is not {what}"
            ) from None
        if not math.isfinite(number):
            raise DataError(f"{where}: row {row}, column {column}: {value!r} is not {what}")
        if whole and number != int(number):
            raise DataError(f"{where}: row {row}, column {column}: {value!r} is not {what}")
        if (low is not None and number < low) or (high is not None and number > high):
            raise DataError(f"{where}: row {row}, column {column}: {value!r} is not {what}")
    return text.cast(pl.Float64)


def _rounds(frame: pl.DataFrame, where: str) -> pl.Series:
    if "round" not in frame.columns:
        return pl.Series("round", [1] * frame.height, dtype=pl.Int64)
    return _numbers(frame, "round", where, low=1, whole=True, what="a round number 1, 2, ...").cast(
        pl.Int64
    )


def _no_duplicates(frame: pl.DataFrame, keys: Sequence[str], where: str) -> None:
    dup = frame.select((~pl.struct(list(keys)).is_first_distinct()).alias("d")).get_column("d")
    if dup.any():
        row = int(dup.arg_max()) + 1
        rec = frame.row(row - 1, named=True)
        first = (
            frame.with_row_index("_row", offset=1)
            .filter(pl.all_horizontal([pl.col(k) == rec[k] for k in keys]))
            .get_column("_row")[0]
        )
        what = ", ".join(f"{k} {rec[k]!r}" for k in keys)
        raise DataError(
            f"{where}: row {row}: {what} appears twice (first on row {first}); keep one row"
        )


def _same_judges_each_round(frame: pl.DataFrame, where: str) -> None:
    """Every round lists at least two distinct judges (needed for an SD and an SE)."""
    counts = frame.group_by("round").agg(pl.col("judge_id").n_unique().alias("n")).sort("round")
    for rnd, n in counts.iter_rows():
        if n < 2:
            raise DataError(
                f"{where}: round {rnd} has {n} judge; a panel needs at least two judges per "
                "round for an SD and a standard error"
            )


def ratings_from_frame(
    frame: pl.DataFrame,
    *,
    where: str = "ratings",
    items: Sequence[str] | None = None,
    yes_no: bool = False,
) -> pl.DataFrame:
    """Check modified-Angoff ratings; return ``judge_id, item_id, round, rating`` sorted.

    ``rating`` is a probability in [0, 1] (the chance a minimally competent candidate
    answers correctly); with ``yes_no`` it must be 0/1 or yes/no. Yes/no words are read
    as 1/0 in either case. Refused with a located message: a missing column, an empty
    id, a value that is not a number or lies outside [0, 1], a duplicate (judge, item,
    round), a judge who did not rate every item of a round, an item not on the form
    (``items``) and a round with fewer than two judges.
    """
    frame = _as_text(frame)
    _require(frame, ("judge_id", "item_id", "rating"), where, "see schemas/standard_setting.md")
    judge = _ids(frame, "judge_id", where)
    item = _ids(frame, "item_id", where)
    rounds = _rounds(frame, where)
    text = frame.get_column("rating").str.to_lowercase()
    mapped = (
        pl.when(text.is_in(list(YES)))
        .then(pl.lit("1"))
        .when(text.is_in(list(NO)))
        .then(pl.lit("0"))
        .otherwise(frame.get_column("rating"))
    )
    frame = frame.with_columns(rating=mapped)
    what = "0 or 1 (no/yes)" if yes_no else "a probability in [0, 1]"
    rating = _numbers(frame, "rating", where, low=0.0, high=1.0, what=what)
    if yes_no:
        bad = ~rating.is_in([0.0, 1.0])
        if bad.any():
            row = int(bad.arg_max()) + 1
            raise DataError(
                f"{where}: row {row}, column rating: {frame['rating'][row - 1]!r} is not {what}"
            )
    clean = pl.DataFrame(
        {"judge_id": judge, "item_id": item, "round": rounds, "rating": rating},
        schema={
            "judge_id": pl.String,
            "item_id": pl.String,
            "round": pl.Int64,
            "rating": pl.Float64,
        },
    )
    _no_duplicates(clean, ("judge_id", "item_id", "round"), where)
    if items is not None:
        known = set(items)
        unknown = ~clean.get_column("item_id").is_in(list(known))
        if unknown.any():
            row = int(unknown.arg_max()) + 1
            raise DataError(
                f"{where}: row {row}, column item_id: item {clean['item_id'][row - 1]!r} is not "
                "a scored item of the form; rate the form's scored items only"
            )
        expected = sorted(known)
    else:
        expected = sorted(set(clean.get_column("item_id").to_list()))
    for (rnd,), part in clean.group_by(["round"], maintain_order=True):
        for (judge_id,), sub in part.group_by(["judge_id"], maintain_order=True):
            have = set(sub.get_column("item_id").to_list())
            missing = [i for i in expected if i not in have]
            if missing:
                shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
                raise DataError(
                    f"{where}: judge {judge_id!r}, round {rnd}: no rating for {len(missing)} "
                    f"item(s): {shown}; every judge rates every item in each round"
                )
    _same_judges_each_round(clean, where)
    if len(expected) < 2:
        raise DataError(f"{where}: ratings cover {len(expected)} item; rate at least two items")
    return clean.sort("round", "judge_id", "item_id")


def read_ratings(
    path: str | Path, *, items: Sequence[str] | None = None, yes_no: bool = False
) -> pl.DataFrame:
    """Read and check a ratings CSV (see :func:`ratings_from_frame`)."""
    return ratings_from_frame(read_panel_csv(path), where=str(path), items=items, yes_no=yes_no)


def hofstee_from_frame(
    frame: pl.DataFrame, *, where: str = "hofstee judgements", max_score: int | None = None
) -> pl.DataFrame:
    """Check Hofstee judgements; return ``judge_id, round, min_cut, max_cut, min_fail, max_fail``.

    Cuts are raw scores in ``[0, max_score]``, failure rates proportions in [0, 1]; each
    judge's minimum may not exceed the maximum; one row per judge and round.
    """
    frame = _as_text(frame)
    cols = ("judge_id", "min_cut", "max_cut", "min_fail", "max_fail")
    _require(frame, cols, where, "see schemas/standard_setting.md")
    cut_range = f"a raw score in [0, {max_score}]" if max_score is not None else "a raw score >= 0"
    data = {
        "judge_id": _ids(frame, "judge_id", where),
        "round": _rounds(frame, where),
        "min_cut": _numbers(frame, "min_cut", where, low=0, high=max_score, what=cut_range),
        "max_cut": _numbers(frame, "max_cut", where, low=0, high=max_score, what=cut_range),
        "min_fail": _numbers(
            frame, "min_fail", where, low=0, high=1, what="a proportion in [0, 1]"
        ),
        "max_fail": _numbers(
            frame, "max_fail", where, low=0, high=1, what="a proportion in [0, 1]"
        ),
    }
    clean = pl.DataFrame(data, schema=table_schema("hofstee_judges"))
    for low, high in (("min_cut", "max_cut"), ("min_fail", "max_fail")):
        bad = clean.get_column(low) > clean.get_column(high)
        if bad.any():
            row = int(bad.arg_max()) + 1
            raise DataError(
                f"{where}: row {row}, column {low}: {clean[low][row - 1]:g} is above {high} "
                f"{clean[high][row - 1]:g}; the minimum may not exceed the maximum"
            )
    _no_duplicates(clean, ("judge_id", "round"), where)
    _same_judges_each_round(clean, where)
    return clean.sort("round", "judge_id")


def read_hofstee(path: str | Path, *, max_score: int | None = None) -> pl.DataFrame:
    """Read and check a Hofstee judgement CSV (see :func:`hofstee_from_frame`)."""
    return hofstee_from_frame(read_panel_csv(path), where=str(path), max_score=max_score)


def beuk_from_frame(
    frame: pl.DataFrame, *, where: str = "Beuk judgements", max_score: int | None = None
) -> pl.DataFrame:
    """Check Beuk judgements; return ``judge_id, round, cut, pass_rate`` sorted.

    ``cut`` is the judge's cut as a raw score in ``[0, max_score]``; ``pass_rate`` the pass
    rate the judge expects (proportion in [0, 1]); one row per judge and round.
    """
    frame = _as_text(frame)
    _require(frame, ("judge_id", "cut", "pass_rate"), where, "see schemas/standard_setting.md")
    cut_range = f"a raw score in [0, {max_score}]" if max_score is not None else "a raw score >= 0"
    clean = pl.DataFrame(
        {
            "judge_id": _ids(frame, "judge_id", where),
            "round": _rounds(frame, where),
            "cut": _numbers(frame, "cut", where, low=0, high=max_score, what=cut_range),
            "pass_rate": _numbers(
                frame, "pass_rate", where, low=0, high=1, what="a proportion in [0, 1]"
            ),
        },
        schema=table_schema("beuk_judges"),
    )
    _no_duplicates(clean, ("judge_id", "round"), where)
    _same_judges_each_round(clean, where)
    return clean.sort("round", "judge_id")


def read_beuk(path: str | Path, *, max_score: int | None = None) -> pl.DataFrame:
    """Read and check a Beuk judgement CSV (see :func:`beuk_from_frame`)."""
    return beuk_from_frame(read_panel_csv(path), where=str(path), max_score=max_score)


def bookmarks_from_frame(
    frame: pl.DataFrame, *, where: str = "bookmarks", n_pages: int
) -> pl.DataFrame:
    """Check bookmark placements; return ``judge_id, round, page`` sorted.

    ``page`` is a whole number in ``[1, n_pages]`` of the ordered item booklet; one row
    per judge and round.
    """
    frame = _as_text(frame)
    _require(frame, ("judge_id", "page"), where, "see schemas/standard_setting.md")
    clean = pl.DataFrame(
        {
            "judge_id": _ids(frame, "judge_id", where),
            "round": _rounds(frame, where),
            "page": _numbers(
                frame,
                "page",
                where,
                low=1,
                high=n_pages,
                whole=True,
                what=f"a page of the booklet, 1 to {n_pages}",
            ).cast(pl.Int64),
        }
    )
    _no_duplicates(clean, ("judge_id", "round"), where)
    _same_judges_each_round(clean, where)
    return clean.sort("round", "judge_id")


def read_bookmarks(path: str | Path, *, n_pages: int) -> pl.DataFrame:
    """Read and check a bookmark CSV (see :func:`bookmarks_from_frame`)."""
    return bookmarks_from_frame(read_panel_csv(path), where=str(path), n_pages=n_pages)
