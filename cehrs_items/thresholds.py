"""The item-review flag thresholds: names, defaults, types and checks, declared once.

:class:`Thresholds` is what ``cehrs-items analyze`` flags items with
(:mod:`cehrs_items.analysis.flags`); :func:`thresholds_from` applies overrides given as a
mapping or as ``NAME=VALUE`` strings and names any bad one. This module imports nothing
heavier than :mod:`cehrs_items.errors`, so ``validate`` can check a bank's
``[thresholds]`` (:mod:`cehrs_items.house`) without loading the analysis stage.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cehrs_items.errors import InputError


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of the item-review flags and data-quality findings.

    Attributes
    ----------
    p_low, p_high
        Flag ``low_p`` when p < ``p_low`` and ``high_p`` when p > ``p_high``.
    item_rest_r_low
        Flag ``low_item_rest_r`` when item_rest_r < this value.
    item_rest_r_negative
        Flag ``negative_item_rest_r`` (check the key) when item_rest_r < this value.
    distractor_pb_max
        Flag ``distractor_positive_pb`` when a distractor's point-biserial > this value.
    distractor_min_proportion
        Flag ``distractor_rarely_chosen`` when a distractor is chosen by a share < this.
    min_n
        Flag ``small_n`` (and report a finding) when an item has fewer examinees.
    min_focal, min_reference
        Warn (finding) when the DIF focal or reference group is smaller; still computed.
    upper_lower_fraction
        Share of examinees in each of the upper and lower groups of ``upper_lower_d``.
    score_groups
        Number of score groups of the option quantile table (5: quintiles).
    purify_categories
        ETS categories removed from the matching score at stage two of ``--dif-purify``.
    dif_flag_categories
        ETS categories that put ``dif_<category>`` in an item's flags.
    """

    p_low: float = 0.30
    p_high: float = 0.90
    item_rest_r_low: float = 0.20
    item_rest_r_negative: float = 0.0
    distractor_pb_max: float = 0.0
    distractor_min_proportion: float = 0.05
    min_n: int = 30
    min_focal: int = 100
    min_reference: int = 100
    upper_lower_fraction: float = 0.27
    score_groups: int = 5
    purify_categories: str = "BC"
    dif_flag_categories: str = "C"

    def __post_init__(self) -> None:
        problems = []
        if not 0.0 < self.upper_lower_fraction <= 0.5:
            problems.append("upper_lower_fraction must be in (0, 0.5]")
        if self.score_groups < 1:
            problems.append("score_groups must be at least 1")
        for name in ("purify_categories", "dif_flag_categories"):
            value = getattr(self, name)
            if set(value) - set("ABC"):
                problems.append(f"{name} must be letters from A, B, C (got {value!r})")
        for name in ("min_n", "min_focal", "min_reference"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be non-negative")
        if problems:
            raise InputError(f"flag thresholds: {'; '.join(problems)}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_FIELDS = {f.name: f for f in dataclasses.fields(Thresholds)}


def _coerce(name: str, value: Any, where: str) -> Any:
    if name not in _FIELDS:
        known = ", ".join(sorted(_FIELDS))
        raise InputError(f"{where}: unknown flag threshold {name!r} (known: {known})")
    default = getattr(Thresholds(), name)
    try:
        if isinstance(default, str):
            text = str(value).strip().upper().replace(",", "").replace(" ", "")
            return text
        if isinstance(default, int):
            number = float(value)
            if not number.is_integer():
                raise ValueError
            return int(number)
        number = float(value)
        if not math.isfinite(number):
            raise ValueError
        return number
    except (TypeError, ValueError):
        kind = type(default).__name__
        raise InputError(
            f"{where}: flag threshold {name}={value!r} is not a valid {kind}"
        ) from None


def thresholds_from(
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    *,
    base: Thresholds | None = None,
    where: str = "--flag-threshold",
) -> Thresholds:
    """Thresholds with ``overrides`` applied: a mapping, or ``NAME=VALUE`` strings."""
    base = base or Thresholds()
    if overrides is None:
        return base
    items: list[tuple[str, Any]] = []
    if isinstance(overrides, Mapping):
        items = list(overrides.items())
    else:
        for text in overrides:
            name, sep, value = str(text).partition("=")
            if not sep or not name.strip():
                raise InputError(f"{where}: {text!r} is not NAME=VALUE (e.g. p_low=0.25)")
            items.append((name.strip(), value.strip()))
    changes = {name: _coerce(name, value, where) for name, value in items}
    return dataclasses.replace(base, **changes)
