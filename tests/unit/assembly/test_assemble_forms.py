"""assemble_forms end to end: documents, anchors, determinism, statistics modes, writing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cehrs_items.assembly import AssemblySettings, assemble_forms, check_form
from cehrs_items.assembly._synthetic import bank_from_docs, stats_for
from cehrs_items.contracts import validator
from cehrs_items.errors import InfeasibleError, InputError
from cehrs_items.findings import Severity
from cehrs_items.forms import form_from_data
from cehrs_items.item_stats import conform_item_stats


@pytest.fixture
def rich(kit):
    docs = kit.items(8, pretest_per_domain=4)
    rng = np.random.default_rng(11)
    params = {
        d["id"]: (float(rng.uniform(0.6, 2.0)), float(rng.normal(-0.3, 1)), 0.15) for d in docs
    }
    return docs, kit.bank(docs, params)


def errors(findings):
    return [f for f in findings if f.severity is Severity.ERROR]


def test_forms_are_valid_and_pass_form_check(kit, rich):
    docs, bank = rich
    result = assemble_forms(bank, kit.bp, AssemblySettings(n_forms=2, seed=4, max_overlap=2))
    assert result.form_ids == ["F1", "F2"]
    check = validator("form")
    for doc in result.forms:
        assert list(check.iter_errors(doc)) == []
        form = form_from_data(doc)
        assert errors(check_form(form, bank=bank, blueprint=kit.bp)) == []
        assert [p["position"] for p in form.positions] == list(range(1, 11))
        assert doc["seed"] == 4 and doc["blueprint_id"] == "tiny-test"
        assert doc["bank_sha256"] == bank.content_sha256
        assert doc["generator"].startswith("cehrs-items ")
        assert doc["solver"]["status"] == "optimal"
        assert doc["solver"]["time_limit"] == 60.0
        assert doc["solver"]["options"]["mip_rel_gap"] == 1e-3
        assert doc["solver"]["settings"]["max_overlap"] == 2
        assert doc["summary"]["domains"] == {
            "1": {"scored": 4, "pretest": 1},
            "2": {"scored": 4, "pretest": 1},
        }
        assert sum(doc["summary"]["keys"].values()) == 8
    shared = set(result.forms[0]["positions"][0]["item_id"] for _ in [0])
    assert shared  # forms have content
    overlap = result.set_summary["overlap"]["F1|F2"]
    assert overlap <= 2


def test_cut_target_gives_parallel_forms(kit, rich):
    docs, bank = rich
    result = assemble_forms(bank, kit.bp, AssemblySettings(n_forms=2, seed=1))
    infos = [f["summary"]["info_at_cut"] for f in result.forms]
    assert result.problem.target.kind == "cut"
    # both forms near the common level; the set summary records the spread
    spread = result.set_summary["target_spread"][result.problem.target.names[0]]
    assert spread == pytest.approx(abs(infos[0] - infos[1]), abs=1e-5)
    assert spread / max(infos) < 0.1


def test_same_seed_same_bytes_and_seed_matters(kit, rich):
    docs, bank = rich
    settings = AssemblySettings(n_forms=2, seed=9)
    a = assemble_forms(bank, kit.bp, settings).files()
    b = assemble_forms(bank, kit.bp, settings).files()
    assert a == b
    c = assemble_forms(bank, kit.bp, AssemblySettings(n_forms=2, seed=10)).files()
    assert a != c


def test_anchor_form_and_base_target(kit, rich):
    docs, bank = rich
    # a typical base form (blueprint only), as an operational base form would be
    base = assemble_forms(
        bank, kit.bp, AssemblySettings(seed=2, form_ids=("BASE",), statistic="none")
    )
    base_form = form_from_data(base.forms[0], path="BASE.json")
    result = assemble_forms(
        bank,
        kit.bp,
        AssemblySettings(n_forms=2, seed=3, anchor_items=2, max_overlap=4),
        anchor_form=base_form,
    )
    assert result.problem.target.kind == "base"
    base_scored = set(base_form.scored_item_ids)
    for doc in result.forms:
        form = form_from_data(doc)
        assert doc["anchor_form"] == "BASE"
        anchors = form.anchor_item_ids
        assert len(anchors) == 2 and set(anchors) <= base_scored
        # exactly the anchors are shared with the base form
        assert set(form.scored_item_ids) & base_scored == set(anchors)
        assert errors(check_form(form, bank=bank, blueprint=kit.bp, base_form=base_form)) == []
        assert doc["summary"]["anchor_items"] == 2
        assert doc["summary"]["max_rel_deviation"] < 0.1


def test_base_form_id_cannot_be_reused(kit, rich):
    docs, bank = rich
    base = assemble_forms(bank, kit.bp, AssemblySettings(seed=2, form_ids=("F1",)))
    with pytest.raises(InputError, match="anchor form's id"):
        assemble_forms(bank, kit.bp, AssemblySettings(), anchor_form=form_from_data(base.forms[0]))


def test_sequential_and_simultaneous_both_meet_the_blueprint(kit, rich):
    docs, bank = rich
    base = assemble_forms(bank, kit.bp, AssemblySettings(seed=2, form_ids=("BASE",)))
    base_form = form_from_data(base.forms[0])
    for method in ("sequential", "simultaneous"):
        result = assemble_forms(
            bank,
            kit.bp,
            AssemblySettings(n_forms=2, seed=3, anchor_items=2, max_overlap=3, method=method),
            anchor_form=base_form,
        )
        assert result.forms[0]["solver"]["method"] == method
        sets = [set(form_from_data(f).scored_item_ids) for f in result.forms]
        assert max(len(a & b) for j, a in enumerate(sets) for b in sets[j + 1 :]) <= 3


def test_classical_statistics_when_no_irt(kit):
    docs = kit.items(6)
    rng = np.random.default_rng(3)
    ids = sorted(d["id"] for d in docs)
    frame = stats_for({i: (1.0, 0.0, 0.0) for i in ids}).with_columns()
    frame = conform_item_stats(
        frame.drop("a", "b", "c", "d", "irt_model").with_columns(
            frame["p_value"].map_elements(
                lambda _: float(rng.uniform(0.4, 0.9)), return_dtype=float
            )
        )
    )
    bank = bank_from_docs(docs, frame, root="<ctt>")
    result = assemble_forms(bank, kit.bp, AssemblySettings(n_forms=2, seed=1, max_overlap=3))
    assert result.problem.target.statistic == "classical"
    names = [t["feature"] for t in result.forms[0]["summary"]["target"]]
    assert names == ["sum_p_value", "sum_item_total_r"]
    assert "tif" not in result.forms[0]["summary"]


def test_no_statistics_means_blueprint_only(kit):
    docs = kit.items(4)
    bank = bank_from_docs(docs, None, root="<bare>")
    result = assemble_forms(bank, kit.bp, AssemblySettings(seed=1))
    assert result.problem.target.statistic == "none"
    assert any("no item statistics" in n for n in result.notes)
    assert result.forms[0]["summary"]["mean_p"] is None


def test_items_without_statistics_are_not_scored(kit):
    docs = kit.items(6)
    ids = sorted(d["id"] for d in docs if d["id"] != "NC-0001")
    bank = bank_from_docs(docs, stats_for({i: (1.0, 0.0, 0.1) for i in ids}), root="<part>")
    result = assemble_forms(bank, kit.bp, AssemblySettings(seed=1))
    assert any("1 operational item(s) without IRT parameters" in n for n in result.notes)
    assert "NC-0001" not in form_from_data(result.forms[0]).scored_item_ids


def test_infeasible_writes_nothing(kit, tmp_path):
    docs = [d for d in kit.items(3) if d["id"] not in ("CO-0004", "CO-0005", "CO-0006")]
    out = tmp_path / "forms"
    with pytest.raises(InfeasibleError):
        assemble_forms(kit.bank(docs), kit.bp, AssemblySettings()).write(out)
    assert not out.exists()


def test_write_refuses_to_overwrite(kit, rich, tmp_path):
    docs, bank = rich
    result = assemble_forms(bank, kit.bp, AssemblySettings(n_forms=2, seed=1))
    paths = result.write(tmp_path)
    assert [p.name for p in paths] == ["F1.json", "F2.json"]
    data = json.loads(paths[0].read_text())
    assert data["form_id"] == "F1"
    # a second run refuses before writing anything
    (tmp_path / "F1.json").write_text("keep")
    with pytest.raises(InputError, match="already exists"):
        result.write(tmp_path)
    assert (tmp_path / "F1.json").read_text() == "keep"
    result.write(tmp_path, force=True)
    assert json.loads((tmp_path / "F1.json").read_text())["form_id"] == "F1"


def test_form_ids(kit, rich):
    docs, bank = rich
    with pytest.raises(InputError, match="2 ids given for --forms 3"):
        assemble_forms(bank, kit.bp, AssemblySettings(n_forms=3, form_ids=("A", "B")))
    with pytest.raises(InputError, match="form id 'a b'"):
        assemble_forms(bank, kit.bp, AssemblySettings(n_forms=1, form_ids=("a b",)))
    result = assemble_forms(bank, kit.bp, AssemblySettings(n_forms=2, form_id_prefix="X"))
    assert result.form_ids == ["X1", "X2"]


def test_render_text_summary(kit, rich):
    docs, bank = rich
    text = assemble_forms(bank, kit.bp, AssemblySettings(n_forms=2, seed=1)).render_text()
    assert text.startswith("assembled 2 form(s) from 40 bank items (blueprint tiny-test, seed 1)\n")
    assert "  F1: domains 1:4+1 2:4+1; keys " in text
    assert "largest pairwise overlap:" in text


def test_common_level_bounds_the_exact_maximin(kit, rich):
    """The symmetric LP level is an upper bound on what K forms can share at the cut."""
    from cehrs_items.assembly import build_problem
    from cehrs_items.assembly.milp import common_level, highs_options

    docs, bank = rich
    for k in (1, 2, 3):
        settings = AssemblySettings(n_forms=k, seed=1, max_overlap=2, method="simultaneous")
        exact = assemble_forms(bank, kit.bp, settings)
        achieved = min(f["summary"]["info_at_cut"] for f in exact.forms)
        problem = build_problem(bank, kit.bp, settings)
        level = common_level(problem, 0, highs_options(time_limit=10, mip_rel_gap=1e-9))
        assert level >= achieved - 1e-6
        assert level <= 1.1 * achieved  # and close: the relaxation is tight here


def test_repair_never_makes_the_worst_form_worse(kit, rich):
    from cehrs_items.assembly import build_problem
    from cehrs_items.assembly.assemble import (
        _deviation,
        _fix_common_levels,
        _repair,
        _sequential,
    )
    from cehrs_items.assembly.milp import highs_options

    docs, bank = rich
    problem = build_problem(bank, kit.bp, AssemblySettings(n_forms=3, seed=2, max_overlap=2))
    options = highs_options(time_limit=10, mip_rel_gap=1e-3, mip_abs_gap=1e-4)
    fixed = _fix_common_levels(problem, options, lambda _m: None)
    solution = _sequential(fixed, options, lambda _m: None)
    before = max(_deviation(fixed, c) for c in solution.chosen)
    _repair(fixed, solution, options, lambda _m: None)
    after = max(_deviation(fixed, c) for c in solution.chosen)
    assert after <= before + 1e-12
    assert len(solution.solves) == 3 + solution.repairs


def test_fallback_to_simultaneous_when_sequential_gets_stuck(kit, rich, monkeypatch):
    import cehrs_items.assembly.assemble as assemble_module

    docs, bank = rich
    monkeypatch.setattr(assemble_module, "_sequential", lambda *a, **k: None)
    messages = []
    result = assemble_forms(
        bank, kit.bp, AssemblySettings(n_forms=2, seed=1), progress=messages.append
    )
    solver = result.forms[0]["solver"]
    assert solver["method"] == "simultaneous"
    assert solver["fallback"] == "sequential assembly got stuck; all forms were solved together"
    assert "sequential assembly got stuck; solving all forms together" in messages
