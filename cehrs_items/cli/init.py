"""``cehrs-items init``: start a new bank repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.cli.options import Force


def init(
    directory: Annotated[
        Path,
        typer.Argument(help="New (or empty) folder for the bank repository. Example: my-bank"),
    ],
    force: Force = False,
) -> None:
    """Start a new bank repository: item_bank/ with a blueprint to edit (the CEHRS plan as a
    commented worked example) and a few example items, a pre-commit configuration with the
    cehrs-items hook, a GitHub Actions workflow (validate --format github, SARIF upload) and
    a README for authors. The result validates clean with --strict.

    Example: cehrs-items init my-bank && cehrs-items validate --strict my-bank/item_bank
    """
    from cehrs_items.init_bank import init_bank

    result = init_bank(directory, force=force)
    typer.echo(
        f"wrote {len(result.files)} files into {result.root} "
        f"(example items: {', '.join(result.example_items)})\n"
        f"next: cd {result.root} && cehrs-items validate --strict item_bank/"
    )


def register(app: typer.Typer) -> None:
    app.command("init")(init)
