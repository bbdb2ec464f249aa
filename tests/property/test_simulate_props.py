"""Properties of the simulators' building blocks (hypothesis)."""

from __future__ import annotations

import numpy as np
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cehrs_items.simulate.bank import apportion
from cehrs_items.simulate.params import implied_moments
from cehrs_items.simulate.text import render_item_yaml

params = st.tuples(st.floats(0.2, 3.0), st.floats(-3.0, 3.0), st.floats(0.0, 0.45))


@settings(max_examples=60, deadline=None)
@given(st.lists(params, min_size=3, max_size=12), st.integers(1, 12), st.booleans())
def test_implied_statistics_are_proper(items, length, typical):
    a, b, c = (np.array(x) for x in zip(*items, strict=True))
    length = min(length, len(items))  # a form draws distinct items from the pool
    out = implied_moments(a, b, c, form_length=length if typical else None)
    p, r = out["p_value"], out["item_total_r"]
    assert ((p > c - 1e-12) & (p < 1)).all()  # above the guessing floor, below 1
    assert ((r > 0) & (r <= 1 + 1e-9)).all()  # monotone items correlate positively
    assert (out["var_total"] > 0).all()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 5000), st.lists(st.floats(0.01, 100), min_size=1, max_size=8))
def test_apportion_sums_and_stays_within_one(total, weights):
    parts = apportion(total, weights)
    assert sum(parts) == total
    exact = total * np.array(weights) / sum(weights)
    assert (np.abs(np.array(parts) - exact) < 1 + 1e-9).all()


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=80), st.lists(st.text(max_size=20), max_size=4))
def test_yaml_writer_round_trips_any_text(stem, tags):
    item = {"id": "NC-0001", "stem": stem, "options": {"A": stem[::-1] or "x"}, "tags": tags}
    assert yaml.safe_load(render_item_yaml(item)) == item
