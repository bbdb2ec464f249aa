"""Raw-to-scale conversion: equated raw scores onto the reporting scale of the blueprint.

The scale (minimum, maximum, passing score, the base form's raw cut and a second anchor
point) is blueprint data (``scale:`` in ``item_bank/blueprint.yaml``), never a constant
here. The conversion keeps the cut exact: a Form X raw score whose Form Y equivalent is
at or above the base form's raw cut scores at or above the passing score, and one below
it scores below the passing score, whatever the rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from cehrs_items.blueprint import Blueprint, Scale
from cehrs_items.equating.irt_based import IrtForm, solve_theta
from cehrs_items.errors import BlueprintError, DataError, InputError
from cehrs_items.irt.models import lord_wingersky
from cehrs_items.tables import table_schema
from cehrs_items.tabular import read_table

CUT_TOLERANCE = 1e-9
"""Equated scores within this distance below the raw cut count as at the cut (guards
floating-point noise such as 69.99999999999 for an identity equating)."""

Transform = Literal["linear", "piecewise"]

CONVERSION_SCHEMA = table_schema("conversion")


@dataclass(frozen=True)
class Conversion:
    """A form's conversion table and how it was built.

    ``table`` has columns ``raw_score`` (Int64), ``equated`` (Float64, the Form Y
    equivalent), ``scaled`` (Int64), ``pass`` (Boolean) and, when item parameters were
    given, ``csem_scaled`` (Float64).
    """

    table: pl.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def raw_cut(self) -> int | None:
        """This form's raw cut: the lowest Form X raw score that passes (None if none does)."""
        passing = self.table.filter(pl.col("pass"))
        return None if passing.height == 0 else int(passing["raw_score"].min())

    def summary(self) -> dict[str, Any]:
        return {
            **self.settings,
            "raw_cut": self.raw_cut,
            "n_raw_scores": self.table.height,
            "notes": list(self.notes),
        }


def read_conversion_raw_cut(path: str | Path) -> tuple[int, str]:
    """A form's raw cut from its conversion table (``cehrs-items scale``) and where it came from.

    The cut is the lowest ``raw_score`` whose ``pass`` is true. When the JSON summary that
    ``scale`` writes beside the table (same name, ``.json``) exists, its ``raw_cut`` must
    agree, so a hand-edited table is caught.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such conversion table (write it with `cehrs-items scale`)")
    frame = read_table(path, what="conversion table")
    for col in ("raw_score", "pass"):
        if col not in frame.columns:
            raise DataError(
                f"{path}: column {col!r} missing (found: {', '.join(frame.columns)}); "
                "write the table with `cehrs-items scale`"
            )
    passed = frame["pass"].cast(pl.String).str.to_lowercase().is_in(["true", "1"])
    passing = frame.filter(passed)
    if passing.height == 0:
        raise DataError(f"{path}: no raw score passes (column pass is never true)")
    cut = int(passing["raw_score"].cast(pl.Int64).min())
    summary_path = path.with_suffix(".json")
    where = f"conversion {path.name}"
    if summary_path.exists():
        import json

        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{summary_path}: cannot read JSON: {exc}") from exc
        stated = summary.get("raw_cut", summary.get("raw_cut_x"))
        if stated is not None and int(stated) != cut:
            raise DataError(
                f"{summary_path}: raw_cut {stated} disagrees with {path.name} (lowest passing "
                f"raw score {cut}); rewrite both with `cehrs-items scale`"
            )
        if stated is not None:
            where = f"conversion {path.name} (raw_cut in {summary_path.name})"
    return cut, where


def read_equating_table(path: str | Path) -> np.ndarray:
    """Equated scores of raw scores ``0 .. K`` from an equating table (``score,equated``)."""
    path = Path(path)
    frame = read_table(path, what="equating table")
    for col in ("score", "equated"):
        if col not in frame.columns:
            raise DataError(
                f"{path}: column {col!r} missing (found: {', '.join(frame.columns)}); "
                "write the table with 'cehrs-items equate'"
            )
    score = frame["score"].cast(pl.Float64, strict=False)
    equated = frame["equated"].cast(pl.Float64, strict=False)
    for name, col in (("score", score), ("equated", equated)):
        bad = col.is_null() | col.is_nan()
        if bad.any():
            row = int(bad.arg_max()) + 1
            raise DataError(f"{path}: row {row}, column {name}: not a number")
    expected = np.arange(frame.height, dtype=np.float64)
    if not np.array_equal(score.to_numpy(), expected):
        raise DataError(
            f"{path}: column score must list every raw score 0, 1, ..., K once and in order"
        )
    return equated.to_numpy()


def _round(values: np.ndarray, rule: str) -> np.ndarray:
    if rule == "half_up":
        return np.floor(values + 0.5)
    raise BlueprintError(f"scale.rounding {rule!r} is not supported; use half_up")


def scale_line(scale: Scale, raw_cut: float, transform: Transform = "linear"):
    """The unrounded raw-to-scale function and its description.

    ``linear``: the line through (raw cut, passing) and (upper_anchor.raw,
    upper_anchor.scaled) (without ``upper_anchor`` in the blueprint, the scale maximum
    at the largest raw score is used by :func:`build_conversion`).
    ``piecewise``: that line at and above the cut, and the line from (0, scale.min) to
    (raw cut, passing) below it.
    """
    upper_raw = scale.upper_anchor_raw
    upper_scaled = scale.upper_anchor_scaled
    if upper_raw is None or upper_scaled is None:
        raise BlueprintError(
            "scale.upper_anchor (raw, scaled) is needed for the second anchor point"
        )
    if upper_raw <= raw_cut:
        raise BlueprintError(
            f"scale.upper_anchor.raw {upper_raw} must be above the raw cut {raw_cut}"
        )
    slope = (upper_scaled - scale.passing) / (upper_raw - raw_cut)
    if slope <= 0:
        raise BlueprintError("scale.upper_anchor.scaled must be above the passing score")
    if transform == "piecewise" and raw_cut <= 0:
        raise BlueprintError("a piecewise transformation needs a raw cut above 0")
    low_slope = (scale.passing - scale.min) / raw_cut if raw_cut > 0 else slope

    def line(e: np.ndarray) -> np.ndarray:
        upper = scale.passing + slope * (e - raw_cut)
        if transform == "linear":
            return upper
        lower = scale.min + low_slope * e
        return np.where(e >= raw_cut, upper, lower)

    info = {
        "transform": transform,
        "slope": slope,
        "intercept": scale.passing - slope * raw_cut,
        "anchors": [[raw_cut, scale.passing], [upper_raw, upper_scaled]]
        + ([[0.0, scale.min]] if transform == "piecewise" else []),
    }
    if transform == "piecewise":
        info["slope_below_cut"] = low_slope
    return line, info


def build_conversion(
    equated: np.ndarray,
    blueprint: Blueprint,
    *,
    raw_cut: float | None = None,
    transform: Transform = "linear",
    params: IrtForm | None = None,
) -> Conversion:
    """Build the raw-to-scale conversion of a form from its equated scores.

    .. math:: s(e) = S_{pass} + \\frac{S_{up} - S_{pass}}{R_{up} - R_{cut}}(e - R_{cut})

    with ``e = e_Y(x)`` the Form Y equivalent of raw score ``x`` (for the base form
    itself, ``e = x``), :math:`R_{cut}` the base form's raw cut (blueprint
    ``scale.raw_cut`` or ``raw_cut``), :math:`S_{pass}` the passing score and
    :math:`(R_{up}, S_{up})` the blueprint's ``scale.upper_anchor``.

    Rounding and the cut: scaled scores are rounded half up, then truncated to
    ``[scale.min, scale.max]``. ``pass`` is :math:`e \\ge R_{cut}` (within 1e-9). A raw
    score that passes and would round below the passing score is set to it; one that
    fails and would round to the passing score or above is set to ``passing - 1``
    (e.g. 389.6 becomes 389, not 390). So a score at or above the equated cut always
    reports at least the passing score and one below it always less.

    CSEM (when ``params`` for the form's items are given): the SD of the reported scaled
    score over the IRT conditional distribution of raw scores (Lord-Wingersky) at the
    theta whose true score equals the raw score (clamped into
    :math:`(\\sum c_j + .01, K - .01)`); Kolen, Zeng & Hanson (1996).

    References
    ----------
    Kolen & Brennan (2014), ch. 9 (score scales; linear conversions, truncation,
    conditional SEMs of scale scores); Kolen, Zeng & Hanson (1996).

    Tested against: cut exactness over simulated forms of different difficulty
    (property test, every raw score); hand-computed conversions (abs 1e-12).
    """
    scale = blueprint.scale
    equated = np.asarray(equated, dtype=np.float64)
    if equated.ndim != 1 or equated.size < 2:
        raise DataError("the equating table needs at least two raw scores")
    if np.any(np.diff(equated) < -1e-9):
        raise DataError(
            "equated scores decrease with the raw score; a conversion must be monotone "
            "(check the equating)"
        )
    cut = float(scale.raw_cut if raw_cut is None else raw_cut)
    if cut < 0:
        raise InputError(f"--raw-cut {cut}: the raw cut must be non-negative")
    notes: list[str] = []
    if scale.upper_anchor_raw is None or scale.upper_anchor_scaled is None:
        scale = Scale(
            name=scale.name,
            min=scale.min,
            max=scale.max,
            passing=scale.passing,
            raw_cut=scale.raw_cut,
            upper_anchor_raw=float(blueprint.scored_items),
            upper_anchor_scaled=float(scale.max),
            rounding=scale.rounding,
        )
        notes.append("blueprint has no scale.upper_anchor: the maximum raw score maps to scale.max")
    line, info = scale_line(scale, cut, transform)
    unrounded = line(equated)
    passed = equated >= cut - CUT_TOLERANCE
    scaled = np.clip(_round(unrounded, scale.rounding), scale.min, scale.max)
    lifted = passed & (scaled < scale.passing)
    lowered = ~passed & (scaled >= scale.passing)
    scaled = np.where(
        passed, np.maximum(scaled, scale.passing), np.minimum(scaled, scale.passing - 1)
    )
    if lifted.any() or lowered.any():
        notes.append(
            f"cut rule applied to {int(lifted.sum() + lowered.sum())} raw score(s): rounding "
            "would have put them on the other side of the passing score"
        )
    if not passed.any():
        notes.append("no raw score reaches the raw cut: nobody can pass this form")
    table = pl.DataFrame(
        {
            "raw_score": np.arange(equated.size, dtype=np.int64),
            "equated": equated,
            "scaled": scaled.astype(np.int64),
            "pass": passed,
        },
        schema=CONVERSION_SCHEMA,
    )
    if params is not None:
        table = table.with_columns(pl.Series("csem_scaled", csem_scaled(params, scaled)))
    settings = {
        "blueprint_id": blueprint.id,
        "blueprint_sha256": blueprint.sha256,
        "scale": {"min": scale.min, "max": scale.max, "passing": scale.passing},
        "raw_cut_base": cut,
        "rounding": scale.rounding,
        **info,
    }
    return Conversion(table=table, settings=settings, notes=tuple(notes))


def csem_scaled(params: IrtForm, scaled: np.ndarray) -> np.ndarray:
    """Conditional SEM of reported scaled scores at each raw score (see :func:`build_conversion`)."""
    k = params.max_score
    if scaled.size != k + 1:
        raise DataError(
            f"{params.source or params.name}: parameters for {k} items do not match a conversion "
            f"of raw scores 0..{scaled.size - 1}"
        )
    a, b, c, d = (v[None, :] for v in (params.a, params.b, params.c, params.d))
    low = float(params.c.sum()) + 0.01
    tau = np.clip(np.arange(k + 1, dtype=np.float64), low, k - 0.01)[None, :]
    theta = solve_theta(tau, a, b, c, d)[0]
    z = d * a * (theta[:, None] - b)
    p = c + (1 - c) / (1 + np.exp(-z))
    cond = lord_wingersky(p)  # (K + 1 thetas, K + 1 scores)
    s = scaled.astype(np.float64)
    mean = cond @ s
    var = np.sum(cond * (s[None, :] - mean[:, None]) ** 2, axis=1)
    return np.sqrt(var)


def identity_equating(blueprint: Blueprint, max_raw: int | None = None) -> np.ndarray:
    """Raw scores of the base form as their own equivalents (0 .. scored items)."""
    k = blueprint.scored_items if max_raw is None else int(max_raw)
    if k < 1 or not math.isfinite(k):
        raise InputError(f"maximum raw score {k} must be at least 1")
    return np.arange(k + 1, dtype=np.float64)


def make_conversion(
    *,
    equating: str | Path | None,
    blueprint: str | Path,
    raw_cut: float | None = None,
    transform: Transform = "linear",
    params: str | Path | None = None,
    form: str | Path | None = None,
    standard: str | Path | None = None,
) -> Conversion:
    """Read the inputs of ``cehrs-items scale`` and build the conversion (one library call).

    Without ``equating`` the base form's raw scores ``0 .. K`` are their own equivalents
    (``K``: the form's scored items, the parameter file's items or the blueprint's
    ``form.scored_items``). ``standard``: a ``cut.json`` from ``cehrs-items
    standard-setting`` (or its folder): the lowest whole raw score at or above its
    ``raw_cut`` (``raw_cut_whole``, e.g. 73 for a panel cut of 72.14) becomes the base
    form's raw cut mapped to the passing score, instead of the blueprint's
    ``scale.raw_cut`` (not together with ``raw_cut``). Pass/fail on the base form is
    the same either way; mapping the whole score keeps the lowest passing score at
    exactly the passing scaled score.
    """
    from cehrs_items.blueprint import load_blueprint
    from cehrs_items.equating.inputs import read_irt_form
    from cehrs_items.io import sha256_file
    from cehrs_items.standard_setting.run import read_standard

    standard_doc = None
    if standard is not None:
        if raw_cut is not None:
            raise InputError("give the raw cut once: --standard or --raw-cut, not both")
        standard_doc = read_standard(standard)
        raw_cut = float(math.ceil(float(standard_doc["raw_cut"]) - 1e-9))
    bp = load_blueprint(blueprint)
    irt = read_irt_form(params, form=form) if params is not None else None
    if equating is not None:
        equated = read_equating_table(equating)
    else:
        k = irt.max_score if irt is not None else None
        if form is not None and irt is None:
            from cehrs_items.forms import read_form

            k = len(read_form(form).scored_item_ids)
        equated = identity_equating(bp, k)
    if standard_doc is not None and standard_doc.get("max_score") not in (None, equated.size - 1):
        raise DataError(
            f"{standard}: the cut was set on a form of {standard_doc['max_score']} scored items "
            f"but the conversion covers raw scores 0..{equated.size - 1}; the cut belongs to "
            "the base form (equate the new form to it first)"
        )
    conversion = build_conversion(equated, bp, raw_cut=raw_cut, transform=transform, params=irt)
    inputs: dict[str, Any] = {"equating": None, "params": None}
    if standard is not None:
        std_path = Path(standard)
        std_path = std_path / "cut.json" if std_path.is_dir() else std_path
        inputs["standard"] = {
            "file": std_path.name,
            "sha256": sha256_file(std_path),
            "method": standard_doc["method"],
            "raw_cut": standard_doc["raw_cut"],
            "raw_cut_whole": raw_cut,
            "raw_cut_se": standard_doc.get("raw_cut_se"),
            "theta_cut": standard_doc.get("theta_cut"),
        }
    if equating is not None:
        inputs["equating"] = {"file": Path(equating).name, "sha256": sha256_file(equating)}
    if params is not None:
        inputs["params"] = {"file": Path(params).name, "sha256": sha256_file(params)}
    return Conversion(
        table=conversion.table,
        settings={**conversion.settings, "inputs": inputs},
        notes=conversion.notes,
    )
