"""Rules of ``cehrs-items form check`` (``FORM…``): a form against the bank and blueprint.

The rules are the assembler's constraint groups (:mod:`cehrs_items.assembly.constraints`)
plus the sequencing rules (key runs, pretest spread) and the checks across several forms.
"""

from __future__ import annotations

from cehrs_items.catalogue.rule import Rule, Scope
from cehrs_items.findings import Severity

_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
_SOURCE = "cehrs-items form check; van der Linden (2005), Linear Models for Optimal Test Design"


def _rule(rule_id: str, severity: Severity, summary: str, hint: str) -> Rule:
    return Rule(rule_id, severity, summary, hint, _SOURCE, Scope.FORM)


RULES: tuple[Rule, ...] = (
    _rule("FORM000", _E, "form file unreadable or not a valid form", "Fix the file; see schemas/form.schema.json."),
    _rule("FORM001", _E, "item not in the bank", "Use an item id of the bank, or check --bank."),
    _rule("FORM002", _E, "item version differs from the bank", "Re-assemble the form, or check out the bank version it was built from."),
    _rule("FORM003", _E, "domain, subdomain or key differs from the bank item", "Re-assemble the form; the item changed since."),
    _rule("FORM004", _E, "scored item is not operational", "Only operational items may be scored."),
    _rule("FORM005", _E, "pretest slot holds an item that is not a pretest item", "Fill pretest slots with status: pretest items."),
    _rule("FORM006", _E, "wrong number of scored or pretest items", "Match form.scored_items and form.pretest_items of the blueprint."),
    _rule("FORM007", _E, "positions are not numbered 1..N", "Number the positions 1 to N without gaps."),
    _rule("FORM008", _E, "domain's scored count differs from the blueprint", "Match domains[].scored_items."),
    _rule("FORM009", _E, "subdomain below its minimum", "Add scored items of the subdomain (subdomains[].min_scored)."),
    _rule("FORM010", _E, "domain's pretest count differs from the blueprint", "Match domains[].pretest_items."),
    _rule("FORM011", _E, "two enemy items on one form", "Keep at most one item of each enemy pair."),
    _rule("FORM012", _E, "key letter's share outside the blueprint band", "Balance keys to form.key_balance min_share/max_share."),
    _rule("FORM013", _E, "run of one key longer than max_run", "Reorder the items (form.key_balance.max_run)."),
    _rule("FORM014", _E, "pretest items bunched", "Spread the pretest positions through the form."),
    _rule("FORM015", _E, "invalid anchor item", "Anchors are scored items of the anchor form, same version."),
    _rule("FORM016", _E, "wrong number of anchor items", "Use the required anchor count, split over domains by the blueprint."),
    _rule("FORM017", _W, "form built from another blueprint", "Check --blueprint or re-assemble the form."),
    _rule("FORM018", _I, "bank changed since the form was built", "Re-run form check after bank changes; re-assemble if needed."),
    _rule("FORM019", _E, "two forms share too many scored items", "Lower the overlap (--max-overlap)."),
    _rule("FORM020", _E, "item on too many forms", "Lower the exposure (--max-exposure)."),
    _rule("FORM021", _W, "common item with the anchor form not flagged as anchor", "Flag it anchor: true, or use another item."),
)  # fmt: skip
