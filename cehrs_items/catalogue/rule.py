"""The rule shape every stage shares, and the registry rules are collected in.

A :class:`Rule` says what a finding id means: its default severity, a one-line summary,
the default fix hint, where the rule comes from, and its :class:`Scope` (what it judges:
one item file, the bank across files, a form, or an analysis run). A :class:`Catalogue`
maps ids to rules in registration order; stages build findings from it, reporters read
it to describe rules (SARIF), and ``cehrs-items rules`` lists it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from cehrs_items.findings import Finding, Severity


class Scope(StrEnum):
    """What a rule judges."""

    ITEM = "item"
    BANK = "bank"
    FORM = "form"
    ANALYSIS = "analysis"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Rule:
    """One rule: id, default severity, summary, default hint, source and scope.

    ``hint`` is the default one-line fix shown under a finding; a check may give a more
    specific one. ``source`` says where the rule comes from (a guideline, a contract,
    a house style file).
    """

    id: str
    severity: Severity
    summary: str
    hint: str
    source: str
    scope: Scope = Scope.ITEM

    @property
    def family(self) -> str:
        """The id without its number (``IW`` for ``IW005``)."""
        return self.id.rstrip("0123456789")

    def finding(
        self,
        file: str,
        line: int | None,
        col: int | None,
        message: str,
        hint: str | None = None,
    ) -> Finding:
        """A finding of this rule at ``file:line:col``, with this rule's severity."""
        return Finding(file, line, col, self.id, self.severity, message, hint or self.hint)

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "severity": self.severity.value,
            "scope": self.scope.value,
            "summary": self.summary,
            "hint": self.hint,
            "source": self.source,
        }


class Catalogue(Mapping[str, Rule]):
    """Rules by id, in the order they were registered; ids are unique.

    The built-in catalogue (:data:`cehrs_items.catalogue.BUILTIN`) is never changed after
    import: a bank's house rules and severity overrides make a new catalogue with
    :meth:`extended`, so one run's configuration cannot leak into another's output.
    """

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            self.register(rule)

    def register(self, *rules: Rule) -> None:
        """Add rules; ``ValueError`` when an id is already registered."""
        for rule in rules:
            if rule.id in self._rules:
                raise ValueError(f"rule id {rule.id} registered twice")
            self._rules[rule.id] = rule

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"Catalogue({len(self)} rules)"

    def scoped(self, *scopes: Scope | str) -> dict[str, Rule]:
        """The rules of these scopes by id, in registration order."""
        wanted = {Scope(s) for s in scopes}
        return {rid: r for rid, r in self._rules.items() if r.scope in wanted}

    def of_families(self, *families: str) -> dict[str, Rule]:
        """The rules of these families by id, in registration order."""
        wanted = set(families)
        return {rid: r for rid, r in self._rules.items() if r.family in wanted}

    def families(self) -> list[str]:
        """Rule families in the order their first rule was registered."""
        return list(dict.fromkeys(r.family for r in self._rules.values()))

    def counts_by_scope(self) -> dict[str, int]:
        """How many rules each scope has (every scope listed, in :class:`Scope` order)."""
        counts = {s.value: 0 for s in Scope}
        for rule in self._rules.values():
            counts[rule.scope.value] += 1
        return counts

    def extended(
        self,
        rules: Iterable[Rule] = (),
        *,
        severities: Mapping[str, Severity] | None = None,
    ) -> Catalogue:
        """A new catalogue: these rules added, and ``severities`` overriding by id."""
        rules = tuple(rules)
        severities = dict(severities or {})
        unknown = sorted(set(severities) - set(self._rules) - {r.id for r in rules})
        if unknown:
            raise KeyError(f"severity override for unknown rule {unknown[0]}")
        out = Catalogue()
        for rule in (*self._rules.values(), *rules):
            if rule.id in severities:
                rule = dataclasses.replace(rule, severity=severities[rule.id])
            out.register(rule)
        return out
