"""Findings: what validators and checks report, collected before any output.

Validators yield :class:`Finding` objects and never print or raise over bad content;
reporters render a sorted list of them once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How serious a finding is; ``error`` fails a run, ``warning`` only with ``--strict``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    """One problem at one place.

    ``line`` and ``col`` are 1-based; ``None`` for findings about a whole file or run.
    ``file`` is the path as the user gave it (relative paths stay relative).
    """

    file: str
    line: int | None
    col: int | None
    rule: str
    severity: Severity
    message: str
    hint: str = ""

    def sort_key(self) -> tuple:
        return (
            self.file,
            self.line if self.line is not None else 0,
            self.col if self.col is not None else 0,
            self.rule,
            self.message,
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings sorted by (file, line, col, rule, message), duplicates removed."""
    return sorted(set(findings), key=Finding.sort_key)


def exit_code_for(findings: Iterable[Finding], *, strict: bool = False) -> int:
    """0 when nothing fails, 1 when an error (or, with ``strict``, a warning) is present."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return 1 if any(f.severity in failing for f in findings) else 0


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in _SEVERITY_ORDER}
    for f in findings:
        counts[f.severity.value] += 1
    return counts
