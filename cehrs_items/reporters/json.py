"""JSON: ``{"version": 1, "findings": [...], "summary": {...}}`` with sorted keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cehrs_items.findings import Finding
from cehrs_items.io import dumps_json
from cehrs_items.reporters._common import DEFAULT_TOOL, summarize

FORMAT_VERSION = 1


def render(
    findings: Sequence[Finding],
    *,
    files: Sequence[str] = (),
    strict: bool = False,
    color: bool = False,
    rules: Mapping[str, Any] | None = None,
    tool: str = DEFAULT_TOOL,
) -> str:
    """One JSON document; each finding has file, line, col, rule, severity, message, hint."""
    summary = summarize(findings, files).to_dict()
    summary["strict"] = strict
    return dumps_json(
        {
            "version": FORMAT_VERSION,
            "tool": tool,
            "findings": [f.to_dict() for f in findings],
            "summary": summary,
        }
    )
