"""What several reporters share: the run summary and the failing severities."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cehrs_items.findings import Finding, Severity

DEFAULT_TOOL = "cehrs-items validate"


@dataclass(frozen=True)
class Summary:
    """Counts of a run: files checked and findings by severity."""

    files_checked: int
    errors: int
    warnings: int
    info: int

    def to_dict(self) -> dict[str, int]:
        return {
            "files_checked": self.files_checked,
            "errors": self.errors,
            "warnings": self.warnings,
            "info": self.info,
        }

    def line(self) -> str:
        """One human line, e.g. ``checked 5 files: 1 error, 2 warnings``."""

        def plural(n: int, word: str) -> str:
            return f"{n} {word}{'' if n == 1 else 's'}"

        return (
            f"checked {plural(self.files_checked, 'file')}: {plural(self.errors, 'error')}, "
            f"{plural(self.warnings, 'warning')}" + (f", {self.info} info" if self.info else "")
        )


def summarize(findings: Iterable[Finding], files: Sequence[str] = ()) -> Summary:
    """The summary of ``findings`` over ``files`` (files with findings count if unlisted)."""
    findings = list(findings)
    checked = set(files) | {f.file for f in findings if f.file}
    return Summary(
        files_checked=len(checked),
        errors=sum(f.severity is Severity.ERROR for f in findings),
        warnings=sum(f.severity is Severity.WARNING for f in findings),
        info=sum(f.severity is Severity.INFO for f in findings),
    )


def failing(finding: Finding, *, strict: bool) -> bool:
    """Whether the finding fails a run: errors always, warnings with ``strict``."""
    return finding.severity is Severity.ERROR or (strict and finding.severity is Severity.WARNING)


def location(finding: Finding) -> str:
    """``file:line:col`` with the parts that are known."""
    parts = [finding.file or "<run>"]
    if finding.line is not None:
        parts.append(str(finding.line))
        if finding.col is not None:
            parts.append(str(finding.col))
    return ":".join(parts)
