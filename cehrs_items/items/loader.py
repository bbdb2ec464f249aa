"""Safe YAML/JSON loading that remembers where every value came from.

Item content is confidential and untrusted, so documents are parsed with PyYAML's
safe composer only (the C parser when available), and the node tree is turned into
plain Python data here rather than by PyYAML's constructors. That gives us:

- a position map from each value's path (a tuple of keys and indices) to its
  1-based ``(line, col)``, so schema errors point into the file;
- duplicate keys reported as findings instead of silently keeping the last value;
- YAML 1.2 scalar rules: only ``true``/``false`` are booleans (``No`` stays a
  string) and dates stay ISO strings, so authors get what they wrote;
- bounds that are checked before anything is expanded, so a hostile file costs what a
  normal one costs: the file's size (:data:`MAX_BYTES`, checked before reading), the
  number of values the document would expand to (:data:`MAX_NODES`, counted over the
  composed node graph, where an alias is a shared node, so a "billion laughs" file is
  rejected after composing its few hundred nodes, never expanded), and the digits of an
  integer (:data:`MAX_INT_DIGITS`; Python refuses to convert more than 4,300).

Parse problems come back as findings (rule ``PARSE…``), never as exceptions.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cehrs_items.catalogue import BUILTIN as _RULES
from cehrs_items.findings import Finding, Severity

try:
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

Path_ = tuple[str | int, ...]

MAX_NODES = 200_000
"""Largest number of values one document may expand to (aliases counted each time)."""
MAX_BYTES = 1_000_000
"""Largest item file read, in bytes (an item file is a few kilobytes)."""
MAX_INT_DIGITS = 30
"""Most digits an integer may have (ids, versions and counts need far fewer)."""

_INT_RE = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT_RE = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF_RE = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN_RE = re.compile(r"^\.(nan|NaN|NAN)$")
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


@dataclass
class LoadedDocument:
    """A parsed document: its data (``None`` when unparsable), positions and parse findings."""

    path: str
    data: Any = None
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int | None, int | None]:
        """Position of the value at ``path`` (or its key), else of the nearest ancestor."""
        table = self.key_positions if key else self.positions
        if path in table:
            return table[path]
        probe = tuple(path)
        while probe:
            probe = probe[:-1]
            if probe in self.positions:
                return self.positions[probe]
        return self.positions.get((), (None, None))


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader whose resolver follows YAML 1.2 core rules for plain scalars."""


# Drop YAML 1.1 implicit resolvers (yes/no booleans, timestamps, sexagesimal numbers);
# plain scalars are typed by _scalar_value below instead.
_Loader.yaml_implicit_resolvers = {}


class _TooLarge(Exception):
    pass


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expansion_problem(root: yaml.Node) -> tuple[str, yaml.Node] | None:
    """``("large" | "recursive", node)`` if expanding ``root`` would exceed
    :data:`MAX_NODES` values or never end, else None.

    The composed graph shares one node per anchor, so sizes are summed over distinct
    nodes (iterative post-order, memoised): the cost is that of the file, not of its
    expansion. The node named is the first whose expansion crosses the limit, or the
    alias that refers back to its own ancestor.
    """
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, post = stack.pop()
        key = id(node)
        if post:
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            sizes[key] = total
            entered.discard(key)
            if total > MAX_NODES:
                return "large", node
            continue
        if key in sizes:
            continue
        entered.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in entered:
                return "recursive", child
            if id(child) not in sizes:
                stack.append((child, False))
    return None


def _long_int(node: yaml.ScalarNode) -> bool:
    """A plain integer literal too long to convert (see :data:`MAX_INT_DIGITS`)."""
    value = node.value
    return (
        node.style in (None, "")
        and len(value) > MAX_INT_DIGITS + 1
        and _INT_RE.match(value) is not None
        and len(value.lstrip("+-")) > MAX_INT_DIGITS
    )


def _scalar_value(node: yaml.ScalarNode) -> Any:
    value = node.value
    tag = node.tag or ""
    if node.style not in (None, ""):  # quoted or block scalars are always strings
        return value
    if tag.endswith((":str", ":binary")) and tag != "tag:yaml.org,2002:str":
        return value
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    if _INT_RE.match(value):
        if _long_int(node):
            return value  # kept as text; the builder reports it (PARSE007)
        return int(value)
    if _FLOAT_RE.match(value) and any(ch.isdigit() for ch in value):
        return float(value)
    if _INF_RE.match(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN_RE.match(value):
        return float("nan")
    return value


class _Builder:
    def __init__(self, doc: LoadedDocument) -> None:
        self.doc = doc
        self.count = 0

    def _mark(self, node: yaml.Node) -> tuple[int, int]:
        return (node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge
        self.doc.positions.setdefault(path, self._mark(node))
        tag = node.tag or ""
        if tag.startswith("!") or (
            tag.startswith("tag:yaml.org,2002:")
            and tag.rsplit(":", 1)[1]
            not in {"str", "int", "float", "bool", "null", "map", "seq", "binary"}
        ):
            line, col = self._mark(node)
            self.doc.findings.append(
                _RULES["PARSE003"].finding(
                    self.doc.path, line, col, f"unsupported YAML tag {tag!r}"
                )
            )
            return None
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node)
                line, col = self._mark(key_node)
                if key in result:
                    first = self.doc.key_positions.get(path + (key,), (None, None))
                    self.doc.findings.append(
                        _RULES["PARSE002"].finding(
                            self.doc.path,
                            line,
                            col,
                            f"duplicate key {key!r} (first defined on line {first[0]})",
                        )
                    )
                    continue
                self.doc.key_positions[path + (key,)] = (line, col)
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        if _long_int(node):
            line, col = self._mark(node)
            digits = len(node.value.lstrip("+-"))
            self.doc.findings.append(
                _RULES["PARSE007"].finding(
                    self.doc.path,
                    line,
                    col,
                    f"integer with {digits:,} digits (at most {MAX_INT_DIGITS})",
                    "write the intended number; ids, versions and counts are short",
                )
            )
            return None
        return _scalar_value(node)

    def _key(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value = _scalar_value(node)
            return value if isinstance(value, str) else str(node.value)
        line, col = self._mark(node)
        self.doc.findings.append(
            _RULES["PARSE003"].finding(
                self.doc.path,
                line,
                col,
                "mapping key is not a plain value",
                "use a plain word as the key",
            )
        )
        return f"<complex key at line {line}>"


def load_document_text(text: str, path: str = "<string>") -> LoadedDocument:
    """Parse one YAML (or JSON) document from ``text``; problems become findings."""
    doc = LoadedDocument(path=path)
    if len(text) > MAX_BYTES:
        doc.findings.append(
            _RULES["PARSE005"].finding(
                path,
                None,
                None,
                f"document has {len(text):,} characters (at most {MAX_BYTES:,} for one item)",
                "one item per file; remove pasted data or split the file",
            )
        )
        return doc
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\t" in text and path.lower().endswith((".yaml", ".yml")):
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.lstrip(" ")
            if stripped.startswith("\t"):
                doc.findings.append(
                    _RULES["PARSE001"].finding(
                        path,
                        number,
                        len(line) - len(stripped) + 1,
                        "tab character used for indentation",
                        "indent with spaces; YAML does not allow tabs",
                    )
                )
                return doc
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "syntax error"
        doc.findings.append(
            _RULES["PARSE001"].finding(path, line, col, f"YAML syntax error: {problem}")
        )
        return doc
    except yaml.YAMLError as exc:
        doc.findings.append(
            _RULES["PARSE001"].finding(
                path, None, None, f"YAML syntax error: {exc}", "fix the file's syntax"
            )
        )
        return doc
    except (ValueError, RecursionError) as exc:
        doc.findings.append(
            _RULES["PARSE001"].finding(
                path, None, None, f"cannot parse file: {exc}", "fix the file's syntax"
            )
        )
        return doc
    if node is None:
        doc.findings.append(_RULES["PARSE004"].finding(path, None, None, "file is empty"))
        return doc
    # Without an alias ("*name") the expansion is the composed graph itself, which the
    # builder counts as it goes; only a document that may hold aliases is counted first.
    problem = _expansion_problem(node) if "*" in text else None
    if problem is not None:
        kind, culprit = problem
        line, col = culprit.start_mark.line + 1, culprit.start_mark.column + 1
        if kind == "large":
            message = f"document expands to more than {MAX_NODES} values (alias bomb?)"
        else:
            message = "document refers to itself (recursive YAML alias)"
        doc.findings.append(
            _RULES["PARSE005"].finding(
                path,
                line,
                col,
                message,
                "remove YAML aliases; write each value out",
            )
        )
        return doc
    try:
        doc.data = _Builder(doc).build(node, ())
    except _TooLarge:
        doc.data = None
        doc.positions.clear()
        doc.findings.append(
            _RULES["PARSE005"].finding(
                path, None, None, f"document expands to more than {MAX_NODES} values (alias bomb?)"
            )
        )
    except RecursionError:
        doc.data = None
        doc.findings.append(
            _RULES["PARSE005"].finding(
                path,
                None,
                None,
                "document is nested too deeply or refers to itself",
                "remove recursive YAML aliases",
            )
        )
    return doc


def load_document(path: str | Path, *, display: str | None = None) -> LoadedDocument:
    """Read and parse the file at ``path``; unreadable or undecodable files become findings.

    ``display`` is the name used in findings (defaults to ``str(path)``).
    """
    name = display if display is not None else str(path)
    try:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            return LoadedDocument(
                path=name,
                findings=[
                    _RULES["PARSE005"].finding(
                        name,
                        None,
                        None,
                        f"file is {size:,} bytes (at most {MAX_BYTES:,} for one item)",
                        "one item per file; remove pasted data or split the file",
                    )
                ],
            )
        raw = Path(path).read_bytes()
    except OSError as exc:
        return LoadedDocument(
            path=name,
            findings=[
                _RULES["PARSE000"].finding(
                    name, None, None, f"cannot read file: {exc.strerror or exc}"
                )
            ],
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return LoadedDocument(
            path=name,
            findings=[
                _RULES["PARSE006"].finding(
                    name, line, col, f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})"
                )
            ],
        )
    if "\x00" in text:
        return LoadedDocument(
            path=name,
            findings=[
                _RULES["PARSE006"].finding(
                    name, None, None, "file contains NUL bytes", "save the file as UTF-8 text"
                )
            ],
        )
    doc = load_document_text(text, name)
    if (
        not doc.ok
        and name.lower().endswith(".json")
        and all(f.rule == "PARSE001" for f in doc.findings)
    ):
        # Valid JSON that YAML 1.1 rejects (rare escapes): fall back, without positions.
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            if not isinstance(exc, json.JSONDecodeError):
                return doc
            return LoadedDocument(
                path=name,
                findings=[
                    _RULES["PARSE001"].finding(
                        name,
                        exc.lineno,
                        exc.colno,
                        f"JSON syntax error: {exc.msg}",
                        "fix the JSON syntax",
                    )
                ],
            )
        return LoadedDocument(path=name, data=data, positions={(): (1, 1)})
    return doc
