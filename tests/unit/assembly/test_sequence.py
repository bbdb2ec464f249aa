"""Position sequencing: pretest spread, key runs, anchor positions."""

from __future__ import annotations

import numpy as np
import pytest

from cehrs_items.assembly.sequence import (
    SlotItem,
    longest_runs,
    max_pretest_gap,
    pretest_gaps,
    pretest_positions,
    sequence_form,
)
from cehrs_items.errors import InfeasibleError


def items(keys: str, role: str, start: int = 0, base=None) -> list[SlotItem]:
    return [
        SlotItem(start + j, k, role, (base or {}).get(start + j, 0)) for j, k in enumerate(keys)
    ]


def test_pretest_positions_one_per_block():
    rng = np.random.default_rng(0)
    pos = pretest_positions(125, 25, rng)
    assert len(pos) == 25 and len(set(pos)) == 25
    for j, p in enumerate(pos):
        assert 5 * j < p <= 5 * (j + 1)
    assert max(pretest_gaps(pos, 125)) <= max_pretest_gap(125, 25) - 1


def test_pretest_gap_limit():
    assert max_pretest_gap(125, 25) == 10
    assert max_pretest_gap(10, 2) == 10
    assert max_pretest_gap(10, 0) == 11
    assert pretest_gaps([3, 8], 10) == [3, 5, 3]


def test_pretest_at_the_end_is_bunched():
    """What sequencing prevents: all pretest slots last leaves a long stretch without one."""
    gaps = pretest_gaps(list(range(101, 126)), 125)
    assert max(gaps) > max_pretest_gap(125, 25)


def test_longest_runs():
    assert longest_runs(list("ABBBCA")) == (3, 2)
    assert longest_runs([]) == (0, 0)


def test_runs_respected_and_needed():
    scored = items("AAAAABBBBBCCCCCDDDDD", "scored")
    pretest = items("AAAA", "pretest", start=100)
    unconstrained = []
    for seed in range(20):
        order = sequence_form(scored, pretest, max_run=2, rng=np.random.default_rng(seed))
        assert longest_runs([s.key for s in order])[0] <= 2
        assert sorted(s.index for s in order) == sorted(s.index for s in scored + pretest)
        free = sequence_form(scored, pretest, max_run=None, rng=np.random.default_rng(seed))
        unconstrained.append(longest_runs([s.key for s in free])[0])
    # without the run rule, shuffling alone produces runs above the limit
    assert max(unconstrained) > 2


def test_same_seed_same_order():
    scored = items("ABCDABCDABCDABCD", "scored")
    pretest = items("ABCD", "pretest", start=50)
    a = sequence_form(scored, pretest, max_run=3, rng=np.random.default_rng(7))
    b = sequence_form(scored, pretest, max_run=3, rng=np.random.default_rng(7))
    c = sequence_form(scored, pretest, max_run=3, rng=np.random.default_rng(8))
    assert a == b and a != c


def test_roles_follow_the_pretest_slots():
    scored = items("ABCDABCDABCDABCDABCD", "scored")
    pretest = items("ABCDA", "pretest", start=50)
    order = sequence_form(scored, pretest, max_run=3, rng=np.random.default_rng(1))
    pre = [p for p, s in enumerate(order, start=1) if s.role == "pretest"]
    assert len(pre) == 5
    for j, p in enumerate(pre):
        assert 5 * j < p <= 5 * (j + 1)


def test_anchors_keep_base_positions():
    base = {0: 1, 1: 2, 2: 7}
    scored = items("ABCDABCD", "scored", base=base)
    pretest = items("AB", "pretest", start=50)
    order = sequence_form(scored, pretest, max_run=3, rng=np.random.default_rng(3))
    where = {s.index: p for p, s in enumerate(order, start=1)}
    pre = {p for p, s in enumerate(order, start=1) if s.role == "pretest"}
    for index, base_pos in base.items():
        if base_pos not in pre:
            assert where[index] == base_pos
        else:
            assert abs(where[index] - base_pos) == 1


def test_anchors_released_when_they_block_the_run_rule():
    # three anchors keyed A at base positions 1-3 with max_run 2: cannot stay there
    base = {0: 1, 1: 2, 2: 3}
    scored = items("AAABCDBC", "scored", base=base)
    order = sequence_form(scored, [], max_run=2, rng=np.random.default_rng(0))
    assert longest_runs([s.key for s in order])[0] <= 2


def test_impossible_order_is_explained():
    scored = items("AAAAAAB", "scored")
    with pytest.raises(InfeasibleError, match=r"key runs: .*at or below 2 .*A: 6, B: 1"):
        sequence_form(scored, [], max_run=2, rng=np.random.default_rng(0))
