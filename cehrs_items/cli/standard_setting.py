"""``cehrs-items standard-setting``: set the cut from a panel's judgements (one subcommand per method)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cehrs_items.cli.options import Force
from cehrs_items.io import prepare_output
from cehrs_items.standard_setting import (
    AngoffSettings,
    BookmarkSettings,
    StandardSettingRun,
    run_angoff,
    run_beuk,
    run_bookmark,
    run_hofstee,
    run_impact,
    write_run,
)

standard_app = typer.Typer(
    name="standard-setting",
    help=(
        "Set the cut score from a standard-setting panel: modified Angoff, Hofstee, Beuk or "
        "Bookmark, each writing a folder with cut.json (raw cut, theta cut, panel statistics) "
        "and tables; 'impact' shows the pass rate any cut implies. The panel files are CSV "
        "(schemas/standard_setting.md).\n\n"
        "Example: cehrs-items standard-setting angoff ratings.csv --form forms/BASE1.json --out standard/"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _out(example: str) -> object:
    return typer.Option(
        "--out",
        help=f"Folder to write cut.json and the tables into. Example: --out {example}",
    )


FormOpt = Annotated[
    Path | None,
    typer.Option(
        "--form",
        help="Form file: its scored items are the items rated / in the booklet, and its key "
        "scores --responses. Example: --form forms/BASE1.json",
        show_default=False,
    ),
]
ResponsesOpt = Annotated[
    Path | None,
    typer.Option(
        "--responses",
        help="Responses to the form (response-format contract): impact data, p-values and "
        "the observed score distribution. Example: --responses responses/BASE1.csv",
        show_default=False,
    ),
]
ScoresOpt = Annotated[
    Path | None,
    typer.Option(
        "--scores",
        help="Instead of --responses: a CSV with a 'raw' column per examinee (e.g. from "
        "'cehrs-items score'). Example: --scores scores/BASE1.csv",
        show_default=False,
    ),
]
GroupOpt = Annotated[
    str | None,
    typer.Option(
        "--group",
        help="Column of the responses/scores with group labels: impact by group. "
        "Example: --group group",
        show_default=False,
    ),
]
IdColumnOpt = Annotated[
    str,
    typer.Option(
        "--id-column",
        help="Examinee id column of the responses. Example: --id-column candidate",
    ),
]
ParamsOpt = Annotated[
    Path | None,
    typer.Option(
        "--params",
        help="Item parameters of the form's scored items: adds the theta cut (TCC). "
        "Example: --params bank_params.csv",
        show_default=False,
    ),
]
MaxScoreOpt = Annotated[
    int | None,
    typer.Option(
        "--max-score",
        help="Maximum raw score of the form when no --form is given. Example: --max-score 100",
        show_default=False,
    ),
]


def _render(run: StandardSettingRun, out: Path, force: bool) -> None:
    write_run(run, out, force=force)
    cut = run.cut
    if run.method == "impact":
        for c in cut["cuts"]:
            typer.echo(f"raw cut {c['raw_cut']:g}: pass rate {c['pass_rate']:.4f} (n = {c['n']})")
    else:
        line = f"{run.method}: raw cut {cut['raw_cut']:.3f} (lowest passing score {cut['raw_cut_whole']})"
        if cut.get("raw_cut_se") is not None:
            line += f", SE {cut['raw_cut_se']:.3f}"
        if cut.get("theta_cut") is not None:
            line += f"; theta cut {cut['theta_cut']:.3f}"
            if cut.get("theta_cut_se") is not None:
                line += f" (SE {cut['theta_cut_se']:.3f})"
        if cut.get("impact"):
            line += f"; pass rate {cut['impact']['pass_rate']:.4f}"
        typer.echo(line)
        for note in cut.get("notes", []):
            typer.echo(f"note: {note}", err=True)
    typer.echo(f"wrote {out}/", err=True)


@standard_app.command("angoff")
def angoff_cmd(
    ratings: Annotated[
        Path,
        typer.Argument(
            help="Ratings CSV: judge_id, item_id, round (optional), rating in [0, 1]. "
            "Example: ratings.csv",
            show_default=False,
        ),
    ],
    out: Annotated[Path, _out("standard/angoff")],
    form: FormOpt = None,
    params: Annotated[
        Path | None,
        typer.Option(
            "--params",
            help="Item parameters of the rated items: the theta cut through the TCC. "
            "Example: --params bank_params.csv",
            show_default=False,
        ),
    ] = None,
    responses: ResponsesOpt = None,
    p_values: Annotated[
        Path | None,
        typer.Option(
            "--p-values",
            help="Empirical p-values (item_id, p_value; e.g. item_stats.csv of 'analyze') "
            "instead of those from --responses. Example: --p-values analysis/item_stats.csv",
            show_default=False,
        ),
    ] = None,
    group: GroupOpt = None,
    id_column: IdColumnOpt = "examinee_id",
    yes_no: Annotated[
        bool,
        typer.Option(
            "--yes-no", help="Ratings are 0/1 or yes/no (Yes/No Angoff). Example: --yes-no"
        ),
    ] = False,
    judge_z_max: Annotated[
        float,
        typer.Option(
            "--judge-z-max",
            help="Flag a judge whose cut is more than this many SDs from the panel mean. "
            "Example: --judge-z-max 2.5",
        ),
    ] = 2.0,
    judge_r_min: Annotated[
        float,
        typer.Option(
            "--judge-r-min",
            help="Flag a judge whose ratings correlate below this with the p-values. "
            "Example: --judge-r-min 0.3",
        ),
    ] = 0.30,
    item_gap_max: Annotated[
        float,
        typer.Option(
            "--item-gap-max",
            help="Flag an item whose mean rating minus p-value is further than this from the "
            "panel's average difference. Example: --item-gap-max 0.2",
        ),
    ] = 0.20,
    force: Force = False,
) -> None:
    """Modified Angoff: per-judge cuts (sums of ratings), the panel mean, median, SD and
    SE per round, round-to-round change, ICC(2,1)/ICC(2,k) agreement, judges and items
    out of line with the empirical p-values, the theta cut via the TCC (--params) and
    the pass rate at the cut (--responses). Writes cut.json, judges.csv, items.csv,
    rounds.csv and impact.csv.

    Example: cehrs-items standard-setting angoff ratings.csv --form forms/BASE1.json --params bank_params.csv --responses responses/BASE1.csv --out standard/angoff
    """
    prepare_output(out, force=force, kind="dir")
    run = run_angoff(
        ratings,
        form=form,
        params=params,
        responses=responses,
        p_values=p_values,
        group=group,
        id_column=id_column,
        settings=AngoffSettings(
            yes_no=yes_no,
            judge_z_max=judge_z_max,
            judge_r_min=judge_r_min,
            item_gap_max=item_gap_max,
        ),
    )
    _render(run, out, force)


@standard_app.command("hofstee")
def hofstee_cmd(
    judgements: Annotated[
        Path,
        typer.Argument(
            help="Hofstee CSV: judge_id, round (optional), min_cut, max_cut (raw scores), "
            "min_fail, max_fail (proportions). Example: hofstee.csv",
            show_default=False,
        ),
    ],
    out: Annotated[Path, _out("standard/hofstee")],
    responses: ResponsesOpt = None,
    scores: ScoresOpt = None,
    form: FormOpt = None,
    max_score: MaxScoreOpt = None,
    params: ParamsOpt = None,
    group: GroupOpt = None,
    id_column: IdColumnOpt = "examinee_id",
    force: Force = False,
) -> None:
    """Hofstee compromise: the line from (mean minimum cut, mean maximum failure rate) to
    (mean maximum cut, mean minimum failure rate) meets the observed failure-rate curve.
    Writes cut.json, judges.csv, rounds.csv, curve.csv and impact.csv.

    Example: cehrs-items standard-setting hofstee hofstee.csv --responses responses/BASE1.csv --form forms/BASE1.json --out standard/hofstee
    """
    prepare_output(out, force=force, kind="dir")
    run = run_hofstee(
        judgements,
        responses=responses,
        scores=scores,
        form=form,
        max_score=max_score,
        group=group,
        id_column=id_column,
        params=params,
    )
    _render(run, out, force)


@standard_app.command("beuk")
def beuk_cmd(
    judgements: Annotated[
        Path,
        typer.Argument(
            help="Beuk CSV: judge_id, round (optional), cut (raw score), pass_rate "
            "(expected, proportion). Example: beuk.csv",
            show_default=False,
        ),
    ],
    out: Annotated[Path, _out("standard/beuk")],
    responses: ResponsesOpt = None,
    scores: ScoresOpt = None,
    form: FormOpt = None,
    max_score: MaxScoreOpt = None,
    params: ParamsOpt = None,
    group: GroupOpt = None,
    id_column: IdColumnOpt = "examinee_id",
    force: Force = False,
) -> None:
    """Beuk compromise: the line through the judges' mean cut and mean expected pass rate,
    with slope SD(pass rate)/SD(cut), meets the observed pass-rate curve. Writes cut.json,
    judges.csv, rounds.csv, curve.csv and impact.csv.

    Example: cehrs-items standard-setting beuk beuk.csv --scores scores/BASE1.csv --max-score 100 --out standard/beuk
    """
    prepare_output(out, force=force, kind="dir")
    run = run_beuk(
        judgements,
        responses=responses,
        scores=scores,
        form=form,
        max_score=max_score,
        group=group,
        id_column=id_column,
        params=params,
    )
    _render(run, out, force)


class GuessingKind(StrEnum):
    include = "include"
    exclude = "exclude"


class LocationKind(StrEnum):
    at = "at"
    before = "before"
    midpoint = "midpoint"


class CenterKind(StrEnum):
    mean = "mean"
    median = "median"


@standard_app.command("bookmark")
def bookmark_cmd(
    bookmarks: Annotated[
        Path,
        typer.Argument(
            help="Bookmark CSV: judge_id, round (optional), page (1 = easiest item of the "
            "ordered booklet). Example: bookmarks.csv",
            show_default=False,
        ),
    ],
    params: Annotated[
        Path,
        typer.Option(
            "--params",
            help="Item parameters (item_id, a, b, c, d) of the booklet's items. "
            "Example: --params bank_params.csv",
        ),
    ],
    out: Annotated[Path, _out("standard/bookmark")],
    form: FormOpt = None,
    responses: ResponsesOpt = None,
    group: GroupOpt = None,
    id_column: IdColumnOpt = "examinee_id",
    rp: Annotated[
        float,
        typer.Option(
            "--rp", help="Response probability of mastery (0 < RP < 1). Example: --rp 0.5"
        ),
    ] = 0.67,
    guessing: Annotated[
        GuessingKind,
        typer.Option(
            "--guessing",
            help="include: solve the full 3PL P = RP (items with c >= RP are refused); "
            "exclude: apply RP above guessing, (P - c)/(1 - c) = RP. Example: --guessing exclude",
        ),
    ] = GuessingKind.include,
    location: Annotated[
        LocationKind,
        typer.Option(
            "--location",
            help="Theta of a bookmark on page p: at = RP location of page p's item; before = "
            "of page p-1; midpoint = halfway. Example: --location midpoint",
        ),
    ] = LocationKind.at,
    center: Annotated[
        CenterKind,
        typer.Option(
            "--center",
            help="Panel cut = mean or median of the judges' theta cuts. Example: --center median",
        ),
    ] = CenterKind.mean,
    force: Force = False,
) -> None:
    """Bookmark: builds the ordered item booklet at RP, turns each judge's page into a theta
    cut, and gives the panel's theta cut with its SE across judges per round and the raw
    cut by the form's TCC. Writes cut.json, booklet.csv, judges.csv, rounds.csv and
    impact.csv (with --responses).

    Example: cehrs-items standard-setting bookmark bookmarks.csv --params bank_params.csv --form forms/BASE1.json --out standard/bookmark
    """
    prepare_output(out, force=force, kind="dir")
    run = run_bookmark(
        bookmarks,
        params=params,
        form=form,
        responses=responses,
        group=group,
        id_column=id_column,
        settings=BookmarkSettings(
            rp=rp, guessing=guessing.value, location=location.value, center=center.value
        ),
    )
    _render(run, out, force)


@standard_app.command("impact")
def impact_cmd(
    out: Annotated[Path, _out("standard/impact")],
    standard: Annotated[
        Path | None,
        typer.Option(
            "--standard",
            help="cut.json (or its folder) from a standard-setting method. "
            "Example: --standard standard/angoff/cut.json",
            show_default=False,
        ),
    ] = None,
    raw_cut: Annotated[
        list[float] | None,
        typer.Option(
            "--raw-cut",
            help="A raw cut to evaluate (repeat for several). Example: --raw-cut 68 --raw-cut 70",
            show_default=False,
        ),
    ] = None,
    responses: ResponsesOpt = None,
    scores: ScoresOpt = None,
    form: FormOpt = None,
    max_score: MaxScoreOpt = None,
    group: GroupOpt = None,
    id_column: IdColumnOpt = "examinee_id",
    force: Force = False,
) -> None:
    """Impact: the pass rate each cut implies on the given scores, overall and by group,
    and the failure/pass rate at every whole cut 0..K. Writes impact.json, impact.csv and
    curve.csv.

    Example: cehrs-items standard-setting impact --standard standard/angoff --responses responses/BASE1.csv --form forms/BASE1.json --group group --out standard/impact
    """
    prepare_output(out, force=force, kind="dir")
    run = run_impact(
        standard=standard,
        raw_cuts=raw_cut or (),
        responses=responses,
        scores=scores,
        form=form,
        max_score=max_score,
        group=group,
        id_column=id_column,
    )
    _render(run, out, force)


def register(app: typer.Typer) -> None:
    app.add_typer(standard_app, name="standard-setting")
