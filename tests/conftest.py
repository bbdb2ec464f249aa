"""Shared fixtures: paths to the project, the shipped bank and ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "item_bank"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def bank_dir() -> Path:
    return BANK


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip, naming the path, where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA} (see shared/data/README.md)")
    return SHARED_DATA


# Property tests run with a fixed example sequence in CI so a run is reproducible; locally
# they explore new examples each time. Deadlines are off because CI machines are shared.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
_hypothesis_settings.register_profile("dev", deadline=None)
_hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")
