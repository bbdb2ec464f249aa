"""``cehrs-items equate``: parse options, call the equating library, write and render."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cehrs_items.cli.options import Force, StrictData
from cehrs_items.equating.workflow import EquateRequest, run_equate
from cehrs_items.errors import set_strict
from cehrs_items.io import dumps_json, prepare_outputs, write_files


class Design(StrEnum):
    random_groups = "random-groups"
    single_group = "single-group"
    neat = "neat"
    irt = "irt"


def write_outputs(files: dict[Path, str | bytes], *, force: bool) -> None:
    """Write every file atomically, then their manifest beside the first
    (:func:`cehrs_items.io.write_files`); a refused run writes nothing. Shared by equate,
    scale and score, which call :func:`cehrs_items.io.prepare_outputs` before any work."""
    write_files(files, force=force)


def _summary_path(out: Path, summary: Path | None) -> Path:
    return summary if summary is not None else out.with_suffix(".json")


def equate(
    x: Annotated[
        Path | None,
        typer.Option(
            "--x",
            help="New form's data: a response file (with --form-x), a score file (column "
            "score, and anchor for --design neat) or a frequency table (score,freq or "
            "score,anchor,freq); for --design single-group, the one group's score_x,score_y "
            "(,freq) file or its responses to both forms. Example: --x new_scores.csv",
            show_default=False,
        ),
    ] = None,
    y: Annotated[
        Path | None,
        typer.Option(
            "--y",
            help="Base form's data, as for --x. Example: --y base_scores.csv",
            show_default=False,
        ),
    ] = None,
    design: Annotated[
        Design | None,
        typer.Option(
            "--design",
            help="random-groups, single-group, neat (common items) or irt; default: the "
            "method's design (random-groups for mean, linear, equipercentile). "
            "Example: --design neat",
            show_default=False,
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="mean, linear, equipercentile (random groups); tucker, levine-observed, "
            "levine-true, chained-linear, braun-holland, frequency-estimation, "
            "chained-equipercentile (neat); irt-true, irt-observed. Example: --method tucker",
            show_default=False,
        ),
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="Comma-separated methods to run side by side instead of --method; the "
            "table gets equated_<m>, and diff_<m> against the first method. "
            "Example: --compare tucker,levine-observed,frequency-estimation",
            show_default=False,
        ),
    ] = None,
    w1: Annotated[
        float | None,
        typer.Option(
            "--w1",
            help="Synthetic-population weight of the new form's group (0-1); default "
            "N1/(N1+N2) (IRT: 0.5). Example: --w1 1",
            show_default=False,
        ),
    ] = None,
    form_x: Annotated[
        Path | None,
        typer.Option(
            "--form-x",
            help="Form file of the new form (scores a response --x). Example: --form-x forms/F2.json",
            show_default=False,
        ),
    ] = None,
    form_y: Annotated[
        Path | None,
        typer.Option(
            "--form-y",
            help="Form file of the base form (scores a response --y). Example: --form-y forms/F1.json",
            show_default=False,
        ),
    ] = None,
    max_x: Annotated[
        int | None,
        typer.Option(
            "--max-x",
            help="Maximum raw score of the new form (default: from the form or table). Example: --max-x 100",
            show_default=False,
        ),
    ] = None,
    max_y: Annotated[
        int | None,
        typer.Option(
            "--max-y",
            help="Maximum raw score of the base form. Example: --max-y 100",
            show_default=False,
        ),
    ] = None,
    max_anchor: Annotated[
        int | None,
        typer.Option(
            "--max-anchor",
            help="Maximum anchor score (default: the form's anchor items or the data). Example: --max-anchor 20",
            show_default=False,
        ),
    ] = None,
    external_anchor: Annotated[
        bool,
        typer.Option(
            "--external-anchor",
            help="The anchor does not count in the total score (Levine uses K&B eq. 4.59). Example: --external-anchor",
        ),
    ] = False,
    presmooth: Annotated[
        str | None,
        typer.Option(
            "--presmooth",
            help="Log-linear presmoothing for equipercentile methods: a degree C, or aic/bic "
            "to choose it. Example: --presmooth aic",
            show_default=False,
        ),
    ] = None,
    postsmooth: Annotated[
        float | None,
        typer.Option(
            "--postsmooth",
            help="Cubic-spline postsmoothing parameter S (random-groups equipercentile). Example: --postsmooth 0.2",
            show_default=False,
        ),
    ] = None,
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap",
            help="Bootstrap replications for standard errors (0: none). Example: --bootstrap 1000",
        ),
    ] = 0,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", help="Seed of the bootstrap (recorded in the summary). Example: --seed 7"
        ),
    ] = 0,
    analytic_se: Annotated[
        bool,
        typer.Option(
            "--analytic-se",
            help="Analytic (delta-method) SEs: linear methods and random-groups equipercentile. Example: --analytic-se",
        ),
    ] = False,
    params_x: Annotated[
        Path | None,
        typer.Option(
            "--params-x",
            help="Item parameters of the new form (irt methods; common scale). Example: --params-x params_F2.csv",
            show_default=False,
        ),
    ] = None,
    params_y: Annotated[
        Path | None,
        typer.Option(
            "--params-y",
            help="Item parameters of the base form (irt methods; common scale). Example: --params-y params_F1.csv",
            show_default=False,
        ),
    ] = None,
    theta_x: Annotated[
        str,
        typer.Option(
            "--theta-x",
            help="MEAN,SD of the new form's group on the theta scale (irt-observed). Example: --theta-x 0.2,1.1",
        ),
    ] = "0,1",
    theta_y: Annotated[
        str,
        typer.Option(
            "--theta-y",
            help="MEAN,SD of the base form's group on the theta scale (irt-observed). Example: --theta-y 0,1",
        ),
    ] = "0,1",
    id_column: Annotated[
        str,
        typer.Option(
            "--id-column",
            help="Examinee id column of response files. Example: --id-column candidate",
        ),
    ] = "examinee_id",
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Equating table CSV to write (score, equated, se). Example: --out equating.csv",
        ),
    ] = Path("equating.csv"),
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            help="JSON summary to write (default: --out with .json). Example: --summary equating.json",
            show_default=False,
        ),
    ] = None,
    force: Force = False,
    strict: StrictData = False,
) -> None:
    """Equate a new form (X) to the base form (Y): every raw score's unrounded Form Y
    equivalent, with standard errors when asked, as a CSV table plus a JSON summary
    (method, linear coefficients, moments of the equated scores, input hashes). Methods
    and notation follow Kolen & Brennan (2014); see docs/equating.md.

    Example: cehrs-items equate --x new.csv --y base.csv --form-x new.json --form-y base.json --design neat --method tucker --bootstrap 1000 --seed 7 --out equating.csv
    """
    set_strict(strict)
    summary_path = _summary_path(out, summary)
    prepare_outputs([out, summary_path], force=force)
    request = EquateRequest(
        x=x,
        y=y,
        design=None if design is None else design.value,
        method=method,
        compare=None if compare is None else [m for m in compare.split(",") if m.strip()],
        w1=w1,
        form_x=form_x,
        form_y=form_y,
        max_x=max_x,
        max_y=max_y,
        max_anchor=max_anchor,
        external_anchor=external_anchor,
        presmooth=presmooth,
        postsmooth=postsmooth,
        bootstrap=bootstrap,
        seed=seed,
        analytic_se=analytic_se,
        params_x=params_x,
        params_y=params_y,
        theta_x=theta_x,
        theta_y=theta_y,
        id_column=id_column,
    )
    outcome = run_equate(request, progress=lambda message: typer.echo(message, err=True))
    write_outputs({out: outcome.csv, summary_path: dumps_json(outcome.summary)}, force=force)
    _render(outcome.summary, out, summary_path)


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.4f}"


def _render(summary: dict[str, Any], out: Path, summary_path: Path) -> None:
    lines = []
    notes = []
    results = summary["results"]
    for r in results:
        head = f"{r['method'].replace('_', '-')} ({r['design'].replace('_', '-')})"
        if "linear" in r:
            head += (
                f": slope {_fmt(r['linear']['slope'])}, intercept {_fmt(r['linear']['intercept'])}"
            )
        m = r["equated_moments"]
        lines.append(
            f"{head}; equated mean {_fmt(m['mean'])}, SD {_fmt(m['sd'])}"
            + (f"; SEs: {r['se']}" if r.get("se") else "")
        )
        for note in r.get("notes", []):
            notes.append(f"note: {r['method'].replace('_', '-')}: {note}")
    anchors = summary.get("linking_anchors")
    if anchors:
        notes.append(
            f"note: the Form X parameters were linked on {len(anchors['linked'])} anchor(s); "
            f"{len(anchors['dropped'])} dropped by drift screening"
        )
        for d in anchors["dropped"]:
            notes.append(f"note: dropped anchor {d['item_id']}: {d['reason'] or 'no reason given'}")
    if "max_abs_difference" in summary:
        for m, v in summary["max_abs_difference"].items():
            lines.append(
                f"largest |{m.replace('_', '-')} - {results[0]['method'].replace('_', '-')}|: {_fmt(v)}"
            )
    lines.append(f"wrote {out} and {summary_path}")
    typer.echo("\n".join(lines))
    sys.stdout.flush()
    for note in notes:
        typer.echo(note, err=True)


def register(app: typer.Typer) -> None:
    app.command("equate")(equate)
