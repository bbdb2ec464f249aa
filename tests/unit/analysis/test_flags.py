"""Flag thresholds: defaults, overrides, YAML, and the flag rules."""

import numpy as np
import pytest

from cehrs_items.analysis import Thresholds, read_thresholds, thresholds_from
from cehrs_items.analysis.flags import FLAG_DESCRIPTIONS, item_flags
from cehrs_items.errors import InputError


def test_defaults_are_the_issue_thresholds():
    t = Thresholds()
    assert (t.p_low, t.p_high, t.item_rest_r_low, t.distractor_min_proportion) == (
        0.30,
        0.90,
        0.20,
        0.05,
    )
    assert (t.min_focal, t.upper_lower_fraction, t.score_groups) == (100, 0.27, 5)


def test_overrides_from_strings_and_mapping():
    t = thresholds_from(["p_low=0.25", "min_focal = 50", "purify_categories=c"])
    assert (t.p_low, t.min_focal, t.purify_categories) == (0.25, 50, "C")
    assert thresholds_from({"p_high": "0.95"}, base=t).p_high == 0.95


@pytest.mark.parametrize(
    ("override", "match"),
    [
        (["p_lo=0.2"], "unknown flag threshold 'p_lo'"),
        (["p_low"], "is not NAME=VALUE"),
        (["min_n=2.5"], "not a valid int"),
        (["p_low=abc"], "not a valid float"),
        (["upper_lower_fraction=0.7"], r"must be in \(0, 0.5\]"),
        (["dif_flag_categories=D"], "letters from A, B, C"),
    ],
)
def test_bad_overrides(override, match):
    with pytest.raises(InputError, match=match):
        thresholds_from(override)


def test_yaml_file(tmp_path):
    path = tmp_path / "flags.yaml"
    path.write_text("p_low: 0.2\ndistractor_min_proportion: 0.02\n")
    t = read_thresholds(path)
    assert (t.p_low, t.distractor_min_proportion) == (0.2, 0.02)
    path.write_text("- not a mapping\n")
    with pytest.raises(InputError, match="expected a mapping"):
        read_thresholds(path)


def test_item_flag_rules_and_order():
    nan = float("nan")
    flags = item_flags(
        n=np.array([100, 100, 100, 100, 10]),
        n_omitted=np.array([0, 0, 100, 0, 0]),
        p_value=np.array([0.95, 0.25, 0.0, 0.6, 0.6]),
        item_rest_r=np.array([0.1, -0.1, nan, 0.3, 0.3]),
        distractor_positive=np.array([False, True, False, False, False]),
        distractor_rare=np.array([True, False, False, False, False]),
        dif_category=["A", "C", None, "B", "C"],
        thresholds=Thresholds(),
    )
    assert flags == [
        "high_p;low_item_rest_r;distractor_rarely_chosen",
        "low_p;low_item_rest_r;negative_item_rest_r;distractor_positive_pb;dif_c",
        "all_omitted;all_incorrect;low_p",
        "",
        "small_n;dif_c",
    ]
    assert all(f in FLAG_DESCRIPTIONS for cell in flags for f in cell.split(";") if f)
