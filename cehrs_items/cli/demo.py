"""``cehrs-items demo``: the whole exam cycle on the shipped bank, in one command."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.cli.options import DEFAULT_BANK_HELP, Force, bank_or_default


def demo(
    out: Annotated[Path, typer.Option("--out", help="Directory to write every output into.")],
    seed: Annotated[
        int, typer.Option("--seed", help="Seed for assembly and simulation (recorded).")
    ] = 2026,
    bank: Annotated[
        Path | None,
        typer.Option(
            "--bank",
            help=f"Item bank directory with blueprint and statistics {DEFAULT_BANK_HELP}.",
            show_default=False,
        ),
    ] = None,
    examinees: Annotated[
        int,
        typer.Option(
            "--examinees",
            help="Examinees in total, split over the two forms (2024: 1,834; at least 400). "
            "Example: --examinees 1000",
        ),
    ] = 1834,
    force: Force = False,
) -> None:
    """Run the full exam cycle on the shipped bank: validate, assemble a base and a new form
    with anchor and pretest items, simulate both administrations, analyse, calibrate the
    pretest items onto the bank scale, equate, build the conversions, score and report.

    Example: cehrs-items demo --out demo-out --seed 2026
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from cehrs_items.demo import STEPS, run_demo

    bank = bank_or_default(bank)

    console = Console(stderr=True)
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("starting", total=len(STEPS))

        def progress(number: int, name: str) -> None:
            bar.update(task, completed=number - 1, description=f"{number}/{len(STEPS)} {name}")
            if not console.is_terminal:
                console.print(f"[{number}/{len(STEPS)}] {name}", highlight=False)

        result = run_demo(
            out, bank=bank, seed=seed, examinees=examinees, force=force, progress=progress
        )
        bar.update(task, completed=len(STEPS), description="done")
    elapsed = time.perf_counter() - started
    s = result.summary
    lines = [
        f"demo finished in {elapsed:.1f} s; wrote {len(result.files)} files into {result.out}:",
        *[f"  {name}" for name in result.files],
        "",
        f"examinees: {s['simulation']['examinees']['BASE']} on BASE, "
        f"{s['simulation']['examinees']['NEW']} on NEW",
        f"pass rate: {s['pass_rate']['all']:.2%} overall "
        f"(BASE {s['pass_rate']['BASE']:.2%}, NEW {s['pass_rate']['NEW']:.2%}; "
        f"target {s['simulation']['target_pass_rate']:.2%})",
        f"reliability (KR-20): BASE {s['reliability']['BASE']:.4f}, "
        f"NEW {s['reliability']['NEW']:.4f}",
        f"equating: {s['equating']['method']} (compared: {', '.join(s['equating']['compared'])}); "
        f"raw cut BASE {s['equating']['raw_cut_base']:g}, NEW {s['equating']['raw_cut_new']} "
        f"(IRT true-score criterion with the bank parameters: "
        f"{s['equating']['raw_cut_new_irt_true_bank_parameters']})",
        f"report: {result.out / 'report.html'} (every file: {result.out / 'index.html'})",
    ]
    ss = s.get("standard_setting")
    if ss:
        lines.insert(
            -1,
            f"standard setting: simulated Angoff panel recommends raw cut {ss['raw_cut']:.2f} "
            f"(SE {ss['raw_cut_se']:.2f}, ICC(2,k) {ss['icc2_k']:.3f}); the blueprint's raw cut "
            f"is {ss['blueprint_raw_cut']:g}",
        )
    typer.echo("\n".join(lines))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
