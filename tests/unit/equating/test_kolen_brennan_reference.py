"""Reproduce the published Kolen & Brennan examples (see tests/reference/kolen-brennan/SOURCE.md)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cehrs_items.equating import equate, neat, random_groups


def _rows(path, **filters) -> dict[str, float]:
    frame = pl.read_csv(path, infer_schema_length=None)
    for key, value in filters.items():
        frame = frame.filter(pl.col(key).cast(pl.String) == value)
    return dict(zip(frame["quantity"], frame["value"], strict=True))


def test_table_2_7_equipercentile_equivalents(actmath, kb_reference):
    x, y = actmath
    expected = pl.read_csv(kb_reference / "ch2_actmath_equipercentile.csv")
    result = equate(x, y, method="equipercentile")
    assert result.table()["score"].to_list() == expected["score"].to_list()
    np.testing.assert_allclose(result.equated, expected["equated"].to_numpy(), atol=1e-4, rtol=0)


def test_chapter_2_moments_mean_and_linear(actmath, kb_reference):
    x, y = actmath
    ref = pl.read_csv(kb_reference / "ch2_actmath_moments.csv")
    ref = dict(zip(ref["quantity"], ref["value"], strict=True))
    mx, my = x.moments(), y.moments()
    assert mx["mean"] == pytest.approx(ref["mean_x"], abs=1e-4)
    assert mx["sd"] == pytest.approx(ref["sd_x"], abs=1e-4)
    assert my["mean"] == pytest.approx(ref["mean_y"], abs=1e-4)
    assert my["sd"] == pytest.approx(ref["sd_y"], abs=1e-4)
    mean = random_groups.mean(x, y)
    assert mean.intercept == pytest.approx(ref["mean_shift"], abs=1e-4)
    assert mean.slope == 1.0
    lin = random_groups.linear(x, y)
    assert lin.slope == pytest.approx(ref["linear_slope"], abs=1e-4)
    # Linear equating reproduces Form Y's mean and SD in the Form X group.
    assert lin.moments["mean"] == pytest.approx(my["mean"], abs=1e-10)
    assert lin.moments["sd"] == pytest.approx(my["sd"], abs=1e-10)
    eq = random_groups.equipercentile(x, y).moments
    assert eq["mean"] == pytest.approx(ref["equipercentile_mean"], abs=1e-4)
    assert eq["sd"] == pytest.approx(ref["equipercentile_sd"], abs=1e-4)
    assert eq["skewness"] == pytest.approx(ref["equipercentile_skewness"], abs=1e-4)
    assert eq["kurtosis"] == pytest.approx(ref["equipercentile_kurtosis"], abs=1e-4)


def test_chapter_4_data_moments(kbneat, kb_reference):
    x, y = kbneat
    ref = _rows(kb_reference / "ch4_5_kbneat.csv", method="data")
    m1 = neat.group_moments(x.counts[None] / x.n)
    m2 = neat.group_moments(y.counts[None] / y.n)
    assert x.n == 1655 and y.n == 1638
    assert m1["mean_x"][0] == pytest.approx(ref["mean_x_pop1"], abs=1e-4)
    assert np.sqrt(m1["var_x"][0]) == pytest.approx(ref["sd_x_pop1"], abs=1e-4)
    assert m1["mean_v"][0] == pytest.approx(ref["mean_v_pop1"], abs=1e-4)
    assert np.sqrt(m1["var_v"][0]) == pytest.approx(ref["sd_v_pop1"], abs=1e-4)
    assert m2["mean_x"][0] == pytest.approx(ref["mean_y_pop2"], abs=1e-4)
    assert m2["mean_v"][0] == pytest.approx(ref["mean_v_pop2"], abs=1e-4)
    assert np.sqrt(m2["var_v"][0]) == pytest.approx(ref["sd_v_pop2"], abs=1e-4)


def test_table_4_4_tucker_w1_equal_1(kbneat, kb_reference):
    x, y = kbneat
    ref = _rows(kb_reference / "ch4_5_kbneat.csv", method="tucker", w1="1")
    result = neat.tucker(x, y, w1=1.0)
    assert result.details["synthetic"]["mean_y"] == pytest.approx(ref["synthetic_mean_y"], abs=1e-4)
    assert result.slope == pytest.approx(ref["slope"], abs=1e-4)
    # With w1 = 1 the synthetic population is population 1: its X moments are the data's.
    assert result.details["synthetic"]["mean_x"] == pytest.approx(x.total.moments()["mean"])


@pytest.mark.parametrize(
    "method", ["tucker", "levine_observed", "levine_true", "chained_linear", "braun_holland"]
)
def test_linear_coefficients_default_weights(kbneat, kb_reference, method):
    x, y = kbneat
    ref = _rows(kb_reference / "ch4_5_kbneat.csv", method=method)
    ref = {k: v for k, v in ref.items() if k in ("slope", "intercept")}
    result = equate(x, y, method=method)  # w1 = N1 / (N1 + N2)
    assert result.slope == pytest.approx(ref["slope"], abs=1e-4)
    assert result.intercept == pytest.approx(ref["intercept"], abs=1e-4)


def test_braun_holland_moments_w1_equal_1(kbneat, kb_reference):
    x, y = kbneat
    ref = _rows(kb_reference / "ch4_5_kbneat.csv", method="braun_holland", w1="1")
    moments = neat.braun_holland(x, y, w1=1.0).moments
    assert moments["mean"] == pytest.approx(ref["equated_mean"], abs=1e-4)
    assert moments["sd"] == pytest.approx(ref["equated_sd"], abs=1e-4)
    assert moments["skewness"] == pytest.approx(ref["equated_skewness"], abs=1e-4)


def test_chained_equipercentile_top_scores(kbneat, kb_reference):
    x, y = kbneat
    ref = _rows(kb_reference / "ch4_5_kbneat.csv", method="chained_equipercentile")
    result = neat.chained_equipercentile(x, y)
    for score in (34, 35, 36):
        assert result.equated[score] == pytest.approx(ref[f"equated_{score}"], abs=1e-4)


def test_frequency_estimation_hypothetical_example(hypothetical, kb_reference):
    x, y = hypothetical
    expected = pl.read_csv(kb_reference / "ch5_hypothetical_fe_expected.csv")
    result = neat.frequency_estimation(x, y, w1=1.0)
    np.testing.assert_allclose(result.equated, expected["equated"].to_numpy(), atol=0.005, rtol=0)
    # With w1 = 1 the synthetic X distribution is population 1's own distribution.
    fs, gs, lost = neat.frequency_estimation_distributions(
        x.counts[None] / x.n, y.counts[None] / y.n, 1.0
    )
    np.testing.assert_allclose(fs[0], x.total.probs, atol=1e-12)
    assert lost[0] == 0.0
    # g_s(y) = sum_v g2(y|v) h1(v): check one cell by hand (y = 0).
    h1 = x.counts.sum(axis=0) / x.n
    g2_given_v = y.counts / y.counts.sum(axis=0)
    assert gs[0, 0] == pytest.approx(float(g2_given_v[0] @ h1), abs=1e-12)
