"""Simulation helpers for the IRT tests: data from known parameters, small and fast.

A uniquely named module (not conftest.py) so that ``from irt_sim import ...`` cannot pick up
another directory's conftest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from cehrs_items.irt.models import probability

REFERENCE = Path(__file__).resolve().parents[2] / "reference"


def simulate(
    n: int,
    n_items: int,
    *,
    model: str = "2pl",
    seed: int = 1,
    mean: float = 0.0,
    sd: float = 1.0,
    omit_rate: float = 0.0,
):
    """(scores, omitted, a, b, c, theta) from known parameters."""
    rng = np.random.default_rng(seed)
    a = np.exp(rng.normal(0.0, 0.3, n_items)) if model != "rasch" else np.ones(n_items)
    b = rng.normal(0.0, 1.0, n_items)
    c = rng.beta(5, 17, n_items) if model == "3pl" else np.zeros(n_items)
    theta = rng.normal(mean, sd, n)
    p = probability(theta, a, b, c)
    scores = (rng.random((n, n_items)) < p).astype(np.int8)
    omitted = rng.random((n, n_items)) < omit_rate
    return scores, omitted, a, b, c, theta


def item_ids(n_items: int) -> list[str]:
    return [f"IT-{j:04d}" for j in range(n_items)]


def lsat_patterns(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    frame = pl.read_csv(
        REFERENCE / "lsat" / "patterns.csv", schema_overrides={"pattern": pl.String}
    )
    x = np.array([[int(ch) for ch in p] for p in frame["pattern"]], dtype=np.int8)
    return x, frame[dataset].to_numpy().astype(np.float64)


def lsat_expected() -> pl.DataFrame:
    return pl.read_csv(REFERENCE / "lsat" / "expected.csv")
