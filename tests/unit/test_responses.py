import numpy as np
import polars as pl
import pytest

from cehrs_items.errors import DataError, InputError
from cehrs_items.responses import (
    option_codes,
    read_key,
    read_responses,
    score_responses,
    to_long,
    write_table,
)


@pytest.fixture
def wide(tmp_path):
    frame = pl.DataFrame(
        {
            "examinee_id": ["e1", "e2", "e3"],
            "NC-0001": ["A", "b", None],
            "NC-0002": ["C", "D", ""],
            "group": ["ref", "foc", "ref"],
        }
    )
    path = tmp_path / "r.csv"
    frame.write_csv(path)
    return path


KEY = {"NC-0001": "A", "NC-0002": "D"}


def test_wide_letters_are_scored_with_omits_marked(wide):
    rs = read_responses(wide, extra_columns=["group"])
    assert rs.kind == "letters" and rs.item_ids == ("NC-0001", "NC-0002")
    scored = score_responses(rs, KEY)
    np.testing.assert_array_equal(scored.scores, [[1, 0], [0, 1], [0, 0]])
    np.testing.assert_array_equal(scored.omitted, [[0, 0], [0, 0], [1, 1]])
    np.testing.assert_array_equal(scored.raw_scores(), [1, 1, 0])
    assert scored.extra["group"].to_list() == ["ref", "foc", "ref"]


def test_exclude_drops_incomplete_rows(wide):
    scored = score_responses(read_responses(wide), KEY, omit="exclude")
    assert scored.examinee_ids.to_list() == ["e1", "e2"]


def test_option_codes(wide):
    np.testing.assert_array_equal(option_codes(read_responses(wide)), [[0, 2], [1, 3], [-1, -1]])


def test_long_format_round_trip(wide, tmp_path):
    rs = read_responses(wide)
    long_path = tmp_path / "long.csv"
    to_long(rs).write_csv(long_path)
    again = read_responses(long_path)
    assert again.frame.select(rs.item_ids).equals(rs.frame.select(rs.item_ids))


def test_parquet_directory(wide, tmp_path):
    rs = read_responses(wide)
    (tmp_path / "parts").mkdir()
    write_table(rs.frame.head(2), tmp_path / "parts" / "a.parquet")
    write_table(rs.frame.tail(1), tmp_path / "parts" / "b.parquet")
    again = read_responses(tmp_path / "parts")
    assert again.n_examinees == 3


def test_zero_one_data_need_no_key(tmp_path):
    path = tmp_path / "s.csv"
    pl.DataFrame({"examinee_id": ["a", "b"], "i1": [1, 0], "i2": [None, 1]}).write_csv(path)
    rs = read_responses(path)
    assert rs.kind == "scored"
    np.testing.assert_array_equal(score_responses(rs).scores, [[1, 0], [0, 1]])


def test_bad_letter_names_row_and_column(tmp_path):
    path = tmp_path / "b.csv"
    pl.DataFrame({"examinee_id": ["a", "b"], "NC-0001": ["A", "F"]}).write_csv(path)
    with pytest.raises(DataError, match=r"row 2, column NC-0001: response 'F'"):
        read_responses(path)


def test_duplicate_ids_and_missing_id_column(tmp_path):
    path = tmp_path / "d.csv"
    pl.DataFrame({"examinee_id": ["a", "a"], "NC-0001": ["A", "B"]}).write_csv(path)
    with pytest.raises(DataError, match=r"row 2, column examinee_id: examinee id 'a' repeats"):
        read_responses(path)
    with pytest.raises(DataError, match="id column 'person' missing"):
        read_responses(path, id_column="person")


def test_missing_key_entries_and_unknown_file(wide, tmp_path):
    with pytest.raises(DataError, match="key has no entry for 1 item"):
        score_responses(read_responses(wide), {"NC-0001": "A"})
    with pytest.raises(InputError, match="no such file"):
        read_responses(tmp_path / "none.csv")


def test_read_key(tmp_path):
    path = tmp_path / "key.csv"
    path.write_text("item_id,key\nNC-0001,a\nNC-0002,D\n")
    assert read_key(path) == KEY
    path.write_text("item_id,key\nNC-0001,Z\n")
    with pytest.raises(DataError, match="row 1, column key"):
        read_key(path)


def test_weights_are_checked(tmp_path):
    path = tmp_path / "w.csv"
    pl.DataFrame({"examinee_id": ["a", "b"], "i1": [1, 0], "w": ["2", "-1"]}).write_csv(path)
    with pytest.raises(DataError, match="row 2, column w: weight"):
        read_responses(path, weight_column="w")
