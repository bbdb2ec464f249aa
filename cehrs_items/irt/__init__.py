"""Item response theory: models, estimation, information, linking and ability scoring.

The stage's entry points, their settings and results (the common calls)::

    from cehrs_items.irt import CalibrationSettings, calibrate_responses
    result = calibrate_responses("responses.csv", key="key.csv",
                                 settings=CalibrationSettings(model="3pl"))
    result.params, result.converged

- :func:`calibrate_responses` (files in) and :func:`calibrate` (scored responses in),
  settings :class:`CalibrationSettings`, result :class:`Calibration`;
- :func:`link` and :func:`link_files` (result :class:`LinkResult`), :func:`screen_drift`
  (:class:`DriftResult`);
- :func:`score_theta` and :func:`score_theta_file` (:class:`ThetaScores`);
- :func:`read_params` for parameter files; :func:`probability`,
  :func:`item_information`, :func:`test_information`, :func:`lord_wingersky` for models.
"""

from cehrs_items.irt.calibrate import (
    Calibration,
    CalibrationSettings,
    calibrate,
    calibrate_responses,
)
from cehrs_items.irt.linking import DriftResult, LinkResult, link, link_files, screen_drift
from cehrs_items.irt.models import (
    item_information,
    lord_wingersky,
    probability,
    test_information,
)
from cehrs_items.irt.params import read_params
from cehrs_items.irt.scoring import ThetaScores, score_theta, score_theta_file

__all__ = [
    "Calibration",
    "CalibrationSettings",
    "DriftResult",
    "LinkResult",
    "ThetaScores",
    "calibrate",
    "calibrate_responses",
    "item_information",
    "link",
    "link_files",
    "lord_wingersky",
    "probability",
    "read_params",
    "score_theta",
    "score_theta_file",
    "screen_drift",
    "test_information",
]
