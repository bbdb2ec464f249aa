"""cehrs-items simulate stats | bank | responses."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cehrs_items.cli.app import app
from cehrs_items.io import sha256_file

runner = CliRunner()
BLUEPRINT = Path(__file__).resolve().parents[2] / "item_bank" / "blueprint.yaml"


def _tree_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def cli_bank(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "bank"
    result = runner.invoke(
        app,
        [
            "simulate",
            "bank",
            "--items",
            "50",
            "--seed",
            "1",
            "--out",
            str(out),
            "--blueprint",
            str(BLUEPRINT),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_simulate_bank_output_and_determinism(cli_bank, tmp_path, declared_table):
    again = tmp_path / "again"
    result = runner.invoke(
        app,
        [
            "simulate",
            "bank",
            "--items",
            "50",
            "--seed",
            "1",
            "--out",
            str(again),
            "--blueprint",
            str(BLUEPRINT),
        ],
    )
    assert result.exit_code == 0
    assert result.stdout == (
        f"wrote {again}: 50 items (40 operational, 10 pretest), 1 enemy pairs, 53 files\n"
    )
    assert _tree_hashes(again) == _tree_hashes(cli_bank)
    stats = declared_table(cli_bank / "stats" / "item_stats.csv", under=cli_bank)
    assert stats.height == 50 and stats["source"].unique().to_list() == ["synthetic"]


def test_simulate_bank_refuses_to_overwrite(cli_bank):
    result = runner.invoke(
        app,
        [
            "simulate",
            "bank",
            "--items",
            "5",
            "--seed",
            "2",
            "--out",
            str(cli_bank),
            "--blueprint",
            str(BLUEPRINT),
        ],
    )
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {cli_bank}: already exists and is not empty; use --force to replace it\n"
    )


def test_simulate_bank_bad_size(tmp_path):
    result = runner.invoke(
        app,
        [
            "simulate",
            "bank",
            "--items",
            "0",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "b"),
            "--blueprint",
            str(BLUEPRINT),
        ],
    )
    assert result.exit_code == 2
    assert result.stderr == "error: --items must be at least 1 (got 0)\n"
    assert not (tmp_path / "b").exists()


def test_simulate_stats(cli_bank, tmp_path):
    out = tmp_path / "stats.csv"
    args = ["simulate", "stats", "--bank", str(cli_bank), "--seed", "7", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"wrote {out}: 50 synthetic rows for form SYNTH-2026 "
        "(bank items: operational 40, pretest 10); kept 0 other rows"
    )
    assert lines[1].startswith("p-value mean 0.") and "point-biserial mean 0." in lines[1]
    first = sha256_file(out)
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "use --force" in again.stderr
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0 and sha256_file(out) == first
    table = pl.read_csv(out)
    assert set(table["source"]) == {"synthetic"} and table.height == 50


def test_simulate_stats_labels(cli_bank, tmp_path):
    out = tmp_path / "s.csv"
    result = runner.invoke(
        app,
        [
            "simulate",
            "stats",
            "--bank",
            str(cli_bank),
            "--seed",
            "7",
            "--out",
            str(out),
            "--form-id",
            "PILOT-1",
            "--administration-date",
            "2027-03-01",
            "--theta-scale",
            "pilot",
            "--n-scored",
            "900",
            "--n-pretest",
            "300",
        ],
    )
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out)
    assert set(table["form_id"]) == {"PILOT-1"} and set(table["theta_scale"]) == {"pilot"}
    assert set(table["administration_date"]) == {"2027-03-01"}
    assert set(table["n"]) == {900, 300}
    bad = runner.invoke(
        app,
        [
            "simulate",
            "stats",
            "--bank",
            str(cli_bank),
            "--seed",
            "7",
            "--out",
            str(tmp_path / "x.csv"),
            "--administration-date",
            "March",
        ],
    )
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: administration date 'March' is not a date YYYY-MM-DD")


def test_simulate_stats_missing_bank(tmp_path):
    result = runner.invoke(
        app, ["simulate", "stats", "--bank", str(tmp_path / "none"), "--seed", "1"]
    )
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {tmp_path / 'none'}: not a bank directory (expected an items/ folder)\n"
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_simulate_responses(cli_bank, tmp_path, suffix, declared_table):
    out = tmp_path / f"resp{suffix}"
    args = [
        "simulate",
        "responses",
        "--form",
        str(cli_bank),
        "--examinees",
        "500",
        "--seed",
        "3",
        "--out",
        str(out),
        "--omit-rate",
        "0.01",
        "--groups",
        "ref=0.6,focal=0.4",
        "--dif",
        "CO-0002=0.8",
        "--impact",
        "-0.2",
        "--speeded-items",
        "3",
        "--speeded-share",
        "0.1",
        "--speeded-mode",
        "guess",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"wrote {out}: 500 examinees x 50 items\n"
        "truth: resp_truth.parquet, resp_items.csv, resp_simulation.json\n"
    )
    hashes = {p.name: sha256_file(p) for p in tmp_path.iterdir()}
    again = runner.invoke(app, [*args, "--force"])
    assert again.exit_code == 0
    assert {p.name: sha256_file(p) for p in tmp_path.iterdir()} == hashes
    record = json.loads((tmp_path / "resp_simulation.json").read_text())
    assert record["settings"]["dif"] == [{"item_id": "CO-0002", "b_shift": 0.8}]
    assert record["settings"]["groups"][1] == {"name": "focal", "share": 0.4}
    frame = pl.read_csv(out) if suffix == ".csv" else pl.read_parquet(out)
    assert frame.columns[:2] == ["examinee_id", "group"]
    truth = declared_table(tmp_path / "resp_truth.parquet", "simulation_truth")
    assert truth.columns == ["examinee_id", "theta", "group", "speeded"]
    assert truth["speeded"].sum() > 0


def test_simulate_responses_errors(cli_bank, tmp_path):
    base = ["simulate", "responses", "--form", str(cli_bank), "--examinees", "10", "--seed", "1"]
    bad_dif = runner.invoke(app, [*base, "--out", str(tmp_path / "a.csv"), "--dif", "CO-0002"])
    assert bad_dif.exit_code == 2
    assert (
        bad_dif.stderr == "error: --dif 'CO-0002': expected NAME=NUMBER (e.g. --dif CO-0012=0.8)\n"
    )
    no_groups = runner.invoke(app, [*base, "--out", str(tmp_path / "b.csv"), "--dif", "CO-0002=1"])
    assert no_groups.exit_code == 2
    assert (
        no_groups.stderr == "error: --dif needs --groups (the shift applies to the focal groups)\n"
    )
    bad_ext = runner.invoke(app, [*base, "--out", str(tmp_path / "c.json")])
    assert bad_ext.exit_code == 2
    assert (
        bad_ext.stderr
        == f"error: {tmp_path / 'c.json'}: unknown output type '.json'; use .csv or .parquet\n"
    )
    bad_mode = runner.invoke(
        app, [*base, "--out", str(tmp_path / "d.csv"), "--speeded-mode", "skip"]
    )
    assert bad_mode.exit_code == 2
    assert not any(tmp_path.iterdir())  # nothing written by failed runs


def test_simulate_responses_from_a_form_file(cli_bank, tmp_path):
    items = pl.read_csv(cli_bank / "stats" / "item_stats.csv").head(4)
    keys = {}
    for path in (cli_bank / "items").rglob("*.yaml"):
        text = path.read_text()
        keys[path.stem] = text.split('\nkey: "')[1][0]
    positions = [
        {
            "position": i + 1,
            "item_id": item,
            "item_version": 1,
            "role": "scored",
            "domain": 1,
            "key": keys[item],
        }
        for i, item in enumerate(items["item_id"])
    ]
    form = tmp_path / "F1.json"
    form.write_text(
        json.dumps({"form_id": "F1", "blueprint_id": "cehrs-2020", "positions": positions})
    )
    out = tmp_path / "r.csv"
    result = runner.invoke(
        app,
        [
            "simulate",
            "responses",
            "--form",
            str(form),
            "--bank",
            str(cli_bank),
            "--examinees",
            "20",
            "--seed",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0] == ",".join(["examinee_id", *items["item_id"]])
    record = json.loads((tmp_path / "r_simulation.json").read_text())
    assert record["source"]["form_id"] == "F1"


def test_simulate_help_has_examples():
    for sub in ("stats", "bank", "responses"):
        result = runner.invoke(app, ["simulate", sub, "--help"])
        assert result.exit_code == 0 and "Example: cehrs-items simulate " + sub in result.stdout
