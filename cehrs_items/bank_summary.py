"""``bank summary``: what a bank holds and how many forms it can fill.

Counts by domain and status, by subdomain, by key letter (with shares), by cognitive
level, enemy pairs, the statistics table's coverage, and a check against the blueprint:
how many non-overlapping forms the operational items can fill (per domain, and per
subdomain minimum), how many pretest blocks the pretest items can fill, and which
constraint binds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cehrs_items.bank import Bank, load_bank
from cehrs_items.blueprint import Blueprint, default_blueprint_path, load_blueprint
from cehrs_items.responses import LETTERS

STATUSES = ("draft", "review", "pretest", "operational", "retired")
COGNITIVE_LEVELS = ("recall", "application", "analysis")


@dataclass(frozen=True)
class BankSummary:
    """Every table of the summary (Polars frames) plus the form-capacity verdict.

    ``capacity`` has one row per constraint: ``constraint`` (e.g. ``domain 1``,
    ``subdomain 1.2``), ``name``, ``role`` (``scored``/``pretest``), ``available`` (items
    of the right status), ``per_form`` (blueprint requirement) and ``forms``
    (``available // per_form``) and ``ratio`` (``available / per_form``).
    ``scored_forms``/``pretest_forms`` are the minima of ``forms`` over their rows,
    ``forms`` the smaller of the two; ``binding_*`` name the constraints with the smallest
    ``ratio`` (the bottleneck as items are added).
    """

    bank: str
    blueprint_id: str
    n_items: int
    by_domain_status: pl.DataFrame
    by_subdomain: pl.DataFrame
    by_key: pl.DataFrame
    by_cognitive_level: pl.DataFrame
    capacity: pl.DataFrame
    scored_forms: int
    pretest_forms: int
    binding_scored: list[str]
    binding_pretest: list[str]
    enemy_pairs: int
    key_balance: tuple[float, float]
    statistics: dict[str, Any] = field(default_factory=dict)

    @property
    def forms(self) -> int:
        return min(self.scored_forms, self.pretest_forms)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the summary (tables as lists of row objects)."""
        return {
            "version": 1,
            "bank": self.bank,
            "blueprint_id": self.blueprint_id,
            "items": self.n_items,
            "by_domain_status": self.by_domain_status.to_dicts(),
            "by_subdomain": self.by_subdomain.to_dicts(),
            "by_key": self.by_key.to_dicts(),
            "by_cognitive_level": self.by_cognitive_level.to_dicts(),
            "enemy_pairs": self.enemy_pairs,
            "key_balance": {"min_share": self.key_balance[0], "max_share": self.key_balance[1]},
            "forms": {
                "complete": self.forms,
                "scored": self.scored_forms,
                "pretest": self.pretest_forms,
                "binding_scored": self.binding_scored,
                "binding_pretest": self.binding_pretest,
                "constraints": self.capacity.to_dicts(),
            },
            "statistics": self.statistics,
        }


def _count_table(frame: pl.DataFrame, column: str, values: tuple[str, ...]) -> pl.DataFrame:
    counts = dict(frame.group_by(column).len().iter_rows())
    rows = [v for v in values] + sorted(v for v in counts if v not in values)
    total = max(frame.height, 1)
    return pl.DataFrame(
        {
            column: rows,
            "n": [int(counts.get(v, 0)) for v in rows],
            "share": [counts.get(v, 0) / total for v in rows],
        },
        schema={column: pl.String, "n": pl.Int64, "share": pl.Float64},
    )


def summarize_bank(bank: Bank, blueprint: Blueprint) -> BankSummary:
    """Summarise a loaded bank against a blueprint (see :class:`BankSummary`)."""
    frame = bank.to_frame()
    names = {d.domain: d for d in blueprint.domains}
    # domain x status
    domain_rows = []
    domains = [d.domain for d in blueprint.domains] + sorted(
        set(frame.get_column("domain").to_list()) - set(names)
    )
    for number in domains:
        part = frame.filter(pl.col("domain") == number)
        dom = names.get(number)
        row: dict[str, Any] = {
            "domain": number,
            "code": dom.code if dom else "",
            "name": dom.name if dom else "(not in blueprint)",
        }
        for status in STATUSES:
            row[status] = int((part.get_column("status") == status).sum())
        row["total"] = part.height
        domain_rows.append(row)
    by_domain = pl.DataFrame(
        domain_rows,
        schema={
            "domain": pl.Int64,
            "code": pl.String,
            "name": pl.String,
            **{s: pl.Int64 for s in STATUSES},
            "total": pl.Int64,
        },
    )
    # subdomains
    sub_rows = []
    known_subs = []
    for dom in blueprint.domains:
        for sub in dom.subdomains:
            known_subs.append(sub.code)
            part = frame.filter(pl.col("subdomain") == sub.code)
            sub_rows.append(
                {
                    "subdomain": sub.code,
                    "domain": dom.domain,
                    "name": sub.name,
                    "operational": int((part["status"] == "operational").sum()),
                    "pretest": int((part["status"] == "pretest").sum()),
                    "other": int((~part["status"].is_in(["operational", "pretest"])).sum()),
                    "total": part.height,
                    "min_scored": sub.min_scored,
                }
            )
    for code in sorted(set(frame.get_column("subdomain").to_list()) - set(known_subs)):
        part = frame.filter(pl.col("subdomain") == code)
        sub_rows.append(
            {
                "subdomain": code,
                "domain": int(part["domain"][0]),
                "name": "(not in blueprint)",
                "operational": int((part["status"] == "operational").sum()),
                "pretest": int((part["status"] == "pretest").sum()),
                "other": int((~part["status"].is_in(["operational", "pretest"])).sum()),
                "total": part.height,
                "min_scored": 0,
            }
        )
    by_sub = pl.DataFrame(
        sub_rows,
        schema={
            "subdomain": pl.String,
            "domain": pl.Int64,
            "name": pl.String,
            "operational": pl.Int64,
            "pretest": pl.Int64,
            "other": pl.Int64,
            "total": pl.Int64,
            "min_scored": pl.Int64,
        },
    )
    # keys: all items and the operational pool
    n_opt = blueprint.options_per_item or 4
    letters = tuple(LETTERS[:n_opt])
    all_keys = _count_table(frame, "key", letters)
    op_keys = _count_table(frame.filter(pl.col("status") == "operational"), "key", letters)
    by_key = all_keys.join(
        op_keys.rename({"n": "operational", "share": "share_operational"}),
        on="key",
        how="full",
        coalesce=True,
    ).with_columns(
        pl.col("n", "operational").fill_null(0), pl.col("share", "share_operational").fill_null(0.0)
    )
    by_key = by_key.sort(
        pl.col("key").replace_strict({k: i for i, k in enumerate(LETTERS)}, default=99)
    )
    by_level = _count_table(frame, "cognitive_level", COGNITIVE_LEVELS)
    # capacity
    cap_rows = []
    for dom in blueprint.domains:
        row = by_domain.filter(pl.col("domain") == dom.domain).row(0, named=True)
        for role, status, need in (
            ("scored", "operational", dom.scored_items),
            ("pretest", "pretest", dom.pretest_items),
        ):
            if need > 0:
                cap_rows.append(
                    {
                        "constraint": f"domain {dom.domain}",
                        "name": dom.name,
                        "role": role,
                        "available": row[status],
                        "per_form": need,
                        "forms": row[status] // need,
                    }
                )
    for dom in blueprint.domains:
        for sub in dom.subdomains:
            if sub.min_scored > 0:
                row = by_sub.filter(pl.col("subdomain") == sub.code).row(0, named=True)
                cap_rows.append(
                    {
                        "constraint": f"subdomain {sub.code}",
                        "name": sub.name,
                        "role": "scored",
                        "available": row["operational"],
                        "per_form": sub.min_scored,
                        "forms": row["operational"] // sub.min_scored,
                    }
                )
    capacity = pl.DataFrame(
        cap_rows,
        schema={
            "constraint": pl.String,
            "name": pl.String,
            "role": pl.String,
            "available": pl.Int64,
            "per_form": pl.Int64,
            "forms": pl.Int64,
        },
    )

    capacity = capacity.with_columns((pl.col("available") / pl.col("per_form")).alias("ratio"))

    def minimum(role: str) -> tuple[int, list[str]]:
        part = capacity.filter(pl.col("role") == role)
        if part.height == 0:
            return 0, []
        low = float(part["ratio"].min())
        kind = "operational" if role == "scored" else "pretest"
        binding = [
            f"{r['constraint']} {r['name']} ({r['available']} {kind} / {r['per_form']} per form)"
            for r in part.filter((pl.col("ratio") - low).abs() < 1e-12).iter_rows(named=True)
        ]
        return int(part["forms"].min()), binding

    scored_forms, binding_scored = minimum("scored")
    pretest_forms, binding_pretest = minimum("pretest")
    pairs = {
        tuple(sorted((i, e)))
        for i, enemies in frame.select("item_id", "enemies").iter_rows()
        for e in enemies
    }
    return BankSummary(
        bank=bank.root,
        blueprint_id=blueprint.id,
        n_items=frame.height,
        by_domain_status=by_domain,
        by_subdomain=by_sub,
        by_key=by_key,
        by_cognitive_level=by_level,
        capacity=capacity,
        scored_forms=scored_forms,
        pretest_forms=pretest_forms,
        binding_scored=binding_scored,
        binding_pretest=binding_pretest,
        enemy_pairs=len(pairs),
        key_balance=(blueprint.key_balance.min_share, blueprint.key_balance.max_share),
        statistics=_statistics(bank, frame),
    )


def _statistics(bank: Bank, frame: pl.DataFrame) -> dict[str, Any]:
    administered = frame.filter(pl.col("status").is_in(["operational", "pretest", "retired"]))
    if bank.stats is None:
        return {"table": False, "administered_items": administered.height}
    latest = bank.latest_stats()
    have = set(latest.get_column("item_id").to_list()) if latest is not None else set()
    missing = sorted(set(administered.get_column("item_id").to_list()) - have)
    sources = dict(bank.stats.group_by("source").len().sort("source").iter_rows())
    out: dict[str, Any] = {
        "table": True,
        "rows": bank.stats.height,
        "sources": {k: int(v) for k, v in sources.items()},
        "administered_items": administered.height,
        "items_with_statistics": len(have),
        "administered_without_statistics": missing,
    }
    if latest is not None and latest.height:
        p = latest.get_column("p_value").drop_nulls()
        r = latest.get_column("item_total_r").drop_nulls()
        if p.len():
            out["p_value"] = {"mean": float(p.mean()), "min": float(p.min()), "max": float(p.max())}
        if r.len():
            out["item_total_r"] = {
                "mean": float(r.mean()),
                "min": float(r.min()),
                "max": float(r.max()),
            }
    return out


def bank_summary(bank: str | Path, *, blueprint: str | Path | None = None) -> BankSummary:
    """Load the bank at ``bank`` and its blueprint (default ``<bank>/blueprint.yaml``) and
    summarise it (:func:`summarize_bank`). Raises DataError for an invalid bank (run
    ``cehrs-items validate``) and BlueprintError for a bad blueprint."""
    loaded = load_bank(bank)
    bp = load_blueprint(Path(blueprint) if blueprint else default_blueprint_path(bank))
    return summarize_bank(loaded, bp)


# ------------------------------------------------------------------------- rendering


def _table(headers: list[str], rows: list[list[Any]], right: set[int]) -> list[str]:
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for r in cells:
        parts = [
            r[i].rjust(widths[i]) if i in right else r[i].ljust(widths[i])
            for i in range(len(headers))
        ]
        out.append("  ".join(parts).rstrip())
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _binding(constraints: list[str]) -> str:
    """Binding constraints for the text report: up to three, domains first."""
    if not constraints:
        return "-"
    domains = [c for c in constraints if c.startswith("domain ")]
    subs = [c for c in constraints if not c.startswith("domain ")]
    shown = (domains + subs)[:3]
    text = "; ".join(shown)
    if len(constraints) > len(shown):
        text += f"; and {len(constraints) - len(shown)} more, see the table"
    return text


def render_text(summary: BankSummary) -> str:
    """Plain-text report of a :class:`BankSummary` (stable, no colour)."""
    s = summary
    lines = [f"Bank {s.bank}: {s.n_items} items (blueprint {s.blueprint_id})", ""]
    lines.append("Items by domain and status")
    d = s.by_domain_status
    rows = [
        [r["domain"], r["code"], r["name"], *[r[x] for x in STATUSES], r["total"]]
        for r in d.iter_rows(named=True)
    ]
    rows.append(["", "", "total", *[int(d[x].sum()) for x in STATUSES], int(d["total"].sum())])
    lines += _table(
        ["domain", "code", "name", *STATUSES, "total"], rows, right={0, 3, 4, 5, 6, 7, 8}
    )
    lines += ["", "Items by subdomain"]
    rows = [
        [
            r["subdomain"],
            r["name"],
            r["operational"],
            r["pretest"],
            r["other"],
            r["total"],
            r["min_scored"],
        ]
        for r in s.by_subdomain.iter_rows(named=True)
    ]
    lines += _table(
        ["subdomain", "name", "operational", "pretest", "other", "total", "min/form"],
        rows,
        right={2, 3, 4, 5, 6},
    )
    lo, hi = s.key_balance
    lines += ["", f"Key letters (blueprint balance {_pct(lo)}-{_pct(hi)} per letter)"]
    rows = []
    for r in s.by_key.iter_rows(named=True):
        flag = "" if lo <= r["share_operational"] <= hi else "outside balance"
        rows.append(
            [
                r["key"],
                r["n"],
                _pct(r["share"]),
                r["operational"],
                _pct(r["share_operational"]),
                flag,
            ]
        )
    lines += _table(["key", "all", "share", "operational", "share", ""], rows, right={1, 2, 3, 4})
    lines += ["", "Cognitive level"]
    rows = [
        [r["cognitive_level"], r["n"], _pct(r["share"])]
        for r in s.by_cognitive_level.iter_rows(named=True)
    ]
    lines += _table(["level", "items", "share"], rows, right={1, 2})
    lines += ["", f"Enemy pairs: {s.enemy_pairs}"]
    st = s.statistics
    if st.get("table"):
        src = ", ".join(f"{k} {v}" for k, v in st["sources"].items())
        lines.append(
            f"Statistics table: {st['rows']} rows ({src}); {st['items_with_statistics']} items "
            f"with statistics, {len(st['administered_without_statistics'])} administered items without"
        )
        if "p_value" in st:
            p, r = st["p_value"], st.get("item_total_r")
            text = f"  latest p-value mean {p['mean']:.3f} (range {p['min']:.2f}-{p['max']:.2f})"
            if r:
                text += (
                    f"; point-biserial mean {r['mean']:.3f} (range {r['min']:.2f}-{r['max']:.2f})"
                )
            lines.append(text)
    else:
        lines.append("Statistics table: none (run `cehrs-items simulate stats` or `calibrate`)")
    lines += ["", "Forms the bank can fill without reusing an item"]
    rows = [
        [r["constraint"], r["name"], r["role"], r["available"], r["per_form"], r["forms"]]
        for r in s.capacity.iter_rows(named=True)
    ]
    lines += _table(
        ["constraint", "name", "role", "available", "per form", "forms"], rows, right={3, 4, 5}
    )
    lines.append("")
    lines.append(f"Scored sections: {s.scored_forms} (binding: {_binding(s.binding_scored)})")
    lines.append(f"Pretest blocks: {s.pretest_forms} (binding: {_binding(s.binding_pretest)})")
    lines.append(f"Complete forms: {s.forms}")
    return "\n".join(lines) + "\n"
