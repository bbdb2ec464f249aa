"""Bad panel data is refused with one located message (file, row, column)."""

from __future__ import annotations

import pytest

from cehrs_items.errors import DataError, InputError
from cehrs_items.standard_setting import (
    read_beuk,
    read_bookmarks,
    read_hofstee,
    read_ratings,
)

GOOD = """judge_id,item_id,round,rating
A,i1,1,0.6
A,i2,1,0.7
B,i1,1,0.5
B,i2,1,0.8
"""


def _write(tmp_path, text, name="ratings.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_ratings_read(tmp_path):
    frame = read_ratings(_write(tmp_path, GOOD))
    assert frame.columns == ["judge_id", "item_id", "round", "rating"]
    assert frame["rating"].to_list() == [0.6, 0.7, 0.5, 0.8]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("B,i2,1,0.8\n", ""),
            "judge 'B', round 1: no rating for 1 item(s): i2; every judge rates every item",
        ),
        (GOOD.replace("0.8", "1.2"), "row 4, column rating: '1.2' is not a probability in [0, 1]"),
        (GOOD.replace("0.8", "-0.1"), "row 4, column rating: '-0.1' is not a probability"),
        (GOOD.replace("0.8", "high"), "row 4, column rating: 'high' is not a probability"),
        (GOOD.replace("0.8", ""), "row 4, column rating: empty; give a probability in [0, 1]"),
        (
            GOOD + "A,i1,1,0.9\n",
            "row 5: judge_id 'A', item_id 'i1', round 1 appears twice (first on row 1)",
        ),
        (GOOD.replace("B,i1,1", "B,i1,x"), "row 3, column round: 'x' is not a round number"),
        (GOOD.replace("B,i1", ",i1"), "row 3, column judge_id: empty; give an id"),
        (
            GOOD.replace("rating", "score"),
            "column(s) rating missing (found: judge_id, item_id, round, score)",
        ),
        (
            "judge_id,item_id,rating\nA,i1,0.5\nA,i2,0.5\n",
            "round 1 has 1 judge; a panel needs at least two judges",
        ),
    ],
    ids=[
        "missing-item",
        "above-one",
        "negative",
        "non-numeric",
        "empty",
        "duplicate",
        "bad-round",
        "empty-judge",
        "missing-column",
        "one-judge",
    ],
)
def test_bad_ratings_are_located(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(DataError) as err:
        read_ratings(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_item_not_on_the_form(tmp_path):
    path = _write(tmp_path, GOOD)
    with pytest.raises(DataError, match=r"row 1, column item_id: item 'i1' is not a scored item"):
        read_ratings(path, items=["i2", "i3"])


def test_form_item_never_rated(tmp_path):
    path = _write(tmp_path, GOOD)
    with pytest.raises(DataError, match=r"judge 'A', round 1: no rating for 1 item\(s\): i3"):
        read_ratings(path, items=["i1", "i2", "i3"])


def test_yes_no_requires_zero_or_one(tmp_path):
    path = _write(tmp_path, GOOD.replace("0.6", "yes").replace("0.7", "no"))
    with pytest.raises(DataError, match=r"row 3, column rating: '0.5' is not 0 or 1 \(no/yes\)"):
        read_ratings(path, yes_no=True)


def test_missing_file_and_unreadable(tmp_path):
    with pytest.raises(InputError, match="no such panel file"):
        read_ratings(tmp_path / "nope.csv")


def test_bookmark_beyond_the_booklet(tmp_path):
    path = _write(tmp_path, "judge_id,page\nA,3\nB,101\n", "bookmarks.csv")
    with pytest.raises(DataError) as err:
        read_bookmarks(path, n_pages=100)
    assert str(err.value) == (
        f"{path}: row 2, column page: '101' is not a page of the booklet, 1 to 100"
    )
    path = _write(tmp_path, "judge_id,page\nA,3\nB,2.5\n", "bookmarks.csv")
    with pytest.raises(DataError, match="row 2, column page: '2.5' is not a page"):
        read_bookmarks(path, n_pages=100)
    path = _write(tmp_path, "judge_id,page\nA,3\nA,4\n", "bookmarks.csv")
    with pytest.raises(DataError, match="row 2: judge_id 'A', round 1 appears twice"):
        read_bookmarks(path, n_pages=100)


def test_hofstee_bounds(tmp_path):
    head = "judge_id,min_cut,max_cut,min_fail,max_fail\n"
    path = _write(tmp_path, head + "A,60,70,0.1,0.3\nB,72,70,0.1,0.3\n", "h.csv")
    with pytest.raises(DataError, match="row 2, column min_cut: 72 is above max_cut 70"):
        read_hofstee(path, max_score=100)
    path = _write(tmp_path, head + "A,60,70,0.1,0.3\nB,60,170,0.1,0.3\n", "h.csv")
    with pytest.raises(
        DataError, match=r"row 2, column max_cut: '170' is not a raw score in \[0, 100\]"
    ):
        read_hofstee(path, max_score=100)
    path = _write(tmp_path, head + "A,60,70,0.1,0.3\nB,60,70,0.4,0.3\n", "h.csv")
    with pytest.raises(DataError, match="row 2, column min_fail: 0.4 is above max_fail 0.3"):
        read_hofstee(path, max_score=100)


def test_beuk_pass_rate_range(tmp_path):
    path = _write(tmp_path, "judge_id,cut,pass_rate\nA,60,0.7\nB,65,70\n", "b.csv")
    with pytest.raises(
        DataError, match=r"row 2, column pass_rate: '70' is not a proportion in \[0, 1\]"
    ):
        read_beuk(path, max_score=100)
