"""``cehrs-items demo``: the whole cycle on the shipped bank, deterministic, all-or-nothing."""

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from cehrs_items.cli.app import app
from cehrs_items.demo import expected_pass_rate, solve_ability_mean
from cehrs_items.io import verify_manifest
from cehrs_items.irt.models import probability

runner = CliRunner()

EXPECTED_FILES = {
    "analysis/BASE/item_stats.csv",
    "analysis/NEW/dif.csv",
    "calibration/NEW_params.csv",
    "conversion/BASE.csv",
    "conversion/BASE.json",
    "conversion/NEW.csv",
    "conversion/NEW.json",
    "equating/NEW_to_BASE.csv",
    "equating/compare.csv",
    "equating/compare.json",
    "equating/irt_true_bank_parameters.csv",
    "forms/BASE.json",
    "forms/NEW.json",
    "index.html",
    "report.html",
    "report.xlsx",
    "responses/BASE.csv",
    "responses/NEW.csv",
    "scores/BASE.csv",
    "scores/NEW.csv",
    "standard/angoff/cut.json",
    "standard/angoff/judges.csv",
    "standard/ratings.csv",
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
    # The demo's folder carries a manifest listing every other file in it.
    manifest = verify_manifest(base / "one" / "manifest.json")
    assert manifest["command"] == "demo" and manifest["seed"] is not None
    assert {o["path"] for o in manifest["outputs"]} == written - {"manifest.json"}
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
    # The simulated panel's judges aim at the blueprint's raw cut: they recover it.
    panel = summary["standard_setting"]
    assert panel["method"] == "angoff" and panel["blueprint_raw_cut"] == 70
    assert abs(panel["raw_cut"] - 70) < 4 * panel["raw_cut_se"] + 1
    assert "standard setting: simulated Angoff panel recommends raw cut" in first.stdout
    # The base form's conversion puts the blueprint's raw cut exactly at 390.
    conversion = pl.read_csv(base / "one" / "conversion" / "BASE.csv")
    at_cut = conversion.filter(pl.col("raw_score") == 70).row(0, named=True)
    assert at_cut["scaled"] == 390 and at_cut["pass"] is True
    below = conversion.filter(pl.col("raw_score") == 69).row(0, named=True)
    assert below["scaled"] < 390 and below["pass"] is False


@pytest.mark.slow
def test_demo_index_lists_every_file_once_and_nothing_is_duplicated(demo_runs):
    import hashlib
    import re

    from cehrs_items.demo import describe

    base, (first, _) = demo_runs
    out = base / "one"
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    index = (out / "index.html").read_text()
    linked = re.findall(r'<a href="([^"]+)">', index)
    assert sorted(set(linked) - {"report.html", "report.xlsx"}) == sorted(
        set(files) - {"report.html", "report.xlsx"}
    )
    assert all(describe(f) for f in files), [f for f in files if not describe(f)]
    digests = {}
    for f in files:
        digest = hashlib.sha256((out / f).read_bytes()).hexdigest()
        assert digest not in digests, (f, digests.get(digest))
        digests[digest] = f
    assert not (out / "equating_compare.json").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert 0 < summary["pass_rate"]["NEW"] < 1  # a proportion
    assert re.search(r"pass rate: \d+\.\d\d% overall", first.stdout)  # console: percent


@pytest.mark.slow
def test_demo_new_form_is_analysed_at_its_own_cut_from_the_conversion(demo_runs):
    base, _ = demo_runs
    out = base / "one"
    new = json.loads((out / "analysis" / "NEW" / "test_stats.json").read_text())["decision"]
    conv = json.loads((out / "conversion" / "NEW.json").read_text())
    assert new["raw_cut"] == conv["raw_cut"]
    assert new["raw_cut_source"].startswith("conversion NEW.csv")
    old = json.loads((out / "analysis" / "BASE" / "test_stats.json").read_text())["decision"]
    assert old["raw_cut"] == 70 and "scale.raw_cut (base form)" in old["raw_cut_source"]


@pytest.mark.slow
def test_demo_report_is_valid_small_and_its_workbook_typed(demo_runs):
    from io import BytesIO

    import html5lib
    import openpyxl

    base, _ = demo_runs
    out = base / "one"
    html = (out / "report.html").read_text()
    assert len(html.encode()) < 1_500_000
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(html)
    import re

    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert "The bottom of the scale" in html and "Pretest items (not scored)" in html
    book = openpyxl.load_workbook(BytesIO((out / "report.xlsx").read_bytes()))
    assert {"summary", "domains", "item_stats", "option_stats", "dif", "irt_params"} <= set(
        book.sheetnames
    )
    items = book["item_stats"]
    header = [c.value for c in items[1]]
    csv_header = (out / "analysis" / "NEW" / "item_stats.csv").read_text().splitlines()[0]
    assert header == csv_header.split(",")
    roles = [r[header.index("role")].value for r in items.iter_rows(min_row=2)]
    assert roles.count("pretest") == 25
    for row in items.iter_rows(min_row=2):
        for name in ("p_value", "item_rest_r", "biserial"):
            assert isinstance(row[header.index(name)].value, float)
        aid = row[header.index("alpha_if_deleted")].value
        role = row[header.index("role")].value
        assert (aid is None) if role == "pretest" else isinstance(aid, float)
    irt = book["irt_params"]
    irt_header = [c.value for c in irt[1]]
    irt_rows = list(irt.iter_rows(min_row=2, values_only=True))
    assert len(irt_rows) == 125
    estimated = [r for r in irt_rows if r[irt_header.index("parameters")] == "estimated"]
    assert len(estimated) == 25 and all(
        isinstance(r[irt_header.index("se_b")], float) for r in estimated
    )
    summary = {r[0]: r[1] for r in book["summary"].iter_rows(min_row=2, values_only=True)}
    assert isinstance(summary["alpha"], float) and isinstance(summary["n_examinees"], int)


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


def test_a_demo_too_small_to_calibrate_is_refused(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), "--examinees", "399"])
    assert result.exit_code == 2
    assert "--examinees 399: need at least 400 (200 per form" in result.output
    assert not (tmp_path / "d").exists()
