"""Kolen & Brennan (2014) ch. 6 example: the four linking constants (symmetric criteria over
the two groups' distributions) and the IRT true-score table with theta.

Expected values: tests/reference/kolen-brennan-ch6 (independent implementation; see its
SOURCE.md for why they are not transcribed from the book)."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cehrs_items.equating.irt_based import IrtForm, irt_true
from cehrs_items.irt.linking import AbilityDistribution, link, read_ability
from cehrs_items.irt.params import read_params

REF = Path(__file__).resolve().parents[2] / "reference" / "kolen-brennan-ch6"


def _params(path):
    return read_params(path).with_columns(pl.lit(1.7).alias("d"))


@pytest.fixture
def ch6(shared_data):
    return shared_data / "kolen-brennan" / "ch6"


def test_four_constants_symmetric(ch6):
    new, base = _params(ch6 / "common_items_x.csv"), _params(ch6 / "common_items_y.csv")
    res = link(
        new,
        base,
        method="haebara",
        criterion="symmetric",
        theta_new=read_ability(ch6 / "ability_x.csv"),
        theta_base=read_ability(ch6 / "ability_y.csv"),
    )
    got = {r["method"]: (r["A"], r["B"]) for r in res.constants.iter_rows(named=True)}
    expected = pl.read_csv(REF / "expected_linking.csv")
    for method, a_ref, b_ref in expected.iter_rows():
        assert got[method][0] == pytest.approx(a_ref, abs=1e-5), method
        assert got[method][1] == pytest.approx(b_ref, abs=1e-5), method
    assert got["haebara"][0] == res.A
    # each method's own criterion; none for the moment methods
    crit = dict(zip(res.constants["method"], res.constants["criterion"], strict=True))
    assert crit["mean-sigma"] is None and crit["mean-mean"] is None
    row = res.constants.row(0, named=True)
    assert row["criterion"] == pytest.approx(row["haebara_criterion"], abs=1e-15)
    # the minimum is a minimum: every other method's constants give a larger criterion
    assert (res.constants["haebara_criterion"] >= row["criterion"] - 1e-12).all()


def test_one_way_differs_by_what_the_issue_reports(ch6):
    new, base = _params(ch6 / "common_items_x.csv"), _params(ch6 / "common_items_y.csv")
    sym = link(new, base, theta_new=read_ability(ch6 / "ability_x.csv"),
               theta_base=read_ability(ch6 / "ability_y.csv")).constants  # fmt: skip
    one = link(new, base, criterion="one-way", theta_base=AbilityDistribution.normal()).constants
    a_sym = dict(zip(sym["method"], sym["A"], strict=True))
    a_one = dict(zip(one["method"], one["A"], strict=True))
    assert a_one["haebara"] - a_sym["haebara"] == pytest.approx(0.0015, abs=1e-4)
    assert a_one["stocking-lord"] - a_sym["stocking-lord"] == pytest.approx(0.0074, abs=1e-4)


def test_true_score_table_with_theta(ch6):
    x = IrtForm.from_params(_params(ch6 / "form_x_params.csv"), name="X")
    y = IrtForm.from_params(_params(ch6 / "form_y_params.csv"), name="Y")
    table = irt_true(x, y).table()
    expected = pl.read_csv(REF / "expected_true_score.csv")
    assert table["score"].to_list() == expected["score"].to_list()
    assert np.allclose(table["equated"], expected["equated"], atol=1e-6, rtol=0)
    assert table["theta_x"].is_null().to_list() == expected["theta_x"].is_null().to_list()
    got = table["theta_x"].drop_nulls().to_numpy()
    assert np.allclose(got, expected["theta_x"].drop_nulls().to_numpy(), atol=1e-6, rtol=0)
    # below the sum of the c's (6.527): no theta, linear extrapolation to sum c_Y
    assert table["theta_x"][:7].null_count() == 7 and table["theta_x"][7] is not None
    assert np.all(np.diff(got) > 0)
