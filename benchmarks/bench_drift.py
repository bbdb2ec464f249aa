"""Anchor drift screening (``link --screen-drift``): detection over simulated replications,
and the timing of one screen.

Each replication draws base-scale anchors (3PL, a ~ lognormal(0, 0.25), b ~ N(0, 1),
c = 0.2), places them on a new scale (theta_new = (theta_base - B) / A with A = 1.1,
B = 0.3), adds estimation noise (b: N(0, 0.08^2); log a: N(0, 0.06^2)) and, for the
drifting items, a shift of the new-form difficulty by +/- ``shift`` (base-scale units).
Screening: robust z of b differences and a ratios, |z| > 2.7 (Huynh & Meyer 2010).
Reported: hit rate (drifting items flagged / drifting items) and false-alarm rate (stable
items flagged / stable items), for screening until none is flagged and for one pass.

    python benchmarks/bench_drift.py --replications 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from cehrs_items.irt.linking import screen_drift

A_TRUE, B_TRUE = 1.1, 0.3


def simulate(rng: np.random.Generator, n_anchors: int, n_drift: int, shift: float):
    ids = [f"AN-{j:04d}" for j in range(n_anchors)]
    a = np.exp(rng.normal(0, 0.25, n_anchors))
    b = rng.normal(0, 1, n_anchors)
    base = pl.DataFrame({"item_id": ids, "a": a, "b": b, "c": 0.2, "d": 1.0})
    b_new = (b - B_TRUE) / A_TRUE + rng.normal(0, 0.08, n_anchors)
    a_new = a * A_TRUE * np.exp(rng.normal(0, 0.06, n_anchors))
    drift = rng.choice(n_anchors, n_drift, replace=False)
    signs = rng.choice([-1.0, 1.0], n_drift)
    b_new[drift] += signs * shift / A_TRUE
    new = pl.DataFrame({"item_id": ids, "a": a_new, "b": b_new, "c": 0.2, "d": 1.0})
    truth = np.zeros(n_anchors, dtype=bool)
    truth[drift] = True
    return new, base, dict(zip(ids, truth, strict=True))


def run(replications: int, n_anchors: int, n_drift: int, shift: float, seed: int, max_iter):
    rng = np.random.default_rng(seed)
    hits = misses = false_alarms = stable = 0
    err_a = []
    for _ in range(replications):
        new, base, truth = simulate(rng, n_anchors, n_drift, shift)
        res = screen_drift(new, base, method="stocking-lord", max_iterations=max_iter)
        flagged = set(res.dropped)
        for item, drifts in truth.items():
            if drifts:
                hits += item in flagged
                misses += item not in flagged
            else:
                false_alarms += item in flagged
                stable += 1
        err_a.append(res.link.A - A_TRUE)
    return {
        "hit_rate": hits / max(hits + misses, 1),
        "false_alarm_rate": false_alarms / max(stable, 1),
        "rmse_A": float(np.sqrt(np.mean(np.square(err_a)))),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replications", type=int, default=1000)
    ap.add_argument("--anchors", type=int, default=20)
    ap.add_argument("--drift", type=int, default=2)
    ap.add_argument("--shift", type=float, default=0.6)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    for label, max_iter in (("until none flagged", None), ("one pass", 1)):
        t0 = time.perf_counter()
        out = run(args.replications, args.anchors, args.drift, args.shift, args.seed, max_iter)
        secs = time.perf_counter() - t0
        print(
            f"{label}: {args.replications} replications, {args.anchors} anchors, {args.drift} "
            f"drifting by {args.shift}: hit rate {out['hit_rate']:.3f}, false alarms "
            f"{out['false_alarm_rate']:.4f}, RMSE(A) {out['rmse_A']:.4f}; "
            f"{secs / args.replications * 1000:.1f} ms per screen"
        )
    for label, max_iter in (("until none flagged", None), ("one pass", 1)):
        out = run(args.replications, args.anchors, 0, 0.0, args.seed + 1, max_iter)
        print(f"no drift, {label}: false alarms {out['false_alarm_rate']:.4f}")


if __name__ == "__main__":
    main()
