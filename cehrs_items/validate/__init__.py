"""``cehrs-items validate``: check item files in layers and collect every finding.

Layers, per file and across files:

1. parse — YAML/JSON syntax, encoding, duplicate keys (``PARSE…``, from the loader);
2. schema — the item contract, mapped to line and column (``SCH…``);
3. bank — ids, file names, keys, enemies, duplicate stems, blueprint, status (``BANK…``),
   and the bank's statistics table when a bank directory is checked (``STAT…``);
4. lint — item-writing guidelines of Haladyna, Downing & Rodriguez 2002 (``IW…``).

Cross-file rules need the whole bank. Each file named is matched to its bank: the
nearest ancestor folder holding a ``blueprint.yaml`` (not searching past a folder that
holds ``.git``), or the ``context`` given. Every item file of that bank is loaded as
context, but only the files named are reported on, so a pre-commit hook can pass just
the changed files and still get correct enemy, id and duplicate checks.

Use from Python::

    from cehrs_items.validate import validate_paths
    result = validate_paths(["item_bank/"])
    result.exit_code(strict=True), result.summary
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cehrs_items.blueprint import Blueprint, load_blueprint
from cehrs_items.catalogue import BUILTIN, Catalogue, command_rules
from cehrs_items.errors import InputError
from cehrs_items.findings import Finding, exit_code_for, sort_findings
from cehrs_items.house import HouseConfig, bank_house_config
from cehrs_items.io import is_manifest
from cehrs_items.items.loader import load_document
from cehrs_items.items.model import Item
from cehrs_items.reporters import Summary, summarize
from cehrs_items.validate.bank_rules import (
    NEAR_DUPLICATE_THRESHOLD,
    ItemFile,
    check_bank,
    check_item_stats,
)
from cehrs_items.validate.lint import lint_item
from cehrs_items.validate.rules import RULES, Rule, get_rule
from cehrs_items.validate.schema import check_schema, invalid_fields, lenient_item_data

ITEM_SUFFIXES = (".yaml", ".yml", ".json")
BLUEPRINT_NAMES = ("blueprint.yaml", "blueprint.yml")
STATS_TABLE = Path("stats") / "item_stats.csv"

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while files are checked."""

__all__ = [
    "ITEM_SUFFIXES",
    "NEAR_DUPLICATE_THRESHOLD",
    "RULES",
    "Rule",
    "ValidationResult",
    "find_bank_root",
    "get_rule",
    "validate_paths",
]


@dataclass(frozen=True)
class ValidationResult:
    """What a validation run found.

    ``findings`` are sorted by (file, line, col, rule); ``files`` are the files checked
    and reported on, as the user named them, sorted; ``context_files`` counts files loaded
    only as context for cross-file rules; ``blueprints`` are the blueprint files used;
    ``notes`` are remarks about the run itself (for example a bank without a blueprint);
    ``rules`` are the rules the run could report (the validation rules, plus the house
    rules and configuration rules of banks that have a house configuration, with their
    severity overrides), for reporters that describe rules (SARIF).
    """

    findings: tuple[Finding, ...]
    files: tuple[str, ...]
    context_files: int = 0
    blueprints: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    ignored: tuple[str, ...] = field(default=())
    rules: dict[str, Rule] = field(default_factory=lambda: dict(RULES), compare=False)

    @property
    def summary(self) -> Summary:
        return summarize(self.findings, self.files)

    def exit_code(self, *, strict: bool = False) -> int:
        """0 when nothing fails, 1 when an error (with ``strict``, also a warning) is present."""
        return exit_code_for(self.findings, strict=strict)


def find_bank_root(path: str | os.PathLike, *, cache: dict[str, Path | None] | None = None):
    """The nearest folder at or above ``path`` that holds a ``blueprint.yaml``, or None.

    The search stops at the first folder holding ``.git`` (a repository's top), so a
    blueprint outside the repository is never picked up. ``cache`` (folder -> answer)
    saves the file-system look-ups when many files share folders.
    """
    start = os.path.abspath(path)
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    if cache is not None and start in cache:
        return cache[start]
    resolved = Path(start).resolve()
    seen: list[str] = [start]
    found: Path | None = None
    for folder in (resolved, *resolved.parents):
        key = str(folder)
        if cache is not None and key in cache:
            found = cache[key]
            break
        seen.append(key)
        if any((folder / name).is_file() for name in BLUEPRINT_NAMES):
            found = folder
            break
        if (folder / ".git").exists():
            break
    if cache is not None:
        for key in seen:
            cache[key] = found
    return found


def _walk(folder: Path) -> list[Path]:
    """Item files under ``folder`` (hidden folders, blueprints and output manifests
    skipped), sorted."""
    found = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if (
                name.lower().endswith(ITEM_SUFFIXES)
                and name.lower() not in BLUEPRINT_NAMES
                and not is_manifest(name)
            ):
                found.append(Path(top) / name)
    return sorted(found)


def _bank_files(root: Path) -> list[Path]:
    base = root / "items" if (root / "items").is_dir() else root
    return _walk(base)


@dataclass
class _Targets:
    items: dict[Path, str] = field(default_factory=dict)  # abspath -> display
    stats: dict[Path, str] = field(default_factory=dict)

    def add_item(self, path: Path, display: str) -> None:
        self.items.setdefault(path.absolute(), display)

    def add_stats(self, path: Path, display: str) -> None:
        self.stats.setdefault(path.absolute(), display)


def _collect(paths: Iterable[str | os.PathLike]) -> _Targets:
    targets = _Targets()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            base = path / "items" if (path / "items").is_dir() else path
            for file in _walk(base):
                targets.add_item(file, str(file))
            table = path / STATS_TABLE
            if table.is_file():
                targets.add_stats(table, str(table))
        elif path.exists() or path.is_symlink():
            if path.suffix.lower() == ".csv":
                targets.add_stats(path, str(path))
            else:
                targets.add_item(path, str(path))
        else:
            raise InputError(f"{raw}: no such file or directory")
    return targets


def _real_path(path: Path, folders: dict[str, str]) -> str:
    """``os.path.realpath`` with the folders' real paths cached (one lstat per file)."""
    if os.path.islink(path):
        return os.path.realpath(path)
    folder, name = os.path.split(os.path.abspath(path))
    if folder not in folders:
        folders[folder] = os.path.realpath(folder)
    return os.path.join(folders[folder], name)


def _display(path: Path, absolute: bool) -> str:
    if absolute:
        return str(path)
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def _strict_json(abspath: Path, display: str) -> Finding | None:
    """A JSON file must be JSON, not merely YAML that reads like it (trailing commas...)."""
    try:
        json.loads(abspath.read_bytes().decode("utf-8-sig"))
    except json.JSONDecodeError as exc:
        return RULES["PARSE001"].finding(
            display, exc.lineno, exc.colno, f"JSON syntax error: {exc.msg}", "fix the JSON syntax"
        )
    except (OSError, UnicodeDecodeError):  # pragma: no cover - the loader reported it
        return None
    return None


def _load(abspath: Path, display: str, report: bool) -> ItemFile:
    doc = load_document(abspath, display=display)
    entry = ItemFile(file=display, doc=doc, abspath=abspath, report=report)
    if doc.ok and abspath.suffix.lower() == ".json":
        problem = _strict_json(abspath, display)
        if problem is not None:
            doc.findings.append(problem)
    if doc.ok:
        schema = check_schema(doc)
        doc.findings.extend(schema)
        if not schema:
            entry.item = Item.from_data(doc.data, path=display)
        else:
            # Keep checking the fields that are fine, so one run reports everything.
            invalid = invalid_fields(doc.data)
            if invalid is not None:
                entry.invalid = invalid
                data = lenient_item_data(doc.data, invalid)
                entry.item = Item.from_data(data, path=display)
    return entry


def validate_paths(
    paths: Sequence[str | os.PathLike],
    *,
    blueprint: str | os.PathLike | None = None,
    ignore: Iterable[str] = (),
    context: str | os.PathLike | None = None,
    near_duplicate_threshold: float = NEAR_DUPLICATE_THRESHOLD,
    progress: Progress | None = None,
) -> ValidationResult:
    """Check item files and directories (recursively) and return every finding.

    Parameters
    ----------
    paths
        Item files, folders (searched recursively for ``.yaml``, ``.yml``, ``.json``;
        a bank folder's ``items/`` and ``stats/item_stats.csv``) or statistics tables
        (``.csv``). Findings name files as given here (relative paths stay relative).
    blueprint
        Blueprint file for the domain, subdomain and option-count rules; by default each
        bank's own ``blueprint.yaml``. Without one, those rules are skipped (see ``notes``).
    ignore
        Rule ids to leave out of this run.
    context
        Bank folder whose item files are loaded as context for cross-file rules (default:
        each file's bank, found as described in the module docstring).
    near_duplicate_threshold
        Jaccard similarity of stem shingles from which two stems are near-duplicates.
    progress
        Called as ``progress(done, total)`` while files are loaded.

    Raises
    ------
    InputError
        A path does not exist, or ``ignore`` names an unknown rule.
    BlueprintError
        The blueprint cannot be read or is invalid.
    """
    if not paths:
        raise InputError("no paths given: name item files or folders to check")
    ignored = tuple(sorted(set(ignore)))
    if not 0 < near_duplicate_threshold <= 1:
        raise InputError(
            f"near_duplicate_threshold must lie in (0, 1], got {near_duplicate_threshold}"
        )
    targets = _collect(paths)
    explicit_bp: Blueprint | None = load_blueprint(blueprint) if blueprint is not None else None
    context_root: Path | None = None
    if context is not None:
        context_root = Path(context).resolve()
        if not context_root.is_dir():
            raise InputError(f"{context}: context must be a bank folder")

    # Group every named file under its bank root (None: files outside any bank).
    cache: dict[str, Path | None] = {}
    groups: dict[Path | None, list[Path]] = {}
    for abspath in list(targets.items) + list(targets.stats):
        if context_root is not None:
            root = context_root
        elif abspath in targets.stats and abspath.parent.name == "stats":
            root = find_bank_root(abspath.parent.parent, cache=cache) or abspath.parent.parent
        else:
            root = find_bank_root(abspath, cache=cache)
        groups.setdefault(root, []).append(abspath)

    plan: list[tuple[Path | None, list[tuple[Path, str, bool]]]] = []
    folders: dict[str, str] = {}
    for root in sorted(groups, key=lambda r: (r is None, str(r))):
        named = {p: targets.items[p] for p in groups[root] if p in targets.items}
        files = [(p, d, True) for p, d in named.items()]
        if root is not None:
            absolute = any(os.path.isabs(d) for d in named.values())
            # Named files are matched to the bank's files by real path (a file may be
            # named through a symbolic link); bank files are walked from the real root.
            named_real = {_real_path(p, folders) for p in named}
            for extra in _bank_files(root):
                if str(extra) not in named_real:
                    files.append((extra, _display(extra, absolute), False))
        plan.append((root, files))

    # Each bank's house configuration (house rules, severity overrides, plugins).
    configs: dict[Path | None, HouseConfig] = {}
    for root, files in plan:
        absolute = any(os.path.isabs(d) for _, d, _ in files)
        configs[root] = bank_house_config(root, display=lambda p, a=absolute: _display(p, a))
    catalogue = _run_catalogue(configs.values())
    for rule_id in ignored:
        if rule_id not in catalogue:
            raise InputError(f"ignore: unknown rule '{rule_id}' (see docs/rules.md for the ids)")

    total = sum(len(files) for _, files in plan)
    done = 0
    findings: list[Finding] = []
    reported: list[str] = []
    blueprints: list[str] = []
    notes: list[str] = []
    context_count = 0
    skip_lint = {r for r in ignored if r.startswith("IW")}
    for root, files in plan:
        config = configs[root]
        bank_findings: list[Finding] = []
        entries: list[ItemFile] = []
        for abspath, display, report in files:
            entries.append(_load(abspath, display, report))
            done += 1
            if progress is not None:
                progress(done, total)
        bp = explicit_bp
        if bp is None and root is not None:
            path = next((root / n for n in BLUEPRINT_NAMES if (root / n).is_file()), None)
            if path is not None:
                absolute = any(os.path.isabs(d) for _, d, _ in files)
                bp = load_blueprint(_display(path, absolute))
        if bp is not None:
            if bp.path not in blueprints:
                blueprints.append(bp.path)
        elif any(e.report for e in entries):
            where = f"bank {root}" if root is not None else "files outside a bank"
            notes.append(
                f"no blueprint for {where}: domain, subdomain and option-count rules skipped "
                "(give --blueprint)"
            )
        report_files = {e.file for e in entries if e.report}
        for entry in entries:
            if entry.report:
                reported.append(entry.file)
                bank_findings.extend(entry.doc.findings)
                bank_findings.extend(lint_item(entry, skip=skip_lint))
                if config.rules or config.plugins:
                    bank_findings.extend(_house_findings(entry, config, ignored))
            else:
                context_count += 1
        if config.path is not None and report_files:
            reported.append(config.path)
            bank_findings.extend(config.findings)
        bank_findings.extend(
            f
            for f in check_bank(
                entries,
                blueprint=bp,
                near_duplicate_threshold=near_duplicate_threshold,
                house_rules=config.rule_ids,
            )
            if f.file in report_files
        )
        bank_items = {e.item.id: e.item for e in entries if e.item and e.has("id", "version")}
        for abspath in groups.get(root, []):
            if abspath in targets.stats:
                display = targets.stats[abspath]
                reported.append(display)
                known = {e.raw_id for e in entries if e.raw_id is not None}
                bank_findings.extend(
                    check_item_stats(
                        abspath,
                        display=display,
                        items=bank_items if root is not None else None,
                        known_ids=known if root is not None else None,
                    )
                )
        findings.extend(config.apply_severities(bank_findings))

    if not reported:
        shown = ", ".join(str(p) for p in paths)
        notes.append(f"no item files (.yaml, .yml, .json) found in {shown}")
    kept = [f for f in findings if f.rule not in ignored]
    return ValidationResult(
        findings=tuple(sort_findings(kept)),
        files=tuple(sorted(set(reported))),
        context_files=context_count,
        blueprints=tuple(blueprints),
        notes=tuple(notes),
        ignored=ignored,
        rules=_reported_rules(catalogue, configs.values()),
    )


def _house_findings(entry: ItemFile, config: HouseConfig, ignored: Iterable[str]) -> list[Finding]:
    """House-rule and plugin findings of one item, minus its ``lint_ignore`` and ``ignored``."""
    skip = set(ignored)
    if entry.item is not None and entry.has("lint_ignore"):
        skip.update(entry.item.lint_ignore)
    return config.check_item(entry.file, entry.doc.data, entry.doc.position, skip=skip)


def _run_catalogue(configs: Iterable[HouseConfig]) -> Catalogue:
    """The built-in catalogue with every bank's house rules and overrides (first bank wins)."""
    extra: dict[str, Rule] = {}
    severities: dict = {}
    for config in configs:
        for rule in config.house_rules:
            extra.setdefault(rule.id, rule)
        for rule_id, severity in config.severities.items():
            severities.setdefault(rule_id, severity)
    if not extra and not severities:
        return BUILTIN
    return BUILTIN.extended(extra.values(), severities=severities)


def _reported_rules(catalogue: Catalogue, configs: Iterable[HouseConfig]) -> dict[str, Rule]:
    """What a validate run can report: validation rules, and with a configuration the
    CONF rules and house rules too."""
    rules = command_rules("validate", catalogue)
    if any(c.path is not None for c in configs):
        validation = {rid: rules[rid] for rid in RULES}
        house = {rid: r for rid, r in rules.items() if rid not in RULES}
        rules = {**validation, **command_rules("configuration", catalogue), **house}
    return rules
