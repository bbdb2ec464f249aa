"""Standard setting: where the cut comes from (modified Angoff, Hofstee, Beuk, Bookmark).

Each method is a pure function over checked Polars frames returning a typed result;
the ``run_*`` functions read the panel's CSV files (``schemas/standard_setting.md``) and
the optional form, item parameters and observed scores, and :func:`write_run` writes the
folder (``cut.json`` plus tables) that ``scale --standard`` and ``report`` read.

- :func:`angoff` (:class:`AngoffSettings`, :class:`AngoffResult`)
- :func:`hofstee`, :func:`beuk` (:class:`CompromiseResult`)
- :func:`bookmark`, :func:`ordered_item_booklet` (:class:`BookmarkSettings`,
  :class:`BookmarkResult`)
- :func:`impact`, :func:`failure_curve`: pass rates a cut implies
- :func:`icc`: Shrout-Fleiss intraclass correlations
- panel readers: :func:`read_ratings`, :func:`read_hofstee`, :func:`read_beuk`,
  :func:`read_bookmarks` (and the ``*_from_frame`` checks)
"""

from cehrs_items.standard_setting.agreement import Icc, icc
from cehrs_items.standard_setting.angoff import AngoffResult, AngoffSettings, angoff
from cehrs_items.standard_setting.bookmark import (
    BookmarkResult,
    BookmarkSettings,
    bookmark,
    ordered_item_booklet,
    rp_location,
)
from cehrs_items.standard_setting.compromise import CompromiseResult, beuk, hofstee
from cehrs_items.standard_setting.impact import failure_curve, impact, observed_fail_rate
from cehrs_items.standard_setting.panel import (
    beuk_from_frame,
    bookmarks_from_frame,
    hofstee_from_frame,
    ratings_from_frame,
    read_beuk,
    read_bookmarks,
    read_hofstee,
    read_ratings,
)
from cehrs_items.standard_setting.run import (
    ObservedScores,
    StandardSettingRun,
    read_observed_scores,
    read_standard,
    run_angoff,
    run_beuk,
    run_bookmark,
    run_hofstee,
    run_impact,
    write_run,
)
from cehrs_items.standard_setting.summary import PanelStats, panel_stats, whole_cut
from cehrs_items.standard_setting.tcc import raw_from_theta, tcc_slope, theta_from_raw

__all__ = [
    "AngoffResult",
    "AngoffSettings",
    "BookmarkResult",
    "BookmarkSettings",
    "CompromiseResult",
    "Icc",
    "ObservedScores",
    "PanelStats",
    "StandardSettingRun",
    "angoff",
    "beuk",
    "beuk_from_frame",
    "bookmark",
    "bookmarks_from_frame",
    "failure_curve",
    "hofstee",
    "hofstee_from_frame",
    "icc",
    "impact",
    "observed_fail_rate",
    "ordered_item_booklet",
    "panel_stats",
    "ratings_from_frame",
    "raw_from_theta",
    "read_beuk",
    "read_bookmarks",
    "read_hofstee",
    "read_observed_scores",
    "read_ratings",
    "read_standard",
    "rp_location",
    "run_angoff",
    "run_beuk",
    "run_bookmark",
    "run_hofstee",
    "run_impact",
    "tcc_slope",
    "theta_from_raw",
    "whole_cut",
    "write_run",
]
