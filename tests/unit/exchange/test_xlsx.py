"""Workbooks for authors: what export writes (as openpyxl reads it) and what import
reports, located by sheet, row and column; never a partial bank."""

from __future__ import annotations

from pathlib import Path

import pytest

from cehrs_items.bank import load_bank
from cehrs_items.exchange.common import write_items
from cehrs_items.exchange.xlsx import COLUMNS, export_xlsx, import_xlsx

openpyxl = pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parents[3]
BANK = ROOT / "item_bank"
BLUEPRINT = BANK / "blueprint.yaml"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "items.xlsx"
    path.write_bytes(export_xlsx(BANK))
    return path


def test_export_cells_types_and_dropdowns(workbook):
    book = openpyxl.load_workbook(workbook)
    sheet = book["items"]
    header = [c.value for c in sheet[1]]
    assert header == list(COLUMNS)
    assert sheet.max_row == 382  # header + 381 items
    col = {name: i + 1 for i, name in enumerate(header)}
    row2 = {name: sheet.cell(row=2, column=col[name]) for name in header}
    assert row2["id"].value == "CO-0001"  # sorted by id
    assert row2["version"].data_type == "n" and isinstance(row2["version"].value, int)
    assert row2["domain"].data_type == "n" and row2["domain"].value == 2
    assert row2["created"].data_type == "s"  # dates stay text, as item files hold them
    assert row2["key"].value in ("A", "B", "C", "D")
    assert row2["option_E"].value is None
    validations = {
        str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation
    }
    letter = {name: openpyxl.utils.get_column_letter(i) for name, i in col.items()}
    assert validations[f"{letter['domain']}2"] == '"1,2,3,4,5"'
    assert validations[f"{letter['status']}2"] == '"draft,review,pretest,operational,retired"'
    assert validations[f"{letter['key']}2"] == '"A,B,C,D,E"'
    assert "1.1" in validations[f"{letter['subdomain']}2"]
    assert all(dv.type == "list" for dv in sheet.data_validations.dataValidation)


def test_export_is_byte_identical(workbook):
    assert export_xlsx(BANK) == workbook.read_bytes()


def test_round_trip_of_the_whole_bank(workbook):
    result = import_xlsx(workbook, blueprint=BLUEPRINT)
    assert result.findings == []
    bank = load_bank(BANK, with_stats=False)
    assert len(result.items) == 381
    assert all(result.items[i] == item.raw for i, item in bank.items.items())


def _edit(workbook: Path, tmp_path: Path, cells: dict[str, object]) -> Path:
    book = openpyxl.load_workbook(workbook)
    sheet = book["items"]
    sheet.delete_rows(12, sheet.max_row)  # ten items are enough here
    for ref, value in cells.items():
        sheet[ref] = value
    out = tmp_path / "edited.xlsx"
    book.save(out)
    return out


def test_cell_problems_are_located_by_sheet_row_and_column(workbook, tmp_path):
    col = {name: openpyxl.utils.get_column_letter(i + 1) for i, name in enumerate(COLUMNS)}
    edited = _edit(
        workbook,
        tmp_path,
        {
            f"{col['status']}3": "published",
            f"{col['version']}5": "two",
            f"{col['stem']}7": None,
        },
    )
    result = import_xlsx(edited, blueprint=BLUEPRINT)
    located = sorted((f.line, f.col, f.rule) for f in result.findings)
    assert located == [
        (3, COLUMNS.index("status") + 1, "XLS002"),
        (5, COLUMNS.index("version") + 1, "XLS002"),
        (7, COLUMNS.index("stem") + 1, "XLS002"),
    ]
    messages = {f.line: f.message for f in result.findings}
    assert messages[3].startswith(f"sheet items, cell {col['status']}3 (status): 'published'")
    assert messages[7] == f"sheet items, cell {col['stem']}7 (stem): empty; a value is required"
    with pytest.raises(Exception, match="nothing written"):
        write_items(result, tmp_path / "bank")
    assert not (tmp_path / "bank").exists()


def test_validate_findings_come_back_at_the_item_row(workbook, tmp_path):
    col = {name: openpyxl.utils.get_column_letter(i + 1) for i, name in enumerate(COLUMNS)}
    # row 2 is CO-0001 (domain 2): a subdomain of another domain breaks a blueprint rule,
    # and the same text in two options an item-writing rule
    edited = _edit(
        workbook,
        tmp_path,
        {
            f"{col['subdomain']}2": "1.1",
            f"{col['option_B']}4": "same",
            f"{col['option_C']}4": "same",
        },
    )
    result = import_xlsx(edited, blueprint=BLUEPRINT)
    rules = sorted((f.line, f.rule) for f in result.errors)
    assert rules == [(2, "BANK013"), (4, "IW009")]
    assert all(f.message.startswith(f"sheet items, row {f.line} (item ") for f in result.errors)
