"""cehrs-items init (scaffold validates clean; grows into a working bank) and the
export/import commands end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cehrs_items.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "item_bank"
runner = CliRunner()


def test_init_scaffold_validates_strict_and_grows_into_a_working_bank(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = runner.invoke(app, ["init", "my-bank"])
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("wrote 11 files into my-bank (example items: ")
    repo = tmp_path / "my-bank"
    assert (repo / ".pre-commit-config.yaml").is_file()
    # the blueprint is the CEHRS one, with comments
    scaffold_bp = (repo / "item_bank" / "blueprint.yaml").read_text(encoding="utf-8")
    assert scaffold_bp.count("\n#") >= 5
    assert yaml.safe_load(scaffold_bp) == yaml.safe_load(
        (BANK / "blueprint.yaml").read_text(encoding="utf-8")
    )
    # the hook is this project's, on the bank's item files
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hook = config["repos"][0]["hooks"][0]
    assert hook["id"] == hooks[0]["id"] and hook["files"] == hooks[0]["files"]
    assert hook["entry"].startswith(hooks[0]["entry"])
    # the workflow annotates with --format github and uploads SARIF
    flow = yaml.safe_load((repo / ".github/workflows/validate-items.yml").read_text("utf-8"))
    steps = flow["jobs"]["validate"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "validate item_bank/ --strict --format github" in runs
    assert "--format sarif --out validate.sarif" in runs
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in steps)
    readme = (repo / "README.md").read_text(encoding="utf-8")
    for heading in ("## Add an item", "## Review an item", "## Retire an item"):
        assert heading in readme

    monkeypatch.chdir(repo)
    strict = runner.invoke(app, ["validate", "--strict", "item_bank/"])
    assert strict.exit_code == 0, strict.output
    assert "checked 5 files: 0 errors, 0 warnings" in strict.stderr
    github = runner.invoke(app, ["validate", "--strict", "--format", "github"])
    assert github.exit_code == 0 and github.stdout == ""

    # enough items: the shipped bank's items and statistics
    shutil.rmtree(repo / "item_bank" / "items")
    shutil.copytree(BANK / "items", repo / "item_bank" / "items")
    shutil.copy(BANK / "stats" / "item_stats.csv", repo / "item_bank" / "stats")
    assert runner.invoke(app, ["validate", "--strict"]).exit_code == 0
    summary = runner.invoke(app, ["bank", "summary", "--format", "json"])
    assert summary.exit_code == 0
    assert json.loads(summary.stdout)["items"] == 381
    assembled = runner.invoke(app, ["assemble", "--forms", "1", "--seed", "3", "--out", "forms"])
    assert assembled.exit_code == 0, assembled.output
    form = json.loads((repo / "forms" / "F1.json").read_text(encoding="utf-8"))
    assert len(form["positions"]) == 125


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("keep", encoding="utf-8")
    result = runner.invoke(app, ["init", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert "already exists and is not empty; use --force" in result.stderr
    assert (tmp_path / "b" / "x").read_text(encoding="utf-8") == "keep"


def test_export_import_qti_and_xlsx_commands(tmp_path):
    pytest.importorskip("lxml")
    pytest.importorskip("openpyxl")
    bank = tmp_path / "bank"
    runner.invoke(app, ["init", str(bank)])
    b = bank / "item_bank"
    pkg = tmp_path / "b.zip"
    out = runner.invoke(app, ["export", "qti", "--bank", str(b), "--out", str(pkg)])
    assert out.exit_code == 0 and out.stdout == f"wrote {pkg} (QTI 3.0)\n"
    again = runner.invoke(app, ["export", "qti", "--bank", str(b), "--out", str(pkg)])
    assert again.exit_code == 2 and "use --force" in again.stderr
    back = runner.invoke(app, ["import", "qti", str(pkg), "--out", str(tmp_path / "q")])
    assert back.exit_code == 0, back.output
    assert back.stdout == f"wrote 5 item file(s) into {tmp_path / 'q'}\n"
    book = tmp_path / "items.xlsx"
    assert (
        runner.invoke(app, ["export", "xlsx", "--bank", str(b), "--out", str(book)]).exit_code == 0
    )
    back = runner.invoke(app, ["import", "xlsx", str(book), "--out", str(tmp_path / "x")])
    assert back.exit_code == 0, back.output
    loaded = sorted(p.name for p in (tmp_path / "x").rglob("*.yaml"))
    assert loaded == sorted(p.name for p in (b / "items").rglob("*.yaml"))
    # a broken workbook: findings on stderr, exit 1, nothing written
    import openpyxl

    wb = openpyxl.load_workbook(book)
    wb["items"]["C2"] = "published"
    wb.save(book)
    bad = runner.invoke(app, ["import", "xlsx", str(book), "--out", str(tmp_path / "y")])
    assert bad.exit_code == 1
    assert f"{book.as_posix()}:2:3: error XLS002 sheet items, cell C2 (status)" in bad.stderr
    assert bad.stderr.rstrip().endswith(f"nothing written to {tmp_path / 'y'}")
    assert not (tmp_path / "y").exists()
