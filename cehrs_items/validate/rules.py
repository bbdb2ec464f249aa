"""The validation rules (``PARSE``, ``SCH``, ``BANK``, ``STAT``, ``IW``), from the catalogue.

The rules themselves are declared once in :mod:`cehrs_items.catalogue.validate` and
registered in the one catalogue :data:`cehrs_items.catalogue.BUILTIN`; this module is
the validate stage's view of them. ``docs/rules.md`` is generated from the catalogue
(``python -m cehrs_items.cli.docs --write``).
"""

from __future__ import annotations

from cehrs_items.catalogue import HDR2002, Rule, command_rules

RULES: dict[str, Rule] = command_rules("validate")
"""Every validation rule by id, in registry order (parse, schema, bank, stat, lint)."""

__all__ = ["HDR2002", "RULES", "Rule", "get_rule"]


def get_rule(rule_id: str) -> Rule:
    """The rule with this id; ``KeyError`` naming the known families if unknown."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(
            f"unknown rule {rule_id!r} (rules are PARSE, SCH, BANK, STAT and IW followed by "
            "digits; see docs/rules.md)"
        ) from None
