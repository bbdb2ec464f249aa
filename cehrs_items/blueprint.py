"""The blueprint: the CEHRS test plan as data (form size, domains, pretest slots, scale).

Every number the assembler, scaler and reports use comes from the blueprint file
(``item_bank/blueprint.yaml``, contract ``schemas/blueprint.schema.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cehrs_items.contracts import validator
from cehrs_items.errors import BlueprintError
from cehrs_items.io import sha256_bytes
from cehrs_items.items.loader import load_document


@dataclass(frozen=True)
class Subdomain:
    code: str
    name: str
    min_scored: int = 0


@dataclass(frozen=True)
class Domain:
    domain: int
    code: str
    name: str
    scored_items: int
    pretest_items: int
    subdomains: tuple[Subdomain, ...]
    weight: float | None = None


@dataclass(frozen=True)
class Scale:
    name: str
    min: int
    max: int
    passing: int
    raw_cut: float
    upper_anchor_raw: float | None = None
    upper_anchor_scaled: float | None = None
    rounding: str = "half_up"


@dataclass(frozen=True)
class KeyBalance:
    min_share: float = 0.0
    max_share: float = 1.0
    max_run: int | None = None


@dataclass(frozen=True)
class Blueprint:
    """A validated blueprint. ``sha256`` is the hash of the file's bytes."""

    id: str
    version: int
    title: str
    scored_items: int
    pretest_items: int
    time_minutes: int
    options_per_item: int | None
    key_balance: KeyBalance
    domains: tuple[Domain, ...]
    scale: Scale
    sha256: str = ""
    path: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def total_items(self) -> int:
        return self.scored_items + self.pretest_items

    def domain(self, number: int) -> Domain:
        for d in self.domains:
            if d.domain == number:
                return d
        raise BlueprintError(f"{self.path}: no domain {number} in blueprint {self.id}")

    @property
    def domain_numbers(self) -> tuple[int, ...]:
        return tuple(d.domain for d in self.domains)

    @property
    def subdomain_codes(self) -> dict[str, int]:
        """Subdomain code -> domain number."""
        return {s.code: d.domain for d in self.domains for s in d.subdomains}

    @property
    def prefix_by_domain(self) -> dict[int, str]:
        return {d.domain: d.code for d in self.domains}


def blueprint_from_data(data: Any, *, path: str = "<blueprint>", sha256: str = "") -> Blueprint:
    """Validate blueprint data against its schema and internal consistency; build a Blueprint."""
    errors = sorted(validator("blueprint").iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise BlueprintError(
            f"{path}: field {where}: {first.message} ({len(errors)} schema error(s) in all)"
        )
    form = data["form"]
    kb = form.get("key_balance", {})
    domains = tuple(
        Domain(
            domain=d["domain"],
            code=d["code"],
            name=d["name"],
            scored_items=d["scored_items"],
            pretest_items=d["pretest_items"],
            weight=d.get("weight"),
            subdomains=tuple(
                Subdomain(s["code"], s["name"], s.get("min_scored", 0)) for s in d["subdomains"]
            ),
        )
        for d in data["domains"]
    )
    sc = data["scale"]
    upper = sc.get("upper_anchor") or {}
    bp = Blueprint(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        scored_items=form["scored_items"],
        pretest_items=form["pretest_items"],
        time_minutes=form["time_minutes"],
        options_per_item=form.get("options_per_item"),
        key_balance=KeyBalance(
            kb.get("min_share", 0.0), kb.get("max_share", 1.0), kb.get("max_run")
        ),
        domains=domains,
        scale=Scale(
            name=sc["name"],
            min=sc["min"],
            max=sc["max"],
            passing=sc["passing"],
            raw_cut=sc["raw_cut"],
            upper_anchor_raw=upper.get("raw"),
            upper_anchor_scaled=upper.get("scaled"),
            rounding=sc.get("rounding", "half_up"),
        ),
        sha256=sha256,
        path=path,
        raw=data,
    )
    _check_consistency(bp)
    return bp


def _check_consistency(bp: Blueprint) -> None:
    p = bp.path
    numbers = [d.domain for d in bp.domains]
    if len(set(numbers)) != len(numbers):
        raise BlueprintError(f"{p}: domain numbers repeat: {numbers}")
    codes = [d.code for d in bp.domains]
    if len(set(codes)) != len(codes):
        raise BlueprintError(f"{p}: domain codes repeat: {codes}")
    scored = sum(d.scored_items for d in bp.domains)
    if scored != bp.scored_items:
        raise BlueprintError(
            f"{p}: domain scored_items add up to {scored}, but form.scored_items is {bp.scored_items}"
        )
    pretest = sum(d.pretest_items for d in bp.domains)
    if pretest != bp.pretest_items:
        raise BlueprintError(
            f"{p}: domain pretest_items add up to {pretest}, but form.pretest_items is "
            f"{bp.pretest_items}"
        )
    seen: set[str] = set()
    for d in bp.domains:
        for s in d.subdomains:
            if s.code in seen:
                raise BlueprintError(f"{p}: subdomain {s.code} is listed twice")
            seen.add(s.code)
            if not s.code.startswith(f"{d.domain}."):
                raise BlueprintError(
                    f"{p}: subdomain {s.code} is listed under domain {d.domain}; "
                    f"its code must start with '{d.domain}.'"
                )
        mins = sum(s.min_scored for s in d.subdomains)
        if mins > d.scored_items:
            raise BlueprintError(
                f"{p}: domain {d.domain} subdomain minimums add up to {mins}, more than its "
                f"{d.scored_items} scored items"
            )
    sc = bp.scale
    if not sc.min <= sc.passing <= sc.max:
        raise BlueprintError(
            f"{p}: scale.passing {sc.passing} must lie between scale.min {sc.min} and "
            f"scale.max {sc.max}"
        )
    if not 0 <= sc.raw_cut <= bp.scored_items:
        raise BlueprintError(
            f"{p}: scale.raw_cut {sc.raw_cut} must lie between 0 and {bp.scored_items} scored items"
        )
    kb = bp.key_balance
    if kb.min_share > kb.max_share:
        raise BlueprintError(f"{p}: form.key_balance.min_share exceeds max_share")


def load_blueprint(path: str | Path) -> Blueprint:
    """Read, validate and return the blueprint at ``path``; raise BlueprintError if invalid."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BlueprintError(f"{path}: cannot read blueprint: {exc.strerror or exc}") from exc
    doc = load_document(path)
    if not doc.ok:
        f = doc.findings[0]
        raise BlueprintError(f"{path}:{f.line}:{f.col}: {f.message}")
    return blueprint_from_data(doc.data, path=str(path), sha256=sha256_bytes(raw))


def default_blueprint_path(bank_dir: str | Path) -> Path:
    """Where a bank keeps its blueprint: ``<bank>/blueprint.yaml``.

    Raises BlueprintError, saying that this is the ``--blueprint`` default and where it
    looked, when the file is not there.
    """
    path = Path(bank_dir) / "blueprint.yaml"
    if not path.is_file():
        raise BlueprintError(
            f"{path}: no blueprint (the --blueprint default, <bank>/blueprint.yaml, looked for "
            f"in {Path(bank_dir).resolve()}); give --blueprint FILE"
        )
    return path
