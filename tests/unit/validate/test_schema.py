from _validate_items import dump, item

from cehrs_items.items.loader import load_document_text
from cehrs_items.validate.schema import check_schema, describe


def _findings(text: str):
    return sorted(check_schema(load_document_text(text, "x.yaml")), key=lambda f: f.sort_key())


def test_valid_item_has_no_findings():
    assert _findings(dump(item())) == []


def test_author_message_for_a_number_option_points_at_the_value():
    text = dump(item(options={"A": "one", "B": "two", "C": "three", "D": "x", "E": 2026}))
    line = text.splitlines().index("  E: 2026") + 1
    [finding] = [f for f in _findings(text) if f.rule == "SCH004"]
    assert (finding.line, finding.col) == (line, 6)
    assert finding.message == "option E: expected text, found a number"
    assert finding.hint == "put the text in quotes"


def test_missing_field_points_at_the_parent_mapping():
    text = "# comment\n" + dump(item(references=None))
    [finding] = _findings(text)
    assert finding.rule == "SCH002"
    assert (finding.line, finding.col) == (2, 1)
    assert finding.message == "missing required field 'references'"
    assert finding.hint.startswith("add `references:` (Sources supporting the key")


def test_unknown_field_points_at_its_key_and_suggests_the_spelling():
    text = dump(item()) + "cognitve_level: recall\n"
    findings = _findings(text)
    unknown = [f for f in findings if f.rule == "SCH003"]
    assert len(unknown) == 1
    assert unknown[0].line == len(text.splitlines()) and unknown[0].col == 1
    assert unknown[0].hint == "did you mean 'cognitive_level'?"


def test_every_error_is_collected_not_only_the_first():
    text = dump(item(version="two", status="final", domain=9, key="Z"))
    rules = [f.rule for f in _findings(text)]
    assert rules.count("SCH004") == 1 and rules.count("SCH005") == 2 and rules.count("SCH007") == 1


def test_impossible_date_is_sch009_not_a_pattern_error():
    findings = _findings(dump(item(created="2026-02-29", modified="2026-03-01")))
    assert [f.rule for f in findings] == ["SCH009"]
    assert findings[0].message == "created 2026-02-29 is not a real date"


def test_json_document_positions():
    text = '{\n  "id": "NC-0201",\n  "version": "1"\n}\n'
    findings = check_schema(load_document_text(text, "x.json"))
    version = next(f for f in findings if f.rule == "SCH004")
    assert (version.line, version.col) == (3, 14)


def test_describe_paths_in_author_words():
    assert describe(()) == "the item"
    assert describe(("options", "C")) == "option C"
    assert describe(("rationale", "B")) == "rationale for option B"
    assert describe(("references", 1)) == "reference 2"
    assert describe(("lint_ignore", 0, "reason")) == "reason of lint_ignore entry 1"
    assert describe(("version",)) == "version"


def test_non_mapping_documents():
    for text, found in (("- a\n", "a list"), ("42\n", "a number"), ("true\n", "true/false (true)")):
        [finding] = _findings(text)
        assert finding.rule == "SCH001" and finding.message.endswith(f"found {found}")


def test_fast_path_engages_for_valid_items_and_refuses_unknown_keywords():
    from cehrs_items.contracts import validator
    from cehrs_items.validate.schema import compile_fast_check

    fast = compile_fast_check(validator("item").schema)
    assert fast is not None
    assert fast(item()) is True
    assert fast(item(version=1.0)) is False  # integral float: left to jsonschema
    assert fast(item(options={"A": "a", "B": "b"})) is False
    assert compile_fast_check({"type": "string", "format": "email"}) is None
    assert compile_fast_check({"$ref": "#/x"}) is None
    assert compile_fast_check(validator("item_stats").schema) is not None
