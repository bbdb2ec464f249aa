import numpy as np
import polars as pl
import pytest

from cehrs_items.errors import DataError
from cehrs_items.irt.information import information_curves, theta_grid
from cehrs_items.irt.models import item_information


def test_rasch_information_is_a_quarter_per_item_at_b():
    params = pl.DataFrame(
        {"item_id": ["A", "B"], "a": [1.0, 1.0], "b": [0.5, 0.5], "c": [0.0, 0.0]}
    )
    out = information_curves(params, theta=np.array([0.5]))
    assert out["info"][0] == pytest.approx(0.5, abs=1e-12)
    assert out["csem"][0] == pytest.approx(1 / np.sqrt(0.5), abs=1e-12)
    assert out["expected_score"][0] == pytest.approx(1.0, abs=1e-12)


def test_item_specific_scaling_constant():
    params = pl.DataFrame(
        {
            "item_id": ["A", "B"],
            "a": [1.2, 0.8],
            "b": [0.0, 1.0],
            "c": [0.2, 0.0],
            "d": [1.702, 1.0],
        }
    )
    grid = theta_grid(-2, 2, 0.5)
    out = information_curves(params, theta=grid)
    expected = (
        item_information(grid, 1.2, 0.0, 0.2, d=1.702)[:, 0]
        + item_information(grid, 0.8, 1.0, 0.0)[:, 0]
    )
    assert np.allclose(out["info"], expected, atol=1e-12)
    assert out["theta"].to_list() == [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]


def test_unknown_items():
    params = pl.DataFrame({"item_id": ["A"], "a": [1.0], "b": [0.0], "c": [0.0]})
    with pytest.raises(DataError):
        information_curves(params, items=["Z"])
