"""Single-group design: margins equated as random groups, correlated sampling in the SEs."""

from __future__ import annotations

import numpy as np
import pytest

from cehrs_items.equating import BivariateDist, equate, single_group
from cehrs_items.equating.inputs import read_single_group
from cehrs_items.errors import EquatingError, InputError


@pytest.fixture
def joint():
    rng = np.random.default_rng(8)
    theta = rng.normal(0, 1, 3000)
    bx = rng.normal(0.2, 1, 30)
    by = rng.normal(0, 1, 30)
    sx = (rng.random((3000, 30)) < 1 / (1 + np.exp(-(theta[:, None] - bx)))).sum(axis=1)
    sy = (rng.random((3000, 30)) < 1 / (1 + np.exp(-(theta[:, None] - by)))).sum(axis=1)
    return BivariateDist.from_scores(sx, sy, 30, 30, internal=False, name="XY")


def test_single_group_equals_random_groups_on_the_margins(joint):
    x, y = single_group.marginals(joint)
    for method in ("mean", "linear", "equipercentile"):
        sg = equate(joint, None, method=method, design="single-group")
        rg = equate(x, y, method=method)
        np.testing.assert_allclose(sg.equated, rg.equated, atol=1e-12)
        assert sg.design == "single_group"
    assert 0.5 < sg.details["correlation_xy"] < 1


def test_mean_equating_se_uses_the_correlation(joint):
    result = equate(joint, None, method="mean", design="single_group", se_kind="analytic")
    p = joint.counts / joint.n
    xs = np.arange(31.0)
    mx, my = p.sum(1) @ xs, p.sum(0) @ xs
    var_d = ((xs[:, None] - xs[None, :] - (mx - my)) ** 2 * p).sum()
    assert result.se[0] == pytest.approx(np.sqrt(var_d / joint.n), rel=1e-6)
    # Correlated forms: far smaller than the random-groups SE with the same N per form.
    x, y = single_group.marginals(joint)
    rg = equate(x, y, method="mean", se_kind="analytic")
    assert result.se[0] < 0.6 * rg.se[0]


@pytest.mark.parametrize("method", ["mean", "linear"])
def test_analytic_se_agrees_with_bootstrap(joint, method):
    analytic = equate(joint, None, method=method, design="single_group", se_kind="analytic").se
    boot = equate(
        joint,
        None,
        method=method,
        design="single_group",
        se_kind="bootstrap",
        replications=1500,
        seed=3,
    ).se
    ratio = boot[5:26] / analytic[5:26]
    assert np.median(ratio) == pytest.approx(1.0, abs=0.1)


def test_equipercentile_bootstrap_and_errors(joint):
    result = equate(
        joint,
        None,
        method="equipercentile",
        design="single_group",
        se_kind="bootstrap",
        replications=100,
        seed=1,
    )
    assert np.all(np.isfinite(result.se))
    with pytest.raises(EquatingError, match="no analytic SE"):
        equate(joint, None, method="equipercentile", design="single_group", se_kind="analytic")
    with pytest.raises(EquatingError, match="belongs to the neat design"):
        equate(joint, None, method="tucker", design="single_group")
    with pytest.raises(EquatingError, match="one joint table"):
        equate(joint, joint, method="mean", design="single_group")


def test_reading_single_group_files(tmp_path):
    (tmp_path / "sg.csv").write_text("score_x,score_y\n3,4\n5,5\n2,2\n")
    joint, hashes = read_single_group(tmp_path / "sg.csv", max_x=6, max_y=6)
    assert joint.counts.shape == (7, 7) and joint.counts[3, 4] == 1
    assert len(hashes["sha256"]) == 64
    with pytest.raises(InputError, match="--max-x"):
        read_single_group(tmp_path / "sg.csv")
    (tmp_path / "t.csv").write_text("score_x,score_y,freq\n0,0,2\n1,2,3\n")
    table, _ = read_single_group(tmp_path / "t.csv")
    assert table.counts.shape == (2, 3) and table.n == 5


def test_one_response_file_scored_with_both_forms(tmp_path):
    import json

    import polars as pl

    items_x = [f"NC-{i:04d}" for i in range(1, 6)]
    items_y = [f"CO-{i:04d}" for i in range(1, 6)]
    for name, items in (("fx", items_x), ("fy", items_y)):
        positions = [
            {
                "position": k,
                "item_id": i,
                "item_version": 1,
                "role": "scored",
                "domain": 1,
                "key": "A",
            }
            for k, i in enumerate(items, start=1)
        ]
        (tmp_path / f"{name}.json").write_text(
            json.dumps({"form_id": name, "blueprint_id": "b", "positions": positions})
        )
    rows = {"examinee_id": ["e1", "e2", "e3"]}
    for k, item in enumerate(items_x + items_y):
        rows[item] = ["A" if (k + e) % 3 else "B" for e in range(3)]
    pl.DataFrame(rows).write_csv(tmp_path / "both.csv")
    joint, hashes = read_single_group(
        tmp_path / "both.csv", form_x=tmp_path / "fx.json", form_y=tmp_path / "fy.json"
    )
    frame = pl.read_csv(tmp_path / "both.csv")
    raw_x = sum((frame[i] == "A").cast(int) for i in items_x).to_list()
    raw_y = sum((frame[i] == "A").cast(int) for i in items_y).to_list()
    expected = np.zeros((6, 6))
    for a, b in zip(raw_x, raw_y, strict=True):
        expected[a, b] += 1
    np.testing.assert_array_equal(joint.counts, expected)
    assert hashes["form_x"]["form_id"] == "fx"
    with pytest.raises(InputError, match="both --form-x and --form-y"):
        read_single_group(tmp_path / "both.csv", form_x=tmp_path / "fx.json")
