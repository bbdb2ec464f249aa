"""Calibration as the ``calibrate`` command runs it: responses in, a parameter table out.

:func:`calibrate` takes scored responses (``responses.ScoredResponses``, or their unique
patterns, :class:`~cehrs_items.irt.patterns.ScoredPatterns`) and runs MML-EM
(:mod:`cehrs_items.irt.mml_em`) or Rasch CML (:mod:`cehrs_items.irt.cml`), adds S-X2 item
fit (:mod:`cehrs_items.irt.fit`) and per-item warnings. :func:`calibrate_responses` does
the same from files (responses, key or form, anchor parameters) and prepares the rows for
the bank's statistics table. Omitted responses are missing for calibration, never wrong.

Output columns (:data:`PARAM_COLUMNS`): item_id, model, a, b, c, d, se_a, se_b, se_c, n,
sx2, sx2_df, sx2_p, warnings, fixed, slope, intercept, se_slope, se_intercept,
theta_mean, theta_sd (the calibration's ability distribution, the same on every row:
N(0, 1) for an ordinary 2PL/3PL run, the estimated mean and SD for Rasch and for a
fixed-anchor run; ``link`` integrates over it by default).
``warnings`` is a ``;``-separated list of: ``a>4`` (Heywood-like slope), ``a<=0``
(negative discrimination), ``b_outside_[-4,4]``, ``c_at_bound`` (c below 0.001 or above
0.999), ``se_unavailable`` (singular information), ``sx2_not_computed`` (fewer than two
complete cases or df < 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
from scipy.special import expit

from cehrs_items.engine import check_engine, make_engine
from cehrs_items.errors import DataError, EstimationError, InputError
from cehrs_items.irt.cml import rasch_cml
from cehrs_items.irt.fit import score_group_counts, sx2_from_counts
from cehrs_items.irt.mml_em import (
    N_PARAMS,
    Accelerate,
    Criterion,
    FixedItem,
    Model,
    Priors,
    SEMethod,
    mml_em,
    mml_em_patterns,
)
from cehrs_items.irt.params import read_params
from cehrs_items.irt.partitioned import scored_patterns_from_parquet
from cehrs_items.irt.patterns import (
    DEFAULT_MEMORY_BYTES,
    MISSING,
    Patterns,
    ScoredPatterns,
    collapse,
    encode,
    subset_patterns,
    weighted_counts,
)
from cehrs_items.irt.quadrature import Quadrature, make_quadrature
from cehrs_items.item_stats import conform_item_stats, validate_item_stats
from cehrs_items.responses import (
    ScoredResponses,
    read_key,
    read_key_options,
    read_responses,
    score_responses,
)
from cehrs_items.tables import table_columns

Method = Literal["mml", "cml"]
PARAM_COLUMNS = tuple(table_columns("item_params"))


@dataclass(frozen=True)
class CalibrationSettings:
    """How :func:`calibrate_responses` estimates: the options of :func:`calibrate` and the
    quadrature it builds (``quadrature_kind``, ``quad_points``, ``quad_bound``, see
    :func:`cehrs_items.irt.quadrature.make_quadrature`); ``chunk_rows``, the rows per
    partition when an MML calibration reads clean Parquet in partitions (see
    :mod:`cehrs_items.irt.partitioned`); ``memory_bytes``, the unique response patterns
    held in memory before they are spilled to a temporary folder under ``spill_dir``
    (default: the system's; see :func:`cehrs_items.irt.patterns.collapse_blocks`).
    Defaults are those of :func:`calibrate` and of ``cehrs-items calibrate``."""

    model: Model = "2pl"
    method: Method = "mml"
    scaling: float = 1.0
    priors: Priors | None = None
    tol: float = 1e-4
    max_iter: int = 500
    criterion: Criterion = "params"
    se_method: SEMethod = "louis"
    accelerate: Accelerate = "squarem"
    fit: bool = True
    fit_min_expected: float = 1.0
    quadrature_kind: str = "grid"
    quad_points: int = 61
    quad_bound: float = 6.0
    chunk_rows: int | None = None
    memory_bytes: int = DEFAULT_MEMORY_BYTES
    spill_dir: str | Path | None = None


@dataclass(frozen=True)
class Calibration:
    """A finished calibration: ``params`` (columns :data:`PARAM_COLUMNS`, sorted by item),
    convergence figures, the ability distribution, settings, excluded items and (from
    :func:`calibrate_responses` with ``stats``) the rows for the statistics table."""

    params: pl.DataFrame
    converged: bool
    n_iter: int
    max_change: float
    loglik: float
    mean: float
    sd: float
    se_sd: float | None
    settings: dict
    excluded: dict[str, str] = field(default_factory=dict)
    stats_rows: pl.DataFrame | None = None

    def summary(self) -> dict:
        """JSON-ready summary (no paths, no clock times)."""

        def num(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else float(x)

        return {
            "converged": self.converged,
            "n_iter": self.n_iter,
            "max_change": num(self.max_change),
            "loglik": num(self.loglik),
            "theta_mean": num(self.mean),
            "theta_sd": num(self.sd),
            "theta_sd_se": num(self.se_sd),
            "n_items": self.params.height,
            "n_warnings": int((self.params["warnings"] != "").sum()),
            "excluded": self.excluded,
            "settings": self.settings,
        }


def _warnings(params: pl.DataFrame) -> list[str]:
    out = []
    for row in params.iter_rows(named=True):
        w = []
        if not row["fixed"]:
            if row["a"] is not None and row["a"] > 4:
                w.append("a>4")
            if row["a"] is not None and row["a"] <= 0:
                w.append("a<=0")
            if row["b"] is not None and abs(row["b"]) > 4:
                w.append("b_outside_[-4,4]")
            if row["model"] == "3pl" and (row["c"] < 1e-3 or row["c"] > 0.999):
                w.append("c_at_bound")
            se_missing = row["se_b"] is None or not math.isfinite(row["se_b"])
            if se_missing and row["settings_se"]:
                w.append("se_unavailable")
        if row["sx2_p"] is None or not math.isfinite(row["sx2_p"]):
            w.append("sx2_not_computed")
        out.append(";".join(w))
    return out


def _item_fit(
    patterns: Patterns,
    item_ids: list[str],
    params: pl.DataFrame,
    quadrature: Quadrature,
    mean: float,
    sd: float,
    min_expected: float,
) -> tuple[pl.DataFrame, float]:
    """S-X2 of every item from the complete patterns (one pass over their chunks), and the
    weight of the complete cases."""
    n_items = len(item_ids)
    n_k = np.zeros(n_items + 1)
    o_counts = np.zeros((n_items, n_items + 1))
    for sl in patterns.chunks(1 << 16):
        codes = patterns.codes[sl]
        complete = (codes != MISSING).all(1)
        part_n, part_o = score_group_counts(
            codes[complete], np.asarray(patterns.freq[sl])[complete]
        )
        n_k += part_n
        o_counts += part_o
    n_complete = float(n_k.sum())
    table = {r["item_id"]: r for r in params.iter_rows(named=True)}
    a = np.array([table[i]["a"] * table[i]["d"] for i in item_ids])
    b = np.array([table[i]["b"] for i in item_ids])
    c = np.array([table[i]["c"] for i in item_ids])
    theta = quadrature.nodes(mean, sd)
    p = c + (1 - c) * expit(a * (theta[:, None] - b))
    n_par = [0 if table[i]["fixed"] else N_PARAMS[table[i]["model"]] for i in item_ids]
    if n_complete < 2:
        return pl.DataFrame(
            {
                "item_id": item_ids,
                "sx2": [None] * len(item_ids),
                "sx2_df": [None] * len(item_ids),
                "sx2_p": [None] * len(item_ids),
            },
            schema={
                "item_id": pl.String,
                "sx2": pl.Float64,
                "sx2_df": pl.Float64,
                "sx2_p": pl.Float64,
            },
        ), n_complete
    fit = sx2_from_counts(
        n_k,
        o_counts,
        p,
        quadrature.weights,
        item_ids=item_ids,
        n_params=n_par,
        min_expected=min_expected,
    )
    return fit.select("item_id", "sx2", "sx2_df", "sx2_p"), n_complete


def _check_method(method: str, model: str, anchored: bool) -> None:
    if method not in ("mml", "cml"):
        raise InputError(f"method {method!r} unknown; use mml or cml")
    if method == "cml" and model != "rasch":
        raise InputError(f"--method cml estimates the Rasch model only; got --model {model}")
    if method == "cml" and anchored:
        raise InputError("--anchor needs --method mml (CML has no ability distribution to place)")


def _patterns_of(responses: ScoredResponses | ScoredPatterns) -> Patterns:
    if isinstance(responses, ScoredPatterns):
        return responses.patterns
    return collapse(encode(responses.scores, responses.omitted), responses.weights)[0]


def calibrate(
    responses: ScoredResponses | ScoredPatterns,
    *,
    model: Model = "2pl",
    method: Method = "mml",
    scaling: float = 1.0,
    quadrature: Quadrature | None = None,
    priors: Priors | None = None,
    anchor: pl.DataFrame | None = None,
    estimate: Sequence[str] | None = None,
    tol: float = 1e-4,
    max_iter: int = 500,
    criterion: Criterion = "params",
    se_method: SEMethod = "louis",
    accelerate: Accelerate = "squarem",
    fit: bool = True,
    fit_min_expected: float = 1.0,
    progress: Callable[[int, float, float], None] | None = None,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    spill_dir: str | Path | None = None,
    engine: object | None = None,
    say: Callable[[str], None] | None = None,
) -> Calibration:
    """Calibrate the items of ``responses``; see the module docstring for the output.

    Parameters
    ----------
    responses : scored responses (``omitted`` marks missing responses), or their unique
        patterns (:class:`~cehrs_items.irt.patterns.ScoredPatterns`, e.g. from
        :func:`~cehrs_items.irt.partitioned.scored_patterns_from_parquet`); the results
        are the same.
    model : ``rasch``, ``2pl`` or ``3pl``.
    method : ``mml`` (any model) or ``cml`` (Rasch only).
    scaling : the constant ``d``: 1 (logistic metric) or 1.702 (normal metric).
    quadrature, priors, tol, max_iter, criterion, se_method, accelerate : passed to
        :func:`cehrs_items.irt.mml_em.mml_em`.
    anchor : parameter frame of anchor items (from ``read_params``): those present in the
        responses and not in ``estimate`` are held fixed, and the ability distribution's
        mean and SD are estimated, so the other items land on the anchor scale.
    estimate : items to estimate (default: all not in ``anchor``). Every other item must
        have anchor parameters.
    fit : compute S-X2 item fit. ``fit_min_expected``: its cell-merging threshold.
    progress : called after each EM cycle with (cycle, change, log likelihood).
    memory_bytes, spill_dir : patterns collapsed again (items left out) are held in
        memory up to ``memory_bytes`` and spilled to a temporary folder under
        ``spill_dir`` beyond (see :func:`~cehrs_items.irt.patterns.collapse_blocks`).
    engine : where MML's passes over the patterns run: None (this process) or a
        :class:`~cehrs_items.engine.DaskEngine` (its workers; the same results).
    say : told of each long step (a line of text), for progress on a terminal.

    Returns
    -------
    Calibration

    Raises
    ------
    EstimationError
        When the estimation does not converge within ``max_iter`` (the message gives the
        final change and what to try).

    Tested against: see :func:`~cehrs_items.irt.mml_em.mml_em`,
    :func:`~cehrs_items.irt.cml.rasch_cml` and :func:`~cehrs_items.irt.fit.sx2`.
    """
    _check_method(method, model, anchor is not None)
    ids = list(responses.item_ids)
    quadrature = quadrature or make_quadrature()
    fixed: dict[str, FixedItem] = {}
    if anchor is not None:
        anchor_ids = set(anchor["item_id"].to_list())
        est = set(estimate) if estimate is not None else {i for i in ids if i not in anchor_ids}
        unknown = sorted(set(est) - set(ids))
        if unknown:
            raise DataError(f"items to estimate not in the responses: {', '.join(unknown[:5])}")
        lacking = sorted(i for i in ids if i not in est and i not in anchor_ids)
        if lacking:
            raise DataError(
                f"{len(lacking)} item(s) are neither estimated nor in the anchor file: "
                f"{', '.join(lacking[:5])}; add them to --items or to the anchor parameters"
            )
        for row in anchor.iter_rows(named=True):
            if row["item_id"] in ids and row["item_id"] not in est:
                fixed[row["item_id"]] = FixedItem(
                    a=row["a"], b=row["b"], c=row["c"], d=row.get("d") or 1.0
                )
        if not fixed:
            raise DataError("no anchor item appears in the responses; nothing to hold fixed")
    elif estimate is not None:
        unknown = sorted(set(estimate) - set(ids))
        if unknown:
            raise DataError(f"items to estimate not in the responses: {', '.join(unknown[:5])}")
        keep = [i for i in ids if i in set(estimate)]
        idx = [ids.index(i) for i in keep]
        if isinstance(responses, ScoredPatterns):
            responses = ScoredPatterns(
                subset_patterns(
                    responses.patterns, idx, memory_bytes=memory_bytes, spill_dir=spill_dir
                ),
                tuple(keep),
            )
        else:
            responses = ScoredResponses(
                scores=responses.scores[:, idx],
                omitted=responses.omitted[:, idx],
                item_ids=tuple(keep),
                examinee_ids=responses.examinee_ids,
                weights=responses.weights,
                extra=responses.extra,
            )
        ids = keep

    patterns: Patterns | None = None
    if method == "cml":
        if isinstance(responses, ScoredPatterns):
            # CML works on the examinees' matrix; patterns stand for it with their weights.
            if responses.patterns.spilled:
                raise InputError(
                    "--method cml needs the responses in memory; these were spilled to disk "
                    "(use --method mml, or raise the memory budget)"
                )
            codes = responses.patterns.codes
            responses = ScoredResponses(
                scores=(codes == 1).astype(np.int8),
                omitted=codes == MISSING,
                item_ids=responses.item_ids,
                examinee_ids=pl.Series("examinee_id", [], dtype=pl.String),
                weights=np.asarray(responses.patterns.freq),
                extra=pl.DataFrame(),
            )
        res = rasch_cml(
            responses.scores,
            item_ids=ids,
            omitted=responses.omitted,
            weights=responses.weights,
            scaling=scaling,
        )
        params = res.params.with_columns(
            (pl.col("a") * pl.col("d")).alias("slope"),
            (-pl.col("b") * pl.col("d")).alias("intercept"),
            pl.lit(None, dtype=pl.Float64).alias("se_slope"),
            (pl.col("se_b") * pl.col("d")).alias("se_intercept"),
        )
        # The ability distribution for item fit: items fixed at their CML values.
        kept = params["item_id"].to_list()
        idx = [ids.index(i) for i in kept]
        dist = mml_em(
            responses.scores[:, idx],
            item_ids=kept,
            omitted=responses.omitted[:, idx],
            weights=responses.weights,
            model="rasch",
            scaling=scaling,
            quadrature=quadrature,
            fixed={
                r["item_id"]: FixedItem(a=1.0, b=r["b"], d=scaling)
                for r in params.iter_rows(named=True)
            },
            tol=tol,
            max_iter=max_iter,
            se_method="none",
        )
        mean, sd, se_sd = dist.mean, dist.sd, None
        converged, n_iter, change, loglik = res.converged, res.n_iter, res.max_change, res.loglik
        settings = dict(res.settings)
        settings["theta_distribution_for_fit"] = "normal, mean and SD by MML with items fixed"
        excluded = res.excluded
    else:
        patterns = _patterns_of(responses)
        res = mml_em_patterns(
            patterns,
            item_ids=ids,
            model=model,
            scaling=scaling,
            quadrature=quadrature,
            priors=priors,
            fixed=fixed,
            tol=tol,
            max_iter=max_iter,
            criterion=criterion,
            se_method=se_method,
            accelerate=accelerate,
            progress=progress,
            memory_bytes=memory_bytes,
            spill_dir=spill_dir,
            engine=engine,
            say=say,
        )
        params = res.params
        mean, sd, se_sd = res.mean, res.sd, res.se_sd
        converged, n_iter, change, loglik = res.converged, res.n_iter, res.max_change, res.loglik
        settings = dict(res.settings)
        excluded = res.excluded
    if not converged:
        raise EstimationError(
            f"calibration did not converge in {n_iter} cycles (final change {change:.3g}, "
            f"tolerance {tol:g}); raise --max-iter, loosen --tol, or check items with "
            "extreme proportions correct"
        )
    kept = params["item_id"].to_list()
    if fit:
        if say is not None:
            say("item fit (S-X2)")
        if patterns is None:
            patterns = _patterns_of(responses)
        if len(kept) < len(ids):
            idx = [ids.index(i) for i in kept]
            patterns = subset_patterns(
                patterns, idx, memory_bytes=memory_bytes, spill_dir=spill_dir
            )
        fit_table, n_complete = _item_fit(
            patterns, kept, params, quadrature, mean, sd, fit_min_expected
        )
        params = params.join(fit_table, on="item_id", how="left")
        settings["item_fit"] = {
            "statistic": "S-X2",
            "min_expected": fit_min_expected,
            "n_complete_cases": int(round(n_complete)),
        }
    else:
        params = params.with_columns(
            pl.lit(None, dtype=pl.Float64).alias(c) for c in ("sx2", "sx2_df", "sx2_p")
        )
    params = params.with_columns(
        pl.lit(se_method != "none" or method == "cml").alias("settings_se")
    )
    params = params.with_columns(pl.Series("warnings", _warnings(params), dtype=pl.String))
    if not fit:
        params = params.with_columns(
            pl.col("warnings").str.replace_all(r"(^|;)sx2_not_computed", "").str.strip_chars(";")
        )
    params = params.with_columns(
        pl.lit(float(mean), dtype=pl.Float64).alias("theta_mean"),
        pl.lit(float(sd), dtype=pl.Float64).alias("theta_sd"),
    )
    params = params.select(PARAM_COLUMNS).sort("item_id")
    settings["theta_mean"] = mean
    settings["theta_sd"] = sd
    return Calibration(
        params=params,
        converged=converged,
        n_iter=n_iter,
        max_change=change,
        loglik=loglik,
        mean=mean,
        sd=sd,
        se_sd=se_sd,
        settings=settings,
        excluded=excluded,
    )


def parse_prior(text: str | None, name: str) -> tuple[float, float] | None:
    """``"5,17"`` -> (5.0, 17.0); ``"none"``/empty -> None."""
    if text is None or text.strip().lower() in ("", "none", "off"):
        return None
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError as exc:
        raise InputError(
            f"--{name}-prior {text!r}: expected two numbers like 5,17 or 'none'"
        ) from exc
    if len(values) != 2:
        raise InputError(f"--{name}-prior {text!r}: expected two numbers like 5,17 or 'none'")
    return values  # type: ignore[return-value]


def stats_rows(
    calibration: Calibration,
    *,
    form_id: str,
    administration_date: str,
    item_versions: Mapping[str, int],
    p_values: Mapping[str, float],
    theta_scale: str,
) -> pl.DataFrame:
    """Rows for the bank's statistics table (source ``calibration``), estimated items only,
    validated against ``schemas/item_stats.schema.json``."""
    est = calibration.params.filter(~pl.col("fixed"))
    missing = [i for i in est["item_id"].to_list() if i not in item_versions]
    if missing:
        raise DataError(
            f"no item version for {len(missing)} item(s): {', '.join(missing[:5])}; "
            "give --form, or --bank with these items"
        )
    rows = est.select(
        "item_id",
        pl.col("item_id")
        .replace_strict(dict(item_versions), return_dtype=pl.Int64)
        .alias("item_version"),
        pl.lit(form_id).alias("form_id"),
        pl.lit(administration_date).alias("administration_date"),
        pl.lit("calibration").alias("source"),
        "n",
        pl.col("item_id").replace_strict(dict(p_values), return_dtype=pl.Float64).alias("p_value"),
        pl.col("model").alias("irt_model"),
        "a",
        "b",
        "c",
        "se_a",
        "se_b",
        "se_c",
        "d",
        pl.lit(theta_scale).alias("theta_scale"),
    )
    rows = conform_item_stats(rows, where="calibration statistics rows")
    problems = validate_item_stats(rows, where="calibration statistics rows")
    if problems:
        raise DataError(problems[0])
    return rows


def calibrate_responses(
    responses: str | Path,
    *,
    key: str | Path | None = None,
    form: str | Path | None = None,
    id_column: str = "examinee_id",
    weight_column: str | None = None,
    anchor: str | Path | None = None,
    items: Sequence[str] | None = None,
    stats: bool = False,
    bank: str | Path | None = None,
    form_id: str | None = None,
    administration_date: str | None = None,
    theta_scale: str | None = None,
    settings: CalibrationSettings | None = None,
    progress: Callable[[int, float, float], None] | None = None,
    engine: str | object = "local",
    scheduler: str | None = None,
    say: Callable[[str], None] | None = None,
) -> Calibration:
    """Read responses (and a key or form, and anchor parameters), then :func:`calibrate`.

    For MML, clean Parquet (a file, a directory or a glob) is read in partitions and kept
    as unique scored patterns with their weights (:mod:`cehrs_items.irt.partitioned`), so
    the letters are never held whole, and the patterns are spilled to disk beyond
    ``settings.memory_bytes``; the estimates are those of the whole-file path.

    ``form`` supplies the key, the item list and the roles: with ``anchor`` and no
    ``items``, the form's pretest items and any item without anchor parameters are
    estimated. With ``stats`` the result carries validated rows for the statistics table
    (``form_id`` defaults to the form's id; ``administration_date`` is required; item
    versions come from the form, else from the bank at ``bank``). ``settings`` say how to
    estimate (default :class:`CalibrationSettings`); ``progress`` is passed to
    :func:`calibrate`. ``engine`` (``"local"``, ``"dask"`` or an engine object, with
    ``scheduler``, see :func:`cehrs_items.engine.make_engine`) says where MML's passes
    over the patterns run; the results are the same. ``say`` is told of each long step.
    """
    settings = settings or CalibrationSettings()
    check_engine(engine, scheduler)
    from cehrs_items.forms import read_form

    form_obj = read_form(form) if form is not None else None
    key_map = read_key(key) if key is not None else (form_obj.key if form_obj else None)
    item_list = (
        form_obj.item_ids() if form_obj is not None else (list(key_map) if key_map else None)
    )
    n_options = (read_key_options(key) or None) if key is not None else None
    if stats:
        if administration_date is None:
            raise InputError("--write-stats needs --date YYYY-MM-DD (the administration date)")
        if form_id is None and form_obj is None:
            raise InputError("--write-stats needs --form or --form-id")
    _check_method(settings.method, settings.model, anchor is not None)
    tell = say or (lambda _message: None)
    tell(f"reading {responses}")
    scored = None
    if settings.method == "mml":
        # Clean Parquet: read in partitions and kept as unique scored patterns only.
        scored = scored_patterns_from_parquet(
            responses,
            key=key_map,
            items=item_list,
            id_column=id_column,
            weight_column=weight_column,
            n_options=n_options,
            chunk_rows=settings.chunk_rows,
            memory_bytes=settings.memory_bytes,
            spill_dir=settings.spill_dir,
        )
    if scored is None:
        rs = read_responses(
            responses,
            id_column=id_column,
            items=item_list,
            weight_column=weight_column,
            n_options=n_options,
        )
        scored = score_responses(rs, key_map)
    if isinstance(scored, ScoredPatterns):
        where = "spilled to disk" if scored.patterns.spilled else "in memory"
        tell(
            f"{scored.n_examinees:.0f} examinees, {scored.patterns.n_patterns} unique "
            f"response patterns ({where})"
        )
    anchor_frame = read_params(anchor) if anchor is not None else None
    estimate = list(items) if items else None
    if anchor_frame is not None and estimate is None and form_obj is not None:
        anchor_ids = set(anchor_frame["item_id"].to_list())
        pretest = set(form_obj.pretest_item_ids)
        estimate = [i for i in scored.item_ids if i in pretest or i not in anchor_ids]
    quadrature = make_quadrature(
        settings.quadrature_kind, settings.quad_points, settings.quad_bound
    )
    with make_engine(engine, scheduler) as runner:
        result = calibrate(
            scored,
            engine=runner,
            model=settings.model,
            method=settings.method,
            scaling=settings.scaling,
            quadrature=quadrature,
            priors=settings.priors,
            anchor=anchor_frame,
            estimate=estimate,
            tol=settings.tol,
            max_iter=settings.max_iter,
            criterion=settings.criterion,
            se_method=settings.se_method,
            accelerate=settings.accelerate,
            fit=settings.fit,
            fit_min_expected=settings.fit_min_expected,
            progress=progress,
            memory_bytes=settings.memory_bytes,
            spill_dir=settings.spill_dir,
            say=say,
        )
    if not stats:
        return result
    if form_obj is not None:
        versions = {p["item_id"]: p["item_version"] for p in form_obj.positions}
    else:
        from cehrs_items.bank import load_bank

        bank_obj = load_bank(bank if bank is not None else "item_bank")
        versions = {i: it.version for i, it in bank_obj.items.items()}
    if isinstance(scored, ScoredPatterns):
        n_ans, right = weighted_counts(scored.patterns.codes, scored.patterns.freq)
    else:
        answered = ~scored.omitted
        w = scored.weights if scored.weights is not None else np.ones(scored.n_examinees)
        right = (scored.scores * answered * w[:, None]).sum(0)
        n_ans = (answered * w[:, None]).sum(0)
    p_values = {
        item: float(right[j] / n_ans[j]) if n_ans[j] > 0 else float("nan")
        for j, item in enumerate(scored.item_ids)
    }
    scale = theta_scale or ("bank" if anchor_frame is not None else "calibration N(0,1)")
    rows = stats_rows(
        result,
        form_id=form_id or form_obj.form_id,  # type: ignore[union-attr]
        administration_date=administration_date,  # type: ignore[arg-type]
        item_versions=versions,
        p_values=p_values,
        theta_scale=scale,
    )
    return Calibration(**{**result.__dict__, "stats_rows": rows})
