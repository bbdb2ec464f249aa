"""Response patterns: collapse a 0/1 matrix with omissions into unique rows and counts.

Estimation works on unique patterns with frequency weights: identical rows (same
answers, same omissions) contribute identically to the marginal likelihood, so each is
evaluated once. Codes: 0 wrong, 1 right, 2 omitted (missing for IRT).

Patterns are held in memory, or, when they outgrow a memory budget, in files of a
temporary folder (:class:`SpilledArray`), read one chunk of rows at a time: everything
downstream of the collapse only ever slices chunks of rows. :func:`collapse_blocks`
collapses a stream of row blocks either way and gives the same patterns, in the same
(lexicographic) order, as :func:`collapse` of all the rows at once.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from cehrs_items.errors import DataError, InputError

MISSING = 2
CHUNK_ROWS = 16384
#: Patterns held in memory before :func:`collapse_blocks` spills them to disk (bytes).
DEFAULT_MEMORY_BYTES = 512 * 2**20
# The base-3 key of the first 40 codes fits in 64 bits (3**40 < 2**64).
_KEY_ITEMS = 40


def row_slices(n_rows: int, rows: int) -> list[slice]:
    """Consecutive slices of at most ``rows`` rows covering ``n_rows`` rows."""
    return [slice(start, min(start + rows, n_rows)) for start in range(0, n_rows, rows)]


class SpilledArray:
    """A C-ordered array in a raw binary file, read one block of rows at a time.

    Supports ``len``, ``shape``, ``dtype``, ``ndim`` and ``a[start:stop]`` (a fresh
    in-memory copy of those rows, so nothing stays mapped), plus ``a[rows, columns]``
    for a slice of rows. That is all the estimation code asks of its pattern arrays.
    """

    def __init__(self, path: Path, dtype: np.dtype, shape: tuple[int, ...]) -> None:
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(s) for s in shape)
        self._row_items = int(np.prod(self.shape[1:], dtype=np.int64))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        columns = None
        if isinstance(key, tuple):
            key, columns = key[0], key[1:]
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("a SpilledArray is read by contiguous slices of rows")
        start, stop, _ = key.indices(self.shape[0])
        stop = max(start, stop)
        block = np.fromfile(
            self.path,
            dtype=self.dtype,
            count=(stop - start) * self._row_items,
            offset=start * self._row_items * self.dtype.itemsize,
        ).reshape((stop - start, *self.shape[1:]))
        return block[(slice(None), *columns)] if columns else block


class _Folder:
    """A temporary folder removed when its last user is garbage-collected (or at exit)."""

    def __init__(self, parent: str | Path | None) -> None:
        if parent is not None and not Path(parent).is_dir():
            raise InputError(f"spill folder {parent}: not a folder; create it or pick another")
        self.path = Path(tempfile.mkdtemp(prefix="cehrs-patterns-", dir=parent))
        weakref.finalize(self, shutil.rmtree, str(self.path), True)


@dataclass(frozen=True)
class Patterns:
    """Unique response patterns (``codes``, int8 0/1/2) and their total weights ``freq``.

    Both are NumPy arrays, or :class:`SpilledArray` files when the patterns were spilled
    to disk (``spilled``); read them by chunks of rows (:meth:`chunks`).
    """

    codes: np.ndarray | SpilledArray
    freq: np.ndarray | SpilledArray
    _folder: _Folder | None = field(default=None, repr=False, compare=False)

    @property
    def n_patterns(self) -> int:
        return int(self.codes.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.codes.shape[1])

    @property
    def spilled(self) -> bool:
        return self._folder is not None

    def chunks(self, rows: int = CHUNK_ROWS) -> list[slice]:
        """Slices of at most ``rows`` patterns covering all of them, in order."""
        return row_slices(self.n_patterns, rows)

    @cached_property
    def has_missing(self) -> bool:
        return any(bool((self.codes[sl] == MISSING).any()) for sl in self.chunks(1 << 16))

    @cached_property
    def total(self) -> float:
        """The summed weight of all patterns."""
        return float(sum(float(self.freq[sl].sum()) for sl in self.chunks(1 << 16)))

    def in_memory(self) -> Patterns:
        """The same patterns as NumPy arrays (reads spilled files whole)."""
        if not self.spilled:
            return self
        return Patterns(codes=self.codes[:], freq=self.freq[:])

    def correct(self, dtype: type = np.float64) -> np.ndarray:
        """1 where the response is right (0 for wrong or omitted)."""
        return (self.codes[:] == 1).astype(dtype)

    def observed(self, dtype: type = np.float64) -> np.ndarray:
        """1 where a response was given (0 where omitted)."""
        return (self.codes[:] != MISSING).astype(dtype)


def encode(scores: np.ndarray, omitted: np.ndarray | None = None) -> np.ndarray:
    """int8 codes 0/1/2 from a 0/1 matrix and an omission mask (True = omitted)."""
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise DataError(
            f"responses: expected a 2-D examinee x item matrix, got shape {scores.shape}"
        )
    if scores.dtype in (np.int8, np.uint8, np.bool_):
        bad = scores.view(np.uint8) > 1  # one byte each: anything but 0 and 1 (negatives wrap)
    else:
        bad = ~np.isin(scores, (0, 1))
    if omitted is not None:
        omitted = np.asarray(omitted, dtype=bool)
        bad &= ~omitted
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"responses: row {row + 1}, item column {col + 1}: score {scores[row, col]!r} "
            "is not 0 or 1; score the responses first"
        )
    if omitted is None:
        return scores.astype(np.int8, copy=True)
    return np.where(omitted, np.int8(MISSING), scores.astype(np.int8, copy=False))


def weighted_counts(
    codes: np.ndarray, weights: np.ndarray, chunk_rows: int = 65536
) -> tuple[np.ndarray, np.ndarray]:
    """Per item: the weight of examinees who answered it, and of those who got it right.

    Summed over chunks of rows, so no full-size float copy of the matrix is made.
    """
    answered = np.zeros(codes.shape[1])
    right = np.zeros(codes.shape[1])
    for start in range(0, codes.shape[0], chunk_rows):
        block = codes[start : start + chunk_rows]
        w = weights[start : start + chunk_rows]
        answered += w @ (block != MISSING)
        right += w @ (block == 1)
    return answered, right


def collapse(codes: np.ndarray, weights: np.ndarray | None = None) -> tuple[Patterns, np.ndarray]:
    """Unique rows of ``codes`` with summed weights, and each row's pattern index.

    Rows of zero weight are kept in the index but add nothing to ``freq``. The order of
    patterns is the lexicographic order of their bytes (deterministic).
    """
    codes = np.ascontiguousarray(codes, dtype=np.int8)
    n, j = codes.shape
    if n == 0:
        raise DataError("responses: no examinee rows")
    view = codes.view(np.dtype((np.void, j)))[:, 0]
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    freq = np.bincount(inverse, weights=w, minlength=first.size)
    return Patterns(codes=codes[first], freq=freq), inverse


def collapse_blocks(
    blocks: Iterable[tuple[np.ndarray, np.ndarray | None]],
    *,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    spill_dir: str | Path | None = None,
    expected_rows: int | None = None,
) -> Patterns:
    """Unique rows and summed weights of a stream of ``(codes, weights)`` row blocks.

    The result equals :func:`collapse` of all the rows at once: the same patterns in the
    same lexicographic order, and the same frequencies wherever the weights' sums are
    exact (whole-number weights, as counts of examinees are). Each block is collapsed as
    it comes. While the collapsed blocks take at most ``memory_bytes`` they are held and
    collapsed once more at the end; beyond that they are spilled to a temporary folder
    under ``spill_dir`` (default: the system's temporary folder) in key ranges of the
    first 40 items' codes (:func:`_range_keys`), each range is collapsed on its own, and
    the ranges are written one after the other. Ranges follow the lexicographic order, so
    their concatenation is the global order. Memory is then about ``memory_bytes`` (one
    range and its sort), whatever the number of rows; ``expected_rows`` (the number of
    rows in the stream, if known) sizes the ranges. The spilled patterns are read back by
    chunks of rows and their folder is removed when they are garbage-collected.
    """
    held: list[Patterns] = []
    held_bytes = 0
    spill: _Spill | None = None
    for codes, weights in blocks:
        if codes.shape[0] == 0:
            continue
        part, _ = collapse(codes, weights)
        if spill is not None:
            spill.add(part)
            continue
        held.append(part)
        held_bytes += part.codes.nbytes + part.freq.nbytes
        if held_bytes > memory_bytes:
            spill = _Spill(held, memory_bytes, spill_dir, expected_rows)
            held = []
    if spill is not None:
        return spill.finish()
    if not held:
        raise DataError("responses: no examinee rows")
    if len(held) == 1:
        return held[0]
    return collapse(
        np.concatenate([p.codes for p in held]), np.concatenate([p.freq for p in held])
    )[0]


def _range_keys(codes: np.ndarray) -> np.ndarray:
    """The first 40 codes of each row as one base-3 number (uint64): rows in lexicographic
    order have non-decreasing keys."""
    key = np.zeros(codes.shape[0], dtype=np.uint64)
    for j in range(min(codes.shape[1], _KEY_ITEMS)):
        key *= np.uint64(3)
        key += codes[:, j].astype(np.uint64)
    return key


class _Spill:
    """Collapsed blocks split into key ranges, one file pair per range, on disk."""

    def __init__(
        self,
        sample: list[Patterns],
        memory_bytes: int,
        spill_dir: str | Path | None,
        expected_rows: int | None,
    ) -> None:
        self.folder = _Folder(spill_dir)
        self.n_items = sample[0].codes.shape[1]
        keys = np.sort(np.concatenate([_range_keys(p.codes) for p in sample]))
        row_bytes = self.n_items + 8
        rows = expected_rows if expected_rows is not None else 16 * keys.size
        # Ranges of about a quarter of the budget, so one range and its sort fit in it.
        n_ranges = int(np.clip(np.ceil(rows * row_bytes / max(memory_bytes / 4, 1)), 2, 4096))
        quantiles = keys[(np.arange(1, n_ranges) * keys.size) // n_ranges]
        self.bounds = np.unique(quantiles)
        self.n_ranges = self.bounds.size + 1
        for part in sample:
            self.add(part)

    def _file(self, r: int, kind: str) -> Path:
        return self.folder.path / f"range-{r:05d}.{kind}"

    def add(self, part: Patterns) -> None:
        which = np.searchsorted(self.bounds, _range_keys(part.codes), side="right")
        order = np.argsort(which, kind="stable")
        edges = np.searchsorted(which[order], np.arange(self.n_ranges + 1))
        codes, freq = part.codes[order], part.freq[order]
        for r in np.flatnonzero(np.diff(edges)):
            rows = slice(edges[r], edges[r + 1])
            with open(self._file(r, "codes"), "ab") as fh:
                codes[rows].tofile(fh)
            with open(self._file(r, "freq"), "ab") as fh:
                freq[rows].tofile(fh)

    def finish(self) -> Patterns:
        codes_path = self.folder.path / "patterns.codes"
        freq_path = self.folder.path / "patterns.freq"
        n_patterns = 0
        with open(codes_path, "wb") as codes_out, open(freq_path, "wb") as freq_out:
            for r in range(self.n_ranges):
                path = self._file(r, "codes")
                if not path.exists():
                    continue
                codes = np.fromfile(path, dtype=np.int8).reshape(-1, self.n_items)
                freq = np.fromfile(self._file(r, "freq"), dtype=np.float64)
                merged, _ = collapse(codes, freq)
                merged.codes.tofile(codes_out)
                merged.freq.tofile(freq_out)
                n_patterns += merged.n_patterns
                path.unlink()
                self._file(r, "freq").unlink()
        return Patterns(
            codes=SpilledArray(codes_path, np.int8, (n_patterns, self.n_items)),
            freq=SpilledArray(freq_path, np.float64, (n_patterns,)),
            _folder=self.folder,
        )


def subset_patterns(
    patterns: Patterns,
    columns: Iterable[int] | None = None,
    *,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    spill_dir: str | Path | None = None,
) -> Patterns:
    """The patterns restricted to ``columns`` (default all), without those of zero weight
    or with no response left, collapsed again (dropping columns can make patterns equal).

    Equals :func:`collapse` of the examinees' rows restricted the same way (see
    :func:`collapse_blocks`).
    """
    cols = None if columns is None else np.asarray(list(columns), dtype=np.intp)

    def blocks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for sl in patterns.chunks(1 << 18):
            codes = patterns.codes[sl]
            if cols is not None:
                codes = codes[:, cols]
            freq = np.asarray(patterns.freq[sl])
            keep = (codes != MISSING).any(1) & (freq > 0)
            yield codes[keep], freq[keep]

    return collapse_blocks(
        blocks(),
        memory_bytes=memory_bytes,
        spill_dir=spill_dir,
        expected_rows=patterns.n_patterns if patterns.spilled else None,
    )


@dataclass(frozen=True)
class ScoredPatterns:
    """Scored responses kept as their unique patterns: what MML needs of the examinees.

    ``patterns`` (codes 0 wrong, 1 right, 2 omitted, with the examinees' summed weights)
    has one column per item of ``item_ids``.
    """

    patterns: Patterns
    item_ids: tuple[str, ...]

    @property
    def n_examinees(self) -> float:
        """The summed weight of the examinees (their number, without weights)."""
        return self.patterns.total
