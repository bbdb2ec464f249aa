"""The one exception hierarchy of cehrs-items.

Messages are one line: what went wrong, where (file, row, column or field), and what
was expected. The CLI turns :class:`CehrsError` into ``error: <message>`` on stderr.

Data warnings (input that was read and used but that a psychometrician should know
about) go through :func:`warn_data`; the CLI collects them, prints ``warning: <message>``
on stderr, records them in the output's manifest, and with ``--strict`` raises them as
:class:`DataError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


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


class DataWarning(UserWarning):
    """Input that was read and used, but that a psychometrician should know about."""


_COLLECTOR: ContextVar[_Collector | None] = ContextVar("cehrs_items_warnings", default=None)


class _Collector:
    def __init__(self, strict: bool, echo: Callable[[str], None] | None) -> None:
        self.strict = strict
        self.echo = echo
        self.messages: list[str] = []


def warn_data(message: str) -> None:
    """Report a data warning: a one-line, located message like an error's.

    Inside :func:`collect_warnings` the message is recorded (and echoed by the CLI), or,
    when that block is strict, raised as :class:`DataError`. Outside one it is issued as a
    Python :class:`DataWarning`, so library users see it too.
    """
    collector = _COLLECTOR.get()
    if collector is None:
        warnings.warn(DataWarning(message), stacklevel=3)
        return
    if collector.strict:
        raise DataError(f"{message} (an error with --strict)")
    if message not in collector.messages:
        collector.messages.append(message)
        if collector.echo is not None:
            collector.echo(message)


def set_strict(strict: bool) -> None:
    """Make warnings raised from now on in the current collecting block errors (``--strict``)."""
    collector = _COLLECTOR.get()
    if collector is not None:
        collector.strict = strict


def collected_warnings() -> list[str]:
    """The warnings recorded so far in the current collecting block (in the order raised)."""
    collector = _COLLECTOR.get()
    return list(collector.messages) if collector is not None else []


@contextmanager
def collect_warnings(
    *, strict: bool = False, echo: Callable[[str], None] | None = None
) -> Iterator[list[str]]:
    """Collect :func:`warn_data` messages in a list (the CLI wraps each command in one)."""
    collector = _Collector(strict, echo)
    token = _COLLECTOR.set(collector)
    try:
        yield collector.messages
    finally:
        _COLLECTOR.reset(token)
