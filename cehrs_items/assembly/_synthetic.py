"""Synthetic banks for the assembly tests and benchmark (not public API).

Builds schema-valid item documents and a statistics table from a blueprint with a fixed
seed, in memory (:func:`synthetic_bank`) or on disk (:func:`write_synthetic_bank`). The
text is placeholder text marked ``SYNTHETIC``; the statistics are drawn so that the bank
behaves like a certification bank (3PL, mean p about .70 at theta ~ N(0, 1)). The
point-biserials are a simple monotone function of the slope and are only plausible
placeholders, not model-implied values.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cehrs_items.bank import Bank
from cehrs_items.blueprint import Blueprint
from cehrs_items.io import atomic_write, dumps_json
from cehrs_items.irt.models import probability
from cehrs_items.item_stats import conform_item_stats, render_item_stats_csv
from cehrs_items.items.model import Item

_LETTERS = ("A", "B", "C", "D", "E")
_QUAD = np.linspace(-5.0, 5.0, 81)
_QUAD_W = np.exp(-0.5 * _QUAD**2)
_QUAD_W /= _QUAD_W.sum()


def _subdomain_weights(domain) -> tuple[list[str], np.ndarray]:
    codes = [s.code for s in domain.subdomains]
    w = np.array([max(s.min_scored, 1) for s in domain.subdomains], dtype=float)
    return codes, w / w.sum()


def synthetic_item_docs(
    blueprint: Blueprint,
    n_items: int,
    *,
    seed: int,
    pretest_share: float = 0.2,
    enemy_share: float = 0.04,
) -> list[dict[str, Any]]:
    """``n_items`` item documents spread over domains by blueprint weight (scored counts)."""
    rng = np.random.default_rng(seed)
    n_opt = blueprint.options_per_item or 4
    letters = _LETTERS[:n_opt]
    weights = np.array([d.scored_items + d.pretest_items for d in blueprint.domains], float)
    weights /= weights.sum()
    counts = np.floor(weights * n_items).astype(int)
    for k in np.argsort(-(weights * n_items - counts), kind="stable")[: n_items - counts.sum()]:
        counts[k] += 1
    docs: list[dict[str, Any]] = []
    for domain, count in zip(blueprint.domains, counts, strict=True):
        codes, sub_w = _subdomain_weights(domain)
        subs = rng.choice(len(codes), size=count, p=sub_w)
        status = np.where(rng.random(count) < pretest_share, "pretest", "operational")
        keys = rng.integers(0, n_opt, size=count)
        for k in range(count):
            item_id = f"{domain.code}-{k + 1:04d}"
            docs.append(
                {
                    "id": item_id,
                    "version": 1,
                    "status": str(status[k]),
                    "domain": domain.domain,
                    "subdomain": codes[subs[k]],
                    "stem": f"SYNTHETIC item {item_id}: which EHR function applies in case {k}?",
                    "options": {lt: f"Synthetic option {lt} of {item_id}" for lt in letters},
                    "key": letters[keys[k]],
                    "rationale": {letters[keys[k]]: "Synthetic key."},
                    "references": ["Synthetic reference"],
                    "cognitive_level": "recall",
                    "enemies": [],
                    "author": "synthetic",
                    "reviewers": ["synthetic"],
                    "created": "2026-01-01",
                    "modified": "2026-01-01",
                }
            )
    # Enemy pairs inside a subdomain, declared on both items.
    by_sub: dict[str, list[int]] = {}
    for idx, doc in enumerate(docs):
        by_sub.setdefault(doc["subdomain"], []).append(idx)
    n_pairs = int(round(enemy_share * n_items / 2))
    groups = sorted(by_sub)
    for _ in range(n_pairs):
        members = by_sub[groups[rng.integers(len(groups))]]
        if len(members) < 2:
            continue
        i, j = rng.choice(members, size=2, replace=False)
        a, b = docs[int(i)], docs[int(j)]
        if b["id"] not in a["enemies"]:
            a["enemies"].append(b["id"])
            b["enemies"].append(a["id"])
    for doc in docs:
        doc["enemies"] = sorted(doc["enemies"])
    return docs


def synthetic_stats(docs: list[dict[str, Any]], *, seed: int) -> pl.DataFrame:
    """A statistics table (3PL parameters, p-value, point-biserial) for ``docs``."""
    rng = np.random.default_rng(seed + 7919)
    n = len(docs)
    a = np.exp(rng.normal(0.0, 0.3, n)) * 1.0
    b = rng.normal(-0.9, 0.9, n)
    c = rng.beta(5, 17, n)
    p = probability(_QUAD, a, b, c).T @ _QUAD_W
    r = np.clip(0.12 + 0.22 * a + rng.normal(0, 0.03, n), 0.05, 0.6)
    return conform_item_stats(
        pl.DataFrame(
            {
                "item_id": [d["id"] for d in docs],
                "item_version": [d["version"] for d in docs],
                "form_id": ["SYNTH"] * n,
                "administration_date": ["2026-01-01"] * n,
                "source": ["synthetic"] * n,
                "n": [1000] * n,
                "p_value": p,
                "item_total_r": r,
                "irt_model": ["3pl"] * n,
                "a": a,
                "b": b,
                "c": c,
                "d": [1.0] * n,
                "theta_scale": ["synthetic"] * n,
            }
        )
    )


def bank_from_docs(docs: list[dict[str, Any]], stats: pl.DataFrame | None, root: str) -> Bank:
    """An in-memory :class:`Bank` (content hash over the documents' JSON)."""
    digest = hashlib.sha256()
    items = {}
    for doc in sorted(docs, key=lambda d: d["id"]):
        digest.update(dumps_json(doc).encode("utf-8"))
        items[doc["id"]] = Item.from_data(doc, path=f"{root}/items/{doc['domain']}/{doc['id']}")
    return Bank(root=root, items=items, content_sha256=digest.hexdigest(), stats=stats)


def synthetic_bank(
    blueprint: Blueprint, n_items: int, *, seed: int, pretest_share: float = 0.2
) -> Bank:
    docs = synthetic_item_docs(blueprint, n_items, seed=seed, pretest_share=pretest_share)
    return bank_from_docs(docs, synthetic_stats(docs, seed=seed), root="<synthetic>")


def write_bank(
    directory: str | Path,
    docs: list[dict[str, Any]],
    stats: pl.DataFrame | None,
    *,
    blueprint_text: str | None = None,
) -> Path:
    """Write ``docs`` as JSON item files under ``directory/items/<domain>/`` plus the stats."""
    root = Path(directory)
    for doc in docs:
        atomic_write(root / "items" / str(doc["domain"]) / f"{doc['id']}.json", dumps_json(doc))
    if stats is not None:
        atomic_write(root / "stats" / "item_stats.csv", render_item_stats_csv(stats))
    if blueprint_text is not None:
        atomic_write(root / "blueprint.yaml", blueprint_text)
    return root


# --------------------------------------------------------------------------- tiny fixtures

SMALL_BLUEPRINT: dict[str, Any] = {
    "id": "tiny-test",
    "version": 1,
    "title": "Tiny two-domain blueprint for assembly tests",
    "form": {
        "scored_items": 8,
        "pretest_items": 2,
        "time_minutes": 10,
        "options_per_item": 4,
        "key_balance": {"min_share": 0.125, "max_share": 0.375, "max_run": 2},
    },
    "domains": [
        {
            "domain": 1,
            "code": "NC",
            "name": "Non-Clinical Operations",
            "scored_items": 4,
            "pretest_items": 1,
            "subdomains": [
                {"code": "1.1", "name": "Scheduling", "min_scored": 1},
                {"code": "1.2", "name": "Registration", "min_scored": 1},
            ],
        },
        {
            "domain": 2,
            "code": "CO",
            "name": "Clinical Operations",
            "scored_items": 4,
            "pretest_items": 1,
            "subdomains": [
                {"code": "2.1", "name": "Charts", "min_scored": 1},
                {"code": "2.2", "name": "Orders", "min_scored": 0},
            ],
        },
    ],
    "scale": {"name": "test", "min": 0, "max": 8, "passing": 5, "raw_cut": 5},
}
"""A 10-position blueprint (8 scored + 2 pretest) for fast, crafted assembly tests."""


def item_doc(
    item_id: str,
    *,
    domain: int,
    subdomain: str,
    key: str = "A",
    status: str = "operational",
    enemies: tuple[str, ...] = (),
    version: int = 1,
) -> dict[str, Any]:
    """A schema-valid item document with placeholder text."""
    return {
        "id": item_id,
        "version": version,
        "status": status,
        "domain": domain,
        "subdomain": subdomain,
        "stem": f"SYNTHETIC stem of item {item_id}: which EHR step comes first?",
        "options": {lt: f"Option {lt} of {item_id}" for lt in _LETTERS[:4]},
        "key": key,
        "rationale": {key: "Synthetic key."},
        "references": ["Synthetic reference"],
        "cognitive_level": "recall",
        "enemies": sorted(enemies),
        "author": "synthetic",
        "reviewers": ["synthetic"],
        "created": "2026-01-01",
        "modified": "2026-01-01",
    }


def stats_for(params: dict[str, tuple[float, float, float]], *, versions=None) -> pl.DataFrame:
    """A statistics table from ``{item_id: (a, b, c)}`` with model-implied p-values."""
    ids = sorted(params)
    a = np.array([params[i][0] for i in ids])
    b = np.array([params[i][1] for i in ids])
    c = np.array([params[i][2] for i in ids])
    p = probability(_QUAD, a, b, c).T @ _QUAD_W
    r = np.clip(0.1 + 0.2 * a, 0.05, 0.9)
    n = len(ids)
    return conform_item_stats(
        pl.DataFrame(
            {
                "item_id": ids,
                "item_version": [(versions or {}).get(i, 1) for i in ids],
                "form_id": ["SYNTH"] * n,
                "administration_date": ["2026-01-01"] * n,
                "source": ["synthetic"] * n,
                "n": [500] * n,
                "p_value": p,
                "item_total_r": r,
                "irt_model": ["3pl"] * n,
                "a": a,
                "b": b,
                "c": c,
                "d": [1.0] * n,
            }
        )
    )


def tiny_items(n_per_sub: int = 3, *, pretest_per_domain: int = 3) -> list[dict[str, Any]]:
    """Item documents for :data:`SMALL_BLUEPRINT`: ``n_per_sub`` operational items per
    subdomain and ``pretest_per_domain`` pretest items per domain, keys cycling A-D."""
    docs = []
    k = 0
    for domain, code, subs in ((1, "NC", ("1.1", "1.2")), (2, "CO", ("2.1", "2.2"))):
        num = 1
        for sub in subs:
            for _ in range(n_per_sub):
                key = "ABCD"[k % 4]
                docs.append(item_doc(f"{code}-{num:04d}", domain=domain, subdomain=sub, key=key))
                num, k = num + 1, k + 1
        for _ in range(pretest_per_domain):
            key = "ABCD"[k % 4]
            docs.append(
                item_doc(
                    f"{code}-{num:04d}", domain=domain, subdomain=subs[0], key=key, status="pretest"
                )
            )
            num, k = num + 1, k + 1
    return docs


def form_document(
    docs: list[dict[str, Any]],
    layout: list[tuple[str, str]],
    form_id: str,
    **extra: Any,
) -> dict[str, Any]:
    """A form JSON object placing ``layout`` ((item_id, role) in position order) from ``docs``.

    Ids not in ``docs`` get placeholder fields (version 1, domain 1, subdomain 1.1, key A),
    so tests can build forms that name unknown items on purpose.
    """
    ids = {d["id"]: d for d in docs}
    positions = []
    for pos, (item_id, role) in enumerate(layout, start=1):
        d = ids.get(item_id, {"version": 1, "domain": 1, "subdomain": "1.1", "key": "A"})
        positions.append(
            {
                "position": pos,
                "item_id": item_id,
                "item_version": d["version"],
                "role": role,
                "domain": d["domain"],
                "subdomain": d["subdomain"],
                "key": d["key"],
            }
        )
    return {"form_id": form_id, "blueprint_id": "tiny-test", "positions": positions, **extra}
