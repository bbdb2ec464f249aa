"""``cehrs-items scale``: build a form's raw-to-scale conversion from its equating table."""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.cli.equate import write_outputs
from cehrs_items.cli.options import DEFAULT_BANK_HELP, Force, bank_or_default
from cehrs_items.io import dumps_json, prepare_outputs
from cehrs_items.scaling import make_conversion


class TransformKind(StrEnum):
    linear = "linear"
    piecewise = "piecewise"


def scale(
    equating: Annotated[
        Path | None,
        typer.Option(
            "--equating",
            help="Equating table of the form (score, equated) from 'cehrs-items equate'; "
            "omit it for the base form itself (raw scores are their own equivalents). "
            "Example: --equating equating.csv",
            show_default=False,
        ),
    ] = None,
    blueprint: Annotated[
        Path | None,
        typer.Option(
            "--blueprint",
            help="Blueprint YAML with the scale (min, max, passing, raw_cut, upper_anchor) "
            f"{DEFAULT_BANK_HELP.replace('default', 'default: the blueprint.yaml of')}. "
            "Example: --blueprint item_bank/blueprint.yaml",
            show_default=False,
        ),
    ] = None,
    raw_cut: Annotated[
        float | None,
        typer.Option(
            "--raw-cut",
            help="Base form's raw cut (default: the blueprint's scale.raw_cut). Example: --raw-cut 68",
            show_default=False,
        ),
    ] = None,
    transform: Annotated[
        TransformKind,
        typer.Option(
            "--transform",
            help="linear: one line through (raw cut, passing) and the upper anchor; "
            "piecewise: that line above the cut, (0, scale min) to the cut below it. "
            "Example: --transform piecewise",
        ),
    ] = TransformKind.linear,
    params: Annotated[
        Path | None,
        typer.Option(
            "--params",
            help="Item parameters of the form's scored items: adds csem_scaled. Example: --params params_F2.csv",
            show_default=False,
        ),
    ] = None,
    form: Annotated[
        Path | None,
        typer.Option(
            "--form",
            help="Form file: selects its scored items from --params. Example: --form forms/F2.json",
            show_default=False,
        ),
    ] = None,
    standard: Annotated[
        Path | None,
        typer.Option(
            "--standard",
            help="cut.json from 'cehrs-items standard-setting' (or its folder): the lowest whole "
            "raw score at or above its raw_cut is the base form's cut, mapped to the passing score. Example: --standard standard/angoff/cut.json",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option("--out", help="Conversion table CSV to write. Example: --out conversion.csv"),
    ] = Path("conversion.csv"),
    force: Force = False,
) -> None:
    """Build the raw-to-scale conversion of a form: raw_score, equated, scaled, pass (and
    csem_scaled with --params), plus a JSON summary beside it. The base form's raw cut maps
    exactly to the passing score; a raw score at or above the equated cut always scores at
    least the passing score and one below it always less.

    Example: cehrs-items scale --equating equating.csv --blueprint item_bank/blueprint.yaml --out conversion.csv
    """
    summary_path = out.with_suffix(".json")
    prepare_outputs([out, summary_path], force=force)
    conversion = make_conversion(
        equating=equating,
        blueprint=blueprint if blueprint is not None else bank_or_default(None) / "blueprint.yaml",
        raw_cut=raw_cut,
        transform=transform.value,
        params=params,
        form=form,
        standard=standard,
    )
    buffer = io.BytesIO()
    conversion.table.write_csv(buffer)
    write_outputs(
        {out: buffer.getvalue(), summary_path: dumps_json(conversion.summary())}, force=force
    )
    s = conversion.summary()
    typer.echo(
        f"raw cut on this form: {s['raw_cut']} (base form {s['raw_cut_base']:g}) -> "
        f"{s['scale']['passing']}; {s['n_raw_scores']} raw scores; wrote {out} and {summary_path}"
    )
    for note in conversion.notes:
        typer.echo(f"note: {note}", err=True)


def register(app: typer.Typer) -> None:
    app.command("scale")(scale)
