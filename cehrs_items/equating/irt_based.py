"""IRT true-score and observed-score equating (Kolen & Brennan 2014, ch. 6).

Item parameters of both forms must be on a common theta scale (from a concurrent
calibration or a scale link). Models: 3PL with ``c = 0`` for 2PL/Rasch and the scaling
constant ``d`` per item (``cehrs_items.irt.params``). The kernels take batched parameter
arrays ``(B, n_items)`` so that a parametric bootstrap equates all draws at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.special import expit
from scipy.stats import norm

from cehrs_items.equating.percentiles import equipercentile_kernel
from cehrs_items.equating.result import EquatingResult
from cehrs_items.errors import DataError, EquatingError
from cehrs_items.irt.models import lord_wingersky

N_QUAD = 81
QUAD_RANGE = 5.0


@dataclass(frozen=True)
class IrtForm:
    """The scored items of one form with their parameters (and SEs when known)."""

    item_ids: tuple[str, ...]
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    se_a: np.ndarray | None = None
    se_b: np.ndarray | None = None
    se_c: np.ndarray | None = None
    name: str = "X"
    source: str = ""
    sha256: str = ""

    @property
    def max_score(self) -> int:
        return len(self.item_ids)

    @classmethod
    def from_params(
        cls,
        params: pl.DataFrame,
        *,
        items: list[str] | None = None,
        name: str = "X",
        source: str = "",
        sha256: str = "",
    ) -> IrtForm:
        """Select ``items`` (default: every row) from a checked parameter frame."""
        if items is not None:
            known = set(params.get_column("item_id").to_list())
            missing = [i for i in items if i not in known]
            if missing:
                raise DataError(
                    f"{source or name}: no parameters for {len(missing)} scored item(s) of form "
                    f"{name}: {', '.join(missing[:5])}"
                )
            order = pl.DataFrame({"item_id": items, "_order": range(len(items))})
            params = params.join(order, on="item_id").sort("_order").drop("_order")
        if params.height == 0:
            raise DataError(f"{source or name}: no items")

        def col(c: str) -> np.ndarray | None:
            if c not in params.columns:
                return None
            v = params.get_column(c).cast(pl.Float64).to_numpy()
            return None if np.any(~np.isfinite(v)) else v

        return cls(
            item_ids=tuple(params.get_column("item_id").to_list()),
            a=col("a"),
            b=col("b"),
            c=col("c"),
            d=col("d"),
            se_a=col("se_a"),
            se_b=col("se_b"),
            se_c=col("se_c"),
            name=name,
            source=source,
            sha256=sha256,
        )


def _prob(
    theta: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray
) -> np.ndarray:
    """P(theta) with theta ``(B, M)`` and parameters ``(B, n)`` -> ``(B, M, n)``."""
    z = d[:, None, :] * a[:, None, :] * (theta[..., None] - b[:, None, :])
    return c[:, None, :] + (1 - c[:, None, :]) * expit(z)


def solve_theta(
    tau: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    *,
    tol: float = 1e-10,
) -> np.ndarray:
    r"""Theta with test characteristic curve equal to ``tau`` (rows: parameter draws).

    The curve is evaluated on a grid (-8 to 8 by .2) to bracket each root and start from
    the interpolated value; then safeguarded Newton-Raphson (bisection when a step leaves
    the bracket) on :math:`\sum_j P_j(\theta) - \tau`, which is monotone in theta,
    until :math:`|\sum_j P_j - \tau| <` ``tol``. ``tau`` must lie strictly between
    :math:`\sum_j c_j` and the number of items.
    """
    grid = np.linspace(-8.0, 8.0, 81)
    curve = _prob(np.broadcast_to(grid, (a.shape[0], grid.size)), a, b, c, d).sum(axis=-1)
    idx = np.sum(curve[:, None, :] < tau[..., None], axis=-1)  # (B, M): grid points below tau
    lo_idx = np.clip(idx - 1, 0, grid.size - 1)
    hi_idx = np.clip(idx, 0, grid.size - 1)
    t_lo = np.take_along_axis(curve, lo_idx, axis=1)
    t_hi = np.take_along_axis(curve, hi_idx, axis=1)
    lo = np.where(idx == 0, -40.0, grid[lo_idx])
    hi = np.where(idx == grid.size, 40.0, grid[hi_idx])
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(t_hi > t_lo, (tau - t_lo) / (t_hi - t_lo), 0.5)
    theta = np.where((idx == 0) | (idx == grid.size), 0.5 * (lo + hi), grid[lo_idx] + 0.2 * frac)
    da = (d * a)[:, None, :]
    one_c = (1 - c)[:, None, :]
    for _ in range(100):
        sig = expit(da * (theta[..., None] - b[:, None, :]))
        f = (c[:, None, :] + one_c * sig).sum(axis=-1) - tau
        if np.all(np.abs(f) < tol):
            break
        lo = np.where(f < 0, theta, lo)
        hi = np.where(f > 0, theta, hi)
        deriv = np.sum(da * one_c * sig * (1 - sig), axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = theta - f / deriv
        bad = ~np.isfinite(step) | (step <= lo) | (step >= hi)
        theta = np.where(bad, 0.5 * (lo + hi), step)
    return theta


def true_score_kernel(
    px: tuple[np.ndarray, ...], py: tuple[np.ndarray, ...], *, return_theta: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """IRT true-score equivalents of Form X scores ``0 .. K_X`` for each parameter draw
    (and, with ``return_theta``, the theta solving each score: NaN at or below the sum of
    the c's and at ``K_X``, where no finite theta exists)."""
    ax, bx, cx, dx = px
    ay, by, cy, dy = py
    kx, ky = ax.shape[1], ay.shape[1]
    xs = np.arange(kx + 1, dtype=np.float64)
    sum_cx = cx.sum(axis=1, keepdims=True)
    sum_cy = cy.sum(axis=1, keepdims=True)
    inside = (xs[None, :] > sum_cx) & (xs[None, :] < kx)
    tau = np.where(inside, xs[None, :], np.clip(xs[None, :], sum_cx + 1e-6, kx - 1e-6))
    theta = solve_theta(tau, ax, bx, cx, dx)
    ty = _prob(theta, ay, by, cy, dy).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(sum_cx > 0, xs[None, :] * sum_cy / sum_cx, 0.0)
    out = np.where(inside, ty, np.where(xs[None, :] <= sum_cx, low, float(ky)))
    if return_theta:
        return out, np.where(inside, theta, np.nan)
    return out


def quadrature(mean: float, sd: float, n: int = N_QUAD) -> tuple[np.ndarray, np.ndarray]:
    """Evenly spaced nodes on mean +/- 5 SD with normal-density weights summing to 1."""
    if not sd > 0:
        raise EquatingError(f"theta distribution SD {sd} must be positive")
    z = np.linspace(-QUAD_RANGE, QUAD_RANGE, n)
    w = norm.pdf(z)
    return mean + sd * z, w / w.sum()


def observed_score_distribution(
    params: tuple[np.ndarray, ...], nodes: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Model-implied marginal number-correct distribution, one row per parameter draw."""
    a, b, c, d = params
    theta = np.broadcast_to(nodes, (a.shape[0], nodes.size))
    cond = lord_wingersky(_prob(theta, a, b, c, d))  # (B, Q, n + 1)
    return np.einsum("bqx,q->bx", cond, weights)


def observed_score_kernel(
    px: tuple[np.ndarray, ...],
    py: tuple[np.ndarray, ...],
    pop: tuple[tuple[float, float], tuple[float, float]],
    w1: float,
) -> tuple[np.ndarray, np.ndarray]:
    """IRT observed-score equivalents (and the synthetic X distribution) per draw."""
    (m1, s1), (m2, s2) = pop
    q1 = quadrature(m1, s1)
    q2 = quadrature(m2, s2)
    fx = w1 * observed_score_distribution(px, *q1) + (1 - w1) * observed_score_distribution(px, *q2)
    gy = w1 * observed_score_distribution(py, *q1) + (1 - w1) * observed_score_distribution(py, *q2)
    return equipercentile_kernel(fx, gy), fx


def _arrays(form: IrtForm) -> tuple[np.ndarray, ...]:
    return tuple(v[None, :] for v in (form.a, form.b, form.c, form.d))


def irt_true(x: IrtForm, y: IrtForm) -> EquatingResult:
    """IRT true-score equating.

    For each Form X true score :math:`\\tau_X` strictly between :math:`\\sum_j c_j` and
    :math:`K_X`, find :math:`\\theta` with :math:`\\sum_{j \\in X} P_j(\\theta) = \\tau_X`
    (``theta_x`` in the table) and take :math:`\\tau_Y = \\sum_{j \\in Y} P_j(\\theta)`;
    the equivalence is applied to observed number-correct scores. Scores at or below
    :math:`\\sum_X c_j` have no theta (the test characteristic curve never goes that low):
    their equivalents follow Kolen & Brennan's (2014, ch. 6) ad hoc linear extrapolation
    :math:`e_Y(x) = x \\sum_Y c_j / \\sum_X c_j`, from (0, 0) to
    :math:`(\\sum_X c_j, \\sum_Y c_j)`; :math:`K_X` maps to :math:`K_Y` (theta infinite).
    Both have a null ``theta_x``.

    References
    ----------
    Kolen & Brennan (2014), ch. 6 (IRT true-score equating); Lord (1980).

    Tested against: the K&B ch. 6 example (Forms X and Y after the mean/sigma link,
    D = 1.7): theta and Form Y equivalents of every raw score against an independent
    implementation (Brent root finding; ``tests/reference/kolen-brennan-ch6``), abs 1e-6;
    identity for identical forms (abs 1e-9); simulation from known parameters.
    """
    equated, theta = true_score_kernel(_arrays(x), _arrays(y), return_theta=True)
    fx = observed_score_distribution(_arrays(x), *quadrature(0.0, 1.0))[0]
    sum_c_x, sum_c_y = float(x.c.sum()), float(y.c.sum())
    below = int(np.sum(np.arange(x.max_score + 1) <= sum_c_x))
    return EquatingResult(
        design="irt",
        method="irt_true",
        equated=equated[0],
        x_probs=fx,
        settings={"items_x": x.max_score, "items_y": y.max_score},
        details={"sum_c_x": sum_c_x, "sum_c_y": sum_c_y, "scores_below_sum_c": below},
        notes=(
            "moments of the equated scores use the model-implied Form X distribution in a "
            "N(0, 1) population",
            f"raw scores 0-{below - 1} lie at or below the sum of Form X's c parameters "
            f"({sum_c_x:.4f}): no theta; equated by K&B's linear extrapolation to "
            f"(sum c_X, sum c_Y) = ({sum_c_x:.4f}, {sum_c_y:.4f}); score {x.max_score} maps to "
            f"{y.max_score}"
            if below > 0
            else f"score {x.max_score} maps to {y.max_score} (no finite theta)",
        ),
        columns={"theta_x": theta[0]},
    )


def irt_observed(
    x: IrtForm,
    y: IrtForm,
    *,
    w1: float = 0.5,
    theta_x: tuple[float, float] = (0.0, 1.0),
    theta_y: tuple[float, float] = (0.0, 1.0),
) -> EquatingResult:
    """IRT observed-score equating.

    The number-correct distributions of both forms are computed for each population from
    the model (Lord-Wingersky recursion, :func:`lord_wingersky`) and a normal ability
    distribution (``theta_x`` = mean, SD of population 1, which took Form X; ``theta_y``
    of population 2), mixed with the synthetic weight ``w1``:

    .. math:: f_s(x) = w_1 \\int f(x|\\theta)\\,\\psi_1(\\theta)d\\theta
        + w_2 \\int f(x|\\theta)\\,\\psi_2(\\theta)d\\theta

    and likewise :math:`g_s(y)`; then equipercentile equating of :math:`f_s` to
    :math:`g_s`. Quadrature: 81 evenly spaced nodes on mean +/- 5 SD.

    References
    ----------
    Kolen & Brennan (2014), sec. 6.x (IRT observed-score equating); Lord & Wingersky (1984).

    Tested against: the recursion against brute-force enumeration of response patterns
    (abs 1e-12); identity for identical forms (abs 1e-6).
    """
    if not 0 <= w1 <= 1:
        raise EquatingError(f"synthetic weight w1 = {w1} must lie between 0 and 1")
    equated, fx = observed_score_kernel(_arrays(x), _arrays(y), (theta_x, theta_y), w1)
    return EquatingResult(
        design="irt",
        method="irt_observed",
        equated=equated[0],
        x_probs=fx[0],
        settings={
            "w1": w1,
            "theta_x": list(theta_x),
            "theta_y": list(theta_y),
            "quadrature_points": N_QUAD,
            "items_x": x.max_score,
            "items_y": y.max_score,
        },
    )


def parameter_draws(
    x: IrtForm, y: IrtForm, replications: int, seed: int
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Parametric-bootstrap draws of both forms' parameters from their standard errors.

    Each item's ``a``, ``b``, ``c`` is drawn independently from a normal distribution
    with its estimate and SE (an item on both forms gets the same draw); ``a`` is kept
    above 0.01 and ``c`` in [0, 0.95]. Items without SEs raise an error.
    """
    for form in (x, y):
        if form.se_a is None or form.se_b is None or form.se_c is None:
            raise EquatingError(
                f"{form.source or form.name}: bootstrap SEs of IRT equating need the columns "
                "se_a, se_b and se_c in the parameter file"
            )
    ids = sorted(set(x.item_ids) | set(y.item_ids))
    index = {i: k for k, i in enumerate(ids)}
    est = {}
    for form in (x, y):
        for k, item in enumerate(form.item_ids):
            est[item] = (
                form.a[k],
                form.b[k],
                form.c[k],
                form.d[k],
                form.se_a[k],
                form.se_b[k],
                form.se_c[k],
            )
    table = np.array([est[i] for i in ids])
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((replications, len(ids), 3))
    a = np.maximum(table[:, 0] + z[..., 0] * table[:, 4], 0.01)
    b = table[:, 1] + z[..., 1] * table[:, 5]
    c = np.clip(table[:, 2] + z[..., 2] * table[:, 6], 0.0, 0.95)
    d = np.broadcast_to(table[:, 3], a.shape)

    def pick(form: IrtForm) -> tuple[np.ndarray, ...]:
        cols = [index[i] for i in form.item_ids]
        return a[:, cols], b[:, cols], c[:, cols], np.ascontiguousarray(d[:, cols])

    return pick(x), pick(y)
