"""Equating Form X (new) to Form Y (base): random groups, common-item (NEAT) and IRT.

Notation and methods follow Kolen & Brennan, *Test Equating, Scaling, and Linking*
(3rd ed., 2014). The entry point is :func:`equate`; the method families live in
:mod:`~cehrs_items.equating.random_groups`, :mod:`~cehrs_items.equating.neat` and
:mod:`~cehrs_items.equating.irt_based`, smoothing in
:mod:`~cehrs_items.equating.smoothing`, standard errors in :mod:`~cehrs_items.equating.se`
and input reading in :mod:`~cehrs_items.equating.inputs`.
"""

from cehrs_items.equating.api import ANALYTIC_SE, DESIGNS, canonical_method, compare, equate
from cehrs_items.equating.freq import BivariateDist, ScoreDist
from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.equating.result import EquatingResult

__all__ = [
    "ANALYTIC_SE",
    "DESIGNS",
    "BivariateDist",
    "EquatingResult",
    "IrtForm",
    "ScoreDist",
    "canonical_method",
    "compare",
    "equate",
]
