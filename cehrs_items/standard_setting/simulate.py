"""Simulated panels with a known answer, for tests and the demo.

A simulated judge has a view of the minimally competent candidate's ability
:math:`\\theta_{mc}` (the panel's true cut plus the judge's own offset) and rates with
noise that shrinks from round to round (discussion and impact data pull judges
together). Everything comes from ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.errors import InputError
from cehrs_items.irt.models import probability
from cehrs_items.standard_setting.bookmark import BookmarkSettings, ordered_item_booklet


def _judge_thetas(
    theta_cut: float, n_judges: int, n_rounds: int, judge_sd: float, rng: np.random.Generator
) -> np.ndarray:
    if n_judges < 2 or n_rounds < 1:
        raise InputError("a simulated panel needs at least 2 judges and 1 round")
    offsets = rng.normal(0.0, judge_sd, size=n_judges)
    shrink = 0.5 ** np.arange(n_rounds)  # each round halves the spread of the judges' views
    return theta_cut + shrink[:, None] * offsets[None, :]  # (rounds, judges)


def simulate_ratings(
    params: IrtForm,
    *,
    theta_cut: float,
    n_judges: int = 10,
    n_rounds: int = 2,
    judge_sd: float = 0.3,
    noise_sd: float = 0.08,
    seed: int = 0,
) -> pl.DataFrame:
    """Angoff ratings: judge j in round r rates P_i(theta_jr) plus N(0, noise) noise, in [0, 1].

    Returns ``judge_id`` (J01, J02, ...), ``item_id``, ``round``, ``rating`` (two decimals,
    as panels write them).
    """
    rng = np.random.default_rng(seed)
    thetas = _judge_thetas(theta_cut, n_judges, n_rounds, judge_sd, rng)
    rows = []
    for r in range(n_rounds):
        p = probability(thetas[r], params.a * params.d, params.b, params.c)  # (judges, items)
        noisy = np.clip(p + rng.normal(0.0, noise_sd * 0.5**r, size=p.shape), 0.0, 1.0)
        for j in range(n_judges):
            for i, item in enumerate(params.item_ids):
                rows.append((f"J{j + 1:02d}", item, r + 1, round(float(noisy[j, i]), 2)))
    return pl.DataFrame(
        rows,
        schema={
            "judge_id": pl.String,
            "item_id": pl.String,
            "round": pl.Int64,
            "rating": pl.Float64,
        },
        orient="row",
    )


def simulate_bookmarks(
    params: IrtForm,
    *,
    theta_cut: float,
    n_judges: int = 10,
    n_rounds: int = 2,
    judge_sd: float = 0.3,
    settings: BookmarkSettings | None = None,
    seed: int = 0,
) -> pl.DataFrame:
    """Bookmarks: each judge bookmarks the first booklet page whose RP location exceeds their theta."""
    rng = np.random.default_rng(seed)
    thetas = _judge_thetas(theta_cut, n_judges, n_rounds, judge_sd, rng)
    loc = ordered_item_booklet(params, settings).get_column("theta_rp").to_numpy()
    rows = []
    for r in range(n_rounds):
        pages = np.clip(np.searchsorted(loc, thetas[r], side="left") + 1, 1, loc.size)
        for j in range(n_judges):
            rows.append((f"J{j + 1:02d}", r + 1, int(pages[j])))
    return pl.DataFrame(
        rows, schema={"judge_id": pl.String, "round": pl.Int64, "page": pl.Int64}, orient="row"
    )
