from cehrs_items.findings import Severity
from cehrs_items.items.loader import MAX_NODES, load_document, load_document_text


def test_positions_are_one_based_line_and_column():
    doc = load_document_text("id: NC-0001\noptions:\n  A: one\n  B: two\n", "x.yaml")
    assert doc.ok
    assert doc.positions[("id",)] == (1, 5)
    assert doc.positions[("options", "B")] == (4, 6)
    assert doc.key_positions[("options", "B")] == (4, 3)


def test_yaml_12_scalars_keep_author_text():
    doc = load_document_text(
        "a: No\nb: yes\nc: 2024-01-05\nd: 3\ne: '3'\nf: true\ng: 1.5\n", "x.yaml"
    )
    assert doc.data == {
        "a": "No",
        "b": "yes",
        "c": "2024-01-05",
        "d": 3,
        "e": "3",
        "f": True,
        "g": 1.5,
    }


def test_duplicate_key_is_a_finding_at_the_second_key():
    doc = load_document_text("a: 1\nb: 2\na: 3\n", "x.yaml")
    [finding] = doc.findings
    assert (finding.rule, finding.line, finding.col) == ("PARSE002", 3, 1)
    assert "first defined on line 1" in finding.message
    assert doc.data == {"a": 1, "b": 2}


def test_syntax_error_has_parser_position():
    doc = load_document_text("a: [1, 2\nb: 3\n", "x.yaml")
    [finding] = doc.findings
    assert finding.rule == "PARSE001" and finding.severity is Severity.ERROR
    assert finding.line is not None and finding.line >= 2


def test_python_tags_are_refused_not_constructed():
    doc = load_document_text("a: !!python/object/apply:os.system ['echo hi']\n", "x.yaml")
    assert [f.rule for f in doc.findings] == ["PARSE003"]
    assert doc.data == {"a": None}


def test_alias_bomb_is_bounded():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    doc = load_document_text("\n".join(lines) + "\n", "bomb.yaml")
    assert [f.rule for f in doc.findings] == ["PARSE005"]
    assert str(MAX_NODES) in doc.findings[0].message


def test_tabs_and_bad_encoding(tmp_path):
    doc = load_document_text("a:\n\t- 1\n", "t.yaml")
    assert [(f.rule, f.line) for f in doc.findings] == [("PARSE001", 2)]
    bad = tmp_path / "latin.yaml"
    bad.write_bytes("stem: caf\xe9\n".encode("latin-1"))
    doc = load_document(bad)
    assert [(f.rule, f.line, f.col) for f in doc.findings] == [("PARSE006", 1, 10)]


def test_json_is_accepted_with_positions(tmp_path):
    path = tmp_path / "i.json"
    path.write_text('{"id": "NC-0001",\n "version": 2}\n')
    doc = load_document(path)
    assert doc.data == {"id": "NC-0001", "version": 2}
    assert doc.positions[("version",)] == (2, 13)


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "e.yaml"
    empty.write_text("")
    assert [f.rule for f in load_document(empty).findings] == ["PARSE004"]
    assert [f.rule for f in load_document(tmp_path / "nope.yaml").findings] == ["PARSE000"]
