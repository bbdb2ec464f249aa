"""ICC of a panel: Shrout & Fleiss (1979) published values and pingouin reference values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cehrs_items.errors import DataError
from cehrs_items.standard_setting import icc

REF = Path(__file__).resolve().parents[2] / "reference" / "pingouin_icc"

# Shrout & Fleiss (1979), Table 2: 6 targets (rows) rated by 4 judges (columns).
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)


def test_shrout_fleiss_published_values():
    # The values the paper reports for its Table 2 example:
    # ICC(2,1) = .29, ICC(3,1) = .71, ICC(2,4) = .62, ICC(3,4) = .91.
    r = icc(SHROUT_FLEISS)
    assert r.icc2_1 == pytest.approx(0.29, abs=5e-3)
    assert r.icc3_1 == pytest.approx(0.71, abs=5e-3)
    assert r.icc2_k == pytest.approx(0.62, abs=5e-3)
    assert r.icc3_k == pytest.approx(0.91, abs=5e-3)
    # Two-way ANOVA mean squares of the same data: targets 11.24, judges 32.49, residual 1.02.
    assert r.ms_items == pytest.approx(11.2417, abs=1e-4)
    assert r.ms_judges == pytest.approx(32.4861, abs=1e-4)
    assert r.ms_error == pytest.approx(1.0194, abs=1e-4)


def test_pingouin_reference_panels():
    ratings = pl.read_csv(REF / "ratings.csv")
    expected = pl.read_csv(REF / "expected.csv")
    assert expected.height == 4
    for row in expected.iter_rows(named=True):
        part = ratings.filter(pl.col("panel") == row["panel"]).sort("item_id", "judge_id")
        n_items = part["item_id"].n_unique()
        matrix = part["rating"].to_numpy().reshape(n_items, -1)
        got = icc(matrix)
        for name in ("icc2_1", "icc2_k", "icc3_1", "icc3_k"):
            assert getattr(got, name) == pytest.approx(row[name], abs=1e-10), (row["panel"], name)


def test_no_variation_gives_none_not_nan():
    r = icc(np.full((5, 3), 0.7))
    assert r.icc2_1 is None and r.icc2_k is None and r.icc3_1 is None and r.icc3_k is None


def test_too_small_or_incomplete_is_refused():
    with pytest.raises(DataError, match="at least 2 items and 2 judges"):
        icc(np.ones((1, 4)))
    with pytest.raises(DataError, match="complete ratings"):
        icc(np.array([[0.5, np.nan], [0.6, 0.7]]))
