"""Operational scoring: raw over scored items only, scaled via the conversion, subscores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cehrs_items.blueprint import load_blueprint
from cehrs_items.errors import DataError
from cehrs_items.scaling import build_conversion, identity_equating
from cehrs_items.scoring import read_conversion, score_examinees


def _form(path: Path, n_scored: int, n_pretest: int) -> dict:
    positions = []
    for k in range(1, n_scored + n_pretest + 1):
        positions.append(
            {
                "position": k,
                "item_id": f"CO-{k:04d}",
                "item_version": 1,
                "role": "scored" if k <= n_scored else "pretest",
                "domain": 1 + (k % 5),
                "key": "ABCD"[k % 4],
            }
        )
    data = {"form_id": "F1", "blueprint_id": "cehrs-2020", "positions": positions}
    path.write_text(json.dumps(data))
    return data


@pytest.fixture
def setup(tmp_path, bank_dir):
    bp = load_blueprint(bank_dir / "blueprint.yaml")
    form = _form(tmp_path / "form.json", bp.scored_items, 5)
    key = {p["item_id"]: p["key"] for p in form["positions"]}
    rng = np.random.default_rng(1)
    ability = rng.normal(0.7, 0.15, 40)
    rows = []
    for e, theta in enumerate(ability):
        row = {"examinee_id": f"E{39 - e:03d}"}
        for item, k in key.items():
            row[item] = k if rng.random() < theta else ("A" if k != "A" else "D")
        rows.append(row)
    rows[3]["CO-0001"] = None
    pl.DataFrame(rows).write_csv(tmp_path / "resp.csv")
    conv = build_conversion(identity_equating(bp), bp)
    conv.table.write_csv(tmp_path / "conv.csv")
    return tmp_path, form, key, bp


def test_scores_by_hand(setup):
    tmp_path, form, key, bp = setup
    report = score_examinees(tmp_path / "resp.csv", tmp_path / "form.json", tmp_path / "conv.csv")
    scores = report.scores
    assert scores["examinee_id"].to_list() == sorted(scores["examinee_id"].to_list())
    resp = pl.read_csv(tmp_path / "resp.csv").sort("examinee_id")
    scored = [p["item_id"] for p in form["positions"] if p["role"] == "scored"]
    raw = sum((resp[i].fill_null("") == key[i]).cast(pl.Int64) for i in scored)
    assert scores["raw"].to_list() == raw.to_list()  # pretest never counts, omits are wrong
    domain_cols = [c for c in scores.columns if c.startswith("domain_")]
    assert domain_cols == [f"domain_{d}_raw" for d in range(1, 6)]
    assert (sum(scores[c] for c in domain_cols) == scores["raw"]).all()
    conv = read_conversion(tmp_path / "conv.csv")
    assert scores["scaled"].to_list() == [conv["scaled"][r] for r in scores["raw"]]
    assert scores["pass"].to_list() == [r >= bp.scale.raw_cut for r in scores["raw"]]
    s = report.summary
    assert s["n"] == 40 and s["n_pass"] == int(scores["pass"].sum())
    assert s["pass_rate"] == pytest.approx(s["n_pass"] / 40)
    assert s["raw_cut"] == 70
    assert s["domains"]["2"]["items"] == sum(
        1 for p in form["positions"] if p["role"] == "scored" and p["domain"] == 2
    )


def test_conversion_for_another_form_is_refused(setup, tmp_path):
    tmp, form, key, bp = setup
    pl.read_csv(tmp / "conv.csv").head(51).write_csv(tmp / "short.csv")
    with pytest.raises(DataError, match="conversion covers raw scores 0..50"):
        score_examinees(tmp / "resp.csv", tmp / "form.json", tmp / "short.csv")


def test_bad_conversion_tables(tmp_path):
    (tmp_path / "c.csv").write_text("raw_score,scaled\n0,200\n")
    with pytest.raises(DataError, match="column 'pass' missing"):
        read_conversion(tmp_path / "c.csv")
    (tmp_path / "d.csv").write_text("raw_score,scaled,pass\n0,200,false\n2,210,maybe\n")
    with pytest.raises(DataError, match="row 2, column pass"):
        read_conversion(tmp_path / "d.csv")
    (tmp_path / "e.csv").write_text("raw_score,scaled,pass\n0,200,false\n2,210,true\n")
    with pytest.raises(DataError, match="raw_score must list"):
        read_conversion(tmp_path / "e.csv")
