"""What the importers share: the result type, item YAML rendering and the all-or-nothing write."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cehrs_items.errors import InputError
from cehrs_items.findings import Finding, Severity, sort_findings
from cehrs_items.io import write_tree
from cehrs_items.simulate.text import ITEM_FIELD_ORDER, render_item_yaml

FIELD_ORDER: tuple[str, ...] = (*ITEM_FIELD_ORDER[:-1], "lint_ignore", "notes")
"""Item fields in the order item files list them (schemas/item.schema.json)."""

LIST_FIELDS = ("references", "enemies", "reviewers", "tags")
LABELS = ("A", "B", "C", "D", "E")


@dataclass
class ImportResult:
    """Item documents read from a package or workbook, and what could not be carried over.

    ``items`` maps item id to its document (plain data, as an item file holds it);
    ``findings`` are located per item (QTI) or per sheet, row and column (workbooks).
    Errors mean no bank is written.
    """

    source: str
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    def sorted_findings(self) -> list[Finding]:
        return sort_findings(self.findings)


def item_path(doc: dict[str, Any]) -> str:
    """Where an item lives in a bank: ``items/<domain>/<id>.yaml``."""
    return f"items/{doc['domain']}/{doc['id']}.yaml"


def render_item(doc: dict[str, Any]) -> str:
    """YAML text of an item document (every string double-quoted; loads back equal)."""
    plain = {k: v for k, v in doc.items() if k != "lint_ignore"}
    text = render_item_yaml(plain)
    ignores = doc.get("lint_ignore")
    if not ignores:
        return text
    lines = ["lint_ignore:"]
    for entry in ignores:
        if isinstance(entry, str):
            lines.append(f"  - {_q(entry)}")
        else:
            lines.append(f"  - {{rule: {_q(entry['rule'])}, reason: {_q(entry['reason'])}}}")
    # keep notes last, as in FIELD_ORDER
    body = text.splitlines()
    notes_at = next((i for i, line in enumerate(body) if line.startswith("notes:")), len(body))
    return "\n".join([*body[:notes_at], *lines, *body[notes_at:]]) + "\n"


def _q(text: str) -> str:
    from cehrs_items.simulate.text import _q as quote

    return quote(text)


def write_items(result: ImportResult, out: str | os.PathLike, *, force: bool = False) -> list[Path]:
    """Write every imported item as ``<out>/items/<domain>/<id>.yaml`` in one go.

    Refuses (InputError) when ``result`` holds error findings: a partial bank is never
    written. The folder is written whole through :func:`cehrs_items.io.write_tree`.
    """
    if result.errors:
        raise InputError(
            f"{result.source}: {len(result.errors)} problem(s) found; nothing written to {out}"
        )
    files = {item_path(doc): render_item(doc) for doc in result.items.values()}
    return write_tree(out, files, force=force)


def finding(
    where: str, rule: str, message: str, *, severity: Severity | None = None, hint: str = ""
) -> Finding:
    """A whole-file finding of a catalogue rule (QTI findings name the package entry and
    the item); severity and hint default to the rule's."""
    from cehrs_items.catalogue import BUILTIN

    known = BUILTIN.get(rule)
    if severity is None:
        severity = known.severity if known is not None else Severity.ERROR
    return Finding(
        where, None, None, rule, severity, message, hint or (known.hint if known else "")
    )


CROSS_BANK_RULES = ("BANK006", "BANK007")
"""Enemy rules left to the bank the items join (an import may hold some items only)."""


def validate_documents(
    docs: dict[str, dict[str, Any]],
    *,
    blueprint: str | os.PathLike | None,
    locate: Any,
) -> list[Finding]:
    """The normal ``validate`` findings for imported documents, relocated by ``locate``.

    The documents are rendered as they would be written, into a scratch folder that is
    removed afterwards, and checked with :func:`cehrs_items.validate.validate_paths`
    (enemy rules excepted: see :data:`CROSS_BANK_RULES`). ``locate(item_id, finding)``
    returns the finding as it should be reported (e.g. at the item's sheet row).
    """
    import shutil
    import tempfile

    from cehrs_items.validate import validate_paths

    if not docs:
        return []
    scratch = Path(tempfile.mkdtemp(prefix="cehrs-import-"))
    try:
        by_file: dict[str, str] = {}
        for item_id, doc in docs.items():
            rel = item_path(doc)
            path = scratch / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_item(doc), encoding="utf-8")
            by_file[path.as_posix()] = item_id
        if blueprint is not None:
            shutil.copyfile(blueprint, scratch / "blueprint.yaml")
        result = validate_paths([scratch.as_posix()], ignore=CROSS_BANK_RULES)
        out = []
        for f in result.findings:
            item_id = by_file.get(Path(f.file).as_posix())
            out.append(locate(item_id, f))
        return out
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
