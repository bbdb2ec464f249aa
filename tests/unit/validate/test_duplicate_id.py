"""A copied item file whose id was left unchanged: one root-cause finding, on the copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from cehrs_items.validate import validate_paths

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "rules"
ORIGINAL = GOLDEN / "BANK001" / "bad" / "same-id" / "NC-0101.yaml"
BLUEPRINT = GOLDEN / "_blueprint.yaml"


def _bank(tmp_path: Path, copy_name: str) -> Path:
    items = tmp_path / "bank" / "items" / "1"
    items.mkdir(parents=True)
    shutil.copy(ORIGINAL, items / "NC-0101.yaml")
    shutil.copy(ORIGINAL, items / copy_name)
    shutil.copy(BLUEPRINT, tmp_path / "bank" / "blueprint.yaml")  # the bank is found as context
    return tmp_path / "bank"


def _id_findings(findings):
    return [(Path(f.file).name, f.rule) for f in findings if f.rule.startswith("BANK")]


def test_copy_named_before_the_original_is_still_the_one_blamed(tmp_path):
    bank = _bank(tmp_path, "AA-0001.yaml")  # sorts before NC-0101.yaml
    result = validate_paths([bank], blueprint=BLUEPRINT)
    assert _id_findings(result.findings) == [("AA-0001.yaml", "BANK001")]
    (finding,) = [f for f in result.findings if f.rule == "BANK001"]
    assert finding.message.endswith("is already used by " + str(bank / "items/1/NC-0101.yaml"))
    assert "copy of" in finding.hint and "rename the file to" not in finding.hint


def test_validating_the_untouched_original_alone_finds_nothing(tmp_path):
    bank = _bank(tmp_path, "NC-0999.yaml")
    alone = validate_paths([bank / "items/1/NC-0101.yaml"])
    assert _id_findings(alone.findings) == []
    copy = validate_paths([bank / "items/1/NC-0999.yaml"])
    assert _id_findings(copy.findings) == [("NC-0999.yaml", "BANK001")]


def test_when_no_file_is_named_after_the_id_the_later_path_is_the_copy(tmp_path):
    items = tmp_path / "bank" / "items" / "1"
    items.mkdir(parents=True)
    shutil.copy(ORIGINAL, items / "NC-0201.yaml")
    shutil.copy(ORIGINAL, items / "NC-0202.yaml")
    result = validate_paths([tmp_path / "bank"], blueprint=BLUEPRINT, ignore=("BANK002",))
    assert [(n, r) for n, r in _id_findings(result.findings) if r == "BANK001"] == [
        ("NC-0202.yaml", "BANK001")
    ]
