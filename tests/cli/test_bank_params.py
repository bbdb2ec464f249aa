import shutil

from typer.testing import CliRunner

from cehrs_items.cli.app import app
from cehrs_items.irt.params import read_params

runner = CliRunner()


def test_bank_params_writes_a_readable_parameter_file(bank_dir, tmp_path):
    out = tmp_path / "bank_params.csv"
    result = runner.invoke(app, ["bank", "params", str(bank_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    params = read_params(out)
    assert params.height == int(result.stdout.split("parameters of ")[1].split()[0])
    assert params["item_id"].is_sorted() and (params["c"] >= 0).all()
    again = runner.invoke(app, ["bank", "params", str(bank_dir), "--out", str(out)])
    assert again.exit_code == 2 and "already exists; use --force" in again.stderr


def test_bank_without_statistics_is_a_clear_error(bank_dir, tmp_path):
    bank = tmp_path / "bank"
    shutil.copytree(bank_dir / "items", bank / "items")
    shutil.copy(bank_dir / "blueprint.yaml", bank / "blueprint.yaml")
    result = runner.invoke(app, ["bank", "params", str(bank), "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 2
    assert "the bank has no statistics table" in result.stderr
    assert not (tmp_path / "p.csv").exists()
