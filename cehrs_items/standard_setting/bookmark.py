"""Bookmark standard setting: judges place a bookmark in an IRT-ordered item booklet."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.errors import DataError, InputError
from cehrs_items.standard_setting.panel import bookmarks_from_frame
from cehrs_items.standard_setting.summary import PanelStats, panel_stats, whole_cut
from cehrs_items.standard_setting.tcc import raw_from_theta, tcc_slope
from cehrs_items.tables import table_schema

Guessing = Literal["include", "exclude"]
Location = Literal["at", "before", "midpoint"]
Center = Literal["mean", "median"]


@dataclass(frozen=True)
class BookmarkSettings:
    """Options of :func:`bookmark` and :func:`ordered_item_booklet`.

    ``rp``: the response probability (mastery criterion), default 0.67.
    ``guessing``: ``include`` solves the full 3PL :math:`P_j(\\theta) = RP` (items with
    :math:`c_j \\ge RP` cannot be placed and are refused); ``exclude`` applies RP to the
    part above guessing, :math:`(P_j - c_j)/(1 - c_j) = RP`, i.e. the 2PL location.
    ``location``: the theta a bookmark on page p stands for: ``at`` the RP location of
    the bookmarked item (page p), ``before`` that of the last item before it (page p-1,
    the last one mastered), ``midpoint`` halfway between the two.
    ``center``: the panel's cut is the ``mean`` or ``median`` of the judges' theta cuts.
    """

    rp: float = 0.67
    guessing: Guessing = "include"
    location: Location = "at"
    center: Center = "mean"


def rp_location(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, *, rp: float, guessing: Guessing
) -> np.ndarray:
    r"""Theta at which each item is answered correctly with probability ``rp``.

    ``include`` (full 3PL):

    .. math:: \theta_j = b_j + \frac{1}{D_j a_j} \ln \frac{RP - c_j}{1 - RP}

    ``exclude`` (RP applied above the guessing floor):

    .. math:: \theta_j = b_j + \frac{1}{D_j a_j} \ln \frac{RP}{1 - RP}

    NaN where ``include`` and :math:`c_j \ge RP` (no such theta).

    Tested against: hand-computed RP67 locations of 2PL and 3PL items (abs 1e-12) and
    :math:`P_j(\theta_j) = RP` for random items (hypothesis property, abs 1e-10).
    """
    a, b, c, d = (np.asarray(v, dtype=np.float64) for v in (a, b, c, d))
    if guessing == "include":
        with np.errstate(invalid="ignore", divide="ignore"):
            num = np.where(c < rp, rp - c, np.nan)
        return b + np.log(num / (1.0 - rp)) / (d * a)
    if guessing == "exclude":
        return b + math.log(rp / (1.0 - rp)) / (d * a)
    raise InputError(f"guessing {guessing!r} unknown; use include or exclude")


BOOKLET_SCHEMA = table_schema("bookmark_booklet")


def ordered_item_booklet(params: IrtForm, settings: BookmarkSettings | None = None) -> pl.DataFrame:
    """The ordered item booklet: items sorted by their RP location (ties by item id).

    Returns ``page`` (1 = easiest), ``item_id``, ``a``, ``b``, ``c``, ``d``,
    ``theta_rp`` (:func:`rp_location`) and ``raw_rp``, the form's expected raw score
    at that theta (TCC).

    Tested against: hand-computed RP67 locations of a 2PL and a 3PL item (abs 1e-12).
    """
    s = settings or BookmarkSettings()
    if not 0.0 < s.rp < 1.0:
        raise InputError(f"--rp {s.rp}: the response probability must lie strictly in (0, 1)")
    theta = rp_location(params.a, params.b, params.c, params.d, rp=s.rp, guessing=s.guessing)
    bad = np.isnan(theta)
    if bad.any():
        j = int(np.argmax(bad))
        raise DataError(
            f"{params.source or 'parameters'}: item {params.item_ids[j]!r}: c = "
            f"{params.c[j]:g} is not below RP {s.rp:g}, so no ability gives P = RP; use "
            "--guessing exclude or a higher --rp"
        )
    frame = pl.DataFrame(
        {
            "item_id": list(params.item_ids),
            "a": params.a,
            "b": params.b,
            "c": params.c,
            "d": params.d,
            "theta_rp": theta,
            "raw_rp": raw_from_theta(params, theta),
        }
    ).sort("theta_rp", "item_id")
    frame = frame.with_row_index("page", offset=1)
    return frame.select([pl.col(name).cast(dtype) for name, dtype in BOOKLET_SCHEMA.items()])


JUDGE_SCHEMA = table_schema("bookmark_judges")
ROUND_SCHEMA = table_schema("bookmark_rounds")


@dataclass(frozen=True)
class BookmarkResult:
    """The booklet, each judge's cut, the per-round panel cuts and the recommended cut."""

    theta_cut: float
    theta_cut_se: float
    raw_cut: float
    raw_cut_se: float
    final_round: int
    panel: PanelStats
    booklet: pl.DataFrame
    judges: pl.DataFrame
    rounds: pl.DataFrame
    max_score: int
    settings: BookmarkSettings = field(default_factory=BookmarkSettings)
    notes: tuple[str, ...] = ()

    def cut_document(self) -> dict[str, Any]:
        return {
            "method": "bookmark",
            "raw_cut": self.raw_cut,
            "raw_cut_se": self.raw_cut_se,
            "raw_cut_whole": whole_cut(self.raw_cut),
            "theta_cut": self.theta_cut,
            "theta_cut_se": self.theta_cut_se,
            "max_score": self.max_score,
            "final_round": self.final_round,
            "panel": {**{k.replace("cut_", "theta_"): v for k, v in self.panel.as_dict().items()}},
            "settings": asdict(self.settings),
            "notes": list(self.notes),
        }


def bookmark(
    placements: pl.DataFrame,
    params: IrtForm,
    *,
    settings: BookmarkSettings | None = None,
) -> BookmarkResult:
    r"""Bookmark cut: judges' pages in the ordered item booklet -> theta cut -> raw cut.

    Judge :math:`j` places the bookmark on page :math:`p_j` (the first item the
    minimally competent candidate would *not* answer correctly with probability RP).
    Their theta cut :math:`\theta_j` is the RP location of the item on that page
    (``location="at"``), of page :math:`p_j - 1` (``before``) or halfway between
    (``midpoint``). Per round the panel cut is the mean (or median) of the
    :math:`\theta_j`, with

    .. math:: SE(\bar\theta) = s_\theta / \sqrt{J}, \qquad
              SE(\tilde\theta) = \sqrt{\pi / 2}\; s_\theta / \sqrt{J}

    for the mean and the median. The raw cut is the form's TCC at the theta cut,
    :math:`\tau(\theta_{cut}) = \sum_i P_i(\theta_{cut})`, and its SE the delta-method
    :math:`\tau'(\theta_{cut})\, SE(\theta_{cut})`. The recommended cut is that of the
    last round.

    Parameters
    ----------
    placements : DataFrame
        ``judge_id``, ``round`` (optional), ``page`` (checked by
        :func:`~.panel.bookmarks_from_frame`).
    params : IrtForm
        Parameters of the booklet's items (the form's scored items) on one theta scale.
    settings : BookmarkSettings, optional

    Returns
    -------
    BookmarkResult

    References
    ----------
    Mitzel, H. C., Lewis, D. M., Patz, R. J., & Green, D. R. (2001). The Bookmark
    procedure: psychological perspectives. In G. J. Cizek (Ed.), *Setting Performance
    Standards* (pp. 249-281). Cizek & Bunch (2007), ch. 10. Karantonis & Sireci (2006)
    on the location conventions.

    Tested against: a hand-computed 4-item booklet and 3-judge panel
    (``tests/unit/standard_setting/test_bookmark.py``, abs 1e-10); the theta cut of a
    single judge solves :math:`P = RP` for the bookmarked item (hypothesis property).
    """
    s = settings or BookmarkSettings()
    if s.location not in ("at", "before", "midpoint"):
        raise InputError(f"location {s.location!r} unknown; use at, before or midpoint")
    if s.center not in ("mean", "median"):
        raise InputError(f"center {s.center!r} unknown; use mean or median")
    booklet = ordered_item_booklet(params, s)
    n_pages = booklet.height
    placements = bookmarks_from_frame(placements, n_pages=n_pages)
    if s.location != "at":
        first = placements.filter(pl.col("page") == 1)
        if first.height:
            raise DataError(
                f"bookmarks: judge {first['judge_id'][0]!r}, round {first['round'][0]}: page 1 "
                f"has no item before it, which location={s.location!r} needs; use location at"
            )
    loc = booklet.get_column("theta_rp").to_numpy()
    ids = booklet.get_column("item_id").to_list()
    judge_rows = []
    round_rows = []
    previous: dict[str, float] = {}
    prev_cut: float | None = None
    stats_by_round: dict[int, tuple[PanelStats, float, float, float, float]] = {}
    for (rnd,), part in placements.group_by(["round"], maintain_order=True):
        pages = part.get_column("page").to_numpy()
        at = loc[pages - 1]
        if s.location == "at":
            thetas = at
        else:
            before = loc[pages - 2]
            thetas = before if s.location == "before" else 0.5 * (at + before)
        raws = raw_from_theta(params, thetas)
        for judge, page, theta, raw in zip(
            part.get_column("judge_id").to_list(), pages, thetas, raws, strict=True
        ):
            judge_rows.append(
                (
                    rnd,
                    judge,
                    int(page),
                    ids[page - 1],
                    float(theta),
                    float(raw),
                    float(theta - previous[judge]) if judge in previous else None,
                )
            )
        previous = dict(zip(part.get_column("judge_id").to_list(), map(float, thetas), strict=True))
        stats = panel_stats(thetas)
        cut = stats.mean if s.center == "mean" else stats.median
        cut_se = stats.se if s.center == "mean" else stats.se_median
        raw_cut = float(raw_from_theta(params, cut)[0])
        raw_se = float(tcc_slope(params, cut)[0] * cut_se)
        stats_by_round[rnd] = (stats, cut, cut_se, raw_cut, raw_se)
        round_rows.append(
            (
                rnd,
                stats.n,
                float(np.median(pages)),
                stats.mean,
                stats.median,
                stats.sd,
                stats.se,
                cut,
                cut_se,
                raw_cut,
                raw_se,
                None if prev_cut is None else cut - prev_cut,
            )
        )
        prev_cut = cut
    final_round = max(stats_by_round)
    stats, cut, cut_se, raw_cut, raw_se = stats_by_round[final_round]
    return BookmarkResult(
        theta_cut=cut,
        theta_cut_se=cut_se,
        raw_cut=raw_cut,
        raw_cut_se=raw_se,
        final_round=final_round,
        panel=stats,
        booklet=booklet,
        judges=pl.DataFrame(judge_rows, schema=JUDGE_SCHEMA, orient="row"),
        rounds=pl.DataFrame(round_rows, schema=ROUND_SCHEMA, orient="row").sort("round"),
        max_score=params.max_score,
        settings=s,
    )
