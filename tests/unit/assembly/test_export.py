"""form export: review layouts with item text and the answer key."""

from __future__ import annotations

import copy
import io
import json

import polars as pl
import pytest

from cehrs_items.assembly._synthetic import bank_from_docs
from cehrs_items.assembly.export import export_form
from cehrs_items.errors import DataError, InputError
from cehrs_items.forms import form_from_data

LAYOUT = [("NC-0001", "scored"), ("NC-0007", "pretest"), ("CO-0001", "scored")]


@pytest.fixture
def setup(kit):
    docs = kit.items(3)
    ids = {d["id"]: d for d in docs}
    ids["NC-0001"]["stem"] = "Which screen | shows the schedule?\n  Pick one."
    positions = [
        {
            "position": pos,
            "item_id": i,
            "item_version": 1,
            "role": role,
            "domain": ids[i]["domain"],
            "subdomain": ids[i]["subdomain"],
            "key": ids[i]["key"],
        }
        for pos, (i, role) in enumerate(LAYOUT, start=1)
    ]
    positions[2]["anchor"] = True
    form = form_from_data(
        {"form_id": "R1", "blueprint_id": "tiny-test", "positions": positions}, path="R1.json"
    )
    return docs, form


def test_markdown(setup):
    docs, form = setup
    out = export_form(form, bank=bank_from_docs(docs, None, root="<b>"), fmt="markdown")
    text = out.text
    assert text.startswith("# Form R1: delivery review copy\n\n**CONFIDENTIAL")
    assert (
        "### 1. NC-0001 (v1; domain 1, 1.1; scored)\n\nWhich screen | shows the schedule? Pick one.\n"
        in text
    )
    assert "- **A.** Option A of NC-0001\n" in text
    assert "### 3. CO-0001 (v1; domain 2, 2.1; scored, anchor)" in text
    key_part = text.split("## Answer key")[1]
    assert "| 1 | NC-0001 | 1 | A | scored |" in key_part
    assert "| 2 | NC-0007 | 1 | C | pretest |" in key_part
    assert "| 3 | CO-0001 | 1 | B | scored, anchor |" in key_part


def test_csv_round_trips(setup):
    docs, form = setup
    out = export_form(form, bank=bank_from_docs(docs, None, root="<b>"), fmt="csv")
    frame = pl.read_csv(io.StringIO(out.text))
    assert frame.columns == [
        "position", "item_id", "item_version", "role", "anchor", "domain", "subdomain",
        "stem", "option_A", "option_B", "option_C", "option_D", "key",
    ]  # fmt: skip
    assert frame["item_id"].to_list() == ["NC-0001", "NC-0007", "CO-0001"]
    assert frame["stem"][0] == "Which screen | shows the schedule?\n  Pick one."
    assert frame["key"].to_list() == ["A", "C", "B"]
    key = pl.read_csv(io.StringIO(out.key_csv))
    assert key.columns == ["position", "item_id", "item_version", "role", "key"]


def test_json(setup):
    docs, form = setup
    out = export_form(form, bank=bank_from_docs(docs, None, root="<b>"), fmt="json")
    data = json.loads(out.text)
    assert data["answer_key"] == [
        {"position": 1, "item_id": "NC-0001", "key": "A"},
        {"position": 2, "item_id": "NC-0007", "key": "C"},
        {"position": 3, "item_id": "CO-0001", "key": "B"},
    ]
    assert data["positions"][0]["options"]["D"] == "Option D of NC-0001"


def test_version_mismatch_is_refused(setup):
    docs, form = setup
    docs = copy.deepcopy(docs)
    docs[0]["version"] = 2
    with pytest.raises(DataError, match="position 1: item NC-0001 is version 1 on the form but 2"):
        export_form(form, bank=bank_from_docs(docs, None, root="<b>"))


def test_unknown_item_and_format(setup):
    docs, form = setup
    bank = bank_from_docs([d for d in docs if d["id"] != "CO-0001"], None, root="<b>")
    with pytest.raises(DataError, match="position 3: item CO-0001 is not in the bank"):
        export_form(form, bank=bank)
    with pytest.raises(InputError, match="--format: 'pdf'"):
        export_form(form, bank=bank, fmt="pdf")


def test_write_refuses_overwrite(setup, tmp_path):
    docs, form = setup
    out = export_form(form, bank=bank_from_docs(docs, None, root="<b>"))
    target, key = tmp_path / "r1.md", tmp_path / "r1-key.csv"
    out.write(target, key_out=key)
    assert target.read_text() == out.text and key.read_text() == out.key_csv
    with pytest.raises(InputError, match="already exists"):
        out.write(target)
    with pytest.raises(InputError, match="same file"):
        out.write(target, key_out=target, force=True)
