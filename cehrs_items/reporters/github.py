"""GitHub Actions workflow commands: ``::error file=…,line=…,col=…,title=RULE::message``.

Each finding becomes one annotation (``error``, ``warning`` or ``notice``); the hint
follows the message on a second line. Values are escaped as the workflow-command
syntax requires (``%``, CR and LF everywhere; ``:`` and ``,`` in properties too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cehrs_items.findings import Finding, Severity
from cehrs_items.reporters._common import DEFAULT_TOOL

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in value
    )


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_finding(finding: Finding) -> str:
    props = []
    if finding.file:
        props.append(f"file={escape_property(finding.file)}")
    if finding.line is not None:
        props.append(f"line={finding.line}")
        if finding.col is not None:
            props.append(f"col={finding.col}")
    props.append(f"title={escape_property(finding.rule)}")
    message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    return f"::{_COMMAND[finding.severity]} {','.join(props)}::{escape_data(message)}"


def render(
    findings: Sequence[Finding],
    *,
    files: Sequence[str] = (),
    strict: bool = False,
    color: bool = False,
    rules: Mapping[str, Any] | None = None,
    tool: str = DEFAULT_TOOL,
) -> str:
    """One workflow command per finding, newline-terminated."""
    return "".join(format_finding(f) + "\n" for f in findings)
