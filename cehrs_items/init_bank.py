"""``cehrs-items init``: a new bank repository to start from.

The scaffold (files in ``cehrs_items/scaffold/``) is a repository with the bank at
``item_bank/`` (where ``--bank`` and the pre-commit hook look): the CEHRS blueprint as a
commented worked example, a few example items copied from the shipped sample bank (one
per domain, none with enemies, so the scaffold validates clean with ``--strict``), a
pre-commit configuration running the cehrs-items hook, a GitHub Actions workflow that
runs ``validate --format github`` and uploads SARIF, and a README for authors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cehrs_items.errors import InputError
from cehrs_items.io import write_tree

_SCAFFOLD_FILES = {
    "README.md": "README.md",
    "item_bank/blueprint.yaml": "blueprint.yaml",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    ".github/workflows/validate-items.yml": "validate-items.yml",
    ".gitignore": "gitignore",
}
"""Scaffold path -> file in ``cehrs_items/scaffold/``."""

STATS_README = (
    "# Item statistics\n\n"
    "`item_stats.csv` (one row per item and administration) is written here by\n"
    "`cehrs-items analyze` and `cehrs-items calibrate --write-stats`; statistics never live\n"
    "in item files.\n"
)


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_bank` wrote."""

    root: Path
    files: tuple[str, ...]
    example_items: tuple[str, ...]


def example_items(per_domain: int = 1) -> dict[str, bytes]:
    """Example item files from the shipped sample bank: the first ``per_domain``
    operational items of each domain (by id) that declare no enemies, byte for byte."""
    from cehrs_items.bank import load_bank
    from cehrs_items.shipped import shipped_bank

    root = shipped_bank()
    bank = load_bank(root, with_stats=False)
    chosen: dict[str, bytes] = {}
    taken: dict[int, int] = {}
    for item in bank.sorted_items():
        if item.status != "operational" or item.enemies or item.lint_ignore:
            continue
        if taken.get(item.domain, 0) >= per_domain:
            continue
        taken[item.domain] = taken.get(item.domain, 0) + 1
        chosen[f"item_bank/items/{item.domain}/{item.id}.yaml"] = Path(item.path).read_bytes()
    return chosen


def init_bank(directory: str | os.PathLike, *, force: bool = False) -> InitResult:
    """Write a new bank repository into ``directory`` (new or empty; ``force`` replaces it)."""
    target = Path(directory)
    if target.is_dir() and any(target.iterdir()) and not force:
        raise InputError(f"{target}: already exists and is not empty; use --force to replace it")
    files: dict[str, bytes] = {}
    scaffold = resources.files("cehrs_items") / "scaffold"
    for target, name in _SCAFFOLD_FILES.items():
        files[target] = (scaffold / name).read_bytes()
    files["item_bank/stats/README.md"] = STATS_README.encode("utf-8")
    examples = example_items()
    files.update(examples)
    written = write_tree(directory, files, force=force)
    root = Path(directory)
    return InitResult(
        root=root,
        files=tuple(p.relative_to(root).as_posix() for p in written),
        example_items=tuple(sorted(Path(p).stem for p in examples)),
    )
