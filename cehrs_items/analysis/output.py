"""Writing an :class:`~cehrs_items.analysis.pipeline.AnalysisResult` to a directory.

Tables are CSV (default), Parquet or JSON; ``test_stats.json`` and ``findings.json``
are always JSON. Every file is rendered in memory first and committed together through
:class:`cehrs_items.io.OutputSet`, so a failed run writes nothing and existing files are
replaced only with ``force``. Bytes are stable: same inputs, same files.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import polars as pl

from cehrs_items.analysis.pipeline import AnalysisResult
from cehrs_items.errors import InputError
from cehrs_items.findings import Finding
from cehrs_items.io import OutputSet, dumps_json

TABLE_FORMATS = ("csv", "parquet", "json")


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    rows = frame.to_dicts()
    for row in rows:
        for k, v in row.items():
            if isinstance(v, float) and not math.isfinite(v):
                row[k] = None
    return rows


def render_table(frame: pl.DataFrame, fmt: str) -> bytes:
    """A table as CSV (NaN written as ``NaN``, null as empty), Parquet or JSON records."""
    if fmt == "csv":
        buffer = io.BytesIO()
        frame.write_csv(buffer)
        return buffer.getvalue()
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="zstd", statistics=False)
        return buffer.getvalue()
    if fmt == "json":
        return dumps_json(_records(frame)).encode("utf-8")
    raise InputError(f"table format {fmt!r} unknown; use csv, parquet or json")


def findings_document(findings: list[Finding]) -> dict[str, Any]:
    return {"version": 1, "findings": [f.to_dict() for f in findings]}


def render_outputs(result: AnalysisResult, fmt: str = "csv") -> dict[str, bytes]:
    """File name -> bytes for every output of the run."""
    if fmt not in TABLE_FORMATS:
        raise InputError(f"--format {fmt!r} unknown; use csv, parquet or json")
    files = {
        f"item_stats.{fmt}": render_table(result.item_stats, fmt),
        f"option_stats.{fmt}": render_table(result.option_stats, fmt),
        "test_stats.json": dumps_json(result.test_stats).encode("utf-8"),
        "findings.json": dumps_json(findings_document(result.findings)).encode("utf-8"),
    }
    if result.dif is not None:
        files[f"dif.{fmt}"] = render_table(result.dif, fmt)
    if result.dif_logistic is not None:
        files[f"dif_logistic.{fmt}"] = render_table(result.dif_logistic, fmt)
    return files


def write_outputs(
    result: AnalysisResult, out_dir: str | Path, *, fmt: str = "csv", force: bool = False
) -> list[Path]:
    """Write all outputs into ``out_dir`` atomically; refuse to overwrite without ``force``."""
    outputs = OutputSet(out_dir, force=force)
    for name, data in render_outputs(result, fmt).items():
        outputs.add(name, data)
    return outputs.commit()


def findings_text(findings: list[Finding]) -> str:
    """Findings as ``file: severity RULE message`` lines (hint indented below)."""
    lines = []
    for f in findings:
        lines.append(f"{f.file}: {f.severity} {f.rule} {f.message}")
        if f.hint:
            lines.append(f"    hint: {f.hint}")
    return "\n".join(lines)


def summary_text(result: AnalysisResult) -> str:
    """A few lines summarising the run, for the terminal."""
    ts = result.test_stats

    def fmt(value: Any, digits: int = 3) -> str:
        return "n/a" if value is None else f"{value:.{digits}f}"

    flagged = result.item_stats.filter(pl.col("flags") != "").height
    lines = [
        f"examinees {ts['n_examinees']}  scored items {ts['n_items']}  pretest items "
        f"{ts['n_pretest']}",
        f"mean {fmt(ts['mean'], 2)}  sd {fmt(ts['sd'], 2)}  alpha {fmt(ts['alpha'])}  "
        f"sem {fmt(ts['sem'], 2)}  mean p {fmt(ts['mean_p'])}",
        f"flagged items {flagged} of {result.item_stats.height}",
    ]
    decision = ts.get("decision")
    if decision:
        lines.append(
            f"raw cut {decision['raw_cut']:g} ({decision.get('raw_cut_source')})  pass rate {fmt(decision['pass_rate'])}  "
            f"consistency {fmt(decision['consistency_agreement'])}  "
            f"kappa {fmt(decision['consistency_kappa'])}  "
            f"accuracy {fmt(decision['accuracy'])}"
        )
    if result.dif is not None:
        counts = {c: result.dif.filter(pl.col("ets_category") == c).height for c in "ABC"}
        lines.append(f"DIF categories  A {counts['A']}  B {counts['B']}  C {counts['C']}")
    if result.dif_logistic is not None:
        counts = {c: result.dif_logistic.filter(pl.col("category") == c).height for c in "ABC"}
        lines.append(f"logistic DIF categories  A {counts['A']}  B {counts['B']}  C {counts['C']}")
    return "\n".join(lines)
