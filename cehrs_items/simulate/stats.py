"""The synthetic statistics table: status-appropriate rows for every item of a bank.

``simulate stats`` (and ``simulate bank``) draw 3PL parameters for the operational,
pretest and retired items (draft and review items get no row: they were never
administered) and write rows labelled ``source=synthetic`` through the statistics-table
code path of :mod:`cehrs_items.item_stats`. The p-value and point-biserial in each row are
the values the parameters imply (:func:`cehrs_items.simulate.params.implied_item_stats`),
the standard errors those of a calibration at the row's ``n`` with the usual Beta prior
on ``c``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cehrs_items.bank import STATS_FILE, load_bank
from cehrs_items.blueprint import default_blueprint_path, load_blueprint
from cehrs_items.contracts import validator
from cehrs_items.errors import DataError, InputError
from cehrs_items.io import prepare_output, write_files
from cehrs_items.item_stats import (
    conform_item_stats,
    read_item_stats,
    render_item_stats_csv,
    sort_item_stats,
    validate_item_stats,
)
from cehrs_items.simulate.params import (
    DrawnParams,
    ParamDistribution,
    Screen,
    draw_item_params,
    expected_standard_errors,
)

STATS_STATUSES = ("operational", "pretest", "retired")
"""Statuses that get a statistics row (items that have been administered)."""

DEFAULT_FORM_ID = "SYNTH-2026"
DEFAULT_ADMINISTRATION_DATE = "2026-12-31"
DEFAULT_THETA_SCALE = "cehrs-bank"
DEFAULT_N_SCORED = 1800
"""Examinees per operational (and retired) item: about one year of CEHRS volume."""
DEFAULT_N_PRETEST = 500
"""Examinees per pretest item: a year's volume spread over the pretest slots."""

_DATE_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


@dataclass(frozen=True)
class SyntheticStats:
    """Rows for the statistics table plus what generated them.

    ``table`` conforms to :data:`cehrs_items.item_stats.STATS_SCHEMA` (sorted by
    ``item_id``); ``params`` is the drawing record (:class:`DrawnParams`); ``settings``
    the generating choices (also written to the stats README).
    """

    table: pl.DataFrame
    params: DrawnParams
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Counts and the classical-statistics profile of the rows, by status."""
        return stats_profile(self.table, self.params.table)


def stats_profile(table: pl.DataFrame, drawn: pl.DataFrame | None = None) -> dict[str, Any]:
    """Mean/min/max of p, point-biserial and c, overall and by n (a proxy for status)."""

    def describe(col: pl.Series) -> dict[str, float]:
        return {"mean": float(col.mean()), "min": float(col.min()), "max": float(col.max())}

    out: dict[str, Any] = {"rows": table.height}
    if table.height:
        out["p_value"] = describe(table.get_column("p_value"))
        out["item_total_r"] = describe(table.get_column("item_total_r"))
        out["a"] = describe(table.get_column("a"))
        out["b"] = describe(table.get_column("b"))
        out["c"] = describe(table.get_column("c"))
    if drawn is not None and drawn.height:
        out["unscreened"] = int((~drawn.get_column("screened")).sum())
    return out


def synthetic_item_stats(
    items: pl.DataFrame,
    *,
    seed: int,
    form_length: int,
    form_id: str = DEFAULT_FORM_ID,
    administration_date: str = DEFAULT_ADMINISTRATION_DATE,
    theta_scale: str = DEFAULT_THETA_SCALE,
    n_scored: int = DEFAULT_N_SCORED,
    n_pretest: int = DEFAULT_N_PRETEST,
    distribution: ParamDistribution | None = None,
    screen: Screen | None = Screen(),
) -> SyntheticStats:
    """Synthetic statistics rows for the administered items of a bank.

    Parameters
    ----------
    items : pl.DataFrame
        ``item_id``, ``item_version``, ``status`` (e.g. :meth:`cehrs_items.bank.Bank.to_frame`).
        Items whose status is not operational, pretest or retired get no row.
    seed : int
        Seed of every item's random stream (:func:`~cehrs_items.simulate.params.item_stream`).
    form_length : int
        Scored items per form (the blueprint's ``form.scored_items``): the point-biserial
        is with the total of a typical form of this length (of the operational pool's
        size if that is smaller: ``settings["form_length_used"]``).
    form_id, administration_date, theta_scale : str
        Labels written into every row.
    n_scored, n_pretest : int
        ``n`` of operational/retired rows and of pretest rows.
    distribution, screen
        Generating distributions and classical screen (defaults documented in
        ``item_bank/stats/README.md``).

    Returns
    -------
    SyntheticStats
        ``table`` columns: ``item_id``, ``item_version``, ``form_id``,
        ``administration_date``, ``source`` (``synthetic``), ``n``, ``p_value``,
        ``item_total_r``, ``irt_model`` (``3pl``), ``a``, ``b``, ``c``, ``se_a``, ``se_b``,
        ``se_c``, ``d`` (1, logistic metric), ``theta_scale``.

    Notes
    -----
    The reference pool of the total score is the operational items; operational and
    retired items count in their own total, pretest items are correlated with the scored
    total only (as on a real form). ``p_value`` and ``item_total_r`` are the model-implied
    values at :math:`\\theta \\sim N(0, 1)`; standard errors are
    :func:`~cehrs_items.simulate.params.expected_standard_errors` at the row's ``n``.
    """
    for col in ("item_id", "item_version", "status"):
        if col not in items.columns:
            raise DataError(f"items: column {col!r} missing (found: {', '.join(items.columns)})")
    if not _DATE_RE.match(administration_date):
        raise InputError(
            f"administration date {administration_date!r} is not a date YYYY-MM-DD "
            "(e.g. --administration-date 2026-12-31)"
        )
    if not form_id or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", form_id):
        raise InputError(
            f"form id {form_id!r}: use letters, digits, '.', '_' or '-' (e.g. SYNTH-2026)"
        )
    if n_scored < 0 or n_pretest < 0:
        raise InputError("sample sizes must be non-negative")
    rows = items.filter(pl.col("status").is_in(STATS_STATUSES)).sort("item_id")
    if rows.height == 0:
        raise DataError("the bank has no operational, pretest or retired items to give statistics")
    status = rows.get_column("status").to_numpy()
    operational = status == "operational"
    if operational.sum() < 3:
        raise DataError(
            f"the bank has {int(operational.sum())} operational item(s); at least 3 are needed "
            "to model the total score of a form"
        )
    # A form cannot hold more items than the operational pool; a young bank is modelled
    # by the longest form it can fill (recorded in the settings).
    length_used = min(form_length, int(operational.sum()))
    drawn = draw_item_params(
        rows.get_column("item_id").to_list(),
        seed=seed,
        reference=operational,
        counted=status != "pretest",
        form_length=length_used,
        distribution=distribution,
        screen=screen,
    )
    par = drawn.table
    n = np.where(status == "pretest", n_pretest, n_scored).astype(np.int64)
    se = expected_standard_errors(
        par.get_column("a").to_numpy(),
        par.get_column("b").to_numpy(),
        par.get_column("c").to_numpy(),
        n,
        d=par.get_column("d").to_numpy(),
        c_prior=(drawn.distribution.c_alpha, drawn.distribution.c_beta),
    )
    table = pl.DataFrame(
        {
            "item_id": rows.get_column("item_id"),
            "item_version": rows.get_column("item_version").cast(pl.Int64),
            "form_id": form_id,
            "administration_date": administration_date,
            "source": "synthetic",
            "n": n,
            "p_value": par.get_column("p_value"),
            "item_total_r": par.get_column("item_total_r"),
            "irt_model": "3pl",
            "a": par.get_column("a"),
            "b": par.get_column("b"),
            "c": par.get_column("c"),
            "se_a": se["se_a"],
            "se_b": se["se_b"],
            "se_c": se["se_c"],
            "d": par.get_column("d"),
            "theta_scale": theta_scale,
        }
    )
    table = sort_item_stats(conform_item_stats(table, where="synthetic statistics"))
    if not rows_valid_fast(table):
        problems = validate_item_stats(table, where="synthetic statistics")
        if problems:
            raise DataError(problems[0])
    dist = drawn.distribution
    settings = {
        "seed": seed,
        "form_id": form_id,
        "administration_date": administration_date,
        "theta_scale": theta_scale,
        "form_length": form_length,
        "form_length_used": length_used,
        "n_scored": n_scored,
        "n_pretest": n_pretest,
        "distribution": dist.as_dict(),
        "screen": None if screen is None else screen.as_dict(),
    }
    return SyntheticStats(table=table, params=drawn, settings=settings)


_FAST_KEYWORDS = {
    "type",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "enum",
    "minLength",
    "description",
}
_FAST_TOP = {"$schema", "$id", "title", "description", "type", "additionalProperties", "required"}


def rows_valid_fast(table: pl.DataFrame) -> bool:
    """True when every row of ``table`` satisfies ``schemas/item_stats.schema.json``.

    A column-wise, vectorised reading of the same schema (its per-field keywords: type,
    enum, pattern, minLength, minimum, maximum, exclusive bounds; required fields
    present), with :func:`cehrs_items.item_stats.validate_item_stats`'s convention that
    null and NaN cells are absent. False means "not proven": the caller then runs the
    row-by-row validator, which also words the message; so does any schema keyword this
    reader does not know.
    """
    schema = validator("item_stats").schema
    props = schema.get("properties", {})
    if set(schema) - _FAST_TOP - {"properties"} or schema.get("additionalProperties", True):
        return False
    if set(table.columns) - set(props):
        return False
    for name, sub in props.items():
        if set(sub) - _FAST_KEYWORDS:
            return False
        if name not in table.columns:
            if name in schema.get("required", ()):
                return False
            continue
        col = table.get_column(name)
        present = col.drop_nulls()
        if col.dtype.is_float():
            present = present.filter(~present.is_nan())
        if name in schema.get("required", ()) and present.len() != col.len():
            return False
        if present.len() == 0:
            continue
        types = sub.get("type", [])
        types = {types} if isinstance(types, str) else set(types)
        if not types:
            pass  # no type keyword: any type (enum or pattern below still apply)
        elif col.dtype == pl.String:
            if "string" not in types:
                return False
        elif col.dtype.is_integer():
            if not types & {"integer", "number"}:
                return False
        elif col.dtype.is_float():
            if "number" not in types:
                return False
        else:
            return False
        if ("pattern" in sub or "minLength" in sub) and col.dtype != pl.String:
            return False
        if "enum" in sub and not present.is_in([v for v in sub["enum"] if v is not None]).all():
            return False
        if "pattern" in sub and not present.str.contains(sub["pattern"]).all():
            return False
        if "minLength" in sub and not (present.str.len_chars() >= sub["minLength"]).all():
            return False
        for key, ok in (
            ("minimum", lambda v, b: v >= b),
            ("maximum", lambda v, b: v <= b),
            ("exclusiveMinimum", lambda v, b: v > b),
            ("exclusiveMaximum", lambda v, b: v < b),
        ):
            if key in sub and not ok(present, sub[key]).all():
                return False
    return True


@dataclass(frozen=True)
class SimulateStatsResult:
    """What ``simulate stats`` wrote: the path, the new rows and rows kept from the old table."""

    path: Path
    stats: SyntheticStats
    kept_rows: int
    counts: dict[str, int]


def simulate_stats(
    bank: str | Path,
    *,
    seed: int,
    out: str | Path | None = None,
    blueprint: str | Path | None = None,
    form_id: str = DEFAULT_FORM_ID,
    administration_date: str = DEFAULT_ADMINISTRATION_DATE,
    theta_scale: str = DEFAULT_THETA_SCALE,
    n_scored: int = DEFAULT_N_SCORED,
    n_pretest: int = DEFAULT_N_PRETEST,
    force: bool = False,
) -> SimulateStatsResult:
    """Write the synthetic statistics table of the bank at ``bank``.

    ``out`` defaults to ``<bank>/stats/item_stats.csv``. An existing table is replaced
    only with ``force``; its rows that are not synthetic rows of ``form_id`` (analysis
    and calibration rows, other synthetic forms) are kept, so re-running never loses
    real statistics. The form length comes from the blueprint (``--blueprint``, default
    ``<bank>/blueprint.yaml``).
    """
    bank_dir = Path(bank)
    target = Path(out) if out is not None else bank_dir / STATS_FILE
    prepare_output(target, force=force)
    loaded = load_bank(bank_dir, with_stats=False)
    bp = load_blueprint(Path(blueprint) if blueprint else default_blueprint_path(bank_dir))
    frame = loaded.to_frame()
    stats = synthetic_item_stats(
        frame,
        seed=seed,
        form_length=bp.scored_items,
        form_id=form_id,
        administration_date=administration_date,
        theta_scale=theta_scale,
        n_scored=n_scored,
        n_pretest=n_pretest,
    )
    kept = 0
    table = stats.table
    if target.exists():
        old = read_item_stats(target)
        keep = old.filter(~((pl.col("source") == "synthetic") & (pl.col("form_id") == form_id)))
        kept = keep.height
        table = pl.concat([keep, table])
    write_files({target: render_item_stats_csv(table)}, force=force)
    counts = {
        s: int((frame.get_column("status") == s).sum())
        for s in sorted(set(frame.get_column("status").to_list()))
    }
    return SimulateStatsResult(path=target, stats=stats, kept_rows=kept, counts=counts)
