"""Reference ICCs from pingouin for the standard-setting agreement tests.

Run once, from the repository root, in a separate environment with pingouin installed
(it is not a dependency of the project):

    python3 -m venv /tmp/pg && /tmp/pg/bin/pip install pingouin==0.7.0
    /tmp/pg/bin/python tests/reference/pingouin_icc/make_reference.py

Writes ``ratings.csv`` (panel, item_id, judge_id, rating) and ``expected.csv`` (one row
per panel: pingouin's ICC(A,1), ICC(A,k), ICC(C,1), ICC(C,k), which are Shrout & Fleiss's ICC(2,1), ICC(2,k), ICC(3,1), ICC(3,k)). The panels: the Shrout & Fleiss (1979)
Table 2 data (6 targets x 4 judges) and three simulated Angoff panels (ratings of
probabilities, 2 decimals) of different size and agreement, drawn here with numpy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pingouin

HERE = Path(__file__).resolve().parent

SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)


def simulated(seed: int, n_items: int, n_judges: int, judge_sd: float, noise: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    item = rng.uniform(0.3, 0.95, size=n_items)
    judge = rng.normal(0.0, judge_sd, size=n_judges)
    x = item[:, None] + judge[None, :] + rng.normal(0.0, noise, size=(n_items, n_judges))
    return np.round(np.clip(x, 0.0, 1.0), 2)


def main() -> None:
    panels = {
        "shrout_fleiss": SHROUT_FLEISS,
        "sim_10x25": simulated(1, 25, 10, 0.05, 0.08),
        "sim_6x40": simulated(2, 40, 6, 0.10, 0.15),
        "sim_12x100": simulated(3, 100, 12, 0.03, 0.05),
    }
    long_rows = []
    expected = []
    for name, x in panels.items():
        n, k = x.shape
        frame = pd.DataFrame(
            [
                {
                    "panel": name,
                    "item_id": f"I{i + 1:03d}",
                    "judge_id": f"J{j + 1:02d}",
                    "rating": x[i, j],
                }
                for i in range(n)
                for j in range(k)
            ]
        )
        long_rows.append(frame)
        res = pingouin.intraclass_corr(
            data=frame, targets="item_id", raters="judge_id", ratings="rating"
        ).set_index("Type")
        expected.append(
            {
                "panel": name,
                "icc2_1": res.loc["ICC(A,1)", "ICC"],
                "icc2_k": res.loc["ICC(A,k)", "ICC"],
                "icc3_1": res.loc["ICC(C,1)", "ICC"],
                "icc3_k": res.loc["ICC(C,k)", "ICC"],
            }
        )
    pd.concat(long_rows).to_csv(HERE / "ratings.csv", index=False)
    pd.DataFrame(expected).to_csv(HERE / "expected.csv", index=False, float_format="%.17g")
    (HERE / "VERSIONS.txt").write_text(
        f"pingouin {pingouin.__version__}\npandas {pd.__version__}\nnumpy {np.__version__}\n"
    )


if __name__ == "__main__":
    main()
