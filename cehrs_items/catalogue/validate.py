"""Rules of ``cehrs-items validate``: parsing, the item contract, the bank, statistics, lint.

Rule ids are stable and never reused. Families:

- ``PARSE…`` reading and parsing a file (found by :mod:`cehrs_items.items.loader`);
- ``SCH…`` the item contract ``schemas/item.schema.json``;
- ``BANK…`` rules across the files of a bank (ids, enemies, duplicates, blueprint, status);
- ``STAT…`` the bank's statistics table ``stats/item_stats.csv``;
- ``IW…`` item-writing lint after Haladyna, Downing & Rodriguez (2002), whose guideline
  numbers are given as the source.
"""

from __future__ import annotations

from cehrs_items.catalogue.rule import Rule, Scope
from cehrs_items.findings import Severity

HDR2002 = "Haladyna, Downing & Rodriguez (2002), guideline"
"""Prefix of the source of IW rules: Applied Measurement in Education 15(3), 309-333."""

_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
_ITEM, _BANK = Scope.ITEM, Scope.BANK
_LOADER = "cehrs_items.items.loader (safe YAML 1.2 parsing)"
_CONTRACT = "schemas/item.schema.json (the item contract)"
_BANK_POLICY = "cehrs-items bank policy (issue 3)"
_BLUEPRINT = "item_bank/blueprint.yaml (the CEHRS test plan)"
_STATS = "schemas/item_stats.schema.json (the statistics table contract)"

RULES: tuple[Rule, ...] = (
    # -- parsing (the loader emits these) --
    Rule("PARSE000", _E, "File cannot be read.", "check that the file exists and is readable", _LOADER, _ITEM),
    Rule("PARSE001", _E, "YAML or JSON syntax error.", "fix the syntax at this position (check indentation, colons and quotes)", _LOADER, _ITEM),
    Rule("PARSE002", _E, "Duplicate key in a mapping.", "keep one of the two entries; YAML would silently use the last", _LOADER, _ITEM),
    Rule("PARSE003", _E, "Unsupported YAML tag or complex key.", "remove the tag; item files hold plain text, numbers and lists", _LOADER, _ITEM),
    Rule("PARSE004", _E, "File is empty.", "add the item's fields, or delete the file", _LOADER, _ITEM),
    Rule("PARSE005", _E, "Document too large or recursive (YAML alias expansion).", "remove YAML aliases; write each value out", _LOADER, _ITEM),
    Rule("PARSE006", _E, "File is not UTF-8 text.", "save the file as UTF-8", _LOADER, _ITEM),
    Rule("PARSE007", _E, "Integer with too many digits.", "write the intended number; ids, versions and counts are short", _LOADER, _ITEM),
    # -- schema --
    Rule("SCH001", _E, "File does not hold an item (a mapping of fields).", "write the item as `field: value` lines (id:, stem:, options:, ...)", _CONTRACT, _ITEM),
    Rule("SCH002", _E, "Required field missing.", "add the field; see schemas/item.schema.json for what it holds", _CONTRACT, _ITEM),
    Rule("SCH003", _E, "Unknown field.", "remove the field or correct its spelling", _CONTRACT, _ITEM),
    Rule("SCH004", _E, "Value of the wrong type.", "write the value in the expected form", _CONTRACT, _ITEM),
    Rule("SCH005", _E, "Value not among the allowed values.", "use one of the allowed values", _CONTRACT, _ITEM),
    Rule("SCH006", _E, "Value not in the expected format.", "write the value in the format shown", _CONTRACT, _ITEM),
    Rule("SCH007", _E, "Value, text or list out of the allowed range or size.", "bring the value within the limits shown", _CONTRACT, _ITEM),
    Rule("SCH008", _E, "List entry repeated.", "list each entry once", _CONTRACT, _ITEM),
    Rule("SCH009", _E, "Date that does not exist in the calendar.", "write a real date as YYYY-MM-DD", _CONTRACT, _ITEM),
    Rule("SCH010", _E, "Other violation of the item contract.", "compare the value with schemas/item.schema.json", _CONTRACT, _ITEM),
    # -- bank rules across files --
    Rule("BANK001", _E, "Item id used by more than one file.", "give each item its own id; ids are never reused", _BANK_POLICY, _BANK),
    Rule("BANK002", _E, "File name differs from the item id.", "rename the file to <id>.yaml", _BANK_POLICY, _BANK),
    Rule("BANK003", _E, "Key is not one of the item's options.", "set key to the label of the correct option", _BANK_POLICY, _BANK),
    Rule("BANK004", _E, "Option labels are not consecutive from A.", "label the options A, B, C, ... without gaps", _BANK_POLICY, _BANK),
    Rule("BANK005", _E, "Rationale given for an option that does not exist.", "remove the rationale entry or add the option", _BANK_POLICY, _BANK),
    Rule("BANK006", _E, "Enemy id not found in the bank.", "correct the id or remove it from enemies", _BANK_POLICY, _BANK),
    Rule("BANK007", _E, "Enemy relation declared on one item only.", "list each item in the other's enemies", _BANK_POLICY, _BANK),
    Rule("BANK008", _E, "Item lists itself as an enemy.", "remove the item's own id from enemies", _BANK_POLICY, _BANK),
    Rule("BANK009", _E, "Stem identical to another item's stem.", "reword one of the stems, or declare the items enemies if they are deliberate variants", _BANK_POLICY, _BANK),
    Rule("BANK010", _W, "Stem nearly identical to another item's stem.", "reword one of the stems, or declare the items enemies so they never share a form", _BANK_POLICY, _BANK),
    Rule("BANK011", _E, "Domain not in the blueprint.", "use a domain number listed in the blueprint", _BLUEPRINT, _BANK),
    Rule("BANK012", _E, "Id prefix does not match the domain's code.", "use the domain's two-letter code as the id prefix, or correct the domain", _BLUEPRINT, _BANK),
    Rule("BANK013", _E, "Subdomain not listed under the item's domain.", "use a subdomain code the blueprint lists for this domain", _BLUEPRINT, _BANK),
    Rule("BANK014", _W, "Item file outside its domain's folder.", "move the file to items/<domain>/", _BANK_POLICY, _BANK),
    Rule("BANK015", _W, "Number of options differs from the blueprint's options_per_item.", "write the number of options the blueprint asks for", _BLUEPRINT, _BANK),
    Rule("BANK016", _E, "Operational or pretest item without a reviewer.", "have the item reviewed and list the reviewer, or set status to review", _BANK_POLICY, _BANK),
    Rule("BANK017", _W, "Author listed among the reviewers.", "have someone other than the author review the item", _BANK_POLICY, _BANK),
    Rule("BANK018", _E, "Modified date before created date.", "set modified to the date of the last change, on or after created", _BANK_POLICY, _BANK),
    Rule("BANK019", _W, "A lint_ignore entry names a rule that does not exist.", "use an IW rule id from docs/rules.md", _BANK_POLICY, _BANK),
    # -- statistics table --
    Rule("STAT001", _E, "Statistics table cannot be read or has the wrong columns.", "fix the table's header to the columns of schemas/item_stats.schema.json", _STATS, _BANK),
    Rule("STAT002", _E, "Statistics row violates the table contract.", "correct the value in this cell", _STATS, _BANK),
    Rule("STAT003", _E, "Statistics row for an item that is not in the bank.", "remove the row or restore the item (retire items, do not delete them)", _STATS, _BANK),
    Rule("STAT004", _E, "Statistics row for a newer version than the item file.", "correct item_version, or the item file's version", _STATS, _BANK),
    # -- item-writing lint --
    Rule("IW001", _W, "'All of the above' used as an option.", "replace it with a plausible distractor", f"{HDR2002} 26", _ITEM),
    Rule("IW002", _W, "'None of the above' used as an option.", "replace it with a plausible distractor, or record why with lint_ignore", f"{HDR2002} 25", _ITEM),
    Rule("IW003", _W, "Absolute word (always, never, only, ...) in an option.", "reword the option without the absolute; test-wise candidates rule such options out", f"{HDR2002} 28a", _ITEM),
    Rule("IW004", _W, "Negative stem not emphasised.", "word the stem positively, or write the negative in capitals (NOT, EXCEPT)", f"{HDR2002} 17", _ITEM),
    Rule("IW005", _W, "Key notably longer than the distractors.", "shorten the key or lengthen the distractors so no option stands out", f"{HDR2002} 24, 28d", _ITEM),
    Rule("IW006", _W, "Option lengths very unequal.", "keep the options about equal in length", f"{HDR2002} 24", _ITEM),
    Rule("IW007", _W, "Stem ends in 'a' or 'an' that agrees with only some options.", "end the stem before the article, or write 'a(n)'", f"{HDR2002} 28c", _ITEM),
    Rule("IW008", _W, "Stem words repeated in the key only (clang association).", "reword the key or add the words to distractors so they do not cue the answer", f"{HDR2002} 28b", _ITEM),
    Rule("IW009", _E, "Two options with the same text.", "make every option different", f"{HDR2002} 19, 22", _ITEM),
    Rule("IW010", _W, "Rationale missing for an option.", "explain why the key is right and each distractor wrong", "cehrs-items item contract (issue 3): a rationale for every option", _ITEM),
    Rule("IW011", _W, "Options combine other options (complex 'Type K' format).", "rewrite as a single-best-answer item", f"{HDR2002} 9", _ITEM),
)  # fmt: skip
