"""Modified Angoff standard setting: judges rate each item for a minimally competent candidate."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.errors import DataError
from cehrs_items.standard_setting.agreement import icc
from cehrs_items.standard_setting.panel import ratings_from_frame
from cehrs_items.standard_setting.summary import PanelStats, panel_stats, whole_cut
from cehrs_items.standard_setting.tcc import tcc_slope, theta_from_raw
from cehrs_items.tables import table_schema


@dataclass(frozen=True)
class AngoffSettings:
    """Options of :func:`angoff`.

    ``yes_no``: ratings are 0/1 (Yes/No variant, Impara & Plake 1997). ``judge_z_max``:
    a judge whose cut lies more than this many SDs from the panel mean (in a round) is
    flagged. ``judge_r_min``: a judge whose ratings correlate below this with the
    empirical p-values is flagged. ``item_gap_max``: an item whose panel mean rating
    differs from its p-value by more than this, after removing the panel's average
    difference, is flagged.
    """

    yes_no: bool = False
    judge_z_max: float = 2.0
    judge_r_min: float = 0.30
    item_gap_max: float = 0.20


JUDGE_SCHEMA = table_schema("angoff_judges")
ITEM_SCHEMA = table_schema("angoff_items")
ROUND_SCHEMA = table_schema("angoff_rounds")


@dataclass(frozen=True)
class AngoffResult:
    """The panel's recommended cut and the tables behind it.

    ``judges``: one row per round and judge (:data:`JUDGE_SCHEMA`); ``items``: one row
    per round and item (:data:`ITEM_SCHEMA`); ``rounds``: one row per round
    (:data:`ROUND_SCHEMA`). ``raw_cut`` is the final round's panel mean, ``raw_cut_se``
    its standard error; ``theta_cut`` (with ``theta_cut_se``) when item parameters were
    given and the cut lies inside the TCC's range.
    """

    raw_cut: float
    raw_cut_se: float
    final_round: int
    panel: PanelStats
    judges: pl.DataFrame
    items: pl.DataFrame
    rounds: pl.DataFrame
    max_score: int
    theta_cut: float | None = None
    theta_cut_se: float | None = None
    settings: AngoffSettings = field(default_factory=AngoffSettings)
    notes: tuple[str, ...] = ()

    def cut_document(self) -> dict[str, Any]:
        """The ``cut.json`` content (without input hashes)."""
        final = self.rounds.filter(pl.col("round") == self.final_round).row(0, named=True)
        return {
            "method": "angoff",
            "raw_cut": self.raw_cut,
            "raw_cut_se": self.raw_cut_se,
            "raw_cut_whole": whole_cut(self.raw_cut),
            "theta_cut": self.theta_cut,
            "theta_cut_se": self.theta_cut_se,
            "max_score": self.max_score,
            "final_round": self.final_round,
            "panel": {
                **self.panel.as_dict(),
                "icc2_1": final["icc2_1"],
                "icc2_k": final["icc2_k"],
                "icc3_1": final["icc3_1"],
                "icc3_k": final["icc3_k"],
            },
            "settings": asdict(self.settings),
            "notes": list(self.notes),
        }


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 or np.std(x) == 0 or np.std(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def angoff(
    ratings: pl.DataFrame,
    *,
    p_values: pl.DataFrame | None = None,
    params: IrtForm | None = None,
    settings: AngoffSettings | None = None,
) -> AngoffResult:
    r"""Modified Angoff cut: the sum of item ratings per judge, averaged over the panel.

    Judge :math:`j` rates each item :math:`i` of the form with :math:`r_{ij}`, the
    probability that a minimally competent candidate answers it correctly (Yes/No: 0
    or 1). Per round:

    .. math::

        C_j = \sum_{i=1}^{n} r_{ij}, \qquad \bar C = \frac{1}{J}\sum_j C_j
            = \sum_i \bar r_i, \qquad
        SE(\bar C) = \frac{s_C}{\sqrt{J}}, \quad
        s_C^2 = \frac{1}{J-1}\sum_j (C_j - \bar C)^2

    The recommended raw cut is :math:`\bar C` of the last round (a fractional cut: a
    raw score passes when it is at or above it). ``change`` is the difference from the
    previous round (per judge and for the panel). Agreement: ICC(2,1), ICC(2,k),
    ICC(3,1), ICC(3,k) of the items x judges matrix (:func:`~.agreement.icc`). Judges
    are flagged ``outlier_cut`` when :math:`|z_j| = |C_j - \bar C| / s_C` exceeds
    ``judge_z_max``.

    With empirical ``p_values`` (impact data): per judge the Pearson correlation
    :math:`r_j` of the ratings with the p-values across items, flagged ``low_r_p_value``
    below ``judge_r_min`` (``constant_ratings`` when a judge gives one value
    throughout); per item the gap :math:`g_i = \bar r_i - p_i`, flagged
    ``rating_vs_p_value`` when :math:`|g_i - \bar g|` exceeds ``item_gap_max`` (ratings
    describe a borderline candidate, so a common offset from p-values is expected; an
    item out of line with it is not).

    With item parameters (``params``, the rated items on one theta scale): the theta cut
    solves :math:`\sum_i P_i(\theta) = \bar C` (test characteristic curve) and its SE is
    the delta-method :math:`SE(\bar C) / \tau'(\theta_{cut})`; per judge theta cuts
    likewise.

    Parameters
    ----------
    ratings : DataFrame
        ``judge_id``, ``item_id``, ``round`` (optional), ``rating``; checked with
        :func:`~.panel.ratings_from_frame` (complete, no duplicates, in [0, 1]).
    p_values : DataFrame, optional
        ``item_id``, ``p_value`` (e.g. ``item_stats.csv`` of ``analyze``).
    params : IrtForm, optional
        Parameters of exactly the rated items.
    settings : AngoffSettings, optional

    Returns
    -------
    AngoffResult

    References
    ----------
    Angoff, W. H. (1971). Scales, norms, and equivalent scores. In R. L. Thorndike (Ed.),
    *Educational Measurement* (2nd ed., pp. 508-600). Cizek, G. J., & Bunch, M. B.
    (2007). *Standard Setting*, ch. 6 (Angoff variations, SE across panelists).
    Shrout & Fleiss (1979) for the ICCs.

    Tested against: a hand-computed 3-judge x 4-item x 2-round panel (every cut, SD, SE,
    change and correlation written out in ``tests/unit/standard_setting/test_angoff.py``;
    abs 1e-12); the cut equals the sum of item means (hypothesis property).
    """
    s = settings or AngoffSettings()
    items_filter = list(params.item_ids) if params is not None else None
    ratings = ratings_from_frame(ratings, items=items_filter, yes_no=s.yes_no)
    item_ids = sorted(set(ratings.get_column("item_id").to_list()))
    if params is not None and set(item_ids) != set(params.item_ids):
        missing = sorted(set(params.item_ids) - set(item_ids))
        raise DataError(
            f"ratings: no rating for {len(missing)} scored item(s) of the form: "
            f"{', '.join(missing[:5])}; every scored item needs ratings"
        )
    notes: list[str] = []
    p_map: dict[str, float] = {}
    if p_values is not None:
        for col in ("item_id", "p_value"):
            if col not in p_values.columns:
                raise DataError(f"p-values: column {col!r} missing")
        p_map = {
            str(i): float(p)
            for i, p in p_values.select("item_id", "p_value").iter_rows()
            if p is not None and math.isfinite(float(p))
        }
        lacking = [i for i in item_ids if i not in p_map]
        if lacking:
            notes.append(
                f"no empirical p-value for {len(lacking)} rated item(s) "
                f"({', '.join(lacking[:5])}); they are left out of the correlations"
            )
    p_vec = np.array([p_map.get(i, np.nan) for i in item_ids])
    k_items = len(item_ids)

    judge_rows: list[tuple] = []
    item_rows: list[tuple] = []
    round_rows: list[tuple] = []
    previous: dict[str, float] = {}
    prev_mean: float | None = None
    stats_by_round: dict[int, PanelStats] = {}
    rounds = sorted(set(ratings.get_column("round").to_list()))
    for rnd in rounds:
        part = ratings.filter(pl.col("round") == rnd)
        # Complete and sorted by judge, then item: reshape instead of pivoting.
        part = part.sort("judge_id", "item_id")
        judges = part.get_column("judge_id").unique(maintain_order=True).to_list()
        round_items = part.get_column("item_id").head(k_items).to_list()
        matrix = part.get_column("rating").to_numpy().reshape(len(judges), k_items).T
        cuts = matrix.sum(axis=0)
        stats = panel_stats(cuts)
        stats_by_round[rnd] = stats
        agreement = icc(matrix)
        thetas = theta_from_raw(params, cuts) if params is not None else np.full(cuts.size, np.nan)
        for j, judge in enumerate(judges):
            z = None if stats.sd == 0 else (cuts[j] - stats.mean) / stats.sd
            r = _pearson(matrix[:, j], p_vec) if p_map else None
            flags = []
            if z is not None and abs(z) > s.judge_z_max:
                flags.append("outlier_cut")
            if p_map:
                if np.std(matrix[:, j]) == 0:
                    flags.append("constant_ratings")
                elif r is not None and r < s.judge_r_min:
                    flags.append("low_r_p_value")
            judge_rows.append(
                (
                    rnd,
                    judge,
                    k_items,
                    float(cuts[j]),
                    float(cuts[j] / k_items),
                    float(cuts[j] - previous[judge]) if judge in previous else None,
                    z,
                    r,
                    None if math.isnan(thetas[j]) else float(thetas[j]),
                    ";".join(flags),
                )
            )
        previous = {judge: float(cuts[j]) for j, judge in enumerate(judges)}
        means = matrix.mean(axis=1)
        sds = matrix.std(axis=1, ddof=1)
        gaps = means - p_vec
        mean_gap = float(np.nanmean(gaps)) if p_map and np.isfinite(gaps).any() else None
        for i, item in enumerate(round_items):
            flags = []
            gap = None if math.isnan(gaps[i]) else float(gaps[i])
            if gap is not None and mean_gap is not None and abs(gap - mean_gap) > s.item_gap_max:
                flags.append("rating_vs_p_value")
            item_rows.append(
                (
                    rnd,
                    item,
                    len(judges),
                    float(means[i]),
                    float(sds[i]),
                    float(matrix[i].min()),
                    float(matrix[i].max()),
                    p_map.get(item),
                    gap,
                    ";".join(flags),
                )
            )
        theta_mean = theta_from_raw(params, stats.mean)[0] if params is not None else math.nan
        round_rows.append(
            (
                rnd,
                stats.n,
                k_items,
                stats.mean,
                stats.median,
                stats.sd,
                stats.se,
                None if prev_mean is None else stats.mean - prev_mean,
                agreement.icc2_1,
                agreement.icc2_k,
                agreement.icc3_1,
                agreement.icc3_k,
                None if math.isnan(theta_mean) else float(theta_mean),
            )
        )
        prev_mean = stats.mean
        if agreement.icc2_1 is None:
            notes.append(f"round {rnd}: ICC undefined (no variation in the ratings)")
    final_round = rounds[-1]
    final = stats_by_round[final_round]
    theta_cut = theta_se = None
    if params is not None:
        t = theta_from_raw(params, final.mean)[0]
        if math.isnan(t):
            notes.append(
                f"raw cut {final.mean:.4g} lies outside the TCC's range "
                f"({float(params.c.sum()):.4g}, {params.max_score}); no theta cut"
            )
        else:
            theta_cut = float(t)
            theta_se = float(final.se / tcc_slope(params, t)[0])
    return AngoffResult(
        raw_cut=final.mean,
        raw_cut_se=final.se,
        final_round=final_round,
        panel=final,
        judges=pl.DataFrame(judge_rows, schema=JUDGE_SCHEMA, orient="row"),
        items=pl.DataFrame(item_rows, schema=ITEM_SCHEMA, orient="row"),
        rounds=pl.DataFrame(round_rows, schema=ROUND_SCHEMA, orient="row"),
        max_score=k_items,
        theta_cut=theta_cut,
        theta_cut_se=theta_se,
        settings=s,
        notes=tuple(notes),
    )
