"""The whole analyze run: roles, keys, omits, cut, DIF, edge cases and errors."""

import json
import math

import numpy as np
import polars as pl
import pytest
from analysis_sim import form_data, simulate_letters

from cehrs_items.analysis import Thresholds, analyze
from cehrs_items.errors import DataError, InputError
from cehrs_items.forms import form_from_data
from cehrs_items.responses import read_responses


def _write(frame: pl.DataFrame, tmp_path, name="r.parquet"):
    path = tmp_path / name
    frame.write_parquet(path) if name.endswith(".parquet") else frame.write_csv(path)
    return path


def _scores(frame, key):
    items = list(key)
    return np.column_stack([(frame[i] == key[i]).fill_null(False).to_numpy() for i in items])


def test_pretest_items_are_analysed_against_the_scored_total(tmp_path, letters):
    frame, key = letters
    pretest = {"NC-0003", "NC-0010"}
    form = form_from_data(form_data(key, pretest))
    result = analyze(_write(frame, tmp_path), form=form)
    stats = result.item_stats
    x = _scores(frame, key).astype(float)
    scored = np.array([i not in pretest for i in key])
    total = x[:, scored].sum(axis=1)
    assert result.test_stats["n_items"] == 10 and result.test_stats["n_pretest"] == 2
    assert result.test_stats["mean"] == pytest.approx(total.mean(), abs=1e-12)
    for j, item in enumerate(key):
        row = stats.filter(pl.col("item_id") == item).row(0, named=True)
        assert row["role"] == ("pretest" if item in pretest else "scored")
        assert row["domain"] == 1 + j % 5
        assert row["item_total_r"] == pytest.approx(np.corrcoef(x[:, j], total)[0, 1], abs=1e-12)
        if item in pretest:
            assert row["item_rest_r"] == row["item_total_r"]
            assert math.isnan(row["alpha_if_deleted"])
        else:
            rest = total - x[:, j]
            assert row["item_rest_r"] == pytest.approx(np.corrcoef(x[:, j], rest)[0, 1], abs=1e-12)
    assert stats["item_id"].to_list() == sorted(key)


def test_key_file_and_key_override_of_a_form(tmp_path, letters):
    frame, key = letters
    path = _write(frame, tmp_path)
    key_path = tmp_path / "key.csv"
    pl.DataFrame({"item_id": list(key), "key": list(key.values())}).write_csv(key_path)
    by_file = analyze(path, key=key_path)
    by_form = analyze(path, form=form_from_data(form_data(key)))
    assert by_file.item_stats.drop("domain").equals(by_form.item_stats.drop("domain"))
    wrong = dict(key, **{"NC-0001": "A" if key["NC-0001"] != "A" else "B"})
    rekeyed = analyze(path, form=form_from_data(form_data(wrong)), key={"NC-0001": key["NC-0001"]})
    assert rekeyed.item_stats.equals(by_form.item_stats)


def test_letters_without_a_key_or_with_a_short_key_fail_clearly(tmp_path, letters):
    frame, key = letters
    path = _write(frame, tmp_path)
    with pytest.raises(DataError, match="option letters; give a key"):
        analyze(path, id_column="examinee_id")
    short = {k: v for k, v in key.items() if k != "NC-0005"}
    result = analyze(path, key=short)  # the key names the items analysed
    assert "NC-0005" not in result.item_stats["item_id"].to_list()


def test_scored_data_need_no_key_and_have_no_options(tmp_path):
    frame = pl.DataFrame(
        {"examinee_id": ["a", "b", "c", "d"], "NC-0001": [1, 0, 1, 1], "NC-0002": [0, 0, 1, None]}
    )
    result = analyze(_write(frame, tmp_path))
    assert result.item_stats["p_value"].to_list() == [0.75, 0.25]
    assert result.item_stats["n_omitted"].to_list() == [0, 1]
    assert result.option_stats.height == 0 and "proportion_q5" in result.option_stats.columns


def test_omit_exclude_drops_incomplete_rows_and_says_so(tmp_path, letters):
    frame, key = letters
    result = analyze(_write(frame, tmp_path), key=key, omit="exclude")
    complete = frame.select(list(key)).null_count().sum_horizontal()[0] > 0
    n_complete = frame.filter(pl.all_horizontal(pl.col(list(key)).is_not_null())).height
    assert complete and result.test_stats["n_examinees"] == n_complete
    assert [f.rule for f in result.findings] == ["ANA009"]
    assert (result.item_stats["n_omitted"] == 0).all()
    everyone_omits = frame.with_columns(pl.lit(None, dtype=pl.String).alias("NC-0002"))
    with pytest.raises(DataError, match="no examinee answered every item"):
        analyze(_write(everyone_omits, tmp_path, "o.parquet"), key=key, omit="exclude")


def test_decision_statistics_at_a_cut(tmp_path, letters):
    frame, key = letters
    result = analyze(_write(frame, tmp_path), key=key, raw_cut=8)
    d = result.test_stats["decision"]
    x = _scores(frame, key)
    assert d["pass_rate"] == pytest.approx(np.mean(x.sum(axis=1) >= 8), abs=1e-12)
    assert d["csem_at_cut"] == pytest.approx(math.sqrt(8 * 4 / 11), abs=1e-12)
    for name in ("accuracy", "consistency_agreement", "consistency_kappa", "subkoviak_agreement"):
        assert 0 < d[name] <= 1
    assert d["reliability"] == result.test_stats["alpha"]
    with pytest.raises(
        InputError, match=r"--raw-cut 13 \(given \(--raw-cut\)\) must be a raw score in \(0, 12\]"
    ):
        analyze(_write(frame, tmp_path, "c.parquet"), key=key, raw_cut=13)


def test_dif_finds_simulated_items_and_flags_them(tmp_path):
    frame, key = simulate_letters(n=3000, k=15, seed=5, dif_items=(2,))
    result = analyze(_write(frame, tmp_path), key=key, group="group", reference="R", focal="F")
    dif = result.dif
    flagged = dif.filter(pl.col("ets_category") == "C")["item_id"].to_list()
    assert flagged == ["NC-0003"]
    assert dif.filter(pl.col("item_id") == "NC-0003")["direction"][0] == "favors_reference"
    flags = dict(zip(result.item_stats["item_id"], result.item_stats["flags"], strict=True))
    assert "dif_c" in flags["NC-0003"]
    assert result.test_stats["dif"]["n_focal"] == (frame["group"] == "F").sum()
    purified = analyze(
        _write(frame, tmp_path, "p.parquet"),
        key=key,
        group="group",
        reference="R",
        focal="F",
        dif_purify=True,
    )
    assert purified.test_stats["dif"]["removed_from_matching"] == ["NC-0003"]
    assert "ANA012" in [f.rule for f in purified.findings]


def test_small_focal_group_warns_but_computes(tmp_path, letters):
    frame, key = letters
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 40).then(pl.lit("F")).otherwise(pl.lit("R")).alias("group")
    )
    result = analyze(_write(frame, tmp_path), key=key, group="group", reference="R", focal="F")
    warnings = [f for f in result.findings if f.rule == "ANA001"]
    assert len(warnings) == 1 and "has 40 examinees (< min_focal 100)" in warnings[0].message
    assert result.dif["n_focal"].max() <= 40 and result.dif.height == 12


def test_dif_usage_errors(tmp_path, letters):
    frame, key = letters
    path = _write(frame, tmp_path)
    with pytest.raises(InputError, match="--group, --reference and --focal together"):
        analyze(path, key=key, group="group")
    with pytest.raises(DataError, match="column 'sex' missing"):
        analyze(path, key=key, group="sex", reference="R", focal="F")
    with pytest.raises(DataError, match=r"no examinee has group value 'X' \(found: F, R\)"):
        analyze(path, key=key, group="group", reference="R", focal="X")


def test_zero_variance_and_all_omitted_items_are_flagged_not_fatal(tmp_path, letters):
    frame, key = letters
    frame = frame.with_columns(
        pl.lit(key["NC-0001"]).alias("NC-0001"), pl.lit(None, dtype=pl.String).alias("NC-0002")
    )
    result = analyze(_write(frame, tmp_path), key=key, group="group", reference="R", focal="F")
    flags = dict(zip(result.item_stats["item_id"], result.item_stats["flags"], strict=True))
    assert flags["NC-0001"].startswith("all_correct")
    assert flags["NC-0002"].startswith("all_omitted;all_incorrect")
    rules = {(f.rule, f.message.split(":")[0]) for f in result.findings}
    assert ("ANA003", "item NC-0001") in rules and ("ANA004", "item NC-0002") in rules
    assert ("ANA006", "item NC-0001") in rules
    row = result.item_stats.filter(pl.col("item_id") == "NC-0001").row(0, named=True)
    assert math.isnan(row["item_total_r"]) and row["p_value"] == 1.0
    json.dumps(result.test_stats, allow_nan=False)  # NaN became null


def test_weights_must_be_whole_numbers(tmp_path, letters):
    frame, key = letters
    frame = frame.with_columns(pl.Series("w", [1.0] * 599 + [0.5]))
    with pytest.raises(DataError, match=r"row 600: weight 0.5 is not a whole"):
        analyze(_write(frame, tmp_path), key=key, weight_column="w")


def test_thresholds_change_flags(tmp_path, letters):
    frame, key = letters
    path = _write(frame, tmp_path)
    default = analyze(path, key=key)
    strict = analyze(path, key=key, thresholds=Thresholds(p_high=0.0))
    assert all("high_p" in f for f in strict.item_stats["flags"])
    assert strict.test_stats["thresholds"]["p_high"] == 0.0
    assert default.item_stats.drop("flags").equals(strict.item_stats.drop("flags"))


def test_option_table_agrees_with_item_table(tmp_path, letters):
    frame, key = letters
    result = analyze(_write(frame, tmp_path), key=key)
    opts = result.option_stats
    keyed = opts.filter(pl.col("is_key")).sort("item_id")
    np.testing.assert_allclose(keyed["proportion"], result.item_stats["p_value"], atol=1e-12)
    np.testing.assert_allclose(
        keyed["point_biserial"], result.item_stats["item_total_r"], atol=1e-12
    )
    omits = opts.filter(pl.col("option") == "omit").sort("item_id")
    assert omits["n"].to_list() == result.item_stats["n_omitted"].to_list()
    sums = opts.group_by("item_id").agg(pl.col("proportion").sum())
    np.testing.assert_allclose(sums["proportion"], 1.0, atol=1e-12)
    for q in range(1, 6):
        group_sums = opts.group_by("item_id").agg(pl.col(f"proportion_q{q}").sum())
        np.testing.assert_allclose(group_sums[f"proportion_q{q}"], 1.0, atol=1e-12)


def test_response_set_input_gives_the_same_result(tmp_path, letters):
    frame, key = letters
    path = _write(frame, tmp_path, "r.csv")
    from_path = analyze(path, key=key, group="group", reference="R", focal="F", raw_cut=7)
    rs = read_responses(path, items=list(key), extra_columns=["group"])
    from_set = analyze(rs, key=key, group="group", reference="R", focal="F", raw_cut=7)
    assert from_path.item_stats.equals(from_set.item_stats)
    assert from_path.dif.equals(from_set.dif)
    assert from_path.test_stats == from_set.test_stats
