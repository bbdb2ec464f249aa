"""``cehrs-items standard-setting`` end to end, and the cut flowing into ``scale``."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from cehrs_items.cli.app import app
from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.standard_setting.simulate import simulate_bookmarks, simulate_ratings

runner = CliRunner()
ITEMS = [f"CO-{i:04d}" for i in range(1, 11)]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def panel(tmp_path):
    """A 10-item form's parameters, 200 simulated examinees and a simulated panel."""
    rng = np.random.default_rng(7)
    a = rng.uniform(0.8, 1.6, 10)
    b = np.linspace(-1.5, 1.5, 10)
    c = np.full(10, 0.15)
    params = tmp_path / "params.csv"
    pl.DataFrame({"item_id": ITEMS, "a": a, "b": b, "c": c}).write_csv(params)
    theta = rng.normal(0.2, 1.0, 200)
    p = c + (1 - c) / (1 + np.exp(-a * (theta[:, None] - b)))
    scores = (rng.random(p.shape) < p).astype(int)
    responses = tmp_path / "responses.csv"
    pl.DataFrame(
        {
            "examinee_id": [f"E{i:03d}" for i in range(200)],
            **{item: scores[:, j] for j, item in enumerate(ITEMS)},
            "group": ["f" if i % 3 == 0 else "m" for i in range(200)],
        }
    ).write_csv(responses)
    form = IrtForm(tuple(ITEMS), a, b, c, np.ones(10))
    ratings = tmp_path / "ratings.csv"
    simulate_ratings(form, theta_cut=0.0, n_judges=6, n_rounds=2, seed=3).write_csv(ratings)
    bookmarks = tmp_path / "bookmarks.csv"
    simulate_bookmarks(form, theta_cut=0.0, n_judges=6, n_rounds=2, seed=3).write_csv(bookmarks)
    return {"params": params, "responses": responses, "ratings": ratings, "bookmarks": bookmarks}


def test_angoff_writes_the_folder_and_is_byte_identical(tmp_path, panel):
    args = [
        "standard-setting",
        "angoff",
        panel["ratings"],
        "--params",
        panel["params"],
        "--responses",
        panel["responses"],
        "--group",
        "group",
    ]
    result = run(*args, "--out", tmp_path / "a1")
    assert result.exit_code == 0, result.output
    cut = json.loads((tmp_path / "a1" / "cut.json").read_text())
    assert cut["method"] == "angoff" and cut["final_round"] == 2 and cut["max_score"] == 10
    assert result.stdout == (
        f"angoff: raw cut {cut['raw_cut']:.3f} (lowest passing score {cut['raw_cut_whole']}), "
        f"SE {cut['raw_cut_se']:.3f}; theta cut {cut['theta_cut']:.3f} "
        f"(SE {cut['theta_cut_se']:.3f}); pass rate {cut['impact']['pass_rate']:.4f}\n"
    )
    names = sorted(p.name for p in (tmp_path / "a1").iterdir())
    assert names == [
        "cut.json",
        "impact.csv",
        "items.csv",
        "judges.csv",
        "manifest.json",
        "rounds.csv",
    ]
    items = pl.read_csv(tmp_path / "a1" / "items.csv")
    assert items["p_value"].null_count() == 0  # empirical p-values beside the ratings
    impact = pl.read_csv(tmp_path / "a1" / "impact.csv")
    assert impact["group"].to_list() == ["all", "f", "m"]
    assert cut["inputs"]["ratings"]["file"] == "ratings.csv"
    assert str(tmp_path) not in (tmp_path / "a1" / "cut.json").read_text()
    # Same inputs, same bytes.
    assert run(*args, "--out", tmp_path / "a2").exit_code == 0
    for name in names:
        assert (tmp_path / "a1" / name).read_bytes() == (tmp_path / "a2" / name).read_bytes()
    # Existing outputs are refused without --force.
    again = run(*args, "--out", tmp_path / "a1")
    assert again.exit_code == 2
    assert "already exists and is not empty; use --force" in again.stderr


def test_bad_rating_is_refused_with_its_location(tmp_path, panel):
    text = panel["ratings"].read_text().splitlines()
    fields = text[3].split(",")
    fields[-1] = "1.4"
    text[3] = ",".join(fields)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(text) + "\n")
    result = run("standard-setting", "angoff", bad, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {bad}: row 3, column rating: '1.4' is not a probability in [0, 1]\n"
    )
    assert not (tmp_path / "out").exists()


def test_bookmark_and_scale_with_the_new_cut(tmp_path, panel, bank_dir):
    out = tmp_path / "bm"
    result = run(
        "standard-setting",
        "bookmark",
        panel["bookmarks"],
        "--params",
        panel["params"],
        "--rp",
        "0.67",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    cut = json.loads((out / "cut.json").read_text())
    assert cut["method"] == "bookmark" and cut["settings"]["rp"] == 0.67
    booklet = pl.read_csv(out / "booklet.csv")
    assert booklet["theta_rp"].is_sorted()
    # A bookmark beyond the 10-page booklet.
    beyond = tmp_path / "beyond.csv"
    beyond.write_text("judge_id,page\nA,4\nB,11\n")
    bad = run(
        "standard-setting", "bookmark", beyond, "--params", panel["params"], "--out", tmp_path / "x"
    )
    assert bad.exit_code == 2
    assert bad.stderr == (
        f"error: {beyond}: row 2, column page: '11' is not a page of the booklet, 1 to 10\n"
    )
    # scale --standard: the lowest whole passing score maps to the passing score 390.
    conv = tmp_path / "conv.csv"
    scaled = run(
        "scale",
        "--blueprint",
        bank_dir / "blueprint.yaml",
        "--params",
        panel["params"],
        "--standard",
        out,
        "--out",
        conv,
    )
    assert scaled.exit_code == 0, scaled.output
    table = pl.read_csv(conv)
    whole = cut["raw_cut_whole"]
    assert table.filter(pl.col("raw_score") == whole)["scaled"][0] == 390
    assert table.filter(pl.col("raw_score") == whole - 1)["pass"][0] is False
    summary = json.loads(conv.with_suffix(".json").read_text())
    assert summary["inputs"]["standard"]["method"] == "bookmark"
    assert summary["raw_cut_base"] == whole
    # The cut belongs to a 10-item form; a 100-item conversion is refused.
    wrong = run(
        "scale",
        "--blueprint",
        bank_dir / "blueprint.yaml",
        "--standard",
        out,
        "--out",
        conv,
        "--force",
    )
    assert wrong.exit_code == 2
    assert "the cut was set on a form of 10 scored items" in wrong.stderr


def test_hofstee_beuk_and_impact(tmp_path, panel):
    hof = tmp_path / "hofstee.csv"
    hof.write_text(
        "judge_id,min_cut,max_cut,min_fail,max_fail\nA,4,7,0.1,0.5\nB,5,8,0.2,0.6\nC,5,7,0.1,0.4\n"
    )
    result = run(
        "standard-setting",
        "hofstee",
        hof,
        "--responses",
        panel["responses"],
        "--params",
        panel["params"],
        "--out",
        tmp_path / "h",
    )
    assert result.exit_code == 0, result.output
    cut = json.loads((tmp_path / "h" / "cut.json").read_text())
    assert cut["method"] == "hofstee" and 14 / 3 <= cut["raw_cut"] <= 22 / 3
    # The theta cut: the form's TCC at it gives back the raw cut.
    params = pl.read_csv(panel["params"])
    a, b, c = (params[k].to_numpy() for k in ("a", "b", "c"))
    tcc = float(np.sum(c + (1 - c) / (1 + np.exp(-a * (cut["theta_cut"] - b)))))
    assert tcc == pytest.approx(cut["raw_cut"], abs=1e-8)
    curve = pl.read_csv(tmp_path / "h" / "curve.csv")
    assert curve.height == 11

    scores = tmp_path / "scores.csv"
    pl.DataFrame({"examinee_id": ["a", "b", "c", "d"], "raw": [3, 5, 6, 9]}).write_csv(scores)
    beuk = tmp_path / "beuk.csv"
    beuk.write_text("judge_id,cut,pass_rate\nA,5,0.6\nB,6,0.5\n")
    result = run(
        "standard-setting",
        "beuk",
        beuk,
        "--scores",
        scores,
        "--max-score",
        "10",
        "--out",
        tmp_path / "b",
    )
    assert result.exit_code == 0, result.output
    no_max = run("standard-setting", "beuk", beuk, "--scores", scores, "--out", tmp_path / "b2")
    assert no_max.exit_code == 2
    assert (
        no_max.stderr
        == "error: beuk needs the form's maximum raw score: give --form or --max-score\n"
    )

    result = run(
        "standard-setting",
        "impact",
        "--standard",
        tmp_path / "b" / "cut.json",
        "--raw-cut",
        "6",
        "--scores",
        scores,
        "--out",
        tmp_path / "i",
    )
    assert result.exit_code == 0, result.output
    beuk_cut = json.loads((tmp_path / "b" / "cut.json").read_text())["raw_cut"]
    assert result.stdout.splitlines()[1] == "raw cut 6: pass rate 0.5000 (n = 4)"
    assert result.stdout.splitlines()[0].startswith(f"raw cut {beuk_cut:g}: pass rate")
    impact = pl.read_csv(tmp_path / "i" / "impact.csv")
    assert impact["n_pass"].to_list()[1] == 2  # 6 and 9 pass a cut of 6


def test_unreadable_cut_file(tmp_path, bank_dir):
    bad = tmp_path / "cut.json"
    bad.write_text(json.dumps({"method": "guess", "raw_cut": 70}))
    result = run(
        "scale",
        "--blueprint",
        bank_dir / "blueprint.yaml",
        "--standard",
        bad,
        "--out",
        tmp_path / "c.csv",
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {bad}: field method: 'guess' is not one of angoff, hofstee, beuk, bookmark\n"
    )


def test_letter_responses_need_the_form(tmp_path, panel):
    letters = tmp_path / "letters.csv"
    pl.DataFrame({"examinee_id": ["a", "b"], **{item: ["A", "B"] for item in ITEMS}}).write_csv(
        letters
    )
    result = run(
        "standard-setting",
        "angoff",
        panel["ratings"],
        "--responses",
        letters,
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {letters}: responses are option letters; give --form so that its key scores "
        "them (or give 0/1 scores)\n"
    )


def test_every_table_written_is_declared(tmp_path, panel, declared_table):
    """Each method's tables, written into ``standard/<method>/``, are the declared tables
    of ``cehrs_items.tables`` (found by their place in the folder): names, order, dtypes."""
    hofstee = tmp_path / "hofstee.csv"
    hofstee.write_text(
        "judge_id,round,min_cut,max_cut,min_fail,max_fail\n"
        "A,1,4,7,0.1,0.5\nB,1,5,8,0.2,0.6\nC,1,5,7,0.1,0.4\n"
        "A,2,5,7,0.1,0.5\nB,2,5,8,0.2,0.5\nC,2,5,7,0.1,0.4\n"
    )
    beuk = tmp_path / "beuk.csv"
    beuk.write_text(
        "judge_id,round,cut,pass_rate\nA,1,5,0.6\nB,1,6,0.5\nC,1,7,0.45\n"
        "A,2,5,0.6\nB,2,6,0.55\nC,2,6,0.5\n"
    )
    standard = tmp_path / "standard"
    observed = ["--responses", panel["responses"], "--group", "group"]
    runs = {
        "angoff": [panel["ratings"], "--params", panel["params"], *observed],
        "bookmark": [panel["bookmarks"], "--params", panel["params"], *observed],
        "hofstee": [hofstee, "--params", panel["params"], *observed],
        "beuk": [beuk, *observed],
    }
    for method, args in runs.items():
        result = run("standard-setting", method, *args, "--out", standard / method)
        assert result.exit_code == 0, result.output
    result = run(
        "standard-setting",
        "impact",
        "--standard",
        standard / "beuk" / "cut.json",
        "--raw-cut",
        "6",
        *observed,
        "--out",
        standard / "impact",
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(tmp_path).as_posix() for p in standard.rglob("*.csv"))
    assert written == [
        "standard/angoff/impact.csv",
        "standard/angoff/items.csv",
        "standard/angoff/judges.csv",
        "standard/angoff/rounds.csv",
        "standard/beuk/curve.csv",
        "standard/beuk/impact.csv",
        "standard/beuk/judges.csv",
        "standard/beuk/rounds.csv",
        "standard/bookmark/booklet.csv",
        "standard/bookmark/impact.csv",
        "standard/bookmark/judges.csv",
        "standard/bookmark/rounds.csv",
        "standard/hofstee/curve.csv",
        "standard/hofstee/impact.csv",
        "standard/hofstee/judges.csv",
        "standard/hofstee/rounds.csv",
        "standard/impact/curve.csv",
        "standard/impact/impact.csv",
    ]
    frames = {path: declared_table(tmp_path / path, under=tmp_path) for path in written}
    # the second round's change, and a curve over every whole cut 0..10
    assert frames["standard/bookmark/judges.csv"]["change"].null_count() == 6
    assert frames["standard/hofstee/rounds.csv"]["round"].to_list() == [1, 2]
    assert frames["standard/beuk/curve.csv"]["raw_cut"].to_list() == list(range(11))
