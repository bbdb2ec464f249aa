"""One rule catalogue for the bank, the forms and the analysis.

Every finding id the toolkit can report is a :class:`Rule` in :data:`BUILTIN`: the
validation rules (``PARSE``, ``SCH``, ``IW`` per item; ``BANK``, ``STAT`` across the bank,
:mod:`~cehrs_items.catalogue.validate`), the form-check rules (``FORM``,
:mod:`~cehrs_items.catalogue.form`) and the analysis rules (``ANA`` data-quality notes,
``FLAG`` review flags, :mod:`~cehrs_items.catalogue.analysis`), ``CONF`` for a bank's
house-rule configuration, and the import rules (``QTI``, ``XLS``,
:mod:`~cehrs_items.catalogue.exchange`). Stages take their rules
from here; reporters read rule texts from here without importing any stage;
``cehrs-items rules`` lists them and ``docs/rules.md`` is generated from them. Extensions
(a bank's house rules, severity overrides) go into a copy made with
:meth:`Catalogue.extended`, never into :data:`BUILTIN`.

This package imports only :mod:`cehrs_items.findings` and :mod:`cehrs_items.io`.
"""

from __future__ import annotations

from cehrs_items.catalogue import analysis as _analysis
from cehrs_items.catalogue import exchange as _exchange
from cehrs_items.catalogue import form as _form
from cehrs_items.catalogue import validate as _validate
from cehrs_items.catalogue.rule import Catalogue, Rule, Scope
from cehrs_items.findings import Severity

_CONFIG = "cehrs-items house-rule configuration ([tool.cehrs-items] or cehrs-items.toml)"

CONFIG_RULES: tuple[Rule, ...] = (
    Rule("CONF001", Severity.ERROR, "House-rule configuration cannot be read.", "fix the TOML syntax at this position", _CONFIG, Scope.BANK),
    Rule("CONF002", Severity.ERROR, "Invalid house-rule configuration entry.", "correct the entry; see docs/rules.md, House rules", _CONFIG, Scope.BANK),
    Rule("CONF003", Severity.ERROR, "Rule plugin cannot be loaded or breaks its contract.", "install the plugin, fix it, or remove it from plugins", _CONFIG, Scope.BANK),
)  # fmt: skip
"""Rules about a bank's house-rule configuration (:mod:`cehrs_items.house`)."""

BUILTIN = Catalogue()
"""Every built-in rule, in the order parse, schema, bank, stat, lint, form, analysis, config,
import."""
BUILTIN.register(*_validate.RULES, *_form.RULES, *_analysis.RULES, *CONFIG_RULES, *_exchange.RULES)

BUILTIN_FAMILIES: dict[str, str] = {
    "PARSE": "Parsing",
    "SCH": "Item contract",
    "BANK": "Bank rules across files",
    "STAT": "Statistics table",
    "IW": "Item-writing lint",
    "FORM": "Form check",
    "ANA": "Analysis data quality",
    "FLAG": "Analysis review flags",
    "CONF": "House-rule configuration",
    "QTI": "QTI import",
    "XLS": "Workbook import",
}
"""Section titles of the built-in families, in catalogue order."""

COMMAND_FAMILIES: dict[str, tuple[str, ...]] = {
    "validate": ("PARSE", "SCH", "BANK", "STAT", "IW"),
    "form check": ("FORM",),
    "analyze": ("ANA", "FLAG"),
    "configuration": ("CONF",),
    "import qti": ("QTI",),
    "import xlsx": ("XLS",),
}
"""The built-in families whose findings each command reports; a bank's configuration
(``CONF``) and house rules add to them when the bank has any."""


def command_rules(command: str, catalogue: Catalogue | None = None) -> dict[str, Rule]:
    """The rules a command reports, by id in catalogue order (its tool's SARIF rules).

    For ``validate`` this includes a bank's house rules when ``catalogue`` carries them
    (every family that is not built in, after the built-in ones).
    """
    catalogue = BUILTIN if catalogue is None else catalogue
    rules = catalogue.of_families(*COMMAND_FAMILIES[command])
    if command == "validate":
        house = {r.family for r in catalogue.values() if r.family not in BUILTIN_FAMILIES}
        rules.update(catalogue.of_families(*house))
    return rules


FLAG_RULES = _analysis.FLAG_RULES
HDR2002 = _validate.HDR2002

__all__ = [
    "BUILTIN",
    "BUILTIN_FAMILIES",
    "COMMAND_FAMILIES",
    "CONFIG_RULES",
    "FLAG_RULES",
    "HDR2002",
    "Catalogue",
    "Rule",
    "Scope",
    "command_rules",
]
