"""Fixtures for the validate unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from _validate_items import BLUEPRINT, item, write


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    """A small bank folder: blueprint.yaml, items/<domain>/<id>.yaml, a .git marker."""
    root = tmp_path / "bank"
    (root / "items").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (root / "blueprint.yaml").write_text(BLUEPRINT.read_text(encoding="utf-8"), encoding="utf-8")
    write(root / "items" / "1", "NC-0201.yaml", item())
    write(
        root / "items" / "1",
        "NC-0202.yaml",
        item(
            id="NC-0202",
            subdomain="1.1",
            stem=(
                "A patient asks to move a follow-up visit to a later week. Which scheduling "
                "view shows the provider's open slots for that week?"
            ),
            options={
                "A": "The provider's weekly availability template",
                "B": "The practice's daily census report",
                "C": "The patient's appointment history list",
                "D": "The front desk's task inbox for the day",
            },
            rationale={
                "A": "The availability template lists open slots by provider and week.",
                "B": "A census counts patients seen; it does not show open slots.",
                "C": "History shows past visits, not availability.",
                "D": "The task inbox holds messages, not the schedule.",
            },
        ),
    )
    return root
