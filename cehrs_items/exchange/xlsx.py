"""Spreadsheets for authors: the bank as one row per item, and back.

Sheet ``items``: a header row of field names (:data:`COLUMNS`), then one row per item.
Options and rationales take one column per label (``option_A`` ... ``option_E``,
``rationale_A`` ...); list fields (references, enemies, reviewers, tags, lint_ignore)
hold one entry per line of the cell (``[]`` for an empty list, an empty cell when the
item has no such field); ``version`` and ``domain`` are numbers; dates are
text (``YYYY-MM-DD``). Drop-down lists (data validation) offer the allowed domains,
subdomains, statuses, keys and cognitive levels. Sheet ``lists`` shows those values.

Import reads the sheet by header name, checks every cell (type, allowed value) and
reports each problem as a finding at its sheet, row and column; then the items get the
normal ``validate`` checks, reported at their rows. Any error means nothing is written.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from cehrs_items.errors import InputError
from cehrs_items.exchange.common import (
    FIELD_ORDER,
    LABELS,
    LIST_FIELDS,
    ImportResult,
    validate_documents,
)
from cehrs_items.findings import Finding, Severity

SHEET = "items"
LISTS_SHEET = "lists"
STATUSES = ("draft", "review", "pretest", "operational", "retired")
COGNITIVE_LEVELS = ("recall", "application", "analysis")

COLUMNS: tuple[str, ...] = (
    "id",
    "version",
    "status",
    "domain",
    "subdomain",
    "cognitive_level",
    "stem",
    *(f"option_{label}" for label in LABELS),
    "key",
    *(f"rationale_{label}" for label in LABELS),
    "references",
    "enemies",
    "author",
    "reviewers",
    "created",
    "modified",
    "tags",
    "lint_ignore",
    "notes",
)
"""Columns of the items sheet, in order."""

REQUIRED = ("id", "version", "status", "domain", "subdomain", "cognitive_level", "stem",
            "key", "author", "created", "modified")  # fmt: skip
_WIDTHS = {"stem": 60, "references": 40, "notes": 30}
_FIXED_DATE = dt.datetime(2020, 1, 1)  # workbook properties: same bank, same bytes


def _cell_ref(row: int, col: int) -> str:
    letters = ""
    n = col
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def _lint_lines(entries: list[Any]) -> str:
    return "\n".join(e if isinstance(e, str) else f"{e['rule']}: {e['reason']}" for e in entries)


EMPTY_LIST = "[]"
"""Cell text of a list field that is present but empty (an empty cell: field absent)."""


def _list_cell(values: list[str]) -> str:
    return "\n".join(values) if values else EMPTY_LIST


def item_row(doc: dict[str, Any]) -> list[Any]:
    """The cells of one item's row, in :data:`COLUMNS` order (None for an empty cell)."""
    cells: list[Any] = []
    for column in COLUMNS:
        if column.startswith("option_"):
            cells.append(doc["options"].get(column[-1]))
        elif column.startswith("rationale_"):
            cells.append(doc.get("rationale", {}).get(column[-1]))
        elif column in LIST_FIELDS:
            cells.append(_list_cell(doc[column]) if column in doc else None)
        elif column == "lint_ignore":
            cells.append(
                _list_cell(_lint_lines(doc["lint_ignore"]).splitlines())
                if "lint_ignore" in doc
                else None
            )
        else:
            cells.append(doc.get(column))
    return cells


def export_xlsx(bank: str | Path, *, blueprint: str | Path | None = None) -> bytes:
    """The bank's items as a workbook (bytes), one row per item sorted by id.

    Drop-down lists come from the blueprint (domains, subdomains; default
    ``<bank>/blueprint.yaml``) and the item contract (statuses, keys, cognitive levels).
    """
    import xlsxwriter

    from cehrs_items.bank import load_bank
    from cehrs_items.blueprint import default_blueprint_path, load_blueprint

    loaded = load_bank(bank, with_stats=False)
    bp = load_blueprint(blueprint if blueprint is not None else default_blueprint_path(bank))
    domains = [str(d.domain) for d in bp.domains]
    subdomains = [s.code for d in bp.domains for s in d.subdomains]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"created": _FIXED_DATE, "title": f"Items of blueprint {bp.id}"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    text = book.add_format({"text_wrap": True, "valign": "top", "num_format": "@"})
    head = book.add_format({"bold": True, "bottom": 1})
    sheet = book.add_worksheet(SHEET)
    sheet.freeze_panes(1, 1)
    for col, name in enumerate(COLUMNS):
        sheet.write_string(0, col, name, head)
        sheet.set_column(col, col, _WIDTHS.get(name, 18 if name != "id" else 10))
    items = loaded.sorted_items()
    for r, item in enumerate(items, start=1):
        for col, value in enumerate(item_row(item.raw)):
            if value is None:
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(r, col, value, wrap)
            else:
                sheet.write_string(r, col, str(value), text)
    last = max(len(items), 1) + 500  # room for new rows

    def dropdown(column: str, values: list[str]) -> None:
        col = COLUMNS.index(column)
        sheet.data_validation(
            1,
            col,
            last,
            col,
            {
                "validate": "list",
                "source": values,
                "error_title": f"{column}",
                "error_message": f"{column} must be one of: {', '.join(values)}",
            },
        )

    dropdown("domain", domains)
    dropdown("subdomain", subdomains)
    dropdown("status", list(STATUSES))
    dropdown("key", list(LABELS))
    dropdown("cognitive_level", list(COGNITIVE_LEVELS))
    lists = book.add_worksheet(LISTS_SHEET)
    for col, (name, values) in enumerate(
        (
            ("domain", domains),
            ("subdomain", subdomains),
            ("status", list(STATUSES)),
            ("key", list(LABELS)),
            ("cognitive_level", list(COGNITIVE_LEVELS)),
        )
    ):
        lists.write_string(0, col, name, head)
        for r, value in enumerate(values, start=1):
            lists.write_string(r, col, value)
    book.close()
    return buffer.getvalue()


# ----------------------------------------------------------------------------- import


class _Row:
    """Cell reader for one row that records findings at sheet, row and column."""

    def __init__(self, source: str, row: int, cells: dict[str, Any], columns: dict[str, int]):
        self.source = source
        self.row = row
        self.cells = cells
        self.columns = columns
        self.findings: list[Finding] = []

    def problem(self, column: str, message: str, hint: str = "") -> None:
        col = self.columns.get(column)
        where = (
            f"sheet {SHEET}, cell {_cell_ref(self.row, col)} ({column})"
            if col
            else (f"sheet {SHEET}, row {self.row}")
        )
        self.findings.append(
            Finding(
                self.source, self.row, col, "XLS002", Severity.ERROR, f"{where}: {message}", hint
            )
        )

    def text(self, column: str, *, required: bool = False) -> str | None:
        value = self.cells.get(column)
        if value is None or (isinstance(value, str) and value == ""):
            if required:
                self.problem(column, "empty; a value is required")
            return None
        if isinstance(value, bool):
            self.problem(column, f"{value} is a true/false value; write text")
            return None
        if isinstance(value, dt.datetime | dt.date):
            if column in ("created", "modified"):
                return value.strftime("%Y-%m-%d")
            self.problem(column, "a date; write text")
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def integer(self, column: str) -> int | None:
        value = self.cells.get(column)
        if value is None or value == "":
            self.problem(column, "empty; a whole number is required")
            return None
        if isinstance(value, bool):
            self.problem(column, f"{value} is not a whole number")
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        self.problem(column, f"{value!r} is not a whole number")
        return None

    def choice(self, column: str, allowed: tuple[str, ...] | list[str]) -> str | None:
        value = self.text(column, required=True)
        if value is not None and value not in allowed:
            self.problem(column, f"{value!r} is not one of {', '.join(allowed)}")
            return None
        return value

    def lines(self, column: str) -> list[str] | None:
        value = self.text(column)
        if value is None:
            return None
        if value.strip() == EMPTY_LIST:
            return []
        return [line.strip() for line in value.splitlines() if line.strip()]


def _read_row(r: _Row, domains: list[int] | None) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    doc["id"] = r.text("id", required=True)
    doc["version"] = r.integer("version")
    doc["status"] = r.choice("status", STATUSES)
    domain = r.integer("domain")
    if domain is not None and domains is not None and domain not in domains:
        r.problem("domain", f"{domain} is not a blueprint domain ({', '.join(map(str, domains))})")
    doc["domain"] = domain
    doc["subdomain"] = r.text("subdomain", required=True)
    doc["stem"] = r.text("stem", required=True)
    options = {}
    for label in LABELS:
        value = r.text(f"option_{label}")
        if value is not None:
            options[label] = value
    if len(options) < 3:
        r.problem("option_A", f"{len(options)} option(s); an item needs 3 to 5 (option_A ...)")
    doc["options"] = options
    doc["key"] = r.choice("key", LABELS)
    rationale = {}
    for label in LABELS:
        value = r.text(f"rationale_{label}")
        if value is not None:
            rationale[label] = value
    doc["rationale"] = rationale
    references = r.lines("references")
    if references is None:
        r.problem("references", "empty; at least one reference is required")
    doc["references"] = references or []
    doc["cognitive_level"] = r.choice("cognitive_level", COGNITIVE_LEVELS)
    for name in ("enemies", "reviewers", "tags"):
        values = r.lines(name)
        if values is not None:
            doc[name] = values
    doc["author"] = r.text("author", required=True)
    doc["created"] = r.text("created", required=True)
    doc["modified"] = r.text("modified", required=True)
    ignores = r.lines("lint_ignore")
    if ignores is not None:
        entries: list[Any] = []
        for line in ignores:
            rule, sep, reason = line.partition(":")
            entries.append({"rule": rule.strip(), "reason": reason.strip()} if sep else rule)
        doc["lint_ignore"] = entries
    notes = r.text("notes")
    if notes is not None:
        doc["notes"] = notes
    return {name: doc[name] for name in FIELD_ORDER if name in doc}


def import_xlsx(workbook: str | Path, *, blueprint: str | Path | None = None) -> ImportResult:
    """Item documents from a workbook in the :func:`export_xlsx` layout, with findings.

    Cell problems are findings at (sheet, row, column); rows with problems are not
    turned into items, and the remaining items get the normal ``validate`` checks
    against ``blueprint`` (reported at their rows). Empty rows are skipped.
    """
    try:
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover - openpyxl is in the exchange extra
        raise InputError(
            "reading workbooks needs openpyxl: pip install 'cehrs-items[exchange]'"
        ) from exc
    from cehrs_items.blueprint import load_blueprint

    path = Path(workbook)
    source = path.as_posix()
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for unreadable files
        raise InputError(
            f"{source}: cannot read the workbook ({type(exc).__name__}: {exc})"
        ) from exc
    result = ImportResult(source=source)
    domains = None
    if blueprint is not None:
        domains = [d.domain for d in load_blueprint(blueprint).domains]
    try:
        if SHEET not in book.sheetnames:
            raise InputError(
                f"{source}: no sheet named {SHEET!r} (found: {', '.join(book.sheetnames)})"
            )
        rows = book[SHEET].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputError(f"{source}: sheet {SHEET} is empty (expected a header row)")
        columns: dict[str, int] = {}
        for col, name in enumerate(header, start=1):
            if name is None:
                continue
            name = str(name).strip()
            if name not in COLUMNS:
                result.findings.append(
                    Finding(
                        source,
                        1,
                        col,
                        "XLS001",
                        Severity.ERROR,
                        f"sheet {SHEET}, cell {_cell_ref(1, col)}: unknown column {name!r}",
                        f"use the columns of export xlsx: {', '.join(COLUMNS)}",
                    )  # fmt: skip
                )
            elif name in columns:
                result.findings.append(
                    Finding(
                        source,
                        1,
                        col,
                        "XLS001",
                        Severity.ERROR,
                        f"sheet {SHEET}, cell {_cell_ref(1, col)}: column {name!r} repeated",
                    )  # fmt: skip
                )
            else:
                columns[name] = col
        missing = [c for c in (*REQUIRED, "option_A", "option_B", "option_C") if c not in columns]
        if missing:
            result.findings.append(
                Finding(
                    source,
                    1,
                    None,
                    "XLS001",
                    Severity.ERROR,
                    f"sheet {SHEET}, row 1: missing column(s) {', '.join(missing)}",
                )  # fmt: skip
            )
            return result
        rows_of: dict[str, int] = {}
        for number, values in enumerate(rows, start=2):
            cells = {
                name: values[col - 1] if col - 1 < len(values) else None
                for name, col in columns.items()
            }
            if all(v is None or v == "" for v in cells.values()):
                continue
            r = _Row(source, number, cells, columns)
            doc = _read_row(r, domains)
            result.findings.extend(r.findings)
            if r.findings:
                continue
            if doc["id"] in rows_of:
                r.problem("id", f"item {doc['id']} already on row {rows_of[doc['id']]}")
                result.findings.extend(r.findings)
                continue
            rows_of[doc["id"]] = number
            result.items[doc["id"]] = doc
    finally:
        book.close()

    def locate(item_id: str | None, f: Finding) -> Finding:
        row = rows_of.get(item_id) if item_id else None
        if row is None:
            return Finding(source, None, None, f.rule, f.severity, f.message, f.hint)
        return Finding(
            source, row, None, f.rule, f.severity,
            f"sheet {SHEET}, row {row} (item {item_id}): {f.message}", f.hint,
        )  # fmt: skip

    result.findings.extend(validate_documents(result.items, blueprint=blueprint, locate=locate))
    return result
