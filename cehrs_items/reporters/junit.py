"""JUnit XML: one ``<testcase>`` per file checked, failing when it has failing findings.

A file's failing findings (errors; warnings too with ``strict``) go into one
``<failure>`` element, the others into ``<system-out>``, all as text-reporter lines.
No timings are written, so the same findings give the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from cehrs_items.findings import Finding
from cehrs_items.reporters._common import DEFAULT_TOOL, failing
from cehrs_items.reporters.text import format_finding, one_line


def render(
    findings: Sequence[Finding],
    *,
    files: Sequence[str] = (),
    strict: bool = False,
    color: bool = False,
    rules: Mapping[str, Any] | None = None,
    tool: str = DEFAULT_TOOL,
) -> str:
    """A ``<testsuites>`` document with one suite named after ``tool``."""
    by_file: dict[str, list[Finding]] = {name: [] for name in files}
    for f in findings:
        by_file.setdefault(f.file or "<run>", []).append(f)
    names = sorted(by_file)
    n_failed = sum(any(failing(f, strict=strict) for f in by_file[n]) for n in names)
    counts = {"tests": str(len(names)), "failures": str(n_failed), "errors": "0"}
    root = ET.Element("testsuites", {"name": tool, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": tool, **counts, "skipped": "0"})
    classname = tool.replace(" ", ".")
    for name in names:
        case = ET.SubElement(
            suite, "testcase", {"classname": classname, "name": name, "file": name}
        )
        fails = [f for f in by_file[name] if failing(f, strict=strict)]
        others = [f for f in by_file[name] if not failing(f, strict=strict)]
        if fails:
            first = fails[0]
            more = f" (+{len(fails) - 1} more)" if len(fails) > 1 else ""
            failure = ET.SubElement(
                case,
                "failure",
                {"type": first.rule, "message": one_line(f"{first.rule} {first.message}{more}")},
            )
            failure.text = "\n".join(format_finding(f) for f in fails) + "\n"
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(format_finding(f) for f in others) + "\n"
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
