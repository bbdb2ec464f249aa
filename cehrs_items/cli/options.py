"""Options shared by several commands, defined once."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cehrs_items.io import RunInfo

Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]
Seed = Annotated[
    int, typer.Option("--seed", help="Seed of the random number generator (recorded in outputs).")
]
Strict = Annotated[bool, typer.Option("--strict", help="Treat warnings as failures (exit 1).")]
StrictData = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Treat data warnings (columns named like items that are not scored, examinees "
        "who omitted every item, blank or near-duplicate ids) as errors (exit 2). "
        "Example: --strict",
    ),
]
OutDir = Annotated[Path, typer.Option("--out", help="Directory to write the output files into.")]
OutFile = Annotated[Path, typer.Option("--out", help="File to write the output to.")]
DEFAULT_BANK_HELP = "(default: item_bank/ in the working folder if there is one, else the sample bank shipped with cehrs-items)"


def bank_or_default(bank: Path | None) -> Path:
    """``bank`` if given; else the ``--bank`` default, with a note on stderr when that is the
    shipped sample bank (see :func:`cehrs_items.shipped.default_bank`)."""
    if bank is not None:
        return bank
    from cehrs_items.shipped import default_bank

    choice = default_bank()
    if choice.shipped:
        typer.echo(choice.note(), err=True)
    return choice.path


BlueprintPath = Annotated[
    Path | None,
    typer.Option("--blueprint", help="Blueprint YAML (default: <bank>/blueprint.yaml)."),
]


class FindingsFormat(StrEnum):
    """Formats of a findings report (the reporters of :mod:`cehrs_items.reporters`)."""

    text = "text"
    json = "json"
    github = "github"
    junit = "junit"
    sarif = "sarif"


# What a command's manifest records (cehrs_items.io.RunInfo) is read from the parsed
# command line here, once for every command, so the library never sees Typer.
OUTPUT_PARAMS = frozenset(
    {"out", "summary", "constants", "curves", "key_out", "drift_out", "findings_out"}
)
"""Parameters naming outputs: not recorded as options or inputs (the manifest lists the
outputs it sits beside)."""
UNRECORDED_PARAMS = frozenset(
    {"force", "quiet", "engine", "scheduler", "chunk_rows", "memory_limit", "spill_dir"}
)
"""Parameters that change how a command writes, talks or where it computes, not what it
writes (``--engine``, ``--scheduler``, ``--chunk-rows``, ``--memory-limit`` and
``--spill-dir`` give identical results; a scheduler address is a host name and a spill
folder a path of this machine, which outputs never hold)."""
INPUT_ARGUMENTS = frozenset({"paths", "responses", "forms"})
"""Text parameters (not typed as paths) that name input files, folders or globs."""


def _current_context() -> Any:
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - a Typer that still depends on click
        from click import get_current_context  # type: ignore[no-redef]
    return get_current_context(silent=True)


def run_info_from_context() -> RunInfo:
    """The :class:`~cehrs_items.io.RunInfo` of the command being run (from its context).

    Options are those given on the command line (not defaults), keyed as typed
    (``--cut``; an argument by its name); inputs are the path-typed parameters and
    :data:`INPUT_ARGUMENTS`, defaults included (``--bank item_bank``); the seed is the
    ``seed`` parameter's value, default included.
    """
    ctx = _current_context()
    if ctx is None:
        return RunInfo()
    names = []
    node = ctx
    while node is not None and node.parent is not None:
        names.append(node.info_name)
        node = node.parent
    options: dict[str, Any] = {}
    inputs: list[str] = []
    for param in ctx.command.params:
        name = param.name
        if name is None or name in OUTPUT_PARAMS or name in UNRECORDED_PARAMS:
            continue
        value = ctx.params.get(name)
        descriptor = getattr(param, "type_descriptor", None)
        is_path = bool(descriptor is not None and descriptor.is_path)
        if value is not None and (is_path or name in INPUT_ARGUMENTS):
            values = value if isinstance(value, list | tuple) else [value]
            inputs.extend(str(v) for v in values if isinstance(v, str | Path))
        source = ctx.get_parameter_source(name)
        if source is None or source.name not in ("COMMANDLINE", "ENVIRONMENT", "PROMPT"):
            continue
        if param.param_type_name == "option":
            longs = [o for o in param.opts if o.startswith("--")]
            key = longs[0] if longs else param.opts[0]
        else:
            key = name
        options[key] = value
    seed = ctx.params.get("seed")
    return RunInfo(
        command=" ".join(reversed(names)) or None,
        options=options,
        inputs=tuple(inputs),
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
    )


class EngineName(StrEnum):
    local = "local"
    dask = "dask"


Engine = Annotated[
    EngineName,
    typer.Option(
        "--engine",
        help="Where the per-chunk work runs: local (this process) or dask (Dask tasks; "
        "needs pip install 'cehrs-items[dask]'); the results are the same. "
        "Example: --engine dask",
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Address of a running Dask scheduler to join (default with --engine dask: a "
        "two-worker LocalCluster on this machine). Example: --scheduler tcp://10.0.0.5:8786",
    ),
]
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
}


def parse_size(text: str) -> int:
    """Bytes from a size such as ``512MiB``, ``2GiB``, ``100MB`` or ``1048576``."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _SIZE_UNITS:
        raise typer.BadParameter(
            f"{text!r} is not a size; give bytes with a unit, e.g. 512MiB or 2GiB"
        )
    return int(float(match.group(1)) * _SIZE_UNITS[unit])


MemoryLimit = Annotated[
    int | None,
    typer.Option(
        "--memory-limit",
        parser=parse_size,
        metavar="SIZE",
        help="Unique response patterns held in memory before they are spilled to disk "
        "(default 512MiB; the results are the same either way). Example: --memory-limit 2GiB",
    ),
]
SpillDir = Annotated[
    Path | None,
    typer.Option(
        "--spill-dir",
        help="Folder for the temporary pattern files beyond --memory-limit (default: the "
        "system's temporary folder; removed when the command ends). "
        "Example: --spill-dir /scratch/tmp",
        file_okay=False,
    ),
]
ChunkRows = Annotated[
    int | None,
    typer.Option(
        "--chunk-rows",
        help="Rows per partition when reading Parquet (default 262144; memory is bounded by "
        "one partition). Example: --chunk-rows 100000",
        min=1,
    ),
]
