"""Every constraint group of the model is enforced, and each test fails without its group.

Each test crafts a tiny bank whose objective (information at the cut, maximin) pulls the
solution towards violating one group: with the group the solution honours it, and with
the group omitted from the model the same solve violates it. Where no objective can pull
(pretest slots, one position per item, the tolerance), the bank is crafted so that only
violating solutions exist: the model is then infeasible with the group and yields a
violating solution without it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest

from cehrs_items.assembly import GROUPS, build_model
from cehrs_items.assembly._synthetic import item_doc
from cehrs_items.errors import InputError
from cehrs_items.forms import form_from_data


def domain_of(item_id: str) -> int:
    return 1 if item_id.startswith("NC") else 2


def test_unknown_group_is_refused(kit):
    problem = kit.problem(kit.items())
    with pytest.raises(InputError, match="unknown constraint group"):
        build_model(problem, omit={"no_such_group"})


def test_every_group_is_named_once():
    assert len(set(GROUPS)) == len(GROUPS)


def test_domain_counts(kit):
    docs = kit.items(3)
    strong = {f"NC-{n:04d}": kit.STRONG for n in range(1, 7)}
    problem = kit.problem(docs, strong)
    (form,) = kit.solve(problem)
    assert Counter(domain_of(i) for i in kit.scored(form)) == {1: 4, 2: 4}
    (loose,) = kit.solve(problem, omit={"domain_scored"})
    assert Counter(domain_of(i) for i in kit.scored(loose))[1] > 4


def test_subdomain_minimums(kit):
    docs = kit.items(5)
    subs = {d["id"]: d["subdomain"] for d in docs}
    strong = {d["id"]: kit.STRONG for d in docs if d["subdomain"] == "1.1"}
    problem = kit.problem(docs, strong)
    (form,) = kit.solve(problem)
    assert Counter(subs[i] for i in kit.scored(form))["1.2"] >= 1
    (loose,) = kit.solve(problem, omit={"subdomain_min"})
    assert Counter(subs[i] for i in kit.scored(loose))["1.2"] == 0


def test_pretest_counts_per_domain(kit):
    docs = [d for d in kit.items(3) if not (d["status"] == "pretest" and d["domain"] == 2)]
    problem = kit.problem(docs)
    assert kit.solve(problem) is None  # domain 2 has no pretest item
    (loose,) = kit.solve(problem, omit={"pretest_domain"})
    assert [domain_of(i) for i in kit.pretest(loose)] == [1, 1]


def test_enemies(kit):
    docs = kit.items(3)
    ids = kit.by_id(docs)
    ids["NC-0001"]["enemies"] = ["NC-0002"]
    ids["NC-0002"]["enemies"] = ["NC-0001"]
    problem = kit.problem(docs, {"NC-0001": kit.STRONG, "NC-0002": kit.STRONG})
    (form,) = kit.solve(problem)
    assert not {"NC-0001", "NC-0002"} <= set(kit.scored(form))
    (loose,) = kit.solve(problem, omit={"enemies"})
    assert {"NC-0001", "NC-0002"} <= set(kit.scored(loose))


def test_enemies_between_scored_and_pretest(kit):
    docs = kit.items(3, pretest_per_domain=1)
    ids = kit.by_id(docs)
    pre = next(d for d in docs if d["status"] == "pretest" and d["domain"] == 1)
    ids["NC-0001"]["enemies"] = [pre["id"]]
    pre["enemies"] = ["NC-0001"]
    problem = kit.problem(docs, {"NC-0001": kit.STRONG})
    (form,) = kit.solve(problem)
    assert "NC-0001" not in kit.scored(form) and pre["id"] in kit.pretest(form)
    (loose,) = kit.solve(problem, omit={"enemies"})
    assert "NC-0001" in kit.scored(loose) and pre["id"] in kit.pretest(loose)


def test_exposure(kit):
    docs = kit.items(4)
    strong = {i: kit.STRONG for i in ("NC-0001", "NC-0005", "CO-0001", "CO-0005")}
    problem = kit.problem(docs, strong, n_forms=2, max_exposure=1, max_overlap=8)
    forms = kit.solve(problem)
    uses = Counter(i for f in forms for i, _ in f)
    assert max(uses.values()) == 1
    loose = kit.solve(problem, omit={"exposure"})
    uses = Counter(i for f in loose for i, _ in f)
    assert max(uses.values()) == 2


@pytest.mark.parametrize("n_forms", [2, 3])
def test_pairwise_overlap(kit, n_forms):
    docs = kit.items(6)
    strong = {i: kit.STRONG for i in ("NC-0001", "NC-0007", "CO-0001", "CO-0007")}
    problem = kit.problem(docs, strong, n_forms=n_forms, max_overlap=1)
    forms = kit.solve(problem)
    sets = [set(kit.scored(f)) for f in forms]
    shared = [len(a & b) for j, a in enumerate(sets) for b in sets[j + 1 :]]
    assert max(shared) <= 1
    loose = kit.solve(problem, omit={"overlap"})
    sets = [set(kit.scored(f)) for f in loose]
    assert max(len(a & b) for j, a in enumerate(sets) for b in sets[j + 1 :]) > 1


def test_overlap_secant_cuts_keep_the_integer_solution(kit):
    """The secant inequalities are valid: with or without them the optimum is the same."""
    from cehrs_items.assembly.milp import highs_options, solve_model

    docs = kit.items(6)
    strong = {i: kit.STRONG for i in ("NC-0001", "NC-0007", "CO-0001", "CO-0007")}
    problem = kit.problem(docs, strong, n_forms=3, max_overlap=2)
    options = highs_options(time_limit=20, mip_rel_gap=1e-9, mip_abs_gap=1e-9)
    with_cuts = solve_model(build_model(problem, overlap_cuts=True), options)
    without = solve_model(build_model(problem, overlap_cuts=False), options)
    assert with_cuts.objective == pytest.approx(without.objective, abs=1e-6)
    lp_with = solve_model(build_model(problem, relax_integrality=True), options)
    lp_without = solve_model(
        build_model(problem, relax_integrality=True, overlap_cuts=False), options
    )
    # a tighter relaxation: the LP bound (a minimum) is no lower without the cuts
    assert lp_with.objective >= lp_without.objective - 1e-9


def _base_form(docs, scored, pretest, form_id="BASE"):
    ids = {d["id"]: d for d in docs}
    positions = []
    for pos, (item_id, role) in enumerate(
        [(i, "scored") for i in scored] + [(i, "pretest") for i in pretest], start=1
    ):
        d = ids[item_id]
        positions.append(
            {
                "position": pos,
                "item_id": item_id,
                "item_version": d["version"],
                "role": role,
                "domain": d["domain"],
                "subdomain": d["subdomain"],
                "key": d["key"],
            }
        )
    return form_from_data(
        {"form_id": form_id, "blueprint_id": "tiny-test", "positions": positions},
        path=f"{form_id}.json",
    )


def test_anchors(kit):
    docs = kit.items(5)
    base_scored = [
        "NC-0002",
        "NC-0003",
        "NC-0007",
        "NC-0008",
        "CO-0002",
        "CO-0003",
        "CO-0007",
        "CO-0008",
    ]
    base = _base_form(docs, base_scored, ["NC-0011", "CO-0011"])
    strong = {d["id"]: kit.STRONG for d in docs if d["id"] not in base_scored}
    problem = kit.problem(docs, strong, base_form=base, anchor_items=2, target="cut")
    assert problem.anchor_by_domain == {1: 1, 2: 1}
    (form,) = kit.solve(problem)
    common = [i for i in kit.scored(form) if i in base_scored]
    assert sorted(domain_of(i) for i in common) == [1, 2]
    (loose,) = kit.solve(problem, omit={"anchors"})
    assert not [i for i in kit.scored(loose) if i in base_scored]


def test_anchor_needs_same_version(kit):
    docs = kit.items(5)
    base_scored = [
        "NC-0002",
        "NC-0003",
        "NC-0007",
        "NC-0008",
        "CO-0002",
        "CO-0003",
        "CO-0007",
        "CO-0008",
    ]
    base = _base_form(docs, base_scored, ["NC-0011", "CO-0011"])
    for d in docs:
        if d["id"] in ("NC-0002", "NC-0003", "NC-0007"):
            d["version"] = 2  # revised since the base form: no longer a valid anchor
    problem = kit.problem(docs, base_form=base, anchor_items=2, target="cut")
    eligible = {str(i) for i in problem.pool.ids[problem.pool.anchor_ok]}
    assert eligible == {"NC-0008", "CO-0002", "CO-0003", "CO-0007", "CO-0008"}
    (form,) = kit.solve(problem)
    assert [i for i in kit.scored(form) if i in base_scored and i.startswith("NC")] == ["NC-0008"]


def test_key_balance(kit):
    docs = kit.items(4)
    strong = {}
    for d in docs:
        if d["status"] == "operational" and d["subdomain"] in ("1.1", "2.1"):
            d["key"] = "A"
            strong[d["id"]] = kit.STRONG
    problem = kit.problem(docs, strong)
    assert problem.key_bounds["A"] == (1, 3)
    (form,) = kit.solve(problem)
    keys = kit.by_id(docs)
    assert Counter(keys[i]["key"] for i in kit.scored(form))["A"] <= 3
    (loose,) = kit.solve(problem, omit={"key_balance"})
    assert Counter(keys[i]["key"] for i in kit.scored(loose))["A"] > 3


def test_eligibility(kit):
    docs = kit.items(3)
    extra = [
        item_doc("NC-0100", domain=1, subdomain="1.1", key="B", status="draft"),
        item_doc("NC-0101", domain=1, subdomain="1.1", key="C", status="pretest"),
        item_doc("NC-0102", domain=1, subdomain="1.2", key="D", status="retired"),
    ]
    problem = kit.problem(docs + extra, {d["id"]: kit.STRONG for d in extra})
    (form,) = kit.solve(problem)
    assert not set(kit.scored(form)) & {"NC-0100", "NC-0101", "NC-0102"}
    (loose,) = kit.solve(problem, omit={"eligibility"})
    assert set(kit.scored(loose)) & {"NC-0100", "NC-0101", "NC-0102"}


def test_form_length(kit):
    docs = kit.items(4)
    problem = kit.problem(docs, {d["id"]: kit.STRONG for d in docs})
    (form,) = kit.solve(problem, omit={"domain_scored"})
    assert len(kit.scored(form)) == 8 and len(kit.pretest(form)) == 2
    (loose,) = kit.solve(problem, omit={"domain_scored", "form_length"})
    assert len(kit.scored(loose)) > 8


def test_item_once_per_form(kit):
    docs = kit.items(2, pretest_per_domain=0)  # 4 items per domain; a form needs 5
    problem = kit.problem(docs)
    assert kit.solve(problem, omit={"eligibility"}) is None
    # exposure counts an item's positions over all forms, so it would also forbid a
    # second position on the one form: drop it too to see item_once alone.
    assert kit.solve(problem, omit={"eligibility", "exposure"}) is None
    (loose,) = kit.solve(problem, omit={"eligibility", "item_once", "exposure"})
    uses = Counter(i for i, _ in loose)
    assert max(uses.values()) == 2


def test_target_tolerance(kit):
    docs = kit.items(6)
    rng = np.random.default_rng(5)
    params = {d["id"]: (float(rng.uniform(0.5, 2)), float(rng.normal()), 0.1) for d in docs}
    base_scored = [
        "NC-0001",
        "NC-0002",
        "NC-0007",
        "NC-0008",
        "CO-0001",
        "CO-0002",
        "CO-0007",
        "CO-0008",
    ]
    base = _base_form(docs, base_scored, ["NC-0013", "CO-0013"])
    problem = kit.problem(docs, params, base_form=base, anchor_items=0, tolerance=0.0)
    assert problem.target.kind == "base"
    assert kit.solve(problem) is None
    model = build_model(problem, omit={"target_tolerance"})
    from cehrs_items.assembly.milp import highs_options, solve_model

    outcome = solve_model(model, highs_options(time_limit=20, mip_rel_gap=1e-6))
    assert outcome.x[model.y_col] > 1e-4


def test_sequential_rows_against_earlier_forms(kit):
    """A form built after others shares at most max_overlap scored items with each."""
    from cehrs_items.assembly.constraints import with_settings
    from cehrs_items.assembly.milp import highs_options, selected, solve_model

    docs = kit.items(6)
    strong = {i: kit.STRONG for i in ("NC-0001", "NC-0007", "CO-0001", "CO-0007")}
    problem = kit.problem(docs, strong, n_forms=2, max_overlap=1, max_exposure=1)
    index = problem.pool.index()
    earlier = np.array([index[i] for i in strong], dtype=np.int64)
    sub = with_settings(problem, form_ids=("F2",))
    opts = highs_options(time_limit=20, mip_rel_gap=1e-6)
    for omit, expect_max in ((frozenset(), 0), ({"exposure"}, 1), ({"exposure", "overlap"}, 4)):
        model = build_model(sub, omit=omit, previous=[(earlier, earlier)], previous_ids=("F1",))
        (form,) = selected(model, solve_model(model, opts).x)
        shared = len({i for i, r in form if r == 0} & set(earlier.tolist()))
        assert shared == expect_max, omit


def test_tie_break_depends_on_seed(kit):
    """Different seeds give different (but reproducible) selections among equal items."""
    docs = kit.items(6)
    picks = {}
    for seed in (1, 2, 3, 4):
        (form,) = kit.solve(kit.problem(docs, seed=seed))
        picks[seed] = tuple(sorted(form))
        (again,) = kit.solve(kit.problem(docs, seed=seed))
        assert tuple(sorted(again)) == picks[seed]
    assert len(set(picks.values())) > 1


def test_shadow_reserves_items_for_the_forms_to_come(kit):
    """With a shadow of 2 more forms, a first form is infeasible when what it leaves cannot
    fill them; without the shadow the same single-form model is feasible."""
    from cehrs_items.assembly.constraints import with_settings
    from cehrs_items.assembly.milp import highs_options, solve_model

    docs = [d for d in kit.items(6) if d["id"] not in ("CO-0001", "CO-0002")]  # 10 in domain 2
    problem = kit.problem(docs, n_forms=3, max_exposure=1, max_overlap=8, target="cut")
    sub = with_settings(problem, form_ids=("F1",))
    fixed = with_settings(sub, target=dataclasses.replace(sub.target, values=np.array([1.0])))
    opts = highs_options(time_limit=20, mip_rel_gap=1e-6)
    assert solve_model(build_model(fixed), opts).has_solution
    assert solve_model(build_model(fixed, shadow_forms=1), opts).has_solution  # 8 of 10 suffice
    assert not solve_model(build_model(fixed, shadow_forms=2), opts).has_solution  # 12 > 10
    model = build_model(fixed, shadow_forms=2)
    assert any(ref.startswith("shadow ") for ref in model.row_ref)


def test_shadow_keeps_later_forms_close_to_the_common_level(kit):
    from cehrs_items.assembly import AssemblySettings, assemble_forms

    docs = kit.items(8, pretest_per_domain=4)
    rng = np.random.default_rng(21)
    params = {
        d["id"]: (float(rng.uniform(0.5, 2.5)), float(rng.normal(-0.2, 0.8)), 0.1) for d in docs
    }
    result = assemble_forms(
        kit.bank(docs, params), kit.bp, AssemblySettings(n_forms=3, seed=1, max_overlap=2)
    )
    assert result.forms[0]["solver"]["method"] == "sequential"
    # every form within 5% of the LP upper bound on the common level
    assert result.set_summary["max_rel_deviation"] < 0.05
