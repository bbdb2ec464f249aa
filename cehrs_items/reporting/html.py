"""Build the self-contained HTML report from analysis, calibration and equating outputs.

The report is ONE file: CSS, the small table-sorting script and every plot (SVG) are
inline, nothing is fetched when it is viewed. All item text is HTML-escaped by the
template engine (Jinja2 with autoescaping); only the SVG plots we draw ourselves are
inserted as markup. Output is deterministic: same inputs, same bytes (no clock time; a
date appears only when ``as_of`` is given).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import polars as pl
from scipy.stats import norm

from cehrs_items import __version__
from cehrs_items.bank import Bank, load_bank
from cehrs_items.blueprint import Blueprint, load_blueprint
from cehrs_items.errors import InputError
from cehrs_items.forms import Form, read_form
from cehrs_items.irt.models import item_information, probability
from cehrs_items.irt.params import read_params
from cehrs_items.reporting import plots

FLAG_REASONS: dict[str, str] = {
    "low_p": "Very hard: fewer than {p_low:.0%} of examinees answered correctly.",
    "high_p": "Very easy: more than {p_high:.0%} answered correctly, so it tells little apart.",
    "low_item_rest_r": "Weak discrimination: the item-rest correlation is below {item_rest_r_low:.2f}.",
    "negative_item_rest_r": "Negative discrimination: stronger examinees do worse; check the key.",
    "distractor_positive_pb": "A distractor attracts stronger examinees (point-biserial above {distractor_pb_max:.2f}); check it.",
    "distractor_rarely_chosen": "A distractor is chosen by fewer than {distractor_min_proportion:.0%} of examinees; it does not work.",
    "all_correct": "Everybody answered correctly; the item gives no information.",
    "all_incorrect": "Nobody answered correctly; check the key and the content.",
    "all_omitted": "Nobody answered this item.",
    "small_n": "Fewer than {min_n} examinees answered; the statistics are unstable.",
    "dif_a": "Negligible differential item functioning (ETS category A).",
    "dif_b": "Moderate differential item functioning (ETS category B).",
    "dif_c": "Large differential item functioning (ETS category C); send to a fairness review.",
}
_DEFAULT_THRESHOLDS = {
    "p_low": 0.30,
    "p_high": 0.90,
    "item_rest_r_low": 0.20,
    "distractor_pb_max": 0.0,
    "distractor_min_proportion": 0.05,
    "min_n": 30,
}
"""Reasons in words for the analysis flags (unknown flags are shown by name)."""

_QUANTILE_COLUMN = re.compile(r"^(?:proportion_)?(?:q|quintile_?|group_?)(\d+)$")


@dataclass
class ReportInputs:
    """Everything a report may show; ``None`` sections are left out."""

    item_stats: pl.DataFrame
    test_stats: dict[str, Any]
    option_stats: pl.DataFrame | None = None
    dif: pl.DataFrame | None = None
    dif_logistic: pl.DataFrame | None = None
    params: pl.DataFrame | None = None
    equating_tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    conversion: pl.DataFrame | None = None
    equating_summary: dict[str, Any] | None = None
    bank: Bank | None = None
    form: Form | None = None
    blueprint: Blueprint | None = None
    standard_setting: dict[str, Any] | None = None
    title: str = "CEHRS item and test analysis"
    as_of: str | None = None


def _read_table(directory: Path, stem: str) -> pl.DataFrame | None:
    for suffix in (".csv", ".parquet", ".json"):
        path = directory / f"{stem}{suffix}"
        if path.exists():
            try:
                if suffix == ".csv":
                    return pl.read_csv(path, infer_schema_length=None)
                if suffix == ".parquet":
                    return pl.read_parquet(path)
                return pl.read_json(path)
            except (pl.exceptions.PolarsError, OSError) as exc:
                raise InputError(f"{path}: cannot read table: {exc}") from exc
    return None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read JSON: {exc}") from exc


def load_report_inputs(
    analysis: str | Path,
    *,
    calibration: str | Path | None = None,
    equating: str | Path | None = None,
    bank: str | Path | None = None,
    form: str | Path | None = None,
    blueprint: str | Path | None = None,
    title: str | None = None,
    as_of: str | None = None,
    standard: str | Path | None = None,
) -> ReportInputs:
    """Read the output directories of ``analyze`` (required), ``calibrate``, ``equate``
    and ``standard-setting`` (``standard``: the folder or its ``cut.json``)."""
    analysis = Path(analysis)
    if not analysis.is_dir():
        raise InputError(
            f"{analysis}: analysis directory not found (run `cehrs-items analyze` first)"
        )
    item_stats = _read_table(analysis, "item_stats")
    if item_stats is None:
        raise InputError(
            f"{analysis}: no item_stats.csv/.parquet/.json (run `cehrs-items analyze`)"
        )
    test_path = analysis / "test_stats.json"
    test_stats = _read_json(test_path) if test_path.exists() else {}
    inputs = ReportInputs(
        item_stats=item_stats,
        test_stats=test_stats,
        option_stats=_read_table(analysis, "option_stats"),
        dif=_read_table(analysis, "dif"),
        dif_logistic=_read_table(analysis, "dif_logistic"),
        as_of=as_of,
    )
    if title:
        inputs.title = title
    if calibration is not None:
        inputs.params = read_params(calibration)  # keeps fit, SE and `fixed` columns
    if equating is not None:
        _load_equating(Path(equating), inputs)
    if bank is not None:
        inputs.bank = load_bank(bank, with_stats=False)
        bp_path = Path(blueprint) if blueprint else Path(bank) / "blueprint.yaml"
        if bp_path.exists():
            inputs.blueprint = load_blueprint(bp_path)
    elif blueprint is not None:
        inputs.blueprint = load_blueprint(blueprint)
    if form is not None:
        inputs.form = read_form(form)
    if standard is not None:
        from cehrs_items.reporting.standard_setting import load_standard_section

        inputs.standard_setting = load_standard_section(standard)
    return inputs


def _load_equating(directory: Path, inputs: ReportInputs) -> None:
    if directory.is_file():
        files = [directory]
        directory = directory.parent
    elif directory.is_dir():
        files = sorted(directory.glob("*.csv"))
    else:
        raise InputError(f"{directory}: equating output not found")
    for path in files:
        frame = pl.read_csv(path, infer_schema_length=None)
        cols = set(frame.columns)
        if {"raw_score", "scaled"} <= cols:
            inputs.conversion = frame
        elif {"score", "equated"} <= cols:
            inputs.equating_tables[path.stem] = frame
        elif "score" in cols and any(c not in ("score", "se") for c in cols):
            # --compare output: one column per method.
            for col in frame.columns:
                if col.startswith("equated_"):
                    method = col.removeprefix("equated_").replace("_", "-")
                    inputs.equating_tables[method] = frame.select(
                        "score", pl.col(col).alias("equated")
                    )
    summaries = sorted(directory.glob("*.json"))
    if summaries:
        inputs.equating_summary = _read_json(summaries[0])


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.{digits}f}"
    return str(value)


def _flags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _quantile_columns(frame: pl.DataFrame) -> list[str]:
    found = [(int(m.group(1)), c) for c in frame.columns if (m := _QUANTILE_COLUMN.match(c))]
    return [c for _, c in sorted(found)]


def _reason(flag: str, thresholds: dict[str, Any]) -> str:
    template = FLAG_REASONS.get(flag)
    if template is None:
        return flag.replace("_", " ")
    values = {**_DEFAULT_THRESHOLDS, **{k: v for k, v in thresholds.items() if v is not None}}
    try:
        return template.format(**values)
    except (KeyError, ValueError, TypeError):
        return template.format(**_DEFAULT_THRESHOLDS)


def _item_sections(inputs: ReportInputs) -> list[dict[str, Any]]:
    stats = inputs.item_stats
    thresholds = inputs.test_stats.get("thresholds") or {}
    options = inputs.option_stats
    qcols = _quantile_columns(options) if options is not None else []
    params = {}
    if inputs.params is not None:
        params = {row["item_id"]: row for row in inputs.params.iter_rows(named=True)}
    theta = np.linspace(-4, 4, 81)
    quantile_theta = norm.ppf((np.arange(len(qcols)) + 0.5) / len(qcols)) if qcols else np.array([])
    sections = []
    for row in stats.iter_rows(named=True):
        item_id = row["item_id"]
        item = inputs.bank.items.get(item_id) if inputs.bank is not None else None
        key = item.key if item is not None else None
        option_rows = []
        proportions: dict[str, list[float]] = {}
        if options is not None:
            sub = options.filter(pl.col("item_id") == item_id).sort("option")
            for opt in sub.iter_rows(named=True):
                if opt.get("is_key") in (True, "true", "True", 1):
                    key = key or opt["option"]
                option_rows.append(
                    {
                        "option": opt["option"],
                        "text": item.options.get(opt["option"], "") if item is not None else "",
                        "is_key": opt.get("is_key") in (True, "true", "True", 1),
                        "n": _fmt(opt.get("n")),
                        "proportion": _fmt(opt.get("proportion")),
                        "point_biserial": _fmt(opt.get("point_biserial")),
                        "mean_score": _fmt(opt.get("mean_score_of_choosers"), 2),
                    }
                )
                if qcols and opt["option"] not in ("omit", "OMIT", None, ""):
                    proportions[opt["option"]] = [
                        float(opt[c]) if opt[c] is not None else float("nan") for c in qcols
                    ]
        elif item is not None:
            option_rows = [
                {
                    "option": k,
                    "text": v,
                    "is_key": k == item.key,
                    "n": "–",
                    "proportion": "–",
                    "point_biserial": "–",
                    "mean_score": "–",
                }
                for k, v in sorted(item.options.items())
            ]
        irt = None
        curve = None
        empirical = None
        if item_id in params:
            p = params[item_id]
            fixed = p.get("fixed") in (True, "true", "True", 1)
            curve = probability(theta, p["a"], p["b"], p["c"], d=p["d"])
            if key in proportions:
                # Score groups placed at the quantile midpoints of N(0, 1): a visual check
                # of fit, not a fit statistic (S-X2 is in the table).
                empirical = (quantile_theta, proportions[key])
            irt = {
                "a": _fmt(p["a"]),
                "b": _fmt(p["b"]),
                "c": _fmt(p["c"]),
                **{
                    f"se_{name}": "fixed" if fixed else _fmt(p.get(f"se_{name}"))
                    for name in ("a", "b", "c")
                },
                "fit": _fmt(p.get("sx2_p")) if p.get("sx2_p") is not None else None,
            }
        figure_svg = None
        if proportions:
            figure_svg = plots.item_figure(
                [str(i + 1) for i in range(len(qcols))],
                proportions,
                key,
                theta=theta if curve is not None else None,
                icc=curve,
                empirical=empirical,
            )
        flags = _flags(row.get("flags"))
        sections.append(
            {
                "item_id": item_id,
                "anchor": f"item-{item_id}",
                "role": row.get("role"),
                "domain": row.get("domain"),
                "stem": item.stem if item is not None else None,
                "key": key,
                "stats": [
                    ("n", _fmt(row.get("n"))),
                    ("omitted", _fmt(row.get("n_omitted"))),
                    ("p", _fmt(row.get("p_value"))),
                    ("item-total r", _fmt(row.get("item_total_r"))),
                    ("item-rest r", _fmt(row.get("item_rest_r"))),
                    ("biserial", _fmt(row.get("biserial"))),
                    ("alpha if deleted", _fmt(row.get("alpha_if_deleted"))),
                    ("upper-lower D", _fmt(row.get("upper_lower_d"))),
                ],
                "flags": [(f, _reason(f, thresholds)) for f in flags],
                "options": option_rows,
                "figure_svg": figure_svg,
                "irt": irt,
            }
        )
    sections.sort(key=lambda s: (not s["flags"], s["item_id"]))
    return sections


def _summary(inputs: ReportInputs) -> dict[str, Any]:
    ts = inputs.test_stats
    rows = [
        ("Examinees", _fmt(ts.get("n_examinees"))),
        ("Items", _fmt(ts.get("n_items"))),
        ("Mean raw score", _fmt(ts.get("mean"), 2)),
        ("SD", _fmt(ts.get("sd"), 2)),
        ("Min / max", f"{_fmt(ts.get('min'))} / {_fmt(ts.get('max'))}"),
        ("Reliability (KR-20 / alpha)", _fmt(ts.get("alpha"))),
        ("KR-21", _fmt(ts.get("kr21"))),
        ("SEM", _fmt(ts.get("sem"), 2)),
        ("Mean p", _fmt(ts.get("mean_p"))),
        ("Mean item-rest r", _fmt(ts.get("mean_item_rest_r"))),
    ]
    decision = ts.get("decision") if isinstance(ts.get("decision"), dict) else ts
    cut = decision.get("cut") if isinstance(decision, dict) else None
    for label, key, digits in [
        ("Raw cut", "cut", 1),
        ("Pass rate", "pass_rate", 3),
        ("CSEM at the cut", "csem_at_cut", 2),
        ("Decision consistency (agreement)", "consistency_agreement", 3),
        ("Decision consistency (kappa)", "consistency_kappa", 3),
        ("Decision accuracy", "accuracy", 3),
        ("Subkoviak agreement", "subkoviak_agreement", 3),
    ]:
        if isinstance(decision, dict) and decision.get(key) is not None:
            rows.append((label, _fmt(decision.get(key), digits)))
    histogram_svg = None
    dist = ts.get("score_distribution")
    if isinstance(dist, dict) and dist.get("score"):
        histogram_svg = plots.histogram(dist["score"], dist["freq"], cut=cut)
    elif isinstance(dist, list) and dist:
        histogram_svg = plots.histogram(
            [d["score"] for d in dist], [d["freq"] for d in dist], cut=cut
        )
    return {"rows": rows, "histogram_svg": histogram_svg}


def _table(frame: pl.DataFrame | None, columns: list[str] | None = None) -> dict[str, Any] | None:
    if frame is None or frame.height == 0:
        return None
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    return {
        "columns": cols,
        "rows": [[_fmt(v) for v in row] for row in frame.select(cols).iter_rows()],
    }


LOGISTIC_DIF_COLUMNS = {
    "chi2_total": "lr_chi2_total",
    "p_total": "lr_p_total",
    "r2_delta": "lr_r2_delta",
    "category": "lr_category",
}
"""Logistic-regression DIF columns shown beside the Mantel-Haenszel ones (report names)."""


def _dif_side_by_side(
    inputs: ReportInputs, mh_columns: list[str]
) -> tuple[pl.DataFrame | None, list[str]]:
    """The MH table with the logistic-regression columns joined on item_id (either alone
    when only one method was run)."""
    mh, lr = inputs.dif, inputs.dif_logistic
    if lr is not None:
        lr = lr.select("item_id", *LOGISTIC_DIF_COLUMNS).rename(LOGISTIC_DIF_COLUMNS)
    if mh is None and lr is None:
        return None, mh_columns
    if lr is None:
        return mh.sort("item_id"), mh_columns
    if mh is None:
        return lr.sort("item_id"), ["item_id", *LOGISTIC_DIF_COLUMNS.values()]
    joined = mh.join(lr, on="item_id", how="left").sort("item_id")
    return joined, [*mh_columns, *LOGISTIC_DIF_COLUMNS.values()]


def _irt_section(inputs: ReportInputs) -> dict[str, Any] | None:
    if inputs.params is None:
        return None
    params = inputs.params
    if inputs.form is not None:
        params = params.filter(pl.col("item_id").is_in(inputs.form.scored_item_ids))
    if params.height == 0:
        return None
    theta = np.linspace(-4, 4, 161)
    info = item_information(
        theta,
        params["a"].to_numpy(),
        params["b"].to_numpy(),
        params["c"].to_numpy(),
        d=float(params["d"][0]),
    ).sum(axis=-1)
    csem = 1.0 / np.sqrt(info)
    dropped = None
    if "anchor" in inputs.params.columns:
        dropped = _table(
            inputs.params.filter(pl.col("anchor") == "dropped").sort("item_id"),
            ["item_id", "anchor_note"],
        )
    return {
        "n_items": params.height,
        "dropped_anchors": dropped,
        "tif_svg": plots.curves(
            theta, {"test information": info}, xlabel="Ability (theta)", ylabel="Information"
        ),
        "csem_svg": plots.curves(
            theta, {"conditional SEM": csem}, xlabel="Ability (theta)", ylabel="SEM (theta)"
        ),
        "table": _table(
            params,
            [
                "item_id",
                "model",
                "a",
                "se_a",
                "b",
                "se_b",
                "c",
                "se_c",
                "n",
                "sx2",
                "sx2_df",
                "sx2_p",
                "warnings",
            ],
        ),
    }


def _equating_section(inputs: ReportInputs) -> dict[str, Any] | None:
    if not inputs.equating_tables and inputs.conversion is None:
        return None
    svg = None
    if inputs.equating_tables:
        first = next(iter(inputs.equating_tables.values()))
        x = first["score"].to_numpy()
        series = {
            name: tab["equated"].to_numpy() for name, tab in sorted(inputs.equating_tables.items())
        }
        svg = plots.curves(
            x,
            series,
            xlabel="Raw score on the new form (X)",
            ylabel="Equated score on the base form (Y)",
            diagonal=True,
        )
    return {
        "svg": svg,
        "methods": sorted(inputs.equating_tables),
        "summary": inputs.equating_summary,
        "conversion": _table(inputs.conversion),
    }


def _blueprint_section(inputs: ReportInputs) -> dict[str, Any] | None:
    if inputs.form is None or inputs.blueprint is None:
        return None
    frame = inputs.form.to_frame()
    rows = []
    for d in inputs.blueprint.domains:
        sub = frame.filter(pl.col("domain") == d.domain)
        scored = sub.filter(pl.col("role") == "scored").height
        pretest = sub.filter(pl.col("role") == "pretest").height
        rows.append(
            [
                str(d.domain),
                d.name,
                str(d.scored_items),
                str(scored),
                str(d.pretest_items),
                str(pretest),
                "yes" if scored == d.scored_items and pretest == d.pretest_items else "NO",
            ]
        )
    return {
        "form_id": inputs.form.form_id,
        "columns": [
            "domain",
            "name",
            "scored required",
            "scored on form",
            "pretest required",
            "pretest on form",
            "meets blueprint",
        ],
        "rows": rows,
    }


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("cehrs_items", "reporting/templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(inputs: ReportInputs) -> str:
    """Render the report to one HTML string (deterministic for the same inputs)."""
    items = _item_sections(inputs)
    dif_columns = [
        "item_id",
        "n_reference",
        "n_focal",
        "alpha_mh",
        "delta_mh",
        "se_delta_mh",
        "chi_square_mh",
        "p_value",
        "ets_category",
        "direction",
        "std_p_dif",
    ]
    context = {
        "title": inputs.title,
        "as_of": inputs.as_of,
        "version": __version__,
        "summary": _summary(inputs),
        "flagged": [i for i in items if i["flags"]],
        "items": items,
        "dif": _table(*_dif_side_by_side(inputs, dif_columns)),
        "dif_logistic": inputs.dif_logistic is not None,
        "dif_methods": " and ".join(
            m
            for m, t in (
                ("Mantel-Haenszel", inputs.dif),
                ("logistic regression", inputs.dif_logistic),
            )
            if t is not None
        ),
        "irt": _irt_section(inputs),
        "equating": _equating_section(inputs),
        "blueprint": _blueprint_section(inputs),
        "standard_setting": inputs.standard_setting,
        "item_table": _table(
            inputs.item_stats.sort("item_id"),
            [
                "item_id",
                "role",
                "domain",
                "n",
                "n_omitted",
                "p_value",
                "item_total_r",
                "item_rest_r",
                "biserial",
                "alpha_if_deleted",
                "upper_lower_d",
                "flags",
            ],
        ),
    }
    return _environment().get_template("report.html.j2").render(**context)


def build_report(
    analysis: str | Path,
    *,
    calibration: str | Path | None = None,
    equating: str | Path | None = None,
    bank: str | Path | None = None,
    form: str | Path | None = None,
    blueprint: str | Path | None = None,
    title: str | None = None,
    as_of: str | None = None,
    standard: str | Path | None = None,
) -> str:
    """Read the inputs and return the report's HTML (see :func:`load_report_inputs`)."""
    return render_html(
        load_report_inputs(
            analysis,
            calibration=calibration,
            equating=equating,
            bank=bank,
            form=form,
            blueprint=blueprint,
            title=title,
            as_of=as_of,
            standard=standard,
        )
    )
