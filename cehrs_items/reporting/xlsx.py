"""The report's tables as an Excel workbook, one sheet each, for spreadsheet reviewers."""

from __future__ import annotations

import io

import polars as pl

from cehrs_items.reporting.html import ReportInputs


def _sheets(inputs: ReportInputs) -> dict[str, pl.DataFrame]:
    sheets: dict[str, pl.DataFrame] = {}
    ts = {k: v for k, v in inputs.test_stats.items() if not isinstance(v, dict | list)}
    decision = inputs.test_stats.get("decision")
    if isinstance(decision, dict):
        ts.update(
            {f"decision_{k}": v for k, v in decision.items() if not isinstance(v, dict | list)}
        )
    sheets["summary"] = pl.DataFrame(
        {"statistic": list(ts), "value": [str(v) for v in ts.values()]}
    )
    sheets["item_stats"] = inputs.item_stats.sort("item_id")
    if inputs.option_stats is not None:
        sheets["option_stats"] = inputs.option_stats.sort(["item_id", "option"])
    if inputs.dif is not None:
        sheets["dif"] = inputs.dif.sort("item_id")
    if inputs.dif_logistic is not None:
        sheets["dif_logistic"] = inputs.dif_logistic.sort("item_id")
    if inputs.params is not None:
        sheets["irt_params"] = inputs.params.sort("item_id")
    for name, table in sorted(inputs.equating_tables.items()):
        sheets[f"eq_{name}"[:31].replace(":", "_")] = table
    if inputs.conversion is not None:
        sheets["conversion"] = inputs.conversion
    return sheets


def render_xlsx(inputs: ReportInputs) -> bytes:
    """The workbook's bytes. Creation dates are fixed so the same inputs give the same bytes."""
    import datetime as _dt

    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"created": _dt.datetime(2000, 1, 1), "author": "cehrs-items"})
    for name, frame in _sheets(inputs).items():
        frame.write_excel(workbook=workbook, worksheet=name, autofit=True)
    workbook.close()
    return buffer.getvalue()
