"""analyze and the statistics functions against R psych 2.2.9 (tests/reference/psych)."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cehrs_items.analysis import analyze, coefficient_alpha, item_stats, kr20

REF = Path(__file__).resolve().parents[2] / "reference" / "psych"
TOL = 1e-10


def _expected(name: str) -> pl.DataFrame:
    return pl.read_csv(REF / name, infer_schema_length=None, null_values=["NA", ""])


def _check_items(ours: pl.DataFrame, label: str) -> None:
    exp = _expected(f"expected_{label}_items.csv")
    joined = exp.join(ours, on="item_id", suffix="_ours", how="left")
    assert joined.height == exp.height
    for col in ("p_value", "item_total_r", "item_rest_r", "alpha_if_deleted"):
        np.testing.assert_allclose(joined[f"{col}_ours"], joined[col], rtol=0, atol=TOL)


def _check_test(ts: dict, label: str) -> None:
    exp = _expected(f"expected_{label}_test.csv").row(0, named=True)
    n = exp["n_examinees"]
    assert ts["n_examinees"] == n
    assert ts["alpha"] == pytest.approx(exp["alpha"], abs=TOL)
    assert ts["mean"] == pytest.approx(exp["mean"], abs=TOL)
    assert ts["sd"] == pytest.approx(exp["sd_sample"] * np.sqrt((n - 1) / n), abs=TOL)


def test_ability_complete_cases_match_psych_alpha():
    result = analyze(REF / "ability.csv", omit="exclude")
    _check_items(result.item_stats, "ability_exclude")
    _check_test(result.test_stats, "ability_exclude")


def test_ability_with_omits_scored_wrong_matches_psych_alpha():
    result = analyze(REF / "ability.csv", omit="incorrect")
    _check_items(result.item_stats, "ability_incorrect")
    _check_test(result.test_stats, "ability_incorrect")
    n_na = pl.read_csv(REF / "ability.csv").drop("examinee_id").null_count()
    omitted = dict(zip(result.item_stats["item_id"], result.item_stats["n_omitted"], strict=True))
    assert omitted == {c: n_na[c][0] for c in n_na.columns}


def test_public_functions_match_psych_alpha():
    frame = pl.read_csv(REF / "ability.csv").drop("examinee_id")
    ours = item_stats(frame, omit="exclude")
    _check_items(ours, "ability_exclude")
    exp = _expected("expected_ability_exclude_test.csv")
    assert kr20(frame, omit="exclude") == pytest.approx(exp["alpha"][0], abs=TOL)
    assert coefficient_alpha(frame) == pytest.approx(exp["alpha"][0], abs=TOL)


def test_iq_letters_items_and_options_match_psych():
    result = analyze(REF / "iq_letters.csv", key=REF / "iq_key.csv")
    _check_items(result.item_stats, "iq")
    _check_test(result.test_stats, "iq")
    exp = _expected("expected_iq_options.csv")
    joined = exp.join(result.option_stats, on=["item_id", "option"], how="left")
    assert joined.height == exp.height == result.option_stats.height
    for col in ("proportion", "point_biserial", "mean_score_of_choosers"):
        np.testing.assert_allclose(joined[f"{col}_right"], joined[col], rtol=0, atol=TOL)
    keyed = joined.filter(pl.col("smc_item_r").is_not_null())
    assert keyed.height == 10 and keyed["is_key"].all()
    stats = result.item_stats.join(keyed.select("item_id", "smc_item_r"), on="item_id")
    np.testing.assert_allclose(stats["item_total_r"], stats["smc_item_r"], atol=TOL)


def test_pattern_table_with_frequency_weights_matches_expanded_data():
    result = analyze(REF / "lsat6_patterns.csv", weight_column="freq")
    _check_items(result.item_stats, "lsat6")
    _check_test(result.test_stats, "lsat6")
