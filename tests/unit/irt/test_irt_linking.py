"""Linking constants: exact recovery and agreement between methods."""

import numpy as np
import polars as pl
import pytest

from cehrs_items.errors import EquatingError, InputError
from cehrs_items.irt.linking import link, transform_params


def _base(n=15, seed=0, c=0.0):
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "item_id": [f"IT-{j:04d}" for j in range(n)],
            "a": np.exp(rng.normal(0, 0.3, n)),
            "b": rng.normal(0, 1, n),
            "c": np.full(n, c),
            "d": 1.0,
        }
    )


@pytest.mark.parametrize("method", ["stocking-lord", "haebara", "mean-sigma", "mean-mean"])
@pytest.mark.parametrize("c", [0.0, 0.2])
def test_exact_transformation_is_recovered(method, c):
    base = _base(c=c)
    A, B = 1.15, -0.4
    # new-scale parameters of the same items: theta_new = (theta_base - B) / A
    new = base.with_columns(pl.col("a") * A, (pl.col("b") - B) / A)
    res = link(new, base, method=method)
    assert abs(res.A - A) < 1e-6
    assert abs(res.B - B) < 1e-6
    assert np.allclose(res.params["b"], base["b"], atol=1e-5)
    assert res.constants["method"][0] == method


def test_identity_when_calibrations_agree():
    base = _base()
    res = link(base, base)
    assert abs(res.A - 1.0) < 1e-7 and abs(res.B - 0.0) < 1e-7
    assert res.criterion == pytest.approx(0.0, abs=1e-12)


def test_noisy_items_characteristic_curve_methods_close_to_truth():
    base = _base(n=25, seed=3)
    rng = np.random.default_rng(4)
    new = base.with_columns(
        (pl.col("a") * 0.9 * np.exp(rng.normal(0, 0.05, 25))),
        ((pl.col("b") - 0.3) / 0.9 + rng.normal(0, 0.05, 25)),
    )
    for method in ("stocking-lord", "haebara"):
        res = link(new, base, method=method)
        assert abs(res.A - 0.9) < 0.05
        assert abs(res.B - 0.3) < 0.05


def test_transform_scales_standard_errors():
    frame = _base(3).with_columns(pl.lit(0.1).alias("se_a"), pl.lit(0.2).alias("se_b"))
    out = transform_params(frame, 2.0, 1.0)
    assert np.allclose(out["se_a"], 0.05) and np.allclose(out["se_b"], 0.4)


def test_errors():
    base = _base()
    other = base.with_columns(pl.col("item_id") + "x")
    with pytest.raises(EquatingError, match="at least 2 common items"):
        link(other, base)
    with pytest.raises(InputError):
        link(base, base, method="tucker")
    with pytest.raises(EquatingError):
        link(base, base, items=["NOPE-1", "IT-0001"])


def test_matches_mirt_package():
    # Constants from mirt 1.2.0 (tests/reference/mirt_linking/reference.py), same grid;
    # mirt minimises the one-way criterion.
    from irt_sim import REFERENCE

    from cehrs_items.irt.params import read_params

    ref = REFERENCE / "mirt_linking"
    base = read_params(ref / "params_base.csv")
    new = read_params(ref / "params_new.csv")
    theta = np.linspace(-4, 4, 61)
    expected = pl.read_csv(ref / "expected.csv")
    for method, a_ref, b_ref in expected.iter_rows():
        res = link(
            new, base, method=method, criterion="one-way", theta=theta,
            weights=np.exp(-0.5 * theta**2),
        )  # fmt: skip
        assert abs(res.A - a_ref) < 1e-6, method
        assert abs(res.B - b_ref) < 1e-6, method


def test_default_distributions_come_from_the_parameter_files(tmp_path):
    from cehrs_items.errors import DataError
    from cehrs_items.irt.linking import AbilityDistribution, read_ability

    base = _base(12, seed=5).with_columns(
        pl.lit(0.3).alias("theta_mean"), pl.lit(1.2).alias("theta_sd")
    )
    new = base.with_columns(
        pl.col("a") * 1.1, (pl.col("b") - 0.2) / 1.1, pl.lit(0.0).alias("theta_mean"),
        pl.lit(1.0).alias("theta_sd"),
    )  # fmt: skip
    res = link(new, base, method="haebara")
    assert res.settings["theta_base"]["source"].startswith("calibration N(0.3, 1.2^2)")
    assert res.settings["theta_base"]["mean"] == pytest.approx(0.3, abs=1e-12)
    assert res.settings["theta_new"]["source"].startswith("calibration N(0, 1^2)")
    explicit = link(
        new, base, method="haebara",
        theta_base=AbilityDistribution.normal(0.3, 1.2), theta_new=AbilityDistribution.normal(),
    )  # fmt: skip
    assert res.A == explicit.A and res.B == explicit.B
    # the linked file carries the new group's distribution on the base scale
    assert res.params["theta_mean"][0] == pytest.approx(res.B, abs=1e-12)
    assert res.params["theta_sd"][0] == pytest.approx(res.A, abs=1e-12)
    # without the columns: N(0, 1)
    plain = link(new.drop("theta_mean", "theta_sd"), base.drop("theta_mean", "theta_sd"))
    assert plain.settings["theta_base"]["source"] == "N(0, 1^2)"
    bad = base.with_columns(pl.Series("theta_sd", [1.0] * 11 + [2.0]))
    with pytest.raises(DataError, match="one value for the whole file"):
        link(new, bad)
    path = tmp_path / "q.csv"
    path.write_text("theta,weight\n-1,0.5\n1,oops\n")
    with pytest.raises(DataError, match=r"q.csv: line 3, column weight: 'oops'"):
        read_ability(path)
    path.write_text("x,y\n1,2\n")
    with pytest.raises(DataError, match="line 1: expected the header theta,weight"):
        read_ability(path)
