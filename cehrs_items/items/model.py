"""The item as a typed object, built from a schema-valid item document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Item:
    """One bank item. ``path`` is the file it came from (as given by the caller)."""

    id: str
    version: int
    status: str
    domain: int
    subdomain: str
    stem: str
    options: dict[str, str]
    key: str
    rationale: dict[str, str]
    references: tuple[str, ...]
    cognitive_level: str
    author: str
    created: str
    modified: str
    enemies: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    lint_ignore: tuple[str, ...] = ()
    notes: str = ""
    path: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_data(cls, data: dict[str, Any], *, path: str = "") -> Item:
        """Build an item from schema-valid data (see ``schemas/item.schema.json``)."""
        ignores = tuple(
            entry if isinstance(entry, str) else entry["rule"]
            for entry in data.get("lint_ignore", [])
        )
        return cls(
            id=data["id"],
            version=data["version"],
            status=data["status"],
            domain=data["domain"],
            subdomain=data["subdomain"],
            stem=data["stem"],
            options=dict(data["options"]),
            key=data["key"],
            rationale=dict(data.get("rationale", {})),
            references=tuple(data.get("references", ())),
            cognitive_level=data["cognitive_level"],
            author=data["author"],
            created=data["created"],
            modified=data["modified"],
            enemies=tuple(data.get("enemies", ())),
            reviewers=tuple(data.get("reviewers", ())),
            tags=tuple(data.get("tags", ())),
            lint_ignore=ignores,
            notes=data.get("notes", ""),
            path=path,
            raw=data,
        )

    @property
    def option_labels(self) -> tuple[str, ...]:
        return tuple(sorted(self.options))
