"""Reading equating inputs: score files, frequency tables, responses with form files,
and item-parameter files.

Accepted data files (CSV or Parquet), detected by their columns:

- **frequency table**: ``score,freq`` (random groups) or ``score,anchor,freq`` (common
  items); a score may appear on several rows (their frequencies add up);
- **score file**: one row per examinee with ``score`` (``total`` is accepted too) and,
  for common-item designs, ``anchor``;
- **response file** with a form file (``--form-x``/``--form-y``): the responses are
  scored with the form's key (omits wrong); the total counts the scored items (pretest
  never counts) and the anchor total the positions marked ``"anchor": true``.

The maximum score comes from the form (its number of scored items), else from
``--max-x``/``--max-y``; a frequency table without either uses its largest listed
score. The anchor maximum comes from the form's anchor items, ``--max-anchor`` or the
largest anchor score listed in either group.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from cehrs_items.equating.freq import BivariateDist, ScoreDist
from cehrs_items.equating.irt_based import IrtForm
from cehrs_items.errors import DataError, EquatingError, InputError
from cehrs_items.forms import read_form
from cehrs_items.io import sha256_file
from cehrs_items.irt.params import read_params
from cehrs_items.responses import read_responses, score_responses, source_sha256
from cehrs_items.tabular import read_table

SCORE_ALIASES = ("score", "total")


@dataclass(frozen=True)
class FormScores:
    """Scores of one group as read: totals, optional anchor totals and frequencies."""

    total: np.ndarray
    anchor: np.ndarray | None
    freq: np.ndarray | None
    kind: str
    source: str
    sha256: str
    max_score: int | None = None
    max_anchor: int | None = None
    anchor_items: tuple[str, ...] | None = None
    form_sha256: str | None = None
    form_id: str | None = None

    @property
    def n(self) -> float:
        return float(self.freq.sum()) if self.freq is not None else float(self.total.size)

    def hashes(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {"file": Path(self.source).name, "sha256": self.sha256}
        if self.form_sha256 is not None:
            out["form_id"] = self.form_id
            out["form_sha256"] = self.form_sha256
        return out


def _read_table(path: Path) -> pl.DataFrame:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    return read_table(path, what="score")


def _numeric(frame: pl.DataFrame, column: str, path: Path, *, whole: bool = True) -> np.ndarray:
    series = frame.get_column(column).cast(pl.Float64, strict=False)
    bad = series.is_null() | series.is_nan()
    if bad.any():
        row = int(bad.arg_max()) + 1
        value = frame[column][row - 1]
        shown = "empty" if value is None else f"{value!r} is not a number"
        raise DataError(
            f"{path}: row {row}, column {column}: {shown} "
            "(every examinee needs a score; score omitted responses as wrong)"
        )
    values = series.to_numpy()
    if np.any(values < 0):
        row = int(np.argmax(values < 0)) + 1
        raise DataError(f"{path}: row {row}, column {column}: negative value {values[row - 1]:g}")
    if whole and np.any(values != np.round(values)):
        row = int(np.argmax(values != np.round(values))) + 1
        raise DataError(
            f"{path}: row {row}, column {column}: {values[row - 1]:g} is not a whole number"
        )
    return values


def read_form_scores(
    path: str | Path,
    *,
    form: str | Path | None = None,
    id_column: str = "examinee_id",
    role: str = "X",
    anchor_items: tuple[str, ...] | None = None,
) -> FormScores:
    """Read one group's data (see the module docstring for the accepted kinds).

    ``anchor_items`` overrides the anchor set a form file marks (used when only the other
    form of the pair marks it).

    Raises InputError for unreadable files and DataError, naming row and column, for
    missing columns or values that are not non-negative whole numbers.
    """
    path = Path(path)
    if form is not None:
        return _read_responses(path, Path(form), id_column, role, anchor_items)
    frame = _read_table(path)
    score_col = next((c for c in SCORE_ALIASES if c in frame.columns), None)
    if score_col is None:
        raise DataError(
            f"{path}: column 'score' missing (found: {', '.join(frame.columns[:8])}); a score "
            f"file needs 'score' (and 'anchor'), a frequency table 'score,freq' or "
            f"'score,anchor,freq'; for a response file give --form-{role.lower()}"
        )
    total = _numeric(frame, score_col, path)
    anchor = _numeric(frame, "anchor", path) if "anchor" in frame.columns else None
    freq = _numeric(frame, "freq", path, whole=False) if "freq" in frame.columns else None
    if total.size == 0:
        raise DataError(f"{path}: no rows")
    kind = "freq" if freq is not None else "scores"
    return FormScores(
        total=total.astype(np.int64),
        anchor=None if anchor is None else anchor.astype(np.int64),
        freq=freq,
        kind=kind,
        source=str(path),
        sha256=sha256_file(path),
        # A frequency table lists its score range; a score file does not.
        max_score=int(total.max()) if kind == "freq" else None,
        max_anchor=int(anchor.max()) if (anchor is not None and kind == "freq") else None,
    )


def _read_responses(
    path: Path,
    form_path: Path,
    id_column: str,
    role: str,
    anchor_override: tuple[str, ...] | None = None,
    other_items: tuple[str, ...] = (),
) -> FormScores:
    form = read_form(form_path)
    scored = form.scored_item_ids
    if not scored:
        raise DataError(f"{form_path}: form {form.form_id} has no scored items")
    responses = read_responses(
        path, id_column=id_column, items=scored, known_items=(*form.item_ids(), *other_items)
    )
    result = score_responses(responses, form.key, items=scored, omit="incorrect")
    anchor_items = tuple(anchor_override) if anchor_override else tuple(form.anchor_item_ids)
    not_scored = [i for i in anchor_items if i not in scored]
    if not_scored:
        raise DataError(
            f"{form_path}: anchor item(s) {', '.join(not_scored[:5])} are not scored items; "
            "anchor items must be scored"
        )
    anchor = result.raw_scores(list(anchor_items)) if anchor_items else None
    return FormScores(
        total=result.raw_scores(),
        anchor=anchor,
        freq=result.weights,
        kind="responses",
        source=str(path),
        sha256=source_sha256(path),
        max_score=len(scored),
        max_anchor=len(anchor_items) if anchor_items else None,
        anchor_items=anchor_items or None,
        form_sha256=sha256_file(form_path),
        form_id=form.form_id,
    )


def _max_score(data: FormScores, given: int | None, role: str) -> int:
    if given is not None:
        if given < 1:
            raise InputError(f"--max-{role.lower()} {given}: the maximum score must be at least 1")
        if data.kind == "responses" and data.max_score is not None and given != data.max_score:
            raise InputError(
                f"--max-{role.lower()} {given} disagrees with the form's {data.max_score} scored items"
            )
        return int(given)
    if data.max_score is not None:
        return data.max_score
    raise InputError(
        f"{data.source}: the maximum possible score of Form {role} is unknown; give "
        f"--max-{role.lower()} (the number of scored items) or a form file"
    )


def build_distributions(
    x: FormScores,
    y: FormScores,
    *,
    design: str,
    max_x: int | None = None,
    max_y: int | None = None,
    max_anchor: int | None = None,
    external_anchor: bool = False,
) -> tuple[ScoreDist | BivariateDist, ScoreDist | BivariateDist]:
    """Tabulate both groups for ``design`` (``random_groups`` or ``neat``)."""
    kx = _max_score(x, max_x, "X")
    ky = _max_score(y, max_y, "Y")
    if design == "random_groups":
        dx = ScoreDist.from_scores(
            x.total, kx, weights=x.freq, name="X", source=x.source, sha256=x.sha256
        )
        dy = ScoreDist.from_scores(
            y.total, ky, weights=y.freq, name="Y", source=y.source, sha256=y.sha256
        )
        return dx, dy
    for d, role in ((x, "X"), (y, "Y")):
        if d.anchor is None:
            what = (
                "its form marks no anchor items"
                if d.kind == "responses"
                else "it has no 'anchor' column"
            )
            raise EquatingError(
                f"{d.source}: Form {role} data cannot be used for a common-item design: {what}"
            )
    if x.anchor_items is not None and y.anchor_items is not None:
        only_x = sorted(set(x.anchor_items) - set(y.anchor_items))
        only_y = sorted(set(y.anchor_items) - set(x.anchor_items))
        if only_x or only_y:
            raise EquatingError(
                "the forms' anchor items differ: only on Form X: "
                f"{', '.join(only_x[:5]) or '-'}; only on Form Y: {', '.join(only_y[:5]) or '-'}"
            )
    if max_anchor is not None:
        kv = int(max_anchor)
    elif x.kind == "responses" and x.max_anchor is not None:
        kv = x.max_anchor
    elif y.kind == "responses" and y.max_anchor is not None:
        kv = y.max_anchor
    else:
        kv = int(max(x.anchor.max(), y.anchor.max()))
    internal = not external_anchor
    dx = BivariateDist.from_scores(
        x.total,
        x.anchor,
        kx,
        kv,
        internal=internal,
        weights=x.freq,
        name="X",
        source=x.source,
        sha256=x.sha256,
    )
    dy = BivariateDist.from_scores(
        y.total,
        y.anchor,
        ky,
        kv,
        internal=internal,
        weights=y.freq,
        name="Y",
        source=y.source,
        sha256=y.sha256,
    )
    return dx, dy


def read_irt_form(
    params: str | Path, *, form: str | Path | None = None, name: str = "X"
) -> IrtForm:
    """Item parameters of one form: the form's scored items, or every row of the file."""
    params = Path(params)
    frame = read_params(params)
    items = None
    if form is not None:
        items = read_form(form).scored_item_ids
    return IrtForm.from_params(
        frame, items=items, name=name, source=str(params), sha256=sha256_file(params)
    )


def read_single_group(
    path: str | Path,
    *,
    form_x: str | Path | None = None,
    form_y: str | Path | None = None,
    max_x: int | None = None,
    max_y: int | None = None,
    id_column: str = "examinee_id",
) -> tuple[BivariateDist, dict[str, object]]:
    """One group's scores on both forms as a joint table (rows Form X, columns Form Y).

    Accepted: a score file with ``score_x`` and ``score_y`` per examinee, a frequency
    table ``score_x,score_y,freq``, or a response file holding both forms' items scored
    with ``form_x`` and ``form_y``. Returns the table and the input hashes.
    """
    path = Path(path)
    if (form_x is None) != (form_y is None):
        raise InputError("a single-group response file needs both --form-x and --form-y")
    if form_x is not None:
        items_x = tuple(read_form(Path(form_x)).item_ids())
        items_y = tuple(read_form(Path(form_y)).item_ids())
        sx = _read_responses(path, Path(form_x), id_column, "X", other_items=items_y)
        sy = _read_responses(path, Path(form_y), id_column, "Y", other_items=items_x)
        kx = _max_score(sx, max_x, "X")
        ky = _max_score(sy, max_y, "Y")
        joint = BivariateDist.from_scores(
            sx.total, sy.total, kx, ky, internal=False, weights=sx.freq, name="XY",
            source=str(path), sha256=sx.sha256,
        )  # fmt: skip
        hashes = {
            "file": path.name,
            "sha256": sx.sha256,
            "form_x": {"form_id": sx.form_id, "sha256": sx.form_sha256},
            "form_y": {"form_id": sy.form_id, "sha256": sy.form_sha256},
        }
        return joint, hashes
    frame = _read_table(path)
    missing = [c for c in ("score_x", "score_y") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: column(s) {', '.join(missing)} missing (found: {', '.join(frame.columns[:8])}); "
            "a single-group file has score_x and score_y (and optionally freq)"
        )
    sx = _numeric(frame, "score_x", path)
    sy = _numeric(frame, "score_y", path)
    freq = _numeric(frame, "freq", path, whole=False) if "freq" in frame.columns else None
    if sx.size == 0:
        raise DataError(f"{path}: no rows")
    is_table = freq is not None
    if max_x is None and not is_table:
        raise InputError(f"{path}: the maximum possible score of Form X is unknown; give --max-x")
    if max_y is None and not is_table:
        raise InputError(f"{path}: the maximum possible score of Form Y is unknown; give --max-y")
    kx = int(max_x if max_x is not None else sx.max())
    ky = int(max_y if max_y is not None else sy.max())
    digest = sha256_file(path)
    joint = BivariateDist.from_scores(
        sx.astype(np.int64), sy.astype(np.int64), kx, ky, internal=False, weights=freq,
        name="XY", source=str(path), sha256=digest,
    )  # fmt: skip
    return joint, {"file": path.name, "sha256": digest}
