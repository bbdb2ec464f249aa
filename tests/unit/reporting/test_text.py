"""One rule for report cells, shared by the main report and the standard-setting report."""

import math

import pytest

from cehrs_items.reporting import html, standard_setting
from cehrs_items.reporting.text import format_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "–"),
        (float("nan"), "–"),
        (math.inf, "–"),
        (True, "yes"),
        (12345, "12,345"),
        (0.12345, "0.123"),
        (-1234.5, "-1,234.500"),
        ("B", "B"),
    ],
)
def test_cells(value, text):
    assert format_value(value) == text


def test_both_reports_use_it():
    assert html._fmt is format_value
    assert standard_setting._fmt is format_value
