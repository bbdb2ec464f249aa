"""Marginal maximum likelihood item calibration by the EM algorithm (Bock & Aitkin 1981).

Models (``d`` is the scaling constant, 1 for the logistic metric, 1.702 for the normal):

.. math::

    P_j(\\theta) = c_j + (1 - c_j)\\,\\mathrm{logit}^{-1}(\\alpha_j \\theta + \\gamma_j),
    \\qquad \\alpha_j = d\\,a_j,\\quad \\gamma_j = -d\\,a_j b_j

- ``rasch``: :math:`a_j = 1`, :math:`c_j = 0`, :math:`\\theta \\sim N(0, \\sigma^2)` with
  :math:`\\sigma` estimated (the latent SD is the Rasch model's one extra parameter).
- ``2pl``: :math:`c_j = 0`, :math:`\\theta \\sim N(0, 1)`.
- ``3pl``: :math:`\\theta \\sim N(0, 1)` and a Beta(5, 17) prior on :math:`c_j` by default
  (mode 0.2, the chance rate of a 5-option item; mean 0.227), i.e. Bayes modal estimation
  of ``c`` as in BILOG-MG; optional lognormal prior on ``a`` and normal prior on ``b``
  (any model).

The E-step works on unique response patterns with frequency weights; with ``P`` patterns,
``J`` items and ``Q`` nodes it is two matrix products of size ``P x J x Q``, run over
chunks of patterns on a pool of threads and summed in chunk order (only the int8 pattern
codes are held whole; see docs/scale.md). Omitted responses are missing: they drop out of
the pattern likelihood and of the item's counts. EM is accelerated by SQUAREM by default
(Varadhan & Roland 2008; :func:`_run_em`), which keeps EM's monotone ascent and its
stopping rule.
The M-step is vectorised Fisher scoring over all items at once, in slope-intercept
coordinates (the 3PL ``c`` on the logit scale), with per-item step halving so that each
M-step raises every item's expected complete-data log posterior (a generalised EM step).

Fixed-parameter (anchor) calibration holds some items at given values and estimates the
others together with the mean and SD of the ability distribution (updated from the
posterior moments each cycle; Mislevy & Bock 1990, BILOG "fixed items"), so the
estimates land on the scale of the fixed items.

Standard errors come from the observed information of the marginal log likelihood by
Louis's (1982) identity, evaluated exactly over the quadrature (``se_method="louis"``),
or from the cross-product of the pattern scores (``"crossprod"``, the empirical
information); the prior's curvature is added in both. Covariances in slope-intercept
coordinates are mapped to ``a, b, c`` by the delta method. In anchor mode they treat the
estimated mean and SD as known.

References: Bock & Aitkin (1981), Psychometrika 46, 443-459; Baker & Kim (2004), *Item
Response Theory: Parameter Estimation Techniques* (2nd ed.), ch. 6-7; Louis (1982), JRSS B
44, 226-233; Mislevy (1986) on Bayes modal item estimation; Varadhan & Roland (2008),
Scand. J. Statist. 35, 335-353 (SQUAREM).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix
from scipy.special import expit, logit
from scipy.stats import norm

from cehrs_items.errors import DataError, EstimationError, InputError
from cehrs_items.irt.parallel import DaskChunks, LocalChunks, default_threads
from cehrs_items.irt.patterns import (
    CHUNK_ROWS,
    DEFAULT_MEMORY_BYTES,
    MISSING,
    Patterns,
    collapse,
    encode,
    subset_patterns,
    weighted_counts,
)
from cehrs_items.irt.quadrature import Quadrature, make_quadrature

Model = Literal["rasch", "2pl", "3pl"]
SEMethod = Literal["louis", "crossprod", "none"]
Criterion = Literal["params", "loglik"]
Accelerate = Literal["squarem", "none"]
MODELS = ("rasch", "2pl", "3pl")
N_PARAMS = {"rasch": 1, "2pl": 2, "3pl": 3}
_P_EPS = 1e-12
_CHUNK = CHUNK_ROWS


@dataclass(frozen=True)
class Priors:
    """Item parameter priors (Bayes modal estimation).

    ``c``: Beta(alpha, beta) on the 3PL lower asymptote (default Beta(5, 17)); ``a``:
    lognormal(meanlog, sdlog) on the slope; ``b``: normal(mean, sd) on the difficulty.
    ``None`` switches a prior off.
    """

    c: tuple[float, float] | None = (5.0, 17.0)
    a: tuple[float, float] | None = None
    b: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.c is not None and not (self.c[0] >= 1 and self.c[1] >= 1):
            raise InputError(f"c prior Beta{self.c}: both shapes must be >= 1")
        for name, prior in (("a", self.a), ("b", self.b)):
            if prior is not None and not prior[1] > 0:
                raise InputError(f"{name} prior {prior}: the SD must be > 0")

    def as_dict(self) -> dict:
        return {
            "c_beta": list(self.c) if self.c else None,
            "a_lognormal": list(self.a) if self.a else None,
            "b_normal": list(self.b) if self.b else None,
        }


@dataclass(frozen=True)
class FixedItem:
    """Parameters of an anchor item held fixed (``d`` is its own scaling constant)."""

    a: float
    b: float
    c: float = 0.0
    d: float = 1.0


@dataclass(frozen=True)
class MMLResult:
    """Result of :func:`mml_em`.

    ``params`` has one row per item (sorted by ``item_id``): item_id, model, a, b, c, d,
    se_a, se_b, se_c, slope, intercept, se_slope, se_intercept, n (examinees who answered,
    weighted), fixed (anchor item held at its given values).
    """

    params: pl.DataFrame
    converged: bool
    n_iter: int
    max_change: float
    loglik: float
    log_posterior: float
    mean: float
    sd: float
    se_sd: float | None
    settings: dict
    quadrature: Quadrature
    excluded: dict[str, str] = field(default_factory=dict)


def _prob(theta: np.ndarray, alpha: np.ndarray, gamma: np.ndarray, c: np.ndarray) -> np.ndarray:
    """P (nodes x items)."""
    s = expit(theta[:, None] * alpha[None, :] + gamma[None, :])
    return c[None, :] + (1.0 - c[None, :]) * s


def _start_chunk(
    codes: np.ndarray, freq: np.ndarray, total: float, has_missing: bool
) -> tuple[np.ndarray | float, np.ndarray, np.ndarray, float, float]:
    """One chunk's weighted sums for :func:`_starting_values` (weights as proportions)."""
    w = freq / total
    x1 = (codes == 1).astype(np.float64)
    obs = (codes != MISSING).astype(np.float64) if has_missing else None
    score = x1.sum(1)
    return (
        w.sum() if obs is None else w @ obs,
        w @ x1,
        (w * score) @ x1,
        float(w @ score),
        float(w @ score**2),
    )


def _starting_values(
    estep: _EStep, model: str, c0: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classical starts: slope from the item-rest biserial, intercept from the p-value.

    One pass over the pattern chunks (weighted sums); omitted responses count as wrong in
    the total score, which is good enough for starting values.
    """
    # px: E[x_j] (omitted 0)
    n_j, px, wt_x, mean_t, sq_t = estep.sum_chunks(_start_chunk, estep.total, estep.has_missing)
    p = px / np.maximum(n_j, 1e-12)
    var_t = sq_t - mean_t**2
    var_x = px * (1 - px)
    cov_tx = wt_x - mean_t * px
    cov_rx = cov_tx - var_x  # the rest score excludes the item itself
    var_r = var_t + var_x - 2 * cov_tx
    with np.errstate(invalid="ignore", divide="ignore"):
        r_pb = cov_rx / np.sqrt(var_r * var_x)
    p_c = np.clip(p, 0.01, 0.99)
    h = norm.pdf(norm.ppf(p_c))
    r_bis = np.nan_to_num(r_pb * np.sqrt(p_c * (1 - p_c)) / h, nan=0.3)
    r_bis = np.clip(r_bis, 0.1, 0.9)
    c = np.full(p.size, c0 if model == "3pl" else 0.0)
    p_adj = np.clip((p - c) / (1.0 - c), 0.02, 0.98)
    alpha = 1.702 * r_bis / np.sqrt(1.0 - r_bis**2)
    alpha = np.clip(alpha, 0.3, 3.0)
    b = np.clip(-norm.ppf(p_adj) / r_bis, -4.0, 4.0)
    if model == "rasch":
        alpha = np.full(p.size, np.nan)
    return alpha, -alpha * b if model != "rasch" else -b, c


def _chunk_log_likelihood(
    codes: np.ndarray,
    x1: np.ndarray,
    diff: np.ndarray,
    log_q_t: np.ndarray,
    base: np.ndarray,
    has_missing: bool,
) -> tuple[np.ndarray, object | None]:
    """Each pattern's log likelihood plus log prior weight at each node, and its
    omissions (None when the chunk has none).

    Written as every item answered, less the omitted items' log(1 - P): omissions are
    usually few, so their correction is a sparse product; where they are many (above a
    quarter of the chunk) it is a dense one.
    """
    ll = x1 @ diff
    ll += base
    if not has_missing:
        return ll, None
    missing = codes == MISSING
    n_missing = int(np.count_nonzero(missing))
    if n_missing == 0:
        return ll, None
    if n_missing <= missing.size // 4:
        omitted = csr_matrix(missing, dtype=np.float64)
    else:
        omitted = missing.astype(np.float64)
    ll -= omitted @ log_q_t
    return ll, omitted


def _estep_chunk(
    codes: np.ndarray,
    freq: np.ndarray,
    diff: np.ndarray,
    log_q_t: np.ndarray,
    base: np.ndarray,
    has_missing: bool,
) -> tuple[float, np.ndarray, np.ndarray | None, np.ndarray]:
    """One chunk's log likelihood, expected correct (J x Q), expected answered (J x Q,
    None without omissions) and node totals (Q,)."""
    x1 = (codes == 1).astype(np.float64)
    ll, omitted = _chunk_log_likelihood(codes, x1, diff, log_q_t, base, has_missing)
    m = ll.max(1)
    ll -= m[:, None]
    np.exp(ll, out=ll)
    s = ll.sum(1)
    loglik = float(freq @ (m + np.log(s)))
    # Posterior times frequency in one pass: f_p / sum_q exp(.) per row.
    ll *= (freq / s)[:, None]
    r = x1.T @ ll
    totals = ll.sum(0)
    n = None
    if has_missing:
        # answered = all minus omitted: the node totals less the omitted ones' share
        n = np.broadcast_to(totals, r.shape) if omitted is None else totals - omitted.T @ ll
    return loglik, r, n, totals


def _posterior_chunk(
    codes: np.ndarray,
    diff: np.ndarray,
    log_q_t: np.ndarray,
    base: np.ndarray,
    has_missing: bool,
) -> np.ndarray:
    """The posterior over the nodes of each pattern of a chunk (rows sum to 1)."""
    x1 = (codes == 1).astype(np.float64)
    ll, _ = _chunk_log_likelihood(codes, x1, diff, log_q_t, base, has_missing)
    ll -= ll.max(1)[:, None]
    np.exp(ll, out=ll)
    ll /= ll.sum(1)[:, None]
    return ll


class _EStep:
    """E-step over collapsed patterns, accumulated over chunks of patterns.

    The patterns are read one chunk at a time (from memory, or from their spill files;
    see :class:`~cehrs_items.irt.patterns.Patterns`) and each chunk is turned into 0/1
    floats when it is used, so memory beyond the patterns is bounded by one chunk per
    thread (``chunk_rows`` x items), not by the number of patterns. The chunk kernels
    are module-level functions of a chunk and a few small arrays. The sums over chunks
    are plain additions in chunk order, so the result does not depend on the number of
    threads, nor on the chunk size beyond rounding.
    """

    def __init__(
        self,
        patterns: Patterns,
        chunk_rows: int | None = None,
        threads: int | None = None,
        engine: object | None = None,
    ) -> None:
        self.has_missing = patterns.has_missing
        self.total = patterns.total
        rows = int(chunk_rows or _CHUNK)
        if getattr(engine, "name", "local") == "dask":
            self.chunks = DaskChunks(patterns, engine.client, rows)  # type: ignore[attr-defined]
        else:
            self.chunks = LocalChunks(
                patterns, rows, threads if threads is not None else default_threads()
            )

    def sum_chunks(self, fn: Callable[..., object], *args: object) -> object:
        """``fn(codes, freq, *args)`` over every chunk of patterns, added up in chunk
        order within groups of chunks and then over the groups in group order (on this
        process's threads with single-threaded BLAS, or as Dask tasks; see
        :mod:`cehrs_items.irt.parallel`)."""
        return self.chunks.sum(fn, *args)

    def close(self) -> None:
        """Release the patterns held for this E-step elsewhere (Dask workers)."""
        self.chunks.close()

    def posterior(
        self,
        theta: np.ndarray,
        weights: np.ndarray,
        alpha: np.ndarray,
        gamma: np.ndarray,
        c: np.ndarray,
    ) -> Callable[[np.ndarray], np.ndarray]:
        """A function giving the posterior over the nodes of a chunk of pattern codes
        (rows sum to 1), computed when asked, so the P x Q matrix is never held."""
        terms = self._log_terms(theta, weights, alpha, gamma, c)
        return partial(
            _posterior_chunk,
            diff=terms[0],
            log_q_t=terms[1],
            base=terms[2],
            has_missing=self.has_missing,
        )

    def _log_terms(
        self,
        theta: np.ndarray,
        weights: np.ndarray,
        alpha: np.ndarray,
        gamma: np.ndarray,
        c: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log(P/(1-P)) (J x Q), log(1-P) (J x Q), and what every pattern adds at each node
        before its omissions are taken out: the log prior weight and every item's
        log(1 - P) (Q,)."""
        p = np.clip(_prob(theta, alpha, gamma, c), _P_EPS, 1 - _P_EPS)
        log_q = np.log1p(-p)
        diff = np.ascontiguousarray((np.log(p) - log_q).T)
        log_q_t = np.ascontiguousarray(log_q.T)
        return diff, log_q_t, np.log(weights) + log_q_t.sum(0)

    def run(
        self,
        theta: np.ndarray,
        weights: np.ndarray,
        alpha: np.ndarray,
        gamma: np.ndarray,
        c: np.ndarray,
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Log likelihood, expected correct ``r`` (J x Q), expected answered ``n`` (J x Q)
        and node totals (Q,).

        Chunks run on a pool of threads (NumPy and BLAS release the GIL), each with a
        single-threaded BLAS; their sums are added in chunk order, so the result does not
        depend on the number of threads or on their timing.
        """
        diff, log_q_t, base = self._log_terms(theta, weights, alpha, gamma, c)
        loglik, r, n, totals = self.sum_chunks(_estep_chunk, diff, log_q_t, base, self.has_missing)
        n = np.broadcast_to(totals, r.shape) if n is None else np.array(n)
        return loglik, r, n, totals


def _log_prior(
    alpha: np.ndarray, gamma: np.ndarray, c: np.ndarray, priors: Priors, model: str, d: float
) -> np.ndarray:
    out = np.zeros(alpha.size)
    if model == "3pl" and priors.c is not None:
        pa, pb = priors.c
        out += (pa - 1) * np.log(c) + (pb - 1) * np.log1p(-c)
    if model != "rasch" and priors.a is not None:
        m, s = priors.a
        la = np.log(np.maximum(alpha / d, 1e-300))
        out += -la - (la - m) ** 2 / (2 * s * s)
    if priors.b is not None:
        m, s = priors.b
        b = -gamma / alpha
        out += -((b - m) ** 2) / (2 * s * s)
    return out


def _objective(
    theta: np.ndarray,
    r: np.ndarray,
    nmr: np.ndarray,
    alpha: np.ndarray,
    gamma: np.ndarray,
    c: np.ndarray,
    priors: Priors,
    model: str,
    d: float,
) -> np.ndarray:
    """Expected complete-data log posterior of each item (r, nmr: Q x J)."""
    p = np.clip(_prob(theta, alpha, gamma, c), _P_EPS, 1 - _P_EPS)
    ll = (r * np.log(p) + nmr * np.log1p(-p)).sum(0)
    return ll + _log_prior(alpha, gamma, c, priors, model, d)


def _mstep(
    theta: np.ndarray,
    r: np.ndarray,
    n: np.ndarray,
    alpha: np.ndarray,
    gamma: np.ndarray,
    c: np.ndarray,
    *,
    model: str,
    priors: Priors,
    d: float,
    max_newton: int = 8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fisher scoring for the free items (r, n: items x nodes), vectorised over items."""
    r = r.T
    n = np.asarray(n).T
    nmr = n - r
    alpha, gamma, c = alpha.copy(), gamma.copy(), c.copy()
    use_alpha = model != "rasch"
    use_c = model == "3pl"
    n_items = alpha.size
    f_old = _objective(theta, r, nmr, alpha, gamma, c, priors, model, d)
    for _ in range(max_newton):
        s = expit(theta[:, None] * alpha + gamma)
        p = np.clip(c + (1 - c) * s, _P_EPS, 1 - _P_EPS)
        pq = p * (1 - p)
        ds = (1 - c) * s * (1 - s)  # dP/dgamma
        derivs = []
        if use_alpha:
            derivs.append(ds * theta[:, None])
        derivs.append(ds)
        if use_c:
            derivs.append((1 - s) * c * (1 - c))  # dP/dlogit(c)
        k = len(derivs)
        resid = (r - n * p) / pq
        # Sums over nodes as plain reductions (k <= 3 coordinates): much faster than a
        # generic three-operand einsum.
        grad = np.stack([(resid * dk).sum(0) for dk in derivs], axis=-1)
        wdp = [(n / pq) * dk for dk in derivs]
        info = np.empty((n_items, k, k))
        for i1 in range(k):
            for i2 in range(i1, k):
                info[:, i1, i2] = info[:, i2, i1] = (wdp[i1] * derivs[i2]).sum(0)
        ig = 1 if use_alpha else 0
        if use_alpha and priors.a is not None:
            m, sd = priors.a
            la = np.log(np.maximum(alpha / d, 1e-300))
            grad[:, 0] += (-1.0 - (la - m) / sd**2) / alpha
            info[:, 0, 0] += 1.0 / (alpha**2 * sd**2)
        if priors.b is not None:
            m, sd = priors.b
            b = -gamma / alpha
            db = np.zeros((n_items, k))
            if use_alpha:
                db[:, 0] = -b / alpha
            db[:, ig] = -1.0 / alpha
            grad += (-(b - m) / sd**2)[:, None] * db
            info += db[:, :, None] * db[:, None, :] / sd**2
        if use_c and priors.c is not None:
            pa, pb = priors.c
            grad[:, -1] += (pa - 1) * (1 - c) - (pb - 1) * c
            info[:, -1, -1] += (pa + pb - 2) * c * (1 - c)
        info += np.eye(k)[None] * 1e-8
        try:
            step = np.linalg.solve(info, grad[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = grad / np.maximum(np.einsum("jkk->jk", info), 1e-8)
        limit = np.array(([1.0] if use_alpha else []) + [2.0] + ([2.0] if use_c else []))
        scale = np.max(np.abs(step) / limit, axis=1)
        step /= np.maximum(scale, 1.0)[:, None]
        t = np.ones(n_items)
        lam = logit(np.clip(c, 1e-10, 1 - 1e-10)) if use_c else None
        accepted = np.zeros(n_items, dtype=bool)
        a_new, g_new, c_new = alpha, gamma, c
        for _half in range(12):
            a_try = alpha + t * step[:, 0] if use_alpha else alpha
            if use_alpha and priors.a is not None:
                a_try = np.maximum(a_try, 1e-3)
            g_try = gamma + t * step[:, ig]
            c_try = np.clip(expit(lam + t * step[:, -1]), 1e-10, 1 - 1e-6) if use_c else c
            f_try = _objective(theta, r, nmr, a_try, g_try, c_try, priors, model, d)
            ok = (f_try >= f_old - 1e-12 * np.abs(f_old)) | ~np.isfinite(f_old)
            newly = ok & ~accepted
            a_new = np.where(newly, a_try, a_new)
            g_new = np.where(newly, g_try, g_new)
            c_new = np.where(newly, c_try, c_new)
            f_old = np.where(newly, f_try, f_old)
            accepted |= ok
            if accepted.all():
                break
            t = np.where(accepted, t, t * 0.5)
        moved = np.max(np.abs(t[:, None] * step) * accepted[:, None], initial=0.0)
        alpha, gamma, c = a_new, g_new, c_new
        if moved < 1e-9:
            break
    return alpha, gamma, c


@dataclass(frozen=True)
class _State:
    """Where EM stands: every item's slope, intercept and c, and the latent mean and SD."""

    alpha: np.ndarray
    gamma: np.ndarray
    c: np.ndarray
    mean: float
    sd: float

    def change_from(self, old: _State, free: np.ndarray, model: str) -> float:
        """Largest absolute change of a free parameter (c on its own scale)."""
        deltas = [np.abs(self.gamma[free] - old.gamma[free])]
        if model != "rasch":
            deltas.append(np.abs(self.alpha[free] - old.alpha[free]))
        if model == "3pl":
            deltas.append(np.abs(self.c[free] - old.c[free]))
        deltas.append(np.array([abs(self.mean - old.mean), abs(self.sd - old.sd)]))
        return float(max(np.max(x, initial=0.0) for x in deltas))

    def pack(self, free: np.ndarray, model: str, est_mean: bool, est_sd: bool) -> np.ndarray:
        """The free parameters as one vector, each on an unbounded scale (logit c, log SD)."""
        parts = [self.gamma[free]]
        if model != "rasch":
            parts.append(self.alpha[free])
        if model == "3pl":
            parts.append(logit(np.clip(self.c[free], 1e-10, 1 - 1e-10)))
        if est_mean:
            parts.append(np.array([self.mean]))
        if est_sd:
            parts.append(np.array([np.log(self.sd)]))
        return np.concatenate(parts)

    def unpack(
        self, vec: np.ndarray, free: np.ndarray, model: str, est_mean: bool, est_sd: bool
    ) -> _State:
        """Inverse of :meth:`pack`, fixed parts taken from ``self``."""
        k = int(free.sum())
        alpha, gamma, c = self.alpha.copy(), self.gamma.copy(), self.c.copy()
        gamma[free] = vec[:k]
        pos = k
        if model != "rasch":
            alpha[free] = vec[pos : pos + k]
            pos += k
        if model == "3pl":
            c[free] = np.clip(expit(vec[pos : pos + k]), 1e-10, 1 - 1e-6)
            pos += k
        mean, sd = self.mean, self.sd
        if est_mean:
            mean = float(vec[pos])
            pos += 1
        if est_sd:
            sd = float(np.exp(vec[pos]))
        return _State(alpha, gamma, c, mean, sd)


def _run_em(
    start: _State,
    em_cycle: Callable[[_State], tuple[_State, float, float]],
    log_posterior: Callable[[_State, float], float],
    *,
    pack: Callable[[_State], np.ndarray],
    unpack: Callable[[_State, np.ndarray], _State],
    tol: float,
    max_iter: int,
    criterion: Criterion,
    accelerate: Accelerate,
    progress: Callable[[int, float, float], None] | None,
) -> tuple[_State, bool, int, float]:
    """Iterate the EM map to its fixed point, optionally accelerated by SQUAREM.

    SQUAREM (Varadhan & Roland 2008, scheme S3): from two EM cycles
    :math:`\\xi_1 = F(\\xi_0)`, :math:`\\xi_2 = F(\\xi_1)`, with :math:`r = \\xi_1 - \\xi_0`,
    :math:`v = \\xi_2 - 2\\xi_1 + \\xi_0` and step :math:`s = \\lVert r \\rVert / \\lVert v
    \\rVert` (at least 1, at most a bound that grows fourfold each time it is hit),
    jump to :math:`\\xi' = \\xi_0 + 2 s r + s^2 v` and take one more EM cycle from
    there. The jump is kept only if the log posterior at :math:`\\xi'` is at least that
    at :math:`\\xi_1`; otherwise EM goes on from :math:`\\xi_2` and the bound shrinks. So
    the log posterior never falls, as in plain EM.

    Convergence is always judged on a plain EM cycle: its largest parameter change
    (``"params"``) or the rise of the log likelihood between two consecutive plain cycles
    (``"loglik"``) below ``tol``; the result is the state that cycle produced. Returns
    (state, converged, EM cycles used, last change).
    """
    cycles = 0
    change = np.inf

    def cycle(state: _State) -> tuple[_State, float, float]:
        nonlocal cycles, change
        cycles += 1
        new, loglik, change = em_cycle(state)
        if not np.isfinite(loglik) or not (
            np.all(np.isfinite(new.alpha)) and np.all(np.isfinite(new.gamma))
        ):
            raise EstimationError(f"estimates diverged at EM cycle {cycles}")
        if progress is not None:
            progress(cycles, change, loglik)
        return new, loglik, change

    def done(step_change: float, ll: float, ll_before: float | None) -> bool:
        if criterion == "params":
            return step_change < tol
        return ll_before is not None and abs(ll - ll_before) < tol

    state = start
    ll_before: float | None = None  # log likelihood where ``state`` came from by one cycle
    step_max = 1.0
    while cycles < max_iter:
        s1, ll0, ch0 = cycle(state)
        if done(ch0, ll0, ll_before):
            return s1, True, cycles, change
        if accelerate == "none" or cycles >= max_iter:
            state, ll_before = s1, ll0
            continue
        s2, ll1, ch1 = cycle(s1)
        if done(ch1, ll1, ll0):
            return s2, True, cycles, change
        v0, v1, v2 = pack(state), pack(s1), pack(s2)
        r = v1 - v0
        v = v2 - 2.0 * v1 + v0
        vv = float(v @ v)
        step = min(max(np.sqrt(float(r @ r) / vv), 1.0), step_max) if vv > 0 else 1.0
        if step >= step_max:
            step_max *= 4.0
        if step == 1.0 or cycles >= max_iter:
            state, ll_before = s2, ll1
            continue
        jumped = v0 + 2.0 * step * r + step * step * v
        if not np.all(np.isfinite(jumped)):
            state, ll_before, step_max = s2, ll1, max(1.0, step_max / 4.0)
            continue
        s_jump = unpack(s2, jumped)
        try:
            s3, ll_jump, ch3 = cycle(s_jump)
        except EstimationError:
            s3, ll_jump, ch3 = s_jump, -np.inf, np.inf
        if not np.isfinite(ll_jump) or log_posterior(s_jump, ll_jump) < log_posterior(s1, ll1):
            # The jump overshot: go on from the second plain cycle.
            state, ll_before, step_max = s2, ll1, max(1.0, step_max / 4.0)
            continue
        if criterion == "params" and ch3 < tol:
            return s3, True, cycles, change
        state, ll_before = s3, ll_jump
    return state, False, cycles, change


def _check_inputs(codes: np.ndarray, item_ids: Sequence[str]) -> None:
    if codes.shape[1] != len(item_ids):
        raise DataError(
            f"responses: {codes.shape[1]} item columns but {len(item_ids)} item ids were given"
        )
    if len(set(item_ids)) != len(item_ids):
        raise DataError("responses: item ids repeat")


def mml_em(
    scores: np.ndarray,
    *,
    item_ids: Sequence[str] | None = None,
    omitted: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    model: Model = "2pl",
    scaling: float = 1.0,
    quadrature: Quadrature | None = None,
    priors: Priors | None = None,
    fixed: Mapping[str, FixedItem] | None = None,
    tol: float = 1e-4,
    max_iter: int = 500,
    criterion: Criterion = "params",
    se_method: SEMethod = "louis",
    accelerate: Accelerate = "squarem",
    progress: Callable[[int, float, float], None] | None = None,
) -> MMLResult:
    """Calibrate dichotomous items by MML-EM (Bock & Aitkin 1981).

    Parameters
    ----------
    scores : (n_examinees, n_items) 0/1 array; entries under ``omitted`` are ignored.
    item_ids : item ids in column order (default ``item_1`` ...).
    omitted : boolean mask, True where the response is missing (not administered/omitted).
    weights : frequency weights per examinee.
    model : ``"rasch"``, ``"2pl"`` or ``"3pl"``.
    scaling : the constant ``d`` (1 logistic metric, 1.702 normal metric).
    quadrature : rule for the ability distribution (default: 61 points on [-6, 6]).
    priors : :class:`Priors` (the ``c`` prior only acts in the 3PL).
    fixed : anchor items held at their values, by item id; the mean and SD of the ability
        distribution are then estimated.
    tol, max_iter, criterion : stop when the largest change of a free parameter
        (slope, intercept, c, and the latent mean/SD) is below ``tol`` (``"params"``), or the
        change of the marginal log likelihood is (``"loglik"``), within ``max_iter`` cycles.
    se_method : ``"louis"`` (observed information), ``"crossprod"`` or ``"none"``.
    accelerate : ``"squarem"`` (default; Varadhan & Roland 2008, see :func:`_run_em`) or
        ``"none"`` (plain EM). Both stop by the same rule on a plain EM cycle and reach the
        same maximum; SQUAREM needs a third to a half of the cycles.
    progress : called after each cycle with (cycle, change, log likelihood).

    Returns
    -------
    MMLResult
        ``params`` with columns item_id, model, a, b, c, d, se_a, se_b, se_c, slope,
        intercept, se_slope, se_intercept, n, fixed; plus ``converged``, ``n_iter``,
        ``max_change``, ``loglik`` (marginal log likelihood at the estimates),
        ``log_posterior`` (plus log priors), ``mean``/``sd`` of the ability distribution,
        ``se_sd`` (Rasch), ``settings`` and ``excluded`` (items that cannot be estimated,
        with the reason). Items with no variance (all right or all wrong among those who
        answered) or no responses are excluded, never estimated as infinite.

    Notes
    -----
    .. math::

        \\log L = \\sum_p f_p \\log \\sum_q w_q \\prod_{j \\in obs(p)}
                  P_j(\\theta_q)^{x_{pj}} (1 - P_j(\\theta_q))^{1 - x_{pj}}

    M-step objective for item j with expected counts :math:`\\bar r_{jq}, \\bar n_{jq}`:
    :math:`\\sum_q \\bar r_{jq} \\log P_j(\\theta_q) + (\\bar n_{jq} - \\bar r_{jq})
    \\log(1 - P_j(\\theta_q)) + \\log \\pi(\\xi_j)`.

    References
    ----------
    Bock & Aitkin (1981); Baker & Kim (2004) ch. 6 (2PL), 7 (3PL with priors); Louis (1982).

    Tested against: LSAT6/LSAT7 (Bock & Lieberman 1970) Rasch/2PL/3PL estimates and SEs
    from a direct R ``optim`` maximisation on the same Gauss-Hermite nodes (abs 2e-5;
    ``tests/reference/lsat``), lme4 ``glmer`` Rasch (abs 1e-4), a finite-difference Hessian
    for the SEs (rel 1e-4), and recovery from known parameters (``tests/unit/irt``).
    """
    _check_settings(model, scaling, se_method, accelerate, criterion, tol, max_iter)
    codes = encode(scores, omitted)
    ids = (
        list(item_ids) if item_ids is not None else [f"item_{i + 1}" for i in range(codes.shape[1])]
    )
    _check_inputs(codes, ids)
    w_all = np.ones(codes.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    patterns, _ = collapse(codes, w_all)
    del codes
    return mml_em_patterns(
        patterns,
        item_ids=ids,
        model=model,
        scaling=scaling,
        quadrature=quadrature,
        priors=priors,
        fixed=fixed,
        tol=tol,
        max_iter=max_iter,
        criterion=criterion,
        se_method=se_method,
        accelerate=accelerate,
        progress=progress,
    )


def _check_settings(
    model: str,
    scaling: float,
    se_method: str,
    accelerate: str,
    criterion: str,
    tol: float,
    max_iter: int,
) -> None:
    if model not in MODELS:
        raise InputError(f"model {model!r} unknown; use rasch, 2pl or 3pl")
    if not scaling > 0:
        raise InputError(f"scaling {scaling} must be > 0")
    if se_method not in ("louis", "crossprod", "none"):
        raise InputError(f"se_method {se_method!r} unknown; use louis, crossprod or none")
    if accelerate not in ("squarem", "none"):
        raise InputError(f"accelerate {accelerate!r} unknown; use squarem or none")
    if criterion not in ("params", "loglik"):
        raise InputError(f"criterion {criterion!r} unknown; use params or loglik")
    if not tol > 0 or max_iter < 1:
        raise InputError(f"tol {tol} must be > 0 and max_iter {max_iter} >= 1")


def mml_em_patterns(
    patterns: Patterns,
    *,
    item_ids: Sequence[str],
    model: Model = "2pl",
    scaling: float = 1.0,
    quadrature: Quadrature | None = None,
    priors: Priors | None = None,
    fixed: Mapping[str, FixedItem] | None = None,
    tol: float = 1e-4,
    max_iter: int = 500,
    criterion: Criterion = "params",
    se_method: SEMethod = "louis",
    accelerate: Accelerate = "squarem",
    progress: Callable[[int, float, float], None] | None = None,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    spill_dir: str | Path | None = None,
    engine: object | None = None,
    say: Callable[[str], None] | None = None,
) -> MMLResult:
    """:func:`mml_em` on response patterns already collapsed (codes 0/1/2 and weights,
    held in memory or spilled to disk; see :func:`~cehrs_items.irt.patterns.collapse` and
    :func:`~cehrs_items.irt.patterns.collapse_blocks`). ``item_ids`` name the columns.

    Every pass over the patterns reads them by chunks of rows, so memory does not grow
    with their number beyond what holds them. Where items are excluded, or patterns have
    no weight or no response left, the rest is collapsed again within ``memory_bytes``
    (spilling to ``spill_dir`` beyond it). Results equal :func:`mml_em` on the examinees'
    rows. With a Dask ``engine`` (:class:`cehrs_items.engine.DaskEngine`) the patterns are
    scattered to its workers once and every pass over them (starting values, E-steps,
    information) runs there as tasks, with the same results to the last bit. ``say`` is
    told of the long steps that report no cycles (the standard errors). Other parameters
    and the result as for :func:`mml_em`.
    """
    _check_settings(model, scaling, se_method, accelerate, criterion, tol, max_iter)
    priors = priors or Priors()
    quadrature = quadrature or make_quadrature()
    ids = list(item_ids)
    if patterns.n_items != len(ids):
        raise DataError(
            f"responses: {patterns.n_items} item columns but {len(ids)} item ids were given"
        )
    if len(set(ids)) != len(ids):
        raise DataError("responses: item ids repeat")
    fixed = dict(fixed or {})
    unknown = sorted(set(fixed) - set(ids))
    if unknown:
        raise DataError(f"anchor items not in the responses: {', '.join(unknown[:5])}")

    # Items that cannot be estimated: no responses, or no variance among those who answered.
    n_ans, n_right = weighted_counts(patterns.codes, patterns.freq)
    excluded: dict[str, str] = {}
    for j, item in enumerate(ids):
        if item in fixed:
            continue
        if n_ans[j] <= 0:
            excluded[item] = "no responses"
        elif n_right[j] <= 0:
            excluded[item] = "no variance: every answer wrong"
        elif n_right[j] >= n_ans[j]:
            excluded[item] = "no variance: every answer right"
    keep = [j for j, item in enumerate(ids) if item not in excluded]
    if not keep:
        raise EstimationError("no item can be estimated (every item has no variance)")
    # Examinees with no weight, or no response to any kept item, carry no information.
    n_usable = _count_usable(patterns, keep)
    if len(keep) < len(ids) or n_usable < patterns.n_patterns:
        if not n_usable:
            raise EstimationError("no examinee answered any item")
        patterns = subset_patterns(
            patterns,
            keep if len(keep) < len(ids) else None,
            memory_bytes=memory_bytes,
            spill_dir=spill_dir,
        )
    ids = [ids[j] for j in keep]
    n_ans = n_ans[keep]

    d = float(scaling)
    is_fixed = np.array([i in fixed for i in ids])
    free = ~is_fixed
    anchor_mode = bool(is_fixed.any())
    # Threads, or patterns sent to Dask workers, are released by close().
    estep = _EStep(patterns, engine=engine)
    try:
        c0 = (priors.c[0] - 1) / (priors.c[0] + priors.c[1] - 2) if priors.c else 0.2
        a0, g0, cc0 = _starting_values(estep, model, c0)
        alpha = np.where(free, a0, 0.0)
        gamma = np.where(free, g0, 0.0)
        c = np.where(free, cc0, 0.0)
        if model == "rasch":
            alpha = np.full(len(ids), d)
            gamma = np.where(free, d * g0, 0.0)
        for j, item in enumerate(ids):
            if item in fixed:
                fx = fixed[item]
                alpha[j] = fx.d * fx.a
                gamma[j] = -fx.d * fx.a * fx.b
                c[j] = fx.c

        est_mean = anchor_mode
        est_sd = anchor_mode or model == "rasch"
        n_total = patterns.total
        qw = quadrature.weights

        def em_cycle(state: _State) -> tuple[_State, float, float]:
            """One EM cycle from ``state``: (next state, log likelihood at ``state``, change)."""
            theta = quadrature.nodes(state.mean, state.sd)
            loglik, r, n, totals = estep.run(theta, qw, state.alpha, state.gamma, state.c)
            fa, fg, fc = _mstep(
                theta,
                r[free],
                np.asarray(n)[free],
                state.alpha[free],
                state.gamma[free],
                state.c[free],
                model=model,
                priors=priors,
                d=d,
            )
            alpha, gamma, c = state.alpha.copy(), state.gamma.copy(), state.c.copy()
            alpha[free], gamma[free], c[free] = fa, fg, fc
            mean, sd = state.mean, state.sd
            if est_mean:
                mean = float(totals @ theta / n_total)
            if est_sd:
                centre = mean if est_mean else 0.0
                sd = float(np.sqrt(totals @ (theta - centre) ** 2 / n_total))
            new = _State(alpha, gamma, c, mean, sd)
            return new, loglik, new.change_from(state, free, model)

        def log_posterior(state: _State, loglik: float) -> float:
            prior = _log_prior(
                state.alpha[free], state.gamma[free], state.c[free], priors, model, d
            ).sum()
            return loglik + float(prior)

        result = _run_em(
            _State(alpha, gamma, c, 0.0, 1.0),
            em_cycle,
            log_posterior,
            pack=lambda st: st.pack(free, model, est_mean, est_sd),
            unpack=lambda st, v: st.unpack(v, free, model, est_mean, est_sd),
            tol=tol,
            max_iter=max_iter,
            criterion=criterion,
            accelerate=accelerate,
            progress=progress,
        )
        # every state _run_em returns came out of a cycle that checked it is finite
        state, converged, n_iter, change = result
        alpha, gamma, c, mean, sd = state.alpha, state.gamma, state.c, state.mean, state.sd

        theta = quadrature.nodes(mean, sd)
        loglik, r, n, totals = estep.run(theta, qw, alpha, gamma, c)
        log_prior = float(_log_prior(alpha[free], gamma[free], c[free], priors, model, d).sum())

        from cehrs_items.irt.standard_errors import observed_information_se

        if say is not None and se_method != "none":
            say(f"standard errors ({se_method}) over {patterns.n_patterns} patterns")
        ses = observed_information_se(
            estep,
            estep.posterior(theta, qw, alpha, gamma, c) if se_method != "none" else None,
            theta,
            alpha,
            gamma,
            c,
            free=free,
            model=model,
            priors=priors,
            d=d,
            method=se_method,
            tie_sd=(model == "rasch" and not anchor_mode),
            z=quadrature.z,
            sd=sd,
        )
    finally:
        estep.close()
    a = alpha / d
    with np.errstate(divide="ignore", invalid="ignore"):
        b = -gamma / alpha
    params = pl.DataFrame(
        {
            "item_id": ids,
            "model": [model] * len(ids),
            "a": np.ones(len(ids)) if model == "rasch" else a,
            "b": b,
            "c": c if model == "3pl" else np.zeros(len(ids)),
            "d": np.full(len(ids), d),
            "se_a": ses.se_a,
            "se_b": ses.se_b,
            "se_c": ses.se_c,
            "slope": alpha,
            "intercept": gamma,
            "se_slope": ses.se_slope,
            "se_intercept": ses.se_intercept,
            "n": np.round(n_ans).astype(np.int64),
            "fixed": is_fixed,
        }
    )
    params = params.with_columns(
        pl.col(x).cast(pl.Float64) for x in ("se_a", "se_b", "se_c", "se_slope", "se_intercept")
    )
    for item, fx in fixed.items():
        # Report anchors exactly as given (their own d), not as round-tripped numbers.
        params = params.with_columns(
            pl.when(pl.col("item_id") == item).then(pl.lit(fx.a)).otherwise(pl.col("a")).alias("a"),
            pl.when(pl.col("item_id") == item).then(pl.lit(fx.b)).otherwise(pl.col("b")).alias("b"),
            pl.when(pl.col("item_id") == item).then(pl.lit(fx.c)).otherwise(pl.col("c")).alias("c"),
            pl.when(pl.col("item_id") == item).then(pl.lit(fx.d)).otherwise(pl.col("d")).alias("d"),
        )
    settings = {
        "method": "mml-em",
        "model": model,
        "scaling": d,
        "quadrature": quadrature.settings(),
        "priors": priors.as_dict(),
        "tol": tol,
        "max_iter": max_iter,
        "criterion": criterion,
        "se_method": se_method,
        "accelerate": accelerate,
        "n_examinees": int(round(n_total)),
        "n_patterns": patterns.n_patterns,
        "anchor_items": int(is_fixed.sum()),
        "latent_mean_estimated": est_mean,
        "latent_sd_estimated": est_sd,
    }
    return MMLResult(
        params=params.sort("item_id"),
        converged=converged,
        n_iter=n_iter,
        max_change=change,
        loglik=loglik,
        log_posterior=loglik + log_prior,
        mean=mean,
        sd=sd,
        se_sd=ses.se_sd,
        settings=settings,
        quadrature=quadrature,
        excluded=dict(sorted(excluded.items())),
    )


def _count_usable(patterns: Patterns, keep: Sequence[int]) -> int:
    """Patterns with weight and a response to at least one of the ``keep`` columns (one
    pass over their chunks)."""
    count = 0
    for sl in patterns.chunks(1 << 18):
        answered = (patterns.codes[sl][:, keep] != MISSING).any(1)
        count += int(np.count_nonzero(answered & (np.asarray(patterns.freq[sl]) > 0)))
    return count
