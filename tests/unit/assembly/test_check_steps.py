"""``check_form`` is a table of named steps; each runs alone and reports only its rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cehrs_items.assembly.check import CHECK_STEPS, _FormContext, _Locator, _read, check_form
from cehrs_items.bank import load_bank
from cehrs_items.blueprint import load_blueprint
from cehrs_items.findings import sort_findings

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "forms"

STEP_RULES = {
    "positions": {"FORM007"},
    "provenance": {"FORM017", "FORM018"},
    "role_counts": {"FORM006"},
    "items": {"FORM001", "FORM002", "FORM003", "FORM004", "FORM005"},
    "blueprint_counts": {"FORM008", "FORM009", "FORM010"},
    "enemies": {"FORM011"},
    "key_balance": {"FORM012"},
    "key_runs": {"FORM013"},
    "pretest_spread": {"FORM014"},
    "anchors": {"FORM015", "FORM016", "FORM021"},
}
CASES = sorted(
    p.stem
    for p in (GOLDEN / "bad").glob("*.json")
    if not p.name.endswith(".options.json") and p.stem not in ("unparsable", "schema-invalid")
)


@pytest.fixture(scope="module")
def bank_and_blueprint():
    return load_bank(GOLDEN / "bank"), load_blueprint(GOLDEN / "bank" / "blueprint.yaml")


def test_every_step_is_named_and_documented():
    assert [name for name, _ in CHECK_STEPS] == list(STEP_RULES)
    for name, step in CHECK_STEPS:
        assert step.__doc__.startswith(min(STEP_RULES[name])), name


@pytest.mark.parametrize("case", CASES)
def test_steps_alone_add_up_to_check_form(case, bank_and_blueprint, monkeypatch):
    monkeypatch.chdir(GOLDEN)
    bank, blueprint = bank_and_blueprint
    opts_path = GOLDEN / "bad" / f"{case}.options.json"
    opts = json.loads(opts_path.read_text()) if opts_path.exists() else {}
    form, doc, problems = _read(f"bad/{case}.json")
    assert form is not None and problems == []
    base = _read(opts["anchor_form"])[0] if "anchor_form" in opts else None
    context = _FormContext(
        form=form,
        bank=bank,
        blueprint=blueprint,
        loc=_Locator(form.path, doc, form),
        base_form=base,
        anchor_items=opts.get("anchor_items"),
    )
    combined = []
    for name, step in CHECK_STEPS:
        found = step(context)
        assert {f.rule for f in found} <= STEP_RULES[name], (case, name)
        combined.extend(found)
    whole = check_form(
        form,
        bank=bank,
        blueprint=blueprint,
        base_form=base,
        anchor_items=opts.get("anchor_items"),
        document=doc,
    )
    assert sort_findings(combined) == whole
