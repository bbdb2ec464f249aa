"""``build_model`` is a table of named steps; each runs alone and adds only its own rows."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from cehrs_items.assembly import GROUPS, AssemblySettings, build_model, build_problem
from cehrs_items.assembly.constraints import with_settings
from cehrs_items.assembly.milp import MODEL_STEPS, _model_context, _to_model
from cehrs_items.bank import load_bank
from cehrs_items.blueprint import load_blueprint
from cehrs_items.forms import read_form

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "forms"

STEP_GROUPS = {
    "form_length": {"form_length"},
    "domain_scored": {"domain_scored"},
    "subdomain_min": {"subdomain_min"},
    "pretest_domain": {"pretest_domain"},
    "item_once": {"item_once"},
    "enemies": {"enemies"},
    "exposure": {"exposure"},
    "overlap_previous": {"overlap"},
    "overlap_pairs": {"overlap"},
    "overlap_secants": {"overlap"},
    "anchors": {"anchors"},
    "key_balance": {"key_balance"},
    "target": {"target", "target_tolerance"},
    "shadow": {
        "target",
        "domain_scored",
        "subdomain_min",
        "key_balance",
        "anchors",
        "enemies",
        "exposure",
        "overlap",
    },
    "tie_break": set(),
}
"""The constraint groups each step may add rows to ("target" rows carry no group code)."""

NEEDS = {
    "overlap_secants": ("overlap_pairs",),
    "target": ("overlap_pairs",),
    "shadow": ("overlap_pairs", "target"),
}
"""Steps whose columns a step uses or numbers after (run before it when it runs 'alone')."""


def _code(group: str) -> int:
    return GROUPS.index(group) if group in GROUPS else -1


@pytest.fixture(scope="module")
def problems():
    """Three scenarios that between them make every step add rows."""
    bank = load_bank(GOLDEN / "bank")
    blueprint = load_blueprint(GOLDEN / "bank" / "blueprint.yaml")
    base = read_form(GOLDEN / "good" / "base-form.json")
    settings = AssemblySettings(n_forms=3, seed=5, max_exposure=2, max_overlap=6, tolerance=0.5)
    three = build_problem(bank, blueprint, settings, base_form=base)
    one = with_settings(three, form_ids=("F9",))
    pool = one.pool
    earlier = np.flatnonzero(pool.scored_ok)[:8]
    return {
        "three forms": (three, {}),
        "no eligibility": (three, {"omit": {"eligibility"}}),
        "sequential with shadow": (
            one,
            {"previous": [(earlier, earlier)], "previous_ids": ("F0",), "shadow_forms": 2},
        ),
    }


def _run(problem, options, names):
    context = _model_context(problem, **options)
    blocks = {}
    for name, step in MODEL_STEPS:
        if name in names:
            before = context.rows.n
            step(context)
            blocks[name] = (before, context.rows.n)
    return context, blocks


def _block(model, start, stop):
    return (
        model.A[start:stop].toarray(),
        model.row_lb[start:stop],
        model.row_ub[start:stop],
        model.row_group[start:stop],
        model.row_form[start:stop],
        model.row_ref[start:stop],
    )


def test_every_step_is_named_and_documented():
    assert [name for name, _ in MODEL_STEPS] == list(STEP_GROUPS)
    for name, step in MODEL_STEPS:
        assert step.__doc__, name
    # the constraint-group steps follow the model order of GROUPS
    firsts = [min(STEP_GROUPS[name]) for name, _ in MODEL_STEPS[:12]]
    assert [GROUPS.index(g) for g in firsts] == sorted(GROUPS.index(g) for g in firsts)


def test_every_step_adds_rows_in_some_scenario(problems):
    added = set()
    for problem, options in problems.values():
        _, blocks = _run(problem, options, set(STEP_GROUPS))
        added |= {name for name, (start, stop) in blocks.items() if stop > start}
    assert added == set(STEP_GROUPS) - {"tie_break"}


@pytest.mark.parametrize("scenario", ["three forms", "no eligibility", "sequential with shadow"])
def test_steps_together_are_build_model(problems, scenario):
    problem, options = problems[scenario]
    context, _ = _run(problem, options, set(STEP_GROUPS))
    mine, theirs = _to_model(context), build_model(problem, **options)
    for name in ("c", "integrality", "var_lb", "var_ub", "row_lb", "row_ub", "row_group"):
        np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name), err_msg=name)
    assert (mine.A != theirs.A).nnz == 0
    assert mine.row_ref == theirs.row_ref and mine.y_col == theirs.y_col


@pytest.mark.parametrize("scenario", ["three forms", "no eligibility", "sequential with shadow"])
@pytest.mark.parametrize("name", list(STEP_GROUPS))
def test_each_step_alone_gives_its_block_of_the_model(problems, scenario, name):
    problem, options = problems[scenario]
    whole, blocks = _run(problem, options, set(STEP_GROUPS))
    alone, own = _run(problem, options, {name, *NEEDS.get(name, ())})
    start, stop = own[name]
    assert {int(g) for g in alone.rows.cat("group")[start:stop]} <= {
        _code(g) for g in STEP_GROUPS[name]
    }
    # same rows, same columns: the step depends on nothing but its context
    n_cols = whole.cols.n
    got = _block(_to_model(alone), start, stop)
    want = _block(_to_model(whole), *blocks[name])
    assert got[0].shape[0] == want[0].shape[0]
    np.testing.assert_array_equal(np.pad(got[0], ((0, 0), (0, n_cols - got[0].shape[1]))), want[0])
    for a, b in zip(got[1:], want[1:], strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("group", [g for g in GROUPS if g != "eligibility"])
def test_an_omitted_group_gets_no_rows(problems, group):
    for problem, options in problems.values():
        omit = set(options.get("omit", ())) | {group}
        model = build_model(problem, **{**options, "omit": omit})
        assert _code(group) not in set(model.row_group.tolist())
        assert group in model.omitted and group not in model.groups


def test_form_length_and_counting_steps(problems):
    problem, _ = problems["three forms"]
    bp, k = problem.blueprint, problem.n_forms
    context, blocks = _run(
        problem, {}, {"form_length", "domain_scored", "pretest_domain", "key_balance"}
    )
    model = _to_model(context)
    start, stop = blocks["form_length"]
    assert model.row_lb[start:stop].tolist() == [bp.scored_items, bp.pretest_items] * k
    # every x column sits in exactly one form-length row
    assert model.A[start:stop].sum(axis=0).tolist()[0] == [1.0] * model.n_x
    start, stop = blocks["domain_scored"]
    assert stop - start == k * len(bp.domains)
    assert sum(model.row_lb[start:stop]) == k * bp.scored_items
    start, stop = blocks["key_balance"]
    assert stop - start == k * len(problem.key_letters)


def test_target_step_sets_the_objective_column(problems):
    problem, _ = problems["three forms"]
    context, blocks = _run(problem, {}, {"target"})
    assert context.y_col == context.n_x  # the first continuous column
    start, stop = blocks["target"]
    # two rows per matched feature and form, plus the tolerance row
    assert stop - start == 2 * problem.target.m * problem.n_forms + 1
    feasibility, _ = _run(problem, {"objective": "feasibility"}, {"target"})
    assert feasibility.y_col is None and feasibility.rows.n == 0


def test_tie_break_step_is_seeded(problems):
    problem, _ = problems["three forms"]
    first, _ = _run(problem, {}, {"tie_break"})
    again, _ = _run(problem, {}, {"tie_break"})
    other, _ = _run(
        with_settings(problem, settings=dataclasses.replace(problem.settings, seed=6)),
        {},
        {"tie_break"},
    )
    np.testing.assert_array_equal(first.c_x, again.c_x)
    assert not np.array_equal(first.c_x, other.c_x)
    # whatever the forms pick (K times the form length of x columns), the costs add < 1e-4
    picked = problem.n_forms * problem.blueprint.total_items
    assert 0 < np.sort(first.c_x)[-picked:].sum() <= 1e-4
    feasibility, _ = _run(problem, {"objective": "feasibility"}, {"tie_break"})
    assert not feasibility.c_x.any()
