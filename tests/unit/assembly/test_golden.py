"""Golden fixtures (tests/golden/forms): good forms pass, bad forms give the exact report,
and the golden bank still assembles to the committed forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cehrs_items.assembly import RULES, AssemblySettings, assemble_forms, check_forms
from cehrs_items.reporters import REPORTERS

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "forms"


def cases(folder: str) -> list[str]:
    return sorted(
        p.stem for p in (GOLDEN / folder).glob("*.json") if not p.name.endswith(".options.json")
    )


def options(folder: str, name: str) -> dict:
    path = GOLDEN / folder / f"{name}.options.json"
    return json.loads(path.read_text()) if path.exists() else {}


def check(folder: str, name: str):
    opts = options(folder, name)
    also = opts.pop("also", [])
    return check_forms(
        [f"{folder}/{name}.json", *also], bank="bank", blueprint="bank/blueprint.yaml", **opts
    )


@pytest.fixture(autouse=True)
def in_golden(monkeypatch):
    monkeypatch.chdir(GOLDEN)


@pytest.mark.parametrize("name", cases("good"))
def test_good_forms_pass(name):
    assert check("good", name).findings == []


@pytest.mark.parametrize("name", cases("bad"))
def test_bad_forms_give_the_expected_report(name):
    result = check("bad", name)
    rendered = REPORTERS["text"].render(result.findings, files=result.files)
    assert rendered == (GOLDEN / "bad" / f"{name}.expected").read_text()
    assert result.findings


def test_every_rule_has_a_bad_case():
    seen = set()
    for path in (GOLDEN / "bad").glob("*.expected"):
        for line in path.read_text().splitlines():
            parts = line.split()
            seen.update(p for p in parts if p in RULES)
    assert sorted(set(RULES) - seen) == []


def test_golden_bank_assembles_to_the_committed_forms():
    result = assemble_forms("bank", "bank/blueprint.yaml", AssemblySettings(n_forms=2, seed=2026))
    for name, text in result.files().items():
        got, want = json.loads(text), json.loads((GOLDEN / "assembled" / name).read_text())
        got["solver"].pop("scipy"), want["solver"].pop("scipy")
        assert got == want, name
