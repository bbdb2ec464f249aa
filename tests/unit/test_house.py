"""House rules as data: reading the configuration, locating its problems, plugins."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cehrs_items.catalogue import BUILTIN
from cehrs_items.findings import Severity
from cehrs_items.house import bank_catalogue, find_config, load_house_config
from cehrs_items.validate import validate_paths

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "house" / "bank"


def _config(tmp_path: Path, text: str, name: str = "cehrs-items.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_house_config(path, display=name)


def _where(config):
    return [(f.rule, f.line, f.col, f.message) for f in config.findings]


def test_inline_rules_in_pyproject_table(tmp_path):
    config = _config(
        tmp_path,
        """\
        [project]
        name = "bank"

        [tool.cehrs-items]
        rules = [
          {id = "HOUSE001", field = "stem", pattern = "\\\\bnot\\\\b", severity = "warning", message = "no not", hint = "reword"},
          {id = "HOUSE002", field = "options", words = ["EMR"]},
        ]
        severity = {BANK010 = "error"}
        thresholds = {p_low = 0.2}
        """,
        name="pyproject.toml",
    )
    assert config.findings == []
    assert [r.id for r in config.rules] == ["HOUSE001", "HOUSE002"]
    assert [r.kind for r in config.rules] == ["regex", "forbidden_words"]
    assert config.severities == {"BANK010": Severity.ERROR}
    assert config.thresholds == {"p_low": 0.2}
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"


def test_bad_thresholds_are_located_in_their_table(tmp_path):
    """A bad threshold is found in the thresholds table, not at an equal key before it."""
    config = _config(
        tmp_path,
        """\
        [project]
        name = "bank"

        [tool.other]
        min_n = 3

        [tool.cehrs-items.thresholds]
        p_high = 0.95
        min_n = 2.5
        """,
        name="pyproject.toml",
    )
    assert _where(config) == [
        ("CONF002", 9, 1, "[thresholds]: flag threshold min_n=2.5 is not a valid int")
    ]
    assert config.thresholds == {"p_high": 0.95}


def test_pyproject_without_the_table_is_not_a_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert find_config(tmp_path) is None
    (tmp_path / "cehrs-items.toml").write_text("", encoding="utf-8")
    assert find_config(tmp_path) == tmp_path / "cehrs-items.toml"


def test_every_invalid_entry_is_located_at_its_key(tmp_path):
    config = _config(
        tmp_path,
        """\
        colour = "red"

        [[rules]]
        id = "IW900"
        field = "stem"
        pattern = "x"

        [[rules]]
        id = "HOUSE001"
        field = "stem"
        max_length = 0

        [[rules]]
        id = "HOUSE002"
        field = "stemm"
        words = ["EMR"]

        [[rules]]
        id = "HOUSE003"
        field = "stem"
        severity = "fatal"
        pattern = "x"

        [[rules]]
        id = "HOUSE004"
        field = "tags"
        required = true
        subdomains = [2.1]

        [[rules]]
        id = "HOUSE005"
        field = "stem"

        [severity]
        IW005 = "loud"
        """,
    )
    assert _where(config) == [
        ("CONF002", 1, 1, "unknown key 'colour' (known: plugins, rules, severity, thresholds)"),
        ("CONF002", 4, 1, "rule IW900: id family IW is built in; use another prefix such as HOUSE"),
        ("CONF002", 11, 1, "rule HOUSE001: max_length must be a whole number of at least 1"),
        (
            "CONF002",
            15,
            1,
            "rule HOUSE002: field must name an item field (author, cognitive_level, created, "
            "domain, enemies, id, key, lint_ignore, modified, notes, options, rationale, "
            "references, reviewers, status, stem, subdomain, tags, version)",
        ),
        ("CONF002", 21, 1, "rule HOUSE003: severity must be error, warning or info"),
        ("CONF002", 28, 1, 'rule HOUSE004: subdomains must be a list of texts such as "2.1"'),
        (
            "CONF002",
            31,
            1,
            "rule HOUSE005: say what to check with exactly one of pattern, max_length, "
            "required, words (or kind = one of regex, max_length, required_field, "
            "forbidden_words)",
        ),
        ("CONF002", 35, 1, "severity of IW005 must be error, warning or info"),
    ]
    assert config.rules == ()


def test_toml_syntax_error_at_the_parser_position(tmp_path):
    config = _config(tmp_path, '[[rules]]\nid = "HOUSE001\n')
    [finding] = config.findings
    assert (finding.rule, finding.line, finding.col) == ("CONF001", 2, 15)
    assert finding.message.startswith("TOML syntax error: ")


def test_max_length_in_characters_and_required_field_per_domain(tmp_path):
    config = _config(
        tmp_path,
        """\
        [[rules]]
        id = "HOUSE001"
        field = "stem"
        max_length = 10

        [[rules]]
        id = "HOUSE002"
        field = "notes"
        required = true
        domains = [2]
        """,
    )
    assert config.findings == []
    data = {"id": "CO-0001", "domain": 2, "subdomain": "2.1", "stem": "x" * 11}
    found = config.check_item("a.yaml", data, lambda path: (len(path), 1))
    assert [(f.rule, f.message) for f in found] == [
        ("HOUSE001", "stem too long (stem: 11 characters, at most 10)"),
        ("HOUSE002", "notes required (notes missing)"),
    ]
    assert (
        config.check_item("a.yaml", {**data, "domain": 1, "stem": "short"}, lambda p: (1, 1)) == []
    )


def test_bank_catalogue_of_the_golden_bank():
    catalogue, problems = bank_catalogue(GOLDEN)
    assert [f.rule for f in problems] == ["CONF002", "CONF002"]
    assert catalogue["IW004"].severity is Severity.ERROR
    # the built-in item rules plus the golden bank's four house rules
    assert catalogue.counts_by_scope()["item"] == BUILTIN.counts_by_scope()["item"] + 4


PLUGIN = """
from cehrs_items.catalogue import Rule, Scope
from cehrs_items.findings import Severity

rules = [Rule("ACME001", Severity.WARNING, "Stem names a patient without an age.",
              "give the patient's age", "acme style plugin", Scope.ITEM)]


def check(file, data, position):
    stem = data.get("stem")
    if isinstance(stem, str) and "patient" in stem and "year-old" not in stem:
        line, col = position(("stem",))
        yield rules[0].finding(file, line, col, "stem names a patient without an age")
"""


@pytest.fixture
def plugin_dist(tmp_path, monkeypatch):
    """A real installed distribution: a module and its dist-info with an entry point."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_house_rules.py").write_text(PLUGIN, encoding="utf-8")
    info = site / "acme_house_rules-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-house-rules\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[cehrs_items.rules]\nacme = acme_house_rules\nbroken = acme_house_rules_missing\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(site))
    return site


def _bank_with(tmp_path: Path, config: str) -> Path:
    bank = tmp_path / "bank"
    (bank / "items" / "1").mkdir(parents=True)
    (bank / "blueprint.yaml").write_bytes((GOLDEN / "blueprint.yaml").read_bytes())
    source = GOLDEN / "items" / "1" / "NC-0101.yaml"
    (bank / "items" / "1" / "NC-0101.yaml").write_bytes(source.read_bytes())
    (bank / "cehrs-items.toml").write_text(config, encoding="utf-8")
    return bank


def test_plugin_from_an_installed_distribution(plugin_dist, tmp_path, monkeypatch):
    bank = _bank_with(tmp_path, 'plugins = ["acme"]\n')
    monkeypatch.chdir(tmp_path)
    result = validate_paths(["bank"])
    acme = [f for f in result.findings if f.rule == "ACME001"]
    assert [(f.file, f.line, f.col, f.message) for f in acme] == [
        ("bank/items/1/NC-0101.yaml", 6, 7, "stem names a patient without an age")
    ]
    assert "ACME001" in result.rules
    catalogue, problems = bank_catalogue(bank)
    assert problems == [] and catalogue["ACME001"].source == "acme style plugin"
    assert validate_paths(["bank"], ignore=["ACME001"]).findings == tuple(
        f for f in result.findings if f.rule != "ACME001"
    )


def test_missing_or_broken_plugin_is_a_located_finding(plugin_dist, tmp_path, monkeypatch):
    _bank_with(tmp_path, 'plugins = [\n  "broken",\n  "nowhere",\n]\n')
    monkeypatch.chdir(tmp_path)
    result = validate_paths(["bank"])
    conf = [(f.rule, f.line, f.col, f.message) for f in result.findings if f.rule == "CONF003"]
    assert conf == [
        (
            "CONF003",
            2,
            3,
            "rule plugin 'broken' cannot be loaded: ModuleNotFoundError: No module named "
            "'acme_house_rules_missing'",
        ),
        (
            "CONF003",
            3,
            3,
            "rule plugin 'nowhere' is not installed (entry-point group cehrs_items.rules)",
        ),
    ]
