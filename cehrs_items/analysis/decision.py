"""Decision statistics at a raw cut score.

- :func:`lord_csem`: Lord's binomial-error conditional SEM.
- :func:`pass_rate`: share of examinees at or above the cut.
- :func:`livingston_lewis`: decision accuracy and consistency by Livingston & Lewis
  (1995): effective test length, a four-parameter beta true-score distribution fitted by
  the method of moments, binomial errors on the effective length.
- :func:`subkoviak`: Subkoviak's (1976) single-administration agreement index.

A score passes when it is at or above the cut (``X >= cut``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import IntegrationWarning, quad
from scipy.special import bdtrc, betaln
from scipy.stats import binom

from cehrs_items.analysis._common import check_weights
from cehrs_items.errors import EstimationError

_EPS = 1e-9


def lord_csem(raw: float | np.ndarray, n_items: int) -> float | np.ndarray:
    r"""Lord's binomial-error conditional standard error of measurement.

    .. math:: \mathrm{CSEM}(x) = \sqrt{\frac{x\,(K - x)}{K - 1}}

    for a number-correct score x on K items (Lord 1955; Lord & Novick 1968, eq. 23.7.4;
    Feldt, Steffen & Gupta 1985). NaN for K < 2.

    Tested against: hand computation (x = 70, K = 100: sqrt(2100/99)), abs 1e-12.
    """
    x = np.asarray(raw, dtype=np.float64)
    if n_items < 2:
        out = np.full(x.shape, np.nan)
    else:
        out = np.sqrt(np.clip(x * (n_items - x), 0.0, None) / (n_items - 1))
    return float(out) if out.ndim == 0 else out


def _scores_weights(
    scores: np.ndarray | Sequence[float], weights: np.ndarray | Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(scores, dtype=np.float64).ravel()
    if np.isnan(x).any():
        raise EstimationError("scores: total scores must not be missing")
    w = check_weights(weights, x.shape[0], "weights")
    w = np.ones_like(x) if w is None else w
    if w.sum() <= 0:
        raise EstimationError("scores: no examinees (total weight is zero)")
    return x, w


def pass_rate(
    scores: np.ndarray | Sequence[float],
    cut: float,
    *,
    weights: np.ndarray | Sequence[float] | None = None,
) -> float:
    r"""Weighted share of scores at or above ``cut``: :math:`\sum_i w_i [x_i \ge c] / N`.

    Tested against: hand computation, exact.
    """
    x, w = _scores_weights(scores, weights)
    return float((w * (x >= cut - _EPS)).sum() / w.sum())


@dataclass(frozen=True)
class BetaTrueScore:
    """Four-parameter beta distribution of proportion-correct true scores on [lower, upper].

    ``model`` says how it was fitted: ``beta4`` (four moments), ``beta3_upper`` (upper
    bound fixed at 1, three moments), ``beta3_lower`` (lower bound fixed at 0) or
    ``beta2`` (both bounds fixed at 0 and 1, two moments).
    """

    alpha: float
    beta: float
    lower: float
    upper: float
    model: str

    def valid(self) -> bool:
        values = (self.alpha, self.beta, self.lower, self.upper)
        return (
            all(math.isfinite(v) for v in values)
            and self.alpha > 0
            and self.beta > 0
            and -_EPS <= self.lower < self.upper <= 1.0 + _EPS
        )

    def moments(self) -> tuple[float, float, float, float]:
        """Mean, variance, skewness and kurtosis (not excess) of the distribution."""
        a, b = self.alpha, self.beta
        nu = a + b
        width = self.upper - self.lower
        mean = self.lower + width * a / nu
        var = width**2 * a * b / (nu**2 * (nu + 1))
        skew = 2 * (b - a) * math.sqrt(nu + 1) / ((nu + 2) * math.sqrt(a * b))
        excess = 6 * ((a - b) ** 2 * (nu + 1) - a * b * (nu + 2)) / (a * b * (nu + 2) * (nu + 3))
        return mean, var, skew, excess + 3.0


def beta4_from_moments(mean: float, var: float, skew: float, kurt: float) -> BetaTrueScore:
    r"""Four-parameter beta matching mean, variance, skewness and kurtosis (not excess).

    With :math:`\gamma` the skewness and :math:`\beta_2` the kurtosis,

    .. math::
        \nu = \alpha + \beta = \frac{6(\beta_2 - \gamma^2 - 1)}{6 + 3\gamma^2 - 2\beta_2},\quad
        \alpha\beta = \frac{4(\nu+1)\nu^2}{\gamma^2(\nu+2)^2 + 16(\nu+1)}

    :math:`\alpha, \beta` are the roots of :math:`z^2 - \nu z + \alpha\beta` (the smaller
    one is :math:`\alpha` when :math:`\gamma > 0`), and
    :math:`u - l = \sigma\,\nu\sqrt{\nu+1}/\sqrt{\alpha\beta}`,
    :math:`l = \mu - (u-l)\alpha/\nu` (Pearson type I; Hanson 1991). The result may be
    invalid (check :meth:`BetaTrueScore.valid`).

    Tested against: moments of known beta distributions recovered, abs 1e-9.
    """
    nan = BetaTrueScore(math.nan, math.nan, math.nan, math.nan, "beta4")
    denom = 6.0 + 3.0 * skew**2 - 2.0 * kurt
    if not all(math.isfinite(v) for v in (mean, var, skew, kurt)) or denom == 0 or var <= 0:
        return nan
    nu = 6.0 * (kurt - skew**2 - 1.0) / denom
    if not nu > 0:
        return nan
    prod = 4.0 * (nu + 1.0) * nu**2 / (skew**2 * (nu + 2.0) ** 2 + 16.0 * (nu + 1.0))
    root = math.sqrt(max(0.0, 1.0 - 4.0 * prod / nu**2))
    small, large = nu / 2.0 * (1.0 - root), nu / 2.0 * (1.0 + root)
    a, b = (small, large) if skew > 0 else (large, small)
    if not (a > 0 and b > 0):
        return nan
    width = math.sqrt(var) * nu * math.sqrt(nu + 1.0) / math.sqrt(a * b)
    lower = mean - width * a / nu
    return BetaTrueScore(a, b, lower, lower + width, "beta4")


def beta3_upper_from_moments(
    mean: float, var: float, skew: float, upper: float = 1.0
) -> BetaTrueScore:
    r"""Beta with the upper bound fixed, matching mean, variance and skewness.

    With :math:`d = u - \mu`, :math:`\mu_3 = \gamma\sigma^3` and :math:`\theta = \alpha/\nu`,
    the beta moments :math:`u-\mu = (u-l)(1-\theta)`,
    :math:`\sigma^2 = (u-l)^2\theta(1-\theta)/(\nu+1)` and
    :math:`\mu_3 = 2(1-2\theta)(u-l)\sigma^2/(\nu+2)` give

    .. math::
        \theta = \frac{2d\sigma^4 - \mu_3\sigma^2}{\mu_3 d^2 - \mu_3\sigma^2 + 4d\sigma^4},\quad
        u - l = \frac{d}{1-\theta},\quad
        \nu = \frac{(u-l)^2\theta(1-\theta)}{\sigma^2} - 1

    Tested against: moments of known beta distributions recovered, abs 1e-9.
    """
    mu3 = skew * var**1.5
    d = upper - mean
    den = mu3 * d**2 - mu3 * var + 4.0 * d * var**2
    if den == 0 or var <= 0:
        return BetaTrueScore(math.nan, math.nan, math.nan, upper, "beta3_upper")
    theta = (2.0 * d * var**2 - mu3 * var) / den
    if not 0 < theta < 1:
        return BetaTrueScore(math.nan, math.nan, math.nan, upper, "beta3_upper")
    width = d / (1.0 - theta)
    nu = width**2 * theta * (1.0 - theta) / var - 1.0
    return BetaTrueScore(theta * nu, (1.0 - theta) * nu, upper - width, upper, "beta3_upper")


def beta3_lower_from_moments(
    mean: float, var: float, skew: float, lower: float = 0.0
) -> BetaTrueScore:
    """Beta with the lower bound fixed (the mirror image of :func:`beta3_upper_from_moments`).

    Tested against: moments of known beta distributions recovered, abs 1e-9.
    """
    m = beta3_upper_from_moments(-mean, var, -skew, upper=-lower)
    return BetaTrueScore(m.beta, m.alpha, -m.upper, -m.lower, "beta3_lower")


def beta2_from_moments(
    mean: float, var: float, lower: float = 0.0, upper: float = 1.0
) -> BetaTrueScore:
    r"""Beta on fixed bounds matching mean and variance.

    .. math:: \theta = \frac{\mu - l}{u - l},\quad
              \nu = \frac{(u-l)^2\theta(1-\theta)}{\sigma^2} - 1,\quad
              \alpha = \theta\nu,\ \beta = (1-\theta)\nu

    Tested against: moments of known beta distributions recovered, abs 1e-9.
    """
    width = upper - lower
    theta = (mean - lower) / width
    nu = width**2 * theta * (1.0 - theta) / var - 1.0 if var > 0 else math.nan
    return BetaTrueScore(theta * nu, (1.0 - theta) * nu, lower, upper, "beta2")


def fit_true_score_beta(mean: float, var: float, skew: float, kurt: float) -> BetaTrueScore:
    """Fit the true-score beta on [0, 1], falling back as bounds require.

    The four-moment fit is kept when its bounds lie in [0, 1]. Otherwise the bound that
    fell outside is fixed (upper at 1 if u > 1, lower at 0 if l < 0) and three moments
    are fitted; failing that, both bounds are fixed at 0 and 1 (two moments), as
    Hanson (1991) and Livingston & Lewis (1995) describe.
    """
    full = beta4_from_moments(mean, var, skew, kurt)
    if full.valid():
        return full
    tries = []
    upper_out = not math.isfinite(full.upper) or full.upper > 1.0
    lower_out = not math.isfinite(full.lower) or full.lower < 0.0
    if upper_out:
        tries.append(beta3_upper_from_moments(mean, var, skew))
    if lower_out:
        tries.append(beta3_lower_from_moments(mean, var, skew))
    for candidate in tries:
        if candidate.valid():
            return candidate
    two = beta2_from_moments(mean, var)
    if two.valid():
        return two
    raise EstimationError(
        f"true-score distribution cannot be fitted (mean {mean:.4g}, variance {var:.4g}): "
        "the true-score variance implied by the reliability is out of range"
    )


def _categories(thresholds: Sequence[int], n: int, tau: float) -> np.ndarray:
    """P(observed category | true proportion tau) under binomial(n, tau)."""
    tails = [float(bdtrc(z - 1, n, tau)) if z > 0 else 1.0 for z in thresholds]
    upper = [1.0, *tails]
    lower = [*tails, 0.0]
    return np.clip(np.array(upper) - np.array(lower), 0.0, 1.0)


def _integrate(fn, lo: float, hi: float, dist: BetaTrueScore) -> float:
    """Integral of fn(tau) times the beta density over [lo, hi] within [lower, upper].

    Works on the standard scale t = (tau - lower) / (upper - lower). An end point where
    the density is infinite (shape parameter below 1) goes into QUADPACK's algebraic
    weight; otherwise the log density is evaluated whole (no overflow for large shapes)
    and the mode is passed as a break point so a narrow peak is not missed.
    """
    lo, hi = max(lo, dist.lower), min(hi, dist.upper)
    if hi <= lo:
        return 0.0
    width = dist.upper - dist.lower
    t_lo, t_hi = (lo - dist.lower) / width, (hi - dist.lower) / width
    a1, b1 = dist.alpha - 1.0, dist.beta - 1.0
    log_b = betaln(dist.alpha, dist.beta)
    sing_lo = t_lo <= 0.0 and a1 < 0
    sing_hi = t_hi >= 1.0 and b1 < 0

    def integrand(t: float) -> float:
        value = fn(dist.lower + width * t)
        if value == 0.0:
            return 0.0
        log_w = -log_b
        if not sing_lo and a1 != 0.0:
            if t <= 0.0:
                return 0.0
            log_w += a1 * math.log(t)
        if not sing_hi and b1 != 0.0:
            if t >= 1.0:
                return 0.0
            log_w += b1 * math.log1p(-t)
        return value * math.exp(min(log_w, 700.0))

    options: dict[str, Any] = {"epsabs": 1e-13, "epsrel": 1e-11, "limit": 400}
    if sing_lo or sing_hi:
        options.update(weight="alg", wvar=(a1 if sing_lo else 0.0, b1 if sing_hi else 0.0))
    elif a1 > 0 and b1 > 0:
        nu = dist.alpha + dist.beta
        mode = a1 / (nu - 2.0)
        sd = math.sqrt(dist.alpha * dist.beta / (nu**2 * (nu + 1.0)))
        points = [p for p in (mode - 3 * sd, mode, mode + 3 * sd) if t_lo < p < t_hi]
        if points:
            options["points"] = points
    with warnings.catch_warnings():
        # QUADPACK warns when round-off stops it short of the 1e-13 target; the result is
        # then accurate to round-off, far inside what the statistics need.
        warnings.simplefilter("ignore", IntegrationWarning)
        value, _ = quad(integrand, t_lo, t_hi, **options)
    return float(value)


@dataclass(frozen=True)
class LivingstonLewis:
    """Result of :func:`livingston_lewis`.

    ``accuracy_matrix[t, o]``: probability of true category t and observed category o;
    ``consistency_matrix[o1, o2]``: probability of category o1 on one form and o2 on a
    parallel form. Categories are ordered from below the lowest cut upward.
    """

    effective_test_length: float
    n_effective: int
    true_score_moments: tuple[float, float, float, float]
    true_score: BetaTrueScore
    cuts: tuple[float, ...]
    true_cuts: tuple[float, ...]
    accuracy_matrix: np.ndarray = field(repr=False)
    consistency_matrix: np.ndarray = field(repr=False)

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.accuracy_matrix))

    @property
    def consistency(self) -> float:
        return float(np.trace(self.consistency_matrix))

    @property
    def chance_consistency(self) -> float:
        marg = self.consistency_matrix.sum(axis=1)
        return float((marg**2).sum())

    @property
    def kappa(self) -> float:
        chance = self.chance_consistency
        return float((self.consistency - chance) / (1.0 - chance)) if chance < 1 else math.nan

    @property
    def false_positive(self) -> float:
        """Probability that the observed category is above the true category."""
        return float(np.triu(self.accuracy_matrix, 1).sum())

    @property
    def false_negative(self) -> float:
        """Probability that the observed category is below the true category."""
        return float(np.tril(self.accuracy_matrix, -1).sum())

    def to_dict(self) -> dict[str, Any]:
        mean, var, skew, kurt = self.true_score_moments
        ts = self.true_score
        return {
            "effective_test_length": self.effective_test_length,
            "n_effective": self.n_effective,
            "true_score_model": ts.model,
            "true_score_alpha": ts.alpha,
            "true_score_beta": ts.beta,
            "true_score_lower": ts.lower,
            "true_score_upper": ts.upper,
            "true_score_mean": mean,
            "true_score_variance": var,
            "accuracy": self.accuracy,
            "false_positive": self.false_positive,
            "false_negative": self.false_negative,
            "consistency_agreement": self.consistency,
            "consistency_chance": self.chance_consistency,
            "consistency_kappa": self.kappa,
        }


def _falling(y: np.ndarray, r: int) -> np.ndarray:
    out = np.ones_like(y)
    for i in range(r):
        out = out * (y - i)
    return out


def livingston_lewis(
    scores: np.ndarray | Sequence[float],
    *,
    reliability: float,
    cut: float | Sequence[float],
    max_score: float,
    min_score: float = 0.0,
    weights: np.ndarray | Sequence[float] | None = None,
    true_cut: float | Sequence[float] | None = None,
) -> LivingstonLewis:
    r"""Decision accuracy and consistency by the Livingston & Lewis (1995) procedure.

    Parameters
    ----------
    scores
        Observed total scores (one per examinee, or score points with ``weights``).
    reliability
        Reliability of the scores (KR-20 / alpha), strictly between 0 and 1.
    cut
        Observed-score cut(s) on the raw scale; a score passes when ``>= cut``.
    max_score, min_score
        Highest and lowest *possible* scores (not the observed ones).
    weights
        Frequency weights.
    true_cut
        True-score cut(s) as proportions of the score range (default: the observed cuts
        converted, :math:`(c - X_{min})/(X_{max} - X_{min})`).

    Returns
    -------
    LivingstonLewis
        Effective test length, fitted true-score distribution, accuracy and consistency
        matrices, accuracy, consistency (agreement), chance agreement and kappa.

    Notes
    -----
    1. Effective test length from the observed mean, population variance and the
       reliability :math:`r`:

       .. math:: n = \frac{(\mu - X_{min})(X_{max} - \mu) - r\sigma^2}{\sigma^2(1 - r)}

       rounded to the nearest integer :math:`N`.
    2. Scores are rescaled to :math:`y = N(x - X_{min})/(X_{max} - X_{min})` and the raw
       moments of the proportion-correct true score follow from the factorial moments of
       the binomial error model, :math:`E(\tau^r) = E[y^{(r)}]/N^{(r)}` with
       :math:`y^{(r)} = y(y-1)\cdots(y-r+1)` (Lord 1965).
    3. A four-parameter beta is fitted to the first four true-score moments
       (:func:`fit_true_score_beta`, with its fallbacks).
    4. Given :math:`\tau`, the effective score is binomial :math:`(N, \tau)` and passes
       when :math:`y \ge \lceil N (c - X_{min})/(X_{max}-X_{min}) \rceil`. Accuracy is
       :math:`\sum_t \int_{\tau \in t} P(o = t \mid \tau) g(\tau)\,d\tau`, consistency
       :math:`\int \sum_o P(o\mid\tau)^2 g(\tau)\,d\tau`, chance agreement
       :math:`\sum_o p_o^2` from the model-implied category proportions, and
       :math:`\kappa = (P - P_c)/(1 - P_c)`. Integrals use adaptive quadrature with the
       beta's algebraic end-point weights.

    References
    ----------
    Livingston, S. A., & Lewis, C. (1995). Estimating the consistency and accuracy of
    classifications based on test scores. *J. Educ. Meas.*, 32, 179-197. Hanson, B. A.
    (1991). *Method of moments estimates for the four-parameter beta compound binomial
    model and the calculation of classification consistency indexes* (ACT RR 91-5).
    Lord, F. M. (1965). A strong true-score theory. *Psychometrika*, 30, 239-270.

    Tested against: BBClassify 1.0.0 (Haakstad 2025, successor of BB-Class) on the ACT
    288 frequency distribution (two cuts, three-parameter fallback): moments, beta
    parameters, accuracy and consistency matrices to the printed 5 decimals (abs 6e-6);
    simulation from a known beta-binomial model (two parallel forms), abs 0.005.
    """
    x, w = _scores_weights(scores, weights)
    cuts = (float(cut),) if np.isscalar(cut) else tuple(float(c) for c in cut)
    if not cuts or any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)):
        raise EstimationError("cut: give one cut or increasing cuts")
    span = float(max_score) - float(min_score)
    if span <= 0:
        raise EstimationError("max_score must be greater than min_score")
    if any(not (min_score < c <= max_score) for c in cuts):
        raise EstimationError(f"cut: each cut must lie in ({min_score:g}, {max_score:g}]")
    if true_cut is None:
        tcuts = tuple((c - min_score) / span for c in cuts)
    else:
        tcuts = (float(true_cut),) if np.isscalar(true_cut) else tuple(float(c) for c in true_cut)
        if len(tcuts) != len(cuts):
            raise EstimationError("true_cut: one true cut per observed cut")
    if not (math.isfinite(reliability) and 0.0 < reliability < 1.0):
        raise EstimationError(
            f"reliability {reliability:.4g} is not strictly between 0 and 1; "
            "Livingston-Lewis needs a positive reliability below 1"
        )
    total_w = w.sum()
    mean = float((w * x).sum() / total_w)
    var = float((w * (x - mean) ** 2).sum() / total_w)
    if var <= 0:
        raise EstimationError("scores have zero variance; decision consistency is not defined")
    etl = ((mean - min_score) * (max_score - mean) - reliability * var) / (
        var * (1.0 - reliability)
    )
    n_eff = int(round(etl)) if math.isfinite(etl) else 0
    if n_eff < 2:
        raise EstimationError(
            f"effective test length {etl:.3g} is below 2; the binomial error model does not apply"
        )
    y = n_eff * (x - min_score) / span
    raw = []
    for r in range(1, 5):
        denom = math.prod(n_eff - i for i in range(r))
        raw.append(float((w * _falling(y, r)).sum() / total_w / denom) if denom > 0 else math.nan)
    m1, m2, m3, m4 = raw
    t_var = m2 - m1**2
    if not t_var > 0:
        raise EstimationError(
            "true-score variance is not positive (reliability too low for these scores)"
        )
    if n_eff >= 4:
        t_skew = (m3 - 3 * m1 * m2 + 2 * m1**3) / t_var**1.5
        t_kurt = (m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4) / t_var**2
        dist = fit_true_score_beta(m1, t_var, t_skew, t_kurt)
    else:
        t_skew = t_kurt = math.nan
        dist = beta2_from_moments(m1, t_var)
        if not dist.valid():
            raise EstimationError("true-score distribution cannot be fitted")
    thresholds = [max(0, math.ceil(n_eff * (c - min_score) / span - _EPS)) for c in cuts]
    n_cat = len(cuts) + 1
    edges = [-math.inf, *tcuts, math.inf]
    cache: dict[float, np.ndarray] = {}

    def probs(tau: float) -> np.ndarray:
        if tau not in cache:
            cache[tau] = _categories(thresholds, n_eff, tau)
        return cache[tau]

    acc = np.zeros((n_cat, n_cat))
    for t in range(n_cat):
        for o in range(n_cat):
            acc[t, o] = _integrate(lambda tau, o=o: probs(tau)[o], edges[t], edges[t + 1], dist)
    cons = np.zeros((n_cat, n_cat))
    for o1 in range(n_cat):
        for o2 in range(o1, n_cat):
            value = sum(
                _integrate(
                    lambda tau, a=o1, b=o2: probs(tau)[a] * probs(tau)[b],
                    edges[t],
                    edges[t + 1],
                    dist,
                )
                for t in range(n_cat)
            )
            cons[o1, o2] = cons[o2, o1] = value
    return LivingstonLewis(
        effective_test_length=float(etl),
        n_effective=n_eff,
        true_score_moments=(m1, t_var, t_skew, t_kurt),
        true_score=dist,
        cuts=cuts,
        true_cuts=tcuts,
        accuracy_matrix=acc,
        consistency_matrix=cons,
    )


@dataclass(frozen=True)
class Subkoviak:
    """Result of :func:`subkoviak`: agreement, chance agreement and kappa."""

    agreement: float
    chance: float
    kappa: float
    reliability: float

    def to_dict(self) -> dict[str, float]:
        return {
            "subkoviak_agreement": self.agreement,
            "subkoviak_chance": self.chance,
            "subkoviak_kappa": self.kappa,
            "subkoviak_reliability": self.reliability,
        }


def subkoviak(
    scores: np.ndarray | Sequence[float],
    *,
    n_items: int,
    cut: float,
    reliability: float,
    weights: np.ndarray | Sequence[float] | None = None,
) -> Subkoviak:
    r"""Subkoviak's (1976) single-administration estimate of the agreement coefficient.

    Parameters
    ----------
    scores
        Number-correct scores ``0 .. n_items``.
    n_items
        Test length K.
    cut
        Raw cut; a score passes when ``>= cut``.
    reliability
        Reliability used in the regressed true-score estimate; Subkoviak used KR-21,
        the reliability of the binomial error model (the pipeline passes KR-21).
    weights
        Frequency weights.

    Returns
    -------
    Subkoviak
        ``agreement`` (expected proportion classified the same on two parallel forms),
        ``chance`` and ``kappa``.

    Notes
    -----
    Each examinee's true proportion correct is estimated by Kelley's regression,
    :math:`\hat\tau_i = r\,x_i/K + (1-r)\,\bar x/K`; the probability of passing is the
    binomial tail :math:`P_i = P(X \ge c \mid K, \hat\tau_i)`, and

    .. math::
        \hat p_0 = \frac{1}{N}\sum_i w_i\,[P_i^2 + (1-P_i)^2],\quad
        p_c = \bar P^2 + (1-\bar P)^2,\quad \kappa = \frac{\hat p_0 - p_c}{1 - p_c}

    References
    ----------
    Subkoviak, M. J. (1976). Estimating reliability from a single administration of a
    criterion-referenced test. *J. Educ. Meas.*, 13, 265-276.

    Tested against: hand computation with SciPy's binomial on a 3-score example,
    abs 1e-12.
    """
    x, w = _scores_weights(scores, weights)
    if n_items < 1:
        raise EstimationError("n_items must be at least 1")
    if not math.isfinite(reliability):
        raise EstimationError("reliability is not defined; Subkoviak's index needs it")
    r = min(max(reliability, 0.0), 1.0)
    total_w = w.sum()
    mean = float((w * x).sum() / total_w)
    tau = np.clip(r * x / n_items + (1.0 - r) * mean / n_items, 0.0, 1.0)
    threshold = max(0, math.ceil(cut - _EPS))
    p_pass = binom.sf(threshold - 1, n_items, tau) if threshold > 0 else np.ones_like(tau)
    agreement = float((w * (p_pass**2 + (1.0 - p_pass) ** 2)).sum() / total_w)
    p_bar = float((w * p_pass).sum() / total_w)
    chance = p_bar**2 + (1.0 - p_bar) ** 2
    kappa = (agreement - chance) / (1.0 - chance) if chance < 1 else math.nan
    return Subkoviak(agreement=agreement, chance=chance, kappa=float(kappa), reliability=r)
