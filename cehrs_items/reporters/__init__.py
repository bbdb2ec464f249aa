"""Reporters: render one sorted list of findings in a chosen format.

Every reporter module exposes the same function::

    render(findings, *, files=(), strict=False, color=False, rules=None, tool=...) -> str

``files`` are the files checked (as the user named them), so formats with one entry
per file (JUnit) list clean files too; ``strict`` marks warnings as failures; ``color``
only affects the text format; ``rules`` are the rules SARIF describes (default: the
validation rules of :mod:`cehrs_items.catalogue`). Reporters never print and never sort: they render what they are
given, which callers sort with :func:`cehrs_items.findings.sort_findings`.
"""

from __future__ import annotations

from types import ModuleType

from cehrs_items.reporters import github, junit, sarif, text
from cehrs_items.reporters import json as json_reporter
from cehrs_items.reporters._common import Summary, summarize

REPORTERS: dict[str, ModuleType] = {
    "text": text,
    "json": json_reporter,
    "github": github,
    "junit": junit,
    "sarif": sarif,
}
"""Reporter modules by format name, in the order ``--format`` lists them."""

FORMATS: tuple[str, ...] = tuple(REPORTERS)

__all__ = ["FORMATS", "REPORTERS", "Summary", "summarize"]
