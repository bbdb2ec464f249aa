"""Mantel-Haenszel DIF against base R mantelhaen.test (tests/reference/mh)."""

from pathlib import Path

import numpy as np
import polars as pl

from cehrs_items.analysis import analyze, mantel_haenszel
from cehrs_items.analysis.dif import Strata, frame_from_strata

REF = Path(__file__).resolve().parents[2] / "reference" / "mh"
TOL = 1e-9
COLUMNS = (
    "n_reference",
    "n_focal",
    "n_strata",
    "alpha_mh",
    "delta_mh",
    "se_delta_mh",
    "chi_square_mh",
    "p_value",
    "std_p_dif",
)


def _compare(ours: pl.DataFrame, expected: pl.DataFrame) -> None:
    joined = expected.join(ours, on="item_id", suffix="_ours", how="left")
    assert joined.height == expected.height
    for col in COLUMNS:
        np.testing.assert_allclose(joined[f"{col}_ours"], joined[col], rtol=0, atol=TOL)


def test_rabbits_textbook_example():
    s = pl.read_csv(REF / "rabbits_strata.csv")
    strata = Strata(*(s[c].to_numpy()[None, :].astype(float) for c in "abcd"))
    ours = frame_from_strata(strata, ["rabbits"])
    _compare(ours, pl.read_csv(REF / "expected_rabbits_mh.csv"))
    assert ours["ets_category"][0] == "B"  # |D| = 4.57 but (|D| - 1)/SE = 1.55 < 1.645


def test_bfi_items_match_mantelhaen_test():
    data = pl.read_csv(REF / "bfi_dichotomous.csv")
    items = [c for c in data.columns if c not in ("examinee_id", "gender")]
    ours = mantel_haenszel(data.select(items), data["gender"], reference=1, focal=2)
    _compare(ours, pl.read_csv(REF / "expected_bfi_mh.csv"))


def test_bfi_through_the_pipeline_matches_too():
    result = analyze(REF / "bfi_dichotomous.csv", group="gender", reference="1", focal="2")
    _compare(result.dif, pl.read_csv(REF / "expected_bfi_mh.csv"))
