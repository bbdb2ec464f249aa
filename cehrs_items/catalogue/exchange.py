"""Rules of ``cehrs-items import qti`` (``QTI…``) and ``import xlsx`` (``XLS…``): what an
item from a QTI package or a workbook row cannot carry into the bank.

After these, imported items get the ``validate`` rules (reported at the item's place in
the package or the workbook); see docs/exchange.md.
"""

from __future__ import annotations

from cehrs_items.catalogue.rule import Rule, Scope
from cehrs_items.findings import Severity

_E, _W = Severity.ERROR, Severity.WARNING
_QTI = "IMS QTI 3.0 (1EdTech, 2022); cehrs-items import qti"
_XLS = "cehrs-items export xlsx layout (docs/exchange.md)"


def _q(rule_id: str, severity: Severity, summary: str, hint: str) -> Rule:
    return Rule(rule_id, severity, summary, hint, _QTI, Scope.ITEM)


def _x(rule_id: str, severity: Severity, summary: str, hint: str) -> Rule:
    return Rule(rule_id, severity, summary, hint, _XLS, Scope.ITEM)


RULES: tuple[Rule, ...] = (
    _q("QTI001", _E, "package file missing or not well-formed XML", "Add the file the manifest names, or fix its XML."),
    _q("QTI002", _E, "not a QTI 3.0 assessment item", "Convert QTI 2.x first, e.g. with Cito's qti-convert upgrade."),
    _q("QTI003", _W, "markup or media in the item text, flattened to plain text", "Bank items hold plain text; check the wording after import."),
    _q("QTI004", _E, "interaction other than one choice interaction", "The bank holds single-best-answer items; leave this item out."),
    _q("QTI005", _E, "not exactly one correct choice", "Declare one correct choice (cardinality single, max-choices 1)."),
    _q("QTI006", _W, "shuffled choices (shuffle is not kept)", "Bank options keep their A-E order; check the order after import."),
    _q("QTI007", _E, "more than five choices", "Bank items have 3 to 5 options."),
    _q("QTI008", _W, "choice identifiers other than A, B, C..., relabelled in order", "Check the key and the rationales after import."),
    _q("QTI009", _W, "feedback, templates or stylesheets, not imported", "Carry rationales in the item's rationale field."),
    _q("QTI010", _W, "package resource that is not an item, not imported", "Only item resources become bank items."),
    _q("QTI011", _E, "no bank metadata for the item", "QTI does not carry domain, subdomain, status...: add them, or export with cehrs-items."),
    _q("QTI012", _E, "metadata of another item, or an item twice", "Give each item one resource with its own metadata."),
    _q("QTI013", _E, "package without items", "Export a package that holds assessment items."),
    _x("XLS001", _E, "workbook header: unknown, repeated or missing column", "Use the columns export xlsx writes."),
    _x("XLS002", _E, "workbook cell: empty, wrong type or value not allowed", "Correct the cell; the drop-down lists show the allowed values."),
)  # fmt: skip
