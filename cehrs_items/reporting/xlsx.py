"""The report's tables as an Excel workbook, one sheet each, for spreadsheet reviewers.

Every table sheet has the same column names as the CSV it comes from, a frozen and
filtered header row, numbers stored as numbers (three decimals shown, negatives in plain
black) and undefined values (NaN, null, infinities) as empty cells. Beside the tables:
``summary`` (test statistics as statistic/value rows), ``domains`` (per-domain and pretest
block statistics), ``items`` (stem, options and key from the bank) and ``flags`` (the
legend: every flag, its severity and what it means with the thresholds used).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from cehrs_items.reporting.html import ReportInputs, flag_legend, irt_table

_MAX_WIDTH = 60
_DECIMAL = "0.000"
_INTEGER = "0"


def _cell(value: Any) -> Any:
    """A value as xlsxwriter should store it; ``None`` for an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value) or None
    text = str(value)
    return text if text != "" else None


def _flatten(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    elif isinstance(value, list):
        return  # distributions and per-domain lists have their own sheets
    else:
        out.append((prefix, value))


def summary_rows(test_stats: dict[str, Any]) -> list[tuple[str, Any]]:
    """Test statistics as (statistic, value) rows; nested objects as ``a.b`` names."""
    rows: list[tuple[str, Any]] = []
    for key, value in test_stats.items():
        if key in ("domains", "pretest", "score_distribution", "thresholds"):
            continue
        _flatten(key, value, rows)
    return rows


def domain_frame(test_stats: dict[str, Any]) -> pl.DataFrame | None:
    """One row per domain block and one for the pretest block (when analysed)."""
    blocks = [({"block": f"domain {d['domain']}", **d}) for d in test_stats.get("domains") or []]
    if test_stats.get("pretest"):
        blocks.append({"block": "pretest", "domain": None, **test_stats["pretest"]})
    if not blocks:
        return None
    columns = ["block", "domain", "n_items", "mean", "sd", "min", "max", "mean_p", "alpha", "sem"]
    return pl.DataFrame(
        [{c: b.get(c) for c in columns} for b in blocks],
        schema={
            "block": pl.String,
            "domain": pl.Int64,
            "n_items": pl.Int64,
            "mean": pl.Float64,
            "sd": pl.Float64,
            "min": pl.Int64,
            "max": pl.Int64,
            "mean_p": pl.Float64,
            "alpha": pl.Float64,
            "sem": pl.Float64,
        },
    )


def item_text_frame(inputs: ReportInputs) -> pl.DataFrame | None:
    """Stem, options and key of every analysed item found in the bank."""
    if inputs.bank is None:
        return None
    letters = "ABCDE"
    rows = []
    for item_id in inputs.item_stats["item_id"].sort().to_list():
        item = inputs.bank.items.get(item_id)
        if item is None:
            continue
        rows.append(
            {
                "item_id": item_id,
                "domain": item.domain,
                "key": item.key,
                "stem": item.stem,
                **{f"option_{x}": item.options.get(x) for x in letters},
            }
        )
    if not rows:
        return None
    schema = {"item_id": pl.String, "domain": pl.Int64, "key": pl.String, "stem": pl.String}
    schema.update({f"option_{x}": pl.String for x in letters})
    frame = pl.DataFrame(rows, schema=schema)
    return frame.select([c for c in frame.columns if frame[c].null_count() < frame.height])


def sheets(inputs: ReportInputs) -> dict[str, pl.DataFrame | list[tuple[str, Any]]]:
    """Sheet name -> table (or summary rows), in workbook order."""
    out: dict[str, pl.DataFrame | list[tuple[str, Any]]] = {
        "summary": summary_rows(inputs.test_stats)
    }
    domains = domain_frame(inputs.test_stats)
    if domains is not None:
        out["domains"] = domains
    out["item_stats"] = inputs.item_stats.sort("item_id")
    if inputs.option_stats is not None:
        out["option_stats"] = inputs.option_stats.sort(["item_id", "option"])
    if inputs.dif is not None:
        out["dif"] = inputs.dif.sort("item_id")
    if inputs.dif_logistic is not None:
        out["dif_logistic"] = inputs.dif_logistic.sort("item_id")
    if inputs.params is not None:
        out["irt_params"] = irt_table(inputs)
    for name, table in sorted(inputs.equating_tables.items()):
        out[f"eq_{name}"[:31].replace(":", "_")] = table
    if inputs.conversion is not None:
        out["conversion"] = inputs.conversion
    if inputs.standard_setting is not None:
        out["ss_cut"] = inputs.standard_setting["cut_rows"]
        out.update(inputs.standard_setting["frames"])
    text = item_text_frame(inputs)
    if text is not None:
        out["items"] = text
    out["flags"] = flag_legend(inputs)
    return out


def _width(values: Iterable[Any], header: str) -> float:
    longest = len(header)
    for v in values:
        if v is None:
            continue
        text = f"{v:.3f}" if isinstance(v, float) else str(v)
        longest = max(longest, len(text))
    return min(_MAX_WIDTH, longest + 2)


def _write_rows(
    workbook: Any,
    sheet: Any,
    header: Sequence[str],
    rows: list[Sequence[Any]],
    formats: dict[str, Any],
) -> None:
    for col, name in enumerate(header):
        sheet.write_string(0, col, name, formats["header"])
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            v = _cell(value)
            if v is None:
                sheet.write_blank(r, col, None)
            elif isinstance(v, bool):
                sheet.write_boolean(r, col, v)
            elif isinstance(v, int):
                sheet.write_number(r, col, v, formats["int"])
            elif isinstance(v, float):
                sheet.write_number(r, col, v, formats["dec"])
            else:
                sheet.write_string(r, col, v, formats["wrap"] if len(v) > _MAX_WIDTH else None)
    for col, name in enumerate(header):
        sheet.set_column(col, col, _width((row[col] for row in rows), name))
    sheet.freeze_panes(1, 1 if len(header) > 2 else 0)
    if rows:
        sheet.autofilter(0, 0, len(rows), len(header) - 1)


def render_xlsx(inputs: ReportInputs) -> bytes:
    """The workbook's bytes. Creation dates are fixed so the same inputs give the same bytes."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    workbook.set_properties({"created": _dt.datetime(2000, 1, 1), "author": "cehrs-items"})
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#E8EDF2", "bottom": 1}),
        "int": workbook.add_format({"num_format": _INTEGER}),
        "dec": workbook.add_format({"num_format": _DECIMAL}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
    }
    for name, table in sheets(inputs).items():
        sheet = workbook.add_worksheet(name)
        if isinstance(table, list):
            _write_rows(workbook, sheet, ["statistic", "value"], table, formats)
        else:
            _write_rows(workbook, sheet, table.columns, list(table.iter_rows()), formats)
    workbook.close()
    return buffer.getvalue()
