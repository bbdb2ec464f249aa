"""``form check``: re-verify assembled (or hand-made) forms against the bank and blueprint.

Every violation becomes a :class:`~cehrs_items.findings.Finding` with rule id ``FORM…``
at the line of the offending position entry in the form file; nothing is printed or
raised over bad content (an unreadable or schema-invalid form file is a finding too).
The rules are the assembler's constraint groups (see
:mod:`cehrs_items.assembly.constraints`) plus the sequencing rules (key runs, pretest
spread), so a form written by ``assemble`` passes by construction and a hand-made one
is held to the same standard.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cehrs_items.assembly.constraints import key_bounds_for, largest_remainder
from cehrs_items.assembly.sequence import max_pretest_gap, pretest_gaps
from cehrs_items.bank import Bank, load_bank
from cehrs_items.blueprint import Blueprint, load_blueprint
from cehrs_items.catalogue import Rule, command_rules
from cehrs_items.contracts import validator
from cehrs_items.errors import CehrsError
from cehrs_items.findings import Finding, Severity, sort_findings
from cehrs_items.forms import Form, form_from_data
from cehrs_items.items.loader import LoadedDocument, load_document

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

RULES: dict[str, Rule] = command_rules("form check")
"""The FORM rules by id, from the rule catalogue (:mod:`cehrs_items.catalogue.form`)."""


@dataclass
class CheckResult:
    """Findings of a ``form check`` run (sorted) and the forms that could be read."""

    findings: list[Finding]
    forms: list[Form] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)


class _Locator:
    """Finding factory that places a finding at a position entry's line in the file."""

    def __init__(self, path: str, doc: LoadedDocument | None, form: Form) -> None:
        self.path = path
        self.doc = doc
        self.index = {p["position"]: j for j, p in enumerate(form.data["positions"])}

    def at(self, rule: str, message: str, position: int | None = None, field_: str | None = None):
        line = col = None
        if self.doc is not None:
            if position is not None and position in self.index:
                path: tuple = ("positions", self.index[position])
                if field_ is not None:
                    path = (*path, field_)
                line, col = self.doc.position(path)
            elif field_ is not None:
                line, col = self.doc.position((field_,))
        return RULES[rule].finding(self.path, line, col, message)


def _read(path: str | Path) -> tuple[Form | None, LoadedDocument | None, list[Finding]]:
    display = str(path)
    try:
        doc = load_document(path)
    except OSError as exc:
        msg = f"cannot read form file: {exc.strerror or exc}"
        return None, None, [RULES["FORM000"].finding(display, None, None, msg)]
    if not doc.ok:
        return (
            None,
            doc,
            [RULES["FORM000"].finding(display, f.line, f.col, f.message) for f in doc.findings],
        )
    schema_errors = sorted(
        validator("form").iter_errors(doc.data), key=lambda e: [str(x) for x in e.absolute_path]
    )
    if schema_errors:
        out = []
        for error in schema_errors:
            path = tuple(error.absolute_path)
            where = "/".join(str(x) for x in path) or "(top level)"
            line, col = doc.position(path)
            out.append(
                RULES["FORM000"].finding(display, line, col, f"field {where}: {error.message}")
            )
        return None, doc, out
    try:
        form = form_from_data(doc.data, path=display)
    except CehrsError as exc:
        message = str(exc).removeprefix(f"{display}: ")
        line, col = None, None
        if isinstance(doc.data, dict):
            line, col = doc.position(())
        return None, doc, [RULES["FORM000"].finding(display, line, col, message)]
    return form, doc, []


def _recorded(form: Form, name: str) -> Any:
    solver = form.data.get("solver") or {}
    settings = solver.get("settings") or {}
    return settings.get(name)


@dataclass
class _FormContext:
    """What every step of :func:`check_form` reads: the form, bank, blueprint and options."""

    form: Form
    bank: Bank
    blueprint: Blueprint
    loc: _Locator
    base_form: Form | None = None
    anchor_items: int | None = None
    pretest_gap_factor: float = 2.0

    @property
    def positions(self) -> list[dict]:
        return self.form.positions

    @property
    def scored(self) -> list[dict]:
        return [p for p in self.form.positions if p["role"] == "scored"]

    @property
    def pretest(self) -> list[dict]:
        return [p for p in self.form.positions if p["role"] == "pretest"]

    def bank_field(self, p: dict, name: str):
        """The bank's value of ``name`` for the position's item (the form's if unknown)."""
        item = self.bank.items.get(p["item_id"])
        if item is None:
            return p.get(name)
        return getattr(item, name)


def _check_positions(c: _FormContext) -> list[Finding]:
    """FORM007: positions numbered 1..N without gaps."""
    loc = c.loc
    positions = c.positions
    out: list[Finding] = []
    numbers = [p["position"] for p in positions]
    if numbers != list(range(1, len(numbers) + 1)):
        missing = sorted(set(range(1, len(numbers) + 1)) - set(numbers))
        out.append(
            loc.at(
                "FORM007",
                f"positions must run 1..{len(numbers)} without gaps"
                + (f" (missing {', '.join(map(str, missing[:5]))})" if missing else ""),
                field_="positions",
            )
        )
    return out


def _check_provenance(c: _FormContext) -> list[Finding]:
    """FORM017, FORM018: the blueprint and bank the form was built from."""
    form = c.form
    bank = c.bank
    blueprint = c.blueprint
    loc = c.loc
    out: list[Finding] = []
    if form.data.get("blueprint_id") != blueprint.id:
        out.append(
            loc.at(
                "FORM017",
                f"form names blueprint {form.data.get('blueprint_id')!r}, checked against "
                f"{blueprint.id!r}",
                field_="blueprint_id",
            )
        )
    elif blueprint.sha256 and form.data.get("blueprint_sha256") not in (None, blueprint.sha256):
        out.append(
            loc.at(
                "FORM017",
                f"blueprint {blueprint.id} changed since the form was built (sha256 differs)",
                field_="blueprint_sha256",
            )
        )
    if form.data.get("bank_sha256") not in (None, bank.content_sha256):
        out.append(
            loc.at(
                "FORM018",
                "bank content changed since the form was built (bank_sha256 differs)",
                field_="bank_sha256",
            )
        )
    return out


def _check_role_counts(c: _FormContext) -> list[Finding]:
    """FORM006: the numbers of scored and pretest items."""
    blueprint = c.blueprint
    loc = c.loc
    scored = c.scored
    pretest = c.pretest
    out: list[Finding] = []
    for role, have, need in (
        ("scored", len(scored), blueprint.scored_items),
        ("pretest", len(pretest), blueprint.pretest_items),
    ):
        if have != need:
            out.append(
                loc.at(
                    "FORM006",
                    f"{have} {role} items; blueprint {blueprint.id} needs {need}",
                    field_="positions",
                )
            )
    return out


def _check_items(c: _FormContext) -> list[Finding]:
    """FORM001-FORM005: each position's item against the bank (exists, version, domain, subdomain, key, status)."""
    bank = c.bank
    loc = c.loc
    positions = c.positions
    items = c.bank.items
    out: list[Finding] = []
    items = bank.items
    for p in positions:
        pos, item_id = p["position"], p["item_id"]
        item = items.get(item_id)
        if item is None:
            out.append(loc.at("FORM001", f"item {item_id} is not in the bank", pos, "item_id"))
            continue
        if item.version != p["item_version"]:
            out.append(
                loc.at(
                    "FORM002",
                    f"item {item_id} is version {p['item_version']} on the form but "
                    f"{item.version} in the bank",
                    pos,
                    "item_version",
                )
            )
        for name, recorded, actual in (
            ("domain", p["domain"], item.domain),
            ("subdomain", p.get("subdomain", item.subdomain), item.subdomain),
            ("key", p["key"], item.key),
        ):
            if recorded != actual:
                out.append(
                    loc.at(
                        "FORM003",
                        f"item {item_id}: {name} is {recorded!r} on the form but {actual!r} "
                        "in the bank",
                        pos,
                        name,
                    )
                )
        if p["role"] == "scored" and item.status != "operational":
            out.append(
                loc.at(
                    "FORM004",
                    f"item {item_id} is scored but its status is {item.status}",
                    pos,
                    "role",
                )
            )
        if p["role"] == "pretest" and item.status != "pretest":
            out.append(
                loc.at(
                    "FORM005",
                    f"item {item_id} fills a pretest slot but its status is {item.status}",
                    pos,
                    "role",
                )
            )
    return out


def _check_blueprint_counts(c: _FormContext) -> list[Finding]:
    """FORM008-FORM010: scored and pretest counts per domain, subdomain minimums."""
    blueprint = c.blueprint
    loc = c.loc
    scored = c.scored
    pretest = c.pretest
    bank_field = c.bank_field
    out: list[Finding] = []
    dom_scored = Counter(bank_field(p, "domain") for p in scored)
    dom_pretest = Counter(bank_field(p, "domain") for p in pretest)
    for d in blueprint.domains:
        if dom_scored.get(d.domain, 0) != d.scored_items:
            out.append(
                loc.at(
                    "FORM008",
                    f"domain {d.domain} ({d.name}) has {dom_scored.get(d.domain, 0)} scored "
                    f"items; the blueprint needs {d.scored_items}",
                    field_="positions",
                )
            )
        if dom_pretest.get(d.domain, 0) != d.pretest_items:
            out.append(
                loc.at(
                    "FORM010",
                    f"domain {d.domain} ({d.name}) has {dom_pretest.get(d.domain, 0)} pretest "
                    f"items; the blueprint needs {d.pretest_items}",
                    field_="positions",
                )
            )
    sub_scored = Counter(bank_field(p, "subdomain") for p in scored)
    for d in blueprint.domains:
        for s in d.subdomains:
            if sub_scored.get(s.code, 0) < s.min_scored:
                out.append(
                    loc.at(
                        "FORM009",
                        f"subdomain {s.code} ({s.name}) has {sub_scored.get(s.code, 0)} scored "
                        f"items; the blueprint's minimum is {s.min_scored}",
                        field_="positions",
                    )
                )
    known_domains = set(blueprint.domain_numbers)
    for d in sorted(set(dom_scored) | set(dom_pretest)):
        if d not in known_domains:
            out.append(
                loc.at(
                    "FORM008", f"domain {d} is not in blueprint {blueprint.id}", field_="positions"
                )
            )
    return out


def _check_enemies(c: _FormContext) -> list[Finding]:
    """FORM011: no two enemy items on the form (declared on either item)."""
    loc = c.loc
    positions = c.positions
    items = c.bank.items
    out: list[Finding] = []
    on_form = {p["item_id"]: p["position"] for p in positions}
    pairs: set[tuple[str, str]] = set()
    for item_id in on_form:
        item = items.get(item_id)
        if item is None:
            continue
        for other in item.enemies:
            if other in on_form and other != item_id:
                pairs.add((min(item_id, other), max(item_id, other)))
    for a, b in sorted(pairs):
        first, later = sorted((on_form[a], on_form[b]))
        out.append(
            loc.at(
                "FORM011",
                f"items {a} and {b} are enemies but both are on the form "
                f"(positions {first} and {later})",
                later,
                "item_id",
            )
        )
    return out


def _check_key_balance(c: _FormContext) -> list[Finding]:
    """FORM012: each key letter's share of the scored items within the blueprint band."""
    blueprint = c.blueprint
    loc = c.loc
    scored = c.scored
    bank_field = c.bank_field
    out: list[Finding] = []
    keys_scored = Counter(bank_field(p, "key") for p in scored)
    bounds = key_bounds_for(blueprint, keys_scored.keys())
    n_scored = len(scored)
    for letter, (lo, hi) in bounds.items():
        have = keys_scored.get(letter, 0)
        if not lo <= have <= hi:
            share = have / n_scored if n_scored else 0.0
            out.append(
                loc.at(
                    "FORM012",
                    f"key {letter} on {have} of {n_scored} scored items ({share:.0%}); the "
                    f"blueprint allows {lo} to {hi}",
                    field_="positions",
                )
            )
    return out


def _check_key_runs(c: _FormContext) -> list[Finding]:
    """FORM013: no run of one key longer than max_run."""
    blueprint = c.blueprint
    loc = c.loc
    positions = c.positions
    bank_field = c.bank_field
    out: list[Finding] = []
    max_run = blueprint.key_balance.max_run
    if max_run is not None:
        keys = [bank_field(p, "key") for p in positions]
        run, start = 1, 0
        for j in range(1, len(keys) + 1):
            if j < len(keys) and keys[j] == keys[j - 1]:
                run += 1
                continue
            if run > max_run:
                first = positions[start]["position"]
                last = positions[j - 1]["position"]
                out.append(
                    loc.at(
                        "FORM013",
                        f"key {keys[start]} at {run} positions in a row ({first}-{last}); "
                        f"form.key_balance.max_run is {max_run}",
                        first,
                        "key",
                    )
                )
            run, start = 1, j
    return out


def _check_pretest_spread(c: _FormContext) -> list[Finding]:
    """FORM014: pretest items spread through the form."""
    loc = c.loc
    positions = c.positions
    pretest = c.pretest
    pretest_gap_factor = c.pretest_gap_factor
    n_total = c.blueprint.total_items
    out: list[Finding] = []
    if pretest and len(positions) == n_total:
        limit = max_pretest_gap(len(positions), len(pretest), pretest_gap_factor)
        pre_pos = sorted(p["position"] for p in pretest)
        gaps = pretest_gaps(pre_pos, len(positions))
        pts = [0, *pre_pos, len(positions) + 1]
        for j, gap in enumerate(gaps):
            if gap > limit:
                a, b = pts[j], pts[j + 1]
                where = (
                    f"before position {b}"
                    if a == 0
                    else (
                        f"after position {a}"
                        if b == len(positions) + 1
                        else f"between positions {a} and {b}"
                    )
                )
                out.append(
                    loc.at(
                        "FORM014",
                        f"{gap - 1} positions without a pretest item {where}; at most "
                        f"{limit - 1} allowed for {len(pretest)} pretest items in "
                        f"{len(positions)} positions",
                        a if a else (b if b <= len(positions) else None),
                        "role",
                    )
                )
    return out


def _check_anchors(c: _FormContext) -> list[Finding]:
    """FORM015, FORM016, FORM021: anchors against the anchor form."""
    form = c.form
    blueprint = c.blueprint
    loc = c.loc
    positions = c.positions
    scored = c.scored
    bank_field = c.bank_field
    base_form = c.base_form
    anchor_items = c.anchor_items
    out: list[Finding] = []
    anchors = [p for p in positions if p.get("anchor")]
    for p in anchors:
        if p["role"] != "scored":
            out.append(
                loc.at(
                    "FORM015",
                    f"item {p['item_id']} is flagged anchor but is a pretest item",
                    p["position"],
                    "anchor",
                )
            )
    if base_form is not None:
        base_scored = {
            q["item_id"]: q["item_version"] for q in base_form.positions if q["role"] == "scored"
        }
        for p in anchors:
            if p["role"] != "scored":
                continue
            version = base_scored.get(p["item_id"])
            if version is None:
                out.append(
                    loc.at(
                        "FORM015",
                        f"item {p['item_id']} is flagged anchor but is not a scored item of "
                        f"anchor form {base_form.form_id}",
                        p["position"],
                        "anchor",
                    )
                )
            elif version != p["item_version"]:
                out.append(
                    loc.at(
                        "FORM015",
                        f"anchor {p['item_id']} is version {p['item_version']} here but "
                        f"{version} on anchor form {base_form.form_id}",
                        p["position"],
                        "anchor",
                    )
                )
        for p in scored:
            if not p.get("anchor") and base_scored.get(p["item_id"]) == p["item_version"]:
                out.append(
                    loc.at(
                        "FORM021",
                        f"item {p['item_id']} is a scored item of anchor form "
                        f"{base_form.form_id} but is not flagged anchor",
                        p["position"],
                        "item_id",
                    )
                )
        if anchor_items is None:
            anchor_items = _recorded(form, "anchor_items")
        if anchor_items is not None:
            need = largest_remainder(
                int(anchor_items), {d.domain: d.scored_items for d in blueprint.domains}
            )
            valid = [
                p
                for p in anchors
                if p["role"] == "scored" and base_scored.get(p["item_id"]) == p["item_version"]
            ]
            if len(valid) != anchor_items:
                out.append(
                    loc.at(
                        "FORM016",
                        f"{len(valid)} valid anchor items; {anchor_items} required",
                        field_="positions",
                    )
                )
            have = Counter(bank_field(p, "domain") for p in valid)
            for d, n_need in sorted(need.items()):
                if len(valid) == anchor_items and have.get(d, 0) != n_need:
                    out.append(
                        loc.at(
                            "FORM016",
                            f"domain {d} has {have.get(d, 0)} anchor items; {n_need} of "
                            f"{anchor_items} in proportion to the blueprint",
                            field_="positions",
                        )
                    )
    return out


CHECK_STEPS: tuple[tuple[str, Callable[[_FormContext], list[Finding]]], ...] = (
    ("positions", _check_positions),
    ("provenance", _check_provenance),
    ("role_counts", _check_role_counts),
    ("items", _check_items),
    ("blueprint_counts", _check_blueprint_counts),
    ("enemies", _check_enemies),
    ("key_balance", _check_key_balance),
    ("key_runs", _check_key_runs),
    ("pretest_spread", _check_pretest_spread),
    ("anchors", _check_anchors),
)
"""The steps of :func:`check_form` in order, by name; each returns its findings and can
be run alone on a :class:`_FormContext` (see the tests)."""


def check_form(
    form: Form,
    *,
    bank: Bank,
    blueprint: Blueprint,
    base_form: Form | None = None,
    anchor_items: int | None = None,
    pretest_gap_factor: float = 2.0,
    document: LoadedDocument | None = None,
) -> list[Finding]:
    """Every violation of one form against the bank and blueprint, sorted.

    ``anchor_items`` (default: as recorded in the form by ``assemble``) is checked only
    when ``base_form`` is given; ``document`` gives findings their line numbers.
    """
    context = _FormContext(
        form=form,
        bank=bank,
        blueprint=blueprint,
        loc=_Locator(form.path, document, form),
        base_form=base_form,
        anchor_items=anchor_items,
        pretest_gap_factor=pretest_gap_factor,
    )
    out: list[Finding] = []
    for _, step in CHECK_STEPS:
        out.extend(step(context))
    return sort_findings(out)


def _overlap_findings(
    forms: list[Form], max_overlap: int | None, max_exposure: int | None
) -> list[Finding]:
    out: list[Finding] = []
    if len(forms) < 2:
        return out
    scored_sets = [set(f.scored_item_ids) for f in forms]
    if max_overlap is not None:
        for a in range(len(forms)):
            for b in range(a + 1, len(forms)):
                shared = scored_sets[a] & scored_sets[b]
                if len(shared) > max_overlap:
                    out.append(
                        RULES["FORM019"].finding(
                            forms[a].path,
                            None,
                            None,
                            f"forms {forms[a].form_id} and {forms[b].form_id} share "
                            f"{len(shared)} scored items; at most {max_overlap} allowed",
                        )
                    )
    if max_exposure is not None:
        count = Counter(i for f in forms for i in f.item_ids())
        for item_id, n in sorted(count.items()):
            if n > max_exposure:
                on = [f.form_id for f in forms if item_id in f.item_ids()]
                out.append(
                    RULES["FORM020"].finding(
                        forms[0].path,
                        None,
                        None,
                        f"item {item_id} is on {n} forms ({', '.join(on)}); at most "
                        f"{max_exposure} allowed",
                    )
                )
    return out


def check_forms(
    paths: list[str | Path],
    *,
    bank: Bank | str | Path,
    blueprint: Blueprint | str | Path,
    anchor_form: Form | str | Path | None = None,
    anchor_items: int | None = None,
    max_overlap: int | None = None,
    max_exposure: int | None = None,
    pretest_gap_factor: float = 2.0,
) -> CheckResult:
    """Check form files against a bank and blueprint; with several forms, overlap and exposure.

    ``max_overlap``/``max_exposure`` default to the values recorded in the forms by
    ``assemble`` (when they agree), so a set of assembled forms is checked against the
    limits it was built with. Unreadable bank or blueprint raise (exit 2); problems in
    the form files are findings.
    """
    bank = bank if isinstance(bank, Bank) else load_bank(bank)
    blueprint = blueprint if isinstance(blueprint, Blueprint) else load_blueprint(blueprint)
    base: Form | None = None
    findings: list[Finding] = []
    if anchor_form is not None:
        if isinstance(anchor_form, Form):
            base = anchor_form
        else:
            base, _, problems = _read(anchor_form)
            if base is None:
                from cehrs_items.errors import InputError

                raise InputError(f"{anchor_form}: anchor form unreadable: {problems[0].message}")
    forms: list[Form] = []
    for path in paths:
        form, doc, problems = _read(path)
        findings.extend(problems)
        if form is None:
            continue
        forms.append(form)
        findings.extend(
            check_form(
                form,
                bank=bank,
                blueprint=blueprint,
                base_form=base,
                anchor_items=anchor_items,
                pretest_gap_factor=pretest_gap_factor,
                document=doc,
            )
        )
    if len(forms) > 1:
        if max_overlap is None:
            recorded = {_recorded(f, "max_overlap") for f in forms}
            if len(recorded) == 1 and None not in recorded:
                max_overlap = recorded.pop()
        if max_exposure is None:
            recorded = {_recorded(f, "max_exposure") for f in forms}
            if len(recorded) == 1 and None not in recorded:
                max_exposure = recorded.pop()
        findings.extend(_overlap_findings(forms, max_overlap, max_exposure))
    ids = Counter(f.form_id for f in forms)
    for form_id, n in sorted(ids.items()):
        if n > 1:
            findings.append(
                RULES["FORM000"].finding(
                    forms[0].path,
                    None,
                    None,
                    f"form id {form_id} used by {n} files",
                    "Give every form its own form_id.",
                )
            )
    return CheckResult(sort_findings(findings), forms, [str(p) for p in paths])


def default_overlap(blueprint: Blueprint, share: float = 0.2) -> int:
    return int(math.floor(share * blueprint.scored_items + 1e-9))
