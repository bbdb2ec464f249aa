"""``cehrs-items form check`` and ``form export``: exit codes, reporters, files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cehrs_items.assembly._synthetic import SMALL_BLUEPRINT, stats_for, tiny_items, write_bank
from cehrs_items.cli.app import app
from cehrs_items.io import dumps_json

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("formcli")
    docs = tiny_items(8, pretest_per_domain=4)
    rng = np.random.default_rng(3)
    params = {d["id"]: (float(rng.uniform(0.6, 2)), float(rng.normal(-0.3, 1)), 0.15) for d in docs}
    bank = write_bank(
        root / "bank", docs, stats_for(params), blueprint_text=dumps_json(SMALL_BLUEPRINT)
    )
    out = root / "forms"
    result = run("assemble", "--bank", bank, "--forms", "2", "--seed", "1", "--out", out, "-q")
    assert result.exit_code == 0, result.stderr
    return bank, out


def broken_copy(setup, tmp_path) -> Path:
    """F1 with the first scored item's version bumped (FORM002)."""
    bank, out = setup
    data = json.loads((out / "F1.json").read_text())
    data["positions"][0]["item_version"] = 7
    path = tmp_path / "F1-broken.json"
    path.write_text(dumps_json(data))
    return path


def test_check_passes(setup):
    bank, out = setup
    result = run("form", "check", out / "F1.json", out / "F2.json", "--bank", bank)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "checked 2 files: 0 errors, 0 warnings\n"


def test_check_reports_violations(setup, tmp_path):
    bank, _ = setup
    path = broken_copy(setup, tmp_path)
    result = run("form", "check", path, "--bank", bank)
    assert result.exit_code == 1
    first, hint = result.stdout.splitlines()[:2]
    assert first.startswith(f"{path}:")
    assert (
        ": error FORM002 item " in first and "is version 7 on the form but 1 in the bank" in first
    )
    assert hint.startswith("    hint: Re-assemble the form")
    assert result.stderr == "checked 1 file: 1 error, 0 warnings\n"


def test_check_json_and_sarif(setup, tmp_path):
    bank, _ = setup
    path = broken_copy(setup, tmp_path)
    result = run("form", "check", path, "--bank", bank, "--format", "json", "-q")
    data = json.loads(result.stdout)
    assert [f["rule"] for f in data["findings"]] == ["FORM002"]
    result = run("form", "check", path, "--bank", bank, "--format", "sarif", "-q")
    sarif = json.loads(result.stdout)
    rules = [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert "FORM002" in rules and "FORM021" in rules
    assert sarif["runs"][0]["results"][0]["ruleId"] == "FORM002"
    result = run("form", "check", path, "--bank", bank, "--format", "junit", "-q")
    suite = ET.fromstring(result.stdout)
    assert suite.get("failures") == "1"


def test_check_overlap_between_forms(setup, tmp_path):
    bank, out = setup
    data = json.loads((out / "F1.json").read_text())
    data["form_id"] = "F9"
    twin = tmp_path / "F9.json"
    twin.write_text(dumps_json(data))
    result = run("form", "check", out / "F1.json", twin, "--bank", bank, "--max-overlap", "1")
    assert result.exit_code == 1
    assert "error FORM019 forms F1 and F9 share 8 scored items; at most 1 allowed" in result.stdout
    ok = run("form", "check", out / "F1.json", twin, "--bank", bank, "--max-overlap", "8")
    assert ok.exit_code == 0


def test_check_unreadable_form_is_a_finding(setup, tmp_path):
    bank, _ = setup
    path = tmp_path / "bad.json"
    path.write_text('{"form_id": ')
    result = run("form", "check", path, "--bank", bank)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:1:")
    assert " error FORM000 " in result.stdout


def test_check_missing_bank_is_exit_2(setup, tmp_path):
    _, out = setup
    result = run("form", "check", out / "F1.json", "--bank", tmp_path / "none")
    assert result.exit_code == 2 and result.stderr.startswith("error: ")


def test_export_markdown_and_key(setup, tmp_path, declared_table):
    bank, out = setup
    md, key = tmp_path / "F1.md", tmp_path / "F1-key.csv"
    result = run("form", "export", out / "F1.json", "--bank", bank, "--out", md, "--key-out", key)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote {md}, {key}\n"
    text = md.read_text()
    assert text.startswith("# Form F1: delivery review copy")
    assert text.count("\n### ") == 10
    assert key.read_text().startswith("position,item_id,item_version,role,key\n1,")
    assert declared_table(key, "form_key").height == 10
    again = run("form", "export", out / "F1.json", "--bank", bank, "--out", md)
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_export_csv(setup, tmp_path, declared_table):
    bank, out = setup
    target = tmp_path / "F1.csv"
    result = run(
        "form", "export", out / "F1.json", "--bank", bank, "--format", "csv", "--out", target
    )
    assert result.exit_code == 0
    header = target.read_text().splitlines()[0]
    assert header.startswith(
        "position,item_id,item_version,role,anchor,domain,subdomain,stem,option_A"
    )
    frame = declared_table(target, "form_export")
    assert frame.height == 10 and frame.columns[-1] == "key"


def test_export_refuses_version_mismatch(setup, tmp_path):
    bank, _ = setup
    path = broken_copy(setup, tmp_path)
    result = run("form", "export", path, "--bank", bank, "--out", tmp_path / "x.md")
    assert result.exit_code == 2
    assert "is version 7 on the form but 1 in the bank" in result.stderr
    assert not (tmp_path / "x.md").exists()


def test_group_help():
    result = run("form", "--help")
    assert result.exit_code == 0 and "check" in result.stdout and "export" in result.stdout
