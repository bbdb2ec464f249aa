"""``cehrs-items assemble``: parallel forms by optimisation; parse options, call the library, render."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.assembly import AssemblySettings, assemble_forms
from cehrs_items.assembly.constraints import DEFAULT_THETAS
from cehrs_items.cli.options import DEFAULT_BANK_HELP, BlueprintPath, Force, OutDir, bank_or_default
from cehrs_items.io import prepare_output


class Target(StrEnum):
    auto = "auto"
    base = "base"
    cut = "cut"


class Statistic(StrEnum):
    auto = "auto"
    irt = "irt"
    classical = "classical"
    none = "none"


class Method(StrEnum):
    auto = "auto"
    sequential = "sequential"
    simultaneous = "simultaneous"


def assemble(
    out: OutDir,
    bank: Annotated[
        Path,
        typer.Option(
            "--bank",
            help=f"Bank directory (with items/ and stats/) {DEFAULT_BANK_HELP}. "
            "Example: --bank item_bank/",
            show_default=False,
        ),
    ] = None,
    blueprint: BlueprintPath = None,
    forms: Annotated[
        int, typer.Option("--forms", min=1, help="Number of forms K. Example: --forms 4")
    ] = 1,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            help="Seed of the tie-break and the position order (recorded in the forms); the "
            "same inputs and seed give byte-identical forms. Example: --seed 2026",
        ),
    ] = 0,
    form_id_prefix: Annotated[
        str,
        typer.Option(
            "--form-id-prefix",
            help="Form ids are this prefix plus a number (F1, F2, ...). Example: --form-id-prefix 2026A-",
        ),
    ] = "F",
    form_ids: Annotated[
        str | None,
        typer.Option(
            "--form-ids",
            help="Comma-separated form ids, one per form (instead of the prefix). "
            "Example: --form-ids SPRING,SUMMER",
        ),
    ] = None,
    max_exposure: Annotated[
        int | None,
        typer.Option(
            "--max-exposure",
            min=1,
            help="Most forms one item may appear on (default: all K). Example: --max-exposure 2",
        ),
    ] = None,
    max_overlap: Annotated[
        int | None,
        typer.Option(
            "--max-overlap",
            min=0,
            help="Most scored items two forms may share (default: 20% of the scored items). "
            "Example: --max-overlap 15",
        ),
    ] = None,
    anchor_form: Annotated[
        Path | None,
        typer.Option(
            "--anchor-form",
            help="Existing base form (JSON): every new form shares --anchor-items scored items "
            "with it for common-item equating, and its TIF is the default target. "
            "Example: --anchor-form forms/BASE.json",
        ),
    ] = None,
    anchor_items: Annotated[
        int | None,
        typer.Option(
            "--anchor-items",
            min=0,
            help="Common items per form with the anchor form, split over domains in "
            "blueprint proportion (default: 20% of the scored items; 0: none shared). "
            "Example: --anchor-items 25",
        ),
    ] = None,
    target: Annotated[
        Target,
        typer.Option(
            "--target",
            help="base: match the anchor form's TIF at --theta points; cut: the most "
            "information all forms can share at the passing score's theta; auto: base "
            "with --anchor-form, else cut. Example: --target cut",
        ),
    ] = Target.auto,
    statistic: Annotated[
        Statistic,
        typer.Option(
            "--statistic",
            help="irt (information from a, b, c), classical (sum of p-values and of "
            "point-biserials), none (blueprint only) or auto (irt when the bank has IRT "
            "parameters). Example: --statistic classical",
        ),
    ] = Statistic.auto,
    theta: Annotated[
        list[float] | None,
        typer.Option(
            "--theta",
            help="Theta point of the base target; repeat for several "
            f"(default: {', '.join(f'{t:g}' for t in DEFAULT_THETAS)}). With --target cut, "
            "the forms' TIF is also matched at the points given (slower). "
            "Example: --theta -1 --theta 0",
        ),
    ] = None,
    theta_cut: Annotated[
        float | None,
        typer.Option(
            "--theta-cut",
            help="Theta of the passing score (default: from the blueprint's raw cut on the "
            "anchor form's, or the pool's average, characteristic curve). Example: --theta-cut -0.3",
        ),
    ] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(
            "--tolerance",
            min=0.0,
            help="Hard limit on the relative deviation from the target (base), or on how far "
            "a form may exceed the common level (cut); default: none, the deviation is only "
            "minimised. Example: --tolerance 0.02",
        ),
    ] = None,
    method: Annotated[
        Method,
        typer.Option(
            "--method",
            help="simultaneous: one exact model for all forms (slow beyond a few forms); "
            "sequential: one form at a time against the fixed target (for the cut target, "
            "the common level from an LP), then pairwise repair; auto: sequential for "
            "several forms, else simultaneous. Example: --method simultaneous",
        ),
    ] = Method.auto,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            min=1.0,
            help="Solver time limit per solve, seconds. Example: --time-limit 120",
        ),
    ] = 60.0,
    mip_rel_gap: Annotated[
        float,
        typer.Option(
            "--mip-rel-gap", min=0.0, help="HiGHS relative MIP gap. Example: --mip-rel-gap 0.001"
        ),
    ] = 1e-3,
    mip_abs_gap: Annotated[
        float,
        typer.Option(
            "--mip-abs-gap",
            min=0.0,
            help="HiGHS absolute MIP gap on the relative-deviation objective (0.005: within "
            "half a percent of the best). Example: --mip-abs-gap 0.01",
        ),
    ] = 5e-3,
    force: Force = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress messages on stderr. Example: -q")
    ] = False,
) -> None:
    """Assemble K blueprint-conformant parallel forms with pretest slots by mixed-integer
    programming (SciPy milp / HiGHS) and write DIR/<form_id>.json for each (contract
    schemas/form.schema.json), plus a summary on stdout. Constraints come from the
    blueprint and the options: domain and subdomain counts, operational items only as
    scored, pretest slots per domain spread through the form, enemies, exposure, pairwise
    overlap, anchors, key balance and runs; the forms' information matches the target as
    a minimax objective. Exit 0; 1 when no set of forms exists (the reason in blueprint
    terms on stderr, nothing written); 2 for unreadable input or bad options.

    Example: cehrs-items assemble --bank item_bank/ --forms 4 --seed 7 --out forms/
    """

    def progress(message: str) -> None:
        if not quiet:
            typer.echo(message, err=True)

    prepare_output(out, force=force, kind="dir")
    settings = AssemblySettings(
        n_forms=forms,
        seed=seed,
        form_ids=tuple(s.strip() for s in form_ids.split(",")) if form_ids else None,
        form_id_prefix=form_id_prefix,
        max_exposure=max_exposure,
        max_overlap=max_overlap,
        anchor_items=anchor_items,
        target=target.value,
        statistic=statistic.value,
        thetas=tuple(theta) if theta else None,
        theta_cut=theta_cut,
        tolerance=tolerance,
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
        mip_abs_gap=mip_abs_gap,
        method=method.value,
    )
    result = assemble_forms(
        bank_or_default(bank), blueprint, settings, anchor_form=anchor_form, progress=progress
    )
    paths = result.write(out, force=force)
    progress(f"done in {result.seconds:.1f} s")
    typer.echo(result.render_text(), nl=False)
    typer.echo(f"wrote {len(paths)} form(s) to {out}")


def register(app: typer.Typer) -> None:
    app.command("assemble")(assemble)
