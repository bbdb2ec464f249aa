"""CLI: calibrate, link, score-theta (exit codes, outputs, determinism, error lines)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from cehrs_items.cli.app import app
from cehrs_items.irt.models import probability
from cehrs_items.irt.params import read_params

runner = CliRunner()
N_ITEMS = 10
IDS = [f"CO-{j:04d}" for j in range(1, N_ITEMS + 1)]
LETTERS = np.array(list("ABCD"))


def _data(tmp_path, n=600, seed=1, mean=0.0, sd=1.0, name="responses.csv"):
    rng = np.random.default_rng(seed)
    a = np.exp(rng.normal(0, 0.3, N_ITEMS))
    b = rng.normal(0, 1, N_ITEMS)
    theta = rng.normal(mean, sd, n)
    right = rng.random((n, N_ITEMS)) < probability(theta, a, b)
    key = LETTERS[rng.integers(0, 4, N_ITEMS)]
    wrong = LETTERS[(np.searchsorted(LETTERS, key)[None, :] + rng.integers(1, 4, (n, N_ITEMS))) % 4]
    letters = np.where(right, key[None, :], wrong).astype(object)
    letters[rng.random((n, N_ITEMS)) < 0.03] = None  # omitted
    frame = pl.DataFrame({"examinee_id": [f"E{i:05d}" for i in range(n)]}).with_columns(
        pl.Series(item, letters[:, j].tolist(), dtype=pl.String) for j, item in enumerate(IDS)
    )
    frame.write_csv(tmp_path / name)
    pl.DataFrame({"item_id": IDS, "key": key.tolist()}).write_csv(tmp_path / "key.csv")
    return a, b


def _run(args):
    return runner.invoke(app, [str(a) for a in args])


def test_calibrate_writes_parameter_file(tmp_path):
    _data(tmp_path)
    out = tmp_path / "params.csv"
    res = _run(
        ["calibrate", tmp_path / "responses.csv", "--key", tmp_path / "key.csv", "--out", out]
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("calibrated 10 items (2pl, mml-em): converged in ")
    assert "ability distribution: mean 0.0000, sd 1.0000" in res.stdout
    complete = pl.read_csv(tmp_path / "responses.csv").drop("examinee_id").drop_nulls().height
    assert f"item fit (S-X2) on {complete} examinees with no omitted response" in res.stdout
    frame = pl.read_csv(out)
    assert frame.columns[:14] == [
        "item_id", "model", "a", "b", "c", "d", "se_a", "se_b", "se_c", "n",
        "sx2", "sx2_df", "sx2_p", "warnings",
    ]  # fmt: skip
    assert frame["item_id"].to_list() == IDS
    assert read_params(out).height == N_ITEMS  # the hand-over contract reads it back


def test_calibrate_is_byte_identical_on_rerun(tmp_path):
    _data(tmp_path)
    outs = []
    for name in ("one.csv", "two.csv"):
        res = _run(
            ["calibrate", tmp_path / "responses.csv", "--key", tmp_path / "key.csv",
             "--model", "3pl", "--out", tmp_path / name, "--summary", tmp_path / f"{name}.json"]
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        outs.append((tmp_path / name).read_bytes() + (tmp_path / f"{name}.json").read_bytes())
    assert outs[0] == outs[1]
    summary = json.loads((tmp_path / "one.csv.json").read_text())
    assert summary["converged"] is True and summary["settings"]["model"] == "3pl"


def test_plain_em_and_squarem_agree(tmp_path):
    _data(tmp_path)
    frames, summaries = [], []
    for mode in ("none", "squarem"):
        out = tmp_path / f"{mode}.csv"
        res = _run(
            ["calibrate", tmp_path / "responses.csv", "--key", tmp_path / "key.csv",
             "--accelerate", mode, "--tol", "1e-8", "--max-iter", "5000", "--out", out,
             "--summary", tmp_path / f"{mode}.json"]
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        frames.append(pl.read_csv(out))
        summaries.append(json.loads((tmp_path / f"{mode}.json").read_text()))
    assert [s["settings"]["accelerate"] for s in summaries] == ["none", "squarem"]
    assert summaries[1]["n_iter"] < summaries[0]["n_iter"]
    for col in ("a", "b"):
        np.testing.assert_allclose(frames[1][col], frames[0][col], atol=1e-5)


def test_spilling_patterns_to_disk_changes_no_byte_of_the_outputs(tmp_path):
    _data(tmp_path, n=900)
    parts = tmp_path / "parts"
    parts.mkdir()
    frame = pl.read_csv(tmp_path / "responses.csv", infer_schema_length=0)
    for i in range(3):
        frame.slice(300 * i, 300).write_parquet(parts / f"part-{i}.parquet", row_group_size=100)
    spill = tmp_path / "spill"
    spill.mkdir()
    outs = []
    for name, extra in (("mem", []), ("disk", ["--memory-limit", "2KiB", "--spill-dir", spill])):
        res = _run(
            ["calibrate", parts, "--key", tmp_path / "key.csv", "--model", "3pl",
             "--out", tmp_path / name / "params.csv", "--summary", tmp_path / name / "s.json",
             "--chunk-rows", 100, *extra]
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        outs.append([(tmp_path / name / f).read_bytes() for f in ("params.csv", "s.json")])
        manifest = (tmp_path / name / "params.csv.manifest.json").read_text()
        assert "--memory-limit" not in manifest and "--spill-dir" not in manifest
    assert outs[0] == outs[1]
    assert list(spill.iterdir()) == []


def test_calibrate_on_a_dask_cluster_writes_the_local_bytes(tmp_path):
    pytest.importorskip("dask.distributed")
    _data(tmp_path, n=500)
    frame = pl.read_csv(tmp_path / "responses.csv", infer_schema_length=0)
    frame.write_parquet(tmp_path / "responses.parquet", row_group_size=100)
    outs = []
    for engine in ("local", "dask"):  # dask: a two-worker LocalCluster started here
        out = tmp_path / f"{engine}.csv"
        res = _run(
            ["calibrate", tmp_path / "responses.parquet", "--key", tmp_path / "key.csv",
             "--engine", engine, "--out", out]
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    res = _run(
        ["calibrate", tmp_path / "responses.parquet", "--key", tmp_path / "key.csv",
         "--scheduler", "tcp://127.0.0.1:1", "--out", tmp_path / "x.csv"]
    )  # fmt: skip
    assert res.exit_code == 2 and "--scheduler needs --engine dask" in res.output
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("size", ["lots", "12XB", "-5MiB"])
def test_a_memory_limit_that_is_not_a_size_is_bad_usage(tmp_path, size):
    _data(tmp_path)
    res = _run(
        ["calibrate", tmp_path / "responses.csv", "--key", tmp_path / "key.csv",
         "--memory-limit", size, "--out", tmp_path / "p.csv"]
    )  # fmt: skip
    assert res.exit_code == 2
    assert "is not a size" in res.output and "512MiB" in res.output


def test_refuses_to_overwrite_without_force(tmp_path):
    _data(tmp_path)
    out = tmp_path / "params.csv"
    out.write_text("keep me")
    args = ["calibrate", tmp_path / "responses.csv", "--key", tmp_path / "key.csv", "--out", out]
    res = _run(args)
    assert res.exit_code == 2
    assert res.stderr.strip() == f"error: {out}: already exists; use --force to overwrite it"
    assert out.read_text() == "keep me"
    assert _run([*args, "--force"]).exit_code == 0


def test_letters_without_key_is_a_usage_error(tmp_path):
    _data(tmp_path)
    res = _run(["calibrate", tmp_path / "responses.csv", "--out", tmp_path / "p.csv"])
    assert res.exit_code == 2
    assert "give a key (--key or --form)" in res.stderr
    assert not (tmp_path / "p.csv").exists()


def test_non_convergence_stops_with_message_and_no_file(tmp_path):
    _data(tmp_path)
    res = _run(
        ["calibrate", tmp_path / "responses.csv", "--key", tmp_path / "key.csv",
         "--max-iter", "3", "--out", tmp_path / "p.csv"]
    )  # fmt: skip
    assert res.exit_code == 2
    # progress lines first, then the one error line
    *progress, last = res.stderr.strip().splitlines()
    assert last.startswith("error: calibration did not converge in 3 cycles")
    assert progress and all(line.startswith("calibrate: ") for line in progress)
    assert not (tmp_path / "p.csv").exists()


def test_rasch_cml_and_bad_combination(tmp_path):
    _data(tmp_path)
    base = ["calibrate", tmp_path / "responses.csv", "--key", tmp_path / "key.csv"]
    res = _run([*base, "--model", "rasch", "--method", "cml", "--out", tmp_path / "r.csv"])
    assert res.exit_code == 0, res.output
    frame = pl.read_csv(tmp_path / "r.csv")
    assert (frame["a"] == 1.0).all() and abs(frame["b"].sum()) < 1e-8
    res = _run([*base, "--model", "2pl", "--method", "cml", "--out", tmp_path / "x.csv"])
    assert res.exit_code == 2
    assert (
        res.stderr.strip() == "error: --method cml estimates the Rasch model only; got --model 2pl"
    )


def test_anchor_calibration_and_write_stats(tmp_path):
    a, b = _data(tmp_path, n=1500, mean=0.4, sd=1.2)
    anchor = pl.DataFrame({"item_id": IDS[:7], "a": a[:7], "b": b[:7], "c": 0.0, "d": 1.0})
    anchor.write_csv(tmp_path / "anchor.csv")
    key = dict(pl.read_csv(tmp_path / "key.csv").iter_rows())
    form = {
        "form_id": "F-TEST",
        "blueprint_id": "cehrs",
        "positions": [
            {"position": j + 1, "item_id": item, "item_version": 2, "domain": 2, "key": key[item],
             "role": "scored" if j < 7 else "pretest"}
            for j, item in enumerate(IDS)
        ],
    }  # fmt: skip
    (tmp_path / "form.json").write_text(json.dumps(form))
    bank = tmp_path / "bank"
    res = _run(
        ["calibrate", tmp_path / "responses.csv", "--form", tmp_path / "form.json",
         "--anchor", tmp_path / "anchor.csv", "--out", tmp_path / "p.csv",
         "--write-stats", "--date", "2026-05-01", "--bank", bank]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    frame = pl.read_csv(tmp_path / "p.csv")
    assert frame.filter(pl.col("fixed"))["item_id"].to_list() == IDS[:7]
    pre = frame.filter(~pl.col("fixed"))
    assert np.sqrt(np.mean((pre["b"].to_numpy() - b[7:]) ** 2)) < 0.25
    stats = pl.read_csv(bank / "stats" / "item_stats.csv")
    assert stats["item_id"].to_list() == IDS[7:]
    assert set(stats["source"]) == {"calibration"} and set(stats["form_id"]) == {"F-TEST"}
    assert set(stats["item_version"]) == {2} and set(stats["theta_scale"]) == {"bank"}


def test_write_stats_needs_a_date(tmp_path):
    _data(tmp_path)
    res = _run(
        ["calibrate", tmp_path / "responses.csv", "--key", tmp_path / "key.csv",
         "--out", tmp_path / "p.csv", "--write-stats", "--form-id", "F1"]
    )  # fmt: skip
    assert res.exit_code == 2
    assert (
        res.stderr.strip()
        == "error: --write-stats needs --date YYYY-MM-DD (the administration date)"
    )


def test_score_theta_and_curves(tmp_path, declared_table):
    _data(tmp_path)
    assert (
        _run(
            [
                "calibrate",
                tmp_path / "responses.csv",
                "--key",
                tmp_path / "key.csv",
                "--out",
                tmp_path / "p.csv",
            ]
        ).exit_code  # fmt: skip
        == 0
    )
    res = _run(
        ["score-theta", tmp_path / "responses.csv", "--key", tmp_path / "key.csv",
         "--params", tmp_path / "p.csv", "--out", tmp_path / "theta.csv",
         "--curves", tmp_path / "tif.csv"]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert res.stdout == "scored 600 examinees on 10 items (eap, map, ml)\n"
    theta = pl.read_csv(tmp_path / "theta.csv")
    assert theta.columns == [
        "examinee_id", "n_answered", "raw", "theta_eap", "se_eap", "theta_map", "se_map",
        "theta_ml", "se_ml", "ml_status",
    ]  # fmt: skip
    assert theta.height == 600
    curves = pl.read_csv(tmp_path / "tif.csv")
    assert curves.columns == ["theta", "info", "csem", "expected_score"] and curves.height == 81
    # both tables are the declared ones (cehrs_items.tables), with one estimator or all
    declared_table(tmp_path / "theta.csv", "theta_scores")
    declared_table(tmp_path / "tif.csv", "information_curves")
    res = _run(
        ["score-theta", tmp_path / "responses.csv", "--key", tmp_path / "key.csv",
         "--params", tmp_path / "p.csv", "--method", "ml", "--out", tmp_path / "ml.parquet"]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    ml = declared_table(tmp_path / "ml.parquet", "theta_scores")
    assert ml.columns == ["examinee_id", "n_answered", "raw", "theta_ml", "se_ml", "ml_status"]


def test_link_command(tmp_path):
    base = pl.DataFrame(
        {"item_id": IDS, "a": np.linspace(0.6, 1.6, 10), "b": np.linspace(-2, 2, 10), "c": 0.0}
    )
    new = base.with_columns(pl.col("a") * 1.25, (pl.col("b") - 0.5) / 1.25)
    base.write_csv(tmp_path / "base.csv")
    new.write_csv(tmp_path / "new.csv")
    res = _run(
        ["link", tmp_path / "new.csv", tmp_path / "base.csv", "--out", tmp_path / "linked.csv",
         "--constants", tmp_path / "k.csv"]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[:4] == ["method: stocking-lord", "common items: 10", "A: 1.250000", "B: 0.500000"]
    linked = pl.read_csv(tmp_path / "linked.csv")
    assert np.allclose(linked["b"], base["b"], atol=1e-5)
    assert pl.read_csv(tmp_path / "k.csv")["method"].to_list()[0] == "stocking-lord"


def test_link_needs_common_items(tmp_path):
    pl.DataFrame({"item_id": ["AA-0001"], "a": [1.0], "b": [0.0], "c": [0.0]}).write_csv(
        tmp_path / "x.csv"
    )
    res = _run(["link", tmp_path / "x.csv", tmp_path / "x.csv"])
    assert res.exit_code == 2
    assert res.stderr.startswith("error: linking needs at least 2 common items; found 1")


@pytest.mark.parametrize("command", ["calibrate", "link", "score-theta"])
def test_help_has_example(command):
    res = _run([command, "--help"])
    assert res.exit_code == 0 and "Example: cehrs-items " + command in res.stdout


def test_link_symmetric_with_distributions_and_drift(tmp_path, declared_table):
    rng = np.random.default_rng(2)
    ids = [f"AN-{j:04d}" for j in range(16)]
    base = pl.DataFrame(
        {"item_id": ids, "a": np.exp(rng.normal(0, 0.2, 16)), "b": rng.normal(0, 1, 16), "c": 0.0}
    )
    new = base.with_columns(pl.col("a") * 1.2, (pl.col("b") - 0.4) / 1.2)
    new = new.with_columns(
        pl.when(pl.col("item_id") == "AN-0003").then(pl.col("b") + 1.5).otherwise(pl.col("b"))
    )
    base.write_csv(tmp_path / "base.csv")
    new.write_csv(tmp_path / "new.csv")
    pl.DataFrame({"theta": [-1.0, 0.0, 1.0], "weight": [1, 2, 1]}).write_csv(tmp_path / "q.csv")
    res = _run(
        ["link", tmp_path / "new.csv", tmp_path / "base.csv", "--method", "haebara",
         "--theta-new", tmp_path / "q.csv", "--screen-drift", "--drift-out", tmp_path / "d.csv",
         "--constants", tmp_path / "k.csv"]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == "method: haebara" and lines[1] == "common items: 15"
    assert lines[2] == "A: 1.200000" and lines[3] == "B: 0.400000"
    assert lines[4].startswith("criterion (haebara, symmetric): ")
    assert lines[5].startswith("theta new: ") and "(3 points, mean 0.0000, sd 0.7071)" in lines[5]
    assert lines[6].startswith("theta base: N(0, 1^2) (41 points")
    assert lines[7].startswith("drift screening (|robust z| > 2.7): dropped 1 of 16 anchors")
    assert lines[8].startswith("dropped AN-0003: robust z of b difference ")
    drift = declared_table(tmp_path / "d.csv", "link_drift")
    assert drift.filter(pl.col("flagged"))["item_id"].to_list() == ["AN-0003"]
    k = declared_table(tmp_path / "k.csv", "link_constants")
    assert k.columns == ["method", "A", "B", "criterion", "haebara_criterion",
                         "stocking_lord_criterion", "converged"]  # fmt: skip
    assert k["criterion"].null_count() == 2
    # the moment methods print no criterion of another method
    ms = _run(["link", tmp_path / "new.csv", tmp_path / "base.csv", "--method", "mean-sigma",
               "--items", ",".join(i for i in ids if i != "AN-0003")])  # fmt: skip
    assert ms.exit_code == 0 and "criterion" not in ms.stdout
    bad = _run(["link", tmp_path / "new.csv", tmp_path / "base.csv", "--drift-out", "x.csv"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --drift-out needs --screen-drift")
    missing = _run(["link", tmp_path / "new.csv", tmp_path / "base.csv", "--theta-base",
                    tmp_path / "nope.csv"])  # fmt: skip
    assert missing.exit_code == 2 and "no such ability distribution file" in missing.stderr


def test_a_terminated_calibration_removes_its_spilled_patterns(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    rng = np.random.default_rng(5)
    n, k = 4000, 20
    right = rng.random((n, k)) < probability(rng.normal(0, 1, n), np.ones(k), np.zeros(k))
    ids = [f"CO-{j:04d}" for j in range(k)]
    pl.DataFrame({"examinee_id": [f"E{i}" for i in range(n)]}).with_columns(
        pl.Series(item, np.where(right[:, j], "A", "B").tolist()) for j, item in enumerate(ids)
    ).write_parquet(tmp_path / "r.parquet")
    pl.DataFrame({"item_id": ids, "key": ["A"] * k}).write_csv(tmp_path / "key.csv")
    spill = tmp_path / "spill"
    spill.mkdir()
    # plain EM to a needless tolerance: runs until it is stopped
    proc = subprocess.Popen(
        [sys.executable, "-m", "cehrs_items", "calibrate", str(tmp_path / "r.parquet"),
         "--key", str(tmp_path / "key.csv"), "--memory-limit", "1KiB", "--spill-dir", str(spill),
         "--accelerate", "none", "--tol", "1e-300", "--max-iter", "100000000",
         "--out", str(tmp_path / "p.csv")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not list(spill.glob("*/patterns.codes")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(spill.glob("*/patterns.codes")), "the patterns were never spilled"
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert list(spill.iterdir()) == []
    assert not (tmp_path / "p.csv").exists()
