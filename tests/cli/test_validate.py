"""``cehrs-items validate`` through the CLI: exit codes, outputs, stderr lines."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cehrs_items.cli.app import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "rules"
GOOD = GOLDEN / "BANK016" / "good" / "operational-reviewed.yaml"


@pytest.fixture
def bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of a golden good item as a one-item bank; the cwd is its parent."""
    root = tmp_path / "bank"
    (root / "items" / "1").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    shutil.copy(GOLDEN / "_blueprint.yaml", root / "blueprint.yaml")
    shutil.copy(GOOD, root / "items" / "1" / "NC-0101.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return root


def _edit(path: Path, **changes) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=1000), encoding="utf-8")


def test_shipped_bank_passes_strict():
    result = runner.invoke(app, ["validate", "--strict", str(ROOT / "item_bank")])
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""
    assert result.stderr.startswith("checked ")
    assert result.stderr.endswith(": 0 errors, 0 warnings (--strict: warnings fail)\n")


def test_clean_bank_exit_0_and_summary_on_stderr(bank):
    result = runner.invoke(app, ["validate", "bank"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "checked 1 file: 0 errors, 0 warnings\n"


def test_error_finding_exit_1_with_exact_text(bank):
    item = bank / "items" / "1" / "NC-0101.yaml"
    item.write_text(
        item.read_text(encoding="utf-8").replace(
            "  D: In the appointment comments of the scheduling module", "  D: 1995"
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", "bank/items/1/NC-0101.yaml"])
    assert result.exit_code == 1
    assert result.stdout == (
        "bank/items/1/NC-0101.yaml:13:6: error SCH004 option D: expected text, found a number\n"
        "    hint: put the text in quotes\n"
    )
    assert result.stderr == "checked 1 file: 1 error, 0 warnings\n"


def test_warning_fails_only_with_strict(bank):
    _edit(bank / "items" / "1" / "NC-0101.yaml", reviewers=["golden-writer"])
    relaxed = runner.invoke(app, ["validate", "bank"])
    assert relaxed.exit_code == 0 and "warning BANK017" in relaxed.stdout
    strict = runner.invoke(app, ["validate", "--strict", "bank"])
    assert strict.exit_code == 1
    ignored = runner.invoke(app, ["validate", "--strict", "--ignore", "BANK017", "bank"])
    assert ignored.exit_code == 0 and ignored.stdout == ""


def test_unreadable_path_and_unknown_rule_exit_2(bank):
    missing = runner.invoke(app, ["validate", "nope/"])
    assert missing.exit_code == 2
    assert missing.stderr == "error: nope: no such file or directory\n"
    unknown = runner.invoke(app, ["validate", "--ignore", "IW999", "bank"])
    assert unknown.exit_code == 2
    assert unknown.stderr == "error: ignore: unknown rule 'IW999' (see docs/rules.md for the ids)\n"
    usage = runner.invoke(app, ["validate", "--format", "xml", "bank"])
    assert usage.exit_code == 2
    (bank.parent / "item_bank").mkdir()  # no paths: the --bank default, here not a bank
    no_args = runner.invoke(app, ["validate"])
    assert no_args.exit_code == 2
    assert no_args.stderr.startswith("error: item_bank: the --bank default (item_bank/ found")


def test_unparsable_file_is_a_finding_not_a_crash(bank):
    (bank / "items" / "1" / "NC-0102.yaml").write_bytes(b"id: [\n\xff\xfe")
    result = runner.invoke(app, ["validate", "bank"])
    assert result.exit_code == 1
    assert "bank/items/1/NC-0102.yaml:2:1: error PARSE006" in result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("fmt", ["json", "github", "junit", "sarif"])
def test_machine_formats_parse(bank, fmt):
    _edit(bank / "items" / "1" / "NC-0101.yaml", key="E")
    result = runner.invoke(app, ["validate", "--format", fmt, "bank"])
    assert result.exit_code == 1
    out = result.stdout
    if fmt == "json":
        doc = json.loads(out)
        assert [f["rule"] for f in doc["findings"]] == ["BANK003"]
        assert doc["summary"]["errors"] == 1
    elif fmt == "github":
        assert out.startswith(
            "::error file=bank/items/1/NC-0101.yaml,line=12,col=6,title=BANK003::"
        )
    elif fmt == "junit":
        case = ET.fromstring(out).find("testsuite/testcase")
        assert case.get("name") == "bank/items/1/NC-0101.yaml"
        assert case.find("failure").get("type") == "BANK003"
    else:
        result_ = json.loads(out)["runs"][0]["results"][0]
        region = result_["locations"][0]["physicalLocation"]["region"]
        assert result_["ruleId"] == "BANK003" and region == {"startLine": 12, "startColumn": 6}


def test_out_file_is_written_atomically_and_not_overwritten(bank):
    first = runner.invoke(app, ["validate", "-f", "sarif", "--out", "report.sarif", "bank"])
    assert first.exit_code == 0 and first.stdout == ""
    written = Path("report.sarif").read_text(encoding="utf-8")
    assert json.loads(written)["version"] == "2.1.0"
    again = runner.invoke(app, ["validate", "-f", "sarif", "--out", "report.sarif", "bank"])
    assert again.exit_code == 2 and "already exists; use --force" in again.stderr
    forced = runner.invoke(
        app, ["validate", "-f", "sarif", "--out", "report.sarif", "--force", "bank"]
    )
    assert forced.exit_code == 0
    assert Path("report.sarif").read_text(encoding="utf-8") == written


def test_no_colour_when_not_a_terminal_or_no_color(bank, monkeypatch):
    _edit(bank / "items" / "1" / "NC-0101.yaml", key="E")
    assert "\x1b[" not in runner.invoke(app, ["validate", "bank"]).stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in runner.invoke(app, ["validate", "bank"]).stdout


def test_quiet_and_notes(bank, tmp_path):
    loose = tmp_path / "loose"
    loose.mkdir()
    shutil.copy(GOOD, loose / "NC-0101.yaml")
    noisy = runner.invoke(app, ["validate", "loose"])
    assert noisy.exit_code == 0
    assert noisy.stderr.startswith("note: no blueprint for files outside a bank")
    quiet = runner.invoke(app, ["validate", "-q", "loose"])
    assert quiet.stderr == "" and quiet.stdout == ""


def test_pre_commit_style_run_checks_changed_file_against_the_bank(bank):
    other = bank / "items" / "1" / "NC-0102.yaml"
    shutil.copy(GOOD, other)
    _edit(
        other,
        id="NC-0102",
        stem="Which registration field holds the patient's preferred language for letters?",
        enemies=["NC-0101"],
    )
    result = runner.invoke(app, ["validate", "bank/items/1/NC-0101.yaml"])
    assert result.exit_code == 1
    assert result.stdout.startswith("bank/items/1/NC-0101.yaml:23:10: error BANK007 NC-0102")
    assert "NC-0102.yaml:" not in result.stdout.split("\n")[0].split(" ")[0]


def test_same_input_same_bytes(bank):
    _edit(bank / "items" / "1" / "NC-0101.yaml", key="E", reviewers=["golden-writer"])
    for fmt in ("text", "json", "github", "junit", "sarif"):
        a = runner.invoke(app, ["validate", "-f", fmt, "bank"]).stdout
        b = runner.invoke(app, ["validate", "-f", fmt, "bank"]).stdout
        assert a == b and a


def test_console_script_runs_without_traceback(bank):
    exe = Path(sys.executable).parent / "cehrs-items"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "cehrs_items"]
    proc = subprocess.run([*command, "validate", "bank"], capture_output=True, text=True)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr


def test_pre_commit_hook_definition():
    import re

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = [h for h in hooks if h["id"] == "cehrs-items-validate"]
    assert hook["entry"] == "cehrs-items validate" and hook["language"] == "python"
    assert hook["pass_filenames"] is True
    pattern = re.compile(hook["files"])
    assert pattern.search("item_bank/items/2/CO-0001.yaml")
    assert pattern.search("item_bank/items/2/CO-0001.json")
    assert not pattern.search("item_bank/blueprint.yaml")
    assert not pattern.search("item_bank/stats/item_stats.csv")


def test_near_duplicate_threshold_option(bank):
    other = bank / "items" / "1" / "NC-0102.yaml"
    shutil.copy(GOOD, other)
    stem = yaml.safe_load(GOOD.read_text(encoding="utf-8"))["stem"]
    _edit(other, id="NC-0102", stem=stem.replace("mailing address", "phone number"))
    default = runner.invoke(app, ["validate", "bank"])
    assert "BANK010" not in default.stdout
    loose = runner.invoke(app, ["validate", "--near-duplicate-threshold", "0.6", "bank"])
    assert loose.exit_code == 0 and loose.stdout.count("warning BANK010") == 2
    bad = runner.invoke(app, ["validate", "--near-duplicate-threshold", "1.5", "bank"])
    assert bad.exit_code == 2
