"""Fixtures of the analysis tests."""

import pytest
from analysis_sim import simulate_letters


@pytest.fixture
def letters():
    return simulate_letters()
