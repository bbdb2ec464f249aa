"""Safe, deterministic file output and small reading helpers.

Every file the toolkit writes goes through :func:`atomic_write` (or
:class:`OutputSet` for a command that writes several files): data go to a temporary
file in the target directory, are flushed and fsynced, then moved into place with
``os.replace``. A failed run leaves the old files, never a partial one, and existing
files are only replaced when ``force`` is given.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cehrs_items.errors import InputError


def _default_mode() -> int:
    """Mode a new file gets from ``open()`` here: 0o666 less the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _check_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise InputError(f"{path}: already exists; use --force to overwrite it")


def atomic_write(path: str | os.PathLike, data: str | bytes, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; refuse to replace an existing file unless ``force``."""
    target = Path(path)
    _check_overwrite(target, force)
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
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


class OutputSet:
    """Stage several output files and commit them together.

    Files are rendered into memory by :meth:`add`; :meth:`commit` first checks that
    none would overwrite an existing file (unless ``force``), then writes each one
    atomically. Nothing is written if rendering fails part-way.
    """

    def __init__(self, directory: str | os.PathLike, *, force: bool = False) -> None:
        self.directory = Path(directory)
        self.force = force
        self._files: dict[str, bytes] = {}

    def add(self, name: str, data: str | bytes) -> None:
        self._files[name] = data.encode("utf-8") if isinstance(data, str) else data

    def add_json(self, name: str, obj: Any) -> None:
        self.add(name, dumps_json(obj))

    @property
    def names(self) -> list[str]:
        return sorted(self._files)

    def commit(self) -> list[Path]:
        if self.directory.exists() and not self.directory.is_dir():
            raise InputError(f"{self.directory}: exists and is not a directory")
        for name in self._files:
            _check_overwrite(self.directory / name, self.force)
        return [
            atomic_write(self.directory / name, data, force=True)
            for name, data in sorted(self._files.items())
        ]


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_tree(
    directory: str | os.PathLike, files: Mapping[str, str | bytes], *, force: bool = False
) -> list[Path]:
    """Write a whole new directory tree at once (e.g. a generated bank of 10,000 files).

    Every file (``files`` maps relative POSIX paths to contents) is written into a
    temporary sibling directory and fsynced (in parallel threads, so the file system
    can commit them together), then the directory is renamed into place. An existing
    ``directory`` that is not empty is replaced only with ``force``: it is moved aside,
    the new tree moved in, and the old one deleted. A failed run leaves the old
    directory as it was and no partial tree. Returns the written paths, sorted.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise InputError(f"{target}: already exists and is not empty; use --force to replace it")
    names = sorted(files)
    for name in names:
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise InputError(f"{name}: output paths must be relative and stay inside {target}")
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    umask = os.umask(0o022)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; a bank is an ordinary folder
    old: Path | None = None
    try:
        dirs = {staging}
        written = []
        for name in names:
            path = staging / name
            if path.parent not in dirs:
                path.parent.mkdir(parents=True, exist_ok=True)
                dirs.update(path.parents)
            data = files[name]
            path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
            written.append(path)
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(_fsync_path, written))
        for d in sorted(p for p in dirs if p == staging or staging in p.parents):
            _fsync_path(d, directory=True)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            os.rmdir(old)
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:
            if old is not None:
                os.replace(old, target)
                old = None
            raise
        _fsync_path(parent, directory=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return [target / name for name in names]


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def expand_paths(paths: list[str | os.PathLike], suffixes: tuple[str, ...]) -> Iterator[Path]:
    """Files named by ``paths``, directories searched recursively for ``suffixes``, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
            )
        elif path.exists():
            yield path
        else:
            raise InputError(f"{path}: no such file or directory")
