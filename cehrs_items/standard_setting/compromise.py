"""Compromise methods: Hofstee (1983) and Beuk (1984), judged bounds meet observed scores."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from cehrs_items.standard_setting.impact import failure_curve, observed_fail_rate
from cehrs_items.standard_setting.panel import beuk_from_frame, hofstee_from_frame
from cehrs_items.standard_setting.summary import whole_cut
from cehrs_items.tables import table_schema

HOFSTEE_ROUND_SCHEMA = table_schema("hofstee_rounds")
BEUK_ROUND_SCHEMA = table_schema("beuk_rounds")


def _first_crossing(xs: np.ndarray, values: np.ndarray) -> tuple[float, bool]:
    """First point where a piecewise-linear non-decreasing function reaches 0.

    ``values`` are the function at the breakpoints ``xs`` (linear in between). Returns
    ``(x, True)`` for the root, or ``(xs[0], False)`` if the function starts above 0 and
    ``(xs[-1], False)`` if it stays below 0.
    """
    if values[0] >= 0:
        return float(xs[0]), bool(values[0] == 0)
    above = np.nonzero(values >= 0)[0]
    if above.size == 0:
        return float(xs[-1]), False
    i = int(above[0])
    x0, x1, v0, v1 = xs[i - 1], xs[i], values[i - 1], values[i]
    return float(x0 + (0.0 - v0) * (x1 - x0) / (v1 - v0)), True


def _breakpoints(low: float, high: float) -> np.ndarray:
    inner = np.arange(math.floor(low) + 1, math.ceil(high), dtype=np.float64)
    return np.unique(np.concatenate([[low], inner[(inner > low) & (inner < high)], [high]]))


@dataclass(frozen=True)
class CompromiseResult:
    """A compromise cut for each round, the observed curve and the judges' data.

    ``rounds``: one row per round (columns depend on the method, always ``round``,
    ``n_judges``, ``raw_cut``, ``fail_rate``, ``intersects``). ``curve``: the observed
    failure-rate curve (:func:`~.impact.failure_curve`). ``judges``: the checked panel
    data. ``raw_cut`` is the last round's cut.
    """

    method: str
    raw_cut: float
    fail_rate: float
    intersects: bool
    final_round: int
    rounds: pl.DataFrame
    curve: pl.DataFrame
    judges: pl.DataFrame
    max_score: int
    notes: tuple[str, ...] = ()

    def cut_document(self) -> dict[str, Any]:
        final = self.rounds.filter(pl.col("round") == self.final_round).row(0, named=True)
        return {
            "method": self.method,
            "raw_cut": self.raw_cut,
            "raw_cut_whole": whole_cut(self.raw_cut),
            "raw_cut_se": None,
            "theta_cut": None,
            "theta_cut_se": None,
            "max_score": self.max_score,
            "final_round": self.final_round,
            "fail_rate_at_cut": self.fail_rate,
            "intersects": self.intersects,
            "panel": {k: v for k, v in final.items() if k not in ("round",)},
            "notes": list(self.notes),
        }


def _final_round_result(
    method: str,
    rounds: pl.DataFrame,
    curve: pl.DataFrame,
    judgements: pl.DataFrame,
    max_score: int,
    notes: list[str],
) -> CompromiseResult:
    """The panel's result: the last round's cut, with every round's table kept."""
    last = rounds.row(-1, named=True)
    return CompromiseResult(
        method=method,
        raw_cut=last["raw_cut"],
        fail_rate=last["fail_rate"],
        intersects=last["intersects"],
        final_round=last["round"],
        rounds=rounds,
        curve=curve,
        judges=judgements,
        max_score=max_score,
        notes=tuple(notes),
    )


def hofstee(judgements: pl.DataFrame, raw: np.ndarray, *, max_score: int) -> CompromiseResult:
    r"""Hofstee compromise cut: the panel's acceptable region meets the observed failure curve.

    Each judge gives the lowest and highest acceptable raw cut (:math:`k_{min}, k_{max}`)
    and the lowest and highest acceptable failure rate (:math:`f_{min}, f_{max}`). With
    the panel means, the line from :math:`(\bar k_{min}, \bar f_{max})` to
    :math:`(\bar k_{max}, \bar f_{min})`

    .. math:: L(c) = \bar f_{max} + (\bar f_{min} - \bar f_{max})
              \frac{c - \bar k_{min}}{\bar k_{max} - \bar k_{min}}

    is intersected with the observed failure rate :math:`F(c)` (share of examinees below
    ``c``; linear between whole scores, :func:`~.impact.observed_fail_rate`). The cut is
    the lowest :math:`c \in [\bar k_{min}, \bar k_{max}]` with :math:`F(c) = L(c)`
    (unique unless F is flat there; F rises and L falls). If the curve stays above the
    line the cut is :math:`\bar k_{min}`, if below :math:`\bar k_{max}` (``intersects``
    false; a note says so).

    Parameters
    ----------
    judgements : DataFrame
        ``judge_id``, ``round``, ``min_cut``, ``max_cut``, ``min_fail``, ``max_fail``
        (checked by :func:`~.panel.hofstee_from_frame`).
    raw : array
        Observed raw scores of the form (0 .. ``max_score``).
    max_score : int
        Number of scored items.

    Returns
    -------
    CompromiseResult
        ``rounds`` columns: ``round``, ``n_judges``, ``min_cut``, ``max_cut``,
        ``min_fail``, ``max_fail`` (panel means), ``raw_cut``, ``fail_rate``,
        ``intersects``.

    References
    ----------
    Hofstee, W. K. B. (1983). The case for compromise in educational selection and
    grading. In S. B. Anderson & J. S. Helmick (Eds.), *On Educational Testing*
    (pp. 109-127). Cizek & Bunch (2007), ch. 13.

    Tested against: a hand-computed 10-examinee, 3-judge example
    (``tests/unit/standard_setting/test_compromise.py``, abs 1e-12); the cut lies on
    the observed curve (hypothesis property).
    """
    judgements = hofstee_from_frame(judgements, max_score=max_score)
    curve = failure_curve(raw, max_score)
    rows = []
    notes = []
    for (rnd,), part in judgements.group_by(["round"], maintain_order=True):
        kmin = float(part["min_cut"].mean())
        kmax = float(part["max_cut"].mean())
        fmin = float(part["min_fail"].mean())
        fmax = float(part["max_fail"].mean())
        if kmax == kmin:
            cut, hit = kmin, True
            notes.append(f"round {rnd}: mean minimum and maximum cut coincide; cut = {kmin:g}")
        else:
            xs = _breakpoints(kmin, kmax)
            line = fmax + (fmin - fmax) * (xs - kmin) / (kmax - kmin)
            cut, hit = _first_crossing(xs, observed_fail_rate(curve, xs) - line)
            if not hit:
                side = "above" if cut == kmin else "below"
                notes.append(
                    f"round {rnd}: the observed failure curve stays {side} the Hofstee line; "
                    f"cut set to the mean {'minimum' if side == 'above' else 'maximum'} {cut:g}"
                )
        fail = float(observed_fail_rate(curve, cut))
        rows.append((rnd, part.height, kmin, kmax, fmin, fmax, cut, fail, hit))
    rounds = pl.DataFrame(
        rows,
        schema=HOFSTEE_ROUND_SCHEMA,
        orient="row",
    ).sort("round")
    return _final_round_result("hofstee", rounds, curve, judgements, max_score, notes)


def beuk(judgements: pl.DataFrame, raw: np.ndarray, *, max_score: int) -> CompromiseResult:
    r"""Beuk compromise cut: a line through the panel's mean judgement meets the pass-rate curve.

    Each judge gives a raw cut :math:`k_j` and the pass rate :math:`v_j` they expect.
    Through the point of means :math:`(\bar k, \bar v)` runs a line with slope
    :math:`s_v / s_k` (ratio of the SDs, divisor :math:`J-1`), rising in the
    (cut, pass rate) plane; the cut is where it meets the observed pass-rate curve
    :math:`P(c) = 1 - F(c)` (falling, linear between whole scores):

    .. math:: P(c) = \bar v + \frac{s_v}{s_k}(c - \bar k)

    The more the judges agree on the cut (small :math:`s_k`), the less it moves; the more
    they agree on the pass rate, the more the cut moves to honour it. If
    :math:`s_k = 0` the cut is :math:`\bar k`; if the line misses the curve within
    :math:`[0, K]` the cut is the nearer end (``intersects`` false).

    Returns
    -------
    CompromiseResult
        ``rounds`` columns: ``round``, ``n_judges``, ``mean_cut``, ``sd_cut``,
        ``mean_pass_rate``, ``sd_pass_rate``, ``slope``, ``raw_cut``, ``fail_rate``,
        ``pass_rate``, ``intersects``.

    References
    ----------
    Beuk, C. H. (1984). A method for reaching a compromise between absolute and relative
    standards in examinations. *Journal of Educational Measurement*, 21(2), 147-152.
    Cizek & Bunch (2007), ch. 13.

    Tested against: a hand-computed 10-examinee, 4-judge example
    (``tests/unit/standard_setting/test_compromise.py``, abs 1e-12); the cut lies on
    the observed curve and on the Beuk line (hypothesis property).
    """
    judgements = beuk_from_frame(judgements, max_score=max_score)
    curve = failure_curve(raw, max_score)
    rows = []
    notes = []
    for (rnd,), part in judgements.group_by(["round"], maintain_order=True):
        k = part["cut"].to_numpy()
        v = part["pass_rate"].to_numpy()
        kbar, vbar = float(k.mean()), float(v.mean())
        sk, sv = float(np.std(k, ddof=1)), float(np.std(v, ddof=1))
        if sk == 0:
            cut, hit, slope = kbar, True, None
            notes.append(f"round {rnd}: judges agree on the cut (SD 0); the cut is their mean")
        else:
            slope = sv / sk
            xs = _breakpoints(0.0, float(max_score))
            # P(c) - line(c) falls with c; its negative rises: find where it reaches 0.
            diff = (1.0 - observed_fail_rate(curve, xs)) - (vbar + slope * (xs - kbar))
            cut, hit = _first_crossing(xs, -diff)
            if not hit:
                notes.append(
                    f"round {rnd}: the Beuk line misses the observed pass-rate curve within "
                    f"0..{max_score}; cut set to {cut:g}"
                )
        fail = float(observed_fail_rate(curve, cut))
        rows.append((rnd, part.height, kbar, sk, vbar, sv, slope, cut, fail, 1.0 - fail, hit))
    rounds = pl.DataFrame(
        rows,
        schema=BEUK_ROUND_SCHEMA,
        orient="row",
    ).sort("round")
    return _final_round_result("beuk", rounds, curve, judgements, max_score, notes)
