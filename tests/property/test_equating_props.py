"""Equating properties (hypothesis): identity, symmetry, monotonicity, cut exactness."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cehrs_items.blueprint import load_blueprint
from cehrs_items.equating import BivariateDist, ScoreDist, equate, neat
from cehrs_items.scaling import build_conversion

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

counts = st.lists(st.integers(min_value=0, max_value=500), min_size=3, max_size=41).filter(
    lambda c: sum(c) > 0
)
positive_counts = st.lists(st.integers(min_value=1, max_value=500), min_size=3, max_size=41)


@SETTINGS
@given(positive_counts)
def test_equating_a_form_to_itself_is_the_identity(c):
    d = ScoreDist(c)
    for method in ("mean", "linear", "equipercentile"):
        if method == "linear" and d.moments()["sd"] == 0:
            continue
        result = equate(d, d, method=method)
        np.testing.assert_allclose(result.equated, np.arange(len(c)), atol=1e-9)


@SETTINGS
@given(counts, counts)
def test_equipercentile_is_monotone(cx, cy):
    result = equate(ScoreDist(cx), ScoreDist(cy), method="equipercentile")
    e = result.equated
    assert np.all(np.diff(e) >= -1e-12)
    assert e.min() >= -0.5 - 1e-12 and e.max() <= len(cy) - 0.5 + 1e-12


@SETTINGS
@given(positive_counts, positive_counts)
def test_linear_equating_is_symmetric(cx, cy):
    x, y = ScoreDist(cx), ScoreDist(cy)
    if x.moments()["sd"] == 0 or y.moments()["sd"] == 0:
        return
    xy = equate(x, y, method="linear")
    yx = equate(y, x, method="linear")
    assert xy.slope * yx.slope == pytest.approx(1.0, rel=1e-10)
    points = np.linspace(0, len(cx) - 1, 7)
    back = (xy.slope * points + xy.intercept) * yx.slope + yx.intercept
    np.testing.assert_allclose(back, points, atol=1e-8)


@st.composite
def joint_tables(draw):
    kv = draw(st.integers(2, 6))
    kx = draw(st.integers(kv + 2, kv + 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(80, 2000))
    shift = draw(st.floats(-1.0, 1.0))
    theta = rng.normal(shift, 1, n)
    p_anchor = 1 / (1 + np.exp(-(theta[:, None] - rng.normal(0, 1, kv))))
    p_unique = 1 / (1 + np.exp(-(theta[:, None] - rng.normal(0, 1, kx - kv))))
    anchor = (rng.random(p_anchor.shape) < p_anchor).sum(axis=1)
    total = anchor + (rng.random(p_unique.shape) < p_unique).sum(axis=1)
    return BivariateDist.from_scores(total, anchor, kx, kv)


@SETTINGS
@given(joint_tables(), joint_tables(), st.floats(0.0, 1.0))
def test_tucker_and_levine_are_symmetric(a, b, w1):
    if a.max_anchor != b.max_anchor:
        return
    for method in ("tucker", "levine_observed", "levine_true", "chained_linear"):
        try:
            xy = neat.linear_method(method, a, b, w1=w1)
            yx = neat.linear_method(method, b, a, w1=1 - w1)
        except Exception:  # noqa: BLE001 - degenerate draws (zero variance) are skipped
            continue
        assert xy.slope * yx.slope == pytest.approx(1.0, rel=1e-9)
        assert yx.slope * xy.intercept + yx.intercept == pytest.approx(0.0, abs=1e-8)


@SETTINGS
@given(joint_tables(), joint_tables(), st.floats(0.0, 1.0))
def test_neat_equipercentile_methods_are_monotone(a, b, w1):
    if a.max_anchor != b.max_anchor:
        return
    fe = neat.frequency_estimation(a, b, w1=w1).equated
    ce = neat.chained_equipercentile(a, b).equated
    assert np.all(np.diff(fe) >= -1e-9)
    assert np.all(np.diff(ce) >= -1e-9)


@pytest.fixture(scope="module")
def blueprint():
    from pathlib import Path

    return load_blueprint(Path(__file__).resolve().parents[2] / "item_bank" / "blueprint.yaml")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    difficulty=st.floats(-1.5, 1.5),
    spread=st.floats(0.6, 1.6),
    seed=st.integers(0, 2**32 - 1),
    method=st.sampled_from(["linear", "equipercentile", "mean"]),
    raw_cut=st.one_of(st.none(), st.floats(40, 95)),
)
def test_cut_is_exact_on_simulated_forms(blueprint, difficulty, spread, seed, method, raw_cut):
    """Forms of different difficulty: every raw score's pass/fail agrees with its
    equated score against the base form's raw cut, and the scaled score with 390."""
    k = blueprint.scored_items
    rng = np.random.default_rng(seed)
    b_base = rng.normal(0, 1, k)
    b_new = b_base * spread + difficulty
    theta = rng.normal(0, 1, (2, 3000))
    tables = []
    for b, th in ((b_new, theta[0]), (b_base, theta[1])):
        p = 1 / (1 + np.exp(-(th[:, None] - b)))
        tables.append(ScoreDist.from_scores((rng.random(p.shape) < p).sum(axis=1), k))
    result = equate(tables[0], tables[1], method=method)
    e = result.equated
    if np.any(np.diff(e) < 0):  # mean/linear are increasing; kept general
        return
    conv = build_conversion(e, blueprint, raw_cut=raw_cut)
    cut = blueprint.scale.raw_cut if raw_cut is None else raw_cut
    passing = blueprint.scale.passing
    table = conv.table
    eq = table["equated"].to_numpy()
    scaled = table["scaled"].to_numpy()
    passed = table["pass"].to_numpy()
    np.testing.assert_array_equal(passed, eq >= cut - 1e-9)
    np.testing.assert_array_equal(scaled >= passing, passed)
    assert scaled.min() >= blueprint.scale.min and scaled.max() <= blueprint.scale.max
    assert np.all(np.diff(table["scaled"].to_numpy()) >= 0)
    if conv.raw_cut is not None:
        assert table["pass"][conv.raw_cut :].all()
