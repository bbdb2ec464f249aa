"""Golden tests: every registered rule has passing and failing fixtures.

Layout: ``tests/golden/rules/<RULE>/good/<case>`` must raise no finding of RULE;
``bad/<case>`` must raise at least one, and its whole text report must equal
``bad/<case>.expected`` (paths relative to ``bad/``). A case is a file or a folder (a
small bank). Cases run against the frozen blueprint ``_blueprint.yaml`` unless the case
folder has its own ``blueprint.yaml``. The file-name rule BANK002 is left out except
in its own cases, so fixtures can have descriptive names.

Regenerate the expected files after a deliberate change (and review the diff):
``CEHRS_UPDATE_GOLDEN=1 pytest tests/golden/rules``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cehrs_items.reporters import text
from cehrs_items.validate import RULES, validate_paths

HERE = Path(__file__).parent
BLUEPRINT = HERE / "_blueprint.yaml"
UPDATE = os.environ.get("CEHRS_UPDATE_GOLDEN") == "1"


def _cases(rule: str, kind: str) -> list[str]:
    folder = HERE / rule / kind
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".expected"))


def _run(rule: str, kind: str, case: str, monkeypatch: pytest.MonkeyPatch):
    folder = HERE / rule / kind
    monkeypatch.chdir(folder)
    own_blueprint = (folder / case).is_dir() and (folder / case / "blueprint.yaml").exists()
    return validate_paths(
        [case],
        blueprint=None if own_blueprint else BLUEPRINT,
        ignore=() if rule == "BANK002" else ("BANK002",),
    )


ALL = [
    (rule, kind, case) for rule in RULES for kind in ("good", "bad") for case in _cases(rule, kind)
]


@pytest.mark.parametrize("rule", list(RULES))
def test_every_rule_has_good_and_bad_cases(rule):
    assert _cases(rule, "good"), f"{rule}: no good case in tests/golden/rules/{rule}/good/"
    bad = _cases(rule, "bad")
    assert bad, f"{rule}: no bad case in tests/golden/rules/{rule}/bad/"
    for case in bad:
        expected = HERE / rule / "bad" / f"{case}.expected"
        assert expected.exists() or UPDATE, f"{rule}: bad case {case} has no {expected.name}"


def test_no_fixture_folder_for_an_unknown_rule():
    folders = {p.name for p in HERE.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert folders - set(RULES) == set()


@pytest.mark.parametrize(
    ("rule", "case"), [(r, c) for r, k, c in ALL if k == "good"], ids=lambda v: str(v)
)
def test_good_case_raises_no_finding_of_its_rule(rule, case, monkeypatch):
    result = _run(rule, "good", case, monkeypatch)
    hits = [f for f in result.findings if f.rule == rule]
    assert hits == [], text.render(hits)


@pytest.mark.parametrize(
    ("rule", "case"), [(r, c) for r, k, c in ALL if k == "bad"], ids=lambda v: str(v)
)
def test_bad_case_matches_expected_report(rule, case, monkeypatch):
    result = _run(rule, "bad", case, monkeypatch)
    rendered = text.render(result.findings)
    expected_path = HERE / rule / "bad" / f"{case}.expected"
    if UPDATE:
        expected_path.write_text(rendered, encoding="utf-8")
    assert any(f.rule == rule for f in result.findings), rendered
    assert rendered == expected_path.read_text(encoding="utf-8")
