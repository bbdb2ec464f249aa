"""The infeasibility diagnosis names the right constraint group, in blueprint terms."""

from __future__ import annotations

import numpy as np
import pytest

from cehrs_items.assembly import AssemblySettings, assemble_forms, counting_checks, diagnose
from cehrs_items.assembly.diagnose import max_independent, min_pair_overlaps
from cehrs_items.errors import InfeasibleError
from cehrs_items.forms import form_from_data


def test_min_pair_overlaps():
    # 2 forms x 10 items from 31: no item needs to repeat
    assert min_pair_overlaps(31, 20, 2) == 0
    # 4 forms x 10 from 31: 9 items must appear twice
    assert min_pair_overlaps(31, 40, 4) == 9
    # 40 uses on 10 items, each on all 4 forms: C(4,2) = 6 pairs each
    assert min_pair_overlaps(10, 40, 4) == 60
    assert min_pair_overlaps(10, 41, 4) == float("inf")
    assert min_pair_overlaps(0, 0, 1) == 0


def test_max_independent_counts_enemy_blocks():
    idx = np.arange(6)
    pairs = np.array([[0, 1], [1, 2], [3, 4]])
    assert max_independent(idx, pairs) == 4  # {0, 2, 3 or 4, 5}
    assert max_independent(idx, np.zeros((0, 2), dtype=int)) == 6


def reasons(problem):
    return counting_checks(problem)


def test_domain_shortage(kit):
    docs = [d for d in kit.items(3) if d["id"] not in ("CO-0004", "CO-0005", "CO-0006")]
    problem = kit.problem(docs)
    found = reasons(problem)
    assert [r.group for r in found] == ["domain_scored"]
    assert found[0].message == (
        "domain 2 (Clinical Operations) needs 4 scored items per form, but the bank has only "
        "3 operational domain-2 items with statistics"
    )


def test_domain_shortage_through_assemble_forms(kit):
    docs = [d for d in kit.items(3) if d["id"] not in ("CO-0004", "CO-0005", "CO-0006")]
    with pytest.raises(InfeasibleError, match=r"domain 2 .* needs 4 scored items per form"):
        assemble_forms(kit.bank(docs), kit.bp, AssemblySettings(seed=1))


def test_enemies_block_a_domain(kit):
    docs = [d for d in kit.items(2) if True]
    ids = kit.by_id(docs)
    ids["CO-0001"]["enemies"] = ["CO-0002"]
    ids["CO-0002"]["enemies"] = ["CO-0001"]
    found = reasons(kit.problem(docs))
    assert [r.group for r in found] == ["enemies"]
    assert "only 3 of its 4 operational items can share a form: 1 is blocked as enemies" in (
        found[0].message
    )


def test_exposure_shortage(kit):
    docs = kit.items(3)
    found = reasons(kit.problem(docs, n_forms=2, max_exposure=1))
    assert {r.group for r in found} == {"exposure"}
    assert found[0].message == (
        "domain 1 needs 4 scored items per form x 2 forms with exposure <= 1, but the bank has "
        "only 6 operational domain-1 items (each may be used on at most 1 form)"
    )


def test_overlap_shortage(kit):
    docs = kit.items(3)
    found = reasons(kit.problem(docs, n_forms=2, max_overlap=1))
    assert [r.group for r in found] == ["overlap"]
    assert "with overlap <= 1" in found[0].message
    assert "share at least 4 items pairwise in all, more than the 1" in found[0].message


def test_subdomain_shortage(kit):
    docs = [d for d in kit.items(3) if d["subdomain"] != "2.1"]
    for d in docs:
        if d["domain"] == 2 and d["status"] == "pretest":
            d["subdomain"] = "2.2"
    found = reasons(kit.problem(docs))
    groups = {r.group for r in found}
    assert "subdomain_min" in groups
    assert any(
        r.message.startswith("subdomain 2.1 (Charts) needs at least 1 scored items per form")
        for r in found
    )


def test_pretest_shortage(kit):
    docs = [d for d in kit.items(3) if not (d["domain"] == 2 and d["status"] == "pretest")]
    found = reasons(kit.problem(docs))
    assert [r.group for r in found] == ["pretest_domain"]
    assert "needs 1 pretest items per form, but the bank has only 0" in found[0].message


def test_key_letter_missing(kit):
    docs = kit.items(3)
    for d in docs:
        if d["key"] == "D":
            d["key"] = "C"
    found = reasons(kit.problem(docs))
    assert [r.group for r in found] == ["key_balance"]
    assert "at least 1 scored items keyed D, but the bank has only 0" in found[0].message


def test_key_shares_cannot_fill_a_form(kit, tiny_blueprint):
    import copy

    from cehrs_items.assembly._synthetic import SMALL_BLUEPRINT
    from cehrs_items.assembly.constraints import build_problem
    from cehrs_items.blueprint import blueprint_from_data

    data = copy.deepcopy(SMALL_BLUEPRINT)
    data["form"]["key_balance"]["max_share"] = 0.2  # 4 letters x 1 < 8
    bp = blueprint_from_data(data, path="tight.yaml")
    problem = build_problem(kit.bank(kit.items(3)), bp, AssemblySettings())
    found = reasons(problem)
    assert [r.group for r in found] == ["key_balance"]
    assert found[0].message == (
        "key balance: 4 key letters at most 1 scored items each fill only 4 of the 8 scored "
        "slots (form.key_balance.max_share)"
    )


def _base(docs, scored, pretest):
    ids = {d["id"]: d for d in docs}
    entries = [(i, "scored") for i in scored] + [(i, "pretest") for i in pretest]
    return form_from_data(
        {
            "form_id": "BASE",
            "blueprint_id": "tiny-test",
            "positions": [
                {
                    "position": p,
                    "item_id": i,
                    "item_version": 1,
                    "role": role,
                    "domain": ids[i]["domain"],
                    "subdomain": ids[i]["subdomain"],
                    "key": ids[i]["key"],
                }
                for p, (i, role) in enumerate(entries, start=1)
            ],
        },
        path="BASE.json",
    )


def test_anchor_shortage(kit):
    docs = kit.items(3)
    base_scored = [
        "NC-0001",
        "NC-0002",
        "NC-0004",
        "NC-0005",
        "CO-0001",
        "CO-0002",
        "CO-0004",
        "CO-0005",
    ]
    base = _base(docs, base_scored, ["NC-0007", "CO-0007"])
    for d in docs:
        if d["id"] in ("CO-0001", "CO-0002", "CO-0004", "CO-0005"):
            d["version"] = 2  # all domain-2 base items revised since
    found = reasons(kit.problem(docs, base_form=base, anchor_items=2))
    assert [r.group for r in found] == ["anchors"]
    assert found[0].message == (
        "anchors: domain 2 needs 1 of the 2 anchor items per form, but anchor form BASE has "
        "only 0 scored domain-2 items that are still operational at the same version"
    )


def test_conflict_found_by_relaxing_groups(kit):
    """Counting passes, the model is infeasible: dropping groups names key balance."""
    docs = kit.items(3)
    for d in docs:
        if d["domain"] == 1 and d["status"] == "operational":
            d["key"] = "A"  # domain 1 must give 4 scored items, all keyed A; max 3 per key
    problem = kit.problem(docs)
    assert counting_checks(problem) == []
    diagnosis = diagnose(problem)
    assert diagnosis.method == "drop-one"
    assert "key_balance" in diagnosis.groups
    assert "key balance (1 to 3 scored items per key letter)" in diagnosis.message
    assert "operational items by key: A 7, B 2, C 2, D 1" in diagnosis.message
    with pytest.raises(InfeasibleError, match="key balance"):
        assemble_forms(kit.bank(docs), kit.bp, AssemblySettings())


def test_enemy_conflict_across_roles(kit):
    """Only enemies of every domain-2 pretest item are left for the scored slots."""
    docs = kit.items(2, pretest_per_domain=1)  # domain 2: 4 operational, 1 pretest
    pre = next(d for d in docs if d["domain"] == 2 and d["status"] == "pretest")
    ops = [d for d in docs if d["domain"] == 2 and d["status"] == "operational"]
    pre["enemies"] = [d["id"] for d in ops[:1]]
    ops[0]["enemies"] = [pre["id"]]
    problem = kit.problem(docs)
    assert counting_checks(problem) == []
    diagnosis = diagnose(problem)
    assert diagnosis.groups[0] == "enemies" or "enemies" in diagnosis.groups
    assert "enemy pairs" in diagnosis.message


def test_tolerance_conflict(kit):
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
    base = _base(docs, base_scored, ["NC-0013", "CO-0013"])
    problem = kit.problem(docs, params, base_form=base, anchor_items=0, tolerance=0.0)
    diagnosis = diagnose(problem)
    # with 0 anchors no base item may be reused; dropping that would let the base form
    # itself match its own TIF exactly, so both groups are named
    assert diagnosis.groups == ["anchors", "target_tolerance"]
    assert "the statistical target within tolerance 0.0" in diagnosis.message
    assert "the anchors (0 items from BASE per form" in diagnosis.message
    assert "closest achievable relative deviation" in diagnosis.message


def test_long_diagnoses_are_summarised(kit):
    docs = kit.items(2, pretest_per_domain=1)
    problem = kit.problem(docs, n_forms=3, max_exposure=1)
    found = counting_checks(problem)
    assert len(found) > 3
    from cehrs_items.assembly.diagnose import summarize_reasons

    text = summarize_reasons(found)
    assert text.count("needs") == 3
    assert text.endswith("; also short: " + ", ".join(r.label for r in found[3:]))


def test_diagnosis_messages_are_one_line(kit):
    docs = kit.items(3)
    for d in docs:
        if d["domain"] == 1 and d["status"] == "operational":
            d["key"] = "A"
    message = diagnose(kit.problem(docs)).message
    assert "\n" not in message


def test_enemies_do_not_shrink_supply_across_forms(kit):
    """Two enemies cannot share a form but can sit on different forms: 8 domain-1 items
    fill 2 disjoint forms of 4 even with an enemy pair among them."""
    docs = kit.items(4)
    ids = kit.by_id(docs)
    ids["NC-0001"]["enemies"] = ["NC-0002"]
    ids["NC-0002"]["enemies"] = ["NC-0001"]
    problem = kit.problem(docs, n_forms=2, max_overlap=0)
    assert counting_checks(problem) == []
    result = assemble_forms(kit.bank(docs), kit.bp, AssemblySettings(n_forms=2, max_overlap=0))
    sets = [set(form_from_data(f).scored_item_ids) for f in result.forms]
    assert not sets[0] & sets[1]
    # all 16 operational items are used, so the two enemies sit on different forms
    assert sets[0] | sets[1] == {d["id"] for d in docs if d["status"] == "operational"}
    assert not any({"NC-0001", "NC-0002"} <= s for s in sets)
