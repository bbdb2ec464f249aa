"""``cehrs-items equate``: outputs, determinism, overwrite protection and error paths."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from cehrs_items.cli.app import app

runner = CliRunner()
REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "kolen-brennan"


@pytest.fixture
def act_files(shared_data, tmp_path):
    frame = pl.read_csv(shared_data / "kolen-brennan" / "actmath.csv")
    frame.select("score", pl.col("freq_x").alias("freq")).write_csv(tmp_path / "x.csv")
    frame.select("score", pl.col("freq_y").alias("freq")).write_csv(tmp_path / "y.csv")
    return tmp_path / "x.csv", tmp_path / "y.csv"


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_random_groups_equipercentile_reproduces_table_2_7(act_files, tmp_path):
    x, y = act_files
    out = tmp_path / "eq.csv"
    result = run("equate", "--x", x, "--y", y, "--method", "equipercentile", "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "equipercentile (random-groups); equated mean 18.9799, SD 8.9352"
    )
    assert result.stdout.splitlines()[-1] == f"wrote {out} and {out.with_suffix('.json')}"
    assert result.stderr.splitlines()[0] == (
        "note: equipercentile: X: 1 score point(s) with zero frequency (0); inverse "
        "percentile ranks there use the midpoint convention"
    )
    table = pl.read_csv(out)
    assert table.columns == ["score", "equated", "se"]
    assert table["se"].null_count() == table.height
    expected = pl.read_csv(REFERENCE / "ch2_actmath_equipercentile.csv")
    np.testing.assert_allclose(table["equated"], expected["equated"], atol=1e-4)
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["method"] == "equipercentile"
    assert summary["design"] == "random_groups"
    assert set(summary["inputs"]) == {"x", "y"}
    assert len(summary["inputs"]["x"]["sha256"]) == 64
    assert summary["results"][0]["equated_moments"]["mean"] == pytest.approx(18.9799, abs=1e-4)


def test_linear_summary_has_coefficients_and_analytic_se(act_files, tmp_path):
    x, y = act_files
    out = tmp_path / "lin.csv"
    result = run("equate", "--x", x, "--y", y, "--method", "linear", "--analytic-se", "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["results"][0]["linear"]["slope"] == pytest.approx(1.0886, abs=1e-4)
    assert summary["standard_errors"]["kind"] == "analytic"
    assert pl.read_csv(out)["se"].null_count() == 0


def test_same_inputs_and_seed_give_identical_bytes(act_files, tmp_path):
    x, y = act_files
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name / "eq.csv"
        result = run(
            "equate", "--x", x, "--y", y, "--method", "equipercentile", "--presmooth", "aic",
            "--bootstrap", "200", "--seed", "5", "--out", out,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "bootstrapping 200 replications" in result.stderr
        outs.append(out)
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert outs[0].with_suffix(".json").read_bytes() == outs[1].with_suffix(".json").read_bytes()
    assert b"/" not in outs[0].with_suffix(".json").read_bytes().split(b'"file"')[1][:40]


def test_existing_output_needs_force(act_files, tmp_path):
    x, y = act_files
    out = tmp_path / "eq.csv"
    out.write_text("keep me\n")
    result = run("equate", "--x", x, "--y", y, "--method", "mean", "--out", out)
    assert result.exit_code == 2
    assert result.stderr == f"error: {out}: already exists; use --force to overwrite it\n"
    assert out.read_text() == "keep me\n"
    assert not out.with_suffix(".json").exists()  # nothing half-written
    result = run("equate", "--x", x, "--y", y, "--method", "mean", "--out", out, "--force")
    assert result.exit_code == 0
    assert pl.read_csv(out)["equated"][10] == pytest.approx(10 - 0.8726, abs=1e-4)


def test_neat_compare_on_the_chapter_4_data(shared_data, tmp_path):
    data = shared_data / "kolen-brennan"
    out = tmp_path / "cmp.csv"
    result = run(
        "equate", "--x", data / "kbneat_x.csv", "--y", data / "kbneat_y.csv", "--design", "neat",
        "--compare", "tucker,levine-observed,chained-equipercentile", "--max-x", "36",
        "--max-y", "36", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "tucker (neat): slope 1.0292, intercept 0.5378; equated mean 16.8197, SD 6.7182"
    )
    assert any(line.startswith("largest |levine-observed - tucker|: ") for line in lines)
    table = pl.read_csv(out)
    assert table.columns == [
        "score",
        "equated_tucker",
        "equated_levine_observed",
        "equated_chained_equipercentile",
        "diff_levine_observed",
        "diff_chained_equipercentile",
    ]
    np.testing.assert_allclose(
        table["diff_levine_observed"],
        table["equated_levine_observed"] - table["equated_tucker"],
        atol=1e-12,
    )
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["methods"] == ["tucker", "levine_observed", "chained_equipercentile"]
    assert summary["results"][0]["settings"]["w1"] == pytest.approx(1655 / 3293)


def test_w1_option(shared_data, tmp_path):
    data = shared_data / "kolen-brennan"
    out = tmp_path / "t.csv"
    result = run(
        "equate", "--x", data / "kbneat_x.csv", "--y", data / "kbneat_y.csv", "--method",
        "tucker", "--w1", "1", "--max-x", "36", "--max-y", "36", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("tucker (neat): slope 1.0289")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--method", "tucker"],
            "error: method tucker belongs to the neat design, not random-groups\n",
        ),
        (["--method", "nope"], "error: unknown method 'nope'; choose one of "),
        (
            ["--method", "mean", "--compare", "mean,linear"],
            "error: give exactly one of --method and --compare\n",
        ),
        (
            ["--method", "mean", "--bootstrap", "10", "--analytic-se"],
            "error: choose --bootstrap or --analytic-se, not both\n",
        ),
        (
            ["--method", "equipercentile", "--presmooth", "x"],
            "error: --presmooth 'x': give a degree (e.g. 6), aic or bic\n",
        ),
        (
            ["--method", "equipercentile", "--presmooth", "3", "--analytic-se"],
            "error: no analytic SE for smoothed equipercentile equating; use --bootstrap\n",
        ),
    ],
)
def test_usage_errors(act_files, tmp_path, args, message):
    x, y = act_files
    extra = ["--design", "random-groups"] if "tucker" in args else []
    result = run("equate", "--x", x, "--y", y, *extra, *args, "--out", tmp_path / "o.csv")
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert not (tmp_path / "o.csv").exists()


def test_score_file_without_maximum(shared_data, tmp_path):
    data = shared_data / "kolen-brennan"
    result = run(
        "equate", "--x", data / "kbneat_x.csv", "--y", data / "kbneat_y.csv", "--method",
        "tucker", "--out", tmp_path / "o.csv",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {data / 'kbneat_x.csv'}: the maximum possible score of Form X is unknown; "
        "give --max-x (the number of scored items) or a form file\n"
    )


def _write_form(path: Path, items: list[str], anchors: set[str], key: dict[str, str]) -> None:
    positions = [
        {
            "position": k,
            "item_id": item,
            "item_version": 1,
            "role": "scored",
            "domain": 1 + k % 5,
            "key": key[item],
            **({"anchor": True} if item in anchors else {}),
        }
        for k, item in enumerate(items, start=1)
    ]
    path.write_text(
        json.dumps({"form_id": path.stem, "blueprint_id": "cehrs-2020", "positions": positions})
    )


def test_response_files_with_forms_and_anchor_items(tmp_path):
    rng = np.random.default_rng(0)
    anchor = [f"RG-{i:04d}" for i in range(1, 7)]
    unique_x = [f"NC-{i:04d}" for i in range(1, 15)]
    unique_y = [f"CO-{i:04d}" for i in range(1, 15)]
    key = {i: "ABCD"[rng.integers(4)] for i in anchor + unique_x + unique_y}
    difficulty = {i: rng.normal() for i in key}
    for name, items, shift in (("fx", anchor + unique_x, 0.3), ("fy", anchor + unique_y, 0.0)):
        _write_form(tmp_path / f"{name}.json", items, set(anchor), key)
        theta = rng.normal(shift, 1, 400)
        rows = {"examinee_id": [f"{name}{e:04d}" for e in range(400)]}
        for item in items:
            p = 1 / (1 + np.exp(-(theta - difficulty[item])))
            right = rng.random(400) < p
            rows[item] = [key[item] if r else ("A" if key[item] != "A" else "B") for r in right]
        pl.DataFrame(rows).write_csv(tmp_path / f"{name}.csv")
    out = tmp_path / "eq.csv"
    result = run(
        "equate", "--x", tmp_path / "fx.csv", "--y", tmp_path / "fy.csv", "--form-x",
        tmp_path / "fx.json", "--form-y", tmp_path / "fy.json", "--design", "neat",
        "--method", "frequency-estimation", "--bootstrap", "50", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out)
    assert table.height == 21 and table["se"].null_count() == 0
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["inputs"]["x"]["form_id"] == "fx"
    assert summary["results"][0]["settings"]["anchor"] == "internal"


def test_irt_methods_from_parameter_files(tmp_path):
    rng = np.random.default_rng(1)
    for name, shift in (("px", 0.2), ("py", 0.0)):
        pl.DataFrame(
            {
                "item_id": [f"{name}-{i}" for i in range(30)],
                "a": rng.uniform(0.7, 1.5, 30),
                "b": rng.normal(shift, 1, 30),
                "c": np.full(30, 0.2),
            }
        ).write_csv(tmp_path / f"{name}.csv")
    out = tmp_path / "irt.csv"
    result = run(
        "equate", "--method", "irt-true", "--params-x", tmp_path / "px.csv", "--params-y",
        tmp_path / "py.csv", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out)
    assert table.height == 31 and table["equated"][30] == 30.0
    result = run("equate", "--method", "irt-observed", "--out", tmp_path / "o.csv")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: irt methods need --params-x and --params-y (parameters on a common scale)\n"
    )


def test_help_has_an_example():
    result = run("equate", "--help")
    assert result.exit_code == 0
    assert "Example: cehrs-items equate" in result.stdout


def test_single_group_design(tmp_path):
    rng = np.random.default_rng(2)
    theta = rng.normal(0, 1, 800)
    sx = rng.binomial(40, 1 / (1 + np.exp(-(theta + 0.2))))
    sy = rng.binomial(40, 1 / (1 + np.exp(-theta)))
    pl.DataFrame({"score_x": sx, "score_y": sy}).write_csv(tmp_path / "sg.csv")
    out = tmp_path / "sg_eq.csv"
    result = run(
        "equate", "--x", tmp_path / "sg.csv", "--design", "single-group", "--method", "linear",
        "--max-x", "40", "--max-y", "40", "--analytic-se", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("linear (single-group): slope ")
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["design"] == "single_group"
    assert set(summary["inputs"]) == {"xy"}
    result = run(
        "equate", "--x", tmp_path / "sg.csv", "--y", tmp_path / "sg.csv", "--design",
        "single-group", "--method", "mean", "--max-x", "40", "--max-y", "40", "--out", out,
        "--force",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == "error: the single-group design reads one file (--x); drop --y\n"


def test_irt_true_writes_theta_and_reports_dropped_anchors(tmp_path, shared_data):
    ch6 = shared_data / "kolen-brennan" / "ch6"
    for name in ("common_items_x", "common_items_y"):
        pl.read_csv(ch6 / f"{name}.csv").with_columns(pl.lit(1.7).alias("d")).write_csv(
            tmp_path / f"{name}.csv"
        )
    linked = tmp_path / "linked.csv"
    result = run(
        "link", tmp_path / "common_items_x.csv", tmp_path / "common_items_y.csv",
        "--screen-drift", "--drift-iterations", "1", "--out", linked,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = tmp_path / "irt.csv"
    result = run(
        "equate", "--method", "irt-true", "--params-x", linked, "--params-y",
        tmp_path / "common_items_y.csv", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out)
    assert table.columns == ["score", "equated", "se", "theta_x"]
    assert table["theta_x"][0] is None and table["theta_x"][12] is None
    assert table["theta_x"].drop_nulls().is_sorted()
    summary = json.loads(out.with_suffix(".json").read_text())
    dropped = summary["linking_anchors"]["dropped"]
    assert [d["item_id"] for d in dropped] == ["CI07", "CI09"]
    assert "note: the Form X parameters were linked on 10 anchor(s); 2 dropped" in result.stderr
    assert "note: dropped anchor CI09: drift: robust z of b difference" in result.stderr
    assert "lie at or below the sum of Form X's c parameters" in result.stderr
