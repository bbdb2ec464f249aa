"""``cehrs-items report``: the self-contained HTML report (or an Excel workbook or Word file)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.cli.options import Force
from cehrs_items.io import prepare_output, write_files
from cehrs_items.reporting import load_report_inputs, render_docx, render_html, render_xlsx


class ReportFormat(StrEnum):
    html = "html"
    xlsx = "xlsx"
    docx = "docx"


def report(
    analysis: Annotated[
        Path, typer.Option("--analysis", help="Output directory of `cehrs-items analyze`.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Report file to write (.html, .xlsx or .docx).")
    ],
    calibration: Annotated[
        Path | None,
        typer.Option("--calibration", help="Parameter file from `cehrs-items calibrate`."),
    ] = None,
    equating: Annotated[
        Path | None,
        typer.Option(
            "--equating",
            help="Directory (or one CSV) with equating tables and the raw-to-scale conversion.",
        ),
    ] = None,
    bank: Annotated[
        Path | None,
        typer.Option("--bank", help="Item bank directory, for item text and options."),
    ] = None,
    form: Annotated[
        Path | None,
        typer.Option("--form", help="Form file, for blueprint coverage and the form's TIF."),
    ] = None,
    blueprint: Annotated[
        Path | None,
        typer.Option("--blueprint", help="Blueprint YAML (default: <bank>/blueprint.yaml)."),
    ] = None,
    conversion: Annotated[
        Path | None,
        typer.Option(
            "--conversion",
            help="The form's conversion table from `cehrs-items scale` (its JSON summary beside "
            "it is read too). Example: --conversion conversion/NEW1.csv",
        ),
    ] = None,
    standard: Annotated[
        Path | None,
        typer.Option(
            "--standard",
            help="Output folder (or cut.json) of 'cehrs-items standard-setting': adds the "
            "standard-setting section. Example: --standard standard/angoff",
            show_default=False,
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Report title.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date printed on the report (none unless given)."),
    ] = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            help="html: one self-contained page; xlsx: workbook (one sheet per table); docx: "
            "editable Word document. Example: --format docx",
        ),
    ] = ReportFormat.html,
    force: Force = False,
) -> None:
    """Write the psychometric report: summary, flagged items, per-item analysis with
    quantile plots, DIF, IRT, equating and blueprint coverage, as ONE self-contained HTML
    file (no network when viewed), an Excel workbook or an editable Word document.

    Example: cehrs-items report --analysis out/analysis --bank item_bank/ --out reports/report.html
    """
    prepare_output(out, force=force)
    inputs = load_report_inputs(
        analysis,
        calibration=calibration,
        equating=equating,
        bank=bank,
        form=form,
        blueprint=blueprint,
        conversion=conversion,
        title=title,
        as_of=as_of,
        standard=standard,
    )
    renderers = {
        ReportFormat.html: render_html,
        ReportFormat.xlsx: render_xlsx,
        ReportFormat.docx: render_docx,
    }
    data = renderers[fmt](inputs)
    write_files({out: data}, force=force)
    typer.echo(f"wrote {out}", err=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
