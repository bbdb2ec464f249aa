"""A small generated bank shared by the simulate tests (written once per module)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cehrs_items.simulate.bank import simulate_bank

ROOT = Path(__file__).resolve().parents[3]
BLUEPRINT = ROOT / "item_bank" / "blueprint.yaml"


@pytest.fixture(scope="module")
def sim_bank(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("simbank") / "bank"
    simulate_bank(60, seed=11, out=out, blueprint=BLUEPRINT)
    return out
