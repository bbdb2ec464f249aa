"""read_codes (the fast response reader) agrees with read_responses + option_codes."""

import numpy as np
import polars as pl
import pytest

from cehrs_items.errors import DataError
from cehrs_items.responses import option_codes, read_codes, read_responses


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "examinee_id": ["e1", "e2", "e3", "e4"],
            "NC-0001": ["A", "B", None, "E"],
            "NC-0002": ["C", None, "D", "A"],
            "grp": ["R", "F", "R", "F"],
            "w": [1, 2, 1, 3],
        }
    )


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_clean_letters_take_the_fast_path_and_match(tmp_path, suffix):
    path = tmp_path / f"r{suffix}"
    frame = _frame()
    frame.write_parquet(path) if suffix == ".parquet" else frame.write_csv(path)
    coded = read_codes(path, weight_column="w", extra_columns=["grp"])
    full = read_responses(path, weight_column="w", extra_columns=["grp"])
    assert coded.kind == "letters"
    assert coded.item_ids == full.item_ids
    np.testing.assert_array_equal(coded.codes, option_codes(full))
    np.testing.assert_array_equal(coded.weights, [1, 2, 1, 3])
    assert coded.extra.columns == ["grp"]
    assert coded.examinee_ids.to_list() == ["e1", "e2", "e3", "e4"]


def test_messy_letters_fall_back_to_the_full_reader(tmp_path):
    path = tmp_path / "r.csv"
    _frame().with_columns(pl.Series("NC-0001", [" a", "b", "", "E"])).write_csv(path)
    coded = read_codes(path, extra_columns=["grp", "w"])
    np.testing.assert_array_equal(coded.codes[:, 0], [0, 1, -1, 4])


def test_integer_scores(tmp_path):
    path = tmp_path / "s.parquet"
    pl.DataFrame(
        {"examinee_id": ["a", "b", "c"], "NC-0001": [1, 0, None], "NC-0002": [0, 1, 1]}
    ).write_parquet(path)
    coded = read_codes(path)
    assert coded.kind == "scored"
    np.testing.assert_array_equal(coded.codes, [[1, 0], [0, 1], [-1, 1]])


def test_bad_values_give_the_read_responses_error(tmp_path):
    path = tmp_path / "bad.parquet"
    _frame().with_columns(pl.Series("NC-0002", ["C", "F", "D", "A"])).write_parquet(path)
    with pytest.raises(DataError, match=r"row 2, column NC-0002: response 'F'"):
        read_codes(path, extra_columns=["grp", "w"])


def test_duplicate_ids_give_the_read_responses_error(tmp_path):
    path = tmp_path / "dup.parquet"
    _frame().with_columns(pl.Series("examinee_id", ["e1", "e1", "e3", "e4"])).write_parquet(path)
    with pytest.raises(DataError, match="repeats"):
        read_codes(path, extra_columns=["grp", "w"])


def test_directory_of_parquet_files_keeps_file_order(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = _frame()
    frame.slice(0, 2).write_parquet(folder / "a.parquet")
    frame.slice(2, 2).write_parquet(folder / "b.parquet")
    coded = read_codes(folder, weight_column="w", extra_columns=["grp"])
    full = read_responses(folder, weight_column="w", extra_columns=["grp"])
    np.testing.assert_array_equal(coded.codes, option_codes(full))
    assert coded.examinee_ids.to_list() == ["e1", "e2", "e3", "e4"]
    assert coded.extra["grp"].to_list() == ["R", "F", "R", "F"]
    glob = read_codes(str(folder / "*.parquet"), weight_column="w", extra_columns=["grp"])
    np.testing.assert_array_equal(glob.codes, coded.codes)


def test_lower_case_parquet_letters_are_normalised_like_read_responses(tmp_path):
    path = tmp_path / "lower.parquet"
    _frame().with_columns(pl.Series("NC-0001", ["a", "b", None, "e"])).write_parquet(path)
    coded = read_codes(path, extra_columns=["grp", "w"])
    np.testing.assert_array_equal(coded.codes[:, 0], [0, 1, -1, 4])


def test_large_parquet_codes_match_option_codes(tmp_path):
    rng = np.random.default_rng(0)
    n = 5000
    letters = np.array(["A", "B", "C", "D", None], dtype=object)
    frame = pl.DataFrame(
        {"examinee_id": [f"x{i}" for i in range(n)]}
        | {f"NC-{j:04d}": list(letters[rng.integers(0, 5, n)]) for j in range(40)}
    )
    path = tmp_path / "big.parquet"
    frame.write_parquet(path, row_group_size=777)
    coded = read_codes(path, batch_columns=7)
    np.testing.assert_array_equal(coded.codes, option_codes(read_responses(path)))
