"""``cehrs-items rules``: list every rule of the catalogue; parse options, call, render."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.cli.options import Force
from cehrs_items.io import prepare_output, write_files


class RulesFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


def rules(
    fmt: Annotated[
        RulesFormat,
        typer.Option(
            "--format",
            "-f",
            help="text (one line per rule), markdown (the tables of docs/rules.md) or json "
            "(every rule with id, severity, scope, summary, hint, source, and counts by "
            "scope). Example: --format json",
        ),
    ] = RulesFormat.text,
    bank: Annotated[
        Path | None,
        typer.Option(
            "--bank",
            help="Bank folder whose house rules and severity overrides (cehrs-items.toml or "
            "[tool.cehrs-items] in its pyproject.toml) are listed too; exit 1 when its "
            "configuration has problems (shown on stderr). Example: --bank item_bank/",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the list to this file instead of stdout. Example: --out rules.md"
        ),
    ] = None,
    force: Force = False,
) -> None:
    """List every rule a finding can name: validation (PARSE, SCH, BANK, STAT, IW),
    form check (FORM), analysis (ANA data quality, FLAG review flags), house-rule
    configuration (CONF) and, with --bank, the bank's house rules; each with id,
    severity, scope (item, bank, form, analysis), summary and source.

    Example: cehrs-items rules --format json
    """
    if out is not None:
        prepare_output(out, force=force)
    from cehrs_items.catalogue.render import rules_json, rules_markdown, rules_text
    from cehrs_items.house import bank_catalogue
    from cehrs_items.reporters import REPORTERS

    catalogue, problems = bank_catalogue(bank)
    if fmt is RulesFormat.json:
        rendered = rules_json(catalogue)
    elif fmt is RulesFormat.markdown:
        rendered = rules_markdown(catalogue)
    else:
        rendered = rules_text(catalogue)
    if out is not None:
        write_files({out: rendered}, force=force)
    else:
        typer.echo(rendered, nl=False)
    if problems:
        typer.echo(REPORTERS["text"].render(problems), err=True, nl=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("rules")(rules)
