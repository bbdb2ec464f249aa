"""The whole exam cycle on the shipped bank, in one call: ``cehrs-items demo``.

Steps, each a public library call the README's tour also runs as a command:

1. validate the bank (schema, bank rules, item-writing lint);
2. assemble a base form and a new form sharing anchor items, both with pretest slots;
3. simulate one administration of each form, like the 2024 CEHRS volume (1,834 examinees
   in total), with the ability mean solved so that the base form's expected pass rate at
   the blueprint's raw cut is NHA's reported 68.81%; the new form's group is a little
   abler (non-equivalent groups) and one of its scored items carries simulated DIF;
4. analyse the base form (classical statistics, distractors, reliability, decisions, DIF);
5. calibrate the new form's pretest items onto the bank scale, holding its operational
   items at their bank parameters (fixed-anchor calibration);
6. equate the new form to the base form through the anchor items (several common-item
   methods side by side; Tucker linear is the one carried forward: the groups differ
   little, and a linear method is the steadier choice at about 900 examinees a form),
   and, as a criterion, IRT true-score equating with the bank parameters the responses
   were generated from;
7. simulate the standard-setting panel behind the base form's raw cut (modified Angoff,
   10 judges, 2 rounds) and build both forms' raw-to-scale conversions (390 at the base
   form's raw cut);
8. analyse the new form at its own raw cut, read from its conversion (the base form was
   analysed at the blueprint's raw cut); score every examinee;
9. write the HTML report and the workbook for the new form, and ``index.html``, which
   lists every output file with one line on what it holds.

Everything is written into a staging directory beside ``out`` and moved into place only
when every step has succeeded, so a failed run leaves no partial output. Same inputs and
seed give the same bytes (timings are returned, never written).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import brentq

from cehrs_items.errors import CheckFailed, InputError

PASS_RATE_2024 = 0.6881
"""NHA's reported 2024 CEHRS pass rate (../shared/CEHRS.md): the demo's calibration target."""
EXAMINEES_2024 = 1834
"""CEHRS exams delivered in 2024 (../shared/CEHRS.md): the demo's total volume."""
MIN_EXAMINEES = 400
"""The smallest demo, 200 examinees a form: with 100 a form (seed 7) the anchored 3PL
calibration of the 25 pretest items did not converge in 500 cycles."""

Progress = Callable[[int, str], None]

BOOTSTRAP_REPLICATIONS = 200
"""Bootstrap replications behind the standard errors of the compared equating methods."""

FILE_DESCRIPTIONS: tuple[tuple[str, str], ...] = (
    ("index.html", "This page: every file of the run and what it holds."),
    ("report.html", "The psychometric report of the new form (open this first)."),
    ("report.xlsx", "The report's tables as a workbook, one sheet per table."),
    ("summary.json", "Headline figures of the run (pass rates as proportions, raw cuts)."),
    (
        "manifest.json",
        "The run's record: command, inputs with SHA-256, seed, every file's SHA-256.",
    ),
    ("validation.json", "Findings of validating the bank (schema, bank rules, lint)."),
    ("forms/*.json", "An assembled form: positions, items, keys, roles, anchors."),
    ("responses/*_items.csv", "Generating item parameters used for the simulation."),
    ("responses/*_simulation.json", "Settings of the simulated administration."),
    ("responses/*_truth.parquet", "Each simulee's true ability (for checking recovery)."),
    ("responses/*.csv", "Simulated responses (option letters, one row per examinee)."),
    ("analysis/*/item_stats.csv", "Classical item statistics and review flags."),
    ("analysis/*/option_stats.csv", "Distractor analysis: every option by score group."),
    ("analysis/*/test_stats.json", "Test, domain, pretest, split-half and decision statistics."),
    ("analysis/*/dif.csv", "Mantel-Haenszel DIF with its 95% interval and ETS category."),
    ("analysis/*/findings.json", "Data-quality notes of the analysis."),
    ("calibration/bank_params.csv", "The bank's item parameters (the anchors' fixed values)."),
    ("calibration/*_params.csv", "Calibrated parameters: pretest estimated, anchors fixed."),
    ("calibration/*_calibration.json", "Calibration settings and convergence."),
    ("equating/NEW_to_BASE.csv", "The chosen equating (Tucker) with analytic SEs."),
    ("equating/NEW_to_BASE.json", "Settings and moments of the chosen equating."),
    ("equating/compare.csv", "Every compared method side by side, with bootstrap SEs."),
    ("equating/compare.json", "Settings, SEs and largest differences of the comparison."),
    ("equating/irt_true_bank_parameters.csv", "IRT true-score criterion equating."),
    ("conversion/*.csv", "Raw-to-scale conversion of a form (equated, scaled, pass)."),
    ("conversion/*.json", "How the conversion was built; its raw cut."),
    ("scores/*.csv", "Every examinee's raw, scaled and domain scores and pass/fail."),
    ("scores/*.json", "Score summary of a form (pass rate, means)."),
    ("standard/ratings.csv", "Simulated Angoff ratings: 10 judges x base-form items x 2 rounds."),
    ("standard/angoff/cut.json", "The panel's recommended raw and theta cut, SE, agreement."),
    (
        "standard/angoff/judges.csv",
        "Each judge's cut per round, change, outlier and p-value flags.",
    ),
    ("standard/angoff/items.csv", "Item mean ratings beside the empirical p-values."),
    ("standard/angoff/rounds.csv", "Panel mean, median, SD, SE and ICC per round."),
    ("standard/angoff/impact.csv", "Pass rate at the panel's cut, overall and by group."),
    ("manifest.json", "Every file of the run with its size and checksum."),
    ("*/manifest.json", "The files of this folder with their sizes and checksums."),
)
"""One line per output file (glob patterns, first match wins) for the index page."""


def describe(path: str) -> str:
    """The index's one-line description of an output file (by :data:`FILE_DESCRIPTIONS`)."""
    from fnmatch import fnmatch

    for pattern, text in FILE_DESCRIPTIONS:
        if fnmatch(path, pattern):
            return text
    return ""


def index_html(files: list[str]) -> str:
    """The output folder's index page: every file, linked, with one line on what it holds."""
    from html import escape

    rows = "\n".join(
        f'<tr><td><a href="{escape(f)}">{escape(f)}</a></td><td>{escape(describe(f))}</td></tr>'
        for f in sorted(files)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>CEHRS demo output</title>\n<style>body{font:14px/1.45 system-ui,Arial,"
        "sans-serif;margin:24px;color:#1d2733}td{padding:3px 12px 3px 0;vertical-align:top}"
        "a{color:#1b6ca8}</style>\n</head>\n<body>\n<h1>CEHRS demo output</h1>\n"
        '<p>Start with the <a href="report.html">report</a> (tables also in '
        '<a href="report.xlsx">report.xlsx</a>). Every file of the run:</p>\n'
        f"<table>\n<thead><tr><th>file</th><th>what it holds</th></tr></thead>\n<tbody>\n{rows}\n"
        "</tbody>\n</table>\n</body>\n</html>\n"
    )


@dataclass
class DemoResult:
    """What the demo wrote (paths relative to ``out``), its headline figures and timings."""

    out: Path
    files: list[str]
    summary: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


def expected_pass_rate(
    params: pl.DataFrame, items: list[str], raw_cut: float, mean: float, sd: float = 1.0
) -> float:
    """Model-implied share of examinees with raw score >= ``raw_cut`` when theta ~ N(mean, sd).

    The summed-score distribution at each ability comes from the Lord-Wingersky recursion
    (Lord & Wingersky 1984) under the items' 3PL parameters; the ability distribution is
    integrated on an even grid of 121 points over mean +/- 6 SD.
    """
    from cehrs_items.irt.fit import lord_wingersky
    from cehrs_items.irt.models import probability

    sub = params.filter(pl.col("item_id").is_in(items))
    if sub.height != len(items):
        missing = sorted(set(items) - set(sub["item_id"].to_list()))
        raise InputError(f"no bank parameters for item(s) {', '.join(missing[:5])}")
    z = np.linspace(-6.0, 6.0, 121)
    weights = np.exp(-0.5 * z**2)
    weights /= weights.sum()
    theta = mean + sd * z
    p = probability(
        theta, sub["a"].to_numpy(), sub["b"].to_numpy(), sub["c"].to_numpy(), d=float(sub["d"][0])
    )
    dist = lord_wingersky(p)  # (nodes, n_items + 1)
    passing = dist[:, int(np.ceil(raw_cut)) :].sum(axis=1)
    return float(weights @ passing)


def solve_ability_mean(
    params: pl.DataFrame, items: list[str], raw_cut: float, pass_rate: float, sd: float = 1.0
) -> float:
    """The ability mean at which the expected pass rate on ``items`` equals ``pass_rate``."""
    return float(
        brentq(
            lambda m: expected_pass_rate(params, items, raw_cut, m, sd) - pass_rate,
            -4.0,
            4.0,
            xtol=1e-8,
        )
    )


def _responses(stage: Path, form_id: str):
    """A form's simulated responses, named by their path inside the output directory (so
    findings name ``responses/NEW.csv``, not the staging directory)."""
    import dataclasses

    from cehrs_items.responses import read_responses

    rel = f"responses/{form_id}.csv"
    return dataclasses.replace(read_responses(stage / rel), source=rel)


def _write_all(folder: Path, files: dict[str, str] | dict[str, bytes]) -> None:
    """Files into a folder of the demo's stage (the stage as a whole gets the manifest)."""
    from cehrs_items.io import atomic_write

    for name, data in sorted(files.items()):
        atomic_write(folder / name, data)


EQUATING_METHODS = (
    "tucker",
    "levine-observed",
    "chained-linear",
    "frequency-estimation",
    "chained-equipercentile",
)
"""The common-item methods the demo compares (Tucker is the one carried forward)."""

DIF_ARGS = {"group": "group", "reference": "reference", "focal": "focal"}
"""The simulated administrations' grouping, as ``analyze`` takes it."""


@dataclass
class _DemoRun:
    """What the steps of :func:`run_demo` share: the inputs, the staging folder they write
    into, the summary they fill in, and what earlier steps produced (None until then)."""

    bank: Path
    seed: int
    examinees: int
    pass_rate: float
    stage: Path
    blueprint_path: Path
    blueprint: Any
    summary: dict[str, Any]
    base_form: Any = None
    new_form: Any = None
    params: pl.DataFrame | None = None
    base_analysis: Any = None
    calibration: Any = None
    conversions: dict[str, Any] = field(default_factory=dict)
    criterion_cut: Any = None
    new_analysis: Any = None
    new_cut: int | None = None
    reports: dict[str, Any] = field(default_factory=dict)

    @property
    def raw_cut(self) -> float:
        return self.blueprint.scale.raw_cut

    @property
    def forms_dir(self) -> Path:
        return self.stage / "forms"

    @property
    def params_dir(self) -> Path:
        return self.stage / "calibration"

    @property
    def responses_dir(self) -> Path:
        return self.stage / "responses"

    @property
    def eq_dir(self) -> Path:
        return self.stage / "equating"


def _validate(run: _DemoRun) -> None:
    """1. Validate the bank (schema, bank rules, lint); any error stops the demo."""
    from cehrs_items.io import atomic_write
    from cehrs_items.reporters import REPORTERS
    from cehrs_items.validate import validate_paths

    bank = run.bank
    validation = validate_paths([bank])
    errors = [f for f in validation.findings if f.severity.value == "error"]
    atomic_write(
        run.stage / "validation.json",
        REPORTERS["json"].render(validation.findings, files=validation.files),
    )
    if errors:
        raise CheckFailed(
            f"{bank}: {len(errors)} error(s) in the bank; run `cehrs-items validate {bank}`"
        )
    run.summary["validation"] = {
        "files": len(validation.files),
        "errors": 0,
        "warnings": sum(f.severity.value == "warning" for f in validation.findings),
    }


def _assemble(run: _DemoRun) -> None:
    """2. Assemble the base form, then the new form anchored on it."""
    from cehrs_items.assembly import AssemblySettings, assemble_forms
    from cehrs_items.forms import read_form

    bank, blueprint, seed, forms_dir = run.bank, run.blueprint, run.seed, run.forms_dir
    base = assemble_forms(
        bank, blueprint, AssemblySettings(n_forms=1, seed=seed, form_ids=("BASE",))
    )
    _write_all(forms_dir, base.files())
    new = assemble_forms(
        bank,
        blueprint,
        AssemblySettings(n_forms=1, seed=seed + 1, form_ids=("NEW",)),
        anchor_form=forms_dir / "BASE.json",
    )
    _write_all(forms_dir, new.files())
    run.base_form = read_form(forms_dir / "BASE.json")
    run.new_form = read_form(forms_dir / "NEW.json")
    run.summary["forms"] = {
        "BASE": {
            "scored": len(run.base_form.scored_item_ids),
            "pretest": len(run.base_form.pretest_item_ids),
        },
        "NEW": {
            "scored": len(run.new_form.scored_item_ids),
            "pretest": len(run.new_form.pretest_item_ids),
            "anchor_items": len(run.new_form.anchor_item_ids),
        },
    }


def _simulate(run: _DemoRun) -> None:
    """3. Simulate both administrations: the base group's ability mean gives the target
    pass rate at the raw cut; the new group is a little abler and one item carries DIF."""
    from cehrs_items.bank import item_parameters, load_bank
    from cehrs_items.responses import write_table
    from cehrs_items.simulate.responses import simulate_responses

    bank, seed, forms_dir = run.bank, run.seed, run.forms_dir
    params = item_parameters(load_bank(bank))
    run.params = params
    write_table(params, run.params_dir / "bank_params.csv")
    mean = solve_ability_mean(params, run.base_form.scored_item_ids, run.raw_cut, run.pass_rate)
    n_base = run.examinees // 2
    n_new = run.examinees - n_base
    scored = run.new_form.scored_item_ids
    dif_item = scored[len(scored) // 2]
    common = {
        "manifest": False,
        "bank": bank,
        "omit_rate": 0.002,
        "groups": (("reference", 0.6), ("focal", 0.4)),
    }
    simulate_responses(
        forms_dir / "BASE.json",
        out=run.responses_dir / "BASE.csv",
        examinees=n_base,
        seed=seed,
        theta_mean=mean,
        **common,
    )
    simulate_responses(
        forms_dir / "NEW.json",
        out=run.responses_dir / "NEW.csv",
        examinees=n_new,
        seed=seed + 1,
        theta_mean=mean + 0.1,
        dif=((dif_item, 0.8),),
        **common,
    )
    run.summary["simulation"] = {
        "examinees": {"BASE": n_base, "NEW": n_new},
        "ability_mean_base": round(mean, 6),
        "ability_mean_new": round(mean + 0.1, 6),
        "target_pass_rate": run.pass_rate,
        "dif_item": dif_item,
    }


def _analyse_base(run: _DemoRun) -> None:
    """4. Analyse the base form at the blueprint's raw cut (the default for a base form)."""
    from cehrs_items.analysis import analyze
    from cehrs_items.analysis.output import render_outputs

    run.base_analysis = analyze(
        _responses(run.stage, "BASE"),
        form=run.forms_dir / "BASE.json",
        blueprint=run.blueprint_path,
        **DIF_ARGS,
    )
    _write_all(run.stage / "analysis" / "BASE", render_outputs(run.base_analysis))


def _calibrate(run: _DemoRun) -> None:
    """5. Calibrate the new form's pretest items onto the bank scale (anchors fixed)."""
    from cehrs_items.io import atomic_write, dumps_json
    from cehrs_items.irt.calibrate import CalibrationSettings, calibrate_responses
    from cehrs_items.responses import write_table

    params_dir = run.params_dir
    run.calibration = calibrate_responses(
        run.responses_dir / "NEW.csv",
        form=run.forms_dir / "NEW.json",
        anchor=params_dir / "bank_params.csv",
        settings=CalibrationSettings(model="3pl"),
    )
    write_table(run.calibration.params, params_dir / "NEW_params.csv")
    atomic_write(params_dir / "NEW_calibration.json", dumps_json(run.calibration.summary()))


def _equate(run: _DemoRun) -> None:
    """6. Equate NEW to BASE through the anchor items (Tucker carried forward, the other
    methods compared with bootstrap SEs) and, as a criterion, IRT true-score equating."""
    from cehrs_items.equating.workflow import EquateRequest, run_equate
    from cehrs_items.io import atomic_write, dumps_json

    forms_dir, responses_dir, eq_dir = run.forms_dir, run.responses_dir, run.eq_dir
    request = dict(
        x=responses_dir / "NEW.csv",
        y=responses_dir / "BASE.csv",
        form_x=forms_dir / "NEW.json",
        form_y=forms_dir / "BASE.json",
        design="neat",
    )
    chosen = run_equate(EquateRequest(method="tucker", analytic_se=True, **request))
    # Bootstrap standard errors of every compared method: the report's bands.
    compared = run_equate(
        EquateRequest(
            compare=list(EQUATING_METHODS),
            bootstrap=BOOTSTRAP_REPLICATIONS,
            seed=run.seed,
            **request,
        )
    )
    atomic_write(eq_dir / "NEW_to_BASE.csv", chosen.csv)
    atomic_write(eq_dir / "NEW_to_BASE.json", dumps_json(chosen.summary))
    atomic_write(eq_dir / "compare.csv", compared.csv)
    atomic_write(eq_dir / "compare.json", dumps_json(compared.summary))
    # A criterion the demo can afford: IRT true-score equating with the bank parameters
    # the responses were generated from (both forms are on the bank scale).
    criterion = run_equate(
        EquateRequest(
            method="irt-true",
            params_x=run.params_dir / "bank_params.csv",
            params_y=run.params_dir / "bank_params.csv",
            form_x=forms_dir / "NEW.json",
            form_y=forms_dir / "BASE.json",
        )
    )
    atomic_write(eq_dir / "irt_true_bank_parameters.csv", criterion.csv)


def _convert(run: _DemoRun) -> None:
    """7. Simulate the standard-setting panel behind the base form's cut and build both
    forms' raw-to-scale conversions (table and JSON, as ``cehrs-items scale`` writes them)."""
    from cehrs_items.io import atomic_write, dumps_json
    from cehrs_items.responses import write_table
    from cehrs_items.scaling import make_conversion
    from cehrs_items.standard_setting.simulate import simulate_angoff_study

    stage, blueprint_path, eq_dir = run.stage, run.blueprint_path, run.eq_dir
    # Where the base form's cut comes from: a simulated modified-Angoff study (10
    # judges, 2 rounds) whose minimally competent candidate sits at the blueprint's
    # raw cut; the report shows its cut, SE, agreement and impact beside the scale.
    panel = simulate_angoff_study(
        stage / "standard",
        params=run.params_dir / "bank_params.csv",
        form=run.forms_dir / "BASE.json",
        responses=run.responses_dir / "BASE.csv",
        group="group",
        raw_cut=run.raw_cut,
        seed=run.seed,
    )
    run.summary["standard_setting"] = {
        key: panel.cut[key]
        for key in ("method", "raw_cut", "raw_cut_se", "raw_cut_whole", "theta_cut")
    } | {"blueprint_raw_cut": run.raw_cut, "icc2_k": panel.cut["panel"]["icc2_k"]}
    run.conversions = {
        "BASE": make_conversion(equating=None, blueprint=blueprint_path),
        "NEW": make_conversion(equating=eq_dir / "NEW_to_BASE.csv", blueprint=blueprint_path),
    }
    for form_id, conversion in run.conversions.items():
        write_table(conversion.table, stage / "conversion" / f"{form_id}.csv")
        atomic_write(stage / "conversion" / f"{form_id}.json", dumps_json(conversion.summary()))
    run.criterion_cut = make_conversion(
        equating=eq_dir / "irt_true_bank_parameters.csv", blueprint=blueprint_path
    ).raw_cut


def _analyse_new_and_score(run: _DemoRun) -> None:
    """8. Analyse the new form at its own raw cut, read from its conversion; score every
    examinee of both forms."""
    from cehrs_items.analysis import analyze
    from cehrs_items.analysis.output import render_outputs
    from cehrs_items.io import atomic_write, dumps_json
    from cehrs_items.responses import write_table
    from cehrs_items.scoring import score_examinees

    stage = run.stage
    run.new_analysis = analyze(
        _responses(stage, "NEW"),
        form=run.forms_dir / "NEW.json",
        conversion=stage / "conversion" / "NEW.csv",
        **DIF_ARGS,
    )
    run.new_cut = int(run.new_analysis.test_stats["decision"]["raw_cut"])
    _write_all(stage / "analysis" / "NEW", render_outputs(run.new_analysis))
    for form_id in ("BASE", "NEW"):
        report = score_examinees(
            run.responses_dir / f"{form_id}.csv",
            run.forms_dir / f"{form_id}.json",
            run.conversions[form_id].table,
        )
        write_table(report.scores, stage / "scores" / f"{form_id}.csv")
        atomic_write(stage / "scores" / f"{form_id}.json", dumps_json(report.summary))
        run.reports[form_id] = report


def _report(run: _DemoRun) -> None:
    """9. Write the HTML report of the new form and the same tables as a workbook."""
    from cehrs_items.io import atomic_write
    from cehrs_items.reporting import load_report_inputs, render_html, render_xlsx

    stage = run.stage
    inputs = load_report_inputs(
        stage / "analysis" / "NEW",
        calibration=run.params_dir / "NEW_params.csv",
        equating=run.eq_dir,
        conversion=stage / "conversion" / "NEW.csv",
        bank=run.bank,
        form=run.forms_dir / "NEW.json",
        title="CEHRS demo: new form NEW equated to base form BASE",
        standard=stage / "standard" / "angoff",
    )
    atomic_write(stage / "report.html", render_html(inputs))
    atomic_write(stage / "report.xlsx", render_xlsx(inputs))


def _summarise(run: _DemoRun) -> None:
    """The headline figures into ``summary.json`` (after every step)."""
    from cehrs_items.io import atomic_write, dumps_json

    reports = run.reports
    passed = sum(int(r.scores["pass"].sum()) for r in reports.values())
    run.summary.update(
        {
            "pass_rate": {
                "BASE": reports["BASE"].summary.get("pass_rate"),
                "NEW": reports["NEW"].summary.get("pass_rate"),
                "all": passed / run.examinees,
            },
            "reliability": {
                "BASE": run.base_analysis.test_stats.get("alpha"),
                "NEW": run.new_analysis.test_stats.get("alpha"),
            },
            "equating": {
                "method": "tucker",
                "compared": list(EQUATING_METHODS),
                "raw_cut_base": run.raw_cut,
                "raw_cut_new": run.new_cut,
                "raw_cut_new_irt_true_bank_parameters": run.criterion_cut,
            },
            "calibration": {
                "converged": run.calibration.converged,
                "iterations": run.calibration.n_iter,
                "pretest_items": len(run.new_form.pretest_item_ids),
            },
        }
    )
    atomic_write(run.stage / "summary.json", dumps_json(run.summary))


def _write_index(run: _DemoRun) -> list[str]:
    """``index.html`` over every file of the stage; returns the run's file list (the
    manifest, which the stage gets when it is moved into place, included)."""
    from cehrs_items.io import atomic_write

    stage = run.stage
    files = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
    atomic_write(stage / "index.html", index_html(files + ["index.html", "manifest.json"]))
    return sorted([*files, "index.html", "manifest.json"])


DEMO_STEPS: tuple[tuple[str, Callable[[_DemoRun], None]], ...] = (
    ("validate the bank", _validate),
    ("assemble the base and new forms", _assemble),
    ("simulate the administrations", _simulate),
    ("analyse the base form", _analyse_base),
    ("calibrate pretest items onto the bank scale", _calibrate),
    ("equate the new form to the base form", _equate),
    ("build the raw-to-scale conversions", _convert),
    ("analyse the new form and score every examinee", _analyse_new_and_score),
    ("write the report", _report),
)
"""The steps of :func:`run_demo`, in order, each named by the line the progress shows.
Each step reads what earlier steps wrote into the stage or left on the :class:`_DemoRun`
and adds its own files (see the tests)."""

STEPS = tuple(name for name, _ in DEMO_STEPS)
"""The step names, in order (the progress lines)."""


def run_demo(
    out: str | Path,
    *,
    bank: str | Path = "item_bank",
    seed: int = 2026,
    examinees: int = EXAMINEES_2024,
    pass_rate: float = PASS_RATE_2024,
    force: bool = False,
    progress: Progress | None = None,
) -> DemoResult:
    """Run the whole cycle on ``bank`` and write everything into ``out`` (see module notes):
    the steps of :data:`DEMO_STEPS` in order, then the summary and the index."""
    from cehrs_items.blueprint import default_blueprint_path, load_blueprint
    from cehrs_items.io import prepare_output, staged_folder
    from cehrs_items.shipped import bank_label

    out = Path(out)
    bank = Path(bank)
    if examinees < MIN_EXAMINEES:
        raise InputError(
            f"--examinees {examinees}: need at least {MIN_EXAMINEES} ({MIN_EXAMINEES // 2} per "
            "form; with fewer, the 3PL calibration of the pretest items on the bank scale may "
            "not converge)"
        )
    prepare_output(out, force=force, kind="dir")
    blueprint_path = default_blueprint_path(bank)
    blueprint = load_blueprint(blueprint_path)
    seconds: dict[str, float] = {}
    with staged_folder(out, force=force) as staged:
        run = _DemoRun(
            bank=bank,
            seed=seed,
            examinees=examinees,
            pass_rate=pass_rate,
            stage=staged.path,
            blueprint_path=blueprint_path,
            blueprint=blueprint,
            summary={"seed": seed, "bank": bank_label(bank), "blueprint": blueprint.id},
        )
        for number, (name, step) in enumerate(DEMO_STEPS, start=1):
            if progress is not None:
                progress(number, name)
            started = time.perf_counter()
            step(run)
            seconds[name] = time.perf_counter() - started
        _summarise(run)
        files = _write_index(run)
    return DemoResult(out=out, files=files, summary=run.summary, seconds=seconds)
