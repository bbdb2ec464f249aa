"""Bank rules: checks across the item files of a bank, and of its statistics table.

Every cross-file problem is reported on each file involved (a duplicated id on both
files, a one-sided enemy on both items), so that checking only the changed files of a
bank, with the rest of the bank loaded as context, still reports it on a changed file.

Near-duplicate stems are found without comparing all pairs: stems are normalised and
cut into character 5-gram shingles; MinHash locality-sensitive hashing proposes
candidate pairs, and the exact Jaccard similarity of the shingle sets decides (see
:func:`similar_pairs`).
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cehrs_items.blueprint import Blueprint
from cehrs_items.contracts import validator
from cehrs_items.findings import Finding
from cehrs_items.items.loader import LoadedDocument
from cehrs_items.items.model import Item
from cehrs_items.validate.rules import RULES
from cehrs_items.validate.schema import compile_fast_check

NEAR_DUPLICATE_THRESHOLD = 0.8
"""Default Jaccard similarity of stem shingles at which two stems count as near-duplicates."""

SHINGLE_SIZE = 5
_LABELS = "ABCDE"
_NORMALISE_RE = re.compile(r"[^0-9a-z]+")


@dataclass
class ItemFile:
    """One parsed item file in a validation run.

    ``file`` is the name used in findings; ``item`` is set when the document is a
    mapping, with ``invalid`` naming the fields that broke the item contract (see
    :meth:`has`). ``report`` is false for files loaded only as context for cross-file
    rules (their own findings are not reported).
    """

    file: str
    doc: LoadedDocument
    abspath: Path | None = None
    item: Item | None = None
    report: bool = True
    invalid: frozenset[str] = frozenset()

    def has(self, *fields: str) -> bool:
        """Whether the item was built and these fields met the contract.

        An item with schema errors is still built (bad or missing fields get empty
        defaults and are listed in ``invalid``), so that checks on its good fields run.
        """
        return self.item is not None and self.invalid.isdisjoint(fields)

    @property
    def raw_id(self) -> str | None:
        """The id written in the file, when it is text (even if the file is otherwise invalid)."""
        data = self.doc.data
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            return data["id"]
        return None

    def at(self, rule: str, path: tuple, message: str, hint: str | None = None) -> Finding:
        line, col = self.doc.position(path)
        return RULES[rule].finding(self.file, line, col, message, hint)

    def at_key(self, rule: str, path: tuple, message: str, hint: str | None = None) -> Finding:
        line, col = self.doc.position(path, key=True)
        return RULES[rule].finding(self.file, line, col, message, hint)


def _others(files: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(files[:limit])
    return shown + (f" and {len(files) - limit} more" if len(files) > limit else "")


# -- per-item rules ----------------------------------------------------------------


def _item_rules(
    entry: ItemFile,
    item: Item,
    blueprint: Blueprint | None,
    house_rules: frozenset[str] = frozenset(),
) -> Iterable[Finding]:
    if entry.has("id"):
        name = os.path.basename(entry.file)
        stem_name, suffix = os.path.splitext(name)
        if stem_name != item.id:
            yield entry.at(
                "BANK002",
                ("id",),
                f"file name '{name}' does not match id {item.id}",
                f"rename the file to {item.id}{suffix}",
            )
    labels = list(item.options)
    if entry.has("options"):
        expected = list(_LABELS[: len(labels)])
        if sorted(labels) != expected:
            yield entry.at(
                "BANK004",
                ("options",),
                f"options are labelled {', '.join(sorted(labels))}; expected {', '.join(expected)}",
            )
        elif labels != expected:
            yield entry.at(
                "BANK004",
                ("options",),
                f"options are written in the order {', '.join(labels)}",
                f"write them in order: {', '.join(expected)}",
            )
    if entry.has("options", "key") and item.key not in item.options:
        yield entry.at(
            "BANK003",
            ("key",),
            f"key {item.key} is not one of the options ({', '.join(sorted(labels))})",
        )
    if entry.has("options", "rationale"):
        for label in item.rationale:
            if label not in item.options:
                yield entry.at_key(
                    "BANK005",
                    ("rationale", label),
                    f"rationale given for option {label}, which the item does not have",
                )
    if entry.has("id", "enemies"):
        for index, enemy in enumerate(item.enemies):
            if enemy == item.id:
                yield entry.at(
                    "BANK008", ("enemies", index), f"item {item.id} lists itself as an enemy"
                )
    if (
        entry.has("status", "reviewers")
        and item.status in ("operational", "pretest")
        and not item.reviewers
    ):
        yield entry.at("BANK016", ("status",), f"{item.status} item has no reviewer")
    if entry.has("author", "reviewers"):
        author = item.author.strip().casefold()
        for index, reviewer in enumerate(item.reviewers):
            if reviewer.strip().casefold() == author:
                yield entry.at(
                    "BANK017",
                    ("reviewers", index),
                    f"reviewer '{reviewer}' is the item's author",
                )
    if entry.has("created", "modified") and item.modified < item.created:
        yield entry.at(
            "BANK018",
            ("modified",),
            f"modified {item.modified} is before created {item.created}",
        )
    if entry.has("lint_ignore"):
        for index, rule in enumerate(item.lint_ignore):
            if rule not in RULES and rule not in house_rules:
                yield entry.at(
                    "BANK019",
                    ("lint_ignore", index),
                    f"lint_ignore names {rule}, which is not a rule",
                )
            elif not (rule.startswith("IW") or rule in house_rules):
                yield entry.at(
                    "BANK019",
                    ("lint_ignore", index),
                    f"lint_ignore names {rule}, which is not an item-writing or house rule",
                    "only IW rules and the bank's house rules can be switched off per item",
                )
    if entry.has("domain"):
        yield from _folder_rule(entry, item, blueprint)
        if blueprint is not None:
            yield from _blueprint_rules(entry, item, blueprint)


def _folder_rule(entry: ItemFile, item: Item, blueprint: Blueprint | None) -> Iterable[Finding]:
    parts = (entry.abspath or Path(entry.file)).parts
    try:
        at = len(parts) - 2 - parts[-2::-1].index("items")
    except ValueError:
        return  # not inside an items/ folder: nothing to say about the layout
    folder = parts[at + 1] if at + 1 < len(parts) - 1 else None
    accepted = {str(item.domain)}
    if blueprint is not None and item.domain in blueprint.prefix_by_domain:
        accepted.add(blueprint.prefix_by_domain[item.domain].casefold())
    if folder is None or folder.casefold() not in accepted:
        where = f"items/{folder}/" if folder else "items/"
        yield entry.at(
            "BANK014",
            ("domain",),
            f"domain {item.domain} item is filed under {where}",
            f"move the file to items/{item.domain}/",
        )


def _blueprint_rules(entry: ItemFile, item: Item, blueprint: Blueprint) -> Iterable[Finding]:
    domains = {d.domain: d for d in blueprint.domains}
    domain = domains.get(item.domain)
    if domain is None:
        known = ", ".join(str(n) for n in sorted(domains))
        yield entry.at(
            "BANK011",
            ("domain",),
            f"domain {item.domain} is not in blueprint {blueprint.id} (domains: {known})",
        )
        return
    prefix = item.id.split("-", 1)[0]
    if entry.has("id") and prefix != domain.code:
        owner = next((d for d in blueprint.domains if d.code == prefix), None)
        extra = f"; {prefix} is domain {owner.domain}'s code" if owner else ""
        yield entry.at(
            "BANK012",
            ("id",),
            f"id {item.id} has prefix {prefix}, but domain {item.domain} "
            f"({domain.name}) uses {domain.code}{extra}",
        )
    codes = [s.code for s in domain.subdomains]
    if entry.has("subdomain") and item.subdomain not in codes:
        other = blueprint.subdomain_codes.get(item.subdomain)
        if other is not None:
            message = (
                f"subdomain {item.subdomain} belongs to domain {other}, not domain {item.domain}"
            )
        else:
            message = (
                f"subdomain {item.subdomain} is not in the blueprint "
                f"(domain {item.domain} has {', '.join(codes)})"
            )
        yield entry.at("BANK013", ("subdomain",), message)
    wanted = blueprint.options_per_item
    if entry.has("options") and wanted is not None and len(item.options) != wanted:
        yield entry.at(
            "BANK015",
            ("options",),
            f"{len(item.options)} options; the blueprint asks for {wanted} per item",
        )


# -- rules across items ------------------------------------------------------------


_ID_DERIVED = frozenset({"BANK002", "BANK012"})
"""Per-item findings about the id itself (file name, domain prefix), left out on a copy
that reuses an id: giving the copy its own id fixes them with the BANK001 finding."""


def _named_after(entry: ItemFile, item_id: str) -> bool:
    return os.path.splitext(os.path.basename(entry.file))[0] == item_id


def _duplicate_copies(entries: Sequence[ItemFile]) -> dict[int, ItemFile]:
    """Files that reuse an id already in the bank -> the file that holds it (by ``id()``).

    Of the files sharing an id, the one named after the id is the original (the usual
    mistake: an item file copied and its id left unchanged); if none or several are, the
    first by path among them is. Every other file of the group is a copy.
    """
    by_id: dict[str, list[ItemFile]] = defaultdict(list)
    for entry in entries:
        if entry.raw_id is not None:
            by_id[entry.raw_id].append(entry)
    copies: dict[int, ItemFile] = {}
    for item_id, group in by_id.items():
        if len(group) < 2:
            continue
        ordered = sorted(group, key=lambda e: e.file)
        named = [e for e in ordered if _named_after(e, item_id)]
        original = named[0] if named else ordered[0]
        for entry in ordered:
            if entry is not original:
                copies[id(entry)] = original
    return copies


def _id_rules(entries: Sequence[ItemFile], copies: dict[int, ItemFile]) -> Iterable[Finding]:
    """One BANK001 per copy, on the copy (never on the untouched original)."""
    for entry in entries:
        original = copies.get(id(entry))
        if original is None:
            continue
        item_id = entry.raw_id
        yield entry.at(
            "BANK001",
            ("id",),
            f"id {item_id} is already used by {original.file}",
            f"this file looks like a copy of {original.file}: give it a new, unused id (with "
            "its domain's prefix) and name the file after it",
        )


def _enemy_rules(entries: Sequence[ItemFile]) -> Iterable[Finding]:
    ids = {e.raw_id for e in entries if e.raw_id is not None}
    valid = {e.item.id: e for e in entries if e.item is not None and e.has("id")}
    for entry in entries:
        item = entry.item
        if item is None or not entry.has("id", "enemies"):
            continue
        for index, enemy in enumerate(item.enemies):
            if enemy == item.id:
                continue  # BANK008
            if enemy not in ids:
                yield entry.at(
                    "BANK006",
                    ("enemies", index),
                    f"enemy {enemy} is not in the bank ({len(ids)} item"
                    f"{'' if len(ids) == 1 else 's'} loaded)",
                )
                continue
            other = valid.get(enemy)
            if other is None or other.item is None or not other.has("enemies"):
                continue
            if item.id in other.item.enemies:
                continue
            yield entry.at(
                "BANK007",
                ("enemies", index),
                f"enemy {enemy} does not list {item.id} among its enemies",
                f"add {item.id} to the enemies of {enemy} ({other.file})",
            )
            has_field = isinstance(other.doc.data, dict) and "enemies" in other.doc.data
            yield other.at(
                "BANK007",
                ("enemies",) if has_field else ("id",),
                f"{item.id} ({entry.file}) lists {enemy} as an enemy, but {enemy} does not "
                f"list {item.id}",
                f"add {item.id} to enemies",
            )


def normalise_stem(text: str) -> str:
    """Lower case, punctuation and runs of white space folded to one space."""
    return _NORMALISE_RE.sub(" ", text.casefold()).strip()


def shingles(text: str, size: int = SHINGLE_SIZE) -> set[str]:
    """Character ``size``-grams of a normalised text (the whole text if shorter)."""
    if len(text) <= size:
        return {text} if text else set()
    return {text[i : i + size] for i in range(len(text) - size + 1)}


MINHASH_SEED = 20020931
"""Seed of the MinHash permutations (fixed, so runs are reproducible)."""
LSH_ROWS = 4
"""Signature rows per LSH band (for thresholds of 0.7 and above)."""
LSH_MISS = 1e-4
"""Largest chance that a pair exactly at the threshold shares no band."""
_ESTIMATE_MARGIN = 0.2
_SHORT = np.uint64(1 << 48)


def _shingle_codes(texts: Sequence[str], size: int = SHINGLE_SIZE):
    """Each text's character ``size``-grams as exact integer codes (repeats kept).

    Texts are normalised ASCII (see :func:`normalise_stem`), so a 5-gram packs into 40
    bits without collisions; a text shorter than ``size`` is one code of its own.
    Returns ``(codes, owner)`` with ``owner`` (the text's index) non-decreasing.
    """
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    pieces_codes, pieces_owner = [], []
    long_idx = np.flatnonzero(lengths >= size)
    if long_idx.size:
        blob = b"\0".join(texts[i].encode("ascii", "replace") for i in long_idx) + b"\0" * size
        raw = np.frombuffer(blob, dtype=np.uint8).astype(np.uint64)
        windows = len(raw) - size + 1
        codes = np.zeros(windows, dtype=np.uint64)
        for k in range(size):
            codes |= raw[k : k + windows] << np.uint64(8 * (size - 1 - k))
        lens = lengths[long_idx]
        starts = np.concatenate(([0], np.cumsum(lens + 1)[:-1]))
        owner_pos = np.repeat(np.arange(long_idx.size), lens + 1)[:windows]
        offset = np.arange(windows) - starts[owner_pos]
        valid = offset <= lens[owner_pos] - size
        pieces_codes.append(codes[valid])
        pieces_owner.append(long_idx[owner_pos[valid]])
    for i in np.flatnonzero((lengths > 0) & (lengths < size)):
        value = int.from_bytes(texts[i].encode("ascii", "replace"), "big")
        pieces_codes.append(np.array([value], dtype=np.uint64) | _SHORT)
        pieces_owner.append(np.array([i], dtype=np.int64))
    if not pieces_codes:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    codes = np.concatenate(pieces_codes)
    owner = np.concatenate(pieces_owner)
    if len(pieces_codes) > 1:  # short texts were appended after the long ones
        order = np.argsort(owner, kind="stable")
        codes, owner = codes[order], owner[order]
    return codes, owner


def lsh_bands(threshold: float, rows: int = LSH_ROWS, miss: float = LSH_MISS) -> tuple[int, int]:
    """``(bands, rows)`` so that a pair with Jaccard ``threshold`` shares a band with
    probability at least ``1 - miss``: ``bands = ceil(log(miss) / log(1 - t**rows))``.

    Rows shrink for low thresholds (at most 400 hash functions in all).
    """
    if threshold >= 1:
        return 1, rows  # identical sets have identical signatures
    while rows > 1 and math.log(miss) / math.log(1 - threshold**rows) * rows > 400:
        rows -= 1
    return max(1, math.ceil(math.log(miss) / math.log(1 - threshold**rows))), rows


def similar_pairs(texts: Sequence[str], threshold: float) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, jaccard)`` with ``i < j`` whose character 5-gram sets reach ``threshold``.

    .. math:: J(x, y) = |S(x) \\cap S(y)| / |S(x) \\cup S(y)|

    Candidates come from MinHash locality-sensitive hashing (Broder 1997; Leskovec,
    Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3): ``bands * rows`` min-hashes
    per text, bands chosen by :func:`lsh_bands` so that a pair at the threshold is a
    candidate with probability at least ``1 - 1e-4`` (higher above it). Candidates whose
    signature agreement is far below the threshold are dropped, the rest are decided by
    the exact Jaccard similarity, so no reported pair is a false positive. Work grows
    about linearly with the number of texts; no all-pairs comparison is made. Hash
    functions come from a fixed seed: the same texts always give the same pairs.
    Identical texts (Jaccard 1) are always found.

    Tested against: brute-force all-pairs Jaccard on random and perturbed stems
    (tests/unit/validate/test_bank_rules.py), identical pair sets.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    n = len(texts)
    codes, owner = _shingle_codes(texts)
    if n < 2 or codes.size == 0:
        return []
    present = np.unique(owner)
    seg_starts = np.searchsorted(owner, present)
    seg_ends = np.append(seg_starts[1:], len(owner))
    order = np.argsort(codes)
    sorted_codes = codes[order]
    first = np.ones(sorted_codes.size, dtype=bool)
    first[1:] = sorted_codes[1:] != sorted_codes[:-1]
    vocab = sorted_codes[first]
    inverse = np.empty(codes.size, dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    bands, rows = lsh_bands(threshold)
    k = bands * rows
    rng = np.random.default_rng(MINHASH_SEED)
    mult = rng.integers(1, 2**63, size=k, dtype=np.uint64) | np.uint64(1)
    add = rng.integers(0, 2**63, size=k, dtype=np.uint64)
    sig = np.empty((k, present.size), dtype=np.uint32)
    shift = np.uint64(32)
    for h in range(k):  # multiply-shift hashing of each distinct shingle, min per text
        hashed = ((vocab * mult[h] + add[h]) >> shift).astype(np.uint32)
        sig[h] = np.minimum.reduceat(hashed[inverse], seg_starts)
    pairs_i, pairs_j = [], []
    weights = np.uint64(0x9E3779B97F4A7C15)
    for band in range(bands):
        block = sig[band * rows : (band + 1) * rows].astype(np.uint64)
        key = np.zeros(present.size, dtype=np.uint64)
        for row in block:
            key = key * weights + row
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        bounds = np.flatnonzero(np.diff(sorted_key)) + 1
        starts = np.concatenate(([0], bounds))
        sizes = np.diff(np.concatenate((starts, [present.size])))
        twos = starts[sizes == 2]
        pairs_i.append(order[twos])
        pairs_j.append(order[twos + 1])
        for size in np.unique(sizes[sizes > 2]).tolist():  # all groups of one size at once
            a, b = np.triu_indices(size, 1)
            lows = starts[sizes == size][:, None]
            pairs_i.append(order[(lows + a).ravel()])
            pairs_j.append(order[(lows + b).ravel()])
    left, right = np.concatenate(pairs_i), np.concatenate(pairs_j)
    if left.size == 0:
        return []
    low, high = np.minimum(left, right), np.maximum(left, right)
    cand = np.sort(low.astype(np.int64) * present.size + high)
    cand = cand[np.concatenate(([True], cand[1:] != cand[:-1]))]
    ci, cj = cand // present.size, cand % present.size
    rows_sig = np.ascontiguousarray(sig.T)  # one signature per row
    agree = np.zeros(ci.size, dtype=np.int64)
    for start in range(0, ci.size, 65536):
        stop = start + 65536
        same = rows_sig[ci[start:stop]] == rows_sig[cj[start:stop]]
        agree[start:stop] = np.count_nonzero(same, axis=1)
    keep = agree >= (threshold - _ESTIMATE_MARGIN) * k
    out = []
    eps = 1e-12
    sets: dict[int, frozenset[int]] = {}

    def shingle_set(index: int) -> frozenset[int]:
        if index not in sets:
            sets[index] = frozenset(inverse[seg_starts[index] : seg_ends[index]].tolist())
        return sets[index]

    for a, b in zip(ci[keep].tolist(), cj[keep].tolist(), strict=True):
        x, y = shingle_set(a), shingle_set(b)
        inter = len(x & y)
        sim = inter / (len(x) + len(y) - inter)
        if sim >= threshold - eps:
            i, j = int(present[a]), int(present[b])
            out.append((min(i, j), max(i, j), sim))
    out.sort()
    return out


def _stem_rules(entries: Sequence[ItemFile], threshold: float) -> Iterable[Finding]:
    pairs = [
        (e, e.item)
        for e in entries
        if e.item is not None and e.has("id", "stem") and e.item.status != "retired"
    ]
    normalised = [normalise_stem(item.stem) for _, item in pairs]
    for i, j, sim in similar_pairs(normalised, threshold):
        (a, a_item), (b, b_item) = pairs[i], pairs[j]
        if a_item.id == b_item.id or b_item.id in a_item.enemies or a_item.id in b_item.enemies:
            continue  # same id is BANK001; declared enemies never share a form
        exact = normalised[i] == normalised[j]
        for this, other, other_file in ((a, b_item, b.file), (b, a_item, a.file)):
            if exact:
                yield this.at(
                    "BANK009",
                    ("stem",),
                    f"stem is identical to the stem of {other.id} ({other_file})",
                )
            else:
                yield this.at(
                    "BANK010",
                    ("stem",),
                    f"stem is {sim:.0%} similar to the stem of {other.id} ({other_file})",
                )


def check_bank(
    entries: Sequence[ItemFile],
    *,
    blueprint: Blueprint | None = None,
    near_duplicate_threshold: float = NEAR_DUPLICATE_THRESHOLD,
    house_rules: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Findings of the bank rules (BANK…) over all ``entries``, context files included.

    Per-item rules run on items that met the contract; rules across items use every
    file whose id is text. A reused id is one finding (BANK001) on the copy, not on the
    file it copied, and the copy's findings about its id (file name BANK002, domain prefix
    BANK012) are left out. Callers drop findings on context files. ``house_rules`` are
    the ids of the bank's house rules, which ``lint_ignore`` may name.
    """
    findings: list[Finding] = []
    copies = _duplicate_copies(entries)
    for entry in entries:
        if entry.item is not None:
            item_findings = _item_rules(entry, entry.item, blueprint, house_rules)
            if id(entry) in copies:
                # A reused id is one root cause, reported once (BANK001 on the copy): its
                # file name cannot match the id without landing on the original.
                item_findings = (f for f in item_findings if f.rule not in _ID_DERIVED)
            findings.extend(item_findings)
    findings.extend(_id_rules(entries, copies))
    findings.extend(_enemy_rules(entries))
    findings.extend(_stem_rules(entries, near_duplicate_threshold))
    return findings


# -- statistics table --------------------------------------------------------------

_INT_RE = re.compile(r"^[-+]?[0-9]+$")


def _column_kinds(schema: dict[str, Any]) -> dict[str, str]:
    """Column -> 'integer', 'number' or 'string', from the table's JSON Schema."""
    kinds = {}
    for name, prop in schema.get("properties", {}).items():
        types = prop.get("type", "string")
        types = [types] if isinstance(types, str) else list(types)
        kinds[name] = next((t for t in ("integer", "number") if t in types), "string")
    return kinds


def _cell_value(text: str, kind: str) -> tuple[Any, str | None]:
    """(value, problem) for one CSV cell of a column of this kind; '' is null."""
    if text == "":
        return None, None
    if kind == "integer":
        if _INT_RE.match(text.strip()):
            return int(text), None
        return None, "expected a whole number"
    if kind == "number":
        try:
            value = float(text)
        except ValueError:
            return None, "expected a number"
        if math.isnan(value) or math.isinf(value):
            return None, "expected a finite number (leave the cell empty for no value)"
        return value, None
    return text, None


def _stats_message(column: str, error: Any) -> str:
    """A statistics-table schema error in plain words."""
    kind, value, schema = error.validator, error.instance, error.schema
    if kind == "required":
        return error.message.replace("is a required property", "is empty")
    if kind == "enum":
        allowed = ", ".join(str(a) for a in error.validator_value if a is not None)
        return f"{column}: '{value}' is not allowed (use one of: {allowed})"
    if kind == "pattern":
        expected = {
            "item_id": "an item id such as CO-0123",
            "administration_date": "a date written YYYY-MM-DD",
        }.get(column, f"text matching {error.validator_value}")
        return f"{column}: '{value}' is not {expected}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        strict = "exclusiveMinimum" in schema
        if low is not None and high is not None:
            limits = f"from {low} to {high}"
        elif low is not None:
            limits = f"more than {low}" if strict else f"at least {low}"
        else:
            limits = f"at most {high}"
        return f"{column}: {value} is out of range (allowed: {limits})"
    return f"{column}: {error.message}"


def _field_columns(line: str) -> list[int]:
    """1-based start columns of the comma-separated fields of one CSV line."""
    starts, quoted = [1], False
    for position, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            starts.append(position + 2)
    return starts


def check_item_stats(
    path: str | Path,
    *,
    display: str | None = None,
    items: dict[str, Item] | None = None,
    known_ids: set[str] | None = None,
) -> list[Finding]:
    """Findings (STAT…) for a statistics table: header, each row's contract, ids and versions.

    ``items`` are the bank's items by id (with a valid id and version); without them only
    the table's own contract is checked. ``known_ids`` are every id written in the bank
    (default: the keys of ``items``). Row findings point at the row's line and the cell's
    column.
    """
    name = display if display is not None else str(path)
    rule = RULES["STAT001"]
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return [rule.finding(name, None, None, f"cannot read statistics table: {reason or exc}")]
    lines = text.splitlines()
    rows = list(csv.reader(lines))
    if not rows:
        return [rule.finding(name, None, None, "statistics table is empty (no header)")]
    header = rows[0]
    schema = validator("item_stats")
    required = schema.schema["required"]
    findings: list[Finding] = []
    missing = [c for c in required if c not in header]
    kinds = _column_kinds(schema.schema)
    unknown = [c for c in header if c not in kinds]
    repeated = sorted(c for c, n in Counter(header).items() if n > 1)
    if missing:
        findings.append(
            rule.finding(name, 1, 1, f"required column(s) missing: {', '.join(missing)}")
        )
    for column in unknown:
        col = _field_columns(lines[0])[header.index(column)]
        findings.append(rule.finding(name, 1, col, f"unknown column '{column}'"))
    for column in repeated:
        findings.append(rule.finding(name, 1, 1, f"column '{column}' appears more than once"))
    if findings:
        return findings
    row_rule, id_rule, version_rule = RULES["STAT002"], RULES["STAT003"], RULES["STAT004"]
    fast = compile_fast_check(schema.schema)
    for number, cells in enumerate(rows[1:], start=2):
        if not cells or all(c == "" for c in cells):
            continue

        def col_of(index: int, number: int = number) -> int:
            line_text = lines[number - 1] if number - 1 < len(lines) else ""
            columns = _field_columns(line_text)
            return columns[index] if index < len(columns) else 1

        if len(cells) != len(header):
            findings.append(
                row_rule.finding(
                    name, number, 1, f"row has {len(cells)} cells; the header has {len(header)}"
                )
            )
            continue
        record: dict[str, Any] = {}
        bad = False
        for index, (column, cell) in enumerate(zip(header, cells, strict=True)):
            value, problem = _cell_value(cell, kinds[column])
            if problem:
                bad = True
                findings.append(
                    row_rule.finding(
                        name, number, col_of(index), f"{column}: {problem}, found '{cell}'"
                    )
                )
            elif value is not None:
                record[column] = value
        if bad:
            continue
        errors = [] if fast is not None and fast(record) else list(schema.iter_errors(record))
        for error in errors:
            path = list(error.absolute_path)
            column = str(path[0]) if path else ""
            index = header.index(column) if column in header else 0
            message = _stats_message(column, error)
            findings.append(row_rule.finding(name, number, col_of(index), message))
        if errors or items is None:
            continue
        item_id = record["item_id"]
        item = items.get(item_id)
        if item_id not in (known_ids if known_ids is not None else items):
            findings.append(
                id_rule.finding(
                    name,
                    number,
                    col_of(header.index("item_id")),
                    f"item {item_id} is not in the bank",
                )
            )
        elif item is not None and record["item_version"] > item.version:
            findings.append(
                version_rule.finding(
                    name,
                    number,
                    col_of(header.index("item_version")),
                    f"item_version {record['item_version']} of {item_id} is newer than the "
                    f"item file's version {item.version} ({item.path})",
                )
            )
    return findings
