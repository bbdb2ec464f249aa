"""``cehrs-items rules``: the catalogue as text, Markdown and JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cehrs_items.catalogue import BUILTIN
from cehrs_items.cli.app import app
from cehrs_items.cli.docs import DOCS_DIR

runner = CliRunner()


def test_rules_json_counts_by_scope():
    result = runner.invoke(app, ["rules", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # the counts are the registry's, every scope has rules, and they add up
    assert doc["counts"] == BUILTIN.counts_by_scope()
    assert set(doc["counts"]) == {"item", "bank", "form", "analysis"}
    assert all(n > 0 for n in doc["counts"].values())
    assert sum(doc["counts"].values()) == doc["total"] == len(doc["rules"]) == len(BUILTIN)
    assert [r["id"] for r in doc["rules"]] == list(BUILTIN)
    for scope, n in doc["counts"].items():
        assert sum(r["scope"] == scope for r in doc["rules"]) == n
        assert n == len(BUILTIN.scoped(scope))
    first = doc["rules"][0]
    assert first == {
        "hint": "check that the file exists and is readable",
        "id": "PARSE000",
        "scope": "item",
        "severity": "error",
        "source": "cehrs_items.items.loader (safe YAML 1.2 parsing)",
        "summary": "File cannot be read.",
    }


def test_rules_markdown_is_the_rule_tables_of_docs_rules_md():
    result = runner.invoke(app, ["rules", "--format", "markdown"])
    assert result.exit_code == 0
    doc = (DOCS_DIR / "rules.md").read_text(encoding="utf-8")
    assert doc.startswith(result.stdout.rstrip("\n"))


def test_rules_text_one_line_per_rule(tmp_path):
    result = runner.invoke(app, ["rules"])
    lines = result.stdout.splitlines()
    assert len(lines) == len(BUILTIN) + 1
    assert lines[0].split()[:3] == ["PARSE000", "error", "item"]
    counts = json.loads(runner.invoke(app, ["rules", "--format", "json"]).stdout)["counts"]
    assert lines[-1] == (
        f"{len(BUILTIN)} rules: item {counts['item']}, bank {counts['bank']}, "
        f"form {counts['form']}, analysis {counts['analysis']}"
    )
    assert [line.split()[2] for line in lines[:-1]].count("form") == counts["form"]
    out = tmp_path / "rules.txt"
    assert runner.invoke(app, ["rules", "--out", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == result.stdout
    again = runner.invoke(app, ["rules", "--out", str(out)])
    assert again.exit_code == 2
