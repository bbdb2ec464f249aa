import re

import pytest

from cehrs_items.catalogue import BUILTIN
from cehrs_items.catalogue.render import rules_markdown
from cehrs_items.findings import Severity
from cehrs_items.validate.rules import HDR2002, RULES, get_rule


def test_ids_follow_the_family_pattern_in_registry_order():
    families = ["PARSE", "SCH", "BANK", "STAT", "IW"]
    seen = []
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id
        assert re.fullmatch(r"(PARSE|SCH|BANK|STAT)[0-9]{3}|IW[0-9]{3}", rule_id), rule_id
        seen.append(families.index(rule.family))
    assert seen == sorted(seen)


def test_every_rule_has_summary_hint_and_source():
    for rule in RULES.values():
        assert rule.summary.endswith(".") and rule.summary.lstrip("'")[0].isupper(), rule.id
        assert rule.hint and not rule.hint.endswith("."), rule.id
        assert rule.source, rule.id
        assert isinstance(rule.severity, Severity)


def test_item_writing_rules_cite_a_haladyna_guideline_or_the_contract():
    for rule in RULES.values():
        if rule.family == "IW" and rule.id != "IW010":
            assert rule.source.startswith(HDR2002), rule.id
            number = int(re.search(r"guideline (\d+)", rule.source).group(1))
            assert 1 <= number <= 31


def test_loader_rules_are_registered():
    assert {f"PARSE00{i}" for i in range(7)} <= set(RULES)


def test_get_rule_unknown_names_the_families():
    assert get_rule("IW001").id == "IW001"
    with pytest.raises(KeyError, match="PARSE, SCH, BANK, STAT and IW"):
        get_rule("XX001")


def test_rule_finding_uses_rule_severity_and_default_hint():
    finding = RULES["BANK010"].finding("a.yaml", 3, 7, "stem is similar")
    assert finding.severity is Severity.WARNING
    assert finding.hint == RULES["BANK010"].hint
    assert RULES["BANK010"].finding("a.yaml", 3, 7, "m", "special").hint == "special"


def test_rules_markdown_lists_every_rule_once():
    text = rules_markdown(BUILTIN)
    for rule_id in BUILTIN:
        assert text.count(f"| {rule_id} |") == 1
