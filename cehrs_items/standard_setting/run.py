"""File-level entry points of ``cehrs-items standard-setting``: read, compute, write a folder.

Each ``run_*`` function reads the panel file and the optional form, parameters and
observed scores, calls the method and returns a :class:`StandardSettingRun`: the
``cut.json`` document and the tables, which :func:`write_run` writes into one folder
(through :class:`cehrs_items.io.OutputSet`: all files or none, nothing overwritten
without ``force``). :func:`read_standard` reads a ``cut.json`` back (for ``scale``,
``impact`` and the report).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.errors import DataError, InputError
from cehrs_items.forms import Form, read_form
from cehrs_items.io import OutputSet, sha256_file
from cehrs_items.irt.params import read_params
from cehrs_items.responses import ID_COLUMN, read_responses, score_responses
from cehrs_items.standard_setting.angoff import AngoffSettings, angoff
from cehrs_items.standard_setting.bookmark import BookmarkSettings, bookmark
from cehrs_items.standard_setting.compromise import beuk, hofstee
from cehrs_items.standard_setting.impact import failure_curve, impact
from cehrs_items.standard_setting.panel import (
    read_beuk,
    read_bookmarks,
    read_hofstee,
    read_panel_csv,
    read_ratings,
)
from cehrs_items.standard_setting.summary import whole_cut
from cehrs_items.standard_setting.tcc import theta_from_raw

CUT_VERSION = 1
METHODS = ("angoff", "hofstee", "beuk", "bookmark")


@dataclass(frozen=True)
class ObservedScores:
    """Raw scores of examinees on the form (and item p-values when read from responses)."""

    raw: np.ndarray
    max_score: int | None
    groups: list[str | None] | None = None
    p_values: pl.DataFrame | None = None
    source: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StandardSettingRun:
    """A method's ``cut.json`` document and its tables (file stem -> frame)."""

    method: str
    cut: dict[str, Any]
    tables: dict[str, pl.DataFrame]
    summary_name: str = "cut.json"

    def files(self) -> dict[str, bytes]:
        out = {self.summary_name: _json_bytes(self.cut)}
        for name, frame in sorted(self.tables.items()):
            buffer = io.BytesIO()
            frame.write_csv(buffer, float_precision=10)
            out[f"{name}.csv"] = buffer.getvalue()
        return out


def _json_bytes(obj: Any) -> bytes:
    from cehrs_items.io import dumps_json

    return dumps_json(_clean(obj)).encode("utf-8")


def _clean(obj: Any) -> Any:
    """NaN/inf become null (JSON has none); numpy scalars become Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_run(
    run: StandardSettingRun, out: str | Path, *, force: bool = False, manifest: bool = True
) -> list[Path]:
    """Write ``cut.json`` and the tables of ``run`` into the folder ``out`` (whole, with
    ``manifest.json`` unless ``manifest=False``: for a folder inside another output)."""
    outputs = OutputSet(out, force=force, manifest=manifest)
    for name, data in run.files().items():
        outputs.add(name, data)
    return outputs.commit()


def _file_ref(path: str | Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    p = Path(path)
    return {"file": p.name, "sha256": sha256_file(p)} if p.is_file() else {"file": p.name}


def read_observed_scores(
    *,
    responses: str | Path | None = None,
    scores: str | Path | None = None,
    form: Form | None = None,
    items: Sequence[str] | None = None,
    group: str | None = None,
    id_column: str = ID_COLUMN,
) -> ObservedScores:
    """Raw scores from a response file (scored with the form's key) or a score file.

    ``responses``: the response-format contract; the form's scored items (or ``items``)
    are scored, omits count as wrong, and item p-values come along. ``scores``: CSV with a
    ``raw`` column per examinee (e.g. from ``cehrs-items score``). ``group`` names a
    column holding group labels for impact by group.
    """
    if (responses is None) == (scores is None):
        raise InputError("give observed data as either --responses or --scores (one of them)")
    if responses is not None:
        wanted = form.scored_item_ids if form is not None else items
        rs = read_responses(
            responses,
            id_column=id_column,
            items=wanted,
            extra_columns=(group,) if group else (),
            # The form's pretest items are deliberately not scored: no warning for them.
            known_items=form.item_ids() if form is not None else (),
        )
        key = form.key if form is not None else None
        if rs.kind == "letters" and key is None:
            raise DataError(
                f"{responses}: responses are option letters; give --form so that its key "
                "scores them (or give 0/1 scores)"
            )
        scored = score_responses(rs, key, items=wanted, omit="incorrect")
        raw = scored.raw_scores().astype(np.float64)
        p = scored.scores.mean(axis=0)
        p_values = pl.DataFrame({"item_id": list(scored.item_ids), "p_value": p})
        groups = None
        if group:
            groups = scored.extra.get_column(group).cast(pl.String).to_list()
        return ObservedScores(
            raw=raw,
            max_score=len(scored.item_ids),
            groups=groups,
            p_values=p_values,
            source={"responses": _file_ref(responses)},
        )
    path = Path(scores)  # type: ignore[arg-type]
    frame = read_panel_csv(path)
    if "raw" not in frame.columns:
        raise DataError(
            f"{path}: column 'raw' missing (found: {', '.join(frame.columns)}); give one raw "
            "score per examinee (e.g. the scores file of 'cehrs-items score')"
        )
    if group and group not in frame.columns:
        raise DataError(f"{path}: group column {group!r} missing")
    values = []
    for row, value in enumerate(frame.get_column("raw").to_list(), start=1):
        try:
            number = float(value) if value not in (None, "") else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number < 0:
            raise DataError(
                f"{path}: row {row}, column raw: {value!r} is not a non-negative raw score"
            )
        values.append(number)
    max_score = len(form.scored_item_ids) if form is not None else None
    raw = np.asarray(values, dtype=np.float64)
    if max_score is not None and np.any(raw > max_score):
        row = int(np.argmax(raw > max_score)) + 1
        raise DataError(
            f"{path}: row {row}, column raw: {raw[row - 1]:g} is above the form's {max_score} "
            "scored items"
        )
    groups = frame.get_column(group).to_list() if group else None
    return ObservedScores(
        raw=raw, max_score=max_score, groups=groups, source={"scores": _file_ref(path)}
    )


def _irt_form(params: str | Path, form: Form | None, items: Sequence[str] | None) -> IrtForm:
    frame = read_params(params)
    wanted = form.scored_item_ids if form is not None else (list(items) if items else None)
    return IrtForm.from_params(
        frame, items=wanted, name="form", source=str(params), sha256=sha256_file(params)
    )


def _impact_part(
    observed: ObservedScores | None, raw_cut: float
) -> tuple[dict[str, pl.DataFrame], dict[str, Any] | None]:
    if observed is None:
        return {}, None
    table = impact(observed.raw, raw_cut, groups=observed.groups)
    overall = table.row(0, named=True)
    return {"impact": table}, {
        "n": overall["n"],
        "pass_rate": overall["pass_rate"],
        "fail_rate": overall["fail_rate"],
    }


def _max_score(
    given: int | None, observed: ObservedScores | None, form: Form | None, what: str
) -> int:
    candidates = [
        k
        for k in (
            given,
            len(form.scored_item_ids) if form is not None else None,
            observed.max_score if observed is not None else None,
        )
        if k is not None
    ]
    if not candidates:
        raise InputError(f"{what} needs the form's maximum raw score: give --form or --max-score")
    if len(set(candidates)) > 1:
        raise DataError(f"maximum raw scores disagree: {sorted(set(candidates))}")
    return int(candidates[0])


def run_angoff(
    ratings: str | Path,
    *,
    form: str | Path | None = None,
    params: str | Path | None = None,
    responses: str | Path | None = None,
    p_values: str | Path | None = None,
    group: str | None = None,
    id_column: str = ID_COLUMN,
    settings: AngoffSettings | None = None,
) -> StandardSettingRun:
    """Modified Angoff from files (:func:`~.angoff.angoff`); tables judges, items, rounds, impact."""
    s = settings or AngoffSettings()
    form_obj = read_form(form) if form is not None else None
    items = form_obj.scored_item_ids if form_obj is not None else None
    table = read_ratings(ratings, items=items, yes_no=s.yes_no)
    rated = sorted(set(table.get_column("item_id").to_list()))
    irt = _irt_form(params, form_obj, items or rated) if params is not None else None
    observed = (
        read_observed_scores(
            responses=responses, form=form_obj, items=rated, group=group, id_column=id_column
        )
        if responses is not None
        else None
    )
    pv = None
    if p_values is not None:
        frame = read_panel_csv(p_values)
        for col in ("item_id", "p_value"):
            if col not in frame.columns:
                raise DataError(
                    f"{p_values}: column {col!r} missing (found: {', '.join(frame.columns)})"
                )
        pv = frame.select(pl.col("item_id"), pl.col("p_value").cast(pl.Float64, strict=False))
    elif observed is not None:
        pv = observed.p_values
    result = angoff(table, p_values=pv, params=irt, settings=s)
    tables = {"judges": result.judges, "items": result.items, "rounds": result.rounds}
    extra, impact_summary = _impact_part(observed, result.raw_cut)
    tables.update(extra)
    cut = result.cut_document()
    cut.update(
        version=CUT_VERSION,
        impact=impact_summary,
        form_id=form_obj.form_id if form_obj is not None else None,
        inputs={
            "ratings": _file_ref(ratings),
            "form": _file_ref(form),
            "params": _file_ref(params),
            "p_values": _file_ref(p_values),
            **(observed.source if observed is not None else {"responses": None}),
        },
    )
    return StandardSettingRun("angoff", cut, tables)


def _run_compromise(
    method: str,
    judgements: str | Path,
    *,
    responses: str | Path | None,
    scores: str | Path | None,
    form: str | Path | None,
    max_score: int | None,
    group: str | None,
    id_column: str,
    params: str | Path | None = None,
) -> StandardSettingRun:
    form_obj = read_form(form) if form is not None else None
    observed = read_observed_scores(
        responses=responses, scores=scores, form=form_obj, group=group, id_column=id_column
    )
    k = _max_score(max_score, observed, form_obj, method)
    if np.any(observed.raw > k):
        raise DataError(f"a raw score is above the maximum {k}; check --max-score")
    reader = read_hofstee if method == "hofstee" else read_beuk
    panel = reader(judgements, max_score=k)
    fn = hofstee if method == "hofstee" else beuk
    result = fn(panel, observed.raw, max_score=k)
    tables = {"judges": result.judges, "rounds": result.rounds, "curve": result.curve}
    extra, impact_summary = _impact_part(observed, result.raw_cut)
    tables.update(extra)
    cut = result.cut_document()
    if params is not None:
        irt = _irt_form(params, form_obj, None)
        if irt.max_score != k:
            raise DataError(
                f"{params}: parameters for {irt.max_score} items but the form has {k} scored "
                "items; give --form to select its items"
            )
        theta = float(theta_from_raw(irt, result.raw_cut)[0])
        if math.isnan(theta):
            cut["notes"].append(
                f"raw cut {result.raw_cut:.4g} lies outside the TCC's range; no theta cut"
            )
        else:
            cut["theta_cut"] = theta
    cut.update(
        version=CUT_VERSION,
        impact=impact_summary,
        form_id=form_obj.form_id if form_obj is not None else None,
        inputs={
            "judgements": _file_ref(judgements),
            "form": _file_ref(form),
            "params": _file_ref(params),
            **observed.source,
        },
    )
    return StandardSettingRun(method, cut, tables)


def run_hofstee(
    judgements: str | Path,
    *,
    responses: str | Path | None = None,
    scores: str | Path | None = None,
    form: str | Path | None = None,
    max_score: int | None = None,
    group: str | None = None,
    id_column: str = ID_COLUMN,
    params: str | Path | None = None,
) -> StandardSettingRun:
    """Hofstee compromise from files (:func:`~.compromise.hofstee`); tables judges, rounds, curve, impact."""
    return _run_compromise(
        "hofstee",
        judgements,
        responses=responses,
        scores=scores,
        form=form,
        max_score=max_score,
        group=group,
        id_column=id_column,
        params=params,
    )


def run_beuk(
    judgements: str | Path,
    *,
    responses: str | Path | None = None,
    scores: str | Path | None = None,
    form: str | Path | None = None,
    max_score: int | None = None,
    group: str | None = None,
    id_column: str = ID_COLUMN,
    params: str | Path | None = None,
) -> StandardSettingRun:
    """Beuk compromise from files (:func:`~.compromise.beuk`); tables judges, rounds, curve, impact."""
    return _run_compromise(
        "beuk",
        judgements,
        responses=responses,
        scores=scores,
        form=form,
        max_score=max_score,
        group=group,
        id_column=id_column,
        params=params,
    )


def run_bookmark(
    bookmarks: str | Path,
    *,
    params: str | Path,
    form: str | Path | None = None,
    responses: str | Path | None = None,
    group: str | None = None,
    id_column: str = ID_COLUMN,
    settings: BookmarkSettings | None = None,
) -> StandardSettingRun:
    """Bookmark from files (:func:`~.bookmark.bookmark`); tables booklet, judges, rounds, impact."""
    s = settings or BookmarkSettings()
    form_obj = read_form(form) if form is not None else None
    irt = _irt_form(params, form_obj, None)
    n_pages = irt.max_score
    placements = read_bookmarks(bookmarks, n_pages=n_pages)
    result = bookmark(placements, irt, settings=s)
    observed = (
        read_observed_scores(
            responses=responses,
            form=form_obj,
            items=list(irt.item_ids),
            group=group,
            id_column=id_column,
        )
        if responses is not None
        else None
    )
    tables = {"booklet": result.booklet, "judges": result.judges, "rounds": result.rounds}
    extra, impact_summary = _impact_part(observed, result.raw_cut)
    tables.update(extra)
    cut = result.cut_document()
    cut.update(
        version=CUT_VERSION,
        impact=impact_summary,
        form_id=form_obj.form_id if form_obj is not None else None,
        inputs={
            "bookmarks": _file_ref(bookmarks),
            "form": _file_ref(form),
            "params": _file_ref(params),
            **(observed.source if observed is not None else {"responses": None}),
        },
    )
    return StandardSettingRun("bookmark", cut, tables)


def read_standard(path: str | Path) -> dict[str, Any]:
    """Read a ``cut.json`` written by ``standard-setting``; check ``method`` and ``raw_cut``."""
    path = Path(path)
    if path.is_dir():
        path = path / "cut.json"
    if not path.is_file():
        raise InputError(
            f"{path}: no such cut file (write one with 'cehrs-items standard-setting')"
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read cut file: {exc}") from exc
    if not isinstance(doc, dict):
        raise DataError(f"{path}: a cut file is a JSON object")
    if doc.get("method") not in METHODS:
        raise DataError(
            f"{path}: field method: {doc.get('method')!r} is not one of {', '.join(METHODS)}"
        )
    raw_cut = doc.get("raw_cut")
    if isinstance(raw_cut, bool) or not isinstance(raw_cut, int | float) or raw_cut < 0:
        raise DataError(f"{path}: field raw_cut: {raw_cut!r} is not a non-negative number")
    k = doc.get("max_score")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
        raise DataError(f"{path}: field max_score: {k!r} is not a positive whole number")
    if k is not None and raw_cut > k:
        raise DataError(f"{path}: field raw_cut: {raw_cut} is above max_score {k}")
    return doc


def run_impact(
    *,
    standard: str | Path | None = None,
    raw_cuts: Sequence[float] = (),
    responses: str | Path | None = None,
    scores: str | Path | None = None,
    form: str | Path | None = None,
    max_score: int | None = None,
    group: str | None = None,
    id_column: str = ID_COLUMN,
) -> StandardSettingRun:
    """Pass rates implied by cuts (from ``cut.json`` and/or ``raw_cuts``), overall and by group.

    Tables: ``impact`` (each cut x group) and ``curve`` (failure and pass rate at every
    whole cut 0..K, so a panel sees the consequence of any cut).
    """
    cuts = [float(c) for c in raw_cuts]
    doc = None
    if standard is not None:
        doc = read_standard(standard)
        cuts.insert(0, float(doc["raw_cut"]))
    if not cuts:
        raise InputError("give a cut: --standard cut.json or --raw-cut (one or more)")
    form_obj = read_form(form) if form is not None else None
    observed = read_observed_scores(
        responses=responses, scores=scores, form=form_obj, group=group, id_column=id_column
    )
    k = _max_score(
        max_score if max_score is not None else (doc or {}).get("max_score"),
        observed,
        form_obj,
        "impact",
    )
    for c in cuts:
        if c < 0 or c > k:
            raise InputError(f"raw cut {c:g} lies outside 0..{k}")
    table = impact(observed.raw, cuts, groups=observed.groups)
    curve = failure_curve(observed.raw, k)
    overall = table.filter(pl.col("group") == "all")
    cut_doc = {
        "method": "impact",
        "version": CUT_VERSION,
        "max_score": k,
        "cuts": [
            {
                "raw_cut": r["raw_cut"],
                "raw_cut_whole": whole_cut(r["raw_cut"]),
                "n": r["n"],
                "pass_rate": r["pass_rate"],
            }
            for r in overall.iter_rows(named=True)
        ],
        "standard_method": doc.get("method") if doc else None,
        "inputs": {"standard": _file_ref(standard), "form": _file_ref(form), **observed.source},
    }
    return StandardSettingRun(
        "impact", cut_doc, {"impact": table, "curve": curve}, summary_name="impact.json"
    )
