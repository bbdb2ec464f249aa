"""``run_demo`` is a table of named steps; each adds only its own files and runs alone."""

from __future__ import annotations

import copy
import dataclasses
from fnmatch import fnmatch
from pathlib import Path

import polars as pl
import pytest

from cehrs_items.blueprint import default_blueprint_path, load_blueprint
from cehrs_items.demo import DEMO_STEPS, STEPS, _DemoRun, _summarise, _write_index
from cehrs_items.tables import table_for

BANK = Path(__file__).resolve().parents[2] / "item_bank"

STEP_FILES = {
    "validate the bank": ("validation.json",),
    "assemble the base and new forms": ("forms/*.json",),
    "simulate the administrations": ("calibration/bank_params.csv", "responses/*"),
    "analyse the base form": ("analysis/BASE/*",),
    "calibrate pretest items onto the bank scale": ("calibration/NEW_*",),
    "equate the new form to the base form": ("equating/*",),
    "build the raw-to-scale conversions": ("standard/*", "conversion/*"),
    "analyse the new form and score every examinee": ("analysis/NEW/*", "scores/*"),
    "write the report": ("report.html", "report.xlsx"),
}
"""The files each step writes (glob patterns over paths inside the output folder)."""


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _start(stage: Path) -> _DemoRun:
    blueprint_path = default_blueprint_path(BANK)
    return _DemoRun(
        bank=BANK,
        seed=7,
        examinees=400,
        pass_rate=0.6881,
        stage=stage,
        blueprint_path=blueprint_path,
        blueprint=load_blueprint(blueprint_path),
        summary={"seed": 7},
    )


def _copy(run: _DemoRun, stage: Path) -> _DemoRun:
    return dataclasses.replace(
        run,
        stage=stage,
        summary=copy.deepcopy(run.summary),
        conversions=dict(run.conversions),
        reports=dict(run.reports),
    )


@pytest.fixture(scope="module")
def stepwise(tmp_path_factory):
    """The steps run one by one: the state and the files before and after each."""
    stage = tmp_path_factory.mktemp("demo-steps") / "stage"
    stage.mkdir()
    run = _start(stage)
    record = []
    for name, step in DEMO_STEPS:
        before = (_copy(run, stage), _files(stage))
        step(run)
        record.append((name, step, before, _files(stage)))
    _summarise(run)
    return run, record, _write_index(run)


def test_steps_are_the_progress_lines_and_documented():
    assert STEPS == tuple(STEP_FILES) == tuple(name for name, _ in DEMO_STEPS)
    for number, (name, step) in enumerate(DEMO_STEPS, start=1):
        assert step.__doc__.startswith(f"{number}. "), name


def test_each_step_adds_only_its_own_files(stepwise):
    _, record, files = stepwise
    for name, _, (_, before), after in record:
        added = set(after) - set(before)
        assert added, name
        for path in added:
            assert any(fnmatch(path, pattern) for pattern in STEP_FILES[name]), (name, path)
        # nothing an earlier step wrote is rewritten
        assert {p: after[p] for p in before} == before, name
    assert {"summary.json", "index.html", "manifest.json"} <= set(files)


def test_each_step_alone_writes_the_same_bytes(stepwise, tmp_path):
    """Given only the files and the state the earlier steps left, each step on its own
    writes exactly what it wrote in the whole run and fills in the same summary."""
    _, record, _ = stepwise
    for number, (name, step, (state, before), after) in enumerate(record, start=1):
        stage = tmp_path / f"step{number}"
        for path, data in before.items():
            (stage / path).parent.mkdir(parents=True, exist_ok=True)
            (stage / path).write_bytes(data)
        alone = _copy(state, stage)
        step(alone)
        assert _files(stage) == after, name
        following = record[number][2][0] if number < len(record) else None
        if following is not None:
            assert alone.summary == following.summary, name


def test_every_written_table_matches_its_declared_columns(stepwise):
    """Every table of the run is declared in cehrs_items/tables.py: its columns in the
    declared order, and every value parses as the declared dtype."""
    run, _, files = stepwise
    tables = [f for f in files if f.endswith((".csv", ".parquet"))]
    assert len(tables) >= 20
    assert any(f.endswith(".parquet") for f in tables)
    for path in tables:
        table = table_for(path)
        assert table is not None, f"{path}: no declared table"
        if path.endswith(".parquet"):
            frame = pl.read_parquet(run.stage / path)
            assert table.resolve(frame.columns)[1] == [], path
        else:
            header = pl.read_csv(run.stage / path, n_rows=0).columns
            schema, problems = table.resolve(header)
            assert problems == [], path
            frame = pl.read_csv(run.stage / path, schema=schema)  # strict: a bad value raises
        assert table.problems(frame) == [], path
        assert frame.height > 0, path
