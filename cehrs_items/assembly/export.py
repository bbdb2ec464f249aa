"""``form export``: a form's items in position order for delivery review, with its answer key.

Formats: ``markdown`` (a printable review copy: one block per position with the stem and
lettered options, then the answer key as a table), ``csv`` (one row per position with the
stem, the options and the key) and ``json``. Item text is confidential: it is read from
the bank files and written only to the files the user names; nothing goes over the
network. The form must match the bank (every item present at the form's version),
otherwise the export is refused rather than showing the wrong text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cehrs_items.bank import Bank, load_bank
from cehrs_items.errors import DataError, InputError
from cehrs_items.forms import Form, read_form
from cehrs_items.io import dumps_json, write_files
from cehrs_items.tables import table_columns, table_schema

FORMATS = ("markdown", "csv", "json")
LETTERS = ("A", "B", "C", "D", "E")
CONFIDENTIAL = (
    "CONFIDENTIAL - secure exam content for delivery review only. Do not copy, forward, "
    "photograph or upload."
)


@dataclass
class Export:
    """Rendered export text and the answer key (CSV), ready to write."""

    form_id: str
    fmt: str
    text: str
    key_csv: str

    def write(
        self, out: str | Path, *, key_out: str | Path | None = None, force: bool = False
    ) -> list[Path]:
        """Write the export (and the key file, if asked) atomically with their manifest
        (:func:`cehrs_items.io.write_files`); refuse to overwrite without ``force``."""
        files: dict[Path, str | bytes] = {Path(out): self.text}
        if key_out is not None and Path(key_out).resolve() == Path(out).resolve():
            raise InputError(f"{out}: --out and --key-out name the same file")
        if key_out is not None:
            files[Path(key_out)] = self.key_csv
        return write_files(files, force=force)


def _rows(form: Form, bank: Bank) -> list[dict[str, Any]]:
    rows = []
    for p in form.positions:
        item = bank.items.get(p["item_id"])
        where = f"{form.path or form.form_id}: position {p['position']}"
        if item is None:
            raise DataError(f"{where}: item {p['item_id']} is not in the bank {bank.root}")
        if item.version != p["item_version"]:
            raise DataError(
                f"{where}: item {item.id} is version {p['item_version']} on the form but "
                f"{item.version} in the bank; export from the bank version the form was built from"
            )
        rows.append(
            {
                "position": p["position"],
                "item_id": item.id,
                "item_version": item.version,
                "role": p["role"],
                "anchor": bool(p.get("anchor", False)),
                "domain": item.domain,
                "subdomain": item.subdomain,
                "stem": item.stem,
                "options": {k: item.options[k] for k in sorted(item.options)},
                "key": item.key,
            }
        )
    return rows


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _markdown(form: Form, rows: list[dict[str, Any]]) -> str:
    n_scored = sum(r["role"] == "scored" for r in rows)
    lines = [
        f"# Form {form.form_id}: delivery review copy",
        "",
        f"**{CONFIDENTIAL}**",
        "",
        "| Form | Blueprint | Positions | Scored | Pretest | Anchor form |",
        "|---|---|---:|---:|---:|---|",
        f"| {_cell(form.form_id)} | {_cell(form.data.get('blueprint_id', ''))} | {len(rows)} "
        f"| {n_scored} | {len(rows) - n_scored} | {_cell(form.data.get('anchor_form') or '-')} |",
        "",
        "## Items",
        "",
    ]
    for r in rows:
        tags = [r["role"]] + (["anchor"] if r["anchor"] else [])
        lines.append(
            f"### {r['position']}. {r['item_id']} (v{r['item_version']}; domain {r['domain']}, "
            f"{r['subdomain']}; {', '.join(tags)})"
        )
        lines.append("")
        lines.append(" ".join(r["stem"].split()))
        lines.append("")
        for letter, text in r["options"].items():
            lines.append(f"- **{letter}.** {' '.join(text.split())}")
        lines.append("")
    lines += [
        "## Answer key",
        "",
        "| Position | Item | Version | Key | Role |",
        "|---:|---|---:|:---:|---|",
    ]
    for r in rows:
        role = r["role"] + (", anchor" if r["anchor"] else "")
        lines.append(
            f"| {r['position']} | {r['item_id']} | {r['item_version']} | {r['key']} | {role} |"
        )
    return "\n".join(lines) + "\n"


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    letters = [x for x in LETTERS if any(x in r["options"] for r in rows)]
    data: dict[str, list] = {
        k: [r[k] for r in rows]
        for k in ("position", "item_id", "item_version", "role", "anchor", "domain", "subdomain")
    }
    data["stem"] = [r["stem"] for r in rows]
    for letter in letters:
        data[f"option_{letter}"] = [r["options"].get(letter) for r in rows]
    data["key"] = [r["key"] for r in rows]
    options = [f"option_{letter}" for letter in letters]
    return pl.DataFrame(data, schema=table_columns("form_export", {"option_<letter>": options}))


def _csv(frame: pl.DataFrame) -> str:
    buffer = io.StringIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def _key_csv(rows: list[dict[str, Any]]) -> str:
    schema = table_schema("form_key")
    return _csv(pl.DataFrame({k: [r[k] for r in rows] for k in schema}, schema=schema))


def export_form(
    form: Form | str | Path, *, bank: Bank | str | Path, fmt: str = "markdown"
) -> Export:
    """Render ``form`` with item text from ``bank`` in ``fmt`` (markdown, csv or json).

    Raises InputError for an unknown format or unreadable form, DataError when the form
    names an item the bank lacks or at another version.
    """
    if fmt not in FORMATS:
        raise InputError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    form = form if isinstance(form, Form) else read_form(form)
    bank = bank if isinstance(bank, Bank) else load_bank(bank, with_stats=False)
    rows = _rows(form, bank)
    if fmt == "markdown":
        text = _markdown(form, rows)
    elif fmt == "csv":
        text = _csv(_frame(rows))
    else:
        text = dumps_json(
            {
                "confidential": CONFIDENTIAL,
                "form_id": form.form_id,
                "blueprint_id": form.data.get("blueprint_id"),
                "anchor_form": form.data.get("anchor_form"),
                "positions": rows,
                "answer_key": [
                    {"position": r["position"], "item_id": r["item_id"], "key": r["key"]}
                    for r in rows
                ],
            }
        )
    return Export(form.form_id, fmt, text, _key_csv(rows))
