"""Independent reference values for the Kolen & Brennan (2014) ch. 6 example.

Run from the repository root (needs ../shared/data and scipy):
    python tests/reference/kolen-brennan-ch6/reference.py

Written separately from cehrs_items (no import from the package): the item response
function is coded here from the formula, the characteristic-curve criteria are minimised by
Powell's derivative-free method (the package uses BFGS then Nelder-Mead) from A = 1, B = 0
(the package starts from mean/sigma), and the true-score equation is solved by Brent's
bracketing root finder on [-20, 20] (the package uses safeguarded Newton from a grid).
Writes expected_linking.csv and expected_true_score.csv beside this script.
"""

import csv
import math
from pathlib import Path

import numpy as np
from scipy.optimize import brentq, minimize

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2].parent / "shared" / "data" / "kolen-brennan" / "ch6"
D = 1.7


def read(name):
    with open(DATA / name, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0] if k != "item_id"}


def icc(theta, a, b, c):
    # P_j(theta_q) as a (Q, J) matrix, written out from the 3PL formula
    out = np.empty((len(theta), len(a)))
    for q, t in enumerate(theta):
        for j in range(len(a)):
            out[q, j] = c[j] + (1.0 - c[j]) / (1.0 + math.exp(-D * a[j] * (t - b[j])))
    return out


def criterion(params, kind, x, y, qx, qy):
    A, B = params
    if A <= 0:
        return 1e6
    wy = qy["weight"] / qy["weight"].sum()
    wx = qx["weight"] / qx["weight"].sum()
    # old (Y) scale: Y's group; X's items moved onto Y's scale
    p_y = icc(qy["theta"], y["a"], y["b"], y["c"])
    p_xs = icc(qy["theta"], x["a"] / A, A * x["b"] + B, x["c"])
    # new (X) scale: X's group; Y's items moved onto X's scale
    p_x = icc(qx["theta"], x["a"], x["b"], x["c"])
    p_ys = icc(qx["theta"], y["a"] * A, (y["b"] - B) / A, y["c"])
    if kind == "haebara":
        return float(
            np.sum(wy[:, None] * (p_y - p_xs) ** 2) + np.sum(wx[:, None] * (p_x - p_ys) ** 2)
        )
    return float(
        np.sum(wy * (p_y.sum(1) - p_xs.sum(1)) ** 2) + np.sum(wx * (p_x.sum(1) - p_ys.sum(1)) ** 2)
    )


def linking():
    x, y = read("common_items_x.csv"), read("common_items_y.csv")
    qx, qy = read("ability_x.csv"), read("ability_y.csv")
    n = len(x["b"])
    mx, my = sum(x["b"]) / n, sum(y["b"]) / n
    sx = math.sqrt(sum((v - mx) ** 2 for v in x["b"]) / n)
    sy = math.sqrt(sum((v - my) ** 2 for v in y["b"]) / n)
    a_ms = sy / sx
    a_mm = (sum(x["a"]) / n) / (sum(y["a"]) / n)
    rows = [("mean-sigma", a_ms, my - a_ms * mx), ("mean-mean", a_mm, my - a_mm * mx)]
    for kind in ("haebara", "stocking-lord"):
        res = minimize(
            criterion,
            [1.0, 0.0],
            args=(kind, x, y, qx, qy),
            method="Powell",
            options={"xtol": 1e-12, "ftol": 1e-15, "maxiter": 100000},
        )
        rows.append((kind, float(res.x[0]), float(res.x[1])))
    with open(HERE / "expected_linking.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["method", "A", "B"])
        for m, a, b in rows:
            w.writerow([m, f"{a:.8f}", f"{b:.8f}"])


def true_score():
    x, y = read("form_x_params.csv"), read("form_y_params.csv")
    kx, ky = len(x["a"]), len(y["a"])
    sum_cx, sum_cy = float(np.sum(x["c"])), float(np.sum(y["c"]))

    def tcc(t, p):
        return float(icc([t], p["a"], p["b"], p["c"]).sum())

    rows = []
    for score in range(kx + 1):
        if score <= sum_cx:
            theta, equated = None, score * sum_cy / sum_cx  # K&B's linear extrapolation
        elif score == kx:
            theta, equated = None, float(ky)
        else:
            theta = brentq(lambda t, s=score: tcc(t, x) - s, -20, 20, xtol=1e-14, rtol=1e-15)
            equated = tcc(theta, y)
        rows.append((score, theta, equated))
    with open(HERE / "expected_true_score.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["score", "theta_x", "equated"])
        for s, t, e in rows:
            w.writerow([s, "" if t is None else f"{t:.8f}", f"{e:.8f}"])


if __name__ == "__main__":
    linking()
    true_score()
