import pytest
from _validate_items import dump, item

from cehrs_items.items.loader import load_document_text
from cehrs_items.items.model import Item
from cehrs_items.validate.bank_rules import ItemFile
from cehrs_items.validate.lint import (
    article_sound,
    clang_words,
    lint_item,
    negative_words,
)


def _lint(data, skip=()):
    doc = load_document_text(dump(data), "x.yaml")
    entry = ItemFile("x.yaml", doc, item=Item.from_data(doc.data, path="x.yaml"))
    return lint_item(entry, skip=skip)


def test_well_written_base_item_is_clean():
    assert _lint(item()) == []


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("Which of the following is not a HIPAA identifier?", ["not"]),
        ("Which of the following is NOT a HIPAA identifier?", ["NOT"]),
        ("All of these are transactions except:", ["except"]),
        ("What should the specialist do if the patient has not signed the form?", []),
        ("A patient has not had an HbA1c in a year. Which report finds such patients?", []),
        ("Which task is least likely to need the EHR?", ["least"]),
        ("At least how many identifiers must be checked?", []),
        ("Which record can't be released without consent?", ["can't"]),
        ("Which step, when the claim is denied, is NOT needed?", ["NOT"]),
        ("Which step, when the claim is denied, is not needed?", ["not"]),
        ("If the patient has not signed, which form is needed?", []),
        ("When the claim is denied, which step is not needed?", ["not"]),
        ("When should the specialist not release a record?", ["not"]),
    ],
)
def test_negative_words_in_the_main_clause(stem, expected):
    assert negative_words(stem) == expected


@pytest.mark.parametrize(
    ("text", "sound"),
    [
        ("remittance advice", "consonant"),
        ("explanation of benefits", "vowel"),
        ("hour-long visit", "vowel"),
        ("unique identifier", "consonant"),
        ("one-time password", "consonant"),
        ("EHR audit log", "vowel"),
        ("MRI order", None),
        ("HIPAA form", None),
        ("CPT code", "consonant"),
        ("URL", "consonant"),
        ("837P claim", "vowel"),
        ("11-digit NDC", "vowel"),
        ("270 inquiry", "consonant"),
        ("", None),
    ],
)
def test_article_sound(text, sound):
    assert article_sound(text) == sound


def test_clang_words_ignore_stop_words_and_shared_distractor_words():
    # 'record' is a domain stop word; 'viewed' is shared by stem and key only
    assert clang_words(
        "Which safeguard records who viewed the record?",
        "Audit controls that record who viewed it",
        ["Encryption", "A signed agreement"],
    ) == ["viewed"]
    # 'release' also appears in a distractor, so it is no cue
    assert clang_words(
        "Which form lets a patient permit release of records to a lawyer?",
        "A signed release permit form",
        ["A notice of privacy practices", "A release log"],
    ) == ["permit"]
    assert clang_words(
        "Where are vital signs entered for trending?",
        "The vital signs flowsheet",
        ["The chief complaint", "The scanned documents"],
    ) == ["sign", "vital"]


def test_clang_needs_two_words():
    one = item(stem="Which safeguard shows who viewed a chart and when it was opened?")
    options = dict(one["options"])
    options["A"] = "Audit controls listing who viewed it"
    assert "IW008" not in {f.rule for f in _lint(item(stem=one["stem"], options=options))}
    options["A"] = "Audit controls listing who viewed and opened it"
    assert "IW008" in {f.rule for f in _lint(item(stem=one["stem"], options=options))}


def test_absolute_words_only_in_claims():
    base = item()
    options = dict(base["options"])
    options["B"] = "A sort of all patients by last name"
    assert _lint(item(options=options)) == []
    options["B"] = "All patients must sign the form first"
    [finding] = _lint(item(options=options))
    assert finding.rule == "IW003" and "'all'" in finding.message


def test_lint_ignore_and_skip():
    options = dict(item()["options"])
    options["D"] = "None of the above"
    flagged = _lint(item(options=options))
    assert "IW002" in {f.rule for f in flagged}
    quiet = _lint(item(options=options, lint_ignore=[{"rule": "IW002", "reason": "pilot"}]))
    assert "IW002" not in {f.rule for f in quiet}
    assert "IW002" not in {f.rule for f in _lint(item(options=options), skip=["IW002"])}
    assert "IW002" not in {f.rule for f in _lint(item(options=options, lint_ignore=["IW002"]))}


def test_key_longer_needs_ratio_and_absolute_difference():
    short = {"A": "Yes, always", "B": "No", "C": "Never", "D": "Maybe"}
    findings = _lint(item(options=short, key="A"))
    assert "IW005" not in {f.rule for f in findings}  # 11 characters is not notable
