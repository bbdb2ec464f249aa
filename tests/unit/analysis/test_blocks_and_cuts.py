"""Split-half, domain and pretest blocks, option biserial, the MH interval and the raw cut."""

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cehrs_items.analysis import analyze
from cehrs_items.analysis.classical import biserial_from_point_biserial
from cehrs_items.analysis.pipeline import resolve_raw_cut
from cehrs_items.analysis.reliability import block_statistics, coefficient_alpha, split_half
from cehrs_items.errors import DataError, InputError
from cehrs_items.forms import Form
from cehrs_items.scaling import read_conversion_raw_cut

REF = Path(__file__).resolve().parents[2] / "reference" / "mh"


def _matrix(seed=3, n=400, k=12):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    b = np.linspace(-1.5, 1.5, k)
    return (rng.random((n, k)) < 1 / (1 + np.exp(-(theta[:, None] - b)))).astype(np.int8)


def test_split_half_is_the_corrected_correlation_of_the_odd_and_even_halves():
    x = _matrix()
    out = split_half(x)
    r = np.corrcoef(x[:, 0::2].sum(axis=1), x[:, 1::2].sum(axis=1))[0, 1]
    assert out["r_half"] == pytest.approx(r, abs=1e-12)
    assert out["spearman_brown"] == pytest.approx(2 * r / (1 + r), abs=1e-12)
    assert (out["n_odd"], out["n_even"]) == (6, 6)
    twins = np.repeat(x[:, :5], 2, axis=1)  # item j and its twin fall in different halves
    assert split_half(twins)["spearman_brown"] == pytest.approx(1.0, abs=1e-12)


def test_split_half_weights_equal_repeated_rows_and_no_variance_is_nan():
    x = _matrix(n=50)
    w = np.arange(1, 51) % 3 + 1
    assert split_half(x, weights=w)["r_half"] == pytest.approx(
        split_half(np.repeat(x, w, axis=0))["r_half"], abs=1e-12
    )
    assert math.isnan(split_half(np.ones((10, 4)))["spearman_brown"])
    assert math.isnan(split_half(x[:, :1])["r_half"])


def test_block_statistics_match_coefficient_alpha_and_numpy():
    x = _matrix(k=8)
    out = block_statistics(x)
    sums = x.sum(axis=1)
    assert out["alpha"] == pytest.approx(coefficient_alpha(x), abs=1e-10)
    assert out["mean"] == pytest.approx(sums.mean(), abs=1e-12)
    assert out["sd"] == pytest.approx(sums.std(), abs=1e-12)
    assert out["sem"] == pytest.approx(sums.std() * math.sqrt(1 - out["alpha"]), abs=1e-12)
    assert out["score_distribution"]["freq"] == np.bincount(sums, minlength=9).tolist()
    assert (out["min"], out["max"]) == (int(sums.min()), int(sums.max()))
    one = block_statistics(x[:, :1])
    assert one["n_items"] == 1 and math.isnan(one["alpha"]) and math.isnan(one["sem"])


def _form(items, roles, domains, anchor_form=None):
    data = {
        "form_id": "F",
        "positions": [
            {"item_id": i, "position": p + 1, "role": r, "domain": d, "key": "A"}
            for p, (i, r, d) in enumerate(zip(items, roles, domains, strict=True))
        ],
    }
    if anchor_form:
        data["anchor_form"] = anchor_form
    return Form(data=data)


def test_analyze_reports_domains_pretest_and_split_half(tmp_path):
    x = _matrix(k=10)
    items = [f"I{j:02d}" for j in range(10)]
    letters = np.where(x == 1, "A", "B")
    path = tmp_path / "r.csv"
    pl.DataFrame({"examinee_id": [f"E{i}" for i in range(x.shape[0])]}).hstack(
        pl.DataFrame(letters, schema=items, orient="row")
    ).write_csv(path)
    roles = ["scored"] * 7 + ["pretest"] * 3
    domains = [1, 1, 1, 1, 2, 2, 2, 1, 2, 2]
    result = analyze(path, form=_form(items, roles, domains), n_options=2)
    ts = result.test_stats
    assert [d["domain"] for d in ts["domains"]] == [1, 2]
    assert ts["domains"][0]["alpha"] == pytest.approx(coefficient_alpha(x[:, :4]), abs=1e-10)
    assert ts["domains"][1]["n_items"] == 3
    assert ts["pretest"]["alpha"] == pytest.approx(coefficient_alpha(x[:, 7:]), abs=1e-10)
    assert ts["split_half"]["r_half"] == pytest.approx(split_half(x[:, :7])["r_half"], abs=1e-12)
    opts = result.option_stats.filter(pl.col("is_key"))
    keyed = result.item_stats.join(opts, on="item_id", suffix="_option")
    # the key's option biserial is the item biserial (same indicator, same total)
    np.testing.assert_allclose(
        keyed["biserial_option"].to_numpy(), keyed["biserial"].to_numpy(), atol=1e-12
    )
    rows = result.option_stats.filter(pl.col("option") == "B")
    np.testing.assert_allclose(
        rows["biserial"].to_numpy(),
        biserial_from_point_biserial(rows["point_biserial"].to_numpy(), rows["proportion"]),
        atol=1e-12,
    )


def test_mh_interval_is_the_r_interval_in_the_delta_metric():
    data = pl.read_csv(REF / "bfi_dichotomous.csv")
    result = analyze(REF / "bfi_dichotomous.csv", group="gender", reference="1", focal="2")
    expected = pl.read_csv(REF / "expected_bfi_mh.csv")
    joined = expected.join(result.dif, on="item_id", suffix="_ours")
    # R: conf.int = exp(log(alpha) -/+ z se_log); delta = -2.35 log(alpha) swaps the ends
    z = 1.959963984540054
    se_log = joined["se_delta_mh"].to_numpy() / 2.35
    alpha = joined["alpha_mh"].to_numpy()
    low_r = -2.35 * np.log(alpha * np.exp(z * se_log))
    high_r = -2.35 * np.log(alpha * np.exp(-z * se_log))
    np.testing.assert_allclose(joined["delta_mh_ci_low"], low_r, atol=1e-9)
    np.testing.assert_allclose(joined["delta_mh_ci_high"], high_r, atol=1e-9)
    assert data.height > 0


def _conversion(tmp_path, cut, stated=None):
    path = tmp_path / "NEW.csv"
    pl.DataFrame(
        {
            "raw_score": list(range(6)),
            "scaled": list(range(6)),
            "pass": [s >= cut for s in range(6)],
        }
    ).write_csv(path)
    if stated is not None:
        path.with_suffix(".json").write_text(json.dumps({"raw_cut": stated}))
    return path


def test_raw_cut_comes_from_the_conversion_and_its_summary_must_agree(tmp_path):
    assert read_conversion_raw_cut(_conversion(tmp_path, 4)) == (4, "conversion NEW.csv")
    cut, where = read_conversion_raw_cut(_conversion(tmp_path, 3, stated=3))
    assert cut == 3 and "raw_cut in NEW.json" in where
    with pytest.raises(DataError, match="raw_cut 4 disagrees with NEW.csv"):
        read_conversion_raw_cut(_conversion(tmp_path, 3, stated=4))


def test_raw_cut_order_explicit_then_conversion_then_blueprint_for_a_base_form(tmp_path, bank_dir):
    conv = _conversion(tmp_path, 4)
    bp = bank_dir / "blueprint.yaml"
    base = _form(["A"], ["scored"], [1])
    new = _form(["A"], ["scored"], [1], anchor_form="BASE")
    assert resolve_raw_cut(raw_cut=2, conversion=conv, blueprint=bp)[0] == 2
    assert resolve_raw_cut(conversion=conv, blueprint=bp, form=new)[0] == 4
    cut, where = resolve_raw_cut(blueprint=bp, form=base)
    assert cut == 70 and "scale.raw_cut (base form)" in where
    with pytest.raises(InputError, match="form F is equated to BASE: .* give --conversion"):
        resolve_raw_cut(blueprint=bp, form=new)
    assert resolve_raw_cut() == (None, None)
