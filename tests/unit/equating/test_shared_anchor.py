"""The anchor set marked on one form of a NEAT pair serves both forms."""

import json

import numpy as np
import polars as pl
import pytest

from cehrs_items.equating.workflow import EquateRequest, run_equate
from cehrs_items.errors import CehrsError

COMMON = [f"NC-{i:04d}" for i in range(1, 5)]
ONLY_X = [f"CO-{i:04d}" for i in range(1, 7)]
ONLY_Y = [f"RC-{i:04d}" for i in range(1, 7)]


def _form(path, form_id, items, anchors):
    positions = [
        {
            "position": i + 1,
            "item_id": item,
            "item_version": 1,
            "role": "scored",
            "domain": 1,
            "key": "A",
            **({"anchor": True} if item in anchors else {}),
        }
        for i, item in enumerate(items)
    ]
    path.write_text(json.dumps({"form_id": form_id, "blueprint_id": "t", "positions": positions}))
    return path


def _responses(path, items, seed, shift):
    rng = np.random.default_rng(seed)
    theta = rng.normal(shift, 1.0, 400)
    b = np.linspace(-1.5, 1.5, len(items))
    p = 1 / (1 + np.exp(-(theta[:, None] - b)))
    scores = (rng.random(p.shape) < p).astype(int)
    frame = pl.DataFrame({"examinee_id": [f"e{i}" for i in range(400)]}).with_columns(
        [pl.Series(item, scores[:, j]) for j, item in enumerate(items)]
    )
    frame.write_csv(path)
    return path


@pytest.fixture
def pair(tmp_path):
    x_items, y_items = COMMON + ONLY_X, COMMON + ONLY_Y
    return {
        "x": _responses(tmp_path / "x.csv", x_items, 1, 0.2),
        "y": _responses(tmp_path / "y.csv", y_items, 2, 0.0),
        "form_x": _form(tmp_path / "x.json", "NEW", x_items, set(COMMON)),
        "form_y": _form(tmp_path / "y.json", "BASE", y_items, set()),
        "form_y_marked": _form(tmp_path / "y2.json", "BASE", y_items, set(COMMON)),
        "form_x_unmarked": _form(tmp_path / "x2.json", "NEW", x_items, set()),
    }


def test_marks_on_the_new_form_serve_both(pair):
    one_side = run_equate(
        EquateRequest(
            x=pair["x"],
            y=pair["y"],
            form_x=pair["form_x"],
            form_y=pair["form_y"],
            design="neat",
            method="tucker",
        )
    )
    both_sides = run_equate(
        EquateRequest(
            x=pair["x"],
            y=pair["y"],
            form_x=pair["form_x"],
            form_y=pair["form_y_marked"],
            design="neat",
            method="tucker",
        )
    )
    np.testing.assert_allclose(
        one_side.table["equated"].to_numpy(), both_sides.table["equated"].to_numpy(), atol=1e-12
    )


def test_no_marks_on_either_form_is_an_error(pair):
    with pytest.raises(CehrsError, match="marks no anchor items"):
        run_equate(
            EquateRequest(
                x=pair["x"],
                y=pair["y"],
                form_x=pair["form_x_unmarked"],
                form_y=pair["form_y"],
                design="neat",
                method="tucker",
            )
        )
