"""Item flags as findings, so ``analyze`` reports through the same reporters as ``validate``.

Each flag in the ``flags`` column of ``item_stats`` becomes one finding of its ``FLAG``
rule (:mod:`cehrs_items.catalogue.analysis`). Where a finding points:

- with a bank (``item_files``: item id -> item file), at the item's file, as a whole-file
  finding (``line`` and ``col`` empty), so code-scanning services show it on the file;
- otherwise at the responses file, as the ``ANA`` data-quality findings are.

Either way the message starts with ``item <id>:``. Flags are for review: a ``warning``
flag asks a reviewer to look, an ``info`` flag is a note; neither fails a run (only a
bank's severity override to ``error`` does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cehrs_items.analysis.flags import FLAG_DESCRIPTIONS, Thresholds, thresholds_from
from cehrs_items.analysis.pipeline import AnalysisResult
from cehrs_items.bank import item_files
from cehrs_items.catalogue import BUILTIN, FLAG_RULES, Catalogue, Rule, command_rules
from cehrs_items.errors import InputError
from cehrs_items.findings import Finding, exit_code_for, sort_findings
from cehrs_items.house import HouseConfig


def flag_findings(
    item_stats: pl.DataFrame,
    *,
    source: str,
    item_files: Mapping[str, str] | None = None,
    catalogue: Catalogue = BUILTIN,
) -> list[Finding]:
    """One finding per item flag, sorted; severities from ``catalogue`` (overrides apply).

    ``item_stats`` needs ``item_id`` and ``flags`` (``;``-separated flag names).
    """
    missing = {"item_id", "flags"} - set(item_stats.columns)
    if missing:
        raise InputError(f"item_stats: column(s) {', '.join(sorted(missing))} missing")
    out: list[Finding] = []
    for item_id, flags in item_stats.select("item_id", "flags").iter_rows():
        where = (item_files or {}).get(item_id, source)
        for flag in filter(None, (flags or "").split(";")):
            rule = catalogue[FLAG_RULES[flag]]
            out.append(
                rule.finding(
                    where, None, None, f"item {item_id}: {flag}: {FLAG_DESCRIPTIONS[flag]}"
                )
            )
    return sort_findings(out)


def bank_item_files(bank: str | Path) -> dict[str, str]:
    """Item id -> item file of a bank (the file name is the id: rule BANK002)."""
    return {path.stem: str(path) for path in item_files(bank)}


def bank_thresholds(
    config: HouseConfig, *, base: Thresholds | None = None
) -> tuple[Thresholds, list[Finding]]:
    """``base`` with the bank configuration's ``[thresholds]`` applied, and a located
    ``CONF002`` finding for each entry that is not a valid threshold (left out)."""
    thresholds = base or Thresholds()
    problems: list[Finding] = []
    for name, value in config.thresholds.items():
        try:
            thresholds = thresholds_from({name: value}, base=thresholds, where="[thresholds]")
        except InputError as exc:
            problems.append(config.problem(str(exc), name))
    return thresholds, problems


@dataclass(frozen=True)
class AnalysisReport:
    """What ``analyze`` reports through the reporters.

    ``quality`` are the run's data-quality findings and the bank configuration's problems
    (severity overrides applied); ``flags`` the item flags as findings; ``rules`` the
    analysis rules as they apply (for SARIF); ``files`` the responses file and every file
    a finding names.
    """

    quality: list[Finding]
    flags: list[Finding]
    rules: dict[str, Rule]
    files: list[str]

    @property
    def findings(self) -> list[Finding]:
        return sort_findings([*self.quality, *self.flags])

    def exit_code(self, *, strict: bool = False) -> int:
        """1 when a data-quality finding fails (errors; warnings with ``strict``) or a
        bank raised a flag to error; flags are for review and fail nothing else."""
        return max(exit_code_for(self.quality, strict=strict), exit_code_for(self.flags))


def analysis_report(
    result: AnalysisResult,
    *,
    source: str,
    config: HouseConfig | None = None,
    bank: str | Path | None = None,
    threshold_problems: Sequence[Finding] = (),
) -> AnalysisReport:
    """The findings of an analysis run with its flags, under a bank's configuration.

    ``bank`` locates flags at the items' files (see the module docstring).
    """
    config = config or HouseConfig()
    catalogue = config.catalogue()
    quality = config.apply_severities([*config.findings, *threshold_problems, *result.findings])
    files = bank_item_files(bank) if bank is not None else None
    flags = flag_findings(result.item_stats, source=source, item_files=files, catalogue=catalogue)
    report = [*quality, *flags]
    return AnalysisReport(
        quality=sort_findings(quality),
        flags=flags,
        rules=command_rules("analyze", catalogue),
        files=sorted({source, *(f.file for f in report)}),
    )
