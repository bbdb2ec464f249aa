"""Problem preparation: apportionment, enemy cliques, the cut's theta, information, key bounds."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from cehrs_items.assembly import AssemblySettings, build_problem
from cehrs_items.assembly._synthetic import SMALL_BLUEPRINT
from cehrs_items.assembly.constraints import (
    enemy_cliques,
    information_matrix,
    key_bounds_for,
    largest_remainder,
    theta_for_raw,
)
from cehrs_items.blueprint import blueprint_from_data, load_blueprint
from cehrs_items.errors import InputError


def test_largest_remainder_cehrs_anchor_split(root):
    bp = load_blueprint(root / "item_bank" / "blueprint.yaml")
    weights = {d.domain: d.scored_items for d in bp.domains}
    assert largest_remainder(20, weights) == {1: 6, 2: 6, 3: 3, 4: 3, 5: 2}
    assert largest_remainder(25, weights) == {1: 7, 2: 8, 3: 4, 4: 4, 5: 2}
    assert largest_remainder(0, weights) == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    for total in range(0, 101):
        assert sum(largest_remainder(total, weights).values()) == total


def test_enemy_clique_cover_covers_every_pair():
    pairs = np.array([[0, 1], [0, 2], [1, 2], [2, 3], [4, 5]])
    cliques = enemy_cliques(6, pairs)
    assert [c.tolist() for c in cliques] == [[0, 1, 2], [2, 3], [4, 5]]
    covered = {(a, b) for c in cliques for a in c for b in c if a < b}
    assert {tuple(p) for p in pairs.tolist()} <= covered
    assert enemy_cliques(3, np.zeros((0, 2), dtype=int)) == []


def test_theta_for_raw_closed_form():
    """n identical 3PL items: n P(theta) = raw  =>  theta = b + ln((p - c)/(1 - p)) / (D a)."""
    n, a, b, c, d = 100, 1.3, -0.4, 0.2, 1.702
    raw = 70.0
    p = raw / n
    expected = b + math.log((p - c) / (1 - p)) / (d * a)
    theta, note = theta_for_raw(raw, np.full(n, a), np.full(n, b), np.full(n, c), np.full(n, d))
    assert note is None
    assert theta == pytest.approx(expected, abs=1e-8)


def test_theta_for_raw_outside_the_curve():
    a, b, c, d = (np.full(10, v) for v in (1.0, 0.0, 0.25, 1.0))
    theta, note = theta_for_raw(2.0, a, b, c, d)  # below the guessing floor of 2.5
    assert theta == -6.0 and "at or below" in note


def test_information_2pl_at_b_and_3pl_maximum():
    """2PL at theta = b: D^2 a^2 / 4. 3PL: maximum at theta = b + ln((1 + sqrt(1 + 8c))/2)/(D a)
    (Lord 1980, eq. 10-4; Baker & Kim 2004, ch. 1)."""
    info = information_matrix(
        [0.5], np.array([1.4]), np.array([0.5]), np.array([0.0]), np.array([1.7])
    )
    assert info[0, 0] == pytest.approx(1.7**2 * 1.4**2 / 4, abs=1e-12)
    a, b, c, d = 1.2, 0.3, 0.2, 1.0
    peak = b + math.log((1 + math.sqrt(1 + 8 * c)) / 2) / (d * a)
    grid = np.linspace(peak - 0.01, peak + 0.01, 201)
    values = information_matrix(grid, np.array([a]), np.array([b]), np.array([c]), np.array([d]))
    assert grid[int(np.argmax(values[0]))] == pytest.approx(peak, abs=2e-4)


def test_information_uses_each_items_scaling_constant():
    a, b, c = np.array([1.0, 1.0]), np.array([0.0, 0.0]), np.array([0.0, 0.0])
    info = information_matrix([0.0], a, b, c, np.array([1.0, 1.702]))
    assert info[:, 0] == pytest.approx([0.25, 1.702**2 / 4], abs=1e-12)


def test_key_bounds(root):
    bp = load_blueprint(root / "item_bank" / "blueprint.yaml")
    assert key_bounds_for(bp, ["A", "B"]) == {
        "A": (20, 30),
        "B": (20, 30),
        "C": (20, 30),
        "D": (20, 30),
    }
    # a letter beyond options_per_item is only capped
    assert key_bounds_for(bp, ["E"])["E"] == (0, 30)


def test_settings_are_checked(kit):
    docs = kit.items(3)
    with pytest.raises(InputError, match="--statistic: 'best'"):
        kit.problem(docs, statistic="best")
    with pytest.raises(InputError, match="--target: 'middle'"):
        kit.problem(docs, target="middle")
    with pytest.raises(InputError, match="--anchor-items needs --anchor-form"):
        kit.problem(docs, anchor_items=3)
    with pytest.raises(InputError, match="--max-exposure: 0"):
        kit.problem(docs, max_exposure=0)
    with pytest.raises(InputError, match="--forms: 0 forms"):
        kit.problem(docs, n_forms=0)


def test_defaults_resolve_from_the_blueprint(kit):
    data = copy.deepcopy(SMALL_BLUEPRINT)
    data["form"]["scored_items"] = 8
    bp = blueprint_from_data(data, path="t.yaml")
    problem = build_problem(kit.bank(kit.items(3)), bp, AssemblySettings(n_forms=3))
    assert problem.max_overlap == 1  # floor(0.2 * 8)
    assert problem.max_exposure == 3
    assert problem.form_ids == ("F1", "F2", "F3")
    many = build_problem(kit.bank(kit.items(3)), bp, AssemblySettings(n_forms=12))
    assert many.form_ids[0] == "F01" and many.form_ids[-1] == "F12"
