"""Simulated panels with a known answer, for tests and the demo.

A simulated judge has a view of the minimally competent candidate's ability
:math:`\\theta_{mc}` (the panel's true cut plus the judge's own offset) and rates with
noise that shrinks from round to round (discussion and impact data pull judges
together). Everything comes from ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import polars as pl

from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.errors import InputError
from cehrs_items.irt.models import probability
from cehrs_items.standard_setting.bookmark import BookmarkSettings, ordered_item_booklet
from cehrs_items.standard_setting.run import StandardSettingRun
from cehrs_items.tables import table_schema


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
        schema=table_schema("ratings"),
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


def simulate_angoff_study(
    out: str | Path,
    *,
    params: str | Path,
    form: str | Path,
    raw_cut: float,
    responses: str | Path | None = None,
    group: str | None = None,
    n_judges: int = 10,
    n_rounds: int = 2,
    seed: int = 0,
    force: bool = False,
) -> StandardSettingRun:
    """A whole simulated modified-Angoff study of a form, written into ``out``.

    The judges' minimally competent candidate sits at the theta where the form's TCC
    equals ``raw_cut`` (so a good panel recovers it); ratings go to ``out/ratings.csv``
    and the study (:func:`~.run.run_angoff`, with impact data from ``responses``) to
    ``out/angoff/``. Used by the demo so that the cycle starts where a real one does.
    """
    from cehrs_items.forms import read_form
    from cehrs_items.io import atomic_write
    from cehrs_items.standard_setting.run import _irt_form, run_angoff, write_run
    from cehrs_items.standard_setting.tcc import theta_from_raw

    out = Path(out)
    irt = _irt_form(params, read_form(form), None)
    theta = float(theta_from_raw(irt, raw_cut)[0])
    if not np.isfinite(theta):
        raise InputError(f"raw cut {raw_cut:g} lies outside the form's TCC range")
    ratings = simulate_ratings(
        irt, theta_cut=theta, n_judges=n_judges, n_rounds=n_rounds, seed=seed
    )
    buffer = io.BytesIO()
    ratings.write_csv(buffer)
    atomic_write(out / "ratings.csv", buffer.getvalue(), force=force)
    run = run_angoff(
        out / "ratings.csv", form=form, params=params, responses=responses, group=group
    )
    write_run(run, out / "angoff", force=force, manifest=False)  # the demo's folder has one
    return run
