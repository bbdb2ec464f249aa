"""Fixtures for the assembly tests: a 10-position blueprint and crafted in-memory banks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from cehrs_items.assembly import AssemblySettings, build_model, build_problem
from cehrs_items.assembly._synthetic import SMALL_BLUEPRINT, bank_from_docs, stats_for, tiny_items
from cehrs_items.assembly.constraints import SCORED
from cehrs_items.assembly.milp import highs_options, selected, solve_model
from cehrs_items.blueprint import Blueprint, blueprint_from_data

STRONG = (2.5, -0.2, 0.0)
"""Item parameters of a 'tempting' item: very informative near the tiny blueprint's cut."""
WEAK = (0.4, -0.2, 0.2)


@pytest.fixture
def tiny_blueprint() -> Blueprint:
    return blueprint_from_data(copy.deepcopy(SMALL_BLUEPRINT), path="tiny.yaml")


def plain_items(n_per_sub: int = 3, *, pretest_per_domain: int = 3) -> list[dict]:
    """A balanced tiny bank: n operational items per subdomain, keys cycling A-D."""
    return tiny_items(n_per_sub, pretest_per_domain=pretest_per_domain)


def make_bank(docs: list[dict], params: dict | None = None, *, default=WEAK):
    """An in-memory bank; every item gets ``default`` parameters unless ``params`` names it."""
    params = params or {}
    table = {d["id"]: params.get(d["id"], default) for d in docs}
    return bank_from_docs(docs, stats_for(table), root="<tiny>")


def by_id(docs: list[dict]) -> dict[str, dict]:
    return {d["id"]: d for d in docs}


def solve_selection(problem, *, omit=(), time_limit: float = 20.0):
    """Solve the full model (omitting groups); return per form the (item_id, role) pairs or None."""
    model = build_model(problem, omit=frozenset(omit))
    outcome = solve_model(model, highs_options(time_limit=time_limit, mip_rel_gap=1e-6))
    if not outcome.has_solution:
        return None
    pool = problem.pool
    return [
        [(str(pool.ids[i]), "scored" if r == SCORED else "pretest") for i, r in form]
        for form in selected(model, outcome.x)
    ]


@pytest.fixture
def solve() -> Callable:
    return solve_selection


@pytest.fixture
def problem_for(tiny_blueprint) -> Callable:
    def build(docs, params=None, *, base_form=None, **settings):
        bank = make_bank(docs, params)
        return build_problem(
            bank, tiny_blueprint, AssemblySettings(**settings), base_form=base_form
        )

    return build


def scored_ids(form) -> list[str]:
    return [i for i, role in form if role == "scored"]


def pretest_ids(form) -> list[str]:
    return [i for i, role in form if role == "pretest"]


@pytest.fixture
def kit(tiny_blueprint, problem_for) -> SimpleNamespace:
    """The helpers above in one place, for tests in this folder."""
    return SimpleNamespace(
        bp=tiny_blueprint,
        items=plain_items,
        bank=make_bank,
        by_id=by_id,
        problem=problem_for,
        solve=solve_selection,
        scored=scored_ids,
        pretest=pretest_ids,
        STRONG=STRONG,
        WEAK=WEAK,
    )
