"""form check: a hand-made valid form passes; each violation is reported by its rule."""

from __future__ import annotations

import copy
import json

import pytest

from cehrs_items.assembly import RULES, check_forms
from cehrs_items.assembly._synthetic import bank_from_docs, form_document
from cehrs_items.findings import Severity
from cehrs_items.forms import dumps_form, form_from_data

# position -> (item_id, role); keys A B C D A B C D D C; pretest at 3 and 8
GOOD = [
    ("NC-0001", "scored"),
    ("NC-0002", "scored"),
    ("NC-0007", "pretest"),
    ("NC-0004", "scored"),
    ("NC-0005", "scored"),
    ("CO-0001", "scored"),
    ("CO-0002", "scored"),
    ("CO-0007", "pretest"),
    ("CO-0003", "scored"),
    ("CO-0006", "scored"),
]


@pytest.fixture
def docs(kit):
    return kit.items(3)


def make_form(docs, layout=GOOD, form_id="T1", **extra):
    return form_document(docs, layout, form_id, **extra)


def run(tmp_path, kit, docs, forms, **kwargs):
    paths = []
    for data in forms:
        path = tmp_path / f"{data['form_id']}.json"
        path.write_text(data["raw"] if "raw" in data else dumps_form(data))
        paths.append(path)
    bank = bank_from_docs(docs, None, root="<tiny>")
    return check_forms(paths, bank=bank, blueprint=kit.bp, **kwargs)


def rules(result, severity=Severity.ERROR):
    return sorted({f.rule for f in result.findings if f.severity is severity})


def test_good_form_passes(tmp_path, kit, docs):
    result = run(tmp_path, kit, docs, [make_form(docs)])
    assert result.findings == [] and result.ok


def entry(data, position):
    return next(p for p in data["positions"] if p["position"] == position)


def swap(data, a, b):
    pa, pb = entry(data, a), entry(data, b)
    pa["position"], pb["position"] = b, a


def set_bank(docs, item_id, **fields):
    for d in docs:
        if d["id"] == item_id:
            d.update(fields)


CASES = {
    "unknown item": (lambda f, d: entry(f, 5).update(item_id="NC-0999"), ["FORM001"]),
    "version": (lambda f, d: entry(f, 5).update(item_version=2), ["FORM002"]),
    "key differs": (lambda f, d: entry(f, 1).update(key="B"), ["FORM003"]),
    "scored draft": (lambda f, d: set_bank(d, "NC-0005", status="draft"), ["FORM004"]),
    "pretest slot with operational item": (
        lambda f, d: entry(f, 3).update(item_id="NC-0003", key="C"),
        ["FORM005"],
    ),
    "too few items": (lambda f, d: f["positions"].pop(), ["FORM006", "FORM008"]),
    "position gap": (lambda f, d: entry(f, 10).update(position=11), ["FORM007"]),
    "domain counts": (
        lambda f, d: entry(f, 10).update(item_id="NC-0003", domain=1, subdomain="1.1"),
        ["FORM008"],
    ),
    "subdomain minimum": (
        lambda f, d: [set_bank(d, i, subdomain="1.1") for i in ("NC-0004", "NC-0005")],
        ["FORM003", "FORM009"],
    ),
    "pretest per domain": (
        lambda f, d: entry(f, 8).update(item_id="NC-0008", domain=1, subdomain="1.1"),
        ["FORM010"],
    ),
    "enemies": (
        lambda f, d: (
            set_bank(d, "NC-0001", enemies=["CO-0001"]),
            set_bank(d, "CO-0001", enemies=["NC-0001"]),
        ),
        ["FORM011"],
    ),
    "enemy declared on one side only": (
        lambda f, d: set_bank(d, "CO-0001", enemies=["NC-0001"]),
        ["FORM011"],
    ),
    "key shares": (
        lambda f, d: [
            (set_bank(d, i, key="A"), entry(f, p).update(key="A"))
            for i, p in (("NC-0002", 2), ("CO-0001", 6))
        ],
        ["FORM012"],
    ),
    "key run": (lambda f, d: swap(f, 4, 9) or swap(f, 4, 7) or swap(f, 7, 9), ["FORM013"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_violation_is_found(tmp_path, kit, docs, case):
    mutate, expected = CASES[case]
    data = make_form(docs)
    docs = copy.deepcopy(docs)
    mutate(data, docs)
    result = run(tmp_path, kit, docs, [data])
    assert rules(result) == expected
    assert not result.ok
    for f in result.findings:
        assert f.rule in RULES and f.hint == RULES[f.rule].hint


def test_key_run_message(tmp_path, kit, docs):
    data = make_form(docs)
    # keys become A B C C A B D D D C: D at positions 7-9
    swap(data, 4, 9)
    swap(data, 4, 7)
    swap(data, 7, 9)
    keys = [p["key"] for p in sorted(data["positions"], key=lambda p: p["position"])]
    assert keys == list("ABCCABDDDC")
    result = run(tmp_path, kit, docs, [data])
    (finding,) = result.findings
    assert finding.message == "key D at 3 positions in a row (7-9); form.key_balance.max_run is 2"


def test_bunched_pretest(tmp_path, kit, docs):
    layout = [GOOD[j] for j in (0, 1, 3, 4, 5, 6, 8, 9, 2, 7)]
    data = make_form(docs, layout)
    assert rules(run(tmp_path, kit, docs, [data])) == []  # 10 positions: every spread is fine
    result = run(tmp_path, kit, docs, [data], pretest_gap_factor=1.0)
    (finding,) = [f for f in result.findings if f.rule == "FORM014"]
    assert finding.message == (
        "8 positions without a pretest item before position 9; at most 4 allowed for "
        "2 pretest items in 10 positions"
    )


def test_finding_points_at_the_position_entry(tmp_path, kit, docs):
    data = make_form(docs)
    entry(data, 5).update(item_version=2)
    result = run(tmp_path, kit, docs, [data])
    (finding,) = result.findings
    text = (tmp_path / "T1.json").read_text().splitlines()
    assert finding.file.endswith("T1.json")
    assert text[finding.line - 1].strip() == '"item_version": 2,'


def test_blueprint_and_bank_changes_are_not_errors(tmp_path, kit, docs):
    data = make_form(docs, blueprint_id="other", bank_sha256="0" * 64)
    result = run(tmp_path, kit, docs, [data])
    assert result.ok
    assert rules(result, Severity.WARNING) == ["FORM017"]
    assert rules(result, Severity.INFO) == ["FORM018"]


def _base(docs):
    # shares NC-0001 and CO-0001 with GOOD
    layout = [
        ("NC-0001", "scored"),
        ("NC-0003", "scored"),
        ("NC-0006", "scored"),
        ("NC-0009", "pretest"),
        ("CO-0001", "scored"),
        ("CO-0004", "scored"),
        ("CO-0005", "scored"),
        ("CO-0009", "pretest"),
    ]
    return form_from_data(make_form(docs, layout, form_id="BASE"), path="BASE.json")


def flagged(data, *positions):
    for p in positions:
        entry(data, p)["anchor"] = True
    return data


def test_anchors_valid(tmp_path, kit, docs):
    data = flagged(make_form(docs), 1, 6)
    result = run(tmp_path, kit, docs, [data], anchor_form=_base(docs), anchor_items=2)
    assert result.findings == []


@pytest.mark.parametrize(
    ("positions", "errors", "warnings"),
    [
        ((1,), ["FORM016"], ["FORM021"]),  # CO-0001 common but not flagged: 1 anchor of 2
        ((1, 6, 2), ["FORM015"], []),  # NC-0002 is not on the base form
        ((1, 6, 3), ["FORM015"], []),  # a pretest item flagged anchor
    ],
)
def test_anchor_violations(tmp_path, kit, docs, positions, errors, warnings):
    data = flagged(make_form(docs), *positions)
    result = run(tmp_path, kit, docs, [data], anchor_form=_base(docs), anchor_items=2)
    assert rules(result) == errors
    assert rules(result, Severity.WARNING) == warnings


def test_anchor_version_must_match(tmp_path, kit, docs):
    base = _base(docs)
    docs = copy.deepcopy(docs)
    set_bank(docs, "NC-0001", version=2)
    data = flagged(make_form(docs), 1, 6)  # the form uses version 2 of NC-0001
    result = run(tmp_path, kit, docs, [data], anchor_form=base, anchor_items=2)
    assert "FORM015" in rules(result)
    assert any("version 2 here but 1 on anchor form BASE" in f.message for f in result.findings)


def test_overlap_and_exposure_between_forms(tmp_path, kit, docs):
    a = make_form(docs, form_id="A")
    b = make_form(docs, form_id="B")
    result = run(tmp_path, kit, docs, [a, b], max_overlap=1, max_exposure=1)
    assert rules(result) == ["FORM019", "FORM020"]
    overlap = [f for f in result.findings if f.rule == "FORM019"]
    assert overlap[0].message == "forms A and B share 8 scored items; at most 1 allowed"
    assert len([f for f in result.findings if f.rule == "FORM020"]) == 10


def test_recorded_limits_are_used(tmp_path, kit, docs):
    solver = {"status": "optimal", "settings": {"max_overlap": 1, "max_exposure": 2}}
    a = make_form(docs, form_id="A", solver=solver)
    b = make_form(docs, form_id="B", solver=solver)
    assert rules(run(tmp_path, kit, docs, [a, b])) == ["FORM019"]


def test_unreadable_and_invalid_files_are_findings(tmp_path, kit, docs):
    bad_json = '{"form_id": "X", "positions": [\n'
    invalid = make_form(docs, form_id="Y")
    invalid["positions"][0]["role"] = "bonus"
    result = run(tmp_path, kit, docs, [{"form_id": "X", "raw": bad_json}, invalid], max_overlap=8)
    assert rules(result) == ["FORM000"]
    assert len(result.forms) == 0


def test_duplicate_form_ids(tmp_path, kit, docs):
    data = make_form(docs)
    p1, p2 = tmp_path / "a.json", tmp_path / "b.json"
    p1.write_text(json.dumps(data))
    p2.write_text(json.dumps(data))
    bank = bank_from_docs(docs, None, root="<tiny>")
    result = check_forms([p1, p2], bank=bank, blueprint=kit.bp)
    assert any(f.message == "form id T1 used by 2 files" for f in result.findings)
