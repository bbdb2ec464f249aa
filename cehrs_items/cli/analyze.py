"""``cehrs-items analyze``: classical item analysis, distractors, reliability, decisions, DIF."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.analysis import analyze as run_analysis
from cehrs_items.analysis.flag_findings import analysis_report, bank_thresholds
from cehrs_items.analysis.flags import read_thresholds, thresholds_from
from cehrs_items.analysis.output import findings_text, summary_text, write_outputs
from cehrs_items.cli.options import (
    ChunkRows,
    Engine,
    EngineName,
    FindingsFormat,
    Force,
    OutDir,
    Scheduler,
    Strict,
)
from cehrs_items.errors import set_strict
from cehrs_items.house import HouseConfig, bank_house_config
from cehrs_items.io import prepare_output, write_files
from cehrs_items.reporters import REPORTERS


class OmitRule(StrEnum):
    incorrect = "incorrect"
    exclude = "exclude"


class TableFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    json = "json"


def analyze(
    responses: Annotated[
        str,
        typer.Argument(
            help="Responses: a CSV or Parquet file, a directory of Parquet files or a glob "
            "(format: schemas/responses.md). Example: responses/*.parquet",
            show_default=False,
        ),
    ],
    out: OutDir,
    form: Annotated[
        Path | None,
        typer.Option(
            "--form",
            help="Form file: items, roles (scored/pretest), domains and keys. "
            "Example: --form forms/FORM-A.json",
        ),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Key CSV with columns item_id,key (not needed for 0/1 data; with --form it "
            "re-keys those items). Example: --key key.csv",
        ),
    ] = None,
    id_column: Annotated[
        str,
        typer.Option("--id-column", help="Examinee id column. Example: --id-column candidate"),
    ] = "examinee_id",
    weight_column: Annotated[
        str | None,
        typer.Option(
            "--weight-column",
            help="Frequency-weight column (whole numbers; a row of weight 2 counts twice). "
            "Example: --weight-column freq",
        ),
    ] = None,
    omit: Annotated[
        OmitRule,
        typer.Option(
            "--omit",
            help="incorrect: an omitted response is wrong (operational scoring); exclude: "
            "drop examinees with any omission. Example: --omit exclude",
        ),
    ] = OmitRule.incorrect,
    group: Annotated[
        str | None,
        typer.Option("--group", help="DIF grouping column. Example: --group gender"),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option("--reference", help="Reference group value. Example: --reference M"),
    ] = None,
    focal: Annotated[
        str | None,
        typer.Option("--focal", help="Focal group value. Example: --focal F"),
    ] = None,
    raw_cut: Annotated[
        float | None,
        typer.Option(
            "--raw-cut",
            "--cut",
            help="Raw cut on the scored total for decision statistics (pass: total >= cut); "
            "overrides --conversion and --blueprint. Example: --raw-cut 70",
        ),
    ] = None,
    conversion: Annotated[
        Path | None,
        typer.Option(
            "--conversion",
            help="This form's conversion table from `cehrs-items scale`: the raw cut is its "
            "lowest passing raw score. Example: --conversion conversion/NEW1.csv",
        ),
    ] = None,
    blueprint: Annotated[
        Path | None,
        typer.Option(
            "--blueprint",
            help="Blueprint YAML: its scale.raw_cut is the raw cut of a base form (a form "
            "equated to another needs --conversion). Example: --blueprint item_bank/blueprint.yaml",
        ),
    ] = None,
    dif_purify: Annotated[
        bool,
        typer.Option(
            "--dif-purify",
            help="Two-stage DIF: drop stage-one DIF items from the matching total. "
            "Example: --dif-purify",
        ),
    ] = False,
    dif_method: Annotated[
        str,
        typer.Option(
            "--dif-method",
            help="DIF methods, comma-separated: mh (Mantel-Haenszel, dif.csv) and/or "
            "logistic (logistic regression with Nagelkerke R2 and Jodoin-Gierl A/B/C, "
            "dif_logistic.csv). Example: --dif-method mh,logistic",
        ),
    ] = "mh",
    fmt: Annotated[
        TableFormat,
        typer.Option(
            "--format",
            help="Format of the tables (test_stats.json is always JSON). Example: --format parquet",
        ),
    ] = TableFormat.csv,
    flag_threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--flag-threshold",
            help="Override a flag threshold, NAME=VALUE (repeatable; names in "
            "docs/analysis.md). Example: --flag-threshold p_low=0.25",
        ),
    ] = None,
    thresholds_file: Annotated[
        Path | None,
        typer.Option(
            "--thresholds",
            help="YAML mapping of flag thresholds (applied before --flag-threshold). "
            "Example: --thresholds flags.yaml",
        ),
    ] = None,
    n_options: Annotated[
        int | None,
        typer.Option(
            "--n-options",
            help="Options per item in option_stats (default: highest option chosen or keyed). "
            "Example: --n-options 4",
        ),
    ] = None,
    bank: Annotated[
        Path | None,
        typer.Option(
            "--bank",
            help="Bank folder: its house configuration's [thresholds] and [severity] apply "
            "(before --thresholds and --flag-threshold), and flags found as findings point "
            "at the items' files. Example: --bank item_bank/",
        ),
    ] = None,
    findings_format: Annotated[
        FindingsFormat | None,
        typer.Option(
            "--findings-format",
            help="Also report the findings and every item flag (rules ANA, FLAG) in this "
            "format on stdout (or --findings-out), the summary then going to stderr: text, "
            "json, github, junit or sarif. Example: --findings-format sarif",
        ),
    ] = None,
    findings_out: Annotated[
        Path | None,
        typer.Option(
            "--findings-out",
            help="Write the --findings-format report to this file. "
            "Example: --findings-out analyze.sarif",
        ),
    ] = None,
    engine: Engine = EngineName.local,
    scheduler: Scheduler = None,
    chunk_rows: ChunkRows = None,
    force: Force = False,
    strict: Strict = False,
) -> None:
    """Classical item analysis, distractor analysis, reliability, decision consistency
    at a cut and DIF (Mantel-Haenszel, logistic regression). Writes item_stats, option_stats, test_stats.json,
    findings.json and (with --group) dif and/or dif_logistic into --out.

    Example: cehrs-items analyze responses.parquet --form form.json --out out/analysis --conversion conversion/FORM-A.csv --group gender --reference M --focal F
    """
    set_strict(strict)
    prepare_output(out, force=force, kind="dir")
    if findings_out is not None:
        prepare_output(findings_out, force=force)
    config = bank_house_config(bank) if bank is not None else HouseConfig()
    thresholds, problems = bank_thresholds(config)
    if thresholds_file is not None:
        thresholds = read_thresholds(thresholds_file, base=thresholds)
    thresholds = thresholds_from(flag_threshold or None, base=thresholds)
    result = run_analysis(
        responses,
        key=key,
        form=form,
        id_column=id_column,
        weight_column=weight_column,
        omit=omit.value,
        group=group,
        reference=reference,
        focal=focal,
        raw_cut=raw_cut,
        conversion=conversion,
        blueprint=blueprint,
        dif_purify=dif_purify,
        dif_methods=tuple(m.strip() for m in dif_method.split(",") if m.strip()),
        thresholds=thresholds,
        n_options=n_options,
        progress=lambda message: typer.echo(f"analyze: {message}", err=True),
        engine=engine.value,
        scheduler=scheduler,
        chunk_rows=chunk_rows,
    )
    written = write_outputs(result, out, fmt=fmt.value, force=force)
    report = analysis_report(
        result, source=str(responses), config=config, bank=bank, threshold_problems=problems
    )
    if findings_format is None:
        if report.quality:
            typer.echo(findings_text(report.quality), err=True)
        for path in written:
            typer.echo(f"wrote {path}", err=True)
        typer.echo(summary_text(result))
    else:
        rendered = REPORTERS[findings_format.value].render(
            report.findings,
            files=report.files,
            strict=strict,
            rules=report.rules,
            tool="cehrs-items analyze",
        )
        if findings_out is not None:
            write_files({findings_out: rendered}, force=force)
        else:
            typer.echo(rendered, nl=False)
        for path in [*written, *([findings_out] if findings_out is not None else [])]:
            typer.echo(f"wrote {path}", err=True)
        typer.echo(summary_text(result), err=True)
    code = report.exit_code(strict=strict)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
