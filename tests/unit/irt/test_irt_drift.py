"""Anchor drift screening (Huynh & Meyer 2010 robust z) before linking."""

import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cehrs_items.errors import InputError
from cehrs_items.irt.linking import DRIFT_COLUMNS, _robust_z, link, screen_drift

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from bench_drift import run, simulate  # noqa: E402


def test_robust_z_formula_and_zero_iqr():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 10.0])
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    assert np.allclose(_robust_z(x), (x - med) / (0.74 * (q3 - q1)))
    assert np.isnan(_robust_z(np.ones(5))).all()


def test_flags_the_drifting_item_and_relinks_without_it():
    rng = np.random.default_rng(7)
    new, base, truth = simulate(rng, 20, 1, 1.0)
    res = screen_drift(new, base, method="stocking-lord")
    drifting = [i for i, t in truth.items() if t]
    assert set(drifting) <= set(res.dropped)
    assert res.table.columns == list(DRIFT_COLUMNS)
    assert res.table.height == 20
    assert set(res.kept) | set(res.dropped) == set(truth)
    # constants after screening equal a plain link on the kept items
    plain = link(new, base, method="stocking-lord", items=list(res.kept))
    assert pytest.approx(plain.A, abs=1e-12) == res.link.A
    assert pytest.approx(plain.B, abs=1e-12) == res.link.B
    flagged = res.table.filter(pl.col("flagged"))
    assert sorted(flagged["item_id"].to_list()) == list(res.dropped)
    z_b = flagged["robust_z_b"].abs().fill_null(0).to_numpy()
    z_a = flagged["robust_z_a"].abs().fill_null(0).to_numpy()
    assert np.all((z_b > 2.7) | (z_a > 2.7))


def test_no_drift_without_spread_keeps_everything():
    base = pl.DataFrame(
        {"item_id": [f"I{j}" for j in range(6)], "a": 1.0, "b": np.linspace(-1, 1, 6), "c": 0.0}
    )
    res = screen_drift(base, base)
    assert res.dropped == () and res.iterations == 1
    assert res.table["robust_z_b"].null_count() == 6  # IQR 0: z undefined, never flagged


def test_one_pass_and_bad_settings():
    rng = np.random.default_rng(3)
    new, base, _ = simulate(rng, 15, 2, 1.2)
    one = screen_drift(new, base, max_iterations=1)
    assert one.iterations == 1 and one.table["iteration"].max() == 1
    with pytest.raises(InputError):
        screen_drift(new, base, threshold=0)
    with pytest.raises(InputError):
        screen_drift(new, base, max_iterations=0)


def test_small_simulation_hit_rate_and_false_alarms():
    # benchmarks/bench_drift.py runs 1,000 replications; 15 here keep the test fast
    out = run(15, 20, 2, 0.8, seed=11, max_iter=1)
    assert out["hit_rate"] >= 0.9
    assert out["false_alarm_rate"] <= 0.08
