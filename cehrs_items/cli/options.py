"""Options shared by several commands, defined once."""

from __future__ import annotations

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
BlueprintPath = Annotated[
    Path | None,
    typer.Option("--blueprint", help="Blueprint YAML (default: <bank>/blueprint.yaml)."),
]
