"""House rules as data: a bank's own item-writing rules, severity overrides and thresholds.

A programme writes its style guide into ``cehrs-items.toml`` beside the bank's blueprint,
or into the ``[tool.cehrs-items]`` table of the bank folder's ``pyproject.toml`` (the
first of the two that exists is used)::

    rules = [
      {id = "HOUSE001", field = "stem", pattern = "\\bnot\\b", severity = "warning",
       message = "negative stem", hint = "word the stem positively"},
    ]

    [[rules]]
    id = "HOUSE002"
    field = "stem"
    max_length = 400

    [severity]
    IW005 = "error"

    [thresholds]
    p_low = 0.25

Four kinds of rule, told apart by their key (or ``kind``): ``pattern`` (a regular
expression that must not match the field's text), ``max_length`` (most characters, or
words with ``unit = "words"``), ``required = true`` (the field must be present and not
empty, for the ``subdomains`` or ``domains`` listed, else for every item) and ``words``
(forbidden whole words, case-insensitive). ``field`` names an item field; texts of a
mapping (``options``, ``rationale``) or list (``references``) are checked one by one.

``[severity]`` overrides the severity of any rule by id; ``[thresholds]`` overrides the
analysis flag thresholds (``cehrs-items analyze --bank``; their names and values are
checked on reading, so ``validate`` reports a bad one too). ``plugins = ["name"]`` turns
on rule plugins installed under the entry-point group :data:`PLUGIN_GROUP`.

Every problem in the configuration is a finding (``CONF…``) located at the file, line
and column of the offending key, found by searching the text (the TOML parser keeps no
positions), so a broken style file fails ``validate`` like a broken item.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cehrs_items.catalogue import BUILTIN, BUILTIN_FAMILIES, Catalogue, Rule, Scope
from cehrs_items.errors import InputError
from cehrs_items.findings import Finding, Severity
from cehrs_items.thresholds import Thresholds, thresholds_from

CONFIG_FILE = "cehrs-items.toml"
PYPROJECT = "pyproject.toml"
TABLE = ("tool", "cehrs-items")
PLUGIN_GROUP = "cehrs_items.rules"
"""Entry-point group of rule plugins (see :class:`RulePlugin`)."""

KINDS = ("regex", "max_length", "required_field", "forbidden_words")
_KIND_KEYS = {"pattern": "regex", "max_length": "max_length", "required": "required_field"}
_KIND_KEYS["words"] = "forbidden_words"
_COMMON_KEYS = {"id", "kind", "field", "severity", "message", "hint", "summary"}
_KIND_FIELDS = {
    "regex": {"pattern", "ignore_case"},
    "max_length": {"max_length", "unit"},
    "required_field": {"required", "subdomains", "domains"},
    "forbidden_words": {"words"},
}
_TOP_KEYS = {"rules", "severity", "thresholds", "plugins"}
_ID_RE = re.compile(r"^[A-Z]{2,}[0-9]{3}$")

Position = Callable[[tuple], tuple[int | None, int | None]]
"""``position(path) -> (line, col)`` of a value in an item document."""


def _text_parts(value: Any, path: tuple) -> list[tuple[tuple, str]]:
    """``(path, text)`` for a field's value: text itself, or each text of a mapping/list."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, Mapping):
        return [(path + (k,), v) for k, v in value.items() if isinstance(v, str)]
    if isinstance(value, list):
        return [(path + (i,), v) for i, v in enumerate(value) if isinstance(v, str)]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [(path, str(value))]
    return []


def _where(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class HouseRule:
    """One house rule of a bank: its catalogue :class:`Rule` and how to check it."""

    rule: Rule
    kind: str
    field: str
    message: str
    pattern: re.Pattern[str] | None = None
    max_length: int | None = None
    unit: str = "characters"
    words: tuple[str, ...] = ()
    subdomains: frozenset[str] | None = None
    domains: frozenset[int] | None = None

    @property
    def id(self) -> str:
        return self.rule.id

    def applies_to(self, data: Mapping[str, Any]) -> bool:
        if self.subdomains is not None and str(data.get("subdomain")) not in self.subdomains:
            return False
        return self.domains is None or data.get("domain") in self.domains

    def check(self, file: str, data: Mapping[str, Any], position: Position) -> list[Finding]:
        """Findings of this rule for one item document (``data``: the parsed mapping)."""
        if not self.applies_to(data):
            return []
        value = data.get(self.field)
        if self.kind == "required_field":
            if value is None or value == "" or value == [] or value == {}:
                anchor = ("subdomain",) if "subdomain" in data else ("id",)
                line, col = position(anchor)
                return [
                    self.rule.finding(file, line, col, f"{self.message} ({self.field} missing)")
                ]
            return []
        out = []
        for path, text in _text_parts(value, (self.field,)):
            detail = None
            if self.kind == "regex":
                match = self.pattern.search(text) if self.pattern is not None else None
                if match is not None:
                    detail = f"{_where(path)}: '{_quote(match.group(0))}'"
            elif self.kind == "max_length":
                size = len(text.split()) if self.unit == "words" else len(text)
                if self.max_length is not None and size > self.max_length:
                    detail = f"{_where(path)}: {size} {self.unit}, at most {self.max_length}"
            elif self.kind == "forbidden_words":
                found = [w for w in self.words if _word_re(w).search(text)]
                if found:
                    detail = f"{_where(path)}: '{found[0]}'"
            if detail is not None:
                line, col = position(path)
                out.append(self.rule.finding(file, line, col, f"{self.message} ({detail})"))
        return out


def _word_re(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)", re.IGNORECASE)


class RulePlugin(Protocol):
    """What an entry point of :data:`PLUGIN_GROUP` resolves to (a module or an object).

    ``rules`` are the plugin's rules (ids outside the built-in families, scope item);
    ``check`` returns findings of those rules for one item document.
    """

    rules: Sequence[Rule]

    def check(
        self, file: str, data: Mapping[str, Any], position: Position
    ) -> Iterable[Finding]: ...


@dataclass
class HouseConfig:
    """A bank's house configuration, ready to use.

    ``path`` is the configuration file as displayed in findings (``None``: the bank has
    none); ``findings`` are the ``CONF`` problems found while reading it (the broken
    entries are left out, the rest still apply).
    """

    path: str | None = None
    rules: tuple[HouseRule, ...] = ()
    plugins: tuple[tuple[str, RulePlugin], ...] = ()
    severities: dict[str, Severity] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    text: str = ""

    @property
    def house_rules(self) -> tuple[Rule, ...]:
        """Catalogue rules of the house rules and plugins, in the file's order."""
        rules = [r.rule for r in self.rules]
        for _, plugin in self.plugins:
            rules.extend(plugin.rules)
        return tuple(rules)

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.house_rules)

    def catalogue(self, base: Catalogue = BUILTIN) -> Catalogue:
        """``base`` with the configuration rules, house rules and severity overrides."""
        extra = [r for r in self.house_rules if r.id not in base]
        known = {r.id for r in extra} | set(base)
        severities = {k: v for k, v in self.severities.items() if k in known}
        return base.extended(extra, severities=severities)

    def check_item(
        self,
        file: str,
        data: Any,
        position: Position,
        *,
        skip: Iterable[str] = (),
    ) -> list[Finding]:
        """House-rule and plugin findings for one item document, leaving out ``skip``."""
        if not isinstance(data, Mapping):
            return []
        off = set(skip)
        out: list[Finding] = []
        for house in self.rules:
            if house.id not in off:
                out.extend(house.check(file, data, position))
        for name, plugin in self.plugins:
            ids = {r.id for r in plugin.rules}
            try:
                found = list(plugin.check(file, data, position))
            except Exception as exc:  # noqa: BLE001 - a plugin's failure is a finding
                out.append(self._plugin_finding(name, f"failed on {file}: {type(exc).__name__}"))
                continue
            for f in found:
                if not isinstance(f, Finding) or f.rule not in ids:
                    rule = getattr(f, "rule", type(f).__name__)
                    out.append(self._plugin_finding(name, f"returned a finding of rule {rule}"))
                elif f.rule not in off:
                    out.append(f)
        return out

    def apply_severities(self, findings: Iterable[Finding]) -> list[Finding]:
        """Findings with the configured severity overrides applied."""
        if not self.severities:
            return list(findings)
        return [
            dataclasses.replace(f, severity=self.severities[f.rule])
            if f.rule in self.severities
            else f
            for f in findings
        ]

    def problem(self, message: str, key: str) -> Finding:
        """A ``CONF002`` finding at the first line of the file that mentions ``key``
        (for checks made by the stage that uses a setting)."""
        line, col = _locate(self.text, [f"{key} =", f"{key}=", key]) if self.text else (None, None)
        return BUILTIN_CONF["CONF002"].finding(self.path or "<config>", line, col, message)

    def _plugin_finding(self, name: str, message: str) -> Finding:
        line, col = _locate(self.text, [name]) if self.text else (None, None)
        return BUILTIN_CONF["CONF003"].finding(
            self.path or "<plugins>", line, col, f"rule plugin {name!r} {message}"
        )


BUILTIN_CONF = BUILTIN.of_families("CONF")


def find_config(root: str | Path) -> Path | None:
    """The configuration file of the bank folder ``root``: ``cehrs-items.toml``, else a
    ``pyproject.toml`` with a ``[tool.cehrs-items]`` table; ``None`` when there is none."""
    root = Path(root)
    own = root / CONFIG_FILE
    if own.is_file():
        return own
    pyproject = root / PYPROJECT
    if pyproject.is_file():
        try:
            text = pyproject.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return pyproject  # unreadable: reported when loaded
        if re.search(r"^\s*\[+\s*tool\.(\"cehrs-items\"|cehrs-items)\b", text, re.M):
            return pyproject
    return None


def _locate(
    text: str, needles: Sequence[str], start_line: int = 0
) -> tuple[int | None, int | None]:
    """(line, col) of the first needle found from ``start_line`` on (1-based), trying the
    needles in order; ``(None, None)`` when none occurs."""
    lines = text.splitlines()
    for needle in needles:
        for number in range(start_line, len(lines)):
            col = lines[number].find(needle)
            if col >= 0:
                return number + 1, col + 1
    return None, None


class _Reader:
    """Turns the parsed TOML into a :class:`HouseConfig`, locating every problem."""

    def __init__(self, display: str, text: str, config: HouseConfig) -> None:
        self.display = display
        self.text = text
        self.config = config
        self.offset = 0  # line (0-based) where the tool table starts, for pyproject.toml

    def problem(self, message: str, needles: Sequence[str], start: int | None = None) -> None:
        line, col = _locate(self.text, needles, self.offset if start is None else start)
        if line is None:
            line, col = _locate(self.text, needles)
        self.config.findings.append(
            BUILTIN_CONF["CONF002"].finding(self.display, line, col, message)
        )

    def read(self, table: Mapping[str, Any]) -> None:
        for key in sorted(set(table) - _TOP_KEYS):
            self.problem(f"unknown key {key!r} (known: {', '.join(sorted(_TOP_KEYS))})", [f"{key}"])
        rules = table.get("rules", [])
        if not isinstance(rules, list):
            self.problem("rules must be a list of tables", ["rules"])
            rules = []
        seen: set[str] = set()
        for index, entry in enumerate(rules):
            house = self.rule(index, entry, seen)
            if house is not None:
                seen.add(house.id)
                self.config.rules = (*self.config.rules, house)
        self.severity(table.get("severity", {}), seen)
        thresholds = table.get("thresholds", {})
        if isinstance(thresholds, dict):
            self.config.thresholds = self.thresholds(thresholds)
        else:
            self.problem("thresholds must be a table of NAME = value", ["thresholds"])
        plugins = table.get("plugins", [])
        if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
            self.problem("plugins must be a list of plugin names", ["plugins"])
        else:
            self.plugins(plugins, seen)

    def thresholds(self, table: Mapping[str, Any]) -> dict[str, Any]:
        """The ``[thresholds]`` entries that are valid flag thresholds, each checked as
        ``analyze`` applies it (name, type, range); a located ``CONF002`` for every other
        one, which is left out."""
        header, _ = _locate(self.text, ["[thresholds]", "thresholds"], self.offset)
        start = self.offset if header is None else header - 1
        current, good = Thresholds(), {}
        for name, value in table.items():
            try:
                current = thresholds_from({name: value}, base=current, where="[thresholds]")
            except InputError as exc:
                self.problem(str(exc), [f"{name} =", f"{name}=", name], start)
                continue
            good[name] = value
        return good

    def _entry_line(self, entry: Any, index: int) -> int:
        """0-based line where rule ``index`` starts (its id, else the n-th rules table)."""
        rid = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(rid, str):
            line, _ = _locate(self.text, [f'"{rid}"', f"'{rid}'"], self.offset)
            if line is not None:
                return line - 1
        headers = [
            n
            for n, text in enumerate(self.text.splitlines())
            if n >= self.offset and re.match(r"\s*\[\[\s*(tool\.cehrs-items\.)?rules\s*\]\]", text)
        ]
        return headers[index] if index < len(headers) else self.offset

    def rule(self, index: int, entry: Any, seen: set[str]) -> HouseRule | None:
        start = self._entry_line(entry, index)
        where = f"rules[{index + 1}]"
        if not isinstance(entry, dict):
            self.problem(f"{where} must be a table", ["rules"], start)
            return None
        rid = entry.get("id")
        label = f"rule {rid}" if isinstance(rid, str) else where

        def bad(message: str, key: str) -> None:
            self.problem(f"{label}: {message}", [f"{key} =", f"{key}=", key], start)

        if not isinstance(rid, str) or not _ID_RE.match(rid):
            bad("id must be capital letters and three digits, e.g. HOUSE001", "id")
            return None
        family = rid.rstrip("0123456789")
        if family in BUILTIN_FAMILIES:
            bad(f"id family {family} is built in; use another prefix such as HOUSE", "id")
            return None
        if rid in seen:
            bad("id used twice", "id")
            return None
        kinds = [_KIND_KEYS[k] for k in _KIND_KEYS if k in entry]
        kind = entry.get("kind", kinds[0] if len(kinds) == 1 else None)
        if kind not in KINDS:
            bad(
                "say what to check with exactly one of pattern, max_length, required, words "
                f"(or kind = one of {', '.join(KINDS)})",
                "kind" if "kind" in entry else "id",
            )
            return None
        for key in sorted(set(entry) - _COMMON_KEYS - _KIND_FIELDS[kind]):
            bad(f"unknown key {key!r} for a {kind} rule", key)
            return None
        name = entry.get("field")
        if not isinstance(name, str) or name not in _item_fields():
            bad(f"field must name an item field ({', '.join(sorted(_item_fields()))})", "field")
            return None
        severity = entry.get("severity", "warning")
        if severity not in {s.value for s in Severity}:
            bad("severity must be error, warning or info", "severity")
            return None
        texts = {}
        for key in ("message", "hint", "summary"):
            value = entry.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                bad(f"{key} must be text", key)
                return None
            texts[key] = (value or "").strip()
        message = (
            texts["message"]
            or {
                "regex": f"{name} matches the house pattern",
                "max_length": f"{name} too long",
                "required_field": f"{name} required",
                "forbidden_words": f"forbidden word in {name}",
            }[kind]
        )
        extra: dict[str, Any] = {}
        if kind == "regex":
            pattern = entry.get("pattern")
            flags = re.IGNORECASE if entry.get("ignore_case") is True else 0
            try:
                extra["pattern"] = re.compile(pattern, flags) if isinstance(pattern, str) else None
            except re.error as exc:
                bad(f"pattern is not a regular expression: {exc}", "pattern")
                return None
            if extra["pattern"] is None:
                bad("pattern must be text", "pattern")
                return None
        elif kind == "max_length":
            limit, unit = entry.get("max_length"), entry.get("unit", "characters")
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
                bad("max_length must be a whole number of at least 1", "max_length")
                return None
            if unit not in ("characters", "words"):
                bad("unit must be characters or words", "unit")
                return None
            extra.update(max_length=limit, unit=unit)
        elif kind == "required_field":
            if entry.get("required") is not True:
                bad("required must be true", "required")
                return None
            for key, kind_of in (("subdomains", str), ("domains", int)):
                values = entry.get(key)
                if values is None:
                    continue
                if not isinstance(values, list) or not all(
                    isinstance(v, kind_of) and not isinstance(v, bool) for v in values
                ):
                    what = 'texts such as "2.1"' if kind_of is str else "domain numbers"
                    bad(f"{key} must be a list of {what}", key)
                    return None
                extra[key] = frozenset(values)
        else:
            words = entry.get("words")
            if (
                not isinstance(words, list)
                or not words
                or not all(isinstance(w, str) and w.strip() for w in words)
            ):
                bad("words must be a list of words", "words")
                return None
            extra["words"] = tuple(w.strip() for w in words)
        rule = Rule(
            rid,
            Severity(severity),
            texts["summary"] or message,
            texts["hint"] or "follow the house style guide",
            f"house rule, {self.display}",
            Scope.ITEM,
        )
        return HouseRule(rule=rule, kind=kind, field=name, message=message, **extra)

    def severity(self, table: Any, house_ids: set[str]) -> None:
        if not isinstance(table, dict):
            self.problem('severity must be a table of RULE = "error|warning|info"', ["severity"])
            return
        known = set(BUILTIN) | house_ids
        for rid, value in table.items():
            needles = [f"{rid} =", f"{rid}=", rid]
            if rid not in known:
                self.problem(f"severity override for unknown rule {rid}", needles)
            elif value not in {s.value for s in Severity}:
                self.problem(f"severity of {rid} must be error, warning or info", needles)
            else:
                self.config.severities[rid] = Severity(value)

    def plugins(self, names: list[str], house_ids: set[str]) -> None:
        if not names:
            return
        available = _entry_points()
        taken = set(BUILTIN) | house_ids
        for name in names:
            line, col = _locate(self.text, [f'"{name}"', f"'{name}'"], self.offset)
            conf = BUILTIN_CONF["CONF003"]
            if name not in available:
                self.config.findings.append(
                    conf.finding(
                        self.display,
                        line,
                        col,
                        f"rule plugin {name!r} is not installed (entry-point group {PLUGIN_GROUP})",
                    )
                )
                continue
            try:
                plugin = available[name].load()
                rules = tuple(plugin.rules)
                if not callable(plugin.check):
                    raise TypeError("check is not callable")
            except Exception as exc:  # noqa: BLE001 - a plugin's failure is a finding
                self.config.findings.append(
                    conf.finding(
                        self.display,
                        line,
                        col,
                        f"rule plugin {name!r} cannot be loaded: {type(exc).__name__}: {exc}",
                    )
                )
                continue
            clash = [
                r.id if isinstance(r, Rule) else repr(r)
                for r in rules
                if not isinstance(r, Rule)
                or r.id in taken
                or r.family in BUILTIN_FAMILIES
                or r.scope is not Scope.ITEM
            ]
            if clash:
                self.config.findings.append(
                    conf.finding(
                        self.display,
                        line,
                        col,
                        f"rule plugin {name!r} declares rule {clash[0]}, which is not a new "
                        "item rule outside the built-in families",
                    )
                )
                continue
            taken |= {r.id for r in rules}
            self.config.plugins = (*self.config.plugins, (name, plugin))


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}


_FIELDS_CACHE: list[frozenset[str]] = []


def _item_fields() -> frozenset[str]:
    if not _FIELDS_CACHE:
        from cehrs_items.contracts import load_schema

        _FIELDS_CACHE.append(frozenset(load_schema("item")["properties"]))
    return _FIELDS_CACHE[0]


def load_house_config(path: str | Path, *, display: str | None = None) -> HouseConfig:
    """Read a configuration file (``cehrs-items.toml`` or a ``pyproject.toml``).

    Never raises over the file's content: unreadable files, TOML syntax errors and
    invalid entries become ``CONF`` findings in the result.
    """
    display = display if display is not None else str(path)
    config = HouseConfig(path=display)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        config.findings.append(
            BUILTIN_CONF["CONF001"].finding(display, None, None, f"cannot read file: {reason}")
        )
        return config
    config.text = text
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line, col = (int(match.group(1)), int(match.group(2))) if match else (None, None)
        if match is None:
            match = re.search(r"\(at end of document\)", message)
            if match:
                line = len(text.splitlines()) or 1
        summary = re.sub(r"\s*\(at .*\)$", "", message)
        config.findings.append(
            BUILTIN_CONF["CONF001"].finding(display, line, col, f"TOML syntax error: {summary}")
        )
        return config
    reader = _Reader(display, text, config)
    if Path(path).name == PYPROJECT:
        table = data.get(TABLE[0], {}).get(TABLE[1], {})
        line, _ = _locate(text, ["[tool.cehrs-items", '[tool."cehrs-items"'])
        reader.offset = (line - 1) if line else 0
    else:
        table = data
    if not isinstance(table, dict):
        reader.problem("[tool.cehrs-items] must be a table", ["cehrs-items"])
        return config
    reader.read(table)
    return config


def bank_house_config(
    root: str | Path | None, *, display: Callable[[Path], str] = str
) -> HouseConfig:
    """The house configuration of the bank folder ``root`` (empty when it has none)."""
    if root is None:
        return HouseConfig()
    path = find_config(root)
    if path is None:
        return HouseConfig()
    return load_house_config(path, display=display(path))


def bank_catalogue(root: str | Path | None) -> tuple[Catalogue, list[Finding]]:
    """The catalogue as it applies to the bank folder ``root`` (built-in rules, its house
    rules and severity overrides) and the problems of its configuration."""
    if root is None:
        return BUILTIN, []
    if not Path(root).is_dir():
        raise InputError(f"{root}: not a bank folder")
    config = bank_house_config(root)
    return config.catalogue(), sorted(config.findings, key=Finding.sort_key)


def house_rules_notes() -> list[str]:
    """The ``House rules`` section of ``docs/rules.md``."""
    return [
        "## House rules",
        "",
        f"A bank adds its own rules in `{CONFIG_FILE}` beside its blueprint, or in the "
        "`[tool.cehrs-items]` table of the bank folder's `pyproject.toml`. Each rule has an "
        "`id` of capital letters and three digits outside the built-in families (e.g. "
        "`HOUSE001`), a `field` of the item, a `severity` (default warning), a `message` "
        "and a `hint`, and one of: `pattern` (a regular expression that must not match; "
        "`ignore_case = true` optional), `max_length` (characters, or words with "
        '`unit = "words"`), `required = true` (with optional `subdomains = ["2.1"]` or '
        "`domains = [2]`) or `words` (forbidden whole words, any case). `[severity]` "
        'overrides the severity of any rule by id (`IW005 = "error"`); `[thresholds]` '
        "overrides analysis flag thresholds for `cehrs-items analyze --bank` (`validate` "
        "checks their names and values); "
        f'`plugins = ["name"]` turns on rule plugins of the entry-point group '
        f"`{PLUGIN_GROUP}` (an object with `rules`, a list of item-scope `Rule`s, and "
        "`check(file, data, position)` returning findings of them). House rules are "
        "reported by `validate` in every format, listed by `cehrs-items rules --bank`, "
        "and switched off per item with `lint_ignore` or per run with `--ignore`. Every "
        "problem in the configuration is a CONF finding at its file, line and column.",
        "",
    ]
