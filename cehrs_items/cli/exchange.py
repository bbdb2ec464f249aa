"""``cehrs-items export`` / ``cehrs-items import``: items to and from QTI packages and workbooks."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.cli.options import DEFAULT_BANK_HELP, Force, Strict, bank_or_default

export_app = typer.Typer(
    name="export",
    help="Write bank items for other tools: QTI packages, workbooks for authors.\n\n"
    "Example: cehrs-items export qti --bank item_bank/ --out bank-qti3.zip",
    no_args_is_help=True,
)
import_app = typer.Typer(
    name="import",
    help="Read items from QTI packages or workbooks into a new folder of item files.\n\n"
    "Example: cehrs-items import qti bank-qti3.zip --out imported/",
    no_args_is_help=True,
)


class QtiVersion(StrEnum):
    v3 = "3.0"
    v21 = "2.1"


BankOption = Annotated[
    Path | None,
    typer.Option(
        "--bank",
        help=f"Bank directory {DEFAULT_BANK_HELP}. Example: --bank item_bank/",
        show_default=False,
    ),
]
ImportBlueprint = Annotated[
    Path | None,
    typer.Option(
        "--blueprint",
        help="Blueprint the imported items are validated against "
        f"{DEFAULT_BANK_HELP.replace('default', 'default: the blueprint.yaml of')}. "
        "Example: --blueprint item_bank/blueprint.yaml",
        show_default=False,
    ),
]
ImportOut = Annotated[
    Path,
    typer.Option(
        "--out",
        help="New folder for the item files (items/<domain>/<id>.yaml); written whole or "
        "not at all. Example: --out imported/",
    ),
]


@export_app.command("qti")
def export_qti_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Package to write (.zip). Example: --out bank.zip")
    ],
    bank: BankOption = None,
    form: Annotated[
        Path | None,
        typer.Option(
            "--form",
            help="Export this form's items and the form as an assessment test (sections per "
            "block, pretest items unscored). Example: --form forms/F1.json",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        QtiVersion,
        typer.Option("--version", help="QTI version to write. Example: --version 2.1"),
    ] = QtiVersion.v3,
    block_size: Annotated[
        int,
        typer.Option(
            "--block-size",
            help="Positions per test section with --form. Example: --block-size 25",
            min=1,
        ),
    ] = 25,
    force: Force = False,
) -> None:
    """Write the bank (or one form) as an IMS QTI content package: imsmanifest.xml with
    each item's bank metadata, one assessment item per item (choice interaction, the key
    as correct response, match_correct scoring) and, with --form, the assessment test.

    Example: cehrs-items export qti --bank item_bank/ --form forms/F1.json --out F1-qti3.zip
    """
    from cehrs_items.exchange.qti import export_qti
    from cehrs_items.io import atomic_write

    data = export_qti(
        bank_or_default(bank), form=form, version=version.value, block_size=block_size
    )
    atomic_write(out, data, force=force)
    typer.echo(f"wrote {out} (QTI {version.value})")


@export_app.command("xlsx")
def export_xlsx_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Workbook to write. Example: --out items.xlsx")
    ],
    bank: BankOption = None,
    force: Force = False,
) -> None:
    """Write the bank's items as a workbook for authors: one row per item, a column per
    field, drop-down lists for domain, subdomain, status, key and cognitive level.

    Example: cehrs-items export xlsx --bank item_bank/ --out items.xlsx
    """
    from cehrs_items.exchange.xlsx import export_xlsx
    from cehrs_items.io import atomic_write

    atomic_write(out, export_xlsx(bank_or_default(bank)), force=force)
    typer.echo(f"wrote {out}")


def _finish(result, out: Path, force: bool, strict: bool) -> None:
    from cehrs_items.exchange.common import write_items
    from cehrs_items.reporters import REPORTERS

    findings = result.sorted_findings()
    if findings:
        typer.echo(REPORTERS["text"].render(findings, strict=strict), err=True, nl=False)
    failing = result.errors or (strict and findings)
    if failing:
        typer.echo(
            f"error: {result.source}: {len(findings)} finding(s); nothing written to {out}",
            err=True,
        )
        raise typer.Exit(1)
    paths = write_items(result, out, force=force)
    typer.echo(f"wrote {len(paths)} item file(s) into {out}")


@import_app.command("qti")
def import_qti_cmd(
    package: Annotated[
        Path, typer.Argument(help="QTI 3.0 content package (.zip). Example: bank-qti3.zip")
    ],
    out: ImportOut,
    blueprint: ImportBlueprint = None,
    strict: Strict = False,
    force: Force = False,
) -> None:
    """Read the items of a QTI 3.0 package into item files. What a bank item cannot hold
    (other interactions, several correct answers, markup, missing bank metadata) is
    reported per item; then the items get the normal validate checks. Any error (with
    --strict, any finding) and nothing is written (exit 1).

    Example: cehrs-items import qti bank-qti3.zip --out imported/
    """
    from cehrs_items.exchange.qti import import_qti

    bp = blueprint if blueprint is not None else bank_or_default(None) / "blueprint.yaml"
    _finish(import_qti(package, blueprint=bp), out, force, strict)


@import_app.command("xlsx")
def import_xlsx_cmd(
    workbook: Annotated[
        Path, typer.Argument(help="Workbook in the export xlsx layout. Example: items.xlsx")
    ],
    out: ImportOut,
    blueprint: ImportBlueprint = None,
    strict: Strict = False,
    force: Force = False,
) -> None:
    """Read items from a workbook (sheet items, one row per item) into item files.
    Problems are reported at their sheet, row and column, then the normal validate
    findings at each item's row. Any error (with --strict, any finding) and nothing is
    written (exit 1).

    Example: cehrs-items import xlsx items.xlsx --out imported/
    """
    from cehrs_items.exchange.xlsx import import_xlsx

    bp = blueprint if blueprint is not None else bank_or_default(None) / "blueprint.yaml"
    _finish(import_xlsx(workbook, blueprint=bp), out, force, strict)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
