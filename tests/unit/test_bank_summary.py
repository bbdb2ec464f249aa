"""bank_summary on generated banks: every count agrees with the item files."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from cehrs_items.bank import load_bank
from cehrs_items.bank_summary import bank_summary, render_text, summarize_bank
from cehrs_items.blueprint import load_blueprint
from cehrs_items.simulate.bank import simulate_bank

BLUEPRINT = Path(__file__).resolve().parents[2] / "item_bank" / "blueprint.yaml"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("summary") / "bank"
    simulate_bank(300, seed=21, out=out, blueprint=BLUEPRINT)
    return out


def test_counts_match_the_items(generated):
    summary = bank_summary(generated)
    frame = load_bank(generated).to_frame()
    assert summary.n_items == 300 == int(summary.by_domain_status["total"].sum())
    for row in summary.by_domain_status.iter_rows(named=True):
        part = frame.filter(frame["domain"] == row["domain"])
        status = collections.Counter(part["status"].to_list())
        assert row["operational"] == status["operational"]
        assert row["pretest"] == status["pretest"]
        assert row["total"] == part.height
    keys = collections.Counter(frame["key"].to_list())
    assert {r["key"]: r["n"] for r in summary.by_key.iter_rows(named=True)} == dict(keys)
    assert summary.by_key["share"].sum() == pytest.approx(1.0)
    assert int(summary.by_subdomain["total"].sum()) == 300
    assert summary.enemy_pairs == 3
    assert summary.by_cognitive_level["n"].sum() == 300


def test_capacity_is_the_binding_minimum(generated):
    summary = bank_summary(generated)
    bp = load_blueprint(BLUEPRINT)
    ops = summary.by_domain_status
    expected_scored = min(
        min(
            int(ops.filter(ops["domain"] == d.domain)["operational"][0]) // d.scored_items
            for d in bp.domains
        ),
        min(
            int(
                summary.by_subdomain.filter(summary.by_subdomain["subdomain"] == s.code)[
                    "operational"
                ][0]
            )
            // s.min_scored
            for d in bp.domains
            for s in d.subdomains
            if s.min_scored
        ),
    )
    assert summary.scored_forms == expected_scored
    expected_pretest = min(
        int(ops.filter(ops["domain"] == d.domain)["pretest"][0]) // d.pretest_items
        for d in bp.domains
    )
    assert summary.pretest_forms == expected_pretest
    assert summary.forms == min(expected_scored, expected_pretest)
    ratios = summary.capacity.filter(summary.capacity["role"] == "scored")
    low = ratios["ratio"].min()
    named = [c.split(" (")[0] for c in summary.binding_scored]
    for row in ratios.iter_rows(named=True):
        label = f"{row['constraint']} {row['name']}"
        assert (label in named) == (row["ratio"] == pytest.approx(low))


def test_statistics_section(generated):
    stats = bank_summary(generated).statistics
    assert stats["table"] and stats["rows"] == 300 and stats["sources"] == {"synthetic": 300}
    assert stats["administered_without_statistics"] == []
    assert 0.6 < stats["p_value"]["mean"] < 0.8


def test_json_and_text_render(generated):
    summary = bank_summary(generated)
    data = json.loads(json.dumps(summary.to_dict()))
    assert data["forms"]["complete"] == summary.forms
    text = render_text(summary)
    assert text.startswith(f"Bank {generated}: 300 items (blueprint cehrs-2020)\n")
    assert f"Complete forms: {summary.forms}\n" in text
    assert "Statistics table: 300 rows (synthetic 300)" in text


def test_items_outside_the_blueprint_are_listed(generated, tmp_path):
    bank = load_bank(generated)
    other = load_blueprint(BLUEPRINT)
    # a blueprint without domain 5: its items are reported, not dropped
    from dataclasses import replace

    trimmed = replace(other, domains=tuple(d for d in other.domains if d.domain != 5))
    summary = summarize_bank(bank, trimmed)
    last = summary.by_domain_status.row(-1, named=True)
    assert last["domain"] == 5 and last["name"] == "(not in blueprint)" and last["total"] > 0
    assert "(not in blueprint)" in summary.by_subdomain["name"].to_list()
    assert int(summary.by_domain_status["total"].sum()) == 300
