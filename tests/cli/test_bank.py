"""cehrs-items bank summary on a small hand-made bank."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cehrs_items.cli.app import app

runner = CliRunner()

BLUEPRINT = {
    "id": "mini",
    "version": 1,
    "title": "Mini test plan",
    "form": {
        "scored_items": 5,
        "pretest_items": 2,
        "time_minutes": 10,
        "options_per_item": 4,
        "key_balance": {"min_share": 0.2, "max_share": 0.3},
    },
    "domains": [
        {
            "domain": 1,
            "code": "NC",
            "name": "Front office",
            "scored_items": 3,
            "pretest_items": 1,
            "subdomains": [
                {"code": "1.1", "name": "Scheduling", "min_scored": 1},
                {"code": "1.2", "name": "Registration", "min_scored": 2},
            ],
        },
        {
            "domain": 2,
            "code": "CO",
            "name": "Clinical",
            "scored_items": 2,
            "pretest_items": 1,
            "subdomains": [{"code": "2.1", "name": "Charting", "min_scored": 1}],
        },
    ],
    "scale": {"name": "mini", "min": 0, "max": 5, "passing": 3, "raw_cut": 3},
}

# (id, status, subdomain, key, cognitive level, enemies)
ITEMS = [
    ("NC-0001", "operational", "1.1", "A", "recall", ["NC-0002"]),
    ("NC-0002", "operational", "1.1", "B", "recall", ["NC-0001"]),
    ("NC-0003", "operational", "1.2", "C", "application", []),
    ("NC-0004", "operational", "1.2", "D", "application", []),
    ("NC-0005", "operational", "1.2", "A", "application", []),
    ("NC-0006", "operational", "1.2", "A", "analysis", []),
    ("NC-0007", "operational", "1.1", "B", "recall", []),
    ("NC-0008", "pretest", "1.1", "C", "recall", []),
    ("NC-0009", "pretest", "1.2", "D", "application", []),
    ("NC-0010", "draft", "1.2", "A", "recall", []),
    ("NC-0011", "retired", "1.1", "B", "recall", []),
    ("CO-0001", "operational", "2.1", "A", "application", []),
    ("CO-0002", "operational", "2.1", "C", "application", []),
    ("CO-0003", "operational", "2.1", "D", "analysis", []),
    ("CO-0004", "operational", "2.1", "A", "application", []),
    ("CO-0005", "pretest", "2.1", "B", "recall", []),
]


def write_mini_bank(root: Path) -> Path:
    (root / "items").mkdir(parents=True)
    (root / "blueprint.yaml").write_text(yaml.safe_dump(BLUEPRINT, sort_keys=False))
    for item_id, status, sub, key, level, enemies in ITEMS:
        domain = int(sub.split(".")[0])
        doc = {
            "id": item_id,
            "version": 1,
            "status": status,
            "domain": domain,
            "subdomain": sub,
            "stem": f"Which step does the specialist take for case {item_id}?",
            "options": {k: f"Option {k} for {item_id}" for k in "ABCD"},
            "key": key,
            "rationale": {k: "Because." for k in "ABCD"},
            "references": ["Mini reference"],
            "cognitive_level": level,
            "enemies": enemies,
            "author": "tester",
            "reviewers": ["reviewer"],
            "created": "2026-01-01",
            "modified": "2026-01-01",
        }
        folder = root / "items" / str(domain)
        folder.mkdir(exist_ok=True)
        (folder / f"{item_id}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


EXPECTED_TEXT = """\
Bank {bank}: 16 items (blueprint mini)

Items by domain and status
domain  code  name          draft  review  pretest  operational  retired  total
     1  NC    Front office      1       0        2            7        1     11
     2  CO    Clinical          0       0        1            4        0      5
              total             1       0        3           11        1     16

Items by subdomain
subdomain  name          operational  pretest  other  total  min/form
1.1        Scheduling              3        1      1      5         1
1.2        Registration            4        1      1      6         2
2.1        Charting                4        1      0      5         1

Key letters (blueprint balance 20.0%-30.0% per letter)
key  all  share  operational  share
A      6  37.5%            5  45.5%  outside balance
B      4  25.0%            2  18.2%  outside balance
C      3  18.8%            2  18.2%  outside balance
D      3  18.8%            2  18.2%  outside balance

Cognitive level
level        items  share
recall           7  43.8%
application      7  43.8%
analysis         2  12.5%

Enemy pairs: 1
Statistics table: none (run `cehrs-items simulate stats` or `calibrate`)

Forms the bank can fill without reusing an item
constraint     name          role     available  per form  forms
domain 1       Front office  scored           7         3      2
domain 1       Front office  pretest          2         1      2
domain 2       Clinical      scored           4         2      2
domain 2       Clinical      pretest          1         1      1
subdomain 1.1  Scheduling    scored           3         1      3
subdomain 1.2  Registration  scored           4         2      2
subdomain 2.1  Charting      scored           4         1      4

Scored sections: 2 (binding: domain 2 Clinical (4 operational / 2 per form); subdomain 1.2 Registration (4 operational / 2 per form))
Pretest blocks: 1 (binding: domain 2 Clinical (1 pretest / 1 per form))
Complete forms: 1
"""


@pytest.fixture
def mini_bank(tmp_path) -> Path:
    return write_mini_bank(tmp_path / "bank")


def test_summary_text(mini_bank):
    result = runner.invoke(app, ["bank", "summary", str(mini_bank)])
    assert result.exit_code == 0, result.output
    assert result.stdout == EXPECTED_TEXT.format(bank=mini_bank)


def test_summary_json(mini_bank):
    result = runner.invoke(app, ["bank", "summary", str(mini_bank), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["items"] == 16 and data["enemy_pairs"] == 1
    assert data["forms"]["complete"] == 1
    assert data["forms"]["scored"] == 2 and data["forms"]["pretest"] == 1
    assert data["forms"]["binding_pretest"] == ["domain 2 Clinical (1 pretest / 1 per form)"]
    nc = data["by_domain_status"][0]
    assert (nc["operational"], nc["pretest"], nc["draft"], nc["retired"]) == (7, 2, 1, 1)
    assert {r["key"]: r["n"] for r in data["by_key"]} == {"A": 6, "B": 4, "C": 3, "D": 3}


def test_min_forms_fails_with_exit_1(mini_bank):
    result = runner.invoke(app, ["bank", "summary", str(mini_bank), "--min-forms", "2"])
    assert result.exit_code == 1
    assert result.stderr == "bank fills 1 complete form(s), fewer than --min-forms 2\n"
    ok = runner.invoke(app, ["bank", "summary", str(mini_bank), "--min-forms", "1"])
    assert ok.exit_code == 0


def test_other_blueprint(mini_bank, tmp_path):
    other = dict(BLUEPRINT, id="other")
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(other))
    result = runner.invoke(
        app, ["bank", "summary", str(mini_bank), "--blueprint", str(path), "--format", "json"]
    )
    assert result.exit_code == 0 and json.loads(result.stdout)["blueprint_id"] == "other"


def test_missing_bank_is_exit_2(tmp_path):
    result = runner.invoke(app, ["bank", "summary", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "not a bank directory" in result.stderr


def test_invalid_item_points_to_validate(mini_bank):
    (mini_bank / "items" / "1" / "NC-0001.yaml").write_text("id: NC-0001\nstatus: [\n")
    result = runner.invoke(app, ["bank", "summary", str(mini_bank)])
    assert result.exit_code == 2
    assert "run `cehrs-items validate" in result.stderr


def test_bank_group_help():
    result = runner.invoke(app, ["bank", "--help"])
    assert result.exit_code == 0 and "summary" in result.stdout
