"""Schema layer: the item contract, with errors mapped to file, line and column.

Each JSON Schema error of ``schemas/item.schema.json`` becomes a finding at the position
of the offending value (a missing field points at the mapping that lacks it; an unknown
field at its key), with a message written for content authors rather than in
jsonschema's words: ``option E: expected text, found a number`` with the hint ``put the
text in quotes``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from jsonschema.exceptions import ValidationError

from cehrs_items.contracts import validator
from cehrs_items.findings import Finding
from cehrs_items.items.loader import LoadedDocument
from cehrs_items.validate.rules import RULES

_EXPECTED = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "a set of `name: value` fields",
    "boolean": "true or false",
    "null": "an empty value",
}
_LIST_WORDS = {
    "references": "reference",
    "enemies": "enemy",
    "reviewers": "reviewer",
    "tags": "tag",
    "lint_ignore": "lint_ignore entry",
}
_FORMATS = {
    "id": "two capital letters, a hyphen and four digits, e.g. CO-0123",
    "enemies": "an item id: two capital letters, a hyphen and four digits, e.g. CO-0123",
    "created": "a date written YYYY-MM-DD, e.g. 2026-03-01",
    "modified": "a date written YYYY-MM-DD, e.g. 2026-03-01",
    "subdomain": 'a subdomain code such as "2.3" (in quotes)',
    "lint_ignore": "an item-writing or house rule id such as IW005 or HOUSE001",
    "rule": "an item-writing or house rule id such as IW005 or HOUSE001",
}
_STATISTICS_WORDS = {
    "p_value",
    "p",
    "difficulty",
    "discrimination",
    "point_biserial",
    "item_total_r",
    "a",
    "b",
    "c",
    "irt",
    "statistics",
    "stats",
    "n",
}
_NESTED_HELP = {
    "rule": "the IW rule id to switch off",
    "reason": "why the rule does not apply to this item",
}
_REQUIRED_RE = re.compile(r"^'(.+)' is a required property$")
_DATE_FIELDS = ("created", "modified")
_DATE_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def _found(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of `name: value` fields"
    return type(value).__name__  # pragma: no cover - loader yields only the types above


def describe(path: tuple) -> str:
    """A field path in an author's words: ``option E``, ``reference 2``, ``field version``."""
    if not path:
        return "the item"
    head = path[0]
    if len(path) == 2 and head == "options":
        return f"option {path[1]}"
    if len(path) == 2 and head == "rationale":
        return f"rationale for option {path[1]}"
    if len(path) >= 2 and head in _LIST_WORDS and isinstance(path[1], int):
        base = f"{_LIST_WORDS[head]} {path[1] + 1}"
        return base if len(path) == 2 else f"{path[2]} of {base}"
    if len(path) == 1:
        return str(head)
    return "/".join(str(p) for p in path)


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _field_name(path: tuple) -> str:
    names = [p for p in path if isinstance(p, str)]
    return names[-1] if names else ""


class _Mapper:
    """Turns jsonschema errors on one document into findings."""

    def __init__(self, doc: LoadedDocument) -> None:
        self.doc = doc
        self.file = doc.path

    def at(self, rule: str, path: tuple, message: str, hint: str | None = None, *, key=False):
        line, col = self.doc.position(tuple(path), key=key)
        return RULES[rule].finding(self.file, line, col, message, hint)

    def map(self, error: ValidationError) -> Iterator[Finding]:
        path = tuple(error.absolute_path)
        kind = error.validator
        value = error.instance
        where = describe(path)
        if "propertyNames" in error.relative_schema_path:
            yield from self._property_name(error, path)
        elif kind == "type":
            yield self._type(path, value, error.validator_value)
        elif kind == "required":
            yield from self._required(error, path)
        elif kind == "additionalProperties":
            yield from self._additional(error, path)
        elif kind in ("enum", "const"):
            allowed = error.validator_value if kind == "enum" else [error.validator_value]
            shown = ", ".join("null" if a is None else str(a) for a in allowed)
            hint = f"use one of: {shown}"
            if isinstance(value, str):
                close = difflib.get_close_matches(
                    value, [a for a in allowed if isinstance(a, str)], n=1, cutoff=0.6
                )
                if close:
                    hint = f"did you mean '{close[0]}'? (allowed: {shown})"
                elif value.upper() in allowed:
                    hint = f"write it in capitals: {value.upper()}"
            yield self.at("SCH005", path, f"{where}: {_short(value)} is not allowed", hint)
        elif kind == "pattern":
            expected = _FORMATS.get(_field_name(path)) or f"text matching {error.validator_value}"
            yield self.at("SCH006", path, f"{where}: {_short(value)} is not {expected}")
        elif kind == "format":
            yield self.at(
                "SCH006", path, f"{where}: {_short(value)} is not a valid {error.validator_value}"
            )
        elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            yield self._range(error, path)
        elif kind in ("minLength", "maxLength", "minItems", "maxItems"):
            yield self._size(error, path)
        elif kind in ("minProperties", "maxProperties"):
            yield self._count(error, path)
        elif kind == "uniqueItems":
            yield from self._unique(path, value)
        elif kind in ("oneOf", "anyOf") and error.context:
            yield from self._branches(error)
        else:
            yield self.at("SCH010", path, f"{where}: {error.message}")

    # -- the cases ---------------------------------------------------------------

    def _type(self, path: tuple, value: Any, expected: Any) -> Finding:
        types = [expected] if isinstance(expected, str) else list(expected)
        if not path:
            return self.at(
                "SCH001",
                path,
                f"file does not hold an item: expected a set of `name: value` fields, "
                f"found {_found(value)}",
            )
        want = " or ".join(_EXPECTED.get(t, t) for t in types)
        message = f"{describe(path)}: expected {want}, found {_found(value)}"
        hint = None
        if "string" in types and value is None:
            hint = "write the text after the colon, or remove the field"
        elif "string" in types:
            hint = "put the text in quotes"
        elif "integer" in types and isinstance(value, str) and value.strip().isdigit():
            hint = "write the number without quotes"
        elif "integer" in types and isinstance(value, float):
            hint = "use a whole number"
        elif "array" in types and value is None:
            hint = "write [] for an empty list, or list the entries"
        elif "array" in types:
            hint = "write a list: one `- entry` per line, or [first, second]"
        elif "object" in types and path == ("options",):
            hint = "write one `A: text` line per option, indented under options:"
        elif "object" in types and path == ("rationale",):
            hint = "write one `A: why` line per option, indented under rationale:"
        return self.at("SCH004", path, message, hint)

    def _required(self, error: ValidationError, path: tuple) -> Iterator[Finding]:
        match = _REQUIRED_RE.match(error.message)
        instance = error.instance if isinstance(error.instance, dict) else {}
        names = (
            [match.group(1)] if match else [n for n in error.validator_value if n not in instance]
        )
        props = error.schema.get("properties", {})
        for name in names:
            description = props.get(name, {}).get("description", "") or _NESTED_HELP.get(name, "")
            hint = f"add `{name}:`" + (f" ({description.rstrip('.')})" if description else "")
            where = "" if not path else f" in {describe(path)}"
            yield self.at("SCH002", path, f"missing required field '{name}'{where}", hint)

    def _additional(self, error: ValidationError, path: tuple) -> Iterator[Finding]:
        props = error.schema.get("properties", {})
        instance = error.instance if isinstance(error.instance, dict) else {}
        for name in instance:
            if name in props:
                continue
            close = difflib.get_close_matches(str(name), list(props), n=1, cutoff=0.75)
            if close:
                hint = f"did you mean '{close[0]}'?"
            elif not path and str(name).lower() in _STATISTICS_WORDS:
                hint = "statistics never live in item files; they belong in stats/item_stats.csv"
            else:
                hint = "remove the field; allowed fields: " + ", ".join(props)
            where = "" if not path else f" in {describe(path)}"
            yield self.at(
                "SCH003", path + (name,), f"unknown field '{name}'{where}", hint, key=True
            )

    def _property_name(self, error: ValidationError, path: tuple) -> Iterator[Finding]:
        name = error.instance
        what = {"options": "option label", "rationale": "rationale label"}.get(
            _field_name(path), "field name"
        )
        allowed = error.schema.get("enum") if isinstance(error.schema, dict) else None
        hint = (
            f"labels are {allowed[0]} to {allowed[-1]}, in capitals"
            if allowed
            else "rename the entry"
        )
        yield self.at(
            "SCH005", path + (name,), f"{what} {_short(name)} is not allowed", hint, key=True
        )

    def _range(self, error: ValidationError, path: tuple) -> Finding:
        schema = error.schema
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if "exclusiveMinimum" in schema and "minimum" not in schema:
            limits = f"more than {low}"
        elif low is not None and high is not None:
            limits = f"from {low} to {high}"
        elif low is not None:
            limits = f"at least {low}"
        else:
            limits = f"at most {high}"
        return self.at(
            "SCH007",
            path,
            f"{describe(path)}: {_short(error.instance)} is out of range (allowed: {limits})",
        )

    def _size(self, error: ValidationError, path: tuple) -> Finding:
        kind, limit, value = error.validator, error.validator_value, error.instance
        where = describe(path)
        if kind == "minLength" and value == "":
            return self.at(
                "SCH007", path, f"{where} is empty", "write the text, or remove the entry"
            )
        if kind in ("minLength", "maxLength"):
            n = len(value)
            side = "short" if kind == "minLength" else "long"
            bound = "at least" if kind == "minLength" else "at most"
            return self.at(
                "SCH007",
                path,
                f"{where} is too {side} ({n} characters; {bound} {limit})",
            )
        n = len(value)
        if kind == "minItems":
            return self.at(
                "SCH007",
                path,
                f"{where} lists {n} entr{'y' if n == 1 else 'ies'}; at least {limit} needed",
            )
        return self.at("SCH007", path, f"{where} lists {n} entries; at most {limit} allowed")

    def _count(self, error: ValidationError, path: tuple) -> Finding:
        schema = error.schema
        n = len(error.instance)
        where = describe(path)
        low, high = schema.get("minProperties"), schema.get("maxProperties")
        if low is not None and high is not None:
            allowed = f"{low} to {high}"
        elif low is not None:
            allowed = f"at least {low}"
        else:
            allowed = f"at most {high}"
        noun = "options" if path == ("options",) else "entries"
        return self.at("SCH007", path, f"{where}: {n} {noun} given; {allowed} needed")

    def _unique(self, path: tuple, value: Any) -> Iterator[Finding]:
        seen: list[Any] = []
        for index, entry in enumerate(value if isinstance(value, list) else []):
            if entry in seen:
                yield self.at(
                    "SCH008",
                    path + (index,),
                    f"{describe(path)} lists {_short(entry)} more than once",
                )
            else:
                seen.append(entry)

    def _branches(self, error: ValidationError) -> Iterator[Finding]:
        """oneOf/anyOf: report the errors of the branch whose type matches the value."""
        value = error.instance
        branches = error.validator_value
        chosen = [
            i
            for i, branch in enumerate(branches)
            if isinstance(branch, dict) and _type_matches(branch.get("type"), value)
        ]
        if len(chosen) == 1:
            inner = [e for e in error.context if e.relative_schema_path[0] == chosen[0]]
            if inner:
                for sub in inner:
                    yield from self.map(sub)
                return
        path = tuple(error.absolute_path)
        hint = (
            "write a rule id (IW005) or {rule: IW005, reason: why it does not apply}"
            if path[:1] == ("lint_ignore",)
            else None
        )
        yield self.at("SCH010", path, f"{describe(path)}: {_short(value)} has the wrong form", hint)


def _type_matches(kind: Any, value: Any) -> bool:
    checks = {
        "string": lambda v: isinstance(v, str),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kind is None:
        return False
    kinds = [kind] if isinstance(kind, str) else kind
    return any(checks.get(k, lambda v: False)(value) for k in kinds)


# -- a fast path for valid documents -------------------------------------------------

Check = Callable[[Any], bool]

_IGNORED_KEYWORDS = frozenset({"$schema", "$id", "title", "description", "$comment", "examples"})


def _is_type(kind: str) -> Check:
    # Conservative: an integral float or anything unusual is "not sure" (False), which
    # only sends the document to the full validator.
    simple: dict[str, Check] = {
        "string": lambda v: type(v) is str,
        "integer": lambda v: type(v) is int,
        "number": lambda v: type(v) is int or type(v) is float,
        "boolean": lambda v: type(v) is bool,
        "null": lambda v: v is None,
        "array": lambda v: type(v) is list,
        "object": lambda v: type(v) is dict,
    }
    return simple[kind]


def compile_fast_check(schema: Any) -> Check | None:
    """A predicate that is True only for instances the schema accepts, or None.

    The predicate is conservative: True means valid for certain; False means "invalid or
    not sure", and the caller then runs the full jsonschema validator (which also gives
    the positioned messages). Schemas using keywords outside the small set handled here
    give None (no fast path). This is what lets a bank of valid items skip jsonschema's
    per-keyword machinery, the main cost of the schema layer.

    Tested against: jsonschema's Draft 2020-12 validator on the golden fixtures and on
    random item-shaped documents (tests/property/test_validate_fuzz.py): whenever the
    predicate is True, jsonschema finds no error.
    """
    if schema is True or schema == {}:
        return lambda v: True
    if not isinstance(schema, dict):
        return None
    checks: list[Check] = []
    for keyword, value in schema.items():
        if keyword in _IGNORED_KEYWORDS:
            continue
        check = _compile_keyword(keyword, value, schema)
        if check is None:
            return None
        checks.append(check)
    return lambda v: all(c(v) for c in checks)


def _compile_keyword(keyword: str, value: Any, schema: dict) -> Check | None:  # noqa: C901
    if keyword == "type":
        kinds = [value] if isinstance(value, str) else list(value)
        if not all(
            k in ("string", "integer", "number", "boolean", "null", "array", "object")
            for k in kinds
        ):
            return None
        tests = [_is_type(k) for k in kinds]
        return lambda v: any(t(v) for t in tests)
    if keyword == "enum":
        if not all(isinstance(a, str) or a is None for a in value):
            return None
        allowed = [a for a in value if a is not None]
        allow_null = None in value
        return lambda v: (type(v) is str and v in allowed) or (allow_null and v is None)
    if keyword == "pattern":
        regex = re.compile(value)
        return lambda v: type(v) is not str or regex.search(v) is not None
    if keyword in ("minLength", "maxLength"):
        low = keyword == "minLength"
        return lambda v: type(v) is not str or (len(v) >= value if low else len(v) <= value)
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        ops = {
            "minimum": lambda v: v >= value,
            "maximum": lambda v: v <= value,
            "exclusiveMinimum": lambda v: v > value,
            "exclusiveMaximum": lambda v: v < value,
        }
        op = ops[keyword]
        return lambda v: (type(v) is not int and type(v) is not float) or op(v)
    if keyword in ("minItems", "maxItems", "minProperties", "maxProperties"):
        container = list if keyword.endswith("Items") else dict
        low = keyword.startswith("min")
        return lambda v: type(v) is not container or (len(v) >= value if low else len(v) <= value)
    if keyword == "uniqueItems":
        if not value:
            return lambda v: True
        return lambda v: (
            type(v) is not list or (all(type(x) is str for x in v) and len(set(v)) == len(v))
        )
    if keyword == "items":
        inner = compile_fast_check(value)
        if inner is None:
            return None
        return lambda v: type(v) is not list or all(inner(x) for x in v)
    if keyword == "required":
        names = list(value)
        return lambda v: type(v) is not dict or all(n in v for n in names)
    if keyword == "properties":
        compiled = {name: compile_fast_check(sub) for name, sub in value.items()}
        if any(c is None for c in compiled.values()):
            return None
        return lambda v: (
            type(v) is not dict or all(compiled[k](x) for k, x in v.items() if k in compiled)
        )
    if keyword == "additionalProperties":
        if "patternProperties" in schema:
            return None
        known = set(schema.get("properties", {}))
        if value is False:
            return lambda v: type(v) is not dict or all(k in known for k in v)
        inner = compile_fast_check(value)
        if inner is None:
            return None
        return lambda v: (
            type(v) is not dict or all(inner(x) for k, x in v.items() if k not in known)
        )
    if keyword == "propertyNames":
        inner = compile_fast_check(value)
        if inner is None:
            return None
        return lambda v: type(v) is not dict or all(inner(k) for k in v)
    if keyword in ("oneOf", "anyOf"):
        branches = [compile_fast_check(b) for b in value]
        if any(b is None for b in branches):
            return None
        if keyword == "anyOf":
            return lambda v: any(b(v) for b in branches)
        # oneOf: sure only when exactly one branch passes and every other branch fails
        # for certain, i.e. on its type (a conservative False is never "certain").
        kinds = [b.get("type") if isinstance(b, dict) else None for b in value]
        if any(k is None or not isinstance(k, str) for k in kinds) or len(set(kinds)) != len(kinds):
            return None
        typed = list(zip([_is_type(k) for k in kinds], branches, strict=True))
        return lambda v: (
            sum(1 for is_t, b in typed if is_t(v) and b(v)) == 1
            and sum(1 for is_t, _ in typed if is_t(v)) == 1
        )
    return None


@cache
def _fast_item_check() -> Check | None:
    return compile_fast_check(validator("item").schema)


def check_schema(doc: LoadedDocument) -> list[Finding]:
    """Findings of the schema layer for one parsed document (empty when it is valid).

    Besides the JSON Schema, dates that match ``YYYY-MM-DD`` must exist in the calendar
    (``SCH009``).
    """
    check = validator("item")
    data = doc.data
    findings: list[Finding] = []
    fast = _fast_item_check()
    if not (fast is not None and fast(data)) and not check.is_valid(data):
        mapper = _Mapper(doc)
        for error in check.iter_errors(data):
            findings.extend(mapper.map(error))
    if isinstance(data, dict):
        for name in _DATE_FIELDS:
            value = data.get(name)
            if isinstance(value, str) and _DATE_RE.match(value):
                try:
                    _dt.date.fromisoformat(value)
                except ValueError:
                    line, col = doc.position((name,))
                    findings.append(
                        RULES["SCH009"].finding(
                            doc.path, line, col, f"{name} {value} is not a real date"
                        )
                    )
    return findings


ITEM_DEFAULTS: dict[str, Any] = {
    "id": "",
    "version": 0,
    "status": "",
    "domain": 0,
    "subdomain": "",
    "stem": "",
    "options": {},
    "key": "",
    "rationale": {},
    "references": [],
    "cognitive_level": "",
    "author": "",
    "created": "",
    "modified": "",
    "enemies": [],
    "reviewers": [],
    "tags": [],
    "lint_ignore": [],
    "notes": "",
}
"""Stand-ins for an item's fields that broke the contract (see :func:`invalid_fields`)."""


def invalid_fields(data: Any) -> frozenset[str] | None:
    """Top-level item fields that break the contract (missing required ones included).

    None when the document is not a mapping at all. Fields not in the contract are
    not listed (they are reported as unknown and otherwise ignored).
    """
    if not isinstance(data, dict):
        return None
    check = validator("item")
    required = check.schema.get("required", [])
    bad = {name for name in required if name not in data}
    for error in check.iter_errors(data):
        if error.absolute_path:
            bad.add(str(error.absolute_path[0]))
    bad.update(name for name in ("created", "modified") if _bad_date(data.get(name)))
    return frozenset(name for name in bad if name in ITEM_DEFAULTS)


def _bad_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return True
    return False


def lenient_item_data(data: dict[str, Any], invalid: frozenset[str]) -> dict[str, Any]:
    """The item's data with invalid or missing fields replaced by empty stand-ins."""
    return {
        name: (default if name in invalid or name not in data else data[name])
        for name, default in ITEM_DEFAULTS.items()
    }
