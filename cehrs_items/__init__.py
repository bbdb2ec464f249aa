"""cehrs-items: question-bank authoring and psychometrics for the CEHRS exam.

The public Python API is what this package and its stage modules export; the
``cehrs-items`` command is a thin layer over it.
"""

from cehrs_items.errors import (
    BlueprintError,
    CehrsError,
    DataError,
    EquatingError,
    EstimationError,
    InfeasibleError,
    InputError,
)
from cehrs_items.findings import Finding, Severity

__version__ = "0.1.0"

__all__ = [
    "BlueprintError",
    "CehrsError",
    "DataError",
    "EquatingError",
    "EstimationError",
    "Finding",
    "InfeasibleError",
    "InputError",
    "Severity",
    "__version__",
]
