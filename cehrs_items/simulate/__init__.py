"""Synthetic data for scale tests and recovery studies: ``cehrs-items simulate``.

- :mod:`~cehrs_items.simulate.params`: 3PL parameters drawn from documented
  distributions and the classical statistics they imply;
- :mod:`~cehrs_items.simulate.stats`: the synthetic statistics table of a bank;
- :mod:`~cehrs_items.simulate.bank`: a synthetic bank of N schema-valid items;
- :mod:`~cehrs_items.simulate.responses`: responses to a form or bank, with ground truth.

Entry functions, their settings and results (the common calls):
:func:`simulate_bank` (:class:`SimulateBankResult`), :func:`simulate_stats`
(:class:`SimulateStatsResult`), :func:`simulate_responses` (settings
:class:`ResponseSettings`, result :class:`SimulateResponsesResult`) and, in memory,
:func:`generate_bank`, :func:`generate_responses` and :func:`draw_item_params`
(:class:`ParamDistribution`, :class:`DrawnParams`).
"""

from cehrs_items.simulate.bank import (
    SimulateBankResult,
    SimulatedBank,
    generate_bank,
    simulate_bank,
)
from cehrs_items.simulate.params import DrawnParams, ParamDistribution, draw_item_params
from cehrs_items.simulate.responses import (
    ResponseSettings,
    SimulatedResponses,
    SimulateResponsesResult,
    generate_responses,
    simulate_responses,
)
from cehrs_items.simulate.stats import SimulateStatsResult, simulate_stats

__all__ = [
    "DrawnParams",
    "ParamDistribution",
    "ResponseSettings",
    "SimulateBankResult",
    "SimulateResponsesResult",
    "SimulateStatsResult",
    "SimulatedBank",
    "SimulatedResponses",
    "draw_item_params",
    "generate_bank",
    "generate_responses",
    "simulate_bank",
    "simulate_responses",
    "simulate_stats",
]
