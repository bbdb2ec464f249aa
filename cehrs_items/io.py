"""Safe, deterministic output: whole folders, atomic files and a manifest for every run.

Three ways to write, one rule for refusing
------------------------------------------
Every command calls :func:`prepare_output` (or :func:`prepare_outputs` for several
files) on each output path **before doing any work**. It cleans what an earlier killed
run left beside the target, then refuses an existing output unless ``force`` is given:
``<path>: already exists; use --force to overwrite it`` for a file, ``<path>: already
exists and is not empty; use --force to replace it`` for a folder. With ``force`` a
non-empty folder is replaced only if it is an output folder of this toolkit (it holds
``manifest.json``): ``--out . --force`` can never wipe a working directory. The writers
below call the same helper again when they commit, so a library caller that skips the
early call is still protected.

- **A folder** (``analyze``, ``assemble``, ``simulate bank``, ``demo``): :class:`OutputSet`
  (files rendered in memory), :func:`write_tree` (a mapping of relative paths) or
  :func:`staged_folder` (a context manager for writers that stream into a folder). All
  three build the whole new folder in a hidden sibling ``.<name>.<pid>.<random>.tmp``,
  write ``manifest.json`` into it, fsync every file and folder, and then swap it in.
- **A file or a set of files** (``report``, ``score``, ``equate`` and the others):
  :func:`write_files` writes each file with :func:`atomic_write` (temporary file
  ``.<name>.<pid>.<random>.tmp`` in the target's folder, flush, fsync, ``os.replace``) and
  then, last, the manifest beside the first (primary) file, named
  ``<file name>.manifest.json`` (``scores.csv`` -> ``scores.csv.manifest.json``). Each file
  is old-or-new on its own; the manifest, written last, is the record that the set is
  complete (its hashes tell whether the files beside it belong to one run).
- :func:`atomic_write` alone writes one file without a manifest (used for files inside a
  staged folder and for generated docs).

The swap, and what ``kill -9`` leaves
-------------------------------------
On Linux the staged folder and the old one are exchanged with one
``renameat2(RENAME_EXCHANGE)`` system call (through :mod:`ctypes`): at every instant
the target path is either the complete old folder or the complete new one. The old
folder, now under the staging name, is deleted afterwards. Where the exchange is not
available (another OS, a file system without it) the old folder is renamed aside to
``.<name>.<pid>.<random>.old`` and the new one renamed in; a kill between those two
renames leaves no target, and the next :func:`prepare_output` of that target renames the
``.old`` folder back (the old run, whole). A new target (nothing there yet) is one
``rename``.

A kill at any moment can therefore leave, beside the target, a ``.tmp`` staging folder
(a partial new run, or the old run after the exchange) or a ``.old`` folder. Each carries
the id of the process that made it; :func:`prepare_output` removes those whose process
is gone (and any ``.<name>.<random>.tmp`` of older versions, which carry no id), so the
next run into the same target leaves nothing behind. One run at a time per target.

The manifest
------------
``manifest.json`` (``schemas/manifest.schema.json``) records: the tool and its version;
the command and the options given on its command line (output paths, ``--force`` and
``--quiet`` are left out, so the same run into two folders gives the same bytes); each
input's path as typed (an absolute path is made relative to the working directory), its
size and SHA-256 (a folder: SHA-256 of the ``sha256sum``-style lines of its files,
hidden names skipped, and the file count; a glob: one entry per file); the seed; the
warnings raised; and every output file with its path, size and SHA-256. Keys are sorted,
there is no clock time, host name or absolute path: same inputs and seed, same bytes.

How the command line reaches the manifest without the library knowing the CLI: a
:class:`RunInfo` (command, options, inputs, seed) is made current with
:func:`run_context` (the CLI does this once for every command, lazily, in its shared
options layer). Writers pick it up through :func:`current_run`, or take an explicit
``run=`` argument. Warnings reach the manifest in three ways, all listed in the order
raised, duplicates once:

- data warnings raised with :func:`cehrs_items.errors.warn_data` inside
  :func:`cehrs_items.errors.collect_warnings` (the CLI wraps every command in one; the
  strict response reader raises its warnings there, e.g. examinees who omitted every
  item): every manifest written later in the block lists them;
- :func:`record_warnings` (``io.record_warnings(["..."])``) adds strings to the current
  run only (no echo); without a current run it is a no-op;
- ``OutputSet.add_warnings(...)``, ``staged_folder(...).warnings`` and the ``warnings=``
  argument of :func:`write_files`/:func:`write_tree` add warnings to one output only.

A warning that names a file inside a staged folder (a command reading what it has just
written, as the demo does) names it relative to the output folder.

Readers that list folders skip manifests with :func:`is_manifest` (``expand_paths``
does), so a manifest is never read as an item, a form or a summary.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import errno
import glob as _glob
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cehrs_items.errors import InputError, collected_warnings

MANIFEST = "manifest.json"
"""File name of the manifest inside an output folder."""
MANIFEST_SUFFIX = ".manifest.json"
"""Suffix of the manifest beside a single-file output (``<file name>.manifest.json``)."""
MANIFEST_VERSION = 1


def _version() -> str:
    from cehrs_items import __version__

    return __version__


# --------------------------------------------------------------------------- run info


@dataclass(frozen=True)
class RunInfo:
    """What produced an output: recorded in its manifest.

    ``command`` is the command path without the program name (``"simulate responses"``),
    ``options`` the options given (JSON-able values, keyed as typed: ``"--cut"``, or the
    argument's name), ``inputs`` the input paths as typed (files, folders or globs), and
    ``seed`` the seed in force (``None`` if the command draws no random numbers).
    """

    command: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    seed: int | None = None


class _Run:
    """The current run: its info (built lazily), warnings and input hashes (once)."""

    def __init__(self, info: RunInfo | Callable[[], RunInfo] | None) -> None:
        self._source = info
        self._info: RunInfo | None = None
        self._inputs: list[dict[str, Any]] | None = None
        self.warnings: list[str] = []

    @property
    def info(self) -> RunInfo:
        if self._info is None:
            src = self._source
            self._info = src() if callable(src) else (src if src is not None else RunInfo())
        return self._info

    def input_records(self) -> list[dict[str, Any]]:
        if self._inputs is None:
            self._inputs = _input_records(self.info.inputs)
        return self._inputs


_RUN: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("cehrs_items_run", default=None)


@contextlib.contextmanager
def run_context(info: RunInfo | Callable[[], RunInfo] | None = None) -> Iterator[None]:
    """Make ``info`` the current run for every output written inside the block.

    ``info`` may be a callable, evaluated on first use (the CLI passes one that reads the
    parsed command line). Inputs are hashed once, at the first :func:`prepare_output` or
    manifest, so before the outputs exist.
    """
    token = _RUN.set(_Run(info))
    try:
        yield
    finally:
        _RUN.reset(token)


def current_run() -> RunInfo | None:
    """The :class:`RunInfo` of the current run, or ``None`` outside :func:`run_context`."""
    run = _RUN.get()
    return None if run is None else run.info


def record_warnings(messages: Iterable[str]) -> None:
    """Add warning strings to the current run (listed by every manifest written later)."""
    run = _RUN.get()
    if run is not None:
        run.warnings.extend(str(m) for m in messages)


def run_warnings() -> list[str]:
    """Warnings recorded so far in the current run."""
    run = _RUN.get()
    return [] if run is None else list(run.warnings)


# --------------------------------------------------------------------------- hashing


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _display_path(path: str | os.PathLike) -> str:
    """A path as typed, POSIX; an absolute one made relative to the working directory."""
    text = os.fspath(path)
    if os.path.isabs(text):
        try:
            text = os.path.relpath(text)
        except ValueError:  # another drive (Windows): keep only the name
            text = os.path.basename(text)
    return Path(text).as_posix()


def _visible_files(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in files if not f.startswith("."))
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _input_record(path: Path, shown: str) -> dict[str, Any] | None:
    if path.is_file():
        return {"path": shown, "sha256": sha256_file(path), "size": path.stat().st_size}
    if path.is_dir():
        files = _visible_files(path)
        lines = "".join(f"{sha256_file(f)}  {f.relative_to(path).as_posix()}\n" for f in files)
        return {
            "path": shown,
            "sha256": sha256_bytes(lines),
            "size": sum(f.stat().st_size for f in files),
            "files": len(files),
        }
    return None


def _input_records(paths: Iterable[str]) -> list[dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    for raw in paths:
        path = Path(raw)
        if path.exists():
            rec = _input_record(path, _display_path(raw))
            if rec is not None:
                records.setdefault(rec["path"], rec)
        elif _glob.has_magic(os.fspath(raw)):
            for match in sorted(_glob.glob(os.fspath(raw))):
                rec = _input_record(Path(match), _display_path(match))
                if rec is not None:
                    records.setdefault(rec["path"], rec)
    return [records[k] for k in sorted(records)]


# --------------------------------------------------------------------------- manifest


def is_manifest(path: str | os.PathLike) -> bool:
    """True for ``manifest.json`` and ``<name>.manifest.json`` (skip them when listing)."""
    name = Path(path).name
    return name == MANIFEST or name.endswith(MANIFEST_SUFFIX)


def manifest_path_for(path: str | os.PathLike) -> Path:
    """Where the manifest of a single-file output goes: ``<file name>.manifest.json`` beside it."""
    p = Path(path)
    return p.with_name(p.name + MANIFEST_SUFFIX)


def build_manifest(
    outputs: Sequence[tuple[str, bytes | Path]],
    *,
    run: RunInfo | None = None,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The manifest document for ``outputs`` (relative POSIX path, bytes or file) of a run.

    ``run`` defaults to the current run; warnings are the current run's followed by
    ``warnings``.
    """
    state = _RUN.get()
    if run is None and state is not None:
        info = state.info
        inputs = state.input_records()
    else:
        info = run if run is not None else RunInfo()
        inputs = _input_records(info.inputs)
    raised = collected_warnings() + (state.warnings if state is not None else [])
    every_warning = list(dict.fromkeys(raised + [str(w) for w in warnings]))
    records = []
    for name, data in sorted(outputs, key=lambda o: o[0]):
        if isinstance(data, Path):
            records.append({"path": name, "sha256": sha256_file(data), "size": data.stat().st_size})
        else:
            records.append({"path": name, "sha256": sha256_bytes(data), "size": len(data)})
    return {
        "manifest_version": MANIFEST_VERSION,
        "tool": "cehrs-items",
        "version": _version(),
        "command": info.command,
        "options": _jsonable(dict(info.options)),
        "inputs": inputs,
        "seed": info.seed,
        "warnings": every_warning,
        "outputs": records,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, os.PathLike):
        return _display_path(value)
    if hasattr(value, "value") and not isinstance(value, int | float | str | bool):
        return _jsonable(value.value)  # an Enum
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def verify_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """Read a manifest, check it against ``schemas/manifest.schema.json`` and check every
    output it lists (size and SHA-256); returns the document. Raises :class:`DataError`
    naming the first problem."""
    from cehrs_items.contracts import validator
    from cehrs_items.errors import DataError

    where = Path(path)
    try:
        doc = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{where}: unreadable manifest: {exc}") from exc
    error = next(iter(validator("manifest").iter_errors(doc)), None)
    if error is not None:
        field_path = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise DataError(f"{where}: field {field_path}: {error.message}")
    for record in doc["outputs"]:
        file = where.parent / record["path"]
        if not file.is_file():
            raise DataError(f"{where}: output {record['path']} is missing")
        if file.stat().st_size != record["size"] or sha256_file(file) != record["sha256"]:
            raise DataError(f"{where}: output {record['path']} does not match its SHA-256")
    return doc


# --------------------------------------------------------------------------- refusing, cleaning

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_renameat2: Any = None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux ``renameat2``); False where unsupported."""
    global _renameat2
    if _renameat2 is None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            func = libc.renameat2
            func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
            func.argtypes += [ctypes.c_uint]
            func.restype = ctypes.c_int
            _renameat2 = func
        except (OSError, AttributeError):
            _renameat2 = False
    if _renameat2 is False:
        return False
    rc = _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), os.fspath(b))


def _old_name(target: Path) -> Path:
    """A fresh empty hidden folder beside ``target`` to rename the old folder onto."""
    parent = target.parent if str(target.parent) else Path(".")
    return Path(
        tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".old", dir=parent)
    )


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _leftovers(target: Path) -> list[tuple[Path, str]]:
    """Stale staging entries beside ``target`` whose process is gone: (path, tmp|old)."""
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        return []
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(?:(\d+)\.)?[A-Za-z0-9_]+\.(tmp|old)$")
    found = []
    for entry in sorted(os.listdir(parent)):
        m = pattern.match(entry)
        if m is None:
            continue
        pid = m.group(1)
        if pid is not None and _pid_alive(int(pid)):
            continue
        found.append((parent / entry, m.group(2)))
    return found


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def clean_leftovers(path: str | os.PathLike) -> list[Path]:
    """Recover and remove what killed runs left beside ``path``; returns what was removed.

    A ``.old`` folder whose target is missing (a kill between the two renames of the
    fallback swap) is renamed back to the target first: the old run, whole.
    """
    target = Path(path)
    removed = []
    for entry, kind in _leftovers(target):
        if kind == "old" and not target.exists() and not target.is_symlink():
            os.rename(entry, target)
            continue
        _remove(entry)
        removed.append(entry)
    return removed


def prepare_output(
    path: str | os.PathLike, *, force: bool = False, kind: Literal["file", "dir"] = "file"
) -> Path:
    """Check an output path before any work: clean leftovers, refuse without ``force``.

    ``kind="dir"``: an empty or missing folder is fine; a non-empty one needs ``force``
    and must be an output folder of this toolkit (hold ``manifest.json``). ``kind="file"``:
    an existing file needs ``force``. Raises :class:`InputError` with the path and what
    to do. Also hashes the current run's inputs (so before the outputs exist).
    """
    target = Path(path)
    clean_leftovers(target)
    _refuse(target, force=force, kind=kind)
    state = _RUN.get()
    if state is not None:
        state.input_records()
    return target


def _refuse(target: Path, *, force: bool, kind: Literal["file", "dir"]) -> None:
    if kind == "dir":
        if target.exists() and not target.is_dir():
            raise InputError(f"{target}: exists and is not a directory; choose another --out")
        if target.is_dir() and any(target.iterdir()):
            if not force:
                raise InputError(
                    f"{target}: already exists and is not empty; use --force to replace it"
                )
            if not (target / MANIFEST).is_file():
                raise InputError(
                    f"{target}: not an output folder of cehrs-items (no {MANIFEST}); refusing "
                    "to replace it: remove it or choose another --out"
                )
    else:
        if target.is_dir():
            raise InputError(f"{target}: is a directory; --out must name a file")
        if target.exists() and not force:
            raise InputError(f"{target}: already exists; use --force to overwrite it")


def prepare_outputs(paths: Iterable[str | os.PathLike | None], *, force: bool = False) -> None:
    """:func:`prepare_output` for several files (``None`` entries skipped); refuses two
    outputs that name the same file."""
    given = [Path(p) for p in paths if p is not None]
    if len({p.resolve() for p in given}) != len(given):
        raise InputError(
            "two outputs would go to the same file: " + ", ".join(str(p) for p in given)
        )
    for p in given:
        prepare_output(p, force=force, kind="file")


# --------------------------------------------------------------------------- single files


def _default_mode() -> int:
    """Mode a new file gets from ``open()`` here: 0o666 less the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str | os.PathLike, data: str | bytes, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; refuse to replace an existing file unless ``force``."""
    target = Path(path)
    _refuse(target, force=force, kind="file")
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; give the file the mode an ordinary write would (or keep the
        # mode of the file it replaces).
        mode = target.stat().st_mode & 0o7777 if target.exists() else _default_mode()
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return target


def dumps_json(obj: Any) -> str:
    """JSON text with sorted keys, two-space indent and a final newline (stable bytes)."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike, obj: Any, *, force: bool = False) -> Path:
    return atomic_write(path, dumps_json(obj), force=force)


def write_files(
    files: Mapping[str | os.PathLike, str | bytes],
    *,
    force: bool = False,
    run: RunInfo | None = None,
    warnings: Sequence[str] = (),
    manifest: bool = True,
) -> list[Path]:
    """Write single-file outputs and, last, their manifest beside the first one.

    Every path is checked first (:func:`prepare_outputs`), so a refused run writes
    nothing; then each file is written atomically in sorted order, then
    ``<first file name>.manifest.json`` listing all of them (paths relative to its
    folder). Returns the written output paths in the order given (manifest excluded).
    """
    paths = [Path(p) for p in files]
    if not paths:
        return []
    prepare_outputs(paths, force=force)
    data = {Path(p): (v.encode("utf-8") if isinstance(v, str) else v) for p, v in files.items()}
    for p in sorted(paths):
        atomic_write(p, data[p], force=True)
    if manifest:
        where = manifest_path_for(paths[0])
        base = where.parent if str(where.parent) else Path(".")
        outputs = [(Path(os.path.relpath(p, base)).as_posix(), data[p]) for p in paths]
        doc = build_manifest(outputs, run=run, warnings=warnings)
        atomic_write(where, dumps_json(doc), force=True)
    return paths


# --------------------------------------------------------------------------- whole folders


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_relative(name: str, target: Path) -> None:
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts or not name:
        raise InputError(f"{name}: output paths must be relative and stay inside {target}")


class StagedFolder:
    """The staging folder of :func:`staged_folder`: write into ``path``; add warnings."""

    def __init__(self, path: Path, warnings: Sequence[str]) -> None:
        self.path = path
        self.warnings: list[str] = list(warnings)

    def add_warnings(self, messages: Iterable[str]) -> None:
        self.warnings.extend(str(m) for m in messages)


@contextlib.contextmanager
def staged_folder(
    directory: str | os.PathLike,
    *,
    force: bool = False,
    run: RunInfo | None = None,
    warnings: Sequence[str] = (),
    manifest: bool = True,
) -> Iterator[StagedFolder]:
    """Build a whole output folder in a hidden sibling, then swap it in (module notes).

    The block writes into ``stage.path``; when it ends without an exception,
    ``manifest.json`` (listing every file in the stage) is written, everything is
    fsynced and the stage replaces ``directory`` at once. On an exception the stage is
    deleted and ``directory`` is untouched.
    """
    target = prepare_output(directory, force=force, kind="dir")
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=parent)
    )
    umask = os.umask(0o022)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; outputs are ordinary folders
    stage = StagedFolder(staging, warnings)
    try:
        yield stage
        if manifest:
            files = [
                (p.relative_to(staging).as_posix(), p)
                for p in staging.rglob("*")
                if p.is_file() and p.relative_to(staging).as_posix() != MANIFEST
            ]
            doc = build_manifest(files, run=run, warnings=stage.warnings)
            doc["warnings"] = [_unstage(w, staging) for w in doc["warnings"]]
            (staging / MANIFEST).write_text(dumps_json(doc), encoding="utf-8")
        _sync_tree(staging)
        # Refuse again at the last moment (something may have appeared meanwhile).
        _refuse(target, force=force, kind="dir")
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _unstage(message: str, staging: Path) -> str:
    """A warning about a file of the stage names it relative to the output folder (the
    staging folder's name is random and gone after the swap)."""
    prefixes = {os.path.abspath(staging), os.fspath(staging), _display_path(staging)}
    for prefix in sorted(prefixes, key=len, reverse=True):
        message = message.replace(prefix + os.sep, "").replace(prefix + "/", "")
    return message


def _sync_tree(root: Path) -> None:
    files, dirs = [], [root]
    for base, subdirs, names in os.walk(root):
        dirs.extend(Path(base) / d for d in subdirs)
        files.extend(Path(base) / n for n in names)
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(_fsync_path, files))
    for d in dirs:
        _fsync_path(d, directory=True)


def _swap_in(staging: Path, target: Path) -> None:
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        if _exchange(staging, target):
            _fsync_path(parent, directory=True)
            shutil.rmtree(staging, ignore_errors=True)  # now the old folder
            return
        old = _old_name(target)
        os.rename(target, old)
        try:
            os.rename(staging, target)
        except BaseException:
            os.rename(old, target)
            raise
        _fsync_path(parent, directory=True)
        shutil.rmtree(old, ignore_errors=True)
        return
    os.rename(staging, target)
    _fsync_path(parent, directory=True)


class OutputSet:
    """Render the files of an output folder in memory, then commit the folder whole.

    :meth:`add` files (relative POSIX paths, subfolders allowed), :meth:`add_warnings`
    for the manifest, then :meth:`commit`: the folder is staged, gets ``manifest.json``
    and replaces ``directory`` at once (:func:`staged_folder`). Nothing is written if
    rendering fails part-way. Call :func:`prepare_output` with the same ``force`` before
    the work, so a refused run costs nothing.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        force: bool = False,
        run: RunInfo | None = None,
        manifest: bool = True,
    ) -> None:
        self.directory = Path(directory)
        self.force = force
        self.run = run
        self.manifest = manifest
        self._files: dict[str, bytes] = {}
        self._warnings: list[str] = []

    def add(self, name: str, data: str | bytes) -> None:
        _check_relative(name, self.directory)
        if name == MANIFEST and self.manifest:
            raise InputError(f"{name}: reserved for the manifest")
        self._files[name] = data.encode("utf-8") if isinstance(data, str) else data

    def add_json(self, name: str, obj: Any) -> None:
        self.add(name, dumps_json(obj))

    def add_warnings(self, messages: Iterable[str]) -> None:
        """Warning strings for this folder's manifest (after the current run's)."""
        self._warnings.extend(str(m) for m in messages)

    @property
    def names(self) -> list[str]:
        return sorted(self._files)

    def commit(self) -> list[Path]:
        """Write the folder (old-or-new, never a mix); returns the data files written."""
        with staged_folder(
            self.directory,
            force=self.force,
            run=self.run,
            warnings=self._warnings,
            manifest=self.manifest,
        ) as stage:
            for name, data in sorted(self._files.items()):
                path = stage.path / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        return [self.directory / name for name in self.names]


def write_tree(
    directory: str | os.PathLike,
    files: Mapping[str, str | bytes],
    *,
    force: bool = False,
    run: RunInfo | None = None,
    warnings: Sequence[str] = (),
) -> list[Path]:
    """Write a whole new directory tree at once (e.g. a generated bank of 10,000 files).

    ``files`` maps relative POSIX paths to contents. The same whole-folder commit as
    :class:`OutputSet` (staged sibling, ``manifest.json``, one swap). Returns the
    written paths, sorted (manifest excluded).
    """
    target = Path(directory)
    for name in files:
        _check_relative(name, target)
    output = OutputSet(target, force=force, run=run)
    output.add_warnings(warnings)
    for name, data in files.items():
        output.add(name, data)
    return output.commit()


# --------------------------------------------------------------------------- reading


def expand_paths(paths: list[str | os.PathLike], suffixes: tuple[str, ...]) -> Iterator[Path]:
    """Files named by ``paths``, directories searched recursively for ``suffixes``, sorted.

    Manifests (:func:`is_manifest`) found in directories are skipped.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in suffixes and not is_manifest(p)
            )
        elif path.exists():
            yield path
        else:
            raise InputError(f"{path}: no such file or directory")
