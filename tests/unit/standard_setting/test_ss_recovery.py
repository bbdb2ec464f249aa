"""Recovery from simulated panels with a known cut (simulate.py's judges)."""

from __future__ import annotations

import numpy as np

from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.standard_setting import angoff, bookmark, ordered_item_booklet
from cehrs_items.standard_setting.simulate import simulate_bookmarks, simulate_ratings

TRUE_THETA = 0.2


def _form(n: int = 40) -> IrtForm:
    rng = np.random.default_rng(11)
    return IrtForm(
        tuple(f"I{i:02d}" for i in range(n)),
        rng.uniform(0.7, 1.8, n),
        rng.normal(0.0, 1.0, n),
        rng.uniform(0.1, 0.25, n),
        np.ones(n),
    )


def test_angoff_theta_cut_recovers_the_panel_view_within_its_se():
    # 40 simulated panels (10 judges, 2 rounds): the +/- 2 SE interval of the theta cut
    # should cover the judges' true theta about 95% of the time; require 85%, and no bias.
    form = _form()
    errors, covered = [], []
    for seed in range(40):
        res = angoff(simulate_ratings(form, theta_cut=TRUE_THETA, seed=seed), params=form)
        errors.append(res.theta_cut - TRUE_THETA)
        covered.append(abs(res.theta_cut - TRUE_THETA) < 2 * res.theta_cut_se)
    assert np.mean(covered) >= 0.85
    assert abs(np.mean(errors)) < 0.02


def test_bookmark_theta_cut_is_off_by_at_most_the_booklet_gaps():
    # A judge bookmarks the first item located above their theta, so with location "at"
    # the cut sits above the truth by part of a booklet gap (Wyse 2011 on gaps); the
    # average error must be positive and below the largest gap near the cut.
    form = _form()
    loc = ordered_item_booklet(form)["theta_rp"].to_numpy()
    near = np.diff(loc)[(loc[:-1] > TRUE_THETA - 1) & (loc[:-1] < TRUE_THETA + 1)]
    errors = [
        bookmark(simulate_bookmarks(form, theta_cut=TRUE_THETA, seed=seed), form).theta_cut
        - TRUE_THETA
        for seed in range(40)
    ]
    assert 0 < np.mean(errors) < near.max()
