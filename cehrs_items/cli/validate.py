"""``cehrs-items validate``: check item files; parse options, call the library, render."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.cli.options import (
    DEFAULT_BANK_HELP,
    BlueprintPath,
    FindingsFormat,
    Force,
    Strict,
    bank_or_default,
)
from cehrs_items.io import prepare_output, write_files
from cehrs_items.reporters import REPORTERS
from cehrs_items.validate import NEAR_DUPLICATE_THRESHOLD, validate_paths


def _use_colour(fmt: FindingsFormat, out: Path | None) -> bool:
    """ANSI colour only for text on a terminal, and never when NO_COLOR is set."""
    return (
        fmt is FindingsFormat.text
        and out is None
        and not os.environ.get("NO_COLOR")
        and sys.stdout.isatty()
    )


class _Progress:
    """A one-line file counter on stderr, shown only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if self.enabled and total >= 200 and (done % 250 == 0 or done == total):
            sys.stderr.write(f"\rchecking files: {done}/{total}")
            sys.stderr.flush()
            self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Item files, folders (searched recursively) or a bank folder; a bank "
            "folder's stats/item_stats.csv is checked too "
            f"{DEFAULT_BANK_HELP.replace('default', 'default bank')}.",
            show_default=False,
            metavar="PATH",
        ),
    ] = None,
    blueprint: BlueprintPath = None,
    fmt: Annotated[
        FindingsFormat,
        typer.Option(
            "--format",
            "-f",
            help="Output: text for people, json, github (workflow annotations), junit (XML) "
            "or sarif (2.1.0, for code scanning).",
        ),
    ] = FindingsFormat.text,
    strict: Strict = False,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            help="Rule id to switch off for this run; repeat for several (--ignore IW005 "
            "--ignore BANK014).",
            show_default=False,
            metavar="RULE",
        ),
    ] = None,
    context: Annotated[
        Path | None,
        typer.Option(
            "--context",
            help="Bank folder loaded for cross-file rules while reporting only on PATHS "
            "(default: the nearest folder above each file that has a blueprint.yaml).",
        ),
    ] = None,
    near_duplicate_threshold: Annotated[
        float,
        typer.Option(
            "--near-duplicate-threshold",
            help="Jaccard similarity of two stems' character 5-grams from which they are "
            "reported as near-duplicates (BANK010).",
            min=0.01,
            max=1.0,
        ),
    ] = NEAR_DUPLICATE_THRESHOLD,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the report to this file instead of stdout."),
    ] = None,
    force: Force = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print no summary line or notes on stderr.")
    ] = False,
) -> None:
    """Check item files: YAML syntax, the item contract, rules across the bank (ids,
    enemies, duplicate stems, blueprint, status) and item-writing guidelines. Exit code 0
    when no error is found (with --strict, no warning either), 1 when one is, 2 when a
    path cannot be read or an option is wrong. A bank's house rules and severity
    overrides (cehrs-items.toml beside the blueprint, or [tool.cehrs-items] in the bank
    folder's pyproject.toml) apply too. Rules: docs/rules.md, cehrs-items rules.

    Example: cehrs-items validate item_bank/ --strict --format sarif --out validate.sarif
    """
    if out is not None:
        prepare_output(out, force=force)
    progress = _Progress(not quiet)
    try:
        result = validate_paths(
            [str(p) for p in paths] if paths else [str(bank_or_default(None))],
            blueprint=blueprint,
            ignore=ignore or (),
            context=context,
            near_duplicate_threshold=near_duplicate_threshold,
            progress=progress,
        )
    finally:
        progress.close()
    rendered = REPORTERS[fmt.value].render(
        result.findings,
        files=result.files,
        strict=strict,
        color=_use_colour(fmt, out),
        rules=result.rules,
    )
    if out is not None:
        write_files({out: rendered}, force=force)
    else:
        typer.echo(rendered, nl=False)
    if not quiet:
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
        suffix = " (--strict: warnings fail)" if strict else ""
        typer.echo(result.summary.line() + suffix, err=True)
    raise typer.Exit(result.exit_code(strict=strict))


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
