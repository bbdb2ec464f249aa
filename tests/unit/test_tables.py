"""The output tables' column declarations (``cehrs_items/tables.py``) and their users."""

from __future__ import annotations

import polars as pl
import pytest

from cehrs_items.tables import (
    TABLES,
    Column,
    Table,
    table_columns,
    table_for,
    table_schema,
    tables_markdown,
)


def test_every_table_is_well_formed():
    for name, table in TABLES.items():
        assert table.name == name and table.files and table.writer and table.row
        names = [c.name for c in table.columns]
        assert len(names) == len(set(names)), name
        for column in table.columns:
            assert column.meaning and isinstance(column.dtype, pl.DataType), (name, column)
            # a family's display name is not itself a column name; a plain name matches
            assert column.matches(column.name) == (column.pattern is None), (name, column)


def test_writers_take_their_columns_from_the_declarations():
    from cehrs_items.analysis.dif import DIF_COLUMNS
    from cehrs_items.analysis.dif_logistic import DIF_LOGISTIC_COLUMNS
    from cehrs_items.equating.result import TABLE_SCHEMA
    from cehrs_items.scaling import CONVERSION_SCHEMA
    from cehrs_items.standard_setting.angoff import ITEM_SCHEMA, JUDGE_SCHEMA, ROUND_SCHEMA
    from cehrs_items.standard_setting.impact import IMPACT_SCHEMA

    assert table_schema("dif") == DIF_COLUMNS
    assert table_schema("dif_logistic") == DIF_LOGISTIC_COLUMNS
    assert table_schema("equating") == TABLE_SCHEMA
    assert table_schema("conversion") == CONVERSION_SCHEMA
    assert table_schema("angoff_judges") == JUDGE_SCHEMA
    assert table_schema("angoff_items") == ITEM_SCHEMA
    assert table_schema("angoff_rounds") == ROUND_SCHEMA
    assert table_schema("impact") == IMPACT_SCHEMA


def test_standard_setting_and_theta_writers_take_their_columns_from_the_declarations():
    from cehrs_items.irt.scoring import THETA_COLUMNS
    from cehrs_items.standard_setting.bookmark import BOOKLET_SCHEMA, JUDGE_SCHEMA, ROUND_SCHEMA
    from cehrs_items.standard_setting.compromise import BEUK_ROUND_SCHEMA, HOFSTEE_ROUND_SCHEMA
    from cehrs_items.standard_setting.impact import CURVE_SCHEMA

    assert table_schema("bookmark_booklet") == BOOKLET_SCHEMA
    assert table_schema("bookmark_judges") == JUDGE_SCHEMA
    assert table_schema("bookmark_rounds") == ROUND_SCHEMA
    assert table_schema("hofstee_rounds") == HOFSTEE_ROUND_SCHEMA
    assert table_schema("beuk_rounds") == BEUK_ROUND_SCHEMA
    assert table_schema("failure_curve") == CURVE_SCHEMA
    assert table_columns("theta_scores") == THETA_COLUMNS
    # every estimator column is optional: a run writes only the --method columns
    assert list(table_schema("theta_scores")) == ["examinee_id", "n_answered", "raw"]


def test_bank_stats_and_link_writers_take_their_columns_from_the_declarations():
    from cehrs_items.irt.linking import CONSTANTS_COLUMNS, DRIFT_COLUMNS
    from cehrs_items.item_stats import STATS_SCHEMA

    assert table_schema("bank_item_stats") == STATS_SCHEMA
    assert table_schema("link_constants") == CONSTANTS_COLUMNS
    assert table_schema("link_drift") == DRIFT_COLUMNS
    # the contract's fields are the declared columns, in order
    from cehrs_items.contracts import validator

    assert list(validator("item_stats").schema["properties"]) == list(STATS_SCHEMA)


def test_stage_column_lists_are_taken_from_the_declarations():
    """The stages' column lists (analysis, irt, simulate) come from the declarations."""
    from cehrs_items.analysis.classical import ITEM_COLUMNS
    from cehrs_items.analysis.options import option_columns
    from cehrs_items.irt.calibrate import PARAM_COLUMNS
    from cehrs_items.simulate.responses import ITEM_TABLE_SCHEMA

    # item_stats: the pipeline adds role, domain and flags to classical's columns
    item_stats = table_schema("item_stats")
    assert {k: item_stats[k] for k in ITEM_COLUMNS} == ITEM_COLUMNS
    assert [k for k in item_stats if k not in ITEM_COLUMNS] == ["role", "domain", "flags"]
    assert TABLES["option_stats"].problems(pl.DataFrame(schema=option_columns(5))) == []
    assert [k for k in option_columns(2) if k.startswith("proportion_q")] == [
        "proportion_q1",
        "proportion_q2",
    ]
    assert list(PARAM_COLUMNS) == list(table_schema("item_params"))
    # the simulation's item table: the generating parameters first, then what it adds
    simulated = table_schema("simulation_items")
    assert list(simulated)[: len(ITEM_TABLE_SCHEMA)] == list(ITEM_TABLE_SCHEMA)
    assert all(simulated[k] == v for k, v in ITEM_TABLE_SCHEMA.items())


def test_table_columns_expands_families_and_refuses_foreign_names():
    assert list(table_columns("option_stats"))[-1] == "flags"
    with pytest.raises(ValueError, match="proportion_q<k>"):
        table_columns("option_stats", {"proportion_q<k>": ["share_1"]})


def test_problems_name_undeclared_missing_misordered_and_mistyped_columns():
    table = Table(
        "t",
        "t.csv",
        "a test",
        "thing",
        (
            Column("id", pl.String(), "id"),
            Column("x_<n>", pl.Int64(), "family", pattern=r"x_[0-9]+"),
            Column("note", pl.String(), "note", optional=True),
            Column("y", pl.Float64(), "y"),
        ),
    )
    good = pl.DataFrame({"id": ["a"], "x_1": [1], "x_2": [2], "y": [0.5]})
    assert table.problems(good) == []
    assert table.problems(good.with_columns(note=pl.lit("n"))) == [
        "t: column 'note' out of the declared order"
    ]
    noted = good.with_columns(note=pl.lit("n")).select("id", "x_1", "note", "y")
    assert table.problems(noted) == []
    assert table.problems(good.drop("y")) == ["t: column 'y' missing"]
    assert table.problems(good.with_columns(z=pl.lit(1))) == ["t: column 'z' is not declared"]
    assert table.problems(good.select("y", "id", "x_1")) == [
        "t: column 'id' out of the declared order",
        "t: column 'x_1' out of the declared order",
    ]
    assert table.problems(good.with_columns(pl.col("y").cast(pl.String))) == [
        "t: column 'y' is String, declared Float64"
    ]
    # an all-empty column (Null) is no dtype problem
    assert table.problems(good.with_columns(y=pl.lit(None))) == []
    assert table.schema() == {"id": pl.String(), "y": pl.Float64()}


def test_files_map_to_tables():
    assert table_for("analysis/NEW/item_stats.csv").name == "item_stats"
    assert table_for("calibration/bank_params.csv").name == "bank_params"
    assert table_for("calibration/NEW_params.csv").name == "item_params"
    assert table_for("equating/compare.csv").name == "equating_compare"
    assert table_for("equating/NEW_to_BASE.csv").name == "equating"
    assert table_for("responses/NEW_items.csv").name == "simulation_items"
    assert table_for("responses/NEW.csv").name == "responses"
    assert table_for("standard/angoff/judges.csv").name == "angoff_judges"
    assert table_for("standard/bookmark/judges.csv").name == "bookmark_judges"
    assert table_for("standard/hofstee/rounds.csv").name == "hofstee_rounds"
    assert table_for("standard/beuk/judges.csv").name == "beuk_judges"
    assert table_for("standard/impact/curve.csv").name == "failure_curve"
    assert table_for("standard/impact/impact.csv").name == "impact"
    assert table_for("responses/NEW_truth.parquet").name == "simulation_truth"
    assert table_for("stats/item_stats.csv").name == "bank_item_stats"
    assert table_for("forms/NEW.json") is None


def test_docs_list_every_column():
    from cehrs_items.cli.docs import DOCS_DIR

    doc = tables_markdown()
    assert (DOCS_DIR / "tables.md").read_text(encoding="utf-8") == doc
    for table in TABLES.values():
        assert f"## {table.name}\n" in doc
        for column in table.columns:
            assert f"| `{column.name}` | {column.dtype} |" in doc
