"""The counting kernels against plain NumPy: the item-major count table, part totals and
the letter coding of Arrow dictionary columns."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from cehrs_items.analysis._tables import column_totals, count_table
from cehrs_items.analysis.sufficient import _part_counts
from cehrs_items.partitions import _code_letters, _suspicious_ids


def _reference_table(codes, total, n_codes, n_scores, weights, group, n_groups):
    """``table[g, s, j, o]`` one examinee at a time (the definition)."""
    n, k = codes.shape
    out = np.zeros((n_groups, n_scores, k, n_codes + 1))
    w = np.ones(n) if weights is None else weights
    g = np.zeros(n, dtype=int) if group is None else group
    for i in range(n):
        for j in range(k):
            out[g[i], total[i], j, codes[i, j] + 1] += w[i]
    return out


@pytest.mark.parametrize("n_codes", [2, 5])
@pytest.mark.parametrize("k", [1, 2, 5, 7])
@pytest.mark.parametrize("weighted", [False, True])
def test_item_major_table_equals_the_definition(n_codes, k, weighted):
    rng = np.random.default_rng(7 + k + n_codes)
    n = 211
    codes = rng.integers(-1, n_codes, size=(n, k)).astype(np.int8)
    total = rng.integers(0, k + 1, size=n)
    group = rng.integers(0, 3, size=n).astype(np.int8)
    weights = rng.integers(0, 4, size=n).astype(np.float64) if weighted else None
    expected = _reference_table(codes, total, n_codes, k + 1, weights, group, 3)
    item_major = np.asfortranarray(codes)  # as the Parquet reader lays them out
    assert item_major.flags.f_contiguous and (k == 1 or not item_major.flags.c_contiguous)
    for layout in (codes, item_major):
        got = count_table(
            layout, total, n_codes=n_codes, n_scores=k + 1, weights=weights, group=group, n_groups=3
        )
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)


def test_item_major_table_of_no_rows_is_zeros():
    codes = np.asfortranarray(np.zeros((0, 4), dtype=np.int8))
    got = count_table(codes, np.zeros(0, dtype=np.int64), n_codes=5, n_scores=5)
    assert got.shape == (1, 5, 4, 6) and not got.any()


def test_column_totals_and_part_counts_equal_numpy_sums():
    rng = np.random.default_rng(3)
    k, n = 300, 157  # more than 255 items: totals leave uint8
    scores = (rng.random((k, n)) < 0.6).astype(np.int8)
    mask = rng.random(k) < 0.9
    assert mask.sum() > 255
    np.testing.assert_array_equal(column_totals(scores, mask), scores[mask].sum(axis=0))
    parts = np.stack([rng.random(k) < 0.3, np.zeros(k, dtype=bool), np.ones(k, dtype=bool)])
    weights = rng.integers(0, 3, size=n).astype(np.float64)
    totals = (parts.astype(np.int64) @ scores).T  # (n, m)
    by_part = np.stack([column_totals(scores, p) for p in parts])
    np.testing.assert_array_equal(by_part, totals.T)
    freq, cross = _part_counts(by_part, weights, k)
    for p in range(parts.shape[0]):
        np.testing.assert_array_equal(freq[p], np.bincount(totals[:, p], weights, k + 1))
    np.testing.assert_array_equal(cross, totals.T @ (totals * weights[:, None]))


@pytest.mark.parametrize("offset", [0, 3, 13])
@pytest.mark.parametrize("dictionary", [["A", "B", "C", "D"], ["D", "B", "E"], ["C"]])
def test_letter_coding_from_dictionary_indices(offset, dictionary):
    rng = np.random.default_rng(len(dictionary) + offset)
    n = 120
    index = rng.integers(0, len(dictionary), size=n)
    null = rng.random(n) < 0.2
    array = pa.DictionaryArray.from_arrays(
        pa.array(index, type=pa.int32(), mask=null), pa.array(dictionary)
    ).slice(offset)
    letters = array.to_pylist()
    expected = np.array([-1 if v is None else "ABCDE".index(v) for v in letters], dtype=np.int8)
    out = np.empty(len(letters), dtype=np.int8)
    _code_letters(array.indices, array.dictionary.to_pylist(), out, np.empty_like(out, np.int32))
    np.testing.assert_array_equal(out, expected)


def test_letter_coding_of_a_long_dictionary_takes_the_lookup_path():
    dictionary = ["A", "B", "C", "D", "E", "A", "B", "C"]  # 8 entries (repeats allowed)
    array = pa.DictionaryArray.from_arrays(
        pa.array([7, 0, None, 4, 5], type=pa.int32()), pa.array(dictionary)
    )
    out = np.empty(5, dtype=np.int8)
    _code_letters(array.indices, dictionary, out, np.empty(5, np.int32))
    np.testing.assert_array_equal(out, [2, 0, -1, 4, 0])


@pytest.mark.parametrize("large", [False, True])
def test_padded_ids_are_found_from_the_edge_bytes(large):
    kind = pa.large_string() if large else pa.string()
    clean = ["E001", "E002", "x y", "E004"]
    assert not _suspicious_ids(pa.array(clean, type=kind))
    for bad in [" E9", "E9 ", "\tE9", "E9\n", "E9\r", "\x0bE9", "E9\x0c", "\u00a0E9", "E9\u3000"]:
        assert _suspicious_ids(pa.array([*clean, bad], type=kind)), repr(bad)
        # the same id in a slice of a longer array (non-zero offset)
        sliced = pa.array(["  pad", *clean, bad, "E5"], type=kind).slice(1, len(clean) + 1)
        assert _suspicious_ids(sliced), repr(bad)
    assert not _suspicious_ids(pa.array([" pad", *clean], type=kind).slice(1))
    assert _suspicious_ids(pa.array(["E1", "NA"], type=kind))  # a missing-value look-alike
    assert _suspicious_ids(pa.array(["E1", ""], type=kind))  # blank
