"""Benchmark: MML-EM calibration speed and parameter recovery, against the PyPI ``mirt``.

Simulates N x 125 responses from known 2PL/3PL parameters (theta ~ N(0, 1); a lognormal
(0, 0.3), b normal(0, 1), c Beta(5, 17)), then calibrates them with

- cehrs-items ``mml_em`` and
- ``mirt.fit_mirt`` (Rust backend),

with the same model, the same 41-point Gauss-Hermite quadrature, the same stopping rule
(absolute change of the marginal log likelihood below 1e-4, mirt's definition) and, for the
3PL, the same Beta(5, 17) prior on c. Both compute standard errors (Louis observed
information here, mirt's "auto" = Oakes/Louis there) unless ``--no-se``. Reported: wall
time (median of ``--repeats`` runs), EM cycles, and RMSE and bias of a, b, c against the
generating values. A second part checks fixed-anchor (pretest) calibration: 100 items
fixed at their true values, 25 pretest items estimated, calibration sample from
N(0.3, 1.1^2); the pretest estimates are compared with the truth on the bank scale.

With ``--old-src DIR`` (a checkout of an earlier cehrs-items, e.g. made by
``git worktree add --detach /tmp/old <commit>``) the same data are also calibrated by
that version, in a subprocess with ``PYTHONPATH=DIR``, interleaved with the others.
``mirt`` runs only up to ``--mirt-max`` examinees (it takes minutes at 100,000).

Run (one heavy process at a time on a shared machine):

    python benchmarks/bench_calibrate.py                       # 10,000 and 100,000, 2PL + 3PL
    python benchmarks/bench_calibrate.py --sizes 100000,1000000 --old-src /tmp/old
    python benchmarks/bench_calibrate.py --sizes 10000 --repeats 3
    python benchmarks/bench_calibrate.py --skip-mirt --default-quadrature

``mirt`` is optional: without it (or with --skip-mirt) only cehrs-items is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from cehrs_items.irt.mml_em import FixedItem, Priors, mml_em
from cehrs_items.irt.models import probability
from cehrs_items.irt.quadrature import make_quadrature

N_ITEMS = 125


def simulate(n: int, model: str, seed: int, mean: float = 0.0, sd: float = 1.0):
    rng = np.random.default_rng(seed)
    a = np.exp(rng.normal(0.0, 0.3, N_ITEMS))
    b = rng.normal(0.0, 1.0, N_ITEMS)
    c = rng.beta(5, 17, N_ITEMS) if model == "3pl" else np.zeros(N_ITEMS)
    theta = rng.normal(mean, sd, n)
    x = (rng.random((n, N_ITEMS)) < probability(theta, a, b, c)).astype(np.int8)
    return x, a, b, c


def recovery(est: dict[str, np.ndarray], true: dict[str, np.ndarray]) -> dict[str, float]:
    out = {}
    for name in ("a", "b", "c"):
        if name in est:
            err = np.asarray(est[name]) - true[name]
            out[f"rmse_{name}"] = float(np.sqrt(np.mean(err**2)))
            out[f"bias_{name}"] = float(np.mean(err))
    return out


def run_ours(x, model, quad_kind, points, se, criterion):
    ids = [f"IT-{j:04d}" for j in range(x.shape[1])]
    t0 = time.perf_counter()
    res = mml_em(
        x,
        item_ids=ids,
        model=model,
        quadrature=make_quadrature(quad_kind, points),
        priors=Priors(c=(5.0, 17.0)),
        tol=1e-4,
        criterion=criterion,
        max_iter=2000,
        se_method="louis" if se else "none",
    )
    elapsed = time.perf_counter() - t0
    p = res.params  # item ids are zero-padded, so sorted order is column order
    est = {"a": p["a"].to_numpy(), "b": p["b"].to_numpy()}
    if model == "3pl":
        est["c"] = p["c"].to_numpy()
    return elapsed, res.n_iter, res.converged, est


def run_old(x, model, quad_kind, points, se, criterion, old_src):
    """``run_ours`` in a subprocess that imports cehrs-items from ``old_src``."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "x.npy"
        np.save(data, x)
        args = [sys.executable, __file__, "--run-one", str(data), model, quad_kind, str(points)]
        args += [str(int(se)), criterion]
        env = {**os.environ, "PYTHONPATH": str(old_src)}
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    est = {k: np.asarray(v) for k, v in out["est"].items()}
    return out["elapsed"], out["n_iter"], out["converged"], est


def run_one(argv: list[str]) -> None:
    data, model, quad_kind, points, se, criterion = argv
    import cehrs_items

    print(f"# cehrs-items from {Path(cehrs_items.__file__).parent}", file=sys.stderr)
    x = np.load(data)
    elapsed, n_iter, conv, est = run_ours(x, model, quad_kind, int(points), se == "1", criterion)
    est = {k: v.tolist() for k, v in est.items()}
    print(json.dumps({"elapsed": elapsed, "n_iter": n_iter, "converged": conv, "est": est}))


def run_mirt(x, model, points, se):
    import mirt
    from mirt.estimation.priors import BetaPrior

    kwargs = {}
    if model == "3pl":
        kwargs["priors"] = {"guessing": BetaPrior(5, 17)}
    t0 = time.perf_counter()
    res = mirt.fit_mirt(
        x,
        model=model.upper(),
        n_quadpts=points,
        tol=1e-4,
        max_iter=2000,
        compute_standard_errors=se,
        **kwargs,
    )
    elapsed = time.perf_counter() - t0
    pars = res.model.parameters
    est = {"a": np.ravel(pars["discrimination"]), "b": np.ravel(pars["difficulty"])}
    if model == "3pl":
        est["c"] = np.ravel(pars["guessing"])
    return elapsed, res.n_iterations, res.converged, est


def fmt(rec: dict[str, float]) -> str:
    return "  ".join(
        f"{k} {v:+.4f}" if k.startswith("bias") else f"{k} {v:.4f}" for k, v in rec.items()
    )


def speed_and_recovery(args) -> None:
    have_mirt = not args.skip_mirt
    if have_mirt:
        try:
            import mirt  # noqa: F401
        except ImportError:
            print("mirt is not installed: timing cehrs-items only", file=sys.stderr)
            have_mirt = False
    kind, points = ("grid", 61) if args.default_quadrature else ("gh", 41)
    rule = "largest parameter change" if args.default_quadrature else "|change of log likelihood|"
    print(
        f"# quadrature: {kind} {points} points; tol 1e-4 on {rule}; "
        f"standard errors: {'no' if args.no_se else 'yes'}"
    )
    print("model  N        tool         time_s  cycles conv  recovery")
    for model in args.models:
        for n in args.sizes:
            x, a, b, c = simulate(n, model, seed=2026 + n)
            true = {"a": a, "b": b, "c": c}
            repeats = args.repeats if n <= 20000 else 1
            rows = {}
            se = not args.no_se
            crit = "params" if args.default_quadrature else "loglik"
            tools = [("cehrs-items", run_ours, (x, model, kind, points, se, crit))]
            if args.old_src:
                old = (x, model, kind, points, se, crit, args.old_src)
                tools.append(("old version", run_old, old))
            if have_mirt and not args.default_quadrature and n <= args.mirt_max:
                tools.append(("mirt", run_mirt, (x, model, points, se)))
            for name, fn, fn_args in tools:
                times = []
                for _ in range(repeats):
                    elapsed, n_iter, conv, est = fn(*fn_args)
                    times.append(elapsed)
                med = statistics.median(times)
                rows[name] = med
                print(
                    f"{model:5s}  {n:<8d} {name:12s} {med:7.2f} {n_iter:6d} {str(conv):5s} "
                    f"{fmt(recovery(est, true))}",
                    flush=True,
                )
            for other in ("old version", "mirt"):
                if other in rows:
                    print(
                        f"{model:5s}  {n:<8d} ratio        cehrs-items time / {other} time = "
                        f"{rows['cehrs-items'] / rows[other]:.3f}",
                        flush=True,
                    )


def anchor_study(args) -> None:
    print("\n# fixed-anchor pretest calibration: 100 anchors at true values, 25 pretest items,")
    print("# calibration sample theta ~ N(0.3, 1.1^2); truth is on the bank scale N(0, 1)")
    for model in args.models:
        n = args.anchor_n
        rng = np.random.default_rng(77)
        a = np.exp(rng.normal(0.0, 0.3, N_ITEMS))
        b = rng.normal(0.0, 1.0, N_ITEMS)
        c = rng.beta(5, 17, N_ITEMS) if model == "3pl" else np.zeros(N_ITEMS)
        theta = rng.normal(0.3, 1.1, n)
        x = (rng.random((n, N_ITEMS)) < probability(theta, a, b, c)).astype(np.int8)
        ids = [f"IT-{j:04d}" for j in range(N_ITEMS)]
        fixed = {ids[j]: FixedItem(a=a[j], b=b[j], c=c[j]) for j in range(100)}
        t0 = time.perf_counter()
        res = mml_em(x, item_ids=ids, model=model, fixed=fixed, se_method="louis")
        elapsed = time.perf_counter() - t0
        pre = res.params.filter(~res.params["fixed"])
        est = {"a": pre["a"].to_numpy(), "b": pre["b"].to_numpy()}
        if model == "3pl":
            est["c"] = pre["c"].to_numpy()
        true = {"a": a[100:], "b": b[100:], "c": c[100:]}
        print(
            f"{model:5s} N={n} anchored: {elapsed:.2f}s, {res.n_iter} cycles, "
            f"mean {res.mean:.3f} (true 0.3), sd {res.sd:.3f} (true 1.1)"
        )
        print(f"      pretest {fmt(recovery(est, true))}")
        free = mml_em(x[:, 100:], item_ids=ids[100:], model=model, se_method="none")
        est_free = {"a": free.params["a"].to_numpy(), "b": free.params["b"].to_numpy()}
        print(
            f"      same 25 items calibrated alone on N(0,1) (no anchors): "
            f"{fmt(recovery(est_free, true))}",
            flush=True,
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--run-one":
        run_one(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--models", default="2pl,3pl")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-mirt", action="store_true")
    parser.add_argument("--no-se", action="store_true")
    parser.add_argument(
        "--default-quadrature",
        action="store_true",
        help="use cehrs-items' default 61-point grid (recovery only)",
    )
    parser.add_argument("--old-src", type=Path, help="checkout of an earlier version to time")
    parser.add_argument("--mirt-max", type=int, default=100000)
    parser.add_argument("--anchor-n", type=int, default=10000)
    parser.add_argument("--skip-anchor", action="store_true")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.models = args.models.split(",")
    speed_and_recovery(args)
    if not args.skip_anchor:
        anchor_study(args)


if __name__ == "__main__":
    main()
