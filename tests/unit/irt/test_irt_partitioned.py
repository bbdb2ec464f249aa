"""calibrate over Parquet read in partitions: the whole-file path's results and messages."""

from __future__ import annotations

import gc

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from cehrs_items.errors import DataError
from cehrs_items.irt.calibrate import CalibrationSettings, calibrate_responses
from cehrs_items.irt.models import probability
from cehrs_items.irt.partitioned import scored_patterns_from_parquet

N_ITEMS = 9
IDS = [f"CO-{j:04d}" for j in range(1, N_ITEMS + 1)]
LETTERS = np.array(list("ABCD"))


def _frame(n=1500, seed=4, omit=0.04):
    rng = np.random.default_rng(seed)
    a = np.exp(rng.normal(0, 0.3, N_ITEMS))
    b = rng.normal(0, 1, N_ITEMS)
    right = rng.random((n, N_ITEMS)) < probability(rng.normal(0, 1, n), a, b)
    key = LETTERS[rng.integers(0, 4, N_ITEMS)]
    wrong = LETTERS[(np.searchsorted(LETTERS, key)[None, :] + rng.integers(1, 4, (n, N_ITEMS))) % 4]
    letters = np.where(right, key[None, :], wrong).astype(object)
    letters[rng.random((n, N_ITEMS)) < omit] = None
    frame = pl.DataFrame({"examinee_id": [f"E{i:05d}" for i in range(n)]}).with_columns(
        pl.Series(item, letters[:, j].tolist(), dtype=pl.String) for j, item in enumerate(IDS)
    )
    return frame, dict(zip(IDS, key.tolist(), strict=True))


def _write(frame, key, folder, sizes=(700, 500, 300)):
    folder.mkdir()
    start = 0
    for i, size in enumerate(sizes):
        part = frame.slice(start, size).to_arrow()
        pq.write_table(part, folder / f"part-{i}.parquet", row_group_size=97)
        start += size
    frame.write_csv(folder.parent / "whole.csv")
    pl.DataFrame({"item_id": list(key), "key": list(key.values())}).write_csv(
        folder.parent / "key.csv"
    )
    return folder


@pytest.mark.parametrize(
    ("model", "memory_bytes"), [("2pl", 2**29), ("3pl", 2**29), ("2pl", 3000), ("3pl", 3000)]
)
def test_partitions_give_the_whole_file_estimates_byte_for_byte(tmp_path, model, memory_bytes):
    frame, key = _frame()
    parts = _write(frame, key, tmp_path / "parts")
    spill = tmp_path / "spill"
    spill.mkdir()
    settings = CalibrationSettings(
        model=model, chunk_rows=150, memory_bytes=memory_bytes, spill_dir=spill
    )
    read = scored_patterns_from_parquet(
        parts,
        key=key,
        items=IDS,
        id_column="examinee_id",
        weight_column=None,
        chunk_rows=150,
        memory_bytes=memory_bytes,
        spill_dir=spill,
    )
    assert read is not None and read.patterns.n_patterns < frame.height  # the partitioned path
    assert read.patterns.spilled == (memory_bytes < 2**20)
    del read
    chunked = calibrate_responses(parts, key=tmp_path / "key.csv", settings=settings)
    whole = calibrate_responses(tmp_path / "whole.csv", key=tmp_path / "key.csv", settings=settings)
    assert chunked.params.write_csv() == whole.params.write_csv()
    assert chunked.settings == whole.settings
    assert chunked.n_iter == whole.n_iter and chunked.loglik == whole.loglik
    gc.collect()
    assert list(spill.iterdir()) == []  # the spill files went with the patterns


def test_patterns_are_unique_and_count_every_examinee(tmp_path):
    frame, key = _frame(n=3000)
    parts = _write(frame, key, tmp_path / "parts", sizes=(1000, 1000, 1000))
    got = scored_patterns_from_parquet(
        parts, key=key, items=IDS, id_column="examinee_id", weight_column=None, chunk_rows=128
    )
    assert got is not None
    codes, freq = got.patterns.codes, got.patterns.freq
    assert freq.sum() == 3000 == got.n_examinees
    assert np.unique(codes, axis=0).shape[0] == codes.shape[0]
    # the right answers per item equal a direct count over the letters
    right = frame.select((pl.col(i) == key[i]).fill_null(False).sum() for i in IDS).row(0)
    np.testing.assert_array_equal(freq @ (codes == 1), right)


def test_a_repeated_id_across_partitions_is_the_whole_file_error(tmp_path):
    frame, key = _frame(n=600)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 550)
        .then(pl.lit("E00003"))
        .otherwise(pl.col("examinee_id"))
        .alias("examinee_id")
    )
    parts = _write(frame, key, tmp_path / "parts", sizes=(300, 300))
    with pytest.raises(DataError, match=r"row 551, column examinee_id: .*'E00003' repeats"):
        calibrate_responses(parts, key=tmp_path / "key.csv")


def test_data_that_are_not_clean_are_read_whole(tmp_path):
    frame, key = _frame(n=800)
    lower = frame.with_columns(pl.col(IDS[0]).str.to_lowercase())
    parts = _write(lower, key, tmp_path / "parts", sizes=(400, 400))
    assert (
        scored_patterns_from_parquet(
            parts, key=key, items=IDS, id_column="examinee_id", weight_column=None
        )
        is None
    )
    chunked = calibrate_responses(parts, key=tmp_path / "key.csv")
    upper = calibrate_responses(tmp_path / "whole.csv", key=tmp_path / "key.csv")
    assert chunked.params.write_csv() == upper.params.write_csv()


def test_examinees_who_omitted_everything_are_reported(tmp_path):
    frame, key = _frame(n=500)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()).is_in([10, 420])).then(None).otherwise(pl.col(i)).alias(i)
        for i in IDS
    )
    parts = _write(frame, key, tmp_path / "parts", sizes=(250, 250))
    with pytest.warns(UserWarning, match=r"2 examinee\(s\) omitted every item \(rows 11, 421\)"):
        calibrate_responses(parts, key=tmp_path / "key.csv")
