"""The registry of validation rules: id, severity, summary, fix hint and source.

Rule ids are stable and never reused. Families:

- ``PARSE…`` reading and parsing a file (raised by :mod:`cehrs_items.items.loader`);
- ``SCH…`` the item contract ``schemas/item.schema.json``;
- ``BANK…`` rules across the files of a bank (ids, enemies, duplicates, blueprint, status);
- ``STAT…`` the bank's statistics table ``stats/item_stats.csv``;
- ``IW…`` item-writing lint after Haladyna, Downing & Rodriguez (2002), whose guideline
  numbers are given as the source.

``docs/rules.md`` is generated from this table (``python -m cehrs_items.cli.docs --write``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cehrs_items.findings import Finding, Severity

HDR2002 = "Haladyna, Downing & Rodriguez (2002), guideline"
"""Prefix of the source of IW rules: Applied Measurement in Education 15(3), 309-333."""


@dataclass(frozen=True)
class Rule:
    """One validation rule.

    ``hint`` is the default one-line fix shown under a finding; a check may give a more
    specific hint. ``source`` says where the rule comes from.
    """

    id: str
    severity: Severity
    summary: str
    hint: str
    source: str

    @property
    def family(self) -> str:
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


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
_LOADER = "cehrs_items.items.loader (safe YAML 1.2 parsing)"
_CONTRACT = "schemas/item.schema.json (the item contract)"
_BANK = "cehrs-items bank policy (issue 3)"
_BLUEPRINT = "item_bank/blueprint.yaml (the CEHRS test plan)"
_STATS = "schemas/item_stats.schema.json (the statistics table contract)"

_RULES: tuple[Rule, ...] = (
    # -- parsing (the loader emits these; they are registered here for docs and SARIF) --
    Rule("PARSE000", _E, "File cannot be read.", "check that the file exists and is readable", _LOADER),
    Rule("PARSE001", _E, "YAML or JSON syntax error.", "fix the syntax at this position (check indentation, colons and quotes)", _LOADER),
    Rule("PARSE002", _E, "Duplicate key in a mapping.", "keep one of the two entries; YAML would silently use the last", _LOADER),
    Rule("PARSE003", _E, "Unsupported YAML tag or complex key.", "remove the tag; item files hold plain text, numbers and lists", _LOADER),
    Rule("PARSE004", _E, "File is empty.", "add the item's fields, or delete the file", _LOADER),
    Rule("PARSE005", _E, "Document too large or recursive (YAML alias expansion).", "remove YAML aliases; write each value out", _LOADER),
    Rule("PARSE006", _E, "File is not UTF-8 text.", "save the file as UTF-8", _LOADER),
    # -- schema --
    Rule("SCH001", _E, "File does not hold an item (a mapping of fields).", "write the item as `field: value` lines (id:, stem:, options:, ...)", _CONTRACT),
    Rule("SCH002", _E, "Required field missing.", "add the field; see schemas/item.schema.json for what it holds", _CONTRACT),
    Rule("SCH003", _E, "Unknown field.", "remove the field or correct its spelling", _CONTRACT),
    Rule("SCH004", _E, "Value of the wrong type.", "write the value in the expected form", _CONTRACT),
    Rule("SCH005", _E, "Value not among the allowed values.", "use one of the allowed values", _CONTRACT),
    Rule("SCH006", _E, "Value not in the expected format.", "write the value in the format shown", _CONTRACT),
    Rule("SCH007", _E, "Value, text or list out of the allowed range or size.", "bring the value within the limits shown", _CONTRACT),
    Rule("SCH008", _E, "List entry repeated.", "list each entry once", _CONTRACT),
    Rule("SCH009", _E, "Date that does not exist in the calendar.", "write a real date as YYYY-MM-DD", _CONTRACT),
    Rule("SCH010", _E, "Other violation of the item contract.", "compare the value with schemas/item.schema.json", _CONTRACT),
    # -- bank rules across files --
    Rule("BANK001", _E, "Item id used by more than one file.", "give each item its own id; ids are never reused", _BANK),
    Rule("BANK002", _E, "File name differs from the item id.", "rename the file to <id>.yaml", _BANK),
    Rule("BANK003", _E, "Key is not one of the item's options.", "set key to the label of the correct option", _BANK),
    Rule("BANK004", _E, "Option labels are not consecutive from A.", "label the options A, B, C, ... without gaps", _BANK),
    Rule("BANK005", _E, "Rationale given for an option that does not exist.", "remove the rationale entry or add the option", _BANK),
    Rule("BANK006", _E, "Enemy id not found in the bank.", "correct the id or remove it from enemies", _BANK),
    Rule("BANK007", _E, "Enemy relation declared on one item only.", "list each item in the other's enemies", _BANK),
    Rule("BANK008", _E, "Item lists itself as an enemy.", "remove the item's own id from enemies", _BANK),
    Rule("BANK009", _E, "Stem identical to another item's stem.", "reword one of the stems, or declare the items enemies if they are deliberate variants", _BANK),
    Rule("BANK010", _W, "Stem nearly identical to another item's stem.", "reword one of the stems, or declare the items enemies so they never share a form", _BANK),
    Rule("BANK011", _E, "Domain not in the blueprint.", "use a domain number listed in the blueprint", _BLUEPRINT),
    Rule("BANK012", _E, "Id prefix does not match the domain's code.", "use the domain's two-letter code as the id prefix, or correct the domain", _BLUEPRINT),
    Rule("BANK013", _E, "Subdomain not listed under the item's domain.", "use a subdomain code the blueprint lists for this domain", _BLUEPRINT),
    Rule("BANK014", _W, "Item file outside its domain's folder.", "move the file to items/<domain>/", _BANK),
    Rule("BANK015", _W, "Number of options differs from the blueprint's options_per_item.", "write the number of options the blueprint asks for", _BLUEPRINT),
    Rule("BANK016", _E, "Operational or pretest item without a reviewer.", "have the item reviewed and list the reviewer, or set status to review", _BANK),
    Rule("BANK017", _W, "Author listed among the reviewers.", "have someone other than the author review the item", _BANK),
    Rule("BANK018", _E, "Modified date before created date.", "set modified to the date of the last change, on or after created", _BANK),
    Rule("BANK019", _W, "A lint_ignore entry names a rule that does not exist.", "use an IW rule id from docs/rules.md", _BANK),
    # -- statistics table --
    Rule("STAT001", _E, "Statistics table cannot be read or has the wrong columns.", "fix the table's header to the columns of schemas/item_stats.schema.json", _STATS),
    Rule("STAT002", _E, "Statistics row violates the table contract.", "correct the value in this cell", _STATS),
    Rule("STAT003", _E, "Statistics row for an item that is not in the bank.", "remove the row or restore the item (retire items, do not delete them)", _STATS),
    Rule("STAT004", _E, "Statistics row for a newer version than the item file.", "correct item_version, or the item file's version", _STATS),
    # -- item-writing lint --
    Rule("IW001", _W, "'All of the above' used as an option.", "replace it with a plausible distractor", f"{HDR2002} 26"),
    Rule("IW002", _W, "'None of the above' used as an option.", "replace it with a plausible distractor, or record why with lint_ignore", f"{HDR2002} 25"),
    Rule("IW003", _W, "Absolute word (always, never, only, ...) in an option.", "reword the option without the absolute; test-wise candidates rule such options out", f"{HDR2002} 28a"),
    Rule("IW004", _W, "Negative stem not emphasised.", "word the stem positively, or write the negative in capitals (NOT, EXCEPT)", f"{HDR2002} 17"),
    Rule("IW005", _W, "Key notably longer than the distractors.", "shorten the key or lengthen the distractors so no option stands out", f"{HDR2002} 24, 28d"),
    Rule("IW006", _W, "Option lengths very unequal.", "keep the options about equal in length", f"{HDR2002} 24"),
    Rule("IW007", _W, "Stem ends in 'a' or 'an' that agrees with only some options.", "end the stem before the article, or write 'a(n)'", f"{HDR2002} 28c"),
    Rule("IW008", _W, "Stem words repeated in the key only (clang association).", "reword the key or add the words to distractors so they do not cue the answer", f"{HDR2002} 28b"),
    Rule("IW009", _E, "Two options with the same text.", "make every option different", f"{HDR2002} 19, 22"),
    Rule("IW010", _W, "Rationale missing for an option.", "explain why the key is right and each distractor wrong", "cehrs-items item contract (issue 3): a rationale for every option"),
    Rule("IW011", _W, "Options combine other options (complex 'Type K' format).", "rewrite as a single-best-answer item", f"{HDR2002} 9"),
)  # fmt: skip

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}
"""Every rule by id, in registry order (families in the order parse, schema, bank, stat, lint)."""

if len(RULES) != len(_RULES):  # pragma: no cover - guards the table above
    raise RuntimeError("duplicate rule id in cehrs_items.validate.rules")


def get_rule(rule_id: str) -> Rule:
    """The rule with this id; ``KeyError`` naming the known families if unknown."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(
            f"unknown rule {rule_id!r} (rules are PARSE, SCH, BANK, STAT and IW followed by "
            "digits; see docs/rules.md)"
        ) from None


def rules_markdown() -> str:
    """``docs/rules.md``: every rule as a Markdown table, one section per family."""
    titles = {
        "PARSE": "Parsing (PARSE)",
        "SCH": "Item contract (SCH)",
        "BANK": "Bank rules across files (BANK)",
        "STAT": "Statistics table (STAT)",
        "IW": "Item-writing lint (IW)",
    }
    lines = [
        "# Validation rules",
        "",
        "<!-- Generated by `python -m cehrs_items.cli.docs --write`; do not edit. -->",
        "",
        "`cehrs-items validate` reports each problem with one of these rule ids. Ids are "
        "stable and never reused. Errors fail a run; warnings fail it only with `--strict`. "
        "Switch a rule off for one run with `--ignore RULE`, and an IW rule for one item "
        "with `lint_ignore: [{rule: IW005, reason: ...}]` in the item file.",
        "",
    ]
    for family, title in titles.items():
        members = [r for r in RULES.values() if r.family == family]
        lines += [
            f"## {title}",
            "",
            "| id | severity | rule | fix | source |",
            "|---|---|---|---|---|",
        ]
        for r in members:
            cells = [r.id, r.severity.value, r.summary, r.hint, r.source]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    lines += _notes()
    return "\n".join(lines)


def _notes() -> list[str]:
    """How the heuristic rules decide, with the thresholds in force."""
    from cehrs_items.validate import bank_rules, lint

    return [
        "## How the heuristic rules decide",
        "",
        f"- **BANK009/BANK010**: stems are lower-cased, punctuation removed, and cut into "
        f"character {bank_rules.SHINGLE_SIZE}-grams; two stems are near-duplicates when the "
        f"Jaccard similarity of those sets is at least "
        f"{bank_rules.NEAR_DUPLICATE_THRESHOLD} (identical after normalising: BANK009). "
        "Pairs declared enemies, and pairs with a retired item, are exempt.",
        "- **IW003**: always, never, completely, absolutely (and similar) count anywhere in "
        "an option; all, only, none, every only when the option makes a claim (has a verb "
        "such as must, may, is, requires).",
        "- **IW004**: only the question sentence's main clause counts; a negative inside a "
        "condition (if the patient has not signed, ...) does not. EXCEPT counts anywhere; "
        "words in capitals are emphasised.",
        f"- **IW005**: the key is at least {lint.KEY_LONGER_RATIO} times the mean distractor "
        f"length, {lint.KEY_LONGER_THAN_NEXT} times the longest distractor, and "
        f"{lint.KEY_LONGER_CHARS} characters longer than it.",
        f"- **IW006**: the longest option is at least {lint.IMBALANCE_RATIO} times the "
        f"shortest and {lint.IMBALANCE_CHARS} characters longer (not reported when IW005 is).",
        "- **IW007**: the stem's last word is 'a' or 'an' and an option starts with the other "
        "sound; acronyms read either way (MRI, HIPAA) are not judged.",
        f"- **IW008**: at least {lint.CLANG_MIN_WORDS} content words (four letters or more, "
        "not common or generic EHR words, plurals folded) appear in the stem and the key but "
        "in no distractor.",
        "- An item with schema errors still gets every check whose fields are fine.",
        "",
    ]
