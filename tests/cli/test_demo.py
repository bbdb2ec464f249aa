"""``cehrs-items demo``: the whole cycle on the shipped bank, deterministic, all-or-nothing."""

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from cehrs_items.cli.app import app
from cehrs_items.demo import expected_pass_rate, solve_ability_mean
from cehrs_items.irt.models import probability

runner = CliRunner()

EXPECTED_FILES = {
    "analysis/BASE/item_stats.csv",
    "analysis/NEW/dif.csv",
    "calibration/NEW_params.csv",
    "conversion/BASE.csv",
    "conversion/NEW.csv",
    "equating/NEW_to_BASE.csv",
    "equating/compare.csv",
    "equating/irt_true_bank_parameters.csv",
    "forms/BASE.json",
    "forms/NEW.json",
    "report.html",
    "responses/BASE.csv",
    "responses/NEW.csv",
    "scores/BASE.csv",
    "scores/NEW.csv",
    "summary.json",
    "validation.json",
}


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory, bank_dir_module):
    base = tmp_path_factory.mktemp("demo")
    results = []
    for name in ("one", "two"):
        result = runner.invoke(
            app,
            [
                "demo",
                "--out",
                str(base / name),
                "--examinees",
                "400",
                "--seed",
                "7",
                "--bank",
                str(bank_dir_module),
            ],
        )
        results.append(result)
    return base, results


@pytest.fixture(scope="module")
def bank_dir_module():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "item_bank"


@pytest.mark.slow
def test_demo_writes_every_stage_and_names_the_files(demo_runs):
    base, (first, _) = demo_runs
    assert first.exit_code == 0, first.output
    written = {
        p.relative_to(base / "one").as_posix() for p in (base / "one").rglob("*") if p.is_file()
    }
    assert written >= EXPECTED_FILES
    for name in EXPECTED_FILES:
        assert f"  {name}\n" in first.stdout
    assert "pass rate:" in first.stdout and "reliability (KR-20):" in first.stdout
    assert "equating: tucker" in first.stdout
    summary = json.loads((base / "one" / "summary.json").read_text())
    assert summary["forms"]["BASE"] == {"scored": 100, "pretest": 25}
    assert summary["forms"]["NEW"]["anchor_items"] >= 10
    assert summary["calibration"]["converged"] is True
    # Tucker with ~200 examinees a form stays within a few raw points of the criterion.
    equating = summary["equating"]
    assert abs(equating["raw_cut_new"] - equating["raw_cut_new_irt_true_bank_parameters"]) <= 4
    assert 0.5 < summary["pass_rate"]["all"] < 0.85
    # The base form's conversion puts the blueprint's raw cut exactly at 390.
    conversion = pl.read_csv(base / "one" / "conversion" / "BASE.csv")
    at_cut = conversion.filter(pl.col("raw_score") == 70).row(0, named=True)
    assert at_cut["scaled"] == 390 and at_cut["pass"] is True
    below = conversion.filter(pl.col("raw_score") == 69).row(0, named=True)
    assert below["scaled"] < 390 and below["pass"] is False


@pytest.mark.slow
def test_demo_is_byte_identical_for_the_same_seed(demo_runs):
    base, (first, second) = demo_runs
    assert second.exit_code == 0, second.output
    files = sorted(p.relative_to(base / "one") for p in (base / "one").rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(base / "two") for p in (base / "two").rglob("*") if p.is_file()
    )
    for rel in files:
        assert (base / "one" / rel).read_bytes() == (base / "two" / rel).read_bytes(), rel


@pytest.mark.slow
def test_demo_refuses_a_non_empty_directory(demo_runs):
    base, _ = demo_runs
    before = sorted(p.name for p in (base / "one").iterdir())
    result = runner.invoke(app, ["demo", "--out", str(base / "one"), "--examinees", "400"])
    assert result.exit_code == 2
    assert "exists and is not empty; use --force" in result.stderr
    assert sorted(p.name for p in (base / "one").iterdir()) == before


def test_expected_pass_rate_matches_simulation():
    rng = np.random.default_rng(3)
    a = rng.uniform(0.7, 1.8, 30)
    b = rng.normal(-0.5, 1.0, 30)
    c = rng.uniform(0.1, 0.25, 30)
    params = pl.DataFrame(
        {"item_id": [f"NC-{i:04d}" for i in range(30)], "a": a, "b": b, "c": c, "d": 1.0}
    )
    items = params["item_id"].to_list()
    theta = rng.normal(0.3, 1.0, 200_000)
    raw = (rng.random((theta.size, 30)) < probability(theta, a, b, c)).sum(axis=1)
    simulated = float((raw >= 21).mean())
    assert expected_pass_rate(params, items, 21, 0.3) == pytest.approx(simulated, abs=0.005)
    mean = solve_ability_mean(params, items, 21, 0.6881)
    assert expected_pass_rate(params, items, 21, mean) == pytest.approx(0.6881, abs=1e-6)
