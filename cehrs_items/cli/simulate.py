"""``cehrs-items simulate``: synthetic statistics, banks and responses.

Each sub-command parses its options, calls one library function of
:mod:`cehrs_items.simulate` and prints what was written (stdout); progress goes to stderr.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.cli.options import DEFAULT_BANK_HELP, Force, Seed, bank_or_default
from cehrs_items.simulate.bank import simulate_bank
from cehrs_items.simulate.responses import BLOCK_SIZE, parse_assignments, simulate_responses
from cehrs_items.simulate.stats import (
    DEFAULT_ADMINISTRATION_DATE,
    DEFAULT_FORM_ID,
    DEFAULT_N_PRETEST,
    DEFAULT_N_SCORED,
    DEFAULT_THETA_SCALE,
    simulate_stats,
)

simulate_app = typer.Typer(
    name="simulate",
    help=(
        "Synthetic data: the bank's statistics table, whole synthetic banks for scale tests, "
        "and responses with their ground truth.\n\n"
        "Example: cehrs-items simulate responses --form item_bank/ --examinees 5000 --seed 1 "
        "--out responses.parquet"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)


class SpeededModeName(StrEnum):
    omit = "omit"
    guess = "guess"


def _say(message: str) -> None:
    typer.echo(message, err=True)


@simulate_app.command("stats")
def stats(
    seed: Seed,
    bank: Annotated[
        Path,
        typer.Option(
            "--bank", help="Bank directory (items/ and blueprint.yaml). Example: --bank item_bank/"
        ),
    ] = Path("item_bank"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Statistics table to write (default: <bank>/stats/item_stats.csv). "
            "Example: --out item_bank/stats/item_stats.csv",
        ),
    ] = None,
    blueprint: Annotated[
        Path | None,
        typer.Option(
            "--blueprint",
            help="Blueprint YAML giving the form length (default: <bank>/blueprint.yaml). "
            "Example: --blueprint item_bank/blueprint.yaml",
        ),
    ] = None,
    form_id: Annotated[
        str, typer.Option("--form-id", help="Form label of the rows. Example: --form-id SYNTH-2026")
    ] = DEFAULT_FORM_ID,
    administration_date: Annotated[
        str,
        typer.Option(
            "--administration-date",
            help="Date label of the rows, YYYY-MM-DD. Example: --administration-date 2026-12-31",
        ),
    ] = DEFAULT_ADMINISTRATION_DATE,
    theta_scale: Annotated[
        str,
        typer.Option(
            "--theta-scale", help="Name of the ability scale. Example: --theta-scale cehrs-bank"
        ),
    ] = DEFAULT_THETA_SCALE,
    n_scored: Annotated[
        int,
        typer.Option(
            "--n-scored", help="n of operational and retired rows. Example: --n-scored 1800"
        ),
    ] = DEFAULT_N_SCORED,
    n_pretest: Annotated[
        int, typer.Option("--n-pretest", help="n of pretest rows. Example: --n-pretest 500")
    ] = DEFAULT_N_PRETEST,
    force: Force = False,
) -> None:
    """Write the bank's synthetic statistics table (source=synthetic).

    Draws 3PL parameters (logistic metric, d=1) for every operational, pretest and
    retired item -- one random stream per item, so items keep their parameters as the
    bank grows -- and writes rows whose p-value and point-biserial are the values the
    parameters imply at theta ~ N(0, 1). Draft and review items get no row. With --force
    an existing table keeps its other rows (analysis, calibration, other forms).

    Example: cehrs-items simulate stats --bank item_bank/ --seed 2026 --out
    item_bank/stats/item_stats.csv --force
    """
    result = simulate_stats(
        bank,
        seed=seed,
        out=out,
        blueprint=blueprint,
        form_id=form_id,
        administration_date=administration_date,
        theta_scale=theta_scale,
        n_scored=n_scored,
        n_pretest=n_pretest,
        force=force,
    )
    profile = result.stats.summary()
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    typer.echo(
        f"wrote {result.path}: {profile['rows']} synthetic rows for form {form_id} "
        f"(bank items: {counts}); kept {result.kept_rows} other rows"
    )
    p, r, c = profile["p_value"], profile["item_total_r"], profile["c"]
    typer.echo(
        f"p-value mean {p['mean']:.3f} ({p['min']:.2f}-{p['max']:.2f}); point-biserial mean "
        f"{r['mean']:.3f} ({r['min']:.2f}-{r['max']:.2f}); c mean {c['mean']:.3f}"
    )


@simulate_app.command("bank")
def bank(
    items: Annotated[
        int, typer.Option("--items", help="Number of items to generate. Example: --items 10000")
    ],
    seed: Seed,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="New directory for the bank. Example: --out /tmp/synthetic-bank"
        ),
    ],
    blueprint: Annotated[
        Path | None,
        typer.Option(
            "--blueprint",
            help="Blueprint YAML spreading the items (copied into the bank) "
            f"{DEFAULT_BANK_HELP.replace('default', 'default: the blueprint.yaml of')}. "
            "Example: --blueprint item_bank/blueprint.yaml",
            show_default=False,
        ),
    ] = None,
    pretest_share: Annotated[
        float | None,
        typer.Option(
            "--pretest-share",
            help="Share of pretest items (default: the blueprint's pretest/total, 0.2). "
            "Example: --pretest-share 0.25",
        ),
    ] = None,
    enemy_pairs: Annotated[
        int | None,
        typer.Option(
            "--enemy-pairs",
            help="Enemy pairs to declare (default: one per 100 items). Example: --enemy-pairs 5",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace --out if it holds a bank written by this command. Example: --force",
        ),
    ] = False,
) -> None:
    """Generate a synthetic bank of schema-valid items with its statistics table.

    Items are spread over the blueprint's domains and subdomains, keys are balanced, a
    few enemy pairs are declared, about a fifth are pretest items; every item is marked
    synthetic. Writes items/<domain>/<id>.yaml, blueprint.yaml, stats/item_stats.csv and
    simulation.json, all at once.

    Example: cehrs-items simulate bank --items 10000 --seed 1 --out /tmp/synthetic-bank
    """
    result = simulate_bank(
        items,
        seed=seed,
        out=out,
        blueprint=blueprint if blueprint is not None else bank_or_default(None) / "blueprint.yaml",
        pretest_share=pretest_share,
        enemy_pairs=enemy_pairs,
        force=force,
        progress=_say if items >= 2000 else None,
    )
    counts = result.settings["counts"]
    typer.echo(
        f"wrote {result.out}: {counts['items']} items ({counts['operational']} operational, "
        f"{counts['pretest']} pretest), {counts['enemy_pairs']} enemy pairs, "
        f"{result.n_files} files"
    )


@simulate_app.command("responses")
def responses(
    form: Annotated[
        Path,
        typer.Option(
            "--form",
            help="Form JSON, or a bank directory (its operational and pretest items). "
            "Example: --form forms/F1.json",
        ),
    ],
    examinees: Annotated[
        int, typer.Option("--examinees", help="Number of examinees. Example: --examinees 100000")
    ],
    seed: Seed,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Response file, .csv or .parquet; truth files go beside it. "
            "Example: --out responses.parquet",
        ),
    ],
    bank: Annotated[
        Path,
        typer.Option(
            "--bank",
            help="Bank holding the form's items and statistics table (not used when --form "
            f"is a bank directory) {DEFAULT_BANK_HELP}. Example: --bank item_bank/",
            show_default=False,
        ),
    ] = None,
    params: Annotated[
        Path | None,
        typer.Option(
            "--params",
            help="Parameter file (item_id,a,b,c[,d]) used instead of the statistics table. "
            "Example: --params params.csv",
        ),
    ] = None,
    mean: Annotated[float, typer.Option("--mean", help="Mean of theta. Example: --mean 0.2")] = 0.0,
    sd: Annotated[float, typer.Option("--sd", help="SD of theta. Example: --sd 1.1")] = 1.0,
    omit_rate: Annotated[
        float,
        typer.Option(
            "--omit-rate", help="Probability a response is omitted. Example: --omit-rate 0.01"
        ),
    ] = 0.0,
    groups: Annotated[
        str | None,
        typer.Option(
            "--groups",
            help="Groups and shares, reference first; later groups are focal. "
            "Example: --groups ref=0.7,focal=0.3",
        ),
    ] = None,
    group_column: Annotated[
        str,
        typer.Option(
            "--group-column", help="Name of the group column. Example: --group-column sex"
        ),
    ] = "group",
    impact: Annotated[
        float,
        typer.Option(
            "--impact", help="Added to the focal groups' theta mean. Example: --impact -0.3"
        ),
    ] = 0.0,
    dif: Annotated[
        list[str] | None,
        typer.Option(
            "--dif",
            help="ITEM=SHIFT: add SHIFT to b for the focal groups (repeatable). "
            "Example: --dif CO-0012=0.8",
        ),
    ] = None,
    speeded_items: Annotated[
        int,
        typer.Option(
            "--speeded-items",
            help="The last K items (by position) are affected by speededness. "
            "Example: --speeded-items 10",
        ),
    ] = 0,
    speeded_share: Annotated[
        float,
        typer.Option(
            "--speeded-share",
            help="Share of examinees who run out of time. Example: --speeded-share 0.05",
        ),
    ] = 0.0,
    speeded_mode: Annotated[
        SpeededModeName,
        typer.Option(
            "--speeded-mode",
            help="What speeded examinees do with the last items. Example: --speeded-mode guess",
        ),
    ] = SpeededModeName.omit,
    id_prefix: Annotated[
        str,
        typer.Option(
            "--id-prefix",
            help="Text before the row number in examinee ids (use a different prefix per "
            "file when pooling files). Example: --id-prefix B03-",
        ),
    ] = "E",
    force: Force = False,
) -> None:
    """Simulate option-letter responses from the items' 3PL parameters.

    theta ~ N(mean, sd); a correct answer with the 3PL probability, otherwise a
    distractor by per-item Dirichlet weights; omits, groups with DIF and impact, and
    speededness as chosen. Writes the responses (schemas/responses.md) and, beside them,
    <stem>_truth.parquet (abilities), <stem>_items.csv (parameters, key, distractor
    weights) and <stem>_simulation.json (settings). Same seed, same bytes.

    Example: cehrs-items simulate responses --form item_bank/ --examinees 5000 --seed 1
    --out responses.parquet
    """
    group_pairs = parse_assignments([groups], option="--groups") if groups else ()
    dif_pairs = parse_assignments(dif or [], option="--dif")

    def progress(done: int, total: int) -> None:
        if total > 4 * BLOCK_SIZE:
            _say(f"simulated {done:,} of {total:,} examinees")

    result = simulate_responses(
        form,
        out=out,
        examinees=examinees,
        seed=seed,
        bank=bank_or_default(bank) if not Path(form).is_dir() else (bank or Path("item_bank")),
        params=params,
        theta_mean=mean,
        theta_sd=sd,
        omit_rate=omit_rate,
        groups=group_pairs,
        group_column=group_column,
        impact=impact,
        dif=dif_pairs,
        speeded_items=speeded_items,
        speeded_share=speeded_share,
        speeded_mode=speeded_mode.value,
        id_prefix=id_prefix,
        force=force,
        progress=progress,
    )
    data = result.data
    typer.echo(
        f"wrote {result.responses_path}: {data.responses.height} examinees x "
        f"{data.items.height} items"
    )
    typer.echo(
        f"truth: {result.truth_path.name}, {result.items_path.name}, {result.settings_path.name}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(simulate_app, name="simulate")
