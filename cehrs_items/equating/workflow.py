"""The ``equate`` workflow: read the inputs, equate (or compare methods), build the outputs.

:func:`run_equate` is the one library call behind ``cehrs-items equate``: it returns the
table CSV text and the JSON-ready summary, and writes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cehrs_items.equating.api import DESIGNS, canonical_method, compare, design_of, equate
from cehrs_items.equating.inputs import (
    build_distributions,
    read_form_scores,
    read_irt_form,
    read_single_group,
)
from cehrs_items.errors import EquatingError, InputError
from cehrs_items.forms import read_form
from cehrs_items.irt.params import read_params

SUMMARY_VERSION = 1


@dataclass(frozen=True)
class EquateRequest:
    """Everything ``cehrs-items equate`` was asked to do (paths and options)."""

    x: Path | None = None
    y: Path | None = None
    design: str | None = None
    method: str | None = None
    compare: list[str] | None = None
    w1: float | None = None
    form_x: Path | None = None
    form_y: Path | None = None
    max_x: int | None = None
    max_y: int | None = None
    max_anchor: int | None = None
    external_anchor: bool = False
    presmooth: str | int | None = None
    postsmooth: float | None = None
    bootstrap: int = 0
    seed: int = 0
    analytic_se: bool = False
    params_x: Path | None = None
    params_y: Path | None = None
    theta_x: str = "0,1"
    theta_y: str = "0,1"
    id_column: str = "examinee_id"


@dataclass(frozen=True)
class EquateOutcome:
    table: pl.DataFrame
    csv: bytes
    summary: dict[str, Any]


def linking_anchors(params: str | Path) -> dict[str, Any] | None:
    """The anchors a linked parameter file records (``link --out``: columns ``anchor`` and
    ``anchor_note``): the items linked on and those dropped by drift screening, with why.
    None when the file has no such columns."""
    frame = read_params(params)
    if "anchor" not in frame.columns:
        return None
    note = "anchor_note" if "anchor_note" in frame.columns else None
    rows = frame.select("item_id", "anchor", *([note] if note else [])).rows()
    return {
        "linked": sorted(r[0] for r in rows if r[1] == "linked"),
        "dropped": [
            {"item_id": r[0], "reason": r[2] if note else None}
            for r in sorted(rows)
            if r[1] == "dropped"
        ],
    }


def _theta(text: str, option: str) -> tuple[float, float]:
    try:
        mean, sd = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise InputError(f"{option} {text!r}: give MEAN,SD, e.g. 0,1") from exc
    if not sd > 0:
        raise InputError(f"{option} {text!r}: the SD must be positive")
    return mean, sd


def _presmooth(value: str | int | None) -> int | str | None:
    if value is None or isinstance(value, int):
        return value
    text = value.strip().lower()
    if text in ("aic", "bic"):
        return text
    try:
        return int(text)
    except ValueError as exc:
        raise InputError(f"--presmooth {value!r}: give a degree (e.g. 6), aic or bic") from exc


def _shared_anchor_items(request: EquateRequest) -> tuple[str, ...] | None:
    """The anchor set when only one of two form files marks it.

    An assembled new form marks its common items (``"anchor": true``); the base form it
    was built against usually marks none. The marked set is then used for both forms (each
    of its items must be a scored item of the other form, which the reader checks). When
    both forms mark anchors, each keeps its own and the sets must agree.
    """
    if request.form_x is None or request.form_y is None:
        return None
    marked_x = tuple(read_form(request.form_x).anchor_item_ids)
    marked_y = tuple(read_form(request.form_y).anchor_item_ids)
    if marked_x and not marked_y:
        return marked_x
    if marked_y and not marked_x:
        return marked_y
    return None


def run_equate(
    request: EquateRequest, *, progress: Callable[[str], None] | None = None
) -> EquateOutcome:
    """Read the inputs of ``request``, equate with one method or compare several.

    Returns the equating table (``score``, ``equated``, ``se``; with ``--compare``
    ``score``, ``equated_<m>``, ``diff_<m>``, ``se_<m>``), its CSV bytes and the summary:
    version, design, per-method results (method, linear coefficients, moments of the
    equated scores, settings, notes), input file hashes, SE settings. ``progress`` is
    called with a short message before the (possibly long) bootstrap starts.
    """
    if (request.method is None) == (request.compare is None):
        raise InputError("give exactly one of --method and --compare")
    methods = (
        [canonical_method(request.method)]
        if request.method is not None
        else [canonical_method(m) for m in request.compare or []]
    )
    if request.design is not None:
        design = request.design.strip().lower().replace("-", "_")
        if design not in DESIGNS:
            raise InputError(
                f"--design {request.design!r}: use random-groups, single-group, neat or irt"
            )
        for m in methods:
            if m not in DESIGNS[design]:
                raise EquatingError(
                    f"method {m.replace('_', '-')} belongs to the "
                    f"{design_of(m).replace('_', '-')} design, not {request.design}"
                )
    else:
        designs = {design_of(m) for m in methods}
        if len(designs) != 1:
            raise EquatingError("--compare: all methods must belong to one design")
        design = designs.pop()
    if request.bootstrap and request.analytic_se:
        raise InputError("choose --bootstrap or --analytic-se, not both")
    if request.bootstrap < 0:
        raise InputError(f"--bootstrap {request.bootstrap}: must be 0 or more")
    se_kind = "bootstrap" if request.bootstrap else ("analytic" if request.analytic_se else None)
    theta_x = _theta(request.theta_x, "--theta-x")
    theta_y = _theta(request.theta_y, "--theta-y")
    inputs: dict[str, Any] = {}
    anchors: dict[str, Any] | None = None
    if design == "irt":
        if request.params_x is None or request.params_y is None:
            raise InputError(
                "irt methods need --params-x and --params-y (parameters on a common scale)"
            )
        dx = read_irt_form(request.params_x, form=request.form_x, name="X")
        dy = read_irt_form(request.params_y, form=request.form_y, name="Y")
        inputs = {
            "params_x": {"file": Path(dx.source).name, "sha256": dx.sha256},
            "params_y": {"file": Path(dy.source).name, "sha256": dy.sha256},
        }
        anchors = linking_anchors(request.params_x)
    elif design == "single_group":
        if request.x is None:
            raise InputError("give the group's scores on both forms with --x")
        if request.y is not None:
            raise InputError("the single-group design reads one file (--x); drop --y")
        dx, hashes = read_single_group(
            request.x,
            form_x=request.form_x,
            form_y=request.form_y,
            max_x=request.max_x,
            max_y=request.max_y,
            id_column=request.id_column,
        )
        dy = None
        inputs = {"xy": hashes}
    else:
        if request.x is None or request.y is None:
            raise InputError("give the data of both forms with --x and --y")
        anchors = _shared_anchor_items(request) if design == "neat" else None
        sx = read_form_scores(
            request.x,
            form=request.form_x,
            id_column=request.id_column,
            role="X",
            anchor_items=anchors,
        )
        sy = read_form_scores(
            request.y,
            form=request.form_y,
            id_column=request.id_column,
            role="Y",
            anchor_items=anchors,
        )
        dx, dy = build_distributions(
            sx,
            sy,
            design=design,
            max_x=request.max_x,
            max_y=request.max_y,
            max_anchor=request.max_anchor,
            external_anchor=request.external_anchor,
        )
        inputs = {"x": sx.hashes(), "y": sy.hashes()}
    options: dict[str, Any] = {
        "design": design,
        "w1": request.w1,
        "presmooth": _presmooth(request.presmooth),
        "postsmooth": request.postsmooth,
        "se_kind": se_kind,
        "replications": request.bootstrap or 1000,
        "seed": request.seed,
        "theta_x": theta_x,
        "theta_y": theta_y,
    }
    if design != "irt" and request.w1 is not None and not 0 <= request.w1 <= 1:
        raise InputError(f"--w1 {request.w1}: the weight must lie between 0 and 1")
    summary: dict[str, Any] = {
        "version": SUMMARY_VERSION,
        "design": design,
        "inputs": inputs,
        "standard_errors": {
            "kind": se_kind,
            "bootstrap_replications": request.bootstrap or None,
            "seed": request.seed if request.bootstrap else None,
        },
    }
    if anchors is not None:
        summary["linking_anchors"] = anchors
    if progress is not None and se_kind == "bootstrap":
        progress(f"bootstrapping {request.bootstrap} replications ...")
    if len(methods) == 1 and request.compare is None:
        result = equate(dx, dy, method=methods[0], **options)
        table = result.table()
        summary["method"] = methods[0]
        summary["results"] = [result.summary()]
    else:
        table, results = compare(dx, dy, methods, **options)
        summary["methods"] = methods
        summary["results"] = [r.summary() for r in results]
        summary["max_abs_difference"] = {
            m: float(np.max(np.abs(table[f"diff_{m}"].to_numpy()))) for m in methods[1:]
        }
    buffer = io.BytesIO()
    table.write_csv(buffer)
    return EquateOutcome(table=table, csv=buffer.getvalue(), summary=summary)
