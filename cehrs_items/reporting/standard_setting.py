"""The report's standard-setting section: built from a ``standard-setting`` output folder.

Kept apart from the rest of the report: :func:`load_standard_section` returns the whole
context of the ``_standard_setting.html.j2`` partial (all values formatted, item text
never involved), so the hook in the report is one field and one include.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from cehrs_items.reporting import plots
from cehrs_items.reporting.text import format_value as _fmt
from cehrs_items.standard_setting.run import read_standard
from cehrs_items.tabular import read_table

METHOD_NAMES = {
    "angoff": "Modified Angoff",
    "hofstee": "Hofstee compromise",
    "beuk": "Beuk compromise",
    "bookmark": "Bookmark",
}

_ROUND_COLUMNS = {
    "angoff": [
        "round",
        "n_judges",
        "cut_mean",
        "cut_median",
        "cut_sd",
        "cut_se",
        "change",
        "icc2_1",
        "icc2_k",
        "icc3_1",
        "icc3_k",
        "theta_cut",
    ],
    "bookmark": [
        "round",
        "n_judges",
        "page_median",
        "theta_mean",
        "theta_median",
        "theta_sd",
        "theta_cut",
        "theta_cut_se",
        "raw_cut",
        "raw_cut_se",
        "change",
    ],
}
_JUDGE_COLUMNS = {
    "angoff": ["judge_id", "round", "cut", "cut_percent", "change", "z", "r_p_value", "flags"],
    "bookmark": ["judge_id", "round", "page", "item_id", "theta_cut", "raw_cut", "change"],
}


def _read(folder: Path, name: str) -> pl.DataFrame | None:
    path = folder / f"{name}.csv"
    if not path.exists():
        return None
    return read_table(path, what=f"{name} table")


def _table(frame: pl.DataFrame | None, columns: list[str] | None = None) -> dict[str, Any] | None:
    if frame is None or frame.height == 0:
        return None
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    return {
        "columns": cols,
        "rows": [[_fmt(v) for v in row] for row in frame.select(cols).iter_rows()],
    }


def load_standard_section(path: str | Path) -> dict[str, Any]:
    """Context of the standard-setting section from a folder (or its ``cut.json``).

    Besides the formatted values for the HTML partial, ``frames`` holds the folder's
    tables as read (sheet name ``ss_<table>``) and ``cut_rows`` the fields of ``cut.json``
    as (statistic, value) rows, for the workbook.
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    cut = read_standard(path)
    method = cut["method"]
    panel = cut.get("panel") or {}
    rows = [
        ("Method", METHOD_NAMES[method]),
        ("Form", _fmt(cut.get("form_id"))),
        ("Recommended raw cut", _fmt(cut.get("raw_cut"))),
        ("Lowest passing raw score", _fmt(cut.get("raw_cut_whole"))),
        ("SE of the raw cut", _fmt(cut.get("raw_cut_se"))),
        ("Theta cut", _fmt(cut.get("theta_cut"))),
        ("SE of the theta cut", _fmt(cut.get("theta_cut_se"))),
        ("Scored items", _fmt(cut.get("max_score"))),
        ("Final round", _fmt(cut.get("final_round"))),
    ]
    for key, label in (
        ("judges_n", "Judges"),
        ("n_judges", "Judges"),
        ("cut_sd", "SD of judges' cuts"),
        ("theta_sd", "SD of judges' theta cuts"),
        ("icc2_1", "ICC(2,1) (one judge, absolute agreement)"),
        ("icc2_k", "ICC(2,k) (panel mean, absolute agreement)"),
    ):
        if key in panel:
            rows.append((label, _fmt(panel[key])))
    impact = cut.get("impact")
    if impact:
        rows.append(("Pass rate at the cut", _fmt(impact.get("pass_rate"))))
        rows.append(("Examinees", _fmt(impact.get("n"))))
    items = _read(folder, "items")
    if items is not None and "flags" in items.columns:
        flagged = items.filter(pl.col("flags").fill_null("") != "")
        items = flagged if flagged.height else None
    frames = {
        f"ss_{name}": frame
        for name in ("rounds", "judges", "items", "impact", "booklet", "curve")
        if (frame := _read(folder, name)) is not None
    }
    cut_rows = [
        (key, cut.get(key))
        for key in (
            "method",
            "form_id",
            "raw_cut",
            "raw_cut_whole",
            "raw_cut_se",
            "theta_cut",
            "theta_cut_se",
            "max_score",
            "final_round",
        )
    ] + [(f"panel.{k}", v) for k, v in sorted(panel.items())]
    curve = _read(folder, "curve")
    curve_svg = None
    if curve is not None:
        curve_svg = plots.curves(
            curve["raw_cut"].to_numpy(),
            {"failure rate": curve["fail_rate"].to_numpy()},
            xlabel="Raw cut",
            ylabel="Share failing",
            vline=float(cut["raw_cut"]),
            name="standard",
        )
    return {
        "method": method,
        "title": METHOD_NAMES[method],
        "rows": rows,
        "notes": list(cut.get("notes") or []),
        "rounds": _table(_read(folder, "rounds"), _ROUND_COLUMNS.get(method)),
        "judges": _table(_read(folder, "judges"), _JUDGE_COLUMNS.get(method)),
        "item_flags": _table(items),
        "impact": _table(_read(folder, "impact")),
        "curve_svg": curve_svg,
        # For the workbook: the tables as read (numbers stay numbers) and cut.json's fields.
        "frames": frames,
        "cut_rows": cut_rows,
    }
