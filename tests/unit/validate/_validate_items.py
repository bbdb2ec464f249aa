"""Item documents for the validate unit tests: item documents built from a well-written base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

BASE: dict[str, Any] = {
    "id": "NC-0201",
    "version": 1,
    "status": "operational",
    "domain": 1,
    "subdomain": "1.3",
    "stem": (
        "A new patient presents a commercial insurance card at check-in. What should the "
        "specialist do before the visit to confirm that the plan covers it?"
    ),
    "options": {
        "A": "Run a real-time eligibility inquiry with the payer",
        "B": "Copy the card and file it in the scanned documents",
        "C": "Ask the patient to sign a financial policy form",
        "D": "Enter the copay amount printed on the card as paid",
    },
    "key": "A",
    "rationale": {
        "A": "An eligibility inquiry (X12 270/271) returns active coverage and benefits.",
        "B": "A copy of the card does not show whether coverage is active.",
        "C": "A financial policy explains payment duties; it does not verify coverage.",
        "D": "Recording a payment that has not been made misstates the account.",
    },
    "references": ["45 CFR 162.1202 (eligibility for a health plan transaction)"],
    "cognitive_level": "application",
    "enemies": [],
    "author": "unit-writer",
    "reviewers": ["unit-reviewer"],
    "created": "2026-10-01",
    "modified": "2026-10-02",
}


def item(**changes: Any) -> dict[str, Any]:
    """The base item with fields replaced (a value of ``None`` removes the field)."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def write(folder: Path, name: str, data: Any) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


BLUEPRINT = Path(__file__).resolve().parents[3] / "tests" / "golden" / "rules" / "_blueprint.yaml"
