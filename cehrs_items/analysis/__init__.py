"""Classical item analysis, distractors, reliability, decision consistency and DIF.

The whole run is :func:`analyze` (what ``cehrs-items analyze`` calls); each family of
statistics is also a public function working on a score or option matrix:

- :mod:`~cehrs_items.analysis.classical`: :func:`item_stats`
- :mod:`~cehrs_items.analysis.options`: :func:`option_stats`
- :mod:`~cehrs_items.analysis.reliability`: :func:`kr20`, :func:`kr21`,
  :func:`coefficient_alpha`, :func:`alpha_if_deleted`, :func:`standard_error_of_measurement`
- :mod:`~cehrs_items.analysis.decision`: :func:`lord_csem`, :func:`pass_rate`,
  :func:`livingston_lewis`, :func:`subkoviak`
- :mod:`~cehrs_items.analysis.dif`: :func:`mantel_haenszel`, :func:`ets_category`
- :mod:`~cehrs_items.analysis.flags`: :class:`Thresholds` and the flag rules
"""

from cehrs_items.analysis.classical import item_stats
from cehrs_items.analysis.decision import livingston_lewis, lord_csem, pass_rate, subkoviak
from cehrs_items.analysis.dif import ets_category, mantel_haenszel
from cehrs_items.analysis.flags import Thresholds, read_thresholds, thresholds_from
from cehrs_items.analysis.options import option_stats
from cehrs_items.analysis.pipeline import AnalysisResult, analyze
from cehrs_items.analysis.reliability import (
    alpha_if_deleted,
    coefficient_alpha,
    kr20,
    kr21,
    standard_error_of_measurement,
)

__all__ = [
    "AnalysisResult",
    "Thresholds",
    "alpha_if_deleted",
    "analyze",
    "coefficient_alpha",
    "ets_category",
    "item_stats",
    "kr20",
    "kr21",
    "livingston_lewis",
    "lord_csem",
    "mantel_haenszel",
    "option_stats",
    "pass_rate",
    "read_thresholds",
    "standard_error_of_measurement",
    "subkoviak",
    "thresholds_from",
]
