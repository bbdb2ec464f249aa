"""Logistic-regression DIF reference values from statsmodels, fitted per examinee.

Run from the repository root (needs statsmodels, not a project dependency):
    python tests/reference/dif_logistic/reference.py

Data: tests/reference/mh/bfi_dichotomous.csv (R psych::bfi, 25 items dichotomised,
complete cases, gender 1 = male = reference, 2 = female = focal). For each item, three
Binomial-logit GLMs on the 2,431 examinees (one row each): total score; + group;
+ group + score:group, the score being the number right over all 25 items (difR's default
match = "score"). Writes expected.csv: likelihood-ratio chi-squares (from the GLM log
likelihoods) and Nagelkerke's R-squared difference, computed from the GLM's llf and llnull.
"""

import csv
from pathlib import Path

import numpy as np
import statsmodels
import statsmodels.api as sm

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "mh" / "bfi_dichotomous.csv"

with open(DATA, newline="") as fh:
    rows = list(csv.DictReader(fh))
items = [c for c in rows[0] if c not in ("examinee_id", "gender")]
x = np.array([[float(r[i]) for i in items] for r in rows])
g = np.array([1.0 if r["gender"] == "2" else 0.0 for r in rows])
score = x.sum(1)
n = len(rows)


def fit(y, cols):
    design = sm.add_constant(np.column_stack(cols))
    res = sm.GLM(y, design, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
    return res.llf, res.llnull


def nagelkerke(llf, llnull):
    return (1 - np.exp(2 * (llnull - llf) / n)) / (1 - np.exp(2 * llnull / n))


out = []
for j, item in enumerate(items):
    y = x[:, j]
    l1, l0 = fit(y, [score])
    l2, _ = fit(y, [score, g])
    l3, _ = fit(y, [score, g, score * g])
    out.append(
        (item, 2 * (l2 - l1), 2 * (l3 - l2), 2 * (l3 - l1), nagelkerke(l3, l0) - nagelkerke(l1, l0))
    )

with open(HERE / "expected.csv", "w", newline="") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["item_id", "chi2_uniform", "chi2_nonuniform", "chi2_total", "r2_delta"])
    for row in out:
        w.writerow([row[0]] + [f"{v:.10g}" for v in row[1:]])
with open(HERE / "VERSIONS.txt", "w") as fh:
    fh.write(f"statsmodels {statsmodels.__version__}\nnumpy {np.__version__}\n")
