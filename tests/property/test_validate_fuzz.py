"""Random and mangled input never crashes validate: only findings and exit 1 (or 0 if
the mangled file happens to stay a valid item), never a traceback or an internal error."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cehrs_items.cli.app import app
from cehrs_items.findings import Severity
from cehrs_items.validate import validate_paths

runner = CliRunner()
GOOD = (
    Path(__file__).resolve().parents[1]
    / "golden"
    / "rules"
    / "BANK016"
    / "good"
    / "operational-reviewed.yaml"
).read_text(encoding="utf-8")
SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
YAML_NOISE = st.text(alphabet=":-[]{}&*!|>'\"#%@`,?\t\n \\\x00\x85\u2028\ufeffAé9", max_size=12)


def _check(path: Path, *, may_be_valid: bool) -> None:
    result = validate_paths([path])
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    assert result.files == (str(path),)
    for finding in result.findings:
        assert finding.file == str(path)
        assert finding.line is None or finding.line >= 1
        assert finding.col is None or finding.col >= 1
        assert finding.message and "\n" not in finding.rule
    if not may_be_valid:
        assert errors, "garbage accepted as an item"


@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes_give_findings(tmp_path, data):
    path = tmp_path / "NC-0101.yaml"
    path.write_bytes(data)
    _check(path, may_be_valid=False)


@SETTINGS
@given(
    cut=st.integers(0, len(GOOD)),
    length=st.integers(0, 40),
    noise=YAML_NOISE,
    swap=st.tuples(st.integers(0, 30), st.integers(0, 30)),
)
def test_mangled_item_never_crashes(tmp_path, cut, length, noise, swap):
    text = GOOD[:cut] + noise + GOOD[cut + length :]
    lines = text.split("\n")
    i, j = swap[0] % len(lines), swap[1] % len(lines)
    lines[i], lines[j] = lines[j], lines[i]
    path = tmp_path / "NC-0101.yaml"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    _check(path, may_be_valid=True)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.sampled_from(["id", "stem", "options", "key", "A", "B", "enemies", "x"])
            | st.text(max_size=8),
            inner,
            max_size=6,
        ),
    ),
    max_leaves=25,
)


@SETTINGS
@given(doc=DOCUMENTS)
def test_random_yaml_documents_never_crash(tmp_path, doc):
    path = tmp_path / "NC-0101.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _check(path, may_be_valid=False)


@SETTINGS
@given(doc=DOCUMENTS, as_json=st.booleans())
def test_random_item_shaped_documents_never_crash(tmp_path, doc, as_json):
    base = yaml.safe_load(GOOD)
    if isinstance(doc, dict):
        base.update(doc)
    else:
        base["options"] = doc
    path = tmp_path / ("NC-0101.json" if as_json else "NC-0101.yaml")
    text = json.dumps(base, default=str) if as_json else yaml.safe_dump(base, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    _check(path, may_be_valid=True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=200), fmt=st.sampled_from(["text", "json", "github", "junit", "sarif"])
)
def test_cli_exit_code_is_1_for_garbage_in_every_format(tmp_path, data, fmt):
    path = tmp_path / "NC-0101.yaml"
    path.write_bytes(data)
    result = runner.invoke(app, ["validate", "--format", fmt, str(path)])
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.stderr and "Traceback" not in result.output


ITEM_VALUES = st.one_of(
    SCALARS,
    st.sampled_from(["A", "B", "E", "F", "NC-0101", "2026-01-01", "1.2", "draft", "IW005", ""]),
    st.lists(st.sampled_from(["NC-0102", "x", "", "IW005", 3]), max_size=3),
    st.dictionaries(
        st.sampled_from(["A", "B", "C", "D", "E", "F", "rule", "reason"]), SCALARS, max_size=5
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from(
            [
                "id",
                "version",
                "status",
                "domain",
                "subdomain",
                "stem",
                "options",
                "key",
                "rationale",
                "references",
                "enemies",
                "reviewers",
                "tags",
                "lint_ignore",
                "created",
                "notes",
                "extra",
            ]
        ),
        ITEM_VALUES,
        max_size=3,
    ),
    drop=st.sets(st.sampled_from(["id", "key", "options", "author"]), max_size=2),
)
def test_fast_schema_check_never_accepts_what_jsonschema_rejects(changes, drop):
    from cehrs_items.contracts import validator
    from cehrs_items.validate.schema import compile_fast_check

    check = validator("item")
    fast = compile_fast_check(check.schema)
    doc = yaml.safe_load(GOOD)
    doc.update(changes)
    for name in drop:
        doc.pop(name, None)
    if fast(doc):
        assert check.is_valid(doc), list(check.iter_errors(doc))[:1]


@settings(max_examples=200, deadline=None)
@given(
    row=st.dictionaries(
        st.sampled_from(
            [
                "item_id",
                "item_version",
                "form_id",
                "administration_date",
                "source",
                "n",
                "p_value",
                "a",
                "c",
                "irt_model",
                "d",
            ]
        ),
        st.one_of(SCALARS, st.sampled_from(["NC-0101", "2026-11-01", "analysis", "2pl", "x"])),
    )
)
def test_fast_stats_check_never_accepts_what_jsonschema_rejects(row):
    from cehrs_items.contracts import validator
    from cehrs_items.validate.schema import compile_fast_check

    check = validator("item_stats")
    fast = compile_fast_check(check.schema)
    if fast(row):
        assert check.is_valid(row)
