"""The one rule catalogue: shape, scopes, extension, and who may import it."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cehrs_items.catalogue import (
    BUILTIN,
    BUILTIN_FAMILIES,
    COMMAND_FAMILIES,
    FLAG_RULES,
    Catalogue,
    Rule,
    Scope,
    command_rules,
)
from cehrs_items.catalogue.render import rules_json, rules_markdown, rules_text
from cehrs_items.findings import Severity

PACKAGE = Path(__file__).resolve().parents[3] / "cehrs_items"


FAMILY_SCOPES = {
    "PARSE": {"item"},
    "SCH": {"item"},
    "BANK": {"bank"},
    "STAT": {"bank"},
    "IW": {"item"},
    "FORM": {"form"},
    "ANA": {"analysis"},
    "FLAG": {"analysis"},
    "CONF": {"bank"},
    "QTI": {"item"},
    "XLS": {"item"},
}
"""The scope every rule of a built-in family has (a new rule keeps its family's scope)."""


def test_every_rule_has_all_fields_and_a_known_family():
    # the catalogue is exactly the rule tables it is registered from, each rule once
    from cehrs_items.catalogue import CONFIG_RULES, analysis, exchange, form, validate

    tables = (validate.RULES, form.RULES, analysis.RULES, CONFIG_RULES, exchange.RULES)
    assert list(BUILTIN) == [r.id for table in tables for r in table]
    for rule_id, rule in BUILTIN.items():
        assert rule.id == rule_id
        assert re.fullmatch(r"[A-Z]+[0-9]{3}", rule_id), rule_id
        assert rule.family in BUILTIN_FAMILIES, rule_id
        assert rule.summary and rule.hint and rule.source, rule_id
        assert isinstance(rule.severity, Severity) and isinstance(rule.scope, Scope)


def test_counts_by_scope():
    counts = BUILTIN.counts_by_scope()
    assert list(counts) == [s.value for s in Scope]
    assert all(n > 0 for n in counts.values()), counts  # every scope has rules
    assert sum(counts.values()) == len(BUILTIN)
    for scope, n in counts.items():
        assert n == len(BUILTIN.scoped(scope)) == sum(r.scope == scope for r in BUILTIN.values())
    assert BUILTIN.families() == list(BUILTIN_FAMILIES) == list(FAMILY_SCOPES)
    for family, scopes in FAMILY_SCOPES.items():
        assert {r.scope.value for r in BUILTIN.of_families(family).values()} == scopes, family


def test_rule_ids_are_numbered_without_gaps_within_a_family():
    """Ids are stable and never reused: each family counts up from its first number
    (000 or 001) without a gap, so a rule added to a family takes the next number."""
    for family in BUILTIN_FAMILIES:
        numbers = [int(rid[len(family) :]) for rid in BUILTIN.of_families(family)]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), family
        assert numbers[0] in (0, 1), family


def test_each_command_reports_its_families_only():
    form_rules = command_rules("form check")
    assert list(form_rules) == list(BUILTIN.of_families("FORM")) and form_rules
    assert set(r.family for r in command_rules("analyze").values()) == {"ANA", "FLAG"}
    validate = command_rules("validate")
    assert list(validate)[0] == "PARSE000" and list(validate)[-1] == "IW011"
    covered = [f for families in COMMAND_FAMILIES.values() for f in families]
    assert sorted(covered) == sorted(BUILTIN_FAMILIES)


def test_stages_use_the_catalogue_rules():
    from cehrs_items.analysis.flags import FLAG_DESCRIPTIONS
    from cehrs_items.analysis.flags import RULES as ANALYSIS
    from cehrs_items.assembly import RULES as FORM
    from cehrs_items.validate.rules import RULES as VALIDATE

    for table in (ANALYSIS, FORM, VALIDATE):
        assert all(rule is BUILTIN[rid] for rid, rule in table.items())
    assert list(FLAG_RULES) == list(FLAG_DESCRIPTIONS)
    for name, rule_id in FLAG_RULES.items():
        assert BUILTIN[rule_id].summary.startswith(f"{name}: ")


def test_register_refuses_a_duplicate_id():
    cat = Catalogue([BUILTIN["IW001"]])
    with pytest.raises(ValueError, match="IW001 registered twice"):
        cat.register(BUILTIN["IW001"])


def test_extended_is_a_copy_with_overrides():
    house = Rule("HOUSE001", Severity.WARNING, "No 'not'.", "reword", "style.toml", Scope.ITEM)
    cat = BUILTIN.extended([house], severities={"IW005": Severity.ERROR})
    assert cat["IW005"].severity is Severity.ERROR
    assert BUILTIN["IW005"].severity is Severity.WARNING
    assert "HOUSE001" in cat and "HOUSE001" not in BUILTIN
    assert list(cat)[-1] == "HOUSE001"
    assert "HOUSE001" in command_rules("validate", cat)
    with pytest.raises(KeyError, match="XX001"):
        BUILTIN.extended(severities={"XX001": Severity.ERROR})


def test_renderings_list_every_rule_once():
    doc = json.loads(rules_json(BUILTIN))
    assert doc["counts"] == BUILTIN.counts_by_scope() and doc["total"] == len(BUILTIN)
    assert [r["id"] for r in doc["rules"]] == list(BUILTIN)
    assert set(doc["rules"][0]) == {"id", "severity", "scope", "summary", "hint", "source"}
    markdown = rules_markdown(BUILTIN)
    text = rules_text(BUILTIN)
    for rule_id in BUILTIN:
        assert markdown.count(f"| {rule_id} |") == 1
        assert sum(line.startswith(f"{rule_id} ") for line in text.splitlines()) == 1


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.startswith("cehrs_items")}


def test_catalogue_and_reporters_import_no_stage():
    allowed = {"cehrs_items", "cehrs_items.findings", "cehrs_items.io"}
    for folder in ("catalogue", "reporters"):
        for path in sorted((PACKAGE / folder).glob("*.py")):
            for name in _imports(path):
                ok = name in allowed or name.startswith(
                    ("cehrs_items.catalogue", "cehrs_items.reporters")
                )
                assert ok, f"{path.name} imports {name}"


def test_sarif_of_the_validation_rules_loads_no_stage():
    n_rules = len(command_rules("validate"))
    code = (
        "import sys, json\n"
        "from cehrs_items.reporters import REPORTERS\n"
        "log = json.loads(REPORTERS['sarif'].render([]))\n"
        f"assert len(log['runs'][0]['tool']['driver']['rules']) == {n_rules}\n"
        "stages = [m for m in sys.modules if m.split('.')[1:2] and m.split('.')[1] in "
        "('validate', 'assembly', 'analysis', 'items')]\n"
        "print(stages)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
