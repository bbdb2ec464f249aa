"""Stocking-Lord and Haebara constants from the PyPI ``mirt`` package (run once).

Run from the repository root:  python tests/reference/mirt_linking/reference.py
Needs ``pip install mirt`` (1.2.0 was used). Writes ``params_base.csv``, ``params_new.csv``
and ``expected.csv``; CI does not need mirt.

The two parameter sets: 20 3PL items (a lognormal(0, 0.3), b normal(0, 1), c Beta(5, 17),
seed 20260501) as the base calibration; the new calibration holds the same items put on
another scale by A = 0.85, B = 0.4 and perturbed by estimation-like noise (SD 0.05 on log a
and on b, 0.01 on c), so no method recovers A and B exactly and the methods differ.
mirt's default theta grid (61 points on [-4, 4], normal weights) is used on both sides.
"""

from __future__ import annotations

from pathlib import Path

import mirt
import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent


def main() -> None:
    rng = np.random.default_rng(20260501)
    n = 20
    a = np.exp(rng.normal(0, 0.3, n))
    b = rng.normal(0, 1, n)
    c = rng.beta(5, 17, n)
    true_a, true_b = 0.85, 0.4  # theta_base = A * theta_new + B
    a_new = a * true_a * np.exp(rng.normal(0, 0.05, n))
    b_new = (b - true_b) / true_a + rng.normal(0, 0.05, n)
    c_new = np.clip(c + rng.normal(0, 0.01, n), 0.01, 0.5)
    ids = [f"IT-{j:04d}" for j in range(n)]
    base = pl.DataFrame({"item_id": ids, "a": a, "b": b, "c": c, "d": 1.0})
    new = pl.DataFrame({"item_id": ids, "a": a_new, "b": b_new, "c": c_new, "d": 1.0})
    base.write_csv(HERE / "params_base.csv", float_precision=12)
    new.write_csv(HERE / "params_new.csv", float_precision=12)
    base = pl.read_csv(HERE / "params_base.csv")  # link exactly the numbers on file
    new = pl.read_csv(HERE / "params_new.csv")

    def model(frame: pl.DataFrame):
        m = mirt.ThreeParameterLogistic(n_items=n)
        m.set_parameters(
            discrimination=frame["a"].to_numpy(),
            difficulty=frame["b"].to_numpy(),
            guessing=frame["c"].to_numpy(),
        )
        return m

    rows = []
    for method in ("stocking_lord", "haebara", "mean_sigma", "mean_mean"):
        res = mirt.link(
            model(base), model(new), list(range(n)), list(range(n)), method=method,
            compute_diagnostics=False,
        )  # fmt: skip
        consts = res.constants
        rows.append(
            {"method": method.replace("_", "-"), "A": float(consts.A), "B": float(consts.B)}
        )
    pl.DataFrame(rows).write_csv(HERE / "expected.csv", float_precision=10)
    print(pl.DataFrame(rows))


if __name__ == "__main__":
    main()
