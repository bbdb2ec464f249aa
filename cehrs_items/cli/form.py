"""``cehrs-items form``: ``form check`` and ``form export``; parse options, call the library, render."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.assembly import check_forms, export_form
from cehrs_items.catalogue import command_rules
from cehrs_items.cli.options import (
    DEFAULT_BANK_HELP,
    BlueprintPath,
    FindingsFormat,
    Force,
    Strict,
    bank_or_default,
)
from cehrs_items.findings import exit_code_for
from cehrs_items.io import prepare_output, prepare_outputs, write_files
from cehrs_items.reporters import REPORTERS, summarize

form_app = typer.Typer(
    name="form",
    help="Check and export test forms.\n\nExample: cehrs-items form check forms/F1.json",
    no_args_is_help=True,
    rich_markup_mode=None,
)

TOOL = "cehrs-items form check"


class ExportFormat(StrEnum):
    markdown = "markdown"
    csv = "csv"
    json = "json"


BankOption = Annotated[
    Path | None,
    typer.Option(
        "--bank",
        help=f"Bank directory (with items/) {DEFAULT_BANK_HELP}. Example: --bank item_bank/",
        show_default=False,
    ),
]


@form_app.command("check")
def check(
    forms: Annotated[
        list[Path],
        typer.Argument(
            help="Form files (JSON); with several, overlap and exposure between them are "
            "checked too. Example: forms/F1.json forms/F2.json",
            show_default=False,
            metavar="FORM",
        ),
    ],
    bank: BankOption = None,
    blueprint: BlueprintPath = None,
    anchor_form: Annotated[
        Path | None,
        typer.Option(
            "--anchor-form",
            help="Base form the anchors must come from (scored there, same version). "
            "Example: --anchor-form forms/BASE.json",
        ),
    ] = None,
    anchor_items: Annotated[
        int | None,
        typer.Option(
            "--anchor-items",
            min=0,
            help="Required anchor count per form, split over domains by the blueprint "
            "(default: as recorded in the form by assemble). Example: --anchor-items 20",
        ),
    ] = None,
    max_overlap: Annotated[
        int | None,
        typer.Option(
            "--max-overlap",
            min=0,
            help="Most scored items two of the forms may share (default: as recorded in the "
            "forms). Example: --max-overlap 20",
        ),
    ] = None,
    max_exposure: Annotated[
        int | None,
        typer.Option(
            "--max-exposure",
            min=1,
            help="Most of the forms one item may be on (default: as recorded in the forms). "
            "Example: --max-exposure 2",
        ),
    ] = None,
    fmt: Annotated[
        FindingsFormat,
        typer.Option(
            "--format",
            "-f",
            help="Output: text, json, github, junit or sarif. Example: --format json",
        ),
    ] = FindingsFormat.text,
    strict: Strict = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the report to this file instead of stdout. Example: --out check.json",
        ),
    ] = None,
    force: Force = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary line on stderr. Example: -q")
    ] = False,
) -> None:
    """Re-verify forms (assembled or hand-made) against the bank and blueprint: items
    exist at the form's version with the same domain, subdomain and key; only operational
    items scored and pretest items in pretest slots; blueprint counts; subdomain minimums;
    enemies; key balance and runs; pretest spread; anchors; overlap and exposure between
    several forms. Every violation is listed (rules FORM000-FORM021, see docs/assembly.md).
    Exit 0 when none is an error, 1 when one is (or a warning with --strict), 2 when the
    bank or blueprint cannot be read.

    Example: cehrs-items form check forms/F1.json forms/F2.json --bank item_bank/
    """
    bank = bank_or_default(bank)
    if out is not None:
        prepare_output(out, force=force)
    bp = blueprint if blueprint is not None else bank / "blueprint.yaml"
    result = check_forms(
        forms,
        bank=bank,
        blueprint=bp,
        anchor_form=anchor_form,
        anchor_items=anchor_items,
        max_overlap=max_overlap,
        max_exposure=max_exposure,
    )
    color = (
        fmt is FindingsFormat.text
        and out is None
        and not os.environ.get("NO_COLOR")
        and sys.stdout.isatty()
    )
    rendered = REPORTERS[fmt.value].render(
        result.findings,
        files=result.files,
        strict=strict,
        color=color,
        rules=command_rules("form check"),
        tool=TOOL,
    )
    if out is not None:
        write_files({out: rendered}, force=force)
    else:
        typer.echo(rendered, nl=False)
    if not quiet:
        suffix = " (--strict: warnings fail)" if strict else ""
        typer.echo(summarize(result.findings, result.files).line() + suffix, err=True)
    raise typer.Exit(exit_code_for(result.findings, strict=strict))


@form_app.command("export")
def export(
    form: Annotated[
        Path,
        typer.Argument(help="Form file (JSON). Example: forms/F1.json", show_default=False),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="File to write the review copy to. Example: --out F1-review.md"),
    ],
    bank: BankOption = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="markdown (printable review copy with the answer key at the end), csv (one "
            "row per position with stem, options and key) or json. Example: --format csv",
        ),
    ] = ExportFormat.markdown,
    key_out: Annotated[
        Path | None,
        typer.Option(
            "--key-out",
            help="Also write the answer key alone as CSV (position, item_id, item_version, "
            "role, key). Example: --key-out F1-key.csv",
        ),
    ] = None,
    force: Force = False,
) -> None:
    """Write a form for delivery review: each position with its item id, stem and lettered
    options in a printable layout, and the answer key. The item text is confidential: it
    is read from the bank files and written only to --out (and --key-out); nothing leaves
    the machine. Refused (exit 2) when an item is missing from the bank or at another
    version than the form's.

    Example: cehrs-items form export forms/F1.json --format markdown --out F1-review.md
    """
    prepare_outputs([out, key_out], force=force)
    result = export_form(form, bank=bank_or_default(bank), fmt=fmt.value)
    paths = result.write(out, key_out=key_out, force=force)
    typer.echo(f"wrote {', '.join(str(p) for p in paths)}")


def register(app: typer.Typer) -> None:
    app.add_typer(form_app, name="form")
