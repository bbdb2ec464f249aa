"""Every command's outputs carry a manifest recording the command line, read by the CLI's
shared options layer (not by the library)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from cehrs_items.cli.app import app
from cehrs_items.io import sha256_file, verify_manifest

runner = CliRunner()


def test_scale_manifest_records_the_command_line(tmp_path, monkeypatch, bank_dir):
    monkeypatch.chdir(tmp_path)
    pl.DataFrame({"score": np.arange(101), "equated": np.arange(101) * 0.97 + 1.3}).write_csv(
        "eq.csv"
    )
    blueprint = bank_dir / "blueprint.yaml"  # typed absolute
    args = ["scale", "--equating", "eq.csv", "--blueprint", str(blueprint), "--out", "conv.csv"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    doc = verify_manifest(Path("conv.csv.manifest.json"))
    assert doc["command"] == "scale"
    assert doc["options"]["--equating"] == "eq.csv"
    # An absolute path is recorded relative to the working folder (wherever the checkout is).
    assert not doc["options"]["--blueprint"].startswith("/")
    assert (tmp_path / doc["options"]["--blueprint"]).resolve() == blueprint.resolve()
    assert set(doc["options"]) == {"--equating", "--blueprint"}  # no --out, no defaults
    assert [i["path"] for i in doc["inputs"]] == sorted(["eq.csv", doc["options"]["--blueprint"]])
    assert {i["path"]: i["sha256"] for i in doc["inputs"]}["eq.csv"] == sha256_file("eq.csv")
    assert [o["path"] for o in doc["outputs"]] == ["conv.csv", "conv.json"]
    assert doc["seed"] is None and doc["warnings"] == []
    before = Path("conv.csv.manifest.json").read_bytes()
    # A refused run writes nothing; --force is not recorded, so the bytes are the same.
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert refused.stderr == "error: conv.csv: already exists; use --force to overwrite it\n"
    again = runner.invoke(app, [*args, "--force"])
    assert again.exit_code == 0, again.output
    assert Path("conv.csv.manifest.json").read_bytes() == before
    assert sorted(p.name for p in Path(".").iterdir()) == [
        "conv.csv",
        "conv.csv.manifest.json",
        "conv.json",
        "eq.csv",
    ]


def test_subcommand_path_and_seed(tmp_path, monkeypatch, bank_dir):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app,
        [
            "simulate",
            "responses",
            "--form",
            str(bank_dir),
            "--examinees",
            "20",
            "--seed",
            "5",
            "--out",
            "r.csv",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = verify_manifest(Path("r.csv.manifest.json"))
    assert doc["command"] == "simulate responses"
    assert doc["seed"] == 5 and doc["options"]["--seed"] == 5
    assert [o["path"] for o in doc["outputs"]] == [
        "r.csv",
        "r_items.csv",
        "r_simulation.json",
        "r_truth.parquet",
    ]
    assert json.loads(Path("r_simulation.json").read_text())["settings"]["seed"] == 5


def test_data_warnings_of_the_reader_reach_the_manifest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    items = [f"NC-{i:04d}" for i in range(1, 5)]
    rng = np.random.default_rng(4)
    rows = ["examinee_id," + ",".join(items)]
    for e in range(30):
        rows.append(f"E{e:03d}," + ",".join(rng.choice(list("ABCD"), len(items))))
    rows.append("E999," + "," * (len(items) - 1))  # omitted every item
    Path("r.csv").write_text("\n".join(rows) + "\n")
    Path("key.csv").write_text("item_id,key,n_options\n" + "".join(f"{i},A,4\n" for i in items))
    result = runner.invoke(app, ["analyze", "r.csv", "--key", "key.csv", "--out", "out"])
    assert result.exit_code == 0, result.output
    doc = verify_manifest(Path("out") / "manifest.json")
    omitted = [w for w in doc["warnings"] if "omitted every item" in w]
    assert len(omitted) == 1 and omitted[0].startswith("r.csv: 1 examinee")
    assert f"warning: {omitted[0]}" in result.stderr
