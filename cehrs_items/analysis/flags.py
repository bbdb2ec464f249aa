"""Review flags for item analysis: every threshold in one place, overridable.

:class:`Thresholds` holds the defaults named by the analyze issue (it is declared in
:mod:`cehrs_items.thresholds`, so that ``validate`` can check a bank's thresholds without
loading this stage); the CLI overrides them with ``--flag-threshold NAME=VALUE``
(repeatable) or ``--thresholds FILE.yaml`` (a mapping of the same names). :func:`item_flags` turns the item, option and DIF tables
into the semicolon list of the ``flags`` column; :data:`FLAG_DESCRIPTIONS` says in words
what each flag means (the names are stable and documented in ``docs/analysis.md``).

Analysis findings (data-quality notes returned with the result, never printed) and the
flags as findings use the rule ids in :data:`RULES` (declared in the rule catalogue,
:mod:`cehrs_items.catalogue.analysis`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import yaml

from cehrs_items.catalogue import FLAG_RULES, Rule, command_rules
from cehrs_items.errors import InputError
from cehrs_items.thresholds import Thresholds, thresholds_from


def read_thresholds(path: str | Path, *, base: Thresholds | None = None) -> Thresholds:
    """Thresholds from a YAML file holding a mapping of threshold names to values."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read thresholds file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}".splitlines()[0]) from exc
    if data is None:
        return base or Thresholds()
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of threshold names to values")
    return thresholds_from(data, base=base, where=str(path))


# Item flags, in the order they appear in the ``flags`` column.
FLAG_DESCRIPTIONS: dict[str, str] = {
    "all_omitted": "nobody answered the item",
    "all_correct": "everybody answered correctly (zero variance)",
    "all_incorrect": "nobody answered correctly (zero variance; check the key)",
    "low_p": "p below p_low (very hard)",
    "high_p": "p above p_high (very easy)",
    "low_item_rest_r": "item_rest_r below item_rest_r_low (weak discrimination)",
    "negative_item_rest_r": "item_rest_r below item_rest_r_negative (check the key)",
    "distractor_positive_pb": "a distractor has a point-biserial above distractor_pb_max",
    "distractor_rarely_chosen": "a distractor is chosen by fewer than distractor_min_proportion",
    "small_n": "fewer than min_n examinees",
    "dif_a": "DIF category A (listed only if dif_flag_categories includes A)",
    "dif_b": "DIF category B (listed only if dif_flag_categories includes B)",
    "dif_c": "DIF category C: large DIF, send to fairness review",
}
FLAG_ORDER = tuple(FLAG_DESCRIPTIONS)

# How much each flag asks of the reviewer: "review" (look at the item before it is used
# again) or "note" (worth knowing, no action by itself). A distractor chosen by under 5%
# is common on a well-working item (most 4-option items have one weak distractor), so it
# is a note; so is negligible DIF (category A, listed only when asked for).
FLAG_SEVERITY: dict[str, str] = {
    **dict.fromkeys(FLAG_ORDER, "review"),
    "distractor_rarely_chosen": "note",
    "dif_a": "note",
}
SEVERITY_ORDER = ("review", "note")


def flag_severity(flag: str) -> str:
    """``review`` or ``note`` for an item flag (unknown flags are ``review``)."""
    return FLAG_SEVERITY.get(flag, "review")


# Option-level flags (option_stats.csv ``flags`` column).
OPTION_FLAGS = ("distractor_positive_pb", "distractor_rarely_chosen")


RULES: dict[str, Rule] = command_rules("analyze")
"""The analysis rules (``ANA`` findings, ``FLAG`` review flags) from the rule catalogue."""

if set(FLAG_RULES) != set(FLAG_DESCRIPTIONS):  # pragma: no cover - guards the two tables
    raise RuntimeError("every item flag needs a FLAG rule in cehrs_items.catalogue.analysis")


def item_flags(
    *,
    n: np.ndarray,
    n_omitted: np.ndarray,
    p_value: np.ndarray,
    item_rest_r: np.ndarray,
    distractor_positive: np.ndarray,
    distractor_rare: np.ndarray,
    dif_category: list[str | None] | None,
    thresholds: Thresholds,
) -> list[str]:
    """The ``flags`` cell of each item (flags joined by ``;`` in :data:`FLAG_ORDER`).

    NaN statistics raise no threshold flag: an undefined correlation is reported by the
    zero-variance flags (``all_correct``, ``all_incorrect``, ``all_omitted``) instead.
    """
    t = thresholds
    out = []
    for j in range(len(n)):
        found: set[str] = set()
        answered = n[j] > 0
        if answered and n_omitted[j] >= n[j]:
            found.add("all_omitted")
        p = p_value[j]
        if answered and not math.isnan(p):
            if p >= 1.0:
                found.add("all_correct")
            elif p <= 0.0:
                found.add("all_incorrect")
            if p < t.p_low:
                found.add("low_p")
            if p > t.p_high:
                found.add("high_p")
        r = item_rest_r[j]
        if not math.isnan(r):
            if r < t.item_rest_r_low:
                found.add("low_item_rest_r")
            if r < t.item_rest_r_negative:
                found.add("negative_item_rest_r")
        if distractor_positive[j]:
            found.add("distractor_positive_pb")
        if distractor_rare[j]:
            found.add("distractor_rarely_chosen")
        if n[j] < t.min_n:
            found.add("small_n")
        if dif_category is not None:
            cat = dif_category[j]
            if cat is not None and cat in t.dif_flag_categories:
                found.add(f"dif_{cat.lower()}")
        out.append(";".join(f for f in FLAG_ORDER if f in found))
    return out
