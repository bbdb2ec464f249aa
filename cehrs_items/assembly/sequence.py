"""Position sequencing: which selected item goes at which position of a form.

A deterministic constructive algorithm (given the seed), checked afterwards by
:func:`cehrs_items.assembly.check.check_form`:

1. **Pretest slots.** The positions ``1..N`` are cut into ``P`` consecutive blocks of
   ``floor(N/P)`` or ``ceil(N/P)`` positions (block ``j`` ends at ``floor((j+1) N / P)``)
   and one pretest slot is drawn uniformly inside each block. Pretest items are thus
   spread through the form: no stretch of more than ``2 ceil(N/P) - 1`` positions goes
   without a pretest item, and none sits more than ``ceil(N/P)`` from either end. The
   check allows ``pretest_gap_factor * ceil(N/P)`` (default 2).
2. **Anchors** (common items with the base form) keep their base-form position when it
   is a scored slot of the new form, else the nearest free scored slot, so that position
   effects do not bias the common-item equating (Kolen & Brennan 2014, sec. 6.7).
3. **Keys.** The remaining scored and pretest items are shuffled with the seed and placed
   in order by a depth-first search over key letters: at each free position the search
   tries the key of the next item in the shuffled queue first, and skips any key that
   would make a run of one key longer than ``max_run`` (counting fixed anchors on both
   sides). Items with the same role and key are interchangeable for the constraint, so
   the search branches over at most five letters per position and backtracks rarely;
   a step budget bounds it. If no order exists with anchors fixed, anchors are released;
   if none exists at all, :class:`~cehrs_items.errors.InfeasibleError` names the keys.
"""

from __future__ import annotations

import math
import sys
from collections import deque
from dataclasses import dataclass

import numpy as np

from cehrs_items.errors import InfeasibleError

SEARCH_BUDGET = 200_000
"""Most positions the key search may try before giving up."""


@dataclass(frozen=True)
class SlotItem:
    """An item to place: its pool index, key letter, role and (for anchors) base position."""

    index: int
    key: str
    role: str
    base_position: int = 0


def pretest_positions(n_total: int, n_pretest: int, rng: np.random.Generator) -> list[int]:
    """One position drawn uniformly in each of ``n_pretest`` consecutive blocks of ``1..n_total``."""
    if n_pretest <= 0:
        return []
    if n_pretest > n_total:
        raise InfeasibleError(f"{n_pretest} pretest slots do not fit in {n_total} positions")
    edges = [(j * n_total) // n_pretest for j in range(n_pretest + 1)]
    return [int(rng.integers(edges[j] + 1, edges[j + 1] + 1)) for j in range(n_pretest)]


def max_pretest_gap(n_total: int, n_pretest: int, factor: float = 2.0) -> int:
    """Longest allowed distance between consecutive pretest positions (ends included)."""
    if n_pretest <= 0:
        return n_total + 1
    return int(math.floor(factor * math.ceil(n_total / n_pretest)))


def pretest_gaps(positions: list[int], n_total: int) -> list[int]:
    """Distances 0 -> first, between consecutive positions, and last -> n_total + 1."""
    pts = [0, *sorted(positions), n_total + 1]
    return [b - a for a, b in zip(pts[:-1], pts[1:], strict=True)]


def longest_runs(keys: list[str]) -> tuple[int, int]:
    """Length and 1-based start of the longest run of one key letter."""
    best, best_start, run, start = 0, 0, 0, 0
    for p, k in enumerate(keys):
        if p and k == keys[p - 1]:
            run += 1
        else:
            run, start = 1, p
        if run > best:
            best, best_start = run, start + 1
    return best, best_start


def _place_anchors(anchors: list[SlotItem], scored_slots: list[int]) -> dict[int, SlotItem]:
    free = sorted(scored_slots)
    fixed: dict[int, SlotItem] = {}
    for item in sorted(anchors, key=lambda s: (s.base_position, s.index)):
        if not free:
            break
        target = item.base_position
        j = min(range(len(free)), key=lambda q: (abs(free[q] - target), free[q]))
        fixed[free.pop(j)] = item
    return fixed


def _search(
    roles: list[str],
    fixed: dict[int, SlotItem],
    queues: dict[str, list[SlotItem]],
    max_run: int | None,
) -> list[SlotItem] | None:
    n = len(roles)
    # per role, per key: deque of items in queue order; queue rank of each item
    pending: dict[str, dict[str, deque]] = {}
    rank: dict[int, int] = {}
    for role, queue in queues.items():
        pending[role] = {}
        for r, item in enumerate(queue):
            pending[role].setdefault(item.key, deque()).append(item)
            rank[item.index] = r
    keys_at: list[str | None] = [None] * n
    for p, item in fixed.items():
        keys_at[p - 1] = item.key
    out: list[SlotItem | None] = [None] * n
    for p, item in fixed.items():
        out[p - 1] = item
    steps = 0

    def run_ok(p: int, key: str) -> bool:
        if max_run is None:
            return True
        left = 0
        q = p - 1
        while q >= 0 and keys_at[q] == key:
            left += 1
            q -= 1
        right = 0
        q = p + 1
        while q < n and keys_at[q] == key and (q + 1) in fixed:
            right += 1
            q += 1
        return left + 1 + right <= max_run

    limit = sys.getrecursionlimit()
    if limit < n + 100:
        sys.setrecursionlimit(n + 100)

    def visit(p: int) -> bool:
        nonlocal steps
        if p == n:
            return True
        steps += 1
        if steps > SEARCH_BUDGET:
            return False
        if (p + 1) in fixed:
            if not run_ok(p, fixed[p + 1].key):
                return False
            return visit(p + 1)
        role = roles[p]
        options = [(rank[d[0].index], key) for key, d in pending[role].items() if d]
        for _, key in sorted(options):
            if not run_ok(p, key):
                continue
            item = pending[role][key].popleft()
            keys_at[p], out[p] = key, item
            if visit(p + 1):
                return True
            pending[role][key].appendleft(item)
            keys_at[p], out[p] = None, None
        return False

    try:
        ok = visit(0)
    finally:
        sys.setrecursionlimit(limit)
    return [o for o in out if o is not None] if ok else None


def sequence_form(
    scored: list[SlotItem],
    pretest: list[SlotItem],
    *,
    max_run: int | None,
    rng: np.random.Generator,
    keep_anchor_positions: bool = True,
) -> list[SlotItem]:
    """The items in position order (position = list index + 1); see the module notes."""
    n_total = len(scored) + len(pretest)
    pre_slots = set(pretest_positions(n_total, len(pretest), rng))
    roles = ["pretest" if p in pre_slots else "scored" for p in range(1, n_total + 1)]
    anchors = [s for s in scored if s.base_position > 0] if keep_anchor_positions else []
    scored_slots = [p for p in range(1, n_total + 1) if roles[p - 1] == "scored"]
    order_s = rng.permutation(len(scored))
    order_p = rng.permutation(len(pretest))
    attempts = [_place_anchors(anchors, scored_slots)] if anchors else []
    attempts.append({})
    for fixed in attempts:
        fixed_ids = {it.index for it in fixed.values()}
        queues = {
            "scored": [scored[j] for j in order_s if scored[j].index not in fixed_ids],
            "pretest": [pretest[j] for j in order_p],
        }
        result = _search(roles, fixed, queues, max_run)
        if result is not None:
            return result
    counts: dict[str, int] = {}
    for it in [*scored, *pretest]:
        counts[it.key] = counts.get(it.key, 0) + 1
    shown = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    raise InfeasibleError(
        f"key runs: no order of the {n_total} items keeps every run of one key at or below "
        f"{max_run} (keys on the form: {shown}); balance the keys of the pool"
    )
