"""``cehrs-items bank``: facts about a bank (``bank summary``, ``bank params``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.bank_summary import bank_summary, render_text
from cehrs_items.cli.options import DEFAULT_BANK_HELP, Force, bank_or_default
from cehrs_items.io import dumps_json

bank_app = typer.Typer(
    name="bank",
    help="Facts about an item bank.\n\nExample: cehrs-items bank summary item_bank/",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


@bank_app.command("summary")
def summary(
    bank: Annotated[
        Path | None,
        typer.Argument(
            help=f"Bank directory (with items/) {DEFAULT_BANK_HELP}. Example: item_bank/",
            show_default=False,
        ),
    ] = None,
    blueprint: Annotated[
        Path | None,
        typer.Option(
            "--blueprint",
            help="Blueprint YAML (default: <bank>/blueprint.yaml). "
            "Example: --blueprint item_bank/blueprint.yaml",
        ),
    ] = None,
    fmt: Annotated[
        SummaryFormat,
        typer.Option("--format", help="Output format. Example: --format json"),
    ] = SummaryFormat.text,
    min_forms: Annotated[
        int,
        typer.Option(
            "--min-forms",
            help="Exit 1 when the bank fills fewer complete non-overlapping forms. "
            "Example: --min-forms 2",
        ),
    ] = 0,
) -> None:
    """Count items by domain and status, subdomain, key letter and cognitive level, and
    check against the blueprint how many non-overlapping forms the bank can fill.

    Scored sections are limited by operational items per domain (and per subdomain
    minimum), pretest blocks by pretest items per domain; the binding constraint is
    named. Exit 0, or 1 with --min-forms when the bank falls short.

    Example: cehrs-items bank summary item_bank/ --format json
    """
    result = bank_summary(bank_or_default(bank), blueprint=blueprint)
    if fmt is SummaryFormat.json:
        typer.echo(dumps_json(result.to_dict()), nl=False)
    else:
        typer.echo(render_text(result), nl=False)
    if result.forms < min_forms:
        typer.echo(
            f"bank fills {result.forms} complete form(s), fewer than --min-forms {min_forms}",
            err=True,
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(bank_app, name="bank")


@bank_app.command("params")
def params(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Parameter file to write (.csv or .parquet). Example: --out bank_params.csv",
        ),
    ],
    bank: Annotated[
        Path | None,
        typer.Argument(
            help=f"Bank directory (with items/ and stats/) {DEFAULT_BANK_HELP}. Example: item_bank/",
            show_default=False,
        ),
    ] = None,
    force: Force = False,
) -> None:
    """Write the latest IRT parameters of the bank's items (from its statistics table) as a
    parameter file: the anchor file of a fixed-parameter calibration, or the input of IRT
    equating and `scale --params`.

    Example: cehrs-items bank params item_bank/ --out bank_params.csv
    """
    from cehrs_items.bank import item_parameters, load_bank
    from cehrs_items.io import prepare_output, write_files
    from cehrs_items.responses import table_bytes

    prepare_output(out, force=force)
    table = item_parameters(load_bank(bank_or_default(bank)))
    write_files({out: table_bytes(table, out)}, force=force)
    typer.echo(f"wrote {out}: parameters of {table.height} items")
