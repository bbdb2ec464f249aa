"""Build the self-contained HTML report from analysis, calibration and equating outputs.

The report is ONE file: CSS, the small table-sorting script and every plot (SVG) are
inline, nothing is fetched when it is viewed. All item text is HTML-escaped by the
template engine (Jinja2 with autoescaping); only the SVG plots we draw ourselves are
inserted as markup. Output is deterministic: same inputs, same bytes (no clock time; a
date appears only when ``as_of`` is given).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import polars as pl
from scipy.stats import norm

from cehrs_items import __version__
from cehrs_items.analysis.flags import SEVERITY_ORDER, flag_severity
from cehrs_items.bank import Bank, item_files
from cehrs_items.blueprint import Blueprint, load_blueprint
from cehrs_items.errors import InputError
from cehrs_items.forms import Form, read_form
from cehrs_items.io import is_manifest
from cehrs_items.irt.models import item_information, probability
from cehrs_items.irt.params import read_params
from cehrs_items.items.loader import load_document
from cehrs_items.items.model import Item
from cehrs_items.reporting import plots, svg
from cehrs_items.reporting.text import format_value as _fmt
from cehrs_items.tabular import first_line, read_table

FLAG_REASONS: dict[str, str] = {
    "low_p": "Very hard: fewer than {p_low:.0%} of examinees answered correctly.",
    "high_p": "Very easy: more than {p_high:.0%} answered correctly, so it tells little apart.",
    "low_item_rest_r": "Weak discrimination: the item-rest correlation is below {item_rest_r_low:.2f}.",
    "negative_item_rest_r": "Negative discrimination (item-rest r below {item_rest_r_negative:.2f}): stronger examinees do worse; check the key.",
    "distractor_positive_pb": "A distractor attracts stronger examinees (point-biserial above {distractor_pb_max:.2f}); check it.",
    "distractor_rarely_chosen": "A distractor is chosen by fewer than {distractor_min_proportion:.0%} of examinees; common on working items, worth a look when the item is revised.",
    "all_correct": "Everybody answered correctly; the item gives no information.",
    "all_incorrect": "Nobody answered correctly; check the key and the content.",
    "all_omitted": "Nobody answered this item.",
    "small_n": "Fewer than {min_n} examinees answered; the statistics are unstable.",
    "dif_a": "Negligible differential item functioning (ETS category A).",
    "dif_b": "Moderate differential item functioning (ETS category B).",
    "dif_c": "Large differential item functioning (ETS category C); send to a fairness review.",
}
"""Reasons in words for the analysis flags (unknown flags are shown by name)."""
_DEFAULT_THRESHOLDS = {
    "p_low": 0.30,
    "p_high": 0.90,
    "item_rest_r_low": 0.20,
    "distractor_pb_max": 0.0,
    "distractor_min_proportion": 0.05,
    "min_n": 30,
    "item_rest_r_negative": 0.0,
    "dif_flag_categories": "C",
}
"""Default thresholds, used where an analysis does not record its own."""

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
    conversion_summary: dict[str, Any] | None = None
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
            if suffix != ".json":
                return read_table(path, what=f"{stem} table")
            try:
                return pl.read_json(path)
            except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
                raise InputError(f"{path}: cannot read table: {first_line(exc)}") from exc
    return None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise InputError(f"{path}: cannot read JSON: {first_line(exc)}") from exc
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: expected a JSON object, found {type(data).__name__}; write it again with "
            f"the command that made it"
        )
    return data


def load_report_inputs(
    analysis: str | Path,
    *,
    calibration: str | Path | None = None,
    equating: str | Path | None = None,
    bank: str | Path | None = None,
    form: str | Path | None = None,
    blueprint: str | Path | None = None,
    conversion: str | Path | None = None,
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
    if conversion is not None:
        conversion = Path(conversion)
        inputs.conversion = _read_table(conversion.parent, conversion.stem)
        if inputs.conversion is None:
            raise InputError(f"{conversion}: conversion table not found")
        if conversion.with_suffix(".json").exists():
            inputs.conversion_summary = _read_json(conversion.with_suffix(".json"))
    if form is not None:
        inputs.form = read_form(form)
    if bank is not None:
        wanted = set(item_stats["item_id"].to_list())
        if inputs.form is not None:
            wanted |= set(inputs.form.item_ids())
        inputs.bank = _load_items(Path(bank), wanted)
        bp_path = Path(blueprint) if blueprint else Path(bank) / "blueprint.yaml"
        if bp_path.exists():
            inputs.blueprint = load_blueprint(bp_path)
    elif blueprint is not None:
        inputs.blueprint = load_blueprint(blueprint)
    if standard is not None:
        from cehrs_items.reporting.standard_setting import load_standard_section

        inputs.standard_setting = load_standard_section(standard)
    return inputs


def _load_items(root: Path, wanted: set[str]) -> Bank:
    """The bank items the report shows (file name = item id, a bank rule), read without
    the schema check (``validate`` does that): a report needs 125 items, not the bank."""
    items = {}
    for path in item_files(root):
        if path.stem not in wanted:
            continue
        doc = load_document(path)
        if not doc.ok:
            f = doc.findings[0]
            raise InputError(f"{path}:{f.line}:{f.col}: {f.message}; run `cehrs-items validate`")
        try:
            item = Item.from_data(doc.data, path=str(path))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{path}: not a valid item ({exc}); run `cehrs-items validate`"
            ) from exc
        items[item.id] = item
    return Bank(root=str(root), items=items, content_sha256="")


def _load_equating(directory: Path, inputs: ReportInputs) -> None:
    """Equating tables by method. A ``--compare`` table (``equated_<method>`` and
    ``se_<method>`` columns) gives one table per method; a single-method table whose JSON
    summary names a method already compared is left out (it would repeat that method)."""
    if directory.is_file():
        files = [directory]
        directory = directory.parent
    elif directory.is_dir():
        files = sorted(directory.glob("*.csv"))
    else:
        raise InputError(f"{directory}: equating output not found")
    single: dict[str, pl.DataFrame] = {}
    compared: dict[str, pl.DataFrame] = {}
    for path in files:
        frame = read_table(path, what="equating table")
        cols = set(frame.columns)
        if {"raw_score", "scaled"} <= cols:
            inputs.conversion = frame
        elif {"score", "equated"} <= cols:
            single[path.stem] = frame.select([c for c in ("score", "equated", "se") if c in cols])
        elif "score" in cols:
            for col in frame.columns:
                if col.startswith("equated_"):
                    key = col.removeprefix("equated_")
                    se = f"se_{key}"
                    selected = [pl.col("score"), pl.col(col).alias("equated")]
                    if se in cols:
                        selected.append(pl.col(se).alias("se"))
                    compared[key.replace("_", "-")] = frame.select(selected)
    summaries = {
        p.stem: _read_json(p) for p in sorted(directory.glob("*.json")) if not is_manifest(p)
    }
    for stem, table in single.items():
        method = (summaries.get(stem) or {}).get("method")
        if method is not None and method in compared:
            continue
        inputs.equating_tables[stem] = table
    inputs.equating_tables.update(compared)
    chosen = [s for s in summaries.values() if s.get("method") and not s.get("compare")]
    if chosen:
        inputs.equating_summary = chosen[0]
    elif summaries:
        inputs.equating_summary = next(iter(summaries.values()))


def _flags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _quantile_columns(frame: pl.DataFrame) -> list[str]:
    found = [(int(m.group(1)), c) for c in frame.columns if (m := _QUANTILE_COLUMN.match(c))]
    return [c for _, c in sorted(found)]


def _thresholds(inputs: ReportInputs) -> dict[str, Any]:
    given = inputs.test_stats.get("thresholds") or {}
    return {**_DEFAULT_THRESHOLDS, **{k: v for k, v in given.items() if v is not None}}


def _reason(flag: str, thresholds: dict[str, Any]) -> str:
    template = FLAG_REASONS.get(flag)
    if template is None:
        return flag.replace("_", " ")
    try:
        return template.format(**thresholds)
    except (KeyError, ValueError, TypeError):
        return template.format(**_DEFAULT_THRESHOLDS)


def _sorted_flags(flags: list[str]) -> list[str]:
    return sorted(flags, key=lambda f: (SEVERITY_ORDER.index(flag_severity(f)), f))


def flag_legend(inputs: ReportInputs) -> pl.DataFrame:
    """Every item flag: its severity, the items it was raised on and its meaning in words
    with the thresholds of this analysis (review first, then by count)."""
    thresholds = _thresholds(inputs)
    counts: dict[str, int] = dict.fromkeys(FLAG_REASONS, 0)
    for value in inputs.item_stats["flags"].to_list() if "flags" in inputs.item_stats else []:
        for flag in _flags(value):
            counts[flag] = counts.get(flag, 0) + 1
    rows = [
        {
            "flag": flag,
            "severity": flag_severity(flag),
            "items": n,
            "meaning": _reason(flag, thresholds),
        }
        for flag, n in counts.items()
    ]
    rows.sort(key=lambda r: (SEVERITY_ORDER.index(r["severity"]), -r["items"], r["flag"]))
    return pl.DataFrame(
        rows,
        schema={"flag": pl.String, "severity": pl.String, "items": pl.Int64, "meaning": pl.String},
    )


def irt_table(inputs: ReportInputs) -> pl.DataFrame:
    """Every calibrated item of the form (scored and pretest), with its role and whether
    its parameters were held fixed (anchors at their bank values) or estimated."""
    params = inputs.params
    if params is None:
        return pl.DataFrame()
    if inputs.form is not None:
        params = params.filter(pl.col("item_id").is_in(inputs.form.item_ids()))
    roles = inputs.form.roles if inputs.form is not None else {}
    if not roles and "role" in inputs.item_stats.columns:
        roles = dict(zip(inputs.item_stats["item_id"], inputs.item_stats["role"], strict=True))
    fixed = (
        params["fixed"].cast(pl.String).str.to_lowercase().is_in(["true", "1"])
        if "fixed" in params.columns
        else pl.Series([False] * params.height)
    )
    out = params.with_columns(
        pl.col("item_id").replace_strict(roles, default=None, return_dtype=pl.String).alias("role"),
        pl.Series("parameters", ["fixed" if f else "estimated" for f in fixed], dtype=pl.String),
    )
    columns = [
        "item_id", "role", "parameters", "model", "a", "se_a", "b", "se_b", "c", "se_c",
        "n", "sx2", "sx2_df", "sx2_p", "warnings",
    ]  # fmt: skip
    return out.select([c for c in columns if c in out.columns]).sort(["role", "item_id"])


def _is_true(value: Any) -> bool:
    return value in (True, "true", "True", 1)


def _item_sections(inputs: ReportInputs, thresholds: dict[str, Any]) -> list[dict[str, Any]]:
    stats = inputs.item_stats
    options = inputs.option_stats
    qcols = _quantile_columns(options) if options is not None else []
    params = {}
    if inputs.params is not None:
        params = {row["item_id"]: row for row in inputs.params.iter_rows(named=True)}
    theta = np.linspace(-4, 4, 33)
    quantile_theta = norm.ppf((np.arange(len(qcols)) + 0.5) / len(qcols)) if qcols else np.array([])
    by_item: dict[str, list[dict[str, Any]]] = {}
    if options is not None:
        for opt in options.sort(["item_id", "option"]).iter_rows(named=True):
            by_item.setdefault(opt["item_id"], []).append(opt)
    sections = []
    for row in stats.iter_rows(named=True):
        item_id = row["item_id"]
        item = inputs.bank.items.get(item_id) if inputs.bank is not None else None
        key = item.key if item is not None else None
        option_rows = []
        proportions: dict[str, list[float]] = {}
        for opt in by_item.get(item_id, []):
            is_key = _is_true(opt.get("is_key"))
            if is_key:
                key = key or opt["option"]
            option_rows.append(
                {
                    "option": opt["option"],
                    "text": item.options.get(opt["option"], "") if item is not None else "",
                    "is_key": is_key,
                    "n": _fmt(opt.get("n")),
                    "proportion": _fmt(opt.get("proportion")),
                    "point_biserial": _fmt(opt.get("point_biserial")),
                    "biserial": _fmt(opt.get("biserial")),
                    "mean_score": _fmt(opt.get("mean_score_of_choosers"), 2),
                }
            )
            if qcols and opt["option"] not in ("omit", "OMIT", None, ""):
                proportions[opt["option"]] = [
                    float(opt[c]) if opt[c] is not None else float("nan") for c in qcols
                ]
        if options is None and item is not None:
            option_rows = [
                {
                    "option": k,
                    "text": v,
                    "is_key": k == item.key,
                    **dict.fromkeys(("n", "proportion", "point_biserial", "biserial"), "–"),
                    "mean_score": "–",
                }
                for k, v in sorted(item.options.items())
            ]
        irt = None
        curve = None
        empirical = None
        if item_id in params:
            p = params[item_id]
            fixed = _is_true(p.get("fixed"))
            curve = np.ravel(probability(theta, p["a"], p["b"], p["c"], d=p["d"]))
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
            figure_svg = svg.item_figure(
                [str(i + 1) for i in range(len(qcols))],
                proportions,
                key,
                theta=theta if curve is not None else None,
                icc=curve,
                empirical=empirical,
                label=f"Item {item_id}: quantile plot"
                + (" and item characteristic curve" if curve is not None else ""),
            )
        flags = _sorted_flags(_flags(row.get("flags")))
        severities = {flag_severity(f) for f in flags}
        severity = next((s for s in SEVERITY_ORDER if s in severities), None)
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
                "flags": [(f, flag_severity(f), _reason(f, thresholds)) for f in flags],
                "severity": severity,
                "n_review": sum(flag_severity(f) == "review" for f in flags),
                "options": option_rows,
                "figure_svg": figure_svg,
                "irt": irt,
            }
        )
    sections.sort(
        key=lambda s: (
            SEVERITY_ORDER.index(s["severity"]) if s["severity"] else len(SEVERITY_ORDER),
            -s["n_review"],
            s["item_id"],
        )
    )
    return sections


def _distribution(dist: Any) -> tuple[list[int], list[float]] | None:
    if isinstance(dist, dict) and dist.get("score"):
        return list(dist["score"]), list(dist["freq"])
    if isinstance(dist, list) and dist:
        return [d["score"] for d in dist], [d["freq"] for d in dist]
    return None


def _decision(ts: dict[str, Any]) -> dict[str, Any]:
    decision = ts.get("decision")
    return decision if isinstance(decision, dict) else {}


def _raw_cut(decision: dict[str, Any]) -> float | None:
    value = decision.get("raw_cut", decision.get("cut"))
    return float(value) if value is not None else None


def _summary(inputs: ReportInputs, fmt: str = "svg") -> dict[str, Any]:
    ts = inputs.test_stats
    split = ts.get("split_half") or {}
    rows = [
        ("Examinees", _fmt(ts.get("n_examinees"))),
        ("Scored items", _fmt(ts.get("n_items"))),
        ("Pretest items", _fmt(ts.get("n_pretest"))),
        ("Mean raw score", _fmt(ts.get("mean"), 2)),
        ("SD", _fmt(ts.get("sd"), 2)),
        ("Min / max", f"{_fmt(ts.get('min'))} / {_fmt(ts.get('max'))}"),
        ("Reliability (KR-20 / alpha)", _fmt(ts.get("alpha"))),
        ("KR-21", _fmt(ts.get("kr21"))),
        ("Split-half r (odd-even)", _fmt(split.get("r_half"))),
        ("Split-half, Spearman-Brown", _fmt(split.get("spearman_brown"))),
        ("SEM", _fmt(ts.get("sem"), 2)),
        ("Mean p", _fmt(ts.get("mean_p"))),
        ("Mean item-rest r", _fmt(ts.get("mean_item_rest_r"))),
    ]
    decision = _decision(ts)
    cut = _raw_cut(decision)
    if cut is not None:
        source = decision.get("raw_cut_source")
        rows.append(("Raw cut", f"{cut:g}" + (f" (from {source})" if source else "")))
    for label, key, digits in [
        ("Pass rate", "pass_rate", 3),
        ("CSEM at the cut", "csem_at_cut", 2),
        ("Decision consistency (agreement)", "consistency_agreement", 3),
        ("Decision consistency (kappa)", "consistency_kappa", 3),
        ("Decision accuracy", "accuracy", 3),
        ("Subkoviak agreement", "subkoviak_agreement", 3),
    ]:
        if decision.get(key) is not None:
            rows.append((label, _fmt(decision.get(key), digits)))
    histogram = None
    dist = _distribution(ts.get("score_distribution"))
    if dist is not None:
        histogram = plots.histogram(dist[0], dist[1], cut=cut, name="hist", fmt=fmt)
    return {"rows": rows, "histogram": histogram, "raw_cut": cut}


def _blocks(inputs: ReportInputs, fmt: str = "svg") -> dict[str, Any] | None:
    """Per-domain and pretest-block statistics with small score distributions."""
    ts = inputs.test_stats
    names = {}
    if inputs.blueprint is not None:
        names = {d.domain: d.name for d in inputs.blueprint.domains}
    blocks = [
        (f"Domain {d['domain']}" + (f": {names[d['domain']]}" if d["domain"] in names else ""), d)
        for d in ts.get("domains") or []
    ]
    if ts.get("pretest"):
        blocks.append(("Pretest items (not scored)", ts["pretest"]))
    if not blocks:
        return None
    rows = []
    charts = []
    for label, b in blocks:
        rows.append(
            [
                label,
                _fmt(b.get("n_items")),
                _fmt(b.get("mean"), 2),
                _fmt(b.get("sd"), 2),
                f"{_fmt(b.get('min'))} / {_fmt(b.get('max'))}",
                _fmt(b.get("mean_p")),
                _fmt(b.get("alpha")),
                _fmt(b.get("sem"), 2),
            ]
        )
        dist = _distribution(b.get("score_distribution"))
        if dist is not None and fmt == "svg":
            charts.append(svg.bars(dist[0], dist[1], label=label))
    return {
        "columns": ["block", "items", "mean", "SD", "min / max", "mean p", "alpha", "SEM"],
        "rows": rows,
        "text": [0],
        "charts": charts,
    }


def _table(frame: pl.DataFrame | None, columns: list[str] | None = None) -> dict[str, Any] | None:
    if frame is None or frame.height == 0:
        return None
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    sub = frame.select(cols)
    return {
        "columns": cols,
        "rows": [[_fmt(v) for v in row] for row in sub.iter_rows()],
        "text": [i for i, c in enumerate(cols) if sub.schema[c] in (pl.String, pl.Boolean)],
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


def _flag_section(inputs: ReportInputs, items: list[dict[str, Any]]) -> dict[str, Any]:
    legend = flag_legend(inputs)
    raised = legend.filter(pl.col("items") > 0)
    by_severity = {s: sum(1 for i in items if i["severity"] == s) for s in SEVERITY_ORDER}
    thresholds = _thresholds(inputs)
    shown = [
        (k, _fmt(v) if not isinstance(v, float) else f"{v:g}")
        for k, v in thresholds.items()
        if k in _THRESHOLD_NAMES
    ]
    return {
        "counts": _table(raised),
        "legend": _table(legend),
        "by_severity": by_severity,
        "thresholds": shown,
    }


def _irt_section(inputs: ReportInputs, fmt: str = "svg") -> dict[str, Any] | None:
    if inputs.params is None:
        return None
    table = irt_table(inputs)
    if table.height == 0:
        return None
    scored = inputs.params
    if inputs.form is not None:
        scored = scored.filter(pl.col("item_id").is_in(inputs.form.scored_item_ids))
    if scored.height == 0:
        scored = inputs.params
    theta = np.linspace(-4, 4, 81)
    info = item_information(
        theta,
        scored["a"].to_numpy(),
        scored["b"].to_numpy(),
        scored["c"].to_numpy(),
        d=float(scored["d"][0]),
    ).sum(axis=-1)
    csem = 1.0 / np.sqrt(info)
    dropped = None
    if "anchor" in inputs.params.columns:
        dropped = _table(
            inputs.params.filter(pl.col("anchor") == "dropped").sort("item_id"),
            ["item_id", "anchor_note"],
        )
    rows = []
    for row in table.iter_rows(named=True):
        fixed = row.get("parameters") == "fixed"
        rows.append(
            [_fmt(v) if not (fixed and k.startswith("se_")) else "fixed" for k, v in row.items()]
        )
    n_fixed = int((table["parameters"] == "fixed").sum()) if "parameters" in table else 0
    return {
        "n_items": table.height,
        "n_fixed": n_fixed,
        "n_estimated": table.height - n_fixed,
        "n_scored_tif": scored.height,
        "dropped_anchors": dropped,
        "tif": plots.curves(
            theta,
            {"test information": info},
            xlabel="Ability (theta)",
            ylabel="Information",
            name="tif",
            fmt=fmt,
        ),
        "csem": plots.curves(
            theta,
            {"conditional SEM": csem},
            xlabel="Ability (theta)",
            ylabel="SEM (theta)",
            name="csem",
            fmt=fmt,
        ),
        "table": {
            "columns": table.columns,
            "rows": rows,
            "text": [i for i, c in enumerate(table.columns) if table.schema[c] == pl.String],
        },
    }


def _dif_section(inputs: ReportInputs, fmt: str = "svg") -> dict[str, Any] | None:
    """MH DIF (with logistic-regression DIF beside it when run): table, counts, plot."""
    table, columns = _dif_side_by_side(inputs, _DIF_COLUMNS)
    if table is None or table.height == 0:
        return None
    figure = None
    counts = None
    dif = inputs.dif.sort("item_id") if inputs.dif is not None else None
    if dif is not None:
        counts = {c: int((dif["ets_category"] == c).sum()) for c in "ABC"}
        if {"delta_mh_ci_low", "delta_mh_ci_high"} <= set(dif.columns):
            figure = plots.dif_deltas(
                dif["item_id"].to_list(),
                dif["delta_mh"].to_list(),
                dif["delta_mh_ci_low"].to_list(),
                dif["delta_mh_ci_high"].to_list(),
                dif["ets_category"].to_list(),
                name="dif",
                fmt=fmt,
            )
    return {"figure": figure, "counts": counts, "table": _table(table, columns)}


def _truncation(inputs: ReportInputs, method_tables: dict[str, pl.DataFrame]) -> list[str]:
    """Sentences on the bottom of the scale: what linear methods give there and the clip."""
    notes = []
    chosen = (inputs.equating_summary or {}).get("method")
    lines = {}
    for name, tab in method_tables.items():
        if tab.height:
            lines[name] = float(tab["equated"][0])
    if lines:
        parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(lines.items()))
        notes.append(
            f"Equivalents of raw score 0 on the new form: {parts}. Linear methods (Tucker, "
            "Levine, chained linear) extend one straight line over the whole score range, so "
            "below the lowest observed scores they give values under 0 that no examinee can "
            "obtain; equipercentile methods stop at the lowest base-form score with data. The "
            "methods differ most where nobody scored."
        )
    conv = inputs.conversion
    scale = inputs.blueprint.scale if inputs.blueprint is not None else None
    if conv is not None and scale is not None and {"raw_score", "scaled"} <= set(conv.columns):
        at_min = conv.filter(pl.col("scaled") <= scale.min)
        if at_min.height:
            top = int(at_min["raw_score"].max())
            dist = _distribution(inputs.test_stats.get("score_distribution"))
            n_there = sum(f for s, f in zip(*dist, strict=True) if s <= top) if dist else None
            notes.append(
                f"The scale clips at its ends: scaled scores are rounded half up, then held "
                f"within [{scale.min}, {scale.max}], so raw scores 0-{top} on the new form "
                f"all report {scale.min}"
                + (f" ({int(n_there)} examinee(s) scored there)" if n_there is not None else "")
                + (
                    f"; the {chosen} equating is the one carried into the conversion."
                    if chosen
                    else "."
                )
            )
    return notes


def _equating_section(inputs: ReportInputs, fmt: str = "svg") -> dict[str, Any] | None:
    if not inputs.equating_tables and inputs.conversion is None:
        return None
    figure = None
    tables = dict(sorted(inputs.equating_tables.items()))
    if tables:
        first = next(iter(tables.values()))
        x = first["score"].to_numpy()
        methods = {
            name: (tab["equated"].to_numpy(), tab["se"].to_numpy() if "se" in tab.columns else None)
            for name, tab in tables.items()
            if tab.height == x.size
        }
        figure = plots.equating_differences(x, methods, name="eqdiff", fmt=fmt)
    return {
        "figure": figure,
        "methods": list(tables),
        "with_se": [n for n, t in tables.items() if "se" in t.columns],
        "summary": inputs.equating_summary,
        "truncation": _truncation(inputs, tables),
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
        "text": [1, 6],
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


_DIF_COLUMNS = [
    "item_id",
    "n_reference",
    "n_focal",
    "alpha_mh",
    "delta_mh",
    "se_delta_mh",
    "delta_mh_ci_low",
    "delta_mh_ci_high",
    "chi_square_mh",
    "p_value",
    "ets_category",
    "direction",
    "std_p_dif",
]
_THRESHOLD_NAMES = (
    "p_low",
    "p_high",
    "item_rest_r_low",
    "item_rest_r_negative",
    "distractor_pb_max",
    "distractor_min_proportion",
    "min_n",
    "dif_flag_categories",
)


def report_context(inputs: ReportInputs, fmt: str = "svg") -> dict[str, Any]:
    """Everything the report shows, section by section (figures as SVG text or PNG bytes).

    The HTML template and the Word writer both render this one structure, so the two
    reports have the same sections and numbers.
    """
    thresholds = _thresholds(inputs)
    items = _item_sections(inputs, thresholds) if fmt == "svg" else _item_rows(inputs, thresholds)
    return {
        "title": inputs.title,
        "as_of": inputs.as_of,
        "version": __version__,
        "summary": _summary(inputs, fmt),
        "blocks": _blocks(inputs, fmt),
        "flag_info": _flag_section(inputs, items),
        "flagged": [i for i in items if i["flags"]],
        "items": items,
        "dif": _dif_section(inputs, fmt),
        "dif_logistic": inputs.dif_logistic is not None,
        "dif_methods": " and ".join(
            m
            for m, t in (
                ("Mantel-Haenszel", inputs.dif),
                ("logistic regression", inputs.dif_logistic),
            )
            if t is not None
        ),
        "irt": _irt_section(inputs, fmt),
        "equating": _equating_section(inputs, fmt),
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


def _item_rows(inputs: ReportInputs, thresholds: dict[str, Any]) -> list[dict[str, Any]]:
    """Item sections without figures (for the Word report)."""
    saved = inputs.option_stats
    sections = _item_sections(
        ReportInputs(**{**inputs.__dict__, "option_stats": _without_quantiles(saved)}), thresholds
    )
    return sections


def _without_quantiles(options: pl.DataFrame | None) -> pl.DataFrame | None:
    if options is None:
        return None
    return options.drop(_quantile_columns(options))


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
    return _environment().get_template("report.html.j2").render(**report_context(inputs))


def build_report(
    analysis: str | Path,
    *,
    calibration: str | Path | None = None,
    equating: str | Path | None = None,
    bank: str | Path | None = None,
    form: str | Path | None = None,
    blueprint: str | Path | None = None,
    conversion: str | Path | None = None,
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
            conversion=conversion,
            title=title,
            as_of=as_of,
            standard=standard,
        )
    )
