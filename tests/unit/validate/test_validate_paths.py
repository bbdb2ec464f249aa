import os

import pytest
from _validate_items import BLUEPRINT, item, write

from cehrs_items.errors import BlueprintError, InputError
from cehrs_items.validate import find_bank_root, validate_paths


def test_clean_bank(bank):
    result = validate_paths([bank])
    assert result.findings == ()
    assert result.files == tuple(sorted(str(p) for p in (bank / "items").rglob("*.yaml")))
    assert result.blueprints and result.blueprints[0].endswith("blueprint.yaml")
    assert result.exit_code() == 0 and result.exit_code(strict=True) == 0


def test_named_file_gets_bank_context_and_only_it_is_reported(bank, monkeypatch):
    monkeypatch.chdir(bank.parent)
    # NC-0202 declares NC-0201 an enemy; NC-0201 (the file named) does not reciprocate
    write(
        bank / "items" / "1",
        "NC-0202.yaml",
        item(
            id="NC-0202",
            subdomain="1.1",
            stem="Which view shows a provider's open appointment slots for next week?",
            enemies=["NC-0201"],
        ),
    )
    write(
        bank / "items" / "1",
        "NC-0203.yaml",
        item(id="NC-0203", version="x", stem="Which screen shows a patient's copay history?"),
    )
    result = validate_paths(["bank/items/1/NC-0201.yaml"])
    assert result.files == ("bank/items/1/NC-0201.yaml",)
    assert result.context_files == 2
    assert [(f.file, f.rule) for f in result.findings] == [("bank/items/1/NC-0201.yaml", "BANK007")]
    assert "NC-0202 (bank/items/1/NC-0202.yaml)" in result.findings[0].message


def test_named_file_duplicate_id_with_context_file(bank, monkeypatch):
    monkeypatch.chdir(bank / "items" / "1")
    write(bank / "items" / "1", "NC-0299.yaml", item())  # same id NC-0201
    result = validate_paths(["NC-0299.yaml"])
    rules = {f.rule for f in result.findings}
    # One root cause on the copy: no file-name (BANK002) or duplicate-stem finding.
    assert rules == {"BANK001"}
    bank001 = next(f for f in result.findings if f.rule == "BANK001")
    assert bank001.message == "id NC-0201 is already used by NC-0201.yaml"


def test_explicit_context_and_blueprint(tmp_path, bank):
    loose = write(tmp_path / "elsewhere", "NC-0202.yaml", item(id="NC-0202", enemies=["NC-0201"]))
    without = validate_paths([loose])
    assert {f.rule for f in without.findings} == {"BANK006"}
    assert without.notes and "no blueprint" in without.notes[0]
    with_context = validate_paths([loose], context=bank)
    rules = {f.rule for f in with_context.findings}
    assert "BANK006" not in rules and "BANK007" in rules
    assert with_context.notes == ()
    co = write(tmp_path / "elsewhere", "CO-0202.yaml", item(id="CO-0202"))
    assert "BANK012" in {f.rule for f in validate_paths([co], blueprint=BLUEPRINT).findings}


def test_ignore_drops_rules_and_rejects_unknown_ids(bank):
    write(bank / "items" / "1", "NC-0203.yaml", item(id="NC-0203", reviewers=["unit-writer"]))
    assert {f.rule for f in validate_paths([bank]).findings} >= {"BANK017", "BANK009"}
    kept = validate_paths([bank], ignore=["BANK017", "BANK009", "BANK016"])
    assert {f.rule for f in kept.findings}.isdisjoint({"BANK017", "BANK009"})
    with pytest.raises(InputError, match="unknown rule 'IW999'"):
        validate_paths([bank], ignore=["IW999"])


def test_bad_paths_and_blueprints(tmp_path, bank):
    with pytest.raises(InputError, match="no such file or directory"):
        validate_paths([tmp_path / "missing"])
    with pytest.raises(InputError, match="no paths given"):
        validate_paths([])
    (tmp_path / "bad-blueprint.yaml").write_text("id: x\n", encoding="utf-8")
    with pytest.raises(BlueprintError):
        validate_paths([bank], blueprint=tmp_path / "bad-blueprint.yaml")
    with pytest.raises(InputError, match="context must be a bank folder"):
        validate_paths([bank], context=tmp_path / "nope")


def test_the_same_file_named_twice_is_checked_once(bank):
    one = bank / "items" / "1" / "NC-0201.yaml"
    result = validate_paths([bank, one, one])
    assert len(result.files) == 2


def test_absolute_paths_stay_absolute(bank):
    result = validate_paths([bank.resolve() / "items" / "1" / "NC-0201.yaml"])
    assert os.path.isabs(result.files[0]) and os.path.isabs(result.blueprints[0])


def test_stats_table_checked_with_bank_and_when_named(bank, monkeypatch):
    monkeypatch.chdir(bank.parent)
    stats = bank / "stats" / "item_stats.csv"
    stats.parent.mkdir()
    stats.write_text(
        "item_id,item_version,form_id,administration_date,source,n\n"
        "NC-0201,1,F1,2026-11-01,analysis,100\nNC-0999,1,F1,2026-11-01,analysis,100\n",
        encoding="utf-8",
    )
    for target in ("bank", "bank/stats/item_stats.csv"):
        result = validate_paths([target])
        [finding] = result.findings
        assert (finding.file, finding.line, finding.rule) == (
            "bank/stats/item_stats.csv",
            3,
            "STAT003",
        )
        assert "bank/stats/item_stats.csv" in result.files


def test_progress_is_called_for_every_file(bank):
    calls = []
    validate_paths([bank], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]


def test_hidden_folders_are_skipped(bank):
    write(bank / "items" / ".cache", "junk.yaml", "not: [an item")
    assert validate_paths([bank]).findings == ()


def test_find_bank_root_stops_at_the_repository_top(tmp_path, bank):
    assert find_bank_root(bank / "items" / "1" / "NC-0201.yaml") == bank.resolve()
    (tmp_path / "blueprint.yaml").write_text("x", encoding="utf-8")
    inner = tmp_path / "repo" / "sub"
    inner.mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    assert find_bank_root(inner) is None


def test_results_are_deterministic(bank):
    write(bank / "items" / "1", "NC-0203.yaml", item(id="NC-0203", key="E"))
    assert validate_paths([bank]) == validate_paths([bank])


def test_a_folder_without_item_files_gets_a_note(tmp_path):
    (tmp_path / "empty").mkdir()
    result = validate_paths([tmp_path / "empty"])
    assert result.files == () and result.findings == ()
    assert result.notes == (f"no item files (.yaml, .yml, .json) found in {tmp_path / 'empty'}",)


def test_schema_errors_do_not_hide_the_other_layers(bank):
    options = dict(item()["options"])
    options["D"] = "All of the above"
    write(
        bank / "items" / "1",
        "NC-0203.yaml",
        item(
            id="NC-0203",
            subdomain=1.3,  # schema error: a number
            stem="Which of the following is not a way to verify eligibility?",
            options=options,
            reviewers=[],
            enemies=["NC-0999"],
        ),
    )
    rules = {f.rule for f in validate_paths([bank]).findings}
    assert {"SCH004", "BANK016", "BANK006", "IW004", "IW001"} <= rules
    assert "BANK013" not in rules  # the subdomain is wrong already; no second finding


def test_fields_that_break_the_contract_switch_off_the_checks_that_read_them(bank):
    options = {"A": "Run an eligibility inquiry", "B": 42, "C": "x", "D": "All of the above"}
    write(bank / "items" / "1", "NC-0203.yaml", item(id="NC-0203", options=options, key="E"))
    rules = [f.rule for f in validate_paths([bank]).findings]
    assert "SCH004" in rules and "SCH005" not in rules  # key E is a valid label
    assert not {"IW001", "BANK003", "BANK015"} & set(rules)


def test_stats_rows_of_an_item_with_a_broken_version_are_not_misjudged(bank, monkeypatch):
    monkeypatch.chdir(bank.parent)
    write(bank / "items" / "1", "NC-0201.yaml", item(version="one"))
    stats = bank / "stats" / "item_stats.csv"
    stats.parent.mkdir()
    stats.write_text(
        "item_id,item_version,form_id,administration_date,source,n\n"
        "NC-0201,1,F1,2026-11-01,analysis,100\n",
        encoding="utf-8",
    )
    rules = [f.rule for f in validate_paths(["bank"]).findings]
    assert rules == ["SCH004"]  # no STAT003/STAT004 from the stand-in version
