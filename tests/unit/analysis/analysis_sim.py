"""Small simulated response sets for the analysis tests (imported by name)."""

from __future__ import annotations

import numpy as np
import polars as pl

LETTERS = "ABCD"


def simulate_letters(
    n: int = 600,
    k: int = 12,
    *,
    seed: int = 1,
    omit_rate: float = 0.02,
    dif_items: tuple[int, ...] = (),
    focal_share: float = 0.4,
) -> tuple[pl.DataFrame, dict[str, str]]:
    """A wide letters frame (examinee_id, items NC-0001.., group) and its key."""
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n)
    focal = rng.random(n) < focal_share
    b = rng.normal(-0.3, 0.9, k)
    a = rng.uniform(0.8, 2.0, k)
    keys = rng.integers(0, 4, k)
    shift = np.zeros(k)
    shift[list(dif_items)] = 1.5
    data: dict[str, object] = {"examinee_id": [f"E{i:05d}" for i in range(n)]}
    key = {}
    for j in range(k):
        item = f"NC-{j + 1:04d}"
        p = 0.2 + 0.8 / (1 + np.exp(-a[j] * (theta - b[j] - focal * shift[j])))
        right = rng.random(n) < p
        wrong = (keys[j] + 1 + rng.integers(0, 3, n)) % 4
        code = np.where(right, keys[j], wrong)
        letters = np.array(list(LETTERS))[code].astype(object)
        letters[rng.random(n) < omit_rate] = None
        data[item] = list(letters)
        key[item] = LETTERS[keys[j]]
    data["group"] = np.where(focal, "F", "R").tolist()
    return pl.DataFrame(data), key


def form_data(key: dict[str, str], pretest: set[str] = frozenset()) -> dict:
    positions = [
        {
            "position": i + 1,
            "item_id": item,
            "item_version": 1,
            "role": "pretest" if item in pretest else "scored",
            "domain": 1 + i % 5,
            "key": letter,
        }
        for i, (item, letter) in enumerate(key.items())
    ]
    return {"form_id": "TEST-A", "blueprint_id": "cehrs-2020", "positions": positions}
