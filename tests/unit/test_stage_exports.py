"""Each stage exports its entry functions, settings and results from its package."""

from __future__ import annotations

import importlib
import inspect

import pytest

STAGES = {
    "cehrs_items.irt": {"calibrate_responses", "CalibrationSettings", "Calibration"},
    "cehrs_items.simulate": {"simulate_responses", "ResponseSettings", "SimulateResponsesResult"},
    "cehrs_items.analysis": {"analyze", "Thresholds", "AnalysisResult"},
    "cehrs_items.validate": {"validate_paths", "ValidationResult"},
}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_exports(name):
    module = importlib.import_module(name)
    assert STAGES[name] <= set(module.__all__)
    for export in module.__all__:
        assert getattr(module, export) is not None, f"{name}.{export}"


def test_calibrate_responses_takes_typed_settings_not_an_options_bag():
    from cehrs_items.irt import CalibrationSettings, calibrate_responses

    params = inspect.signature(calibrate_responses).parameters
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in params.values())
    assert params["settings"].annotation in ("CalibrationSettings | None",)
    defaults = CalibrationSettings()
    assert (defaults.model, defaults.quad_points, defaults.fit) == ("2pl", 61, True)
    with pytest.raises(TypeError):
        calibrate_responses("responses.csv", model="3pl")  # type: ignore[call-arg]
