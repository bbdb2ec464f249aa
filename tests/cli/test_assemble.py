"""``cehrs-items assemble``: exit codes, outputs, determinism, refusal to overwrite, diagnosis."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cehrs_items.assembly._synthetic import SMALL_BLUEPRINT, stats_for, tiny_items, write_bank
from cehrs_items.cli.app import app
from cehrs_items.forms import read_form
from cehrs_items.io import dumps_json

runner = CliRunner()


def make_bank(root: Path, docs=None) -> Path:
    docs = docs if docs is not None else tiny_items(8, pretest_per_domain=4)
    rng = np.random.default_rng(3)
    params = {d["id"]: (float(rng.uniform(0.6, 2)), float(rng.normal(-0.3, 1)), 0.15) for d in docs}
    return write_bank(root, docs, stats_for(params), blueprint_text=dumps_json(SMALL_BLUEPRINT))


@pytest.fixture
def bank(tmp_path) -> Path:
    return make_bank(tmp_path / "bank")


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_assemble_writes_forms_and_summary(bank, tmp_path):
    out = tmp_path / "forms"
    result = run("assemble", "--bank", bank, "--forms", "2", "--seed", "5", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["F1.json", "F2.json", "manifest.json"]
    lines = result.stdout.splitlines()
    assert lines[0] == "assembled 2 form(s) from 40 bank items (blueprint tiny-test, seed 5)"
    assert lines[1].startswith("solver: optimal (sequential, 2 solves, 0 repairs), objective ")
    assert lines[1].endswith("; target: cut (irt)")
    assert lines[2].startswith("  F1: domains 1:4+1 2:4+1; keys ")
    assert lines[-1] == f"wrote 2 form(s) to {out}"
    assert "model per form: " in result.stderr and "done in " in result.stderr
    form = read_form(out / "F1.json")
    assert form.data["seed"] == 5 and len(form.positions) == 10


def test_same_seed_same_bytes(bank, tmp_path):
    for name in ("a", "b"):
        result = run(
            "assemble",
            "--bank",
            bank,
            "--forms",
            "2",
            "--seed",
            "5",
            "--out",
            tmp_path / name,
            "-q",
        )
        assert result.exit_code == 0 and result.stderr == ""
    for name in ("F1.json", "F2.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    result = run(
        "assemble", "--bank", bank, "--forms", "2", "--seed", "6", "--out", tmp_path / "c", "-q"
    )
    assert (tmp_path / "c" / "F1.json").read_bytes() != (tmp_path / "a" / "F1.json").read_bytes()


def test_no_overwrite_without_force(bank, tmp_path):
    out = tmp_path / "forms"
    assert run("assemble", "--bank", bank, "--out", out, "-q").exit_code == 0
    before = (out / "F1.json").read_bytes()
    result = run("assemble", "--bank", bank, "--seed", "9", "--out", out, "-q")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {out}: already exists and is not empty; use --force to replace it\n"
    )
    assert (out / "F1.json").read_bytes() == before
    assert (
        run("assemble", "--bank", bank, "--seed", "9", "--out", out, "-q", "--force").exit_code == 0
    )
    assert (out / "F1.json").read_bytes() != before


def test_infeasible_is_exit_1_and_writes_nothing(tmp_path):
    docs = [d for d in tiny_items(3) if d["id"] not in ("CO-0004", "CO-0005", "CO-0006")]
    bank = make_bank(tmp_path / "bank", docs)
    out = tmp_path / "forms"
    result = run("assemble", "--bank", bank, "--out", out, "-q")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: domain 2 (Clinical Operations) needs 4 scored items per form, but the bank has "
        "only 3 operational domain-2 items with statistics\n"
    )
    assert not out.exists()


def test_anchor_form_round_trip(bank, tmp_path):
    base_dir, new_dir = tmp_path / "base", tmp_path / "new"
    r = run(
        "assemble",
        "--bank",
        bank,
        "--form-ids",
        "BASE",
        "--statistic",
        "none",
        "--out",
        base_dir,
        "-q",
    )
    assert r.exit_code == 0, r.stderr
    r = run(
        "assemble", "--bank", bank, "--forms", "2", "--anchor-form", base_dir / "BASE.json",
        "--anchor-items", "2", "--max-overlap", "4", "--out", new_dir, "-q",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "; target: base (irt)" in r.stdout and "anchors 2" in r.stdout
    data = json.loads((new_dir / "F1.json").read_text())
    assert data["anchor_form"] == "BASE"
    assert sum(bool(p.get("anchor")) for p in data["positions"]) == 2
    check = run(
        "form", "check", new_dir / "F1.json", new_dir / "F2.json", "--bank", bank,
        "--anchor-form", base_dir / "BASE.json",
    )  # fmt: skip
    assert check.exit_code == 0, check.stdout
    assert check.stderr == "checked 2 files: 0 errors, 0 warnings\n"


def test_bad_options_are_usage_errors(bank, tmp_path):
    result = run("assemble", "--bank", bank, "--target", "best", "--out", tmp_path / "x")
    assert result.exit_code == 2
    result = run("assemble", "--bank", bank, "--target", "base", "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert result.stderr == "error: --target base needs a base form: give --anchor-form FORM.json\n"
    result = run(
        "assemble", "--bank", bank, "--forms", "2", "--form-ids", "A", "--out", tmp_path / "x"
    )
    assert result.stderr == "error: --form-ids: 1 ids given for --forms 2; give exactly 2\n"


def test_missing_bank(tmp_path):
    result = run("assemble", "--bank", tmp_path / "nope", "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "not a bank directory" in result.stderr


def test_help_has_an_example():
    result = run("assemble", "--help")
    assert result.exit_code == 0
    assert "Example: cehrs-items assemble --bank item_bank/ --forms 4" in result.stdout


@pytest.mark.slow
def test_byte_identical_across_processes_and_hash_seeds(bank, tmp_path):
    """Two separate processes with different string-hash seeds write the same bytes."""
    import os
    import subprocess
    import sys

    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"p{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run(
            [sys.executable, "-m", "cehrs_items", "assemble", "--bank", str(bank), "--forms", "2",
             "--seed", "3", "--out", str(out), "-q"],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    for name in ("F1.json", "F2.json"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
