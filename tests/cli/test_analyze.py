"""``cehrs-items analyze`` through the CLI: outputs, exit codes, stderr lines, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from cehrs_items.analysis import analyze as run_analysis
from cehrs_items.analysis.output import summary_text
from cehrs_items.cli.app import app
from cehrs_items.forms import dumps_form
from cehrs_items.io import verify_manifest

runner = CliRunner()


def _data(n=400, k=10, seed=3):
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n)
    keys = rng.integers(0, 4, k)
    frame = {"examinee_id": [f"E{i:04d}" for i in range(n)]}
    for j in range(k):
        right = rng.random(n) < 1 / (1 + np.exp(-(theta - rng.normal(-0.5, 1))))
        code = np.where(right, keys[j], (keys[j] + 1 + rng.integers(0, 3, n)) % 4)
        frame[f"NC-{j + 1:04d}"] = [None if rng.random() < 0.02 else "ABCD"[c] for c in code]
    frame["sex"] = np.where(rng.random(n) < 0.2, "F", "M").tolist()
    key = {f"NC-{j + 1:04d}": "ABCD"[keys[j]] for j in range(k)}
    return pl.DataFrame(frame), key


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    frame, key = _data()
    monkeypatch.chdir(tmp_path)
    frame.write_csv("responses.csv")
    pl.DataFrame({"item_id": list(key), "key": list(key.values())}).write_csv("key.csv")
    positions = [
        {
            "position": i + 1,
            "item_id": item,
            "item_version": 1,
            "role": "pretest" if i >= 8 else "scored",
            "domain": 1 + i % 5,
            "key": letter,
        }
        for i, (item, letter) in enumerate(key.items())
    ]
    Path("form.json").write_text(
        dumps_form({"form_id": "F1", "blueprint_id": "b", "positions": positions})
    )
    return {"responses": Path("responses.csv"), "key": Path("key.csv"), "form": Path("form.json")}


ARGS = ["--form", "form.json", "--cut", "5", "--group", "sex", "--reference", "M", "--focal", "F"]


def test_full_run_writes_every_table(files):
    result = runner.invoke(app, ["analyze", "responses.csv", "--out", "out", *ARGS])
    assert result.exit_code == 0, result.stderr
    expected = run_analysis(
        "responses.csv", form="form.json", raw_cut=5, group="sex", reference="M", focal="F"
    )
    assert result.stdout == summary_text(expected) + "\n"
    names = sorted(p.name for p in Path("out").iterdir())
    assert names == [
        "dif.csv",
        "findings.json",
        "item_stats.csv",
        "manifest.json",
        "option_stats.csv",
        "test_stats.json",
    ]
    items = pl.read_csv("out/item_stats.csv")
    assert items.columns[:3] == ["item_id", "role", "domain"] and items.height == 10
    assert items.filter(pl.col("role") == "pretest").height == 2
    stats = json.loads(Path("out/test_stats.json").read_text())
    assert stats["n_items"] == 8 and stats["decision"]["raw_cut"] == 5
    assert "analyze: counting responses by score group" in result.stderr
    assert "wrote out/item_stats.csv" in result.stderr


def test_same_inputs_give_the_same_bytes_and_force_is_needed(files):
    first = runner.invoke(app, ["analyze", "responses.csv", "--out", "a", *ARGS])
    assert first.exit_code == 0
    again = runner.invoke(app, ["analyze", "responses.csv", "--out", "a", *ARGS])
    assert again.exit_code == 2
    # Refused before any work: no progress line, only the error.
    assert again.stderr == "error: a: already exists and is not empty; use --force to replace it\n"
    forced = runner.invoke(app, ["analyze", "responses.csv", "--out", "b", *ARGS])
    assert forced.exit_code == 0
    for name in ("item_stats.csv", "option_stats.csv", "dif.csv", "test_stats.json"):
        assert (Path("a") / name).read_bytes() == (Path("b") / name).read_bytes()
    assert (Path("a") / "manifest.json").read_bytes() == (Path("b") / "manifest.json").read_bytes()
    manifest = verify_manifest(Path("a") / "manifest.json")
    assert manifest["command"] == "analyze"
    assert manifest["options"]["responses"] == "responses.csv"
    assert [i["path"] for i in manifest["inputs"]] == ["form.json", "responses.csv"]
    assert (
        runner.invoke(app, ["analyze", "responses.csv", "--out", "a", "--force", *ARGS]).exit_code
        == 0
    )


@pytest.mark.parametrize("fmt", ["parquet", "json"])
def test_other_table_formats(files, fmt):
    result = runner.invoke(
        app, ["analyze", "responses.csv", "--key", "key.csv", "--out", "o", "--format", fmt]
    )
    assert result.exit_code == 0, result.stderr
    path = Path("o") / f"item_stats.{fmt}"
    frame = (
        pl.read_parquet(path) if fmt == "parquet" else pl.DataFrame(json.loads(path.read_text()))
    )
    assert frame.height == 10 and "p_value" in frame.columns
    assert not (Path("o") / "dif.csv").exists()


def test_strict_fails_on_warnings(files):
    # 10 thresholds: the focal group (about 80 examinees) is below min_focal 100
    base = ["analyze", "responses.csv", "--out", "s", "--key", "key.csv", "--group", "sex"]
    base += ["--reference", "M", "--focal", "F"]
    relaxed = runner.invoke(app, base)
    assert relaxed.exit_code == 0
    assert "warning ANA001 DIF focal group sex='F' has" in relaxed.stderr
    strict = runner.invoke(app, [*base, "--strict", "--force"])
    assert strict.exit_code == 1
    lowered = runner.invoke(app, [*base, "--strict", "--force", "--flag-threshold", "min_focal=50"])
    assert lowered.exit_code == 0


def test_thresholds_file_and_override(files):
    Path("flags.yaml").write_text("p_high: 0.0\n")
    result = runner.invoke(
        app,
        [
            "analyze",
            "responses.csv",
            "--key",
            "key.csv",
            "--out",
            "t",
            "--thresholds",
            "flags.yaml",
            "--flag-threshold",
            "p_low=0.0",
        ],
    )
    assert result.exit_code == 0
    stats = json.loads(Path("t/test_stats.json").read_text())
    assert stats["thresholds"]["p_high"] == 0.0 and stats["thresholds"]["p_low"] == 0.0
    assert all("high_p" in f for f in pl.read_csv("t/item_stats.csv")["flags"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "error: responses.csv: responses are option letters; give a key (--key or --form)"),
        (
            ["--key", "key.csv", "--cut", "11"],
            "error: --raw-cut 11 (given (--raw-cut)) must be a raw score in (0, 10]",
        ),
        (["--key", "key.csv", "--flag-threshold", "p_lo=1"], "error: --flag-threshold: unknown"),
        (["--key", "key.csv", "--group", "sex"], "error: DIF needs --group, --reference and"),
        (["--key", "nokey.csv"], "error: nokey.csv: no such key file"),
        (["--key", "key.csv", "--weight-column", "w"], "error: responses.csv: weight column 'w'"),
    ],
)
def test_error_paths_are_one_line_and_exit_2(files, extra, message):
    result = runner.invoke(app, ["analyze", "responses.csv", "--out", "e", *extra])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert not Path("e").exists()


def test_missing_file_and_bad_omit(files):
    missing = runner.invoke(app, ["analyze", "nothere.csv", "--key", "key.csv", "--out", "m"])
    assert missing.exit_code == 2
    assert missing.stderr.strip().endswith("error: nothere.csv: no such file or directory")
    bad = runner.invoke(app, ["analyze", "responses.csv", "--omit", "skip", "--out", "m"])
    assert bad.exit_code == 2


def test_help_has_an_example():
    result = runner.invoke(app, ["analyze", "--help"])
    assert result.exit_code == 0
    assert "Example: cehrs-items analyze" in result.stdout
    assert "--flag-threshold" in result.stdout


def test_logistic_dif_beside_mh(files):
    result = runner.invoke(
        app, ["analyze", "responses.csv", "--out", "o", "--dif-method", "mh,logistic", *ARGS]
    )
    assert result.exit_code == 0, result.stderr
    lr = pl.read_csv("o/dif_logistic.csv")
    assert lr.columns == [
        "item_id", "n", "chi2_uniform", "p_uniform", "chi2_nonuniform", "p_nonuniform",
        "chi2_total", "p_total", "r2_delta", "category",
    ]  # fmt: skip
    assert lr.height == 10 and Path("o/dif.csv").exists()
    assert "logistic DIF categories" in result.stdout
    stats = json.loads(Path("o/test_stats.json").read_text())
    assert sum(stats["dif_logistic"]["categories"].values()) == lr["category"].count()
    only = runner.invoke(
        app, ["analyze", "responses.csv", "--out", "p", "--dif-method", "logistic", *ARGS]
    )
    assert only.exit_code == 0 and not Path("p/dif.csv").exists()
    bad = runner.invoke(app, ["analyze", "responses.csv", "--out", "q", "--dif-method", "sibtest",
                              *ARGS])  # fmt: skip
    assert bad.exit_code == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("error: --dif-method sibtest")
