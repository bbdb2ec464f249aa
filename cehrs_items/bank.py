"""The item bank: every item file under ``<bank>/items/``, plus its statistics table.

:func:`load_bank` is for stages that need a usable bank (assembly, simulation,
reports). It refuses a bank with unparsable or schema-invalid files and tells the user
to run ``cehrs-items validate``, which reports every problem with its position.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from cehrs_items.contracts import validator
from cehrs_items.errors import DataError, InputError
from cehrs_items.item_stats import latest_item_stats, read_item_stats
from cehrs_items.items.loader import load_document
from cehrs_items.items.model import Item

ITEM_SUFFIXES = (".yaml", ".yml", ".json")
STATS_FILE = Path("stats") / "item_stats.csv"


@dataclass(frozen=True)
class Bank:
    """Items by id, the bank's content hash and (when present) its statistics table."""

    root: str
    items: dict[str, Item]
    content_sha256: str
    stats: pl.DataFrame | None = field(default=None, compare=False)

    def __len__(self) -> int:
        return len(self.items)

    def by_status(self, *statuses: str) -> list[Item]:
        return [item for item in self.sorted_items() if item.status in statuses]

    def sorted_items(self) -> list[Item]:
        return [self.items[k] for k in sorted(self.items)]

    def to_frame(self) -> pl.DataFrame:
        """One row per item: item_id, item_version, status, domain, subdomain, key, n_options,
        cognitive_level, enemies (list), sorted by item_id."""
        items = self.sorted_items()
        return pl.DataFrame(
            {
                "item_id": [i.id for i in items],
                "item_version": [i.version for i in items],
                "status": [i.status for i in items],
                "domain": [i.domain for i in items],
                "subdomain": [i.subdomain for i in items],
                "key": [i.key for i in items],
                "n_options": [len(i.options) for i in items],
                "cognitive_level": [i.cognitive_level for i in items],
                "enemies": [sorted(i.enemies) for i in items],
            },
            schema={
                "item_id": pl.String,
                "item_version": pl.Int64,
                "status": pl.String,
                "domain": pl.Int64,
                "subdomain": pl.String,
                "key": pl.String,
                "n_options": pl.Int64,
                "cognitive_level": pl.String,
                "enemies": pl.List(pl.String),
            },
        )

    def latest_stats(self) -> pl.DataFrame | None:
        """The latest statistics row per bank item, or None when the bank has no table."""
        if self.stats is None:
            return None
        return latest_item_stats(self.stats.filter(pl.col("item_id").is_in(list(self.items))))


def item_files(bank_root: str | Path) -> list[Path]:
    """Item files under ``<bank>/items`` (or under the path itself if it has no items/ folder)."""
    root = Path(bank_root)
    base = root / "items" if (root / "items").is_dir() else root
    if not base.is_dir():
        raise InputError(f"{root}: not a bank directory (expected an items/ folder)")
    return sorted(p for p in base.rglob("*") if p.is_file() and p.suffix.lower() in ITEM_SUFFIXES)


def load_bank(bank_root: str | Path, *, with_stats: bool = True) -> Bank:
    """Load every item of the bank; raise DataError if any file is unparsable or invalid."""
    root = Path(bank_root)
    files = item_files(root)
    check = validator("item")
    digest = hashlib.sha256()
    items: dict[str, Item] = {}
    for path in files:
        rel = path.relative_to(root).as_posix()
        digest.update(rel.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
        doc = load_document(path)
        if not doc.ok:
            f = doc.findings[0]
            raise DataError(
                f"{path}:{f.line}:{f.col}: {f.message}; run `cehrs-items validate {root}`"
            )
        error = next(iter(check.iter_errors(doc.data)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
            raise DataError(
                f"{path}: field {where}: {error.message}; run `cehrs-items validate {root}`"
            )
        item = Item.from_data(doc.data, path=str(path))
        if item.id in items:
            raise DataError(f"{path}: item id {item.id} also used by {items[item.id].path}")
        items[item.id] = item
    stats = None
    stats_path = root / STATS_FILE
    if with_stats and stats_path.exists():
        stats = read_item_stats(stats_path)
    return Bank(root=str(root), items=items, content_sha256=digest.hexdigest(), stats=stats)


def item_parameters(bank: Bank) -> pl.DataFrame:
    """The latest IRT parameters of every bank item that has them, as a parameter file.

    Columns ``item_id, a, b, c, d, se_a, se_b, se_c`` (``c`` = 0 and ``d`` = 1 where the
    statistics row leaves them empty), sorted by item id: the form
    :func:`cehrs_items.irt.params.read_params` reads, e.g. for ``calibrate --anchor``.
    """
    latest = bank.latest_stats()
    if latest is None:
        raise DataError(
            f"{bank.root}: the bank has no statistics table ({STATS_FILE.as_posix()}); "
            "run `cehrs-items simulate stats` or `cehrs-items calibrate --write-stats`"
        )
    return (
        latest.filter(pl.col("a").is_not_null() & pl.col("b").is_not_null())
        .select(
            "item_id",
            "a",
            "b",
            pl.col("c").fill_null(0.0),
            pl.col("d").fill_null(1.0),
            "se_a",
            "se_b",
            "se_c",
        )
        .sort("item_id")
    )
