"""Reading equating inputs: frequency tables, score files, responses with form files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cehrs_items.equating.inputs import build_distributions, read_form_scores
from cehrs_items.errors import DataError, EquatingError, InputError


def write_form(
    path: Path, form_id: str, items: list[str], anchors: set[str], pretest: set[str]
) -> Path:
    positions = []
    for k, item in enumerate(items, start=1):
        pos = {
            "position": k,
            "item_id": item,
            "item_version": 1,
            "role": "pretest" if item in pretest else "scored",
            "domain": 1 + (k % 5),
            "key": "ABCD"[k % 4],
        }
        if item in anchors:
            pos["anchor"] = True
        positions.append(pos)
    path.write_text(
        json.dumps({"form_id": form_id, "blueprint_id": "cehrs-2020", "positions": positions})
    )
    return path


def test_frequency_table_and_score_file(tmp_path):
    (tmp_path / "fx.csv").write_text("score,freq\n0,1\n1,3\n2,4\n3,2\n3,1\n")
    fx = read_form_scores(tmp_path / "fx.csv")
    assert fx.kind == "freq" and fx.n == 11 and fx.max_score == 3
    (tmp_path / "sy.csv").write_text("examinee_id,score\na,1\nb,2\nc,2\n")
    sy = read_form_scores(tmp_path / "sy.csv")
    assert sy.kind == "scores" and sy.max_score is None
    dx, dy = build_distributions(fx, sy, design="random_groups", max_y=4)
    assert dx.counts.tolist() == [1, 3, 4, 3]
    assert dy.counts.tolist() == [0, 1, 2, 0, 0]
    with pytest.raises(InputError, match="--max-y"):
        build_distributions(fx, sy, design="random_groups")


def test_bad_score_files(tmp_path):
    (tmp_path / "a.csv").write_text("id,points\n1,2\n")
    with pytest.raises(DataError, match="column 'score' missing"):
        read_form_scores(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_text("score\n1\n2.5\n")
    with pytest.raises(DataError, match=r"row 2, column score: 2\.5 is not a whole number"):
        read_form_scores(tmp_path / "b.csv")
    (tmp_path / "c.csv").write_text("score\n1\n-1\n")
    with pytest.raises(DataError, match="row 2, column score: negative"):
        read_form_scores(tmp_path / "c.csv")
    (tmp_path / "d.csv").write_text("score\n1\nNA\n")
    with pytest.raises(DataError, match="row 2, column score: 'NA' is not a number"):
        read_form_scores(tmp_path / "d.csv")
    (tmp_path / "d.csv").write_text("score,anchor\n1,\n2,1\n")
    with pytest.raises(DataError, match="row 1, column anchor: empty"):
        read_form_scores(tmp_path / "d.csv")
    with pytest.raises(InputError, match="no such file"):
        read_form_scores(tmp_path / "missing.csv")
    (tmp_path / "e.csv").write_text("score\n1\n9\n")
    scores = read_form_scores(tmp_path / "e.csv")
    with pytest.raises(DataError, match=r"outside 0\.\.5"):
        build_distributions(scores, scores, design="random_groups", max_x=5, max_y=5)


def test_neat_needs_anchor_columns(tmp_path):
    (tmp_path / "x.csv").write_text("score,anchor\n3,1\n4,2\n")
    (tmp_path / "y.csv").write_text("score\n3\n4\n")
    x = read_form_scores(tmp_path / "x.csv")
    y = read_form_scores(tmp_path / "y.csv")
    with pytest.raises(EquatingError, match="no 'anchor' column"):
        build_distributions(x, y, design="neat", max_x=5, max_y=5)
    dx, dy = build_distributions(x, x, design="neat", max_x=5, max_y=5)
    assert dx.max_anchor == 2 and dx.internal


def test_responses_with_form_files(tmp_path):
    items = [f"NC-{i:04d}" for i in range(1, 9)]
    form = write_form(
        tmp_path / "fx.json", "FX", items, anchors={items[0], items[1]}, pretest={items[7]}
    )
    key = {p["item_id"]: p["key"] for p in json.loads(form.read_text())["positions"]}
    rng = np.random.default_rng(0)
    rows = []
    for e in range(50):
        row = {"examinee_id": f"E{e:03d}"}
        for item in items:
            row[item] = key[item] if rng.random() < 0.6 else ("A" if key[item] != "A" else "B")
        rows.append(row)
    rows[0][items[2]] = None  # an omit counts wrong
    pl.DataFrame(rows).write_csv(tmp_path / "rx.csv")
    scores = read_form_scores(tmp_path / "rx.csv", form=form)
    assert scores.kind == "responses"
    assert scores.max_score == 7  # pretest item excluded
    assert scores.max_anchor == 2
    frame = pl.read_csv(tmp_path / "rx.csv")
    expected = sum((frame[i].fill_null("") == key[i]).cast(int) for i in items[:7]).to_numpy()
    np.testing.assert_array_equal(scores.total, expected)
    expected_anchor = sum(
        (frame[i].fill_null("") == key[i]).cast(int) for i in items[:2]
    ).to_numpy()
    np.testing.assert_array_equal(scores.anchor, expected_anchor)
    assert scores.hashes()["form_id"] == "FX"
    other = write_form(
        tmp_path / "fy.json", "FY", items, anchors={items[0], items[2]}, pretest={items[7]}
    )
    y = read_form_scores(tmp_path / "rx.csv", form=other)
    with pytest.raises(EquatingError, match="anchor items differ"):
        build_distributions(scores, y, design="neat")


def test_bivariate_frequency_table(tmp_path):
    (tmp_path / "x.csv").write_text("score,anchor,freq\n0,0,2\n1,0,3\n1,1,4\n2,1,5\n2,2,1\n")
    (tmp_path / "y.csv").write_text("score,anchor,freq\n0,0,1\n1,1,6\n3,2,2\n")
    x = read_form_scores(tmp_path / "x.csv")
    y = read_form_scores(tmp_path / "y.csv")
    assert x.kind == "freq" and x.max_score == 2 and x.max_anchor == 2
    dx, dy = build_distributions(x, y, design="neat", max_x=3)
    assert dx.counts.shape == (4, 3) and dy.counts.shape == (4, 3)
    assert dx.counts[1].tolist() == [3, 4, 0]
    assert dy.counts[3, 2] == 2
    # The same table serves random groups through its total-score margin.
    rx, _ = build_distributions(x, y, design="random_groups", max_x=3)
    assert rx.counts.tolist() == [2, 7, 6, 0]
