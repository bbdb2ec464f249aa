import itertools
import random

import pytest
from _validate_items import BLUEPRINT, dump, item

from cehrs_items.blueprint import load_blueprint
from cehrs_items.items.loader import load_document_text
from cehrs_items.items.model import Item
from cehrs_items.validate.bank_rules import (
    ItemFile,
    check_bank,
    check_item_stats,
    normalise_stem,
    shingles,
    similar_pairs,
)


def _entry(data, name=None, report=True):
    name = name or f"{data['id']}.yaml"
    doc = load_document_text(dump(data), name)
    return ItemFile(name, doc, item=Item.from_data(doc.data, path=name), report=report)


def _brute(texts, threshold):
    sets = [shingles(t) for t in texts]
    out = []
    for i, j in itertools.combinations(range(len(texts)), 2):
        if sets[i] and sets[j]:
            sim = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
            if sim >= threshold - 1e-12:
                out.append((i, j))
    return out


WORDS = [
    "patient",
    "chart",
    "order",
    "result",
    "claim",
    "payer",
    "portal",
    "audit",
    "report",
    "schedule",
    "visit",
    "allergy",
    "medication",
    "referral",
    "consent",
    "record",
    "access",
    "code",
    "denial",
    "eligibility",
    "note",
    "vital",
]


def _random_stems(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    base = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20))) for _ in range(n)]
    stems = list(base)
    for text in base[: n // 2]:  # perturbed copies: near and far
        words = text.split()
        for _ in range(rng.randint(0, 4)):
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        stems.append(" ".join(words))
    return [normalise_stem(s) for s in stems]


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.95, 1.0])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_similar_pairs_equals_brute_force(seed, threshold):
    stems = _random_stems(seed, 60)
    found = [(i, j) for i, j, _ in similar_pairs(stems, threshold)]
    assert found == _brute(stems, threshold)


def test_similar_pairs_reports_jaccard_and_identical_texts():
    pairs = similar_pairs(["abcdefgh", "abcdefgh", "zzzzzzzz"], 0.8)
    assert pairs == [(0, 1, 1.0)]
    with pytest.raises(ValueError):
        similar_pairs(["a"], 0)


def test_normalise_and_shingles():
    assert normalise_stem("  Where, in the EHR?? ") == "where in the ehr"
    assert shingles("abcdef") == {"abcde", "bcdef"}
    assert shingles("abc") == {"abc"}
    assert shingles("") == set()


def test_asymmetric_enemy_reported_on_both_items():
    a = _entry(item(id="NC-0201", enemies=["NC-0202"]))
    b = _entry(item(id="NC-0202", stem="A completely different question about fax cover sheets?"))
    findings = [f for f in check_bank([a, b]) if f.rule == "BANK007"]
    assert sorted(f.file for f in findings) == ["NC-0201.yaml", "NC-0202.yaml"]


def test_context_partner_still_yields_finding_on_named_file():
    named = _entry(item(id="NC-0201"), report=True)
    context = _entry(item(id="NC-0202", enemies=["NC-0201"]), report=False)
    files = {f.file for f in check_bank([named, context]) if f.rule == "BANK007"}
    assert "NC-0201.yaml" in files


def test_duplicate_stems_exempt_for_enemies_and_retired():
    stem = "Which report lists every patient due for a flu shot this season?"
    a = _entry(item(id="NC-0201", stem=stem))
    b = _entry(item(id="NC-0202", stem=stem.upper()))
    assert {f.rule for f in check_bank([a, b])} >= {"BANK009"}
    c = _entry(item(id="NC-0202", stem=stem, status="retired"))
    assert "BANK009" not in {f.rule for f in check_bank([a, c])}
    d = _entry(item(id="NC-0201", stem=stem, enemies=["NC-0202"]))
    e = _entry(item(id="NC-0202", stem=stem, enemies=["NC-0201"]))
    assert "BANK009" not in {f.rule for f in check_bank([d, e])}


def test_blueprint_rules_need_a_blueprint():
    bad = _entry(item(id="CO-0201"))
    assert "BANK012" not in {f.rule for f in check_bank([bad])}
    bp = load_blueprint(BLUEPRINT)
    assert "BANK012" in {f.rule for f in check_bank([bad], blueprint=bp)}


def _table(tmp_path, text):
    path = tmp_path / "item_stats.csv"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "item_id,item_version,form_id,administration_date,source,n,p_value\n"


def test_stats_columns_point_into_quoted_fields(tmp_path):
    path = _table(tmp_path, HEADER + 'NC-0201,1,"Form, A",2026-11-01,analysis,-3,0.5\n')
    [finding] = check_item_stats(path, display="t.csv")
    assert finding.rule == "STAT002" and (finding.line, finding.col) == (2, 41)
    assert finding.message == "n: -3 is out of range (allowed: at least 0)"


def test_stats_short_row_and_empty_table(tmp_path):
    [short] = check_item_stats(_table(tmp_path, HEADER + "NC-0201,1\n"), display="t.csv")
    assert short.rule == "STAT002" and "2 cells" in short.message
    [empty] = check_item_stats(_table(tmp_path, ""), display="t.csv")
    assert empty.rule == "STAT001" and empty.line is None


def test_stats_against_items(tmp_path):
    items = {"NC-0201": Item.from_data(item(version=2), path="NC-0201.yaml")}
    path = _table(
        tmp_path,
        HEADER
        + "NC-0201,2,F1,2026-11-01,analysis,10,0.5\nNC-0201,3,F1,2026-11-01,analysis,10,0.5\n"
        "NC-0299,1,F1,2026-11-01,analysis,10,0.5\n",
    )
    rules = [(f.line, f.rule) for f in check_item_stats(path, items=items)]
    assert rules == [(3, "STAT004"), (4, "STAT003")]
    assert check_item_stats(path) == []  # without the bank only the contract is checked


def test_stats_unreadable(tmp_path):
    path = tmp_path / "item_stats.csv"
    path.write_bytes(b"\xff\xfe")
    [finding] = check_item_stats(path)
    assert finding.rule == "STAT001" and "not UTF-8" in finding.message
