"""The calibrate orchestration: warnings, exclusions, item subsets, anchors, stats rows."""

import numpy as np
import polars as pl
import pytest
from irt_sim import item_ids, simulate

from cehrs_items.errors import DataError, EstimationError, InputError
from cehrs_items.irt.calibrate import PARAM_COLUMNS, calibrate, parse_prior, stats_rows
from cehrs_items.irt.models import probability
from cehrs_items.responses import ScoredResponses


def _scored(x, om=None, ids=None):
    ids = ids or item_ids(x.shape[1])
    return ScoredResponses(
        scores=x,
        omitted=np.zeros_like(x, dtype=bool) if om is None else om,
        item_ids=tuple(ids),
        examinee_ids=pl.Series("examinee_id", [f"E{i}" for i in range(x.shape[0])]),
        weights=None,
        extra=pl.DataFrame(),
    )


def test_columns_fit_and_warnings():
    x, *_, theta = simulate(3000, 12, seed=41)
    rng = np.random.default_rng(1)
    x[:, 0] = (rng.random(3000) < probability(theta, 6.0, 0.0)[:, 0]).astype(np.int8)  # steep
    x[:, 1] = (rng.random(3000) < probability(theta, 1.0, -5.0)[:, 0]).astype(np.int8)  # easy
    res = calibrate(_scored(x))
    assert res.params.columns == list(PARAM_COLUMNS)
    warn = dict(res.params.select("item_id", "warnings").iter_rows())
    assert "a>4" in warn["IT-0000"]
    assert "b_outside_[-4,4]" in warn["IT-0001"]
    assert res.params["sx2_p"].drop_nulls().len() == 12
    assert res.summary()["n_warnings"] >= 2


def test_excluded_items_and_subset():
    x, *_ = simulate(600, 8, seed=42)
    x[:, 3] = 0
    res = calibrate(_scored(x))
    assert res.excluded == {"IT-0003": "no variance: every answer wrong"}
    sub = calibrate(_scored(x), estimate=["IT-0000", "IT-0001", "IT-0002"])
    assert sub.params["item_id"].to_list() == ["IT-0000", "IT-0001", "IT-0002"]


def test_cml_path_reports_fit_and_distribution():
    x, *_ = simulate(1000, 10, seed=43, model="rasch", sd=1.2)
    res = calibrate(_scored(x), model="rasch", method="cml")
    assert res.settings["method"] == "cml"
    assert res.sd == pytest.approx(1.2, abs=0.1)
    assert res.params["sx2_p"].drop_nulls().len() == 10
    with pytest.raises(InputError):
        calibrate(_scored(x), model="2pl", method="cml")


def test_anchor_errors():
    x, _, a, b, _, _ = simulate(300, 6, seed=44)
    ids = item_ids(6)
    anchor = pl.DataFrame({"item_id": ids[:3], "a": a[:3], "b": b[:3], "c": 0.0, "d": 1.0})
    with pytest.raises(DataError, match="neither estimated nor in the anchor"):
        calibrate(_scored(x), anchor=anchor, estimate=ids[4:])
    other = anchor.with_columns(pl.lit("ZZ-0001").alias("item_id"))
    with pytest.raises(DataError, match="no anchor item appears"):
        calibrate(_scored(x), anchor=other.head(1), estimate=ids)


def test_non_convergence_raises():
    x, *_ = simulate(300, 6, seed=45)
    with pytest.raises(EstimationError, match="did not converge in 2 cycles"):
        calibrate(_scored(x), max_iter=2)


def test_stats_rows_are_schema_valid_and_need_versions():
    ids = [f"CO-{j:04d}" for j in range(1, 7)]
    x, *_ = simulate(400, 6, seed=46)
    res = calibrate(_scored(x, ids=ids))
    rows = stats_rows(
        res,
        form_id="F1",
        administration_date="2026-05-01",
        item_versions=dict.fromkeys(ids, 1),
        p_values={i: float(x[:, j].mean()) for j, i in enumerate(ids)},
        theta_scale="calibration N(0,1)",
    )
    assert rows.height == 6 and set(rows["irt_model"]) == {"2pl"}
    with pytest.raises(DataError, match="no item version"):
        stats_rows(
            res,
            form_id="F1",
            administration_date="2026-05-01",
            item_versions={},
            p_values={},
            theta_scale="x",
        )


def test_parse_prior():
    assert parse_prior("5,17", "c") == (5.0, 17.0)
    assert parse_prior("none", "c") is None
    with pytest.raises(InputError, match="--c-prior"):
        parse_prior("5", "c")


def test_parameter_file_carries_the_ability_distribution():
    x, *_ = simulate(800, 8, seed=3, model="rasch", sd=1.3)
    res = calibrate(_scored(x), model="rasch", se_method="none", fit=False)
    assert res.params["theta_mean"].unique().to_list() == [pytest.approx(res.mean)]
    assert res.params["theta_sd"].unique().to_list() == [pytest.approx(res.sd)]
    assert res.sd == pytest.approx(1.3, abs=0.15)
