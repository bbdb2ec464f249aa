"""One entry point for every design x method, with standard errors; and method comparison."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import numpy as np
import polars as pl

from cehrs_items.equating import (
    irt_based,
    neat,
    percentiles,
    random_groups,
    se,
    single_group,
    smoothing,
    spline_batch,
)
from cehrs_items.equating.freq import BivariateDist, ScoreDist, normalise
from cehrs_items.equating.result import EquatingResult
from cehrs_items.errors import EquatingError

DESIGNS: dict[str, tuple[str, ...]] = {
    "random_groups": ("mean", "linear", "equipercentile"),
    "single_group": ("mean", "linear", "equipercentile"),
    "neat": (
        "tucker",
        "levine_observed",
        "levine_true",
        "chained_linear",
        "braun_holland",
        "frequency_estimation",
        "chained_equipercentile",
    ),
    "irt": ("irt_true", "irt_observed"),
}
"""Methods available under each design (library names; the CLI uses hyphens)."""

ANALYTIC_SE = {
    "mean",
    "linear",
    "equipercentile",
    "tucker",
    "levine_observed",
    "levine_true",
    "chained_linear",
}
"""Methods with an analytic (delta-method) standard error."""

SeKind = Literal["analytic", "bootstrap"]

IRT_CHUNK = 16
"""Parameter draws per IRT kernel call: (draws x scores x items) arrays stay in cache."""


def canonical_method(name: str) -> str:
    """``levine-observed`` -> ``levine_observed``; ``levine`` means Levine observed-score,
    ``chained`` chained equipercentile (the R ``equate`` package's short names)."""
    key = name.strip().lower().replace("-", "_")
    aliases = {"levine": "levine_observed", "chained": "chained_equipercentile"}
    key = aliases.get(key, key)
    known = {m for ms in DESIGNS.values() for m in ms}
    if key not in known:
        raise EquatingError(
            f"unknown method {name!r}; choose one of "
            + ", ".join(sorted(m.replace("_", "-") for m in known))
        )
    return key


def design_of(method: str) -> str:
    """The design a method belongs to (random groups for the methods it shares with the
    single-group design)."""
    for design, methods in DESIGNS.items():
        if method in methods:
            return design
    raise EquatingError(f"unknown method {method!r}")  # pragma: no cover


def equate(
    x: ScoreDist | BivariateDist | irt_based.IrtForm,
    y: ScoreDist | BivariateDist | irt_based.IrtForm | None,
    *,
    method: str,
    design: str | None = None,
    w1: float | None = None,
    presmooth: int | str | None = None,
    postsmooth: float | None = None,
    se_kind: SeKind | None = None,
    replications: int = 1000,
    seed: int = 0,
    theta_x: tuple[float, float] = (0.0, 1.0),
    theta_y: tuple[float, float] = (0.0, 1.0),
) -> EquatingResult:
    """Equate Form X (new) to Form Y (base) with ``method`` under ``design``.

    Parameters
    ----------
    x, y : ScoreDist, BivariateDist or IrtForm
        Univariate score distributions (random groups), total x anchor joint
        distributions (``neat``) or item parameters on a common scale (``irt``); for the
        single-group design ``x`` is the joint Form X x Form Y table and ``y`` is None.
    method : str
        See :data:`DESIGNS` (hyphens or underscores).
    design : str, optional
        ``random_groups``, ``single_group``, ``neat`` or ``irt``; inferred from the
        method when omitted (random groups for mean, linear and equipercentile).
        Random-groups methods also accept joint tables (their total-score margins).
    w1 : float, optional
        Synthetic weight of population 1 (NEAT and IRT observed-score); default
        ``N1 / (N1 + N2)`` (IRT: 0.5).
    presmooth, postsmooth
        Smoothing of equipercentile methods (see
        :func:`~cehrs_items.equating.random_groups.equipercentile`).
    se_kind : "analytic", "bootstrap" or None
        Standard errors: analytic (delta method; see :data:`ANALYTIC_SE`) or bootstrap
        with ``replications`` and ``seed``. IRT methods bootstrap parametrically from the
        parameters' SEs.

    Returns
    -------
    EquatingResult
        Its ``table()`` has columns ``score``, ``equated``, ``se``.

    Tested against: Kolen & Brennan (2014) chapters 2, 4 and 5 examples (see the method
    functions), abs 1e-4.
    """
    method = canonical_method(method)
    expected = design_of(method)
    if design is not None:
        design = design.strip().lower().replace("-", "_")
        if design not in DESIGNS:
            raise EquatingError(
                f"unknown design {design!r}; use random-groups, single-group, neat or irt"
            )
        if method not in DESIGNS[design]:
            raise EquatingError(
                f"method {method.replace('_', '-')} belongs to the {expected.replace('_', '-')} "
                f"design, not {design.replace('_', '-')}"
            )
        expected = design
    if se_kind not in (None, "analytic", "bootstrap"):
        raise EquatingError(f"unknown standard-error kind {se_kind!r}; use analytic or bootstrap")
    if expected == "single_group":
        if not isinstance(x, BivariateDist) or y is not None:
            raise EquatingError(
                "the single-group design takes one joint table of both forms' scores (Form X "
                "rows, Form Y columns) and no second group"
            )
        return single_group.equate_single_group(
            x,
            method=method,
            presmooth=presmooth,
            postsmooth=postsmooth,
            se_kind=se_kind,
            replications=replications,
            seed=seed,
        )
    if expected == "random_groups":
        return _random_groups(x, y, method, presmooth, postsmooth, se_kind, replications, seed)
    if expected == "neat":
        return _neat(x, y, method, w1, presmooth, postsmooth, se_kind, replications, seed)
    return _irt(x, y, method, w1, se_kind, replications, seed, theta_x, theta_y)


def _as_univariate(d: Any, role: str) -> ScoreDist:
    if isinstance(d, ScoreDist):
        return d
    if isinstance(d, BivariateDist):
        return ScoreDist(d.counts.sum(axis=1), name=d.name, source=d.source, sha256=d.sha256)
    raise EquatingError(f"Form {role}: random-groups methods need score data, not item parameters")


def _random_groups(
    x: Any,
    y: Any,
    method: str,
    presmooth: int | str | None,
    postsmooth: float | None,
    se_kind: SeKind | None,
    replications: int,
    seed: int,
) -> EquatingResult:
    x, y = _as_univariate(x, "X"), _as_univariate(y, "Y")
    if method != "equipercentile" and (presmooth is not None or postsmooth is not None):
        raise EquatingError("smoothing applies to equipercentile methods only")
    if method == "mean":
        result = random_groups.mean(x, y)
    elif method == "linear":
        result = random_groups.linear(x, y)
    else:
        result = random_groups.equipercentile(x, y, presmooth=presmooth, postsmooth=postsmooth)
    result = replace(result, settings={**result.settings, "n_y": y.n})
    if se_kind is None:
        return result
    if se_kind == "analytic":
        if method in ("mean", "linear"):
            values = se.linear_random_groups_se(x, y, method=method)
        elif presmooth is None and postsmooth is None:
            values = percentiles.equipercentile_se(x.probs, y.probs, x.n, y.n)
        else:
            raise EquatingError(
                "no analytic SE for smoothed equipercentile equating; use --bootstrap"
            )
        return replace(result, se=values, se_method="analytic (delta method)")
    xs = np.arange(x.max_score + 1, dtype=np.float64)
    if method in ("mean", "linear"):
        kern = random_groups.mean_kernel if method == "mean" else random_groups.linear_kernel

        def kernel(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
            slope, intercept = kern(normalise(cx), normalise(cy))
            return slope[:, None] * xs[None, :] + intercept[:, None]

    elif presmooth is not None:
        degrees = result.details["presmoothing"]
        dx, dy = degrees["x"]["degree"], degrees["y"]["degree"]

        def kernel(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
            fx = smoothing.loglinear_batch(cx, dx)
            fy = smoothing.loglinear_batch(cy, dy)
            return percentiles.equipercentile_kernel(normalise(fx), normalise(fy))

    elif postsmooth is not None:

        def kernel(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
            return spline_batch.postsmooth_batch(
                normalise(cx), normalise(cy), cx.sum(axis=1), cy.sum(axis=1), postsmooth
            )[0]

    else:

        def kernel(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
            return percentiles.equipercentile_kernel(normalise(cx), normalise(cy))

    values, failed = se.bootstrap(kernel, x, y, replications=replications, seed=seed)
    return _with_boot(result, values, failed, replications, seed)


def _with_boot(
    result: EquatingResult, values: np.ndarray, failed: int, replications: int, seed: int
) -> EquatingResult:
    notes = list(result.notes)
    if failed:
        notes.append(f"bootstrap: {failed} of {replications} replications failed and were left out")
    return replace(
        result,
        se=values,
        se_method="bootstrap",
        settings={**result.settings, "bootstrap_replications": replications, "seed": seed},
        notes=tuple(notes),
    )


def _neat(
    x: Any,
    y: Any,
    method: str,
    w1: float | None,
    presmooth: int | str | None,
    postsmooth: float | None,
    se_kind: SeKind | None,
    replications: int,
    seed: int,
) -> EquatingResult:
    if not isinstance(x, BivariateDist) or not isinstance(y, BivariateDist):
        raise EquatingError(
            "common-item (neat) methods need total and anchor scores for both groups "
            "(an 'anchor' column, a score,anchor,freq table, or form files with anchor items)"
        )
    if postsmooth is not None:
        raise EquatingError("cubic-spline postsmoothing is available for random groups only")
    if method in neat.LINEAR_METHODS:
        if presmooth is not None:
            raise EquatingError("presmoothing applies to equipercentile methods only")
        result = neat.linear_method(
            method, x, y, w1=w1 if method not in ("levine_true", "chained_linear") else None
        )
    elif method == "frequency_estimation":
        result = neat.frequency_estimation(x, y, w1=w1, presmooth=presmooth)
    else:
        result = neat.chained_equipercentile(x, y, presmooth=presmooth)
    if se_kind is None:
        return result
    w = result.settings.get("w1")
    w = neat.default_w1(x, y) if w is None else w
    if se_kind == "analytic":
        if method not in ANALYTIC_SE:
            raise EquatingError(f"no analytic SE for {method.replace('_', '-')}; use --bootstrap")
        values = se.neat_linear_se(method, x, y, w)
        return replace(result, se=values, se_method="analytic (delta method)")
    xs = np.arange(x.max_score + 1, dtype=np.float64)
    smooth_deg = result.details.get("presmoothing")

    def prepare(c1: np.ndarray, c2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if smooth_deg is not None:
            c1 = smoothing.loglinear_bivariate(
                c1, degree=smooth_deg["degree_x"], internal=x.internal, batch=True
            )
            c2 = smoothing.loglinear_bivariate(
                c2, degree=smooth_deg["degree_y"], internal=y.internal, batch=True
            )
        p1 = c1 / c1.sum(axis=(1, 2), keepdims=True)
        p2 = c2 / c2.sum(axis=(1, 2), keepdims=True)
        return p1, p2

    def kernel(c1: np.ndarray, c2: np.ndarray) -> np.ndarray:
        p1, p2 = prepare(c1, c2)
        if method in neat.LINEAR_METHODS:
            slope, intercept, _ = neat.linear_kernel(method, p1, p2, w, x.internal)
            return slope[:, None] * xs[None, :] + intercept[:, None]
        if method == "frequency_estimation":
            return neat.frequency_estimation_kernel(p1, p2, w)
        return neat.chained_equipercentile_kernel(p1, p2)

    values, failed = se.bootstrap(kernel, x, y, replications=replications, seed=seed)
    return _with_boot(result, values, failed, replications, seed)


def _irt(
    x: Any,
    y: Any,
    method: str,
    w1: float | None,
    se_kind: SeKind | None,
    replications: int,
    seed: int,
    theta_x: tuple[float, float],
    theta_y: tuple[float, float],
) -> EquatingResult:
    if not isinstance(x, irt_based.IrtForm) or not isinstance(y, irt_based.IrtForm):
        raise EquatingError(
            "IRT methods need item parameters for both forms (--params-x/--params-y)"
        )
    weight = 0.5 if w1 is None else float(w1)
    if method == "irt_true":
        result = irt_based.irt_true(x, y)
    else:
        result = irt_based.irt_observed(x, y, w1=weight, theta_x=theta_x, theta_y=theta_y)
    if se_kind is None:
        return result
    if se_kind == "analytic":
        raise EquatingError("no analytic SE for IRT equating; use --bootstrap (parametric)")
    if replications < 2:
        raise EquatingError(f"--bootstrap {replications}: use at least 2 replications")
    px, py = irt_based.parameter_draws(x, y, replications, seed)
    out = np.empty((replications, x.max_score + 1))
    for start in range(0, replications, IRT_CHUNK):
        sl = slice(start, min(start + IRT_CHUNK, replications))
        bx = tuple(v[sl] for v in px)
        by = tuple(v[sl] for v in py)
        if method == "irt_true":
            out[sl] = irt_based.true_score_kernel(bx, by)
        else:
            out[sl] = irt_based.observed_score_kernel(bx, by, (theta_x, theta_y), weight)[0]
    good = np.all(np.isfinite(out), axis=1)
    values = out[good].std(axis=0, ddof=1)
    result = replace(
        result,
        notes=(
            *result.notes,
            "bootstrap is parametric: item parameters drawn from N(estimate, SE^2)",
        ),
    )
    return _with_boot(result, values, int((~good).sum()), replications, seed)


def compare(
    x: Any,
    y: Any,
    methods: list[str],
    **options: Any,
) -> tuple[pl.DataFrame, list[EquatingResult]]:
    """Several methods side by side: ``score``, ``equated_<m>`` per method, then
    ``diff_<m>`` = method ``m`` minus the first method (the reference).

    ``options`` are passed to :func:`equate` (w1, smoothing, standard errors, ...);
    options that do not apply to a method are dropped for it (e.g. ``w1`` for chained).
    """
    if len(methods) < 2:
        raise EquatingError("--compare needs at least two methods")
    names = [canonical_method(m) for m in methods]
    if len(set(names)) != len(names):
        raise EquatingError("--compare lists a method twice")
    results = []
    for m in names:
        opts = dict(options)
        if m not in ("equipercentile", "frequency_estimation", "chained_equipercentile"):
            opts.pop("presmooth", None)
        if m != "equipercentile":
            opts.pop("postsmooth", None)
        dropped = opts.get("se_kind") == "analytic" and m not in ANALYTIC_SE
        if dropped:
            opts["se_kind"] = None
        result = equate(x, y, method=m, **opts)
        if dropped:
            note = "no analytic SE for this method (use --bootstrap); se left empty"
            result = replace(result, notes=(*result.notes, note))
        results.append(result)
    sizes = {r.equated.size for r in results}
    if len(sizes) != 1:
        raise EquatingError(
            "the compared methods give tables of different lengths"
        )  # pragma: no cover
    cols: dict[str, Any] = {"score": results[0].scores}
    for m, r in zip(names, results, strict=True):
        cols[f"equated_{m}"] = r.equated
    ref = results[0].equated
    for m, r in zip(names[1:], results[1:], strict=True):
        cols[f"diff_{m}"] = r.equated - ref
    for m, r in zip(names, results, strict=True):
        if r.se is not None:
            cols[f"se_{m}"] = r.se
    frame = pl.DataFrame(cols).with_columns(pl.col("score").cast(pl.Int64))
    return frame, results
