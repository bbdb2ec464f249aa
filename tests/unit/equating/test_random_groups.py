"""Random-groups equating: percentile ranks, conventions, smoothing and analytic SEs."""

from __future__ import annotations

import numpy as np
import pytest

from cehrs_items.equating import ScoreDist, equate, percentiles, random_groups, smoothing
from cehrs_items.errors import EquatingError


def test_percentile_rank_at_integers_is_k_and_b_2_14():
    probs = np.array([[0.1, 0.2, 0.3, 0.4]])
    pr = random_groups.percentile_rank(probs, np.arange(4.0))[0]
    np.testing.assert_allclose(pr, [5.0, 20.0, 45.0, 80.0])
    # Continuized: linear within each score's half-unit interval, 0 and 100 at the ends.
    assert random_groups.percentile_rank(probs, np.array([-0.5, 3.5, 9.0]))[0].tolist() == [
        0.0,
        100.0,
        100.0,
    ]
    assert random_groups.percentile_rank(probs, np.array([1.25]))[0, 0] == pytest.approx(25.0)


def test_percentile_point_inverts_percentile_rank():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(21))[None]
    x = np.linspace(-0.5, 20.5, 301)
    back = random_groups.percentile_point(probs, random_groups.percentile_rank(probs, x))
    np.testing.assert_allclose(back[0], x, atol=1e-9)


def test_zero_frequency_inverse_uses_midpoint():
    # G(1) = .5 is followed by a zero-frequency score 2: P* = 50 is any point of [1.5, 2.5].
    probs = np.array([[0.25, 0.25, 0.0, 0.5]])
    assert random_groups.percentile_point(probs, np.array([[50.0]]))[0, 0] == pytest.approx(2.0)
    # A leading zero: P* = 0 lies anywhere in [-.5, .5]; the midpoint is 0 (K&B Table 2.7).
    probs = np.array([[0.0, 0.5, 0.5]])
    assert random_groups.percentile_point(probs, np.array([[0.0]]))[0, 0] == pytest.approx(0.0)
    assert random_groups.percentile_point(probs, np.array([[100.0]]))[0, 0] == 2.5


def test_equipercentile_with_a_single_observed_score_is_flat_but_defined():
    x = ScoreDist([0, 0, 10, 0, 0])
    y = ScoreDist([1, 2, 3, 2, 1])
    result = random_groups.equipercentile(x, y)
    assert np.all(np.isfinite(result.equated))
    assert np.all(np.diff(result.equated) >= 0)
    assert any("zero frequency" in n for n in result.notes)


def test_linear_equating_needs_variance():
    with pytest.raises(EquatingError, match="variance"):
        random_groups.linear(ScoreDist([0, 5, 0]), ScoreDist([1, 1, 1]))
    # Mean equating is still defined.
    assert random_groups.mean(ScoreDist([0, 5, 0]), ScoreDist([1, 1, 1])).intercept == 0.0


def test_loglinear_preserves_moments_and_criteria(actmath):
    x, _ = actmath
    for degree in (2, 3, 4, 6):
        fit = smoothing.loglinear(x.counts, degree=degree)
        assert fit.converged
        assert fit.fitted.sum() == pytest.approx(x.n, rel=1e-10)
        for power in range(1, degree + 1):
            assert fit.fitted @ x.scores**power == pytest.approx(
                x.counts @ x.scores**power, rel=1e-8
            )
    aic = smoothing.loglinear(x.counts, degree="aic")
    bic = smoothing.loglinear(x.counts, degree="bic")
    fits = {c: smoothing.loglinear(x.counts, degree=c) for c in range(1, 11)}
    assert aic.degree == min(fits, key=lambda c: fits[c].aic)
    assert bic.degree == min(fits, key=lambda c: fits[c].bic)
    assert bic.degree <= aic.degree
    assert fits[3].aic == pytest.approx(-2 * fits[3].loglik + 2 * 3)


def test_loglinear_rejects_bad_degree():
    with pytest.raises(EquatingError):
        smoothing.loglinear(np.array([1.0, 2.0, 3.0]), degree=5)
    with pytest.raises(EquatingError):
        smoothing.loglinear(np.array([1.0, 2.0, 3.0]), degree="cv")


def test_presmoothed_equipercentile_is_smoother(actmath):
    x, y = actmath
    raw = random_groups.equipercentile(x, y).equated
    smooth = random_groups.equipercentile(x, y, presmooth=6).equated
    assert np.sum(np.diff(smooth, 2) ** 2) < np.sum(np.diff(raw, 2) ** 2)
    assert np.abs(smooth - raw)[5:38].max() < 0.5


def test_postsmoothing_zero_interpolates_and_large_s_smooths(actmath):
    x, y = actmath
    raw = random_groups.equipercentile(x, y).equated
    zero = random_groups.equipercentile(x, y, postsmooth=0.0)
    info = zero.details["postsmoothing"]["x_to_y"]
    lo, hi = info["x_low"], info["x_high"]
    # S = 0: the X->Y spline interpolates; the symmetric average stays within a few hundredths.
    assert np.abs(zero.equated - raw)[lo : hi + 1].max() < 0.05
    # Larger S: less curvature (the X->Y spline's squared second derivatives shrink).
    se = percentiles.equipercentile_se(x.probs, y.probs, x.n, y.n)[lo : hi + 1]
    xs = np.arange(lo, hi + 1, dtype=float)
    curvature = [
        np.sum(smoothing.smoothing_spline(xs, raw[lo : hi + 1], se, s)[0].second ** 2)
        for s in (0.0, 0.25, 1.0)
    ]
    assert curvature[0] > curvature[1] > curvature[2] > 0
    assert np.all(np.diff(random_groups.equipercentile(x, y, postsmooth=0.5).equated) > 0)


def test_smoothing_spline_meets_the_s_criterion():
    rng = np.random.default_rng(0)
    xs = np.arange(20.0)
    ys = xs + rng.normal(0, 0.3, 20)
    se = np.full(20, 0.3)
    for s in (0.1, 0.5):
        spline, lam = smoothing.smoothing_spline(xs, ys, se, s)
        assert 0 < lam < np.inf
        assert np.mean(((ys - spline(xs)) / se) ** 2) == pytest.approx(s, rel=1e-6)


def test_presmoothing_and_postsmoothing_together_are_refused(actmath):
    x, y = actmath
    with pytest.raises(EquatingError, match="either"):
        random_groups.equipercentile(x, y, presmooth=4, postsmooth=0.2)


def test_analytic_linear_se_closed_forms(actmath):
    from cehrs_items.equating import se

    x, y = actmath
    normal = se.linear_random_groups_se(x, y, normal=True)
    mx, my = x.moments(), y.moments()
    z = (x.scores - mx["mean"]) / mx["sd"]
    expected = np.sqrt(my["sd"] ** 2 * (1 / x.n + 1 / y.n) * (1 + z**2 / 2))
    np.testing.assert_allclose(normal, expected, rtol=1e-12)
    mean_se = se.linear_random_groups_se(x, y, method="mean")
    assert mean_se[0] == pytest.approx(np.sqrt(mx["sd"] ** 2 / x.n + my["sd"] ** 2 / y.n))


@pytest.mark.parametrize("method", ["mean", "linear", "equipercentile"])
def test_analytic_se_agrees_with_bootstrap(actmath, method):
    x, y = actmath
    analytic = equate(x, y, method=method, se_kind="analytic").se
    boot = equate(x, y, method=method, se_kind="bootstrap", replications=1500, seed=11).se
    middle = slice(8, 36)  # away from the sparse tails
    ratio = boot[middle] / analytic[middle]
    assert np.median(ratio) == pytest.approx(1.0, abs=0.1)
    assert np.all(np.abs(ratio - 1) < 0.35)


def test_no_analytic_se_for_smoothed_equipercentile(actmath):
    x, y = actmath
    with pytest.raises(EquatingError, match="bootstrap"):
        equate(x, y, method="equipercentile", presmooth=4, se_kind="analytic")


def test_trailing_zero_frequencies_give_finite_equivalents():
    # Round-off in cumulative sums must not push F above 1 (it once gave -inf here).
    rng = np.random.default_rng(0)
    x = ScoreDist(np.concatenate([rng.integers(1, 400, 95), np.zeros(6)]))
    y = ScoreDist(np.concatenate([rng.integers(1, 400, 96), np.zeros(5)]))
    e = random_groups.equipercentile(x, y).equated
    assert np.all(np.isfinite(e))
    # X scores above its highest observed score have P = 100: the midpoint of Y's empty
    # top stretch [95.5, 100.5].
    np.testing.assert_allclose(e[95:], 98.0)


def test_small_groups_are_flagged():
    x = ScoreDist([2, 5, 9, 5, 2])
    y = ScoreDist([20, 50, 90, 50, 20])
    for method in ("mean", "linear", "equipercentile"):
        notes = equate(x, y, method=method).notes
        assert any(n.startswith("X: only 23 examinees") for n in notes)
        assert not any(n.startswith("Y:") and "examinees" in n for n in notes)


def _reference_postsmooth(px, py, nx, ny, s):
    """Independent dense implementation: Green & Silverman smoothing spline on each
    direction, K&B's straight-line ends, grid inversion of the Y-to-X function."""

    def direction(pa, pb, na, nb):
        ka, kb = pa.size - 1, pb.size - 1
        xs = np.arange(ka + 1.0)
        e = random_groups.equipercentile_kernel(pa[None], pb[None])[0]
        pr = random_groups.percentile_rank(pa[None], xs)[0]
        inside = np.flatnonzero((pr >= 0.5) & (pr <= 99.5))
        lo, hi = inside[0], inside[-1]
        se = percentiles.equipercentile_se(pa, pb, na, nb)[lo : hi + 1]
        spline, _ = smoothing.smoothing_spline(xs[lo : hi + 1], e[lo : hi + 1], se, s)
        d_lo, d_hi = spline(np.array([lo * 1.0]))[0], spline(np.array([hi * 1.0]))[0]

        def f(t):
            out = spline(np.clip(t, lo, hi))
            out = np.where(t < lo, (d_lo + 0.5) / (lo + 0.5) * (t + 0.5) - 0.5, out)
            return np.where(t > hi, d_hi + (kb + 0.5 - d_hi) / (ka + 0.5 - hi) * (t - hi), out)

        return f

    kx, ky = px.size - 1, py.size - 1
    d_xy = direction(px, py, nx, ny)(np.arange(kx + 1.0))
    grid = np.linspace(-0.5, ky + 0.5, 200_001)
    inverse = np.interp(np.arange(kx + 1.0), direction(py, px, ny, nx)(grid), grid)
    return 0.5 * (d_xy + inverse)


@pytest.mark.parametrize("s", [0.0, 0.1, 0.5])
def test_postsmoothing_matches_an_independent_implementation(actmath, s):
    x, y = actmath
    got = random_groups.equipercentile(x, y, postsmooth=s).equated
    expected = _reference_postsmooth(x.probs, y.probs, x.n, y.n, s)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_batched_postsmoothing_equals_one_at_a_time(actmath):
    from cehrs_items.equating import spline_batch

    x, y = actmath
    rng = np.random.default_rng(4)
    cx = rng.multinomial(int(x.n), x.probs, size=6).astype(float)
    cy = rng.multinomial(int(y.n), y.probs, size=6).astype(float)
    batch, _ = spline_batch.postsmooth_batch(
        cx / cx.sum(1, keepdims=True), cy / cy.sum(1, keepdims=True), cx.sum(1), cy.sum(1), 0.3
    )
    for b in range(6):
        single, _ = smoothing.postsmooth(
            cx[b] / cx[b].sum(), cy[b] / cy[b].sum(), cx[b].sum(), cy[b].sum(), s=0.3
        )
        np.testing.assert_allclose(batch[b], single, atol=1e-10)
