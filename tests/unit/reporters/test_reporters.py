from cehrs_items.findings import Finding, Severity
from cehrs_items.reporters import FORMATS, REPORTERS, summarize
from cehrs_items.reporters._common import failing, location
from cehrs_items.reporters.github import escape_property
from cehrs_items.reporters.text import format_finding, one_line


def _f(severity=Severity.ERROR, line=3, col=4, file="a.yaml"):
    return Finding(file, line, col, "SCH002", severity, "missing required field 'key'", "add it")


def test_formats_in_cli_order():
    assert FORMATS == ("text", "json", "github", "junit", "sarif")
    assert all(callable(REPORTERS[f].render) for f in FORMATS)


def test_summary_counts_and_plural_line():
    findings = [_f(), _f(Severity.WARNING, file="b.yaml"), _f(Severity.WARNING, line=9)]
    summary = summarize(findings, ["a.yaml", "c.yaml"])
    assert (summary.files_checked, summary.errors, summary.warnings, summary.info) == (3, 1, 2, 0)
    assert summary.line() == "checked 3 files: 1 error, 2 warnings"
    assert summarize([], ["a.yaml"]).line() == "checked 1 file: 0 errors, 0 warnings"
    assert summarize([_f(Severity.INFO)]).line().endswith(", 1 info")


def test_location_parts():
    assert location(_f()) == "a.yaml:3:4"
    assert location(_f(col=None)) == "a.yaml:3"
    assert location(_f(line=None, col=None)) == "a.yaml"
    assert location(_f(file="")) == "<run>:3:4"


def test_failing_depends_on_strict():
    assert failing(_f(), strict=False)
    assert not failing(_f(Severity.WARNING), strict=False)
    assert failing(_f(Severity.WARNING), strict=True)
    assert not failing(_f(Severity.INFO), strict=True)


def test_text_format_and_sanitising():
    assert format_finding(_f()) == (
        "a.yaml:3:4: error SCH002 missing required field 'key'\n    hint: add it"
    )
    assert one_line("a\nb\x1b[31m") == "a b\\x1b[31m"
    no_hint = Finding("a.yaml", 1, 1, "X", Severity.INFO, "m")
    assert format_finding(no_hint) == "a.yaml:1:1: info X m"


def test_github_property_escaping():
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
