"""The one exception hierarchy of cehrs-items.

Messages are one line: what went wrong, where (file, row, column or field), and what
was expected. The CLI turns :class:`CehrsError` into ``error: <message>`` on stderr.
"""


class CehrsError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 2


class InputError(CehrsError):
    """A file or argument cannot be read or is not of the expected form."""


class DataError(CehrsError):
    """Data were read but do not meet the contract (missing column, bad value)."""


class BlueprintError(CehrsError):
    """The blueprint file is missing, invalid or inconsistent."""


class InfeasibleError(CehrsError):
    """An optimisation problem has no solution; the message names the binding constraints."""

    exit_code = 1


class EstimationError(CehrsError):
    """An estimation did not converge or cannot be carried out on these data."""


class EquatingError(CehrsError):
    """An equating cannot be carried out (design, data or method mismatch)."""


class CheckFailed(CehrsError):
    """A check ran and found problems (exit code 1, not a usage error)."""

    exit_code = 1
