"""Panel statistics shared by the methods: mean, median, SD and SE of judges' cuts."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from cehrs_items.errors import DataError

SQRT_HALF_PI = math.sqrt(math.pi / 2.0)


@dataclass(frozen=True)
class PanelStats:
    r"""Summary of the judges' cuts in one round.

    ``sd`` uses the divisor :math:`J - 1`; ``se`` is :math:`s / \sqrt{J}` (the SE of the
    panel mean); ``se_median`` is :math:`\sqrt{\pi/2}\, s / \sqrt{J}`, the large-sample SE
    of a median of normally distributed values (Kendall & Stuart), given for panels that
    report the median.
    """

    n: int
    mean: float
    median: float
    sd: float
    se: float
    se_median: float
    min: float
    max: float

    def as_dict(self) -> dict[str, Any]:
        return {f"judges_{k}" if k == "n" else f"cut_{k}": v for k, v in asdict(self).items()}


def panel_stats(cuts: np.ndarray) -> PanelStats:
    r"""Mean, median, SD (divisor :math:`J-1`) and :math:`SE = SD / \sqrt{J}` of judges' cuts.

    Tested against: hand computation in the Angoff and Bookmark worked examples (abs 1e-12).
    """
    x = np.asarray(cuts, dtype=np.float64)
    if x.size < 2:
        raise DataError(f"a panel needs at least two judges (got {x.size})")
    sd = float(np.std(x, ddof=1))
    se = sd / math.sqrt(x.size)
    return PanelStats(
        n=int(x.size),
        mean=float(x.mean()),
        median=float(np.median(x)),
        sd=sd,
        se=se,
        se_median=SQRT_HALF_PI * se,
        min=float(x.min()),
        max=float(x.max()),
    )


def whole_cut(raw_cut: float) -> int:
    """The lowest whole raw score that passes a (possibly fractional) raw cut."""
    return int(math.ceil(raw_cut - 1e-9))
