"""A small analysis output and bank, with hostile item text, for the report tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml

HOSTILE_STEM = (
    'Which <script>alert("x")</script> tag & "quote" is safe? Café résumé 检查 \'single\''
)


@pytest.fixture
def hostile_stem() -> str:
    return HOSTILE_STEM


def _write_item(directory: Path, item_id: str, domain: int, key: str, stem: str) -> None:
    item = {
        "id": item_id,
        "version": 1,
        "status": "operational",
        "domain": domain,
        "subdomain": f"{domain}.1",
        "stem": stem,
        "options": {
            "A": "<b>bold</b> option",
            "B": "Second & third",
            "C": 'Option with "quotes"',
            "D": "Ünïcödé option",
        },
        "key": key,
        "rationale": {"A": "a", "B": "b", "C": "c", "D": "d"},
        "references": ["Test reference"],
        "cognitive_level": "recall",
        "author": "tester",
        "reviewers": ["reviewer"],
        "created": "2026-01-01",
        "modified": "2026-01-01",
    }
    path = directory / "items" / str(domain) / f"{item_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(item, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def report_inputs(tmp_path: Path, bank_dir: Path) -> dict[str, Path]:
    bank = tmp_path / "bank"
    bank.mkdir()
    shutil.copy(bank_dir / "blueprint.yaml", bank / "blueprint.yaml")
    _write_item(bank, "NC-0001", 1, "A", HOSTILE_STEM)
    _write_item(bank, "CO-0001", 2, "C", "Which option is the plain, well-behaved key here?")
    analysis = tmp_path / "analysis"
    analysis.mkdir()
    pl.DataFrame(
        {
            "item_id": ["CO-0001", "NC-0001"],
            "role": ["scored", "pretest"],
            "domain": [2, 1],
            "n": [200, 200],
            "n_omitted": [2, 0],
            "p_value": [0.72, 0.96],
            "item_total_r": [0.41, 0.12],
            "item_rest_r": [0.35, 0.08],
            "biserial": [0.52, 0.31],
            # undefined for a pretest item: written as NaN, as analyze writes it
            "alpha_if_deleted": [0.80, float("nan")],
            "upper_lower_d": [0.44, 0.05],
            "flags": ["", "high_p;low_item_rest_r"],
        }
    ).write_csv(analysis / "item_stats.csv")
    rows = []
    for item_id, key in (("CO-0001", "C"), ("NC-0001", "A")):
        for i, option in enumerate("ABCD"):
            share = 0.7 if option == key else 0.1
            rows.append(
                {
                    "item_id": item_id,
                    "option": option,
                    "is_key": option == key,
                    "n": int(200 * share),
                    "proportion": share,
                    # an option nobody chose has no point-biserial (NaN)
                    "point_biserial": float("nan")
                    if (item_id, option) == ("CO-0001", "D")
                    else (0.3 if option == key else -0.1),
                    "mean_score_of_choosers": 60.0 - i,
                    **{f"q{q}": share * (q / 3 if option == key else 1 / q) for q in range(1, 6)},
                }
            )
    pl.DataFrame(rows).write_csv(analysis / "option_stats.csv")
    (analysis / "test_stats.json").write_text(
        json.dumps(
            {
                "n_examinees": 200,
                "n_items": 2,
                "mean": 1.68,
                "sd": 0.5,
                "alpha": 0.61,
                "sem": 0.31,
                "score_distribution": {"score": [0, 1, 2], "freq": [10, 45, 145]},
                "decision": {
                    "raw_cut": 2,
                    "raw_cut_source": "conversion NEW.csv",
                    "pass_rate": 0.725,
                },
                "split_half": {"r_half": 0.5, "spearman_brown": 0.667},
                "domains": [
                    {
                        "domain": 2,
                        "n_items": 1,
                        "mean": 0.72,
                        "alpha": None,
                        "score_distribution": {"score": [0, 1], "freq": [56, 144]},
                    }
                ],
                "pretest": {
                    "n_items": 1,
                    "mean": 0.96,
                    "alpha": None,
                    "score_distribution": {"score": [0, 1], "freq": [8, 192]},
                },
                "thresholds": {"p_high": 0.9, "item_rest_r_low": 0.2},
            }
        )
    )
    pl.DataFrame(
        {
            "item_id": ["CO-0001", "NC-0001"],
            "n_reference": [120, 120],
            "n_focal": [80, 80],
            "alpha_mh": [1.0, 2.1],
            "delta_mh": [0.0, -1.74],
            "se_delta_mh": [0.2, 0.3],
            "delta_mh_ci_low": [-0.392, -2.328],
            "delta_mh_ci_high": [0.392, -1.152],
            "chi_square_mh": [0.0, 9.1],
            "p_value": [1.0, 0.0026],
            "ets_category": ["A", "B"],
            "direction": ["", "favours reference"],
        }
    ).write_csv(analysis / "dif.csv")
    params = tmp_path / "params.csv"
    pl.DataFrame(
        {
            "item_id": ["CO-0001", "NC-0001"],
            "model": ["3pl", "3pl"],
            "a": [1.2, 0.8],
            "b": [-0.5, -2.0],
            "c": [0.2, 0.18],
            "se_a": [None, 0.1],
            "se_b": [None, 0.2],
            "se_c": [None, 0.04],
            "fixed": [True, False],
        }
    ).write_csv(params)
    return {"bank": bank, "analysis": analysis, "params": params}
