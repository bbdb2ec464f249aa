"""``cehrs-items calibrate``, ``link`` and ``score-theta``: IRT calibration, linking and
ability scoring. Each command parses options, calls one library function and writes."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cehrs_items.cli.options import (
    ChunkRows,
    Engine,
    EngineName,
    Force,
    MemoryLimit,
    Scheduler,
    SpillDir,
    StrictData,
)
from cehrs_items.errors import InputError, set_strict
from cehrs_items.io import dumps_json, prepare_outputs, write_files
from cehrs_items.irt.calibrate import CalibrationSettings, calibrate_responses, parse_prior
from cehrs_items.irt.linking import DriftResult, link_files
from cehrs_items.irt.mml_em import Priors
from cehrs_items.irt.patterns import DEFAULT_MEMORY_BYTES
from cehrs_items.irt.scoring import score_theta_file
from cehrs_items.item_stats import append_item_stats
from cehrs_items.responses import table_bytes


class ModelName(StrEnum):
    rasch = "rasch"
    twopl = "2pl"
    threepl = "3pl"


class MethodName(StrEnum):
    mml = "mml"
    cml = "cml"


class QuadKind(StrEnum):
    grid = "grid"
    gh = "gh"


class SEName(StrEnum):
    louis = "louis"
    crossprod = "crossprod"
    none = "none"


class CriterionName(StrEnum):
    params = "params"
    loglik = "loglik"


class AccelerateName(StrEnum):
    squarem = "squarem"
    none = "none"


class LinkName(StrEnum):
    stocking_lord = "stocking-lord"
    haebara = "haebara"
    mean_sigma = "mean-sigma"
    mean_mean = "mean-mean"


Responses = Annotated[
    Path,
    typer.Argument(
        help="Response file (CSV/Parquet, wide or long; see schemas/responses.md), "
        "option letters or 0/1 scores. Example: responses.csv"
    ),
]
KeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key", help="Key CSV (item_id,key) for letter responses. Example: --key key.csv"
    ),
]
FormOpt = Annotated[
    Path | None,
    typer.Option(
        "--form",
        help="Form JSON: key, item list and roles (pretest items). Example: --form forms/F1.json",
    ),
]
IdColumn = Annotated[
    str,
    typer.Option("--id-column", help="Examinee id column. Example: --id-column candidate"),
]


def _progress(every: int = 10):
    def report(cycle: int, change: float, loglik: float) -> None:
        if cycle % every == 0:
            typer.echo(f"cycle {cycle}: change {change:.3g}, log-likelihood {loglik:.3f}", err=True)

    return report


def calibrate(
    responses: Responses,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Parameter file to write (.csv or .parquet). Example: --out params.csv"
        ),
    ],
    key: KeyOpt = None,
    form: FormOpt = None,
    model: Annotated[
        ModelName, typer.Option("--model", help="IRT model. Example: --model 3pl")
    ] = ModelName.twopl,
    method: Annotated[
        MethodName,
        typer.Option(
            "--method",
            help="mml: marginal ML by EM (any model); cml: conditional ML (Rasch only). "
            "Example: --method cml",
        ),
    ] = MethodName.mml,
    scaling: Annotated[
        float,
        typer.Option(
            "--scaling",
            help="Scaling constant d: 1 (logistic metric) or 1.702 (normal metric). "
            "Example: --scaling 1.702",
        ),
    ] = 1.0,
    quadrature: Annotated[
        QuadKind,
        typer.Option(
            "--quadrature",
            help="grid: evenly spaced nodes on [-bound, bound] with normal weights; gh: "
            "Gauss-Hermite. Example: --quadrature gh",
        ),
    ] = QuadKind.grid,
    quad_points: Annotated[
        int, typer.Option("--quad-points", help="Quadrature points. Example: --quad-points 41")
    ] = 61,
    quad_bound: Annotated[
        float,
        typer.Option("--quad-bound", help="Half-width of the grid rule. Example: --quad-bound 4"),
    ] = 6.0,
    tol: Annotated[
        float, typer.Option("--tol", help="Convergence tolerance. Example: --tol 1e-5")
    ] = 1e-4,
    max_iter: Annotated[
        int, typer.Option("--max-iter", help="Maximum EM cycles. Example: --max-iter 2000")
    ] = 500,
    criterion: Annotated[
        CriterionName,
        typer.Option(
            "--criterion",
            help="params: largest parameter change below --tol; loglik: change of the log "
            "likelihood below --tol. Example: --criterion loglik",
        ),
    ] = CriterionName.params,
    se_method: Annotated[
        SEName,
        typer.Option(
            "--se-method",
            help="louis: observed information (Louis 1982); crossprod: cross-product of "
            "pattern scores; none. Example: --se-method crossprod",
        ),
    ] = SEName.louis,
    accelerate: Annotated[
        AccelerateName,
        typer.Option(
            "--accelerate",
            help="squarem: SQUAREM-accelerated EM (Varadhan & Roland 2008; same maximum, "
            "a third to a half of the cycles); none: plain EM. Example: --accelerate none",
        ),
    ] = AccelerateName.squarem,
    c_prior: Annotated[
        str,
        typer.Option("--c-prior", help="Beta prior on the 3PL c, or none. Example: --c-prior 4,16"),
    ] = "5,17",
    a_prior: Annotated[
        str,
        typer.Option(
            "--a-prior",
            help="Lognormal prior (meanlog,sdlog) on a, or none. Example: --a-prior 0,0.5",
        ),
    ] = "none",
    b_prior: Annotated[
        str,
        typer.Option(
            "--b-prior", help="Normal prior (mean,sd) on b, or none. Example: --b-prior 0,2"
        ),
    ] = "none",
    anchor: Annotated[
        Path | None,
        typer.Option(
            "--anchor",
            help="Parameter file of anchor items held at their bank values; the ability "
            "mean and SD are estimated so new items land on the bank scale. "
            "Example: --anchor bank_params.csv",
        ),
    ] = None,
    items: Annotated[
        str | None,
        typer.Option(
            "--items",
            help="Comma-separated items to estimate (default: all, or with --anchor the "
            "pretest items and items without anchor values). Example: --items CO-0101,CO-0102",
        ),
    ] = None,
    id_column: IdColumn = "examinee_id",
    weight_column: Annotated[
        str | None,
        typer.Option(
            "--weight-column", help="Frequency weight column. Example: --weight-column freq"
        ),
    ] = None,
    no_fit: Annotated[
        bool, typer.Option("--no-fit", help="Skip S-X2 item fit. Example: --no-fit")
    ] = False,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            help="Also write convergence and settings as JSON. Example: --summary calib.json",
        ),
    ] = None,
    write_stats: Annotated[
        bool,
        typer.Option(
            "--write-stats",
            help="Append the estimates to the bank's statistics table (needs --date). "
            "Example: --write-stats --date 2026-05-01",
        ),
    ] = False,
    bank: Annotated[
        Path,
        typer.Option(
            "--bank",
            help="Item bank directory (statistics table, item versions). Example: --bank item_bank",
        ),
    ] = Path("item_bank"),
    form_id: Annotated[
        str | None,
        typer.Option(
            "--form-id",
            help="Form id for the statistics rows (default: the form's). Example: --form-id F2026A",
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date", help="Administration date for the statistics rows. Example: --date 2026-05-01"
        ),
    ] = None,
    theta_scale: Annotated[
        str | None,
        typer.Option(
            "--theta-scale",
            help="Name of the ability scale recorded with --write-stats. Example: --theta-scale bank-2020",
        ),
    ] = None,
    chunk_rows: ChunkRows = None,
    memory_limit: MemoryLimit = None,
    spill_dir: SpillDir = None,
    engine: Engine = EngineName.local,
    scheduler: Scheduler = None,
    force: Force = False,
    strict: StrictData = False,
) -> None:
    """Calibrate items by IRT: Rasch, 2PL or 3PL by marginal ML (EM, Bock & Aitkin) or
    Rasch by conditional ML; standard errors, S-X2 item fit and warnings per item; with
    --anchor, pretest items are placed on the bank scale.

    Example: cehrs-items calibrate responses.csv --key key.csv --model 2pl --out params.csv
    """
    set_strict(strict)
    priors = Priors(
        c=parse_prior(c_prior, "c"), a=parse_prior(a_prior, "a"), b=parse_prior(b_prior, "b")
    )
    prepare_outputs([out, summary], force=force)
    result = calibrate_responses(
        responses,
        key=key,
        form=form,
        id_column=id_column,
        weight_column=weight_column,
        anchor=anchor,
        items=[i.strip() for i in items.split(",") if i.strip()] if items else None,
        stats=write_stats,
        bank=bank,
        form_id=form_id,
        administration_date=date,
        theta_scale=theta_scale,
        settings=CalibrationSettings(
            model=model.value,
            method=method.value,
            scaling=scaling,
            priors=priors,
            tol=tol,
            max_iter=max_iter,
            criterion=criterion.value,
            se_method=se_method.value,
            accelerate=accelerate.value,
            fit=not no_fit,
            quadrature_kind=quadrature.value,
            quad_points=quad_points,
            quad_bound=quad_bound,
            chunk_rows=chunk_rows,
            memory_bytes=memory_limit if memory_limit is not None else DEFAULT_MEMORY_BYTES,
            spill_dir=spill_dir,
        ),
        progress=_progress(),
        engine=engine.value,
        scheduler=scheduler,
        say=lambda message: typer.echo(f"calibrate: {message}", err=True),
    )
    files: dict[Path, str | bytes] = {out: table_bytes(result.params, out)}
    if summary is not None:
        files[summary] = dumps_json(result.summary())
    write_files(files, force=force)
    if result.stats_rows is not None:
        append_item_stats(bank / "stats" / "item_stats.csv", result.stats_rows)
    n_warn = int((result.params["warnings"] != "").sum())
    typer.echo(
        f"calibrated {result.params.height} items ({model.value}, {result.settings['method']}): "
        f"converged in {result.n_iter} cycles, final change {result.max_change:.3g}, "
        f"log-likelihood {result.loglik:.4f}"
    )
    typer.echo(f"ability distribution: mean {result.mean:.4f}, sd {result.sd:.4f}")
    if result.excluded:
        for item, reason in result.excluded.items():
            typer.echo(f"excluded {item}: {reason}")
    fit = result.settings.get("item_fit")
    if fit is not None:
        typer.echo(
            f"item fit (S-X2) on {fit['n_complete_cases']} examinees with no omitted response"
        )
    typer.echo(f"items with warnings: {n_warn}")
    typer.echo(f"wrote {out}", err=True)


class CriterionKind(StrEnum):
    symmetric = "symmetric"
    one_way = "one-way"


def link(
    new: Annotated[
        Path, typer.Argument(help="Parameter file of the new calibration. Example: new.csv")
    ],
    base: Annotated[
        Path, typer.Argument(help="Parameter file on the base scale. Example: bank.csv")
    ],
    method: Annotated[
        LinkName, typer.Option("--method", help="Linking method. Example: --method haebara")
    ] = LinkName.stocking_lord,
    criterion: Annotated[
        CriterionKind,
        typer.Option(
            "--criterion",
            help="Haebara/Stocking-Lord criterion: symmetric (both directions, each over its "
            "own group's abilities; Kolen & Brennan, STUIRT) or one-way (new to base only). "
            "Example: --criterion one-way",
        ),
    ] = CriterionKind.symmetric,
    theta_new: Annotated[
        Path | None,
        typer.Option(
            "--theta-new",
            help="Ability distribution of the new group on the new scale, CSV theta,weight "
            "(default: the one the parameter file carries in theta_mean/theta_sd, else "
            "N(0,1)). Example: --theta-new ability_x.csv",
        ),
    ] = None,
    theta_base: Annotated[
        Path | None,
        typer.Option(
            "--theta-base",
            help="Ability distribution of the base group on the base scale, CSV theta,weight "
            "(default as for --theta-new). Example: --theta-base ability_y.csv",
        ),
    ] = None,
    items: Annotated[
        str | None,
        typer.Option(
            "--items",
            help="Comma-separated common items (default: items in both files). "
            "Example: --items CO-0101,CO-0102",
        ),
    ] = None,
    screen_drift: Annotated[
        bool,
        typer.Option(
            "--screen-drift",
            help="Drop anchors whose b difference or a ratio has |robust z| above "
            "--drift-threshold (Huynh & Meyer 2010), repeat until none is flagged, then "
            "link on the rest. Example: --screen-drift",
        ),
    ] = False,
    drift_threshold: Annotated[
        float,
        typer.Option(
            "--drift-threshold",
            help="Robust-z threshold of --screen-drift. Example: --drift-threshold 2.7",
        ),
    ] = 2.7,
    drift_iterations: Annotated[
        int | None,
        typer.Option(
            "--drift-iterations",
            help="Stop --screen-drift after this many passes (default: repeat until a pass "
            "flags none). Example: --drift-iterations 1",
        ),
    ] = None,
    drift_out: Annotated[
        Path | None,
        typer.Option(
            "--drift-out",
            help="Write the drift table (one row per common item) with --screen-drift. "
            "Example: --drift-out drift.csv",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the new parameters transformed to the base scale. Example: --out linked.csv",
        ),
    ] = None,
    constants: Annotated[
        Path | None,
        typer.Option(
            "--constants",
            help="Write every method's A, B and criterion values as CSV. "
            "Example: --constants link.csv",
        ),
    ] = None,
    force: Force = False,
) -> None:
    """Linking constants A, B (theta_base = A * theta_new + B) from common items by
    Stocking-Lord, Haebara, mean/sigma or mean/mean, optionally after screening the
    anchors for parameter drift.

    Example: cehrs-items link new.csv bank.csv --method stocking-lord --out linked.csv
    """
    if drift_out is not None and not screen_drift:
        raise InputError("--drift-out needs --screen-drift")
    prepare_outputs([out, constants, drift_out], force=force)
    outcome = link_files(
        new,
        base,
        method=method.value,
        items=[i.strip() for i in items.split(",") if i.strip()] if items else None,
        criterion=criterion.value,
        theta_new=theta_new,
        theta_base=theta_base,
        screen=screen_drift,
        threshold=drift_threshold,
        max_iterations=drift_iterations,
    )
    drift = outcome if isinstance(outcome, DriftResult) else None
    result = drift.link if drift is not None else outcome
    files: dict[Path, str | bytes] = {}
    if out is not None:
        files[out] = table_bytes(result.params, out)
    if constants is not None:
        files[constants] = table_bytes(result.constants, constants)
    if drift is not None and drift_out is not None:
        files[drift_out] = table_bytes(drift.table, drift_out)
    write_files(files, force=force)
    typer.echo(f"method: {result.method}")
    typer.echo(f"common items: {len(result.common_items)}")
    typer.echo(f"A: {result.A:.6f}")
    typer.echo(f"B: {result.B:.6f}")
    if result.criterion is not None:
        typer.echo(f"criterion ({result.method}, {criterion.value}): {result.criterion:.6g}")
    for label in ("theta_new", "theta_base"):
        d = result.settings[label]
        typer.echo(
            f"{label.replace('_', ' ')}: {d['source']} ({d['points']} points, "
            f"mean {d['mean']:.4f}, sd {d['sd']:.4f})"
        )
    if drift is not None:
        typer.echo(
            f"drift screening (|robust z| > {drift.threshold:g}): dropped {len(drift.dropped)} "
            f"of {drift.table.height} anchors in {drift.iterations} iteration(s)"
        )
        for row in drift.table.filter(pl.col("flagged")).iter_rows(named=True):
            typer.echo(
                f"dropped {row['item_id']}: robust z of b difference {_z(row['robust_z_b'])}, "
                f"of a ratio {_z(row['robust_z_a'])} (iteration {row['iteration']})"
            )


def _z(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.2f}"


class ThetaMethods(StrEnum):
    eap = "eap"
    map = "map"
    ml = "ml"


def score_theta(
    responses: Responses,
    params: Annotated[
        Path,
        typer.Option(
            "--params", help="Parameter file from calibrate. Example: --params params.csv"
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Per-examinee estimates (.csv/.parquet). Example: --out theta.csv"
        ),
    ],
    key: KeyOpt = None,
    form: FormOpt = None,
    method: Annotated[
        list[ThetaMethods] | None,
        typer.Option(
            "--method", help="Estimator(s), repeatable (default: all three). Example: --method eap"
        ),
    ] = None,
    prior_mean: Annotated[
        float, typer.Option("--prior-mean", help="Prior mean (EAP, MAP). Example: --prior-mean 0")
    ] = 0.0,
    prior_sd: Annotated[
        float, typer.Option("--prior-sd", help="Prior SD (EAP, MAP). Example: --prior-sd 1")
    ] = 1.0,
    bound: Annotated[
        float,
        typer.Option(
            "--bound",
            help="ML and MAP estimates stay in [-bound, bound]; all-correct/all-wrong ML "
            "gets the bound. Example: --bound 4",
        ),
    ] = 6.0,
    curves: Annotated[
        Path | None,
        typer.Option(
            "--curves",
            help="Write test information, CSEM and expected score by theta. Example: --curves tif.csv",
        ),
    ] = None,
    id_column: IdColumn = "examinee_id",
    force: Force = False,
    strict: StrictData = False,
) -> None:
    """Ability estimates per examinee (EAP with posterior SD, MAP, ML with SEs) from known
    item parameters, and the test information and conditional SEM curves.

    Example: cehrs-items score-theta responses.csv --key key.csv --params params.csv --out theta.csv
    """
    set_strict(strict)
    methods = [m.value for m in method] if method else ["eap", "map", "ml"]
    prepare_outputs([out, curves], force=force)
    result = score_theta_file(
        responses,
        params,
        key=key,
        form=form,
        id_column=id_column,
        methods=methods,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
        bounds=(-bound, bound),
    )
    files: dict[Path, str | bytes] = {out: table_bytes(result.scores, out)}
    if curves is not None:
        files[curves] = table_bytes(result.curves, curves)
    write_files(files, force=force)
    typer.echo(
        f"scored {result.settings['n_examinees']} examinees on {result.settings['n_items']} items "
        f"({', '.join(methods)})"
    )
    typer.echo(f"wrote {out}", err=True)


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate)
    app.command("link")(link)
    app.command("score-theta")(score_theta)
