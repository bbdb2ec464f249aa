"""Common-item (NEAT) methods: formulas by hand, weights, anchors, conventions, SEs."""

from __future__ import annotations

import numpy as np
import pytest

from cehrs_items.equating import ANALYTIC_SE, BivariateDist, equate, neat, smoothing
from cehrs_items.errors import DataError, EquatingError


def _moments(d: BivariateDist) -> dict[str, float]:
    m = neat.group_moments(d.counts[None] / d.n)
    return {k: float(v[0]) for k, v in m.items()}


def test_tucker_by_hand(kbneat):
    x, y = kbneat
    m1, m2 = _moments(x), _moments(y)
    w1 = 0.3
    w2 = 1 - w1
    g1 = m1["cov_xv"] / m1["var_v"]
    g2 = m2["cov_xv"] / m2["var_v"]
    dm = m1["mean_v"] - m2["mean_v"]
    dv = m1["var_v"] - m2["var_v"]
    mux = m1["mean_x"] - w2 * g1 * dm
    muy = m2["mean_x"] + w1 * g2 * dm
    vx = m1["var_x"] - w2 * g1**2 * dv + w1 * w2 * g1**2 * dm**2
    vy = m2["var_x"] + w1 * g2**2 * dv + w1 * w2 * g2**2 * dm**2
    slope = np.sqrt(vy / vx)
    result = neat.tucker(x, y, w1=w1)
    assert result.slope == pytest.approx(slope, abs=1e-12)
    assert result.intercept == pytest.approx(muy - slope * mux, abs=1e-10)
    assert result.details["gamma_1"] == pytest.approx(g1)


def test_levine_gammas_internal_and_external(kbneat):
    x, y = kbneat
    m1 = _moments(x)
    internal = neat.levine_observed(x, y)
    assert internal.details["gamma_1"] == pytest.approx(m1["var_x"] / m1["cov_xv"])
    ext_x = BivariateDist(x.counts, internal=False, name="X")
    ext_y = BivariateDist(y.counts, internal=False, name="Y")
    external = neat.levine_observed(ext_x, ext_y)
    expected = (m1["var_x"] + m1["cov_xv"]) / (m1["var_v"] + m1["cov_xv"])
    assert external.details["gamma_1"] == pytest.approx(expected)
    assert external.settings["anchor"] == "external"


def test_levine_true_and_chained_linear_ignore_w1(kbneat):
    x, y = kbneat
    for method in ("levine_true", "chained_linear"):
        a = equate(x, y, method=method, w1=0.1)
        b = equate(x, y, method=method, w1=0.9)
        np.testing.assert_allclose(a.equated, b.equated)
        assert a.settings["w1"] is None


def test_w1_changes_the_synthetic_population(kbneat):
    x, y = kbneat
    a = neat.tucker(x, y, w1=0.0)
    b = neat.tucker(x, y, w1=1.0)
    assert a.details["synthetic"]["mean_y"] == pytest.approx(_moments(y)["mean_x"])
    assert b.details["synthetic"]["mean_x"] == pytest.approx(_moments(x)["mean_x"])
    assert a.slope != pytest.approx(b.slope)
    assert equate(x, y, method="tucker").settings["w1"] == pytest.approx(1655 / (1655 + 1638))


def test_w1_out_of_range_and_anchor_mismatch(kbneat):
    x, y = kbneat
    with pytest.raises(EquatingError, match="w1"):
        neat.tucker(x, y, w1=1.5)
    short = BivariateDist(y.counts[:, :12], name="Y")
    with pytest.raises(EquatingError, match="anchor score ranges differ"):
        neat.tucker(x, short)


def test_identical_groups_give_identity(kbneat):
    x, _ = kbneat
    for method in ("tucker", "levine_observed", "levine_true", "chained_linear", "braun_holland"):
        result = equate(x, x, method=method)
        np.testing.assert_allclose(result.equated, np.arange(37), atol=1e-9)
    for method in ("frequency_estimation", "chained_equipercentile"):
        result = equate(x, x, method=method)
        observed = x.total.counts > 0
        np.testing.assert_allclose(result.equated[observed], np.arange(37)[observed], atol=1e-9)


def test_frequency_estimation_drops_anchor_scores_seen_in_one_group_only():
    rng = np.random.default_rng(5)
    c1 = rng.integers(1, 20, size=(11, 6)).astype(float)
    c2 = rng.integers(1, 20, size=(11, 6)).astype(float)
    c1[:, 5] = 0.0  # nobody in population 1 reached anchor score 5
    x = BivariateDist(c1, internal=False, name="X")
    y = BivariateDist(c2, internal=False, name="Y")
    result = neat.frequency_estimation(x, y, w1=0.5)
    assert np.all(np.isfinite(result.equated))
    assert any("one population only" in n for n in result.notes)
    fs, gs, lost = neat.frequency_estimation_distributions(
        c1[None] / c1.sum(), c2[None] / c2.sum(), 0.5
    )
    assert fs.sum() == pytest.approx(1.0) and gs.sum() == pytest.approx(1.0)
    assert lost[0] == pytest.approx(0.5 * c2[:, 5].sum() / c2.sum())


def test_bivariate_presmoothing_preserves_moments(kbneat):
    x, _ = kbneat
    fitted = smoothing.loglinear_bivariate(x.counts, degree=3, cross=1, internal=True)
    xs = np.arange(37.0)[:, None]
    vs = np.arange(13.0)[None, :]
    for fx, fv in ((1, 0), (2, 0), (3, 0), (0, 1), (0, 2), (0, 3), (1, 1)):
        assert np.sum(fitted * xs**fx * vs**fv) == pytest.approx(
            np.sum(x.counts * xs**fx * vs**fv), rel=1e-8
        )
    mask = smoothing.structural_mask(36, 12, True)
    assert np.all(fitted[~mask] == 0)


def test_presmoothed_frequency_estimation_runs_and_is_monotone(kbneat):
    x, y = kbneat
    result = equate(x, y, method="frequency_estimation", presmooth=3)
    assert result.details["presmoothing"]["degree_x"] == 3
    assert np.all(np.diff(result.equated) > 0)
    chosen = equate(x, y, method="chained_equipercentile", presmooth="bic")
    assert 1 <= chosen.details["presmoothing"]["degree_x"] <= 6


def test_internal_anchor_above_total_is_a_data_error():
    with pytest.raises(DataError, match="anchor score 5 above the total"):
        BivariateDist.from_scores(np.array([3, 4]), np.array([1, 5]), 10, 5, name="X")


@pytest.mark.parametrize("method", ["tucker", "levine_observed", "levine_true", "chained_linear"])
def test_delta_method_se_agrees_with_bootstrap(kbneat, method):
    x, y = kbneat
    assert method in ANALYTIC_SE
    analytic = equate(x, y, method=method, se_kind="analytic").se
    boot = equate(x, y, method=method, se_kind="bootstrap", replications=1500, seed=4).se
    ratio = boot[3:34] / analytic[3:34]
    assert np.median(ratio) == pytest.approx(1.0, abs=0.08)
    assert np.all(np.abs(ratio - 1) < 0.2)


def test_no_analytic_se_for_equipercentile_neat_methods(kbneat):
    x, y = kbneat
    for method in ("frequency_estimation", "chained_equipercentile", "braun_holland"):
        with pytest.raises(EquatingError, match="bootstrap"):
            equate(x, y, method=method, se_kind="analytic")


def test_bootstrap_is_deterministic_and_chunk_independent(kbneat, monkeypatch):
    from cehrs_items.equating import se

    x, y = kbneat
    a = equate(x, y, method="frequency_estimation", se_kind="bootstrap", replications=60, seed=9)
    b = equate(x, y, method="frequency_estimation", se_kind="bootstrap", replications=60, seed=9)
    np.testing.assert_array_equal(a.se, b.se)
    monkeypatch.setattr(se, "CHUNK", 7)
    c = equate(x, y, method="frequency_estimation", se_kind="bootstrap", replications=60, seed=9)
    np.testing.assert_allclose(a.se, c.se, rtol=1e-12)
    d = equate(x, y, method="frequency_estimation", se_kind="bootstrap", replications=60, seed=10)
    assert not np.allclose(a.se, d.se)


def test_vectorised_bootstrap_matches_one_at_a_time(kbneat):
    """The batched kernel gives the same replications as equating each resample alone."""
    x, y = kbneat
    rng = np.random.default_rng(2)
    draws_x = rng.multinomial(int(x.n), (x.counts / x.n).ravel(), size=5).reshape(5, 37, 13)
    draws_y = rng.multinomial(int(y.n), (y.counts / y.n).ravel(), size=5).reshape(5, 37, 13)
    p1 = draws_x / draws_x.sum(axis=(1, 2), keepdims=True)
    p2 = draws_y / draws_y.sum(axis=(1, 2), keepdims=True)
    batched = neat.chained_equipercentile_kernel(p1, p2)
    for b in range(5):
        single = neat.chained_equipercentile(
            BivariateDist(draws_x[b], name="X"), BivariateDist(draws_y[b], name="Y")
        )
        np.testing.assert_allclose(batched[b], single.equated, atol=1e-12)


def test_constant_anchor_scores_make_tucker_undefined():
    counts = np.zeros((11, 4))
    counts[3:9, 2] = 10  # every examinee has anchor score 2
    x = BivariateDist(counts, internal=False, name="X")
    with pytest.raises(EquatingError, match="undefined for these data"):
        neat.tucker(x, x)
    # Chained equipercentile is still defined (the anchor maps to one point).
    result = neat.chained_equipercentile(x, x)
    assert np.all(np.isfinite(result.equated))
    assert any("anchor scores have no variance" in n for n in result.notes)


def test_compare_side_by_side(kbneat):
    from cehrs_items.equating import compare

    x, y = kbneat
    table, results = compare(x, y, ["tucker", "frequency-estimation"], se_kind="analytic")
    assert table.columns == [
        "score",
        "equated_tucker",
        "equated_frequency_estimation",
        "diff_frequency_estimation",
        "se_tucker",
    ]
    assert results[1].se is None
    assert any("no analytic SE" in n for n in results[1].notes)
    np.testing.assert_allclose(
        table["diff_frequency_estimation"].to_numpy(),
        results[1].equated - results[0].equated,
    )
    with pytest.raises(EquatingError, match="at least two"):
        compare(x, y, ["tucker"])
    with pytest.raises(EquatingError, match="twice"):
        compare(x, y, ["tucker", "tucker"])
