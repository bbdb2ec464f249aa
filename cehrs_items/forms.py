"""Test forms: reading and writing form files (contract ``schemas/form.schema.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cehrs_items.contracts import validator
from cehrs_items.errors import InputError
from cehrs_items.io import dumps_json
from cehrs_items.items.loader import load_document


@dataclass(frozen=True)
class Form:
    """A form as read from its file; ``data`` is the validated JSON object."""

    data: dict[str, Any]
    path: str = ""

    @property
    def form_id(self) -> str:
        return self.data["form_id"]

    @property
    def positions(self) -> list[dict[str, Any]]:
        return sorted(self.data["positions"], key=lambda p: p["position"])

    def item_ids(self, role: str | None = None) -> list[str]:
        """Item ids in position order, optionally only those of one role (scored|pretest)."""
        return [p["item_id"] for p in self.positions if role is None or p["role"] == role]

    @property
    def scored_item_ids(self) -> list[str]:
        return self.item_ids("scored")

    @property
    def pretest_item_ids(self) -> list[str]:
        return self.item_ids("pretest")

    @property
    def anchor_item_ids(self) -> list[str]:
        return [p["item_id"] for p in self.positions if p.get("anchor")]

    @property
    def key(self) -> dict[str, str]:
        return {p["item_id"]: p["key"] for p in self.positions}

    @property
    def roles(self) -> dict[str, str]:
        return {p["item_id"]: p["role"] for p in self.positions}

    def to_frame(self) -> pl.DataFrame:
        """One row per position: position, item_id, item_version, role, domain, subdomain, key, anchor."""
        rows = [
            {
                "position": p["position"],
                "item_id": p["item_id"],
                "item_version": p["item_version"],
                "role": p["role"],
                "domain": p["domain"],
                "subdomain": p.get("subdomain"),
                "key": p["key"],
                "anchor": bool(p.get("anchor", False)),
            }
            for p in self.positions
        ]
        return pl.DataFrame(
            rows,
            schema={
                "position": pl.Int64,
                "item_id": pl.String,
                "item_version": pl.Int64,
                "role": pl.String,
                "domain": pl.Int64,
                "subdomain": pl.String,
                "key": pl.String,
                "anchor": pl.Boolean,
            },
        )


def form_from_data(data: Any, *, path: str = "<form>") -> Form:
    """Validate form data against the form schema and its basic invariants."""
    errors = sorted(validator("form").iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise InputError(f"{path}: field {where}: {e.message}")
    positions = [p["position"] for p in data["positions"]]
    if len(set(positions)) != len(positions):
        raise InputError(f"{path}: field positions: position numbers repeat")
    ids = [p["item_id"] for p in data["positions"]]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise InputError(f"{path}: field positions: item(s) {', '.join(dup)} appear more than once")
    return Form(data=data, path=path)


def read_form(path: str | Path) -> Form:
    """Read and validate a form file; raise InputError naming the file and field if invalid."""
    doc = load_document(path)
    if not doc.ok:
        f = doc.findings[0]
        raise InputError(f"{path}:{f.line}:{f.col}: {f.message}")
    return form_from_data(doc.data, path=str(path))


def dumps_form(data: dict[str, Any]) -> str:
    """Form JSON with stable bytes (sorted keys, positions in order)."""
    data = dict(data)
    data["positions"] = sorted(data["positions"], key=lambda p: p["position"])
    return dumps_json(data)
