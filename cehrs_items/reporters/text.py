"""Text for humans: ``path:line:col: severity RULE message`` and an indented hint.

Colour (ANSI) only when the caller asks for it; the CLI asks when stdout is a terminal
and ``NO_COLOR`` is unset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cehrs_items.findings import Finding, Severity
from cehrs_items.reporters._common import DEFAULT_TOOL, location

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_COLOURS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}


def one_line(text: str) -> str:
    """Line breaks become spaces and other control characters visible escapes, so item
    text quoted in a message can neither break the format nor send terminal codes."""
    text = " ".join(text.splitlines())
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def format_finding(finding: Finding, *, color: bool = False) -> str:
    """The one or two lines of a finding (the hint line only when there is a hint)."""
    where = one_line(location(finding))
    severity = finding.severity.value
    if color:
        where = f"{_BOLD}{where}{_RESET}"
        severity = f"{_COLOURS[finding.severity]}{severity}{_RESET}"
        rule = f"{_BOLD}{finding.rule}{_RESET}"
    else:
        rule = finding.rule
    line = f"{where}: {severity} {rule} {one_line(finding.message)}"
    if finding.hint:
        hint = f"hint: {one_line(finding.hint)}"
        line += "\n    " + (f"{_DIM}{hint}{_RESET}" if color else hint)
    return line


def render(
    findings: Sequence[Finding],
    *,
    files: Sequence[str] = (),
    strict: bool = False,
    color: bool = False,
    rules: Mapping[str, Any] | None = None,
    tool: str = DEFAULT_TOOL,
) -> str:
    """All findings, one block each, newline-terminated; empty text when there are none."""
    return "".join(format_finding(f, color=color) + "\n" for f in findings)
