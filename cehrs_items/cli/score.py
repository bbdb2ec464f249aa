"""``cehrs-items score``: raw, scaled and pass/fail per examinee from a conversion table."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.cli.equate import write_outputs
from cehrs_items.cli.options import Force, StrictData
from cehrs_items.errors import set_strict
from cehrs_items.io import dumps_json, prepare_outputs
from cehrs_items.scoring import score_examinees


def score(
    responses: Annotated[
        Path,
        typer.Argument(
            help="Response file (CSV or Parquet; letters A-E or 0/1). Example: responses.csv",
            show_default=False,
            metavar="RESPONSES",
        ),
    ],
    form: Annotated[
        Path,
        typer.Option(
            "--form",
            help="Form file the examinees took (scored items, key, domains). Example: --form forms/F2.json",
            show_default=False,
        ),
    ],
    conversion: Annotated[
        Path,
        typer.Option(
            "--conversion",
            help="The form's conversion table from 'cehrs-items scale'. Example: --conversion conversion.csv",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Scores CSV to write; the summary goes beside it (.json). Example: --out scores.csv",
        ),
    ] = Path("scores.csv"),
    id_column: Annotated[
        str, typer.Option("--id-column", help="Examinee id column. Example: --id-column candidate")
    ] = "examinee_id",
    force: Force = False,
    strict: StrictData = False,
) -> None:
    """Score examinees: raw score (scored items only; pretest never counts; omits are
    wrong), scaled score, pass/fail and per-domain raw subscores, sorted by examinee id;
    prints the pass rate and writes a JSON summary beside the scores.

    Example: cehrs-items score responses.csv --form form.json --conversion conversion.csv --out scores.csv
    """
    set_strict(strict)
    summary_path = out.with_suffix(".json")
    prepare_outputs([out, summary_path], force=force)
    report = score_examinees(responses, form, conversion, id_column=id_column)
    buffer = io.BytesIO()
    report.scores.write_csv(buffer)
    write_outputs({out: buffer.getvalue(), summary_path: dumps_json(report.summary)}, force=force)
    s = report.summary
    typer.echo(
        f"{s['n']} examinees, {s['n_pass']} passed ({100 * s['pass_rate']:.2f}%); "
        f"mean raw {s['mean_raw']:.2f}, mean scaled {s['mean_scaled']:.1f}; "
        f"wrote {out} and {summary_path}"
    )


def register(app: typer.Typer) -> None:
    app.command("score")(score)
