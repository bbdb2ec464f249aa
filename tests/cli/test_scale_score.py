"""``cehrs-items scale`` and ``cehrs-items score`` end to end."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from cehrs_items.cli.app import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def blueprint(bank_dir):
    return bank_dir / "blueprint.yaml"


@pytest.fixture
def equating_table(tmp_path):
    path = tmp_path / "eq.csv"
    pl.DataFrame({"score": np.arange(101), "equated": np.arange(101) * 0.97 + 1.3}).write_csv(path)
    return path


def test_scale_writes_conversion_and_summary(tmp_path, blueprint, equating_table):
    out = tmp_path / "conv.csv"
    result = run("scale", "--equating", equating_table, "--blueprint", blueprint, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"raw cut on this form: 71 (base form 70) -> 390; 101 raw scores; wrote {out} and "
        f"{out.with_suffix('.json')}\n"
    )
    table = pl.read_csv(out)
    assert table.columns == ["raw_score", "equated", "scaled", "pass"]
    # 70 * .97 + 1.3 = 69.2 < 70 fails; 71 * .97 + 1.3 = 70.17 passes.
    assert table.filter(pl.col("raw_score") == 70)["pass"][0] is False
    assert table.filter(pl.col("raw_score") == 71)["scaled"][0] >= 390
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["raw_cut"] == 71 and summary["raw_cut_base"] == 70
    assert summary["blueprint_id"] == "cehrs-2020"
    assert len(summary["inputs"]["equating"]["sha256"]) == 64


def test_scale_raw_cut_override_and_base_form(tmp_path, blueprint):
    out = tmp_path / "base.csv"
    result = run("scale", "--blueprint", blueprint, "--raw-cut", "66", "--out", out)
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out)
    assert table["equated"].to_list() == [float(i) for i in range(101)]
    assert table.filter(pl.col("raw_score") == 66)["scaled"][0] == 390
    assert table.filter(pl.col("raw_score") == 65)["scaled"][0] < 390


def test_scale_with_parameters_adds_csem(tmp_path, blueprint):
    rng = np.random.default_rng(0)
    params = tmp_path / "params.csv"
    pl.DataFrame(
        {
            "item_id": [f"CO-{i:04d}" for i in range(100)],
            "a": rng.uniform(0.7, 1.6, 100),
            "b": rng.normal(-0.5, 1, 100),
            "c": np.full(100, 0.2),
        }
    ).write_csv(params)
    out = tmp_path / "conv.csv"
    result = run("scale", "--blueprint", blueprint, "--params", params, "--out", out)
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out)
    assert table.columns[-1] == "csem_scaled"
    assert table["csem_scaled"].min() >= 0


def test_scale_errors(tmp_path, blueprint):
    bad = tmp_path / "bad.csv"
    bad.write_text("score,equated\n0,0\n1,2\n2,1\n")
    result = run("scale", "--equating", bad, "--blueprint", blueprint, "--out", tmp_path / "c.csv")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: equated scores decrease with the raw score; a conversion must be monotone "
        "(check the equating)\n"
    )
    result = run("scale", "--blueprint", tmp_path / "none.yaml", "--out", tmp_path / "c.csv")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'none.yaml'}: cannot read blueprint")


def _form_and_responses(tmp_path, n_examinees=60):
    positions = []
    for k in range(1, 106):
        positions.append(
            {
                "position": k,
                "item_id": f"NC-{k:04d}",
                "item_version": 1,
                "role": "scored" if k <= 100 else "pretest",
                "domain": 1 + k % 5,
                "key": "ABCD"[k % 4],
            }
        )
    form = tmp_path / "form.json"
    form.write_text(
        json.dumps({"form_id": "F2", "blueprint_id": "cehrs-2020", "positions": positions})
    )
    rng = np.random.default_rng(3)
    rows = {"examinee_id": [f"X{e:03d}" for e in range(n_examinees)]}
    ability = rng.uniform(0.5, 0.9, n_examinees)
    for p in positions:
        right = rng.random(n_examinees) < ability
        rows[p["item_id"]] = [p["key"] if r else "A" if p["key"] != "A" else "C" for r in right]
    pl.DataFrame(rows).write_csv(tmp_path / "resp.csv")
    return form, tmp_path / "resp.csv"


def test_score_end_to_end_and_deterministic(tmp_path, blueprint):
    form, responses = _form_and_responses(tmp_path)
    conv = tmp_path / "conv.csv"
    assert run("scale", "--blueprint", blueprint, "--out", conv).exit_code == 0
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name / "scores.csv"
        result = run("score", responses, "--form", form, "--conversion", conv, "--out", out)
        assert result.exit_code == 0, result.output
        outs.append(out)
    scores = pl.read_csv(outs[0])
    assert scores.columns == [
        "examinee_id",
        "raw",
        "scaled",
        "pass",
        *[f"domain_{d}_raw" for d in range(1, 6)],
    ]
    assert scores["raw"].max() <= 100
    n_pass = int(scores["pass"].sum())
    assert result.stdout.startswith(f"60 examinees, {n_pass} passed ({100 * n_pass / 60:.2f}%)")
    assert outs[0].read_bytes() == outs[1].read_bytes()
    summary = json.loads(outs[0].with_suffix(".json").read_text())
    assert summary["pass_rate"] == pytest.approx(n_pass / 60)
    assert (scores["scaled"] >= 390).to_list() == scores["pass"].to_list()


def test_score_refuses_a_conversion_for_another_form(tmp_path, blueprint):
    form, responses = _form_and_responses(tmp_path, 5)
    conv = tmp_path / "conv.csv"
    assert run("scale", "--blueprint", blueprint, "--raw-cut", "30", "--out", conv).exit_code == 0
    short = tmp_path / "short.csv"
    pl.read_csv(conv).head(41).write_csv(short)
    result = run(
        "score", responses, "--form", form, "--conversion", short, "--out", tmp_path / "s.csv"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: conversion covers raw scores 0..40 but form F2 has 100 scored items; use the "
        "conversion built for this form\n"
    )
    assert not (tmp_path / "s.csv").exists()


def test_help_texts_have_examples():
    for command in ("scale", "score"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert f"Example: cehrs-items {command}" in result.stdout
