"""SARIF 2.1.0 for code-scanning services, with the rule catalogue as the tool's rules.

One run; ``tool.driver.rules`` lists the rules the caller passes (by default the
validation rules of the catalogue; any other rule a finding names is described from the
catalogue, or by id alone when it is not in it) with id, short description, help,
default level and source; each result names its rule by id and index and points at the
file (a relative URI under ``%SRCROOT%`` when the path is relative) and, when known,
the line and column (Unicode code points, as ``columnKind`` says).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from cehrs_items import __version__
from cehrs_items.catalogue import BUILTIN, command_rules
from cehrs_items.findings import Finding, Severity
from cehrs_items.io import dumps_json
from cehrs_items.reporters._common import DEFAULT_TOOL

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str) -> tuple[str, str | None]:
    """(uri, uriBaseId) for a path as the user gave it."""
    pure = PurePath(path)
    if pure.is_absolute():
        return pure.as_uri(), None
    return quote(pure.as_posix(), safe="/"), "%SRCROOT%"


def _rule_descriptor(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "shortDescription": {"text": rule.summary},
        "help": {"text": rule.hint},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"source": rule.source, "tags": [rule.family]},
    }


def _result(finding: Finding, index: int) -> dict[str, Any]:
    text = finding.message + (f"; fix: {finding.hint}" if finding.hint else "")
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _LEVEL[finding.severity],
        "message": {"text": text},
    }
    if finding.file:
        uri, base = _uri(finding.file)
        artifact: dict[str, Any] = {"uri": uri}
        if base:
            artifact["uriBaseId"] = base
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if finding.line is not None:
            region = {"startLine": finding.line}
            if finding.col is not None:
                region["startColumn"] = finding.col
            physical["region"] = region
        result["locations"] = [{"physicalLocation": physical}]
    return result


def render(
    findings: Sequence[Finding],
    *,
    files: Sequence[str] = (),
    strict: bool = False,
    color: bool = False,
    rules: Mapping[str, Any] | None = None,
    tool: str = DEFAULT_TOOL,
) -> str:
    """A SARIF 2.1.0 log with one run."""
    if rules is None:
        rules = command_rules("validate")
    descriptors = [_rule_descriptor(r) for r in rules.values()]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    for f in findings:
        if f.rule not in index:  # a rule outside the given ones still gets a descriptor
            index[f.rule] = len(descriptors)
            if f.rule in BUILTIN:
                descriptors.append(_rule_descriptor(BUILTIN[f.rule]))
            else:
                descriptors.append(
                    {"id": f.rule, "defaultConfiguration": {"level": _LEVEL[f.severity]}}
                )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cehrs-items",
                        "fullName": tool,
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, index[f.rule]) for f in findings],
            }
        ],
    }
    return dumps_json(log)
