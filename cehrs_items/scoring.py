"""Operational scoring: raw, scaled and pass/fail per examinee, with domain subscores.

Responses are scored with the form's key; only the form's scored items count (pretest
items never do) and omitted responses count as wrong. The raw score is looked up in the
form's conversion table (``raw_score,equated,scaled,pass`` from ``cehrs-items scale``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cehrs_items.errors import DataError
from cehrs_items.forms import Form, read_form
from cehrs_items.io import sha256_file
from cehrs_items.responses import ID_COLUMN, read_responses, score_responses
from cehrs_items.tables import table_columns, table_schema
from cehrs_items.tabular import read_table


@dataclass(frozen=True)
class ScoreReport:
    """Per-examinee scores and the summary (pass rate, means, per-domain means)."""

    scores: pl.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def read_conversion(path: str | Path) -> pl.DataFrame:
    """Read a conversion table and check it: raw scores 0..K in order, scaled, pass."""
    path = Path(path)
    frame = read_table(path, what="conversion table")
    for col in ("raw_score", "scaled", "pass"):
        if col not in frame.columns:
            raise DataError(
                f"{path}: column {col!r} missing (found: {', '.join(frame.columns)}); "
                "build the table with 'cehrs-items scale'"
            )
    raw = frame["raw_score"].cast(pl.Int64, strict=False)
    scaled = frame["scaled"].cast(pl.Int64, strict=False)
    passed = frame["pass"].cast(pl.String).str.to_lowercase()
    for name, col in (("raw_score", raw), ("scaled", scaled)):
        if col.null_count():
            row = int(col.is_null().arg_max()) + 1
            raise DataError(f"{path}: row {row}, column {name}: not a whole number")
    bad = ~passed.is_in(["true", "false"])
    if bad.any():
        row = int(bad.arg_max()) + 1
        raise DataError(
            f"{path}: row {row}, column pass: {frame['pass'][row - 1]!r} is not true/false"
        )
    if raw.to_list() != list(range(frame.height)):
        raise DataError(f"{path}: column raw_score must list 0, 1, ..., K once and in order")
    return pl.DataFrame(
        {"raw_score": raw, "scaled": scaled, "pass": passed == "true"},
        schema={k: table_schema("conversion")[k] for k in ("raw_score", "scaled", "pass")},
    )


def score_examinees(
    responses: str | Path,
    form: str | Path | Form,
    conversion: str | Path | pl.DataFrame,
    *,
    id_column: str = ID_COLUMN,
) -> ScoreReport:
    """Score every examinee: raw (scored items), scaled, pass and per-domain raw subscores.

    Parameters
    ----------
    responses : path
        Response file (the response-format contract; letters or 0/1).
    form : path or Form
        The form taken: its scored items, key and item domains.
    conversion : path or DataFrame
        The form's conversion table; it must cover raw scores ``0 .. K`` for the form's
        ``K`` scored items.

    Returns
    -------
    ScoreReport
        ``scores``: ``examinee_id`` (or ``id_column``), ``raw``, ``scaled``, ``pass``
        and ``domain_<n>_raw`` for each domain on the form, sorted by examinee id.
        ``summary``: ``n``, ``n_pass``, ``pass_rate``, ``mean_raw``, ``sd_raw`` (divisor
        N), ``mean_scaled``, per-domain mean and number of items, the lowest passing raw
        score and the input hashes.

    Notes
    -----
    Omitted responses count as wrong. An examinee with no responses at all scores 0.
    """
    form_obj = form if isinstance(form, Form) else read_form(form)
    table = conversion if isinstance(conversion, pl.DataFrame) else read_conversion(conversion)
    scored_ids = form_obj.scored_item_ids
    if not scored_ids:
        raise DataError(f"{form_obj.path}: form {form_obj.form_id} has no scored items")
    k = len(scored_ids)
    if table.height != k + 1:
        raise DataError(
            f"conversion covers raw scores 0..{table.height - 1} but form {form_obj.form_id} "
            f"has {k} scored items; use the conversion built for this form"
        )
    rs = read_responses(
        responses, id_column=id_column, items=scored_ids, known_items=form_obj.item_ids()
    )
    scored = score_responses(rs, form_obj.key, items=scored_ids, omit="incorrect")
    raw = scored.raw_scores()
    scaled = table["scaled"].to_numpy()[raw]
    passed = table["pass"].to_numpy()[raw]
    positions = {p["item_id"]: p for p in form_obj.positions}
    domains = sorted({positions[i]["domain"] for i in scored_ids})
    cols: dict[str, Any] = {
        id_column: scored.examinee_ids.cast(pl.String),
        "raw": raw.astype(np.int64),
        "scaled": scaled.astype(np.int64),
        "pass": passed.astype(bool),
    }
    domain_summary = {}
    for dom in domains:
        items = [i for i in scored_ids if positions[i]["domain"] == dom]
        sub = scored.raw_scores(items).astype(np.int64)
        cols[f"domain_{dom}_raw"] = sub
        domain_summary[str(dom)] = {"items": len(items), "mean_raw": float(sub.mean())}
    declared = table_columns("scores", {"domain_<n>_raw": [f"domain_{d}_raw" for d in domains]})
    schema = {id_column if name == ID_COLUMN else name: dtype for name, dtype in declared.items()}
    frame = pl.DataFrame(cols, schema=schema).sort(id_column)
    n = int(raw.size)
    n_pass = int(passed.sum())
    lowest = table.filter(pl.col("pass"))["raw_score"]
    summary = {
        "form_id": form_obj.form_id,
        "n": n,
        "n_pass": n_pass,
        "pass_rate": n_pass / n if n else None,
        "mean_raw": float(raw.mean()),
        "sd_raw": float(raw.std()),
        "mean_scaled": float(scaled.mean()),
        "raw_cut": int(lowest.min()) if lowest.len() else None,
        "domains": domain_summary,
        "inputs": {
            "responses": {"file": Path(str(responses)).name, "sha256": _hash(responses)},
            "form": {"form_id": form_obj.form_id, "sha256": _hash(form_obj.path)},
            "conversion": {
                "sha256": None if isinstance(conversion, pl.DataFrame) else _hash(conversion)
            },
        },
    }
    return ScoreReport(scores=frame, summary=summary)


def _hash(path: Any) -> str | None:
    p = Path(str(path))
    return sha256_file(p) if p.is_file() else None
