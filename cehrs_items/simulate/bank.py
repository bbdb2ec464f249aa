"""``simulate bank``: a synthetic bank of N schema-valid items with its statistics table.

For scale tests of every other stage (validate, assemble, analyze, calibrate): the
items are spread over the blueprint's domains in proportion to their scored items and
over each domain's subdomains in proportion to the subdomain minimums; about a fifth are
pretest items (the blueprint's pretest share), the rest operational; keys are balanced
within each domain; a few enemy pairs are declared (on both items) within a subdomain.
The output directory holds ``items/<domain>/<id>.yaml``, ``blueprint.yaml`` (a byte copy
of the blueprint used), ``stats/item_stats.csv`` (:mod:`cehrs_items.simulate.stats`) and
``simulation.json`` (the settings; its presence marks the directory as generated, so
``--force`` may replace it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cehrs_items import __version__
from cehrs_items.bank import STATS_FILE
from cehrs_items.blueprint import Blueprint, load_blueprint
from cehrs_items.errors import InputError
from cehrs_items.io import dumps_json, prepare_output, write_tree
from cehrs_items.item_stats import render_item_stats_csv
from cehrs_items.responses import LETTERS
from cehrs_items.simulate import text
from cehrs_items.simulate.stats import SyntheticStats, synthetic_item_stats

MARKER_FILE = "simulation.json"
MAX_ITEMS_PER_DOMAIN = 9999
"""Item ids have four digits, so a domain holds at most 9,999 items."""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SimulatedBank:
    """A generated bank in memory: item documents, their YAML, and the statistics."""

    items: list[dict[str, Any]]
    files: dict[str, str]
    stats: SyntheticStats
    settings: dict[str, Any]

    def to_frame(self) -> pl.DataFrame:
        """One row per item: item_id, item_version, status, domain, subdomain, key, enemies."""
        return pl.DataFrame(
            {
                "item_id": [i["id"] for i in self.items],
                "item_version": [i["version"] for i in self.items],
                "status": [i["status"] for i in self.items],
                "domain": [i["domain"] for i in self.items],
                "subdomain": [i["subdomain"] for i in self.items],
                "key": [i["key"] for i in self.items],
                "enemies": [list(i["enemies"]) for i in self.items],
            },
            schema={
                "item_id": pl.String,
                "item_version": pl.Int64,
                "status": pl.String,
                "domain": pl.Int64,
                "subdomain": pl.String,
                "key": pl.String,
                "enemies": pl.List(pl.String),
            },
        )


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder; ties to the first)."""
    w = np.asarray(weights, dtype=np.float64)
    if total < 0 or w.size == 0 or (w < 0).any() or w.sum() <= 0:
        raise InputError(f"cannot apportion {total} over weights {list(weights)}")
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    short = total - int(base.sum())
    order = sorted(range(w.size), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[:short]:
        base[i] += 1
    return [int(x) for x in base]


def _balanced_keys(rng: np.random.Generator, n: int, labels: tuple[str, ...]) -> list[str]:
    """``n`` keys, each label used floor(n/k) or ceil(n/k) times, in random order."""
    start = rng.permutation(len(labels))
    ordered = [labels[start[i % len(labels)]] for i in range(n)]
    return [ordered[i] for i in rng.permutation(n)]


def generate_bank(
    n_items: int,
    *,
    seed: int,
    blueprint: Blueprint,
    blueprint_bytes: bytes = b"",
    pretest_share: float | None = None,
    enemy_pairs: int | None = None,
    progress: Progress | None = None,
) -> SimulatedBank:
    """Generate a synthetic bank in memory (see the module docstring for its make-up).

    ``pretest_share`` defaults to the blueprint's pretest/total ratio; ``enemy_pairs``
    to one pair per 100 items (at least one when there are two items in a subdomain).
    """
    if n_items < 1:
        raise InputError(f"--items must be at least 1 (got {n_items})")
    if seed < 0:
        raise InputError(f"--seed must be a non-negative integer (got {seed})")
    share = (
        blueprint.pretest_items / blueprint.total_items if pretest_share is None else pretest_share
    )
    if not 0 <= share <= 1:
        raise InputError(f"pretest share must lie in [0, 1] (got {share})")
    n_opt = blueprint.options_per_item or 4
    labels = tuple(LETTERS[:n_opt])
    structure_seq, text_seq = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(structure_seq)
    trng = np.random.default_rng(text_seq)
    domains = list(blueprint.domains)
    per_domain = apportion(n_items, [float(d.weight or d.scored_items) for d in domains])
    writer = text.StemWriter(trng)
    items: list[dict[str, Any]] = []
    for dom, n_dom in zip(domains, per_domain, strict=True):
        if n_dom > MAX_ITEMS_PER_DOMAIN:
            raise InputError(
                f"--items {n_items} puts {n_dom} items in domain {dom.domain}; ids allow at "
                f"most {MAX_ITEMS_PER_DOMAIN} per domain (use at most "
                f"{int(MAX_ITEMS_PER_DOMAIN * n_items / n_dom)} items)"
            )
        if n_dom == 0:
            continue
        subs = list(dom.subdomains)
        sub_weights = [float(s.min_scored) for s in subs]
        if sum(sub_weights) <= 0:
            sub_weights = [1.0] * len(subs)
        per_sub = apportion(n_dom, sub_weights)
        n_pre = int(round(n_dom * share))
        pretest = np.zeros(n_dom, dtype=bool)
        pretest[rng.permutation(n_dom)[:n_pre]] = True
        keys = _balanced_keys(rng, n_dom, labels)
        levels = rng.choice(len(text.COGNITIVE_LEVELS), size=n_dom, p=text.COGNITIVE_SHARES)
        number = 0
        for sub, n_sub in zip(subs, per_sub, strict=True):
            area = text.area_phrase(sub.name)
            for _ in range(n_sub):
                number += 1
                k = number - 1
                key = keys[k]
                stem = writer.stem(len(items), area)
                item = {
                    "id": f"{dom.code}-{number:04d}",
                    "version": 1,
                    "status": "pretest" if pretest[k] else "operational",
                    "domain": dom.domain,
                    "subdomain": sub.code,
                    "stem": stem,
                    "options": text.synthetic_options(trng, labels, stem=stem, key=key),
                    "key": key,
                    "rationale": text.synthetic_rationale(labels, key),
                    "references": [text.SYNTHETIC_REFERENCE],
                    "cognitive_level": text.COGNITIVE_LEVELS[int(levels[k])],
                    "enemies": [],
                    "author": text.SYNTHETIC_AUTHOR,
                    "reviewers": [text.SYNTHETIC_REVIEWER],
                    "created": text.SYNTHETIC_DATE,
                    "modified": text.SYNTHETIC_DATE,
                    "tags": [text.SYNTHETIC_TAG, f"subdomain-{sub.code}"],
                    "notes": f"Synthetic item (cehrs-items simulate bank, seed {seed}); not exam content.",
                }
                items.append(item)
    if progress:
        progress(f"generated {len(items)} items")
    n_pairs = max(1, n_items // 100) if enemy_pairs is None else enemy_pairs
    _declare_enemies(rng, items, n_pairs)
    stats = synthetic_item_stats(
        pl.DataFrame(
            {
                "item_id": [i["id"] for i in items],
                "item_version": [i["version"] for i in items],
                "status": [i["status"] for i in items],
            }
        ),
        seed=seed,
        form_length=blueprint.scored_items,
    )
    if progress:
        progress(f"drew parameters for {stats.table.height} items")
    counts = {
        "items": len(items),
        "operational": sum(i["status"] == "operational" for i in items),
        "pretest": sum(i["status"] == "pretest" for i in items),
        "enemy_pairs": sum(len(i["enemies"]) for i in items) // 2,
    }
    settings = {
        "generator": f"cehrs-items {__version__}",
        "command": "simulate bank",
        "seed": seed,
        "items": n_items,
        "pretest_share": share,
        "blueprint_id": blueprint.id,
        "blueprint_sha256": blueprint.sha256,
        "counts": counts,
        "stats": stats.settings,
    }
    files: dict[str, str] = {}
    for item in items:
        files[f"items/{item['domain']}/{item['id']}.yaml"] = text.render_item_yaml(item)
    if blueprint_bytes:
        files["blueprint.yaml"] = blueprint_bytes.decode("utf-8")
    files[STATS_FILE.as_posix()] = render_item_stats_csv(stats.table)
    files[MARKER_FILE] = dumps_json(settings)
    return SimulatedBank(items=items, files=files, stats=stats, settings=settings)


def _declare_enemies(rng: np.random.Generator, items: list[dict[str, Any]], n_pairs: int) -> None:
    """Declare up to ``n_pairs`` enemy pairs, both items in one subdomain, each item in one pair."""
    if n_pairs <= 0:
        return
    by_sub: dict[str, list[int]] = {}
    for idx, item in enumerate(items):
        by_sub.setdefault(item["subdomain"], []).append(idx)
    candidates = [idxs for _, idxs in sorted(by_sub.items()) if len(idxs) >= 2]
    if not candidates:
        return
    used: set[int] = set()
    made = 0
    attempts = 0
    while made < n_pairs and attempts < 20 * n_pairs:
        attempts += 1
        group = candidates[int(rng.integers(len(candidates)))]
        i, j = (int(x) for x in rng.choice(group, size=2, replace=False))
        if i in used or j in used:
            continue
        used.update((i, j))
        items[i]["enemies"] = [items[j]["id"]]
        items[j]["enemies"] = [items[i]["id"]]
        made += 1


@dataclass(frozen=True)
class SimulateBankResult:
    """What ``simulate bank`` wrote."""

    out: Path
    n_files: int
    settings: dict[str, Any]
    stats: SyntheticStats


def simulate_bank(
    n_items: int,
    *,
    seed: int,
    out: str | Path,
    blueprint: str | Path = Path("item_bank") / "blueprint.yaml",
    pretest_share: float | None = None,
    enemy_pairs: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> SimulateBankResult:
    """Generate a synthetic bank of ``n_items`` items and write it to ``out`` at once.

    ``out`` must not exist or be empty; with ``force`` it may also be a bank written
    earlier by this command (it holds ``simulation.json``), which is then replaced.
    Nothing is written if anything fails.
    """
    target = Path(out)
    if force and target.is_dir() and any(target.iterdir()):
        if not (target / MARKER_FILE).is_file():
            raise InputError(
                f"{target}: not a bank written by `simulate bank` (no {MARKER_FILE}); "
                "refusing to replace it, choose a new --out directory"
            )
        try:
            json.loads((target / MARKER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{target / MARKER_FILE}: unreadable marker file: {exc}") from exc
    prepare_output(target, force=force, kind="dir")
    bp_path = Path(blueprint)
    bp = load_blueprint(bp_path)
    bank = generate_bank(
        n_items,
        seed=seed,
        blueprint=bp,
        blueprint_bytes=bp_path.read_bytes(),
        pretest_share=pretest_share,
        enemy_pairs=enemy_pairs,
        progress=progress,
    )
    written = write_tree(target, bank.files, force=force)
    if progress:
        progress(f"wrote {len(written)} files to {target}")
    return SimulateBankResult(
        out=target, n_files=len(written), settings=bank.settings, stats=bank.stats
    )
