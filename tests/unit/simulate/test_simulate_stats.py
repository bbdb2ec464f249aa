"""The synthetic statistics table: status-appropriate rows through the item_stats path."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cehrs_items.errors import DataError, InputError
from cehrs_items.io import sha256_file
from cehrs_items.item_stats import read_item_stats, validate_item_stats, write_item_stats
from cehrs_items.simulate.params import implied_moments
from cehrs_items.simulate.stats import simulate_stats, synthetic_item_stats


def _items(statuses: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "item_id": [f"CO-{i:04d}" for i in range(1, len(statuses) + 1)],
            "item_version": [1 + (i % 2) for i in range(len(statuses))],
            "status": statuses,
        }
    )


def test_rows_by_status():
    statuses = ["operational"] * 30 + ["pretest"] * 8 + ["retired"] * 2 + ["draft", "review"]
    out = synthetic_item_stats(_items(statuses), seed=1, form_length=100)
    t = out.table
    assert t.height == 40
    assert not validate_item_stats(t)
    by_id = dict(zip(_items(statuses)["item_id"], statuses, strict=True))
    status = [by_id[i] for i in t["item_id"]]
    assert t["item_id"].to_list() == sorted(t["item_id"].to_list())
    assert "draft" not in status and "review" not in status
    n = dict(zip(t["item_id"], t["n"], strict=True))
    assert all(n[i] == (500 if by_id[i] == "pretest" else 1800) for i in n)
    assert set(t["source"]) == {"synthetic"} and set(t["irt_model"]) == {"3pl"}
    assert set(t["form_id"]) == {"SYNTH-2026"} and set(t["theta_scale"]) == {"cehrs-bank"}
    assert (t["d"] == 1.0).all()
    assert (t["se_a"] > 0).all() and (t["se_b"] > 0).all() and (t["se_c"] > 0).all()
    versions = dict(zip(_items(statuses)["item_id"], _items(statuses)["item_version"], strict=True))
    assert all(versions[i] == v for i, v in zip(t["item_id"], t["item_version"], strict=True))


def test_statistics_are_the_model_implied_values():
    statuses = ["operational"] * 30 + ["pretest"] * 8 + ["retired"] * 2
    out = synthetic_item_stats(_items(statuses), seed=2, form_length=100)
    t = out.table
    assert out.settings["form_length_used"] == 30  # a 30-item pool fills 30-item forms
    status = np.array(statuses)  # rows are sorted by id, which is also input order here
    again = implied_moments(
        t["a"].to_numpy(),
        t["b"].to_numpy(),
        t["c"].to_numpy(),
        reference=status == "operational",
        counted=status != "pretest",
        form_length=30,
    )
    np.testing.assert_allclose(t["p_value"], again["p_value"], atol=1e-15)
    np.testing.assert_allclose(t["item_total_r"], again["item_total_r"], atol=1e-15)


def test_pretest_sample_size_widens_standard_errors():
    statuses = ["operational"] * 10 + ["pretest"] * 10
    t = synthetic_item_stats(_items(statuses), seed=3, form_length=100, n_pretest=200).table
    ratio = (
        t.filter(pl.col("n") == 200)["se_b"].median()
        / t.filter(pl.col("n") == 1800)["se_b"].median()
    )
    assert ratio > 1.5


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"administration_date": "31/12/2026"}, InputError, "not a date"),
        ({"form_id": "bad id"}, InputError, "form id"),
        ({"n_scored": -1}, InputError, "non-negative"),
    ],
)
def test_bad_labels(kwargs, error, message):
    with pytest.raises(error, match=message):
        synthetic_item_stats(_items(["operational"] * 5), seed=1, form_length=100, **kwargs)


def test_too_few_operational_items():
    with pytest.raises(DataError, match="2 operational item"):
        synthetic_item_stats(
            _items(["operational", "operational", "pretest"]), seed=1, form_length=100
        )
    with pytest.raises(DataError, match="no operational, pretest or retired"):
        synthetic_item_stats(_items(["draft"]), seed=1, form_length=100)


def test_simulate_stats_writes_and_keeps_real_rows(sim_bank, tmp_path):
    out = tmp_path / "stats.csv"
    result = simulate_stats(sim_bank, seed=4, out=out)
    assert result.path == out and result.kept_rows == 0
    first = sha256_file(out)
    with pytest.raises(InputError, match="already exists"):
        simulate_stats(sim_bank, seed=4, out=out)
    # a real analysis row survives a re-run; the synthetic rows are replaced, not doubled
    table = read_item_stats(out)
    analysis = table.head(1).with_columns(
        pl.lit("analysis").alias("source"), pl.lit("F-2027").alias("form_id")
    )
    write_item_stats(out, pl.concat([table, analysis]), force=True)
    again = simulate_stats(sim_bank, seed=4, out=out, force=True)
    assert again.kept_rows == 1
    final = read_item_stats(out)
    assert final.height == table.height + 1
    assert final.filter(pl.col("source") == "analysis").height == 1
    # same seed, same bytes
    other = tmp_path / "other.csv"
    simulate_stats(sim_bank, seed=4, out=other)
    assert sha256_file(other) == first


def test_shipped_table_holds_model_implied_values(bank_dir):
    """The shipped synthetic rows: p-values are exactly what their parameters imply."""
    path = bank_dir / "stats" / "item_stats.csv"
    if not path.exists():
        pytest.skip(f"{path} not generated yet (cehrs-items simulate stats)")
    table = read_item_stats(path).filter(pl.col("source") == "synthetic")
    assert table.height > 0 and not validate_item_stats(table)
    again = implied_moments(table["a"].to_numpy(), table["b"].to_numpy(), table["c"].to_numpy())
    np.testing.assert_allclose(table["p_value"], again["p_value"], atol=1e-12)
    assert table["item_total_r"].is_between(0.15, 0.50).all()
    assert 0.65 <= table["p_value"].mean() <= 0.75
    assert set(table["d"]) == {1.0} and set(table["irt_model"]) == {"3pl"}


def test_fast_row_check_agrees_with_the_schema_validator():
    from cehrs_items.simulate.stats import rows_valid_fast

    good = synthetic_item_stats(
        _items(["operational"] * 6 + ["pretest"] * 2), seed=5, form_length=6
    )
    table = good.table
    assert rows_valid_fast(table) and not validate_item_stats(table)
    corruptions = [
        pl.col("a").cum_count() * 0 - 1.0,  # a must be > 0
        pl.lit(1.5).alias("p_value"),
        pl.lit("2026/12/31").alias("administration_date"),
        pl.lit("guess").alias("source"),
        pl.lit("x-1").alias("item_id"),
        pl.lit(-3).alias("n"),
        pl.lit(None, dtype=pl.String).alias("form_id"),
        pl.lit(2.0).alias("c"),
        pl.lit("4pl").alias("irt_model"),
        pl.lit(0).alias("item_version"),
        pl.lit(-0.1).alias("se_b"),
    ]
    for expr in corruptions:
        name = expr.meta.output_name()
        bad = table.with_columns(expr.alias(name))
        assert validate_item_stats(bad), name
        assert not rows_valid_fast(bad), name
    # nulls in optional columns and NaN are absent values for both
    loose = table.with_columns(
        pl.lit(None, dtype=pl.Float64).alias("se_c"), pl.lit(float("nan")).alias("b")
    )
    assert not validate_item_stats(loose) and rows_valid_fast(loose)
