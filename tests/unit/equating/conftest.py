"""Fixtures for the equating tests: the Kolen & Brennan example data, read in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cehrs_items.equating import BivariateDist, ScoreDist

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "kolen-brennan"


@pytest.fixture
def kb_reference() -> Path:
    return REFERENCE


@pytest.fixture
def actmath(shared_data: Path) -> tuple[ScoreDist, ScoreDist]:
    frame = pl.read_csv(shared_data / "kolen-brennan" / "actmath.csv")
    x = ScoreDist(frame["freq_x"].to_numpy(), name="X")
    y = ScoreDist(frame["freq_y"].to_numpy(), name="Y")
    return x, y


@pytest.fixture
def kbneat(shared_data: Path) -> tuple[BivariateDist, BivariateDist]:
    out = []
    for name, role in (("kbneat_x.csv", "X"), ("kbneat_y.csv", "Y")):
        frame = pl.read_csv(shared_data / "kolen-brennan" / name)
        out.append(
            BivariateDist.from_scores(
                frame["total"].to_numpy(), frame["anchor"].to_numpy(), 36, 12, name=role
            )
        )
    return out[0], out[1]


@pytest.fixture
def hypothetical(kb_reference: Path) -> tuple[BivariateDist, BivariateDist]:
    frame = pl.read_csv(kb_reference / "ch5_hypothetical.csv")
    tables = []
    for pop in (1, 2):
        sub = frame.filter(pl.col("population") == pop)
        counts = np.zeros((6, 4))
        counts[sub["x"].to_numpy(), sub["v"].to_numpy()] = sub["prob"].to_numpy() * 100
        tables.append(BivariateDist(counts, internal=False, name=f"pop{pop}"))
    return tables[0], tables[1]
