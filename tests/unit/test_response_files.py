"""Strict, located reading of response files: one test per rule of schemas/responses.md."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from cehrs_items.errors import DataError, DataWarning, InputError, collect_warnings
from cehrs_items.responses import (
    read_codes,
    read_key_options,
    read_responses,
    source_sha256,
    warn_beyond_key,
)

HEADER = b"examinee_id,group,NC-0001,NC-0002,NC-0003,NC-0004,NC-0005\n"
ROWS = [
    b"e1,R,A,B,C,D,A\n",
    b"e2,F,B,B,,D,C\n",
    b"e3,R,C,A,C,B,A\n",
    b"e4,F,D,D,A,,B\n",
]
ITEMS = ["NC-0001", "NC-0002", "NC-0003", "NC-0004", "NC-0005"]


def _write(tmp_path, data: bytes, name: str = "r.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _both(path, **kw):
    """Run both readers; they must agree on errors (and on the data when accepted)."""
    outcomes = []
    for reader in (read_responses, read_codes):
        try:
            reader(path, **kw)
            outcomes.append(None)
        except (InputError, DataError) as exc:
            outcomes.append(str(exc))
    return outcomes


def _error(path, match, **kw):
    for reader in (read_responses, read_codes):
        with pytest.raises((InputError, DataError), match=match):
            reader(path, **kw)


GOOD = HEADER + b"".join(ROWS)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", r"empty file \(0 bytes\)"),
        (b"\n\n  \n", "only blank lines"),
        (GOOD[:-9], r"row 4 \(line 5\), the last: 3 of 7 fields and no end of line: .*cut off"),
        (
            HEADER + ROWS[0] + b"e2,F,B\n" + b"".join(ROWS[2:]),
            r"row 2 \(line 3\): 3 fields.*NC-0002",
        ),
        (HEADER + ROWS[0] + b"e2,F,B,B,,D,C,A,A\n", r"row 2 \(line 3\): 9 fields.*extra fields"),
        (
            HEADER + ROWS[0].replace(b"A,B", b"A\x00,B") + ROWS[1],
            r"row 1 \(line 2\), column NC-0001: NUL",
        ),
        (
            HEADER.replace(b"NC-0002", b"NC-0001") + ROWS[0],
            r"'NC-0001' appears twice \(columns 3 and 4\)",
        ),
        (GOOD.decode().encode("utf-16"), r"encoded as UTF-16 \(little-endian\)"),
        (GOOD.decode().encode("utf-16-be"), r"UTF-16 \(big-endian, no byte-order mark\)"),
        (
            GOOD.replace(b"e3", b"\xe93"),
            r"row 3 \(line 4\), column examinee_id: byte 0xE9.*Latin-1",
        ),
        (GOOD.replace(b",", b";"), "semicolon-separated; save it comma-separated"),
        (GOOD.replace(b",", b"\t"), r"tab-separated.*\.tsv"),
        (HEADER + ROWS[0] + b"\n" + ROWS[1], r"line 3 is blank"),
        (HEADER.replace(b"group", b" group") + ROWS[0], "surrounding spaces"),
        (HEADER.replace(b"group", b"") + ROWS[0], "column 2: empty column name"),
        (HEADER + b'"e1,R,A,B,C,D,A\n', "never closes"),
        (b"PAR1" + GOOD, "Parquet file with a text extension; rename it to .parquet"),
        (b"PK\x03\x04" + bytes(range(200)), "ZIP archive"),
        (HEADER, "no examinee rows"),
    ],
    ids=[
        "empty",
        "blank-lines",
        "truncated",
        "short-row",
        "long-row",
        "nul",
        "duplicate-header",
        "utf16",
        "utf16be-no-bom",
        "latin1",
        "semicolon",
        "tab-in-csv",
        "inner-blank-line",
        "header-spaces",
        "empty-header-name",
        "open-quote",
        "parquet-named-csv",
        "zip",
        "header-only",
    ],
)
def test_damaged_text_files_are_located_errors(tmp_path, data, match):
    _error(_write(tmp_path, data), match)


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + GOOD,
        GOOD.replace(b"\n", b"\r\n"),
        GOOD + b"\n\n",
        GOOD[:-1],
        HEADER
        + b"".join(b",".join(b'"%s"' % f for f in r.rstrip().split(b",")) + b"\n" for r in ROWS),
        GOOD.replace(b"A,B,C", b" a , b ,c"),
    ],
    ids=["utf8-bom", "crlf", "trailing-blank-lines", "no-final-newline", "quoted", "case-spaces"],
)
def test_equivalent_spellings_read_the_same(tmp_path, data):
    base = read_responses(_write(tmp_path, GOOD, "base.csv"), extra_columns=["group"])
    other = read_responses(_write(tmp_path, data), extra_columns=["group"])
    assert other.frame.equals(base.frame)
    codes = read_codes(_write(tmp_path, data), extra_columns=["group"])
    np.testing.assert_array_equal(codes.codes, read_codes(tmp_path / "base.csv").codes)


def test_tsv_is_tab_separated_and_a_comma_tsv_is_refused(tmp_path):
    assert read_responses(_write(tmp_path, GOOD.replace(b",", b"\t"), "r.tsv")).n_examinees == 4
    _error(_write(tmp_path, GOOD, "c.tsv"), "comma-separated; save it tab-separated")


def test_letter_beyond_the_options_is_an_error_when_declared(tmp_path):
    path = _write(tmp_path, GOOD.replace(b"e3,R,C", b"e3,R,E"))
    assert _both(path) == [None, None]  # A-E are letters when nothing is declared
    _error(
        path,
        r"row 3, column NC-0001: response 'E' is not one of the item's 4 options A-D",
        n_options=4,
    )
    _error(path, "item's 4 options", n_options={"NC-0001": 4})
    assert _both(path, n_options={"NC-0002": 4}) == [None, None]


def test_a_stray_letter_in_scores_is_the_cell_named(tmp_path):
    rows = [f"e{i},{i % 2},{(i + 1) % 2},1\n".encode() for i in range(1, 7)]
    rows[3] = b"e4,1,B,0\n"
    path = _write(tmp_path, b"examinee_id,i1,i2,i3\n" + b"".join(rows))
    _error(
        path,
        r"row 4, column i2: response 'B' is an option letter, but the other responses are 0/1 scores",
    )
    letters = b"examinee_id,i1,i2,i3\ne1,A,B,C\ne2,B,C,D\ne3,C,D,A\ne4,A,1,B\n"
    _error(
        _write(tmp_path, letters),
        r"row 4, column i2: response '1' is a 0/1 score, but the other responses are option letters",
    )


def test_invalid_value_counts_cells_and_shortens_long_values(tmp_path):
    path = _write(
        tmp_path, GOOD.replace(b"e2,F,B", b"e2,F," + b"x" * 100).replace(b"e4,F,D", b"e4,F,?")
    )
    _error(path, r"row 2, column NC-0001: response 'x{40}\.\.\.' is not an option.*\(2 such cells")


def _warnings_of(reader, path, **kw) -> list[str]:
    with collect_warnings() as messages:
        reader(path, **kw)
    return messages


@pytest.mark.parametrize("reader", [read_responses, read_codes])
def test_warnings_name_counts_and_rows(tmp_path, reader):
    data = (
        HEADER.rstrip()
        + b",ZZ-9999\n"
        + b"e1,R,A,B,C,D,A,A\n"
        + b" ,F,B,B,,D,C,A\n"
        + b"NaN,R,,,,,,A\n"
        + b"e1 ,F,D,D,A,,B,A\n"
    )
    messages = _warnings_of(reader, _write(tmp_path, data), items=ITEMS, extra_columns=["group"])
    text = "\n".join(messages)
    assert (
        "1 column(s) named like item ids are not on the form or key and are not scored: ZZ-9999"
        in text
    )
    assert "1 examinee id(s) are blank (only spaces; row 2)" in text
    assert "1 examinee id(s) read like a missing value ('NaN'; row 3)" in text
    assert "2 examinee ids are equal once surrounding spaces are removed (rows 1, 4: 'e1')" in text
    assert "1 examinee(s) omitted every item (row 3)" in text
    assert len(messages) == 5


@pytest.mark.parametrize("reader", [read_responses, read_codes])
@pytest.mark.parametrize("empty_id", [b"", b'""'], ids=["unquoted", "quoted"])
def test_an_empty_id_is_an_error_quoted_or_not(tmp_path, reader, empty_id):
    path = _write(tmp_path, HEADER + ROWS[0] + empty_id + b",F,B,B,C,D,A\n")
    with pytest.raises(DataError, match=r"row 2, column examinee_id: examinee id is empty"):
        reader(path, items=ITEMS, extra_columns=["group"])


def test_strict_turns_a_warning_into_an_error(tmp_path):
    path = _write(tmp_path, HEADER + ROWS[0] + b"e2,F,,,,,\n")
    with (
        collect_warnings(strict=True),
        pytest.raises(DataError, match="omitted every item.*--strict"),
    ):
        read_responses(path)


def test_outside_the_cli_a_warning_is_a_python_warning(tmp_path):
    path = _write(tmp_path, HEADER + ROWS[0] + b"e2,F,,,,,\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_responses(path)
    assert [w.category for w in caught] == [DataWarning]


def test_parquet_content_checks(tmp_path):
    frame = pl.read_csv(GOOD, infer_schema=False)
    _error(
        _write(tmp_path, GOOD, "r.parquet"),
        r"not a Parquet file \(it holds text starting 'examinee_id,group.*rename it to .csv",
    )
    good = tmp_path / "g.parquet"
    frame.write_parquet(good)
    _error(_write(tmp_path, good.read_bytes()[:-20], "t.parquet"), "truncated or damaged")
    listed = frame.with_columns(
        pl.col("NC-0002").map_elements(lambda v: [v], return_dtype=pl.List(pl.String))
    )
    listed.write_parquet(tmp_path / "l.parquet")
    _error(tmp_path / "l.parquet", r"column NC-0002: type List\(String\) cannot hold a response")
    frame.with_columns(pl.lit(None, pl.Date).alias("examinee_id")).write_parquet(
        tmp_path / "d.parquet"
    )
    _error(tmp_path / "d.parquet", "column examinee_id: type Date cannot hold examinee ids")


def test_parquet_directories_and_patterns_must_agree(tmp_path):
    frame = pl.read_csv(GOOD, infer_schema=False)
    parts = tmp_path / "parts"
    parts.mkdir()
    frame.head(2).write_parquet(parts / "a.parquet")
    frame.tail(2).drop("group").write_parquet(parts / "b.parquet")
    _error(parts, r"b.parquet: lacks column 'group'; every file .* first \(a.parquet\)")
    frame.tail(2).with_columns(pl.col("NC-0001").cast(pl.Categorical)).write_parquet(
        parts / "b.parquet"
    )
    _error(parts, r"b.parquet: column 'NC-0001' is Categorical.*String in a.parquet")
    (parts / "b.parquet").write_bytes(b"")
    _error(str(parts / "*.parquet"), r"b.parquet: empty file")
    (parts / "b.parquet").unlink()
    (parts / "c.csv").write_bytes(GOOD)
    _error(str(parts / "*"), r"pattern must match Parquet files only \(found .csv, .parquet\)")
    csv_only = tmp_path / "csv_only"
    csv_only.mkdir()
    (csv_only / "c.csv").write_bytes(GOOD)
    _error(csv_only, r"no .parquet files \(it holds 1 CSV/TSV file")


def test_key_n_options_column(tmp_path):
    key = _write(tmp_path, b"item_id,key,n_options\nNC-0001,A,4\nNC-0002,B,5\n", "key.csv")
    assert read_key_options(key) == {"NC-0001": 4, "NC-0002": 5}
    assert read_key_options(_write(tmp_path, b"item_id,key\nNC-0001,A\n", "k2.csv")) == {}
    bad = _write(tmp_path, b"item_id,key,n_options\nNC-0001,A,four\n", "k3.csv")
    with pytest.raises(DataError, match="row 1, column n_options: 'four'"):
        read_key_options(bad)


def test_letters_beyond_the_highest_key_warn_only_on_a_four_option_form():
    codes = np.array([[0, 1], [4, 3], [2, 4]], dtype=np.int8)
    with collect_warnings() as messages:
        warn_beyond_key(codes, ["i1", "i2"], np.array([3, 0], np.int8), "r.csv")
    assert messages == [
        "r.csv: 2 response(s) in 2 item column(s) choose an option beyond D, the highest keyed "
        "option of any item (first: row 2, column i1, 'E'); if the items have 4 options these "
        "responses are errors: declare the options (--n-options, or an n_options column in "
        "the key)"
    ]
    with collect_warnings() as messages:  # keyed A-C only: a short form may never key D
        warn_beyond_key(codes, ["i1", "i2"], np.array([2, 0], np.int8), "r.csv")
        warn_beyond_key(codes, ["i1", "i2"], np.array([4, 0], np.int8), "r.csv")
    assert messages == []


def test_group_columns_must_hold_scalars(tmp_path):
    frame = pl.read_csv(GOOD, infer_schema=False)
    bad = frame.with_columns(
        pl.col("group").map_elements(lambda v: [v], return_dtype=pl.List(pl.String))
    )
    bad.write_parquet(tmp_path / "g.parquet")
    _error(
        tmp_path / "g.parquet",
        r"column group: type List\(String\) cannot hold group labels",
        extra_columns=["group"],
    )


def test_source_hash_of_a_directory_lists_its_files(tmp_path):
    frame = pl.read_csv(GOOD, infer_schema=False)
    (tmp_path / "p").mkdir()
    frame.head(2).write_parquet(tmp_path / "p" / "a.parquet")
    frame.tail(2).write_parquet(tmp_path / "p" / "b.parquet")
    first = source_sha256(tmp_path / "p")
    assert first == source_sha256(str(tmp_path / "p" / "*.parquet")) and len(first) == 64
    frame.tail(1).write_parquet(tmp_path / "p" / "b.parquet")
    assert source_sha256(tmp_path / "p") != first


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "empty file"),
        (b"item_id;key\nNC-0001;A\n", "semicolon-separated"),
        ("item_id,key\nNC-0001,A\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_key_files_get_the_same_checks(tmp_path, data, match):
    from cehrs_items.responses import read_key

    with pytest.raises(InputError, match=match):
        read_key(_write(tmp_path, data, "key.csv"))
