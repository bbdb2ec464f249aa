"""The shipped sample bank and the --bank default (package data, working-folder lookup)."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cehrs_items.cli.app import app
from cehrs_items.errors import InputError
from cehrs_items.shipped import bank_label, default_bank, is_shipped_bank, shipped_bank

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_shipped_bank_is_the_repository_bank_in_a_checkout():
    bank = shipped_bank()
    assert bank.is_absolute()
    assert (bank / "blueprint.yaml").is_file()
    assert len(list((bank / "items").rglob("*.yaml"))) == len(
        list((ROOT / "item_bank" / "items").rglob("*.yaml"))
    )
    assert is_shipped_bank(ROOT / "item_bank")


def test_package_data_globs_cover_every_bank_file():
    # The wheel carries item_bank/ as cehrs_items/sample_bank through these globs; a file
    # they miss would be absent from an installed bank.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["cehrs_items.sample_bank"]
    files = sorted(
        p.relative_to(ROOT / "item_bank").as_posix()
        for p in (ROOT / "item_bank").rglob("*")
        if p.is_file()
    )
    assert len(files) > 380
    missed = [f for f in files if not any(fnmatch.fnmatchcase(f, g) for g in globs)]
    assert missed == []
    assert 'package_dir={"cehrs_items.sample_bank": "item_bank"}' in (ROOT / "setup.py").read_text(
        encoding="utf-8"
    )


def test_default_prefers_item_bank_in_the_working_folder(tmp_path):
    local = tmp_path / "item_bank"
    (local / "items").mkdir(parents=True)
    (local / "blueprint.yaml").write_text("id: x\n", encoding="utf-8")
    choice = default_bank(tmp_path)
    assert choice.path == Path("item_bank")
    assert not choice.shipped
    assert "the default" in choice.note() and str(tmp_path) in choice.note()


def test_default_falls_back_to_the_shipped_bank(tmp_path):
    choice = default_bank(tmp_path)
    assert choice.shipped
    assert choice.path == shipped_bank()
    note = choice.note()
    assert note.startswith("note: --bank not given and no item_bank/ in the working folder")
    assert str(tmp_path) in note and "shipped" in note


def test_default_item_bank_that_is_not_a_bank_is_an_error_naming_the_default(tmp_path):
    (tmp_path / "item_bank").mkdir()
    with pytest.raises(InputError) as err:
        default_bank(tmp_path)
    message = str(err.value)
    assert message.startswith("item_bank: the --bank default (item_bank/ found in the working")
    assert str(tmp_path) in message
    assert "no blueprint.yaml and no items/" in message


def test_bank_label_hides_the_absolute_shipped_path():
    assert bank_label(shipped_bank()) == "<sample bank>"
    assert bank_label("item_bank") == "item_bank"
    assert bank_label(Path("some/bank")) == "some/bank"


def test_cli_uses_the_shipped_bank_from_an_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["bank", "summary", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "using the sample bank shipped with cehrs-items" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["items"] == 381
    assert Path(summary["bank"]) == shipped_bank()


def test_cli_names_the_default_when_item_bank_is_broken(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "item_bank").mkdir()
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: item_bank: the --bank default (item_bank/ found in")


def test_missing_default_blueprint_says_it_is_the_default(tmp_path):
    (tmp_path / "b" / "items").mkdir(parents=True)
    result = runner.invoke(app, ["bank", "summary", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path / 'b' / 'blueprint.yaml'}: no blueprint (the --blueprint default, "
        f"<bank>/blueprint.yaml, looked for in {(tmp_path / 'b').resolve()}); "
        "give --blueprint FILE\n"
    )
