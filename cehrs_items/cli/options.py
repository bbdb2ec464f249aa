"""Options shared by several commands, defined once."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]
Seed = Annotated[
    int, typer.Option("--seed", help="Seed of the random number generator (recorded in outputs).")
]
Strict = Annotated[bool, typer.Option("--strict", help="Treat warnings as failures (exit 1).")]
OutDir = Annotated[Path, typer.Option("--out", help="Directory to write the output files into.")]
OutFile = Annotated[Path, typer.Option("--out", help="File to write the output to.")]
DEFAULT_BANK_HELP = "(default: item_bank/ in the working folder if there is one, else the sample bank shipped with cehrs-items)"


def bank_or_default(bank: Path | None) -> Path:
    """``bank`` if given; else the ``--bank`` default, with a note on stderr when that is the
    shipped sample bank (see :func:`cehrs_items.shipped.default_bank`)."""
    if bank is not None:
        return bank
    from cehrs_items.shipped import default_bank

    choice = default_bank()
    if choice.shipped:
        typer.echo(choice.note(), err=True)
    return choice.path


BlueprintPath = Annotated[
    Path | None,
    typer.Option("--blueprint", help="Blueprint YAML (default: <bank>/blueprint.yaml)."),
]


class FindingsFormat(StrEnum):
    """Formats of a findings report (the reporters of :mod:`cehrs_items.reporters`)."""

    text = "text"
    json = "json"
    github = "github"
    junit = "junit"
    sarif = "sarif"
