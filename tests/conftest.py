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


@pytest.fixture
def declared_table():
    """Check a written table file against its declaration (``cehrs_items.tables``).

    ``declared_table(path, name)`` checks against ``TABLES[name]``;
    ``declared_table(path, under=folder)`` finds the table by the file's place in an output
    folder (``TABLE_FILES``). The header must resolve without problems, a CSV must parse
    strictly with the declared dtypes, and the frame must have rows and no problems.
    Returns the frame."""
    import polars as pl

    from cehrs_items.tables import TABLES, table_for

    def check(path: Path, name: str | None = None, *, under: Path | None = None):
        path = Path(path)
        if name is None:
            table = table_for(path.relative_to(under).as_posix())
            assert table is not None, f"{path}: no declared table"
        else:
            table = TABLES[name]
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
        else:
            schema, problems = table.resolve(pl.read_csv(path, n_rows=0).columns)
            assert problems == [], path
            frame = pl.read_csv(path, schema=schema)  # strict: a value of another type raises
        assert table.problems(frame) == [], path
        assert frame.height > 0, path
        return frame

    return check


# Property tests run with a fixed example sequence in CI so a run is reproducible; locally
# they explore new examples each time. Deadlines are off because CI machines are shared.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
_hypothesis_settings.register_profile("dev", deadline=None)
_hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")
