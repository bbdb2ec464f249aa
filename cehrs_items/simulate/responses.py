"""``simulate responses``: option-letter responses from the items' 3PL parameters.

Each examinee gets an ability :math:`\\theta \\sim N(\\mu, \\sigma^2)` (non-reference groups
shifted by ``impact``); answers item *j* correctly with probability
:math:`P_j(\\theta) = c_j + (1 - c_j)\\,\\mathrm{logistic}(D a_j (\\theta - b_j - \\Delta_{jg}))`
(:math:`\\Delta_{jg}` the DIF shift of item *j* for a focal group *g*); a wrong answer picks
a distractor with the item's distractor weights (Dirichlet-distributed, in the truth
file); any response is omitted with probability ``omit_rate``; a share of examinees may
run out of time on the last ``k`` items (omitting them, or guessing at random).

Randomness: one stream for the item-level draws and one per block of
:data:`BLOCK_SIZE` examinees, all children of ``SeedSequence(seed)``, so the output
depends on the seed and settings only (never on memory or threads). Everything is
vectorised over a block's examinees-by-items matrix; response probabilities and the
uniform draws compared with them are single precision (exact to about 1e-7), abilities
double.

Outputs (``<stem>`` is the response file name without its extension, in the same folder):
the responses (CSV or Parquet, ``schemas/responses.md``), ``<stem>_truth.parquet``
(examinee_id, theta, group, speeded), ``<stem>_items.csv`` (item parameters, key,
distractor weights, model-implied p; readable by ``read_key`` and ``read_params``) and
``<stem>_simulation.json`` (the settings and seed).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy.special import expit

from cehrs_items import __version__
from cehrs_items.bank import Bank, load_bank
from cehrs_items.errors import DataError, InputError
from cehrs_items.forms import read_form
from cehrs_items.io import dumps_json, prepare_outputs, write_files
from cehrs_items.irt.models import probability
from cehrs_items.irt.params import read_params
from cehrs_items.item_stats import latest_item_stats
from cehrs_items.responses import ID_COLUMN, LETTERS, table_bytes
from cehrs_items.simulate.params import quadrature
from cehrs_items.tables import table_columns

BLOCK_SIZE = 50_000
"""Examinees per random block; fixed, so outputs never depend on a chunking choice."""

SpeededMode = Literal["omit", "guess"]
BlockProgress = Callable[[int, int], None]

_GROUP_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class ResponseSettings:
    """Everything that shapes a simulation besides the items (all recorded in the output).

    ``groups`` are ``(name, share)`` pairs; the first is the reference group, the others
    focal groups that get the ``dif`` shifts (added to ``b``) and the ``impact`` (added to
    the ability mean). ``speeded_items`` last items (by position) are omitted
    (``speeded_mode="omit"``) or answered uniformly at random (``"guess"``) by a share
    ``speeded_share`` of examinees. Examinee ids are ``id_prefix`` followed by the
    zero-padded row number, so files simulated with different prefixes can be pooled.
    """

    examinees: int
    seed: int
    theta_mean: float = 0.0
    theta_sd: float = 1.0
    omit_rate: float = 0.0
    groups: tuple[tuple[str, float], ...] = ()
    group_column: str = "group"
    impact: float = 0.0
    dif: tuple[tuple[str, float], ...] = ()
    speeded_items: int = 0
    speeded_share: float = 0.0
    speeded_mode: SpeededMode = "omit"
    distractor_concentration: float = 2.0
    id_column: str = ID_COLUMN
    id_prefix: str = "E"

    def check(self, item_ids: Sequence[str]) -> None:
        """Raise InputError naming the option at fault for any impossible setting."""
        if self.examinees < 1:
            raise InputError(f"--examinees must be at least 1 (got {self.examinees})")
        if self.seed < 0:
            raise InputError(f"--seed must be a non-negative integer (got {self.seed})")
        if not (math.isfinite(self.theta_sd) and self.theta_sd > 0):
            raise InputError(f"--sd must be a positive number (got {self.theta_sd})")
        if not math.isfinite(self.theta_mean) or not math.isfinite(self.impact):
            raise InputError("--mean and --impact must be finite numbers")
        if not 0 <= self.omit_rate < 1:
            raise InputError(f"--omit-rate must lie in [0, 1) (got {self.omit_rate})")
        if not self.distractor_concentration > 0:
            raise InputError("distractor concentration must be > 0")
        names = [g for g, _ in self.groups]
        if self.groups:
            if len(self.groups) < 2:
                raise InputError("--groups needs at least two groups (reference first)")
            if len(set(names)) != len(names):
                raise InputError(f"--groups: group names repeat ({', '.join(names)})")
            for name, share in self.groups:
                if not _GROUP_RE.match(name):
                    raise InputError(
                        f"--groups: group name {name!r} must be letters, digits, _ . -"
                    )
                if not (math.isfinite(share) and share > 0):
                    raise InputError(f"--groups: share of {name!r} must be > 0 (got {share})")
            total = sum(s for _, s in self.groups)
            if abs(total - 1.0) > 1e-6:
                raise InputError(f"--groups: shares add up to {total:g}, not 1")
            if self.group_column in item_ids or self.group_column == self.id_column:
                raise InputError(
                    f"--group-column {self.group_column!r} clashes with an item or id column"
                )
        if self.dif and not self.groups:
            raise InputError("--dif needs --groups (the shift applies to the focal groups)")
        if self.impact and not self.groups:
            raise InputError("--impact needs --groups (it shifts the focal groups' mean)")
        known = set(item_ids)
        seen: set[str] = set()
        for item, shift in self.dif:
            if item not in known:
                raise InputError(f"--dif {item}={shift:g}: item {item} is not on the form")
            if item in seen:
                raise InputError(f"--dif: item {item} given twice")
            if not math.isfinite(shift):
                raise InputError(f"--dif {item}: shift must be a finite number")
            seen.add(item)
        if not 0 <= self.speeded_items <= len(item_ids):
            raise InputError(
                f"--speeded-items must lie between 0 and the {len(item_ids)} items (got "
                f"{self.speeded_items})"
            )
        if not 0 <= self.speeded_share <= 1:
            raise InputError(f"--speeded-share must lie in [0, 1] (got {self.speeded_share})")
        if self.speeded_mode not in ("omit", "guess"):
            raise InputError(f"--speeded-mode must be omit or guess (got {self.speeded_mode!r})")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.id_prefix == "E":  # the default is not recorded (older records stay valid)
            del out["id_prefix"]
        out["groups"] = [{"name": g, "share": s} for g, s in self.groups]
        out["dif"] = [{"item_id": i, "b_shift": s} for i, s in self.dif]
        return out


# --------------------------------------------------------------------------- items


_GENERATING = ("item_id", "position", "role", "key", "n_options", "a", "b", "c", "d")
ITEM_TABLE_SCHEMA = {name: table_columns("simulation_items")[name] for name in _GENERATING}
"""The generating parameters, the first columns of the ``simulation_items`` table."""


@dataclass(frozen=True)
class SimulationItems:
    """The items to simulate, in position order, with parameters and a provenance record."""

    table: pl.DataFrame
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def item_ids(self) -> list[str]:
        return self.table.get_column("item_id").to_list()


def _params_from_stats(bank: Bank, item_ids: Sequence[str], where: str) -> pl.DataFrame:
    if bank.stats is None:
        raise DataError(
            f"{where}: the bank has no statistics table (stats/item_stats.csv); run "
            "`cehrs-items simulate stats` or `calibrate`, or give --params"
        )
    rows = bank.stats.filter(
        pl.col("item_id").is_in(list(item_ids))
        & pl.col("a").is_not_null()
        & pl.col("b").is_not_null()
    )
    latest = latest_item_stats(rows).select(
        "item_id",
        "item_version",
        "a",
        "b",
        pl.col("c").fill_null(0.0),
        pl.col("d").fill_null(1.0),
    )
    missing = sorted(set(item_ids) - set(latest.get_column("item_id").to_list()))
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise DataError(
            f"{where}: no IRT parameters (a, b) in the statistics table for {len(missing)} "
            f"item(s): {shown}; run `cehrs-items simulate stats` or `calibrate`, or give --params"
        )
    return latest


def _params_from_file(path: str | Path, item_ids: Sequence[str]) -> pl.DataFrame:
    params = read_params(path)
    missing = sorted(set(item_ids) - set(params.get_column("item_id").to_list()))
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise DataError(f"{path}: no parameters for {len(missing)} item(s): {shown}")
    return params.select("item_id", "a", "b", "c", "d")


def load_simulation_items(
    form_or_bank: str | Path,
    *,
    bank: str | Path = "item_bank",
    params: str | Path | None = None,
) -> SimulationItems:
    """Items, keys and 3PL parameters for a simulation.

    ``form_or_bank`` is a form file (``schemas/form.schema.json``: items, positions, roles,
    keys) whose items are looked up in ``bank`` (option counts, statistics), or a bank
    directory, whose operational (role ``scored``) and pretest items are used, in id
    order. Parameters come from the latest statistics row with ``a`` and ``b`` of each item
    (its ``item_version`` must match the form's), or from a parameter file ``params``.
    """
    path = Path(form_or_bank)
    if path.is_dir():
        loaded = load_bank(path)
        items = loaded.by_status("operational", "pretest")
        if not items:
            raise DataError(f"{path}: the bank has no operational or pretest items to simulate")
        base = pl.DataFrame(
            {
                "item_id": [i.id for i in items],
                "position": list(range(1, len(items) + 1)),
                "role": ["scored" if i.status == "operational" else "pretest" for i in items],
                "key": [i.key for i in items],
                "n_options": [len(i.options) for i in items],
                "item_version": [i.version for i in items],
            }
        )
        source = {
            "kind": "bank",
            "bank_sha256": loaded.content_sha256,
            "form_id": None,
        }
        where = str(path)
    elif path.exists():
        form = read_form(path)
        loaded = load_bank(bank)
        frame = form.to_frame()
        missing = [i for i in frame.get_column("item_id").to_list() if i not in loaded.items]
        if missing:
            raise DataError(
                f"{path}: {len(missing)} form item(s) not in the bank {bank}: "
                f"{', '.join(missing[:5])}; give the right --bank"
            )
        n_options = []
        for item_id, key in frame.select("item_id", "key").iter_rows():
            item = loaded.items[item_id]
            if key not in item.options:
                raise DataError(
                    f"{path}: item {item_id} has key {key} on the form but no option {key} in "
                    f"{item.path}; rebuild the form"
                )
            n_options.append(len(item.options))
        base = frame.select("item_id", "position", "role", "key", "item_version").with_columns(
            pl.Series("n_options", n_options, dtype=pl.Int64)
        )
        source = {
            "kind": "form",
            "form_id": form.form_id,
            "bank_sha256": loaded.content_sha256,
        }
        where = str(path)
    else:
        raise InputError(f"{path}: no such form file or bank directory")
    ids = base.get_column("item_id").to_list()
    if params is not None:
        par = _params_from_file(params, ids)
        source["parameters"] = "parameter file"
    else:
        par = _params_from_stats(loaded, ids, where)
        stale = base.join(par.select("item_id", pl.col("item_version").alias("_v")), on="item_id")
        stale = stale.filter(pl.col("_v") != pl.col("item_version"))
        if stale.height:
            row = stale.row(0, named=True)
            raise DataError(
                f"{where}: item {row['item_id']} is version {row['item_version']} but its "
                f"statistics are for version {row['_v']}; recalibrate it or give --params"
            )
        par = par.drop("item_version")
        source["parameters"] = "statistics table"
    table = (
        base.drop("item_version")
        .join(par, on="item_id", how="left")
        .sort("position")
        .select(list(ITEM_TABLE_SCHEMA))
        .cast(ITEM_TABLE_SCHEMA)
    )
    bad = table.filter(
        (pl.col("a") <= 0) | (pl.col("c") < 0) | (pl.col("c") >= 1) | (pl.col("d") <= 0)
    )
    if bad.height:
        raise DataError(f"{where}: item {bad['item_id'][0]} has impossible 3PL parameters")
    return SimulationItems(table=table, source=source)


# ---------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class SimulatedResponses:
    """Generated data in memory.

    ``responses``: id column, the group column (with groups), one column per item (letters
    or null). ``truth``: ``examinee_id``, ``theta``, group, ``speeded``. ``items``: the
    item table plus ``dif_shift``, ``p_model`` (model-implied proportion correct in the
    simulated population, before omits and speededness) and ``w_A`` ... ``w_E``
    (distractor weights; null for the key and absent options).
    """

    responses: pl.DataFrame
    truth: pl.DataFrame
    items: pl.DataFrame
    settings: ResponseSettings


def _distractor_tables(
    items: pl.DataFrame, rng: np.random.Generator, concentration: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-item distractor weights (J, 5) by letter, cumulative weights (J, 4; +inf from
    each item's last boundary on) and option codes of the distractors (J, 4), padded where
    an item has fewer options."""
    n_items = items.height
    n_opt = items.get_column("n_options").to_numpy()
    keys = np.array([LETTERS.index(k) for k in items.get_column("key").to_list()])
    n_dis = n_opt - 1
    gam = rng.standard_gamma(concentration, size=(n_items, len(LETTERS) - 1))
    gam[np.arange(len(LETTERS) - 1)[None, :] >= n_dis[:, None]] = 0.0
    weights = gam / gam.sum(axis=1, keepdims=True)
    codes = np.zeros((n_items, len(LETTERS) - 1), dtype=np.int8)
    by_letter = np.full((n_items, len(LETTERS)), np.nan)
    for j in range(n_items):
        others = [o for o in range(n_opt[j]) if o != keys[j]]
        codes[j, : len(others)] = others
        by_letter[j, others] = weights[j, : len(others)]
    cumulative = np.cumsum(weights, axis=1)
    # The last boundary of each item (and the padding after it) can never be passed, even
    # when rounding leaves the weights' sum a hair below 1.
    cumulative[np.arange(len(LETTERS) - 1)[None, :] >= (n_dis - 1)[:, None]] = np.inf
    return by_letter, cumulative, codes


def _block_seed(seed: int, block: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(1, block))


def generate_responses(
    items: SimulationItems, settings: ResponseSettings, *, progress: BlockProgress | None = None
) -> SimulatedResponses:
    """Simulate responses to ``items`` (see the module docstring for the model)."""
    table = items.table
    ids = table.get_column("item_id").to_list()
    settings.check(ids)
    n, n_items = settings.examinees, table.height
    a = table.get_column("a").to_numpy()
    b = table.get_column("b").to_numpy()
    c = table.get_column("c").to_numpy()
    d = table.get_column("d").to_numpy()
    keys = np.array([LETTERS.index(k) for k in table.get_column("key").to_list()], dtype=np.int8)
    n_opt = table.get_column("n_options").to_numpy()
    shift = np.zeros(n_items)
    for item, value in settings.dif:
        shift[ids.index(item)] = value
    item_rng = np.random.default_rng(np.random.SeedSequence(settings.seed, spawn_key=(0,)))
    by_letter, cumulative, dcodes = _distractor_tables(
        table, item_rng, settings.distractor_concentration
    )
    n_cuts = int(table.get_column("n_options").max()) - 2  # boundaries between distractors
    cut = cumulative[:, :n_cuts].astype(np.float32)
    steps = np.diff(dcodes[:, : n_cuts + 1].astype(np.int8), axis=1).astype(np.int8)
    b32, c32 = b.astype(np.float32), c.astype(np.float32)
    da32, shift32 = (d * a).astype(np.float32), shift.astype(np.float32)
    shares = np.array([s for _, s in settings.groups]) if settings.groups else None
    speeded_cols = np.arange(n_items - settings.speeded_items, n_items)
    speeding = settings.speeded_items > 0 and settings.speeded_share > 0

    codes = np.empty((n, n_items), dtype=np.int8)
    theta_all = np.empty(n)
    group_all = np.zeros(n, dtype=np.int64)
    speeded_all = np.zeros(n, dtype=bool)
    n_blocks = -(-n // BLOCK_SIZE)
    for block in range(n_blocks):
        lo, hi = block * BLOCK_SIZE, min(n, (block + 1) * BLOCK_SIZE)
        m = hi - lo
        rng = np.random.default_rng(_block_seed(settings.seed, block))
        group = (
            rng.choice(len(shares), size=m, p=shares)
            if shares is not None
            else np.zeros(m, np.int64)
        )
        focal = group > 0
        theta = (
            settings.theta_mean
            + settings.impact * focal
            + settings.theta_sd * rng.standard_normal(m)
        )
        # Single precision from here on: halves memory traffic; P is exact to ~1e-7.
        x = np.subtract(theta.astype(np.float32)[:, None], b32[None, :])
        if settings.dif:
            x -= shift32[None, :] * focal[:, None]
        x *= da32
        expit(x, out=x)
        x *= 1.0 - c32
        x += c32  # x is now P(correct)
        u = rng.random((m, n_items), dtype=np.float32)
        correct = u < x
        # A wrong answer is uniform on [P, 1): distractor k+1 rather than k when
        # u - P >= (1 - P) * cut_k, i.e. the conditional uniform passes the k-th boundary.
        u -= x
        np.subtract(np.float32(1.0), x, out=x)
        chosen = np.broadcast_to(dcodes[:, 0], (m, n_items)).copy()
        for k in range(n_cuts):
            chosen += (u >= x * cut[:, k]) * steps[:, k]
        np.putmask(chosen, correct, np.broadcast_to(keys, (m, n_items)))
        if speeding:
            slow = rng.random(m) < settings.speeded_share
            guesses = rng.random((m, speeded_cols.size))
            if settings.speeded_mode == "omit":
                fill = np.full(guesses.shape, -1, dtype=np.int8)
            else:
                fill = np.floor(guesses * n_opt[speeded_cols][None, :]).astype(np.int8)
            sub = chosen[:, speeded_cols]
            chosen[:, speeded_cols] = np.where(slow[:, None], fill, sub)
            speeded_all[lo:hi] = slow
        if settings.omit_rate > 0:
            chosen[rng.random((m, n_items)) < settings.omit_rate] = -1
        codes[lo:hi] = chosen
        theta_all[lo:hi] = theta
        group_all[lo:hi] = group
        if progress is not None:
            progress(hi, n)

    width = max(6, len(str(n)))
    examinee_ids = pl.select(
        (
            pl.lit(settings.id_prefix)
            + pl.int_range(1, n + 1, eager=False).cast(pl.String).str.zfill(width)
        ).alias(settings.id_column)
    ).to_series()
    lookup = pl.Series("letters", [*LETTERS, None], dtype=pl.String)
    columns = [examinee_ids]
    group_series = None
    if settings.groups:
        names = pl.Series([g for g, _ in settings.groups], dtype=pl.String)
        group_series = names.gather(group_all).alias(settings.group_column)
        columns.append(group_series)
    null_code = len(LETTERS)
    for j, item_id in enumerate(ids):
        col = codes[:, j]
        index = np.where(col < 0, null_code, col).astype(np.uint32)
        columns.append(lookup.gather(pl.Series(index)).alias(item_id))
    responses = pl.DataFrame(columns)
    truth_cols = [examinee_ids, pl.Series("theta", theta_all)]
    if group_series is not None:
        truth_cols.append(group_series)
    truth_cols.append(pl.Series("speeded", speeded_all))
    truth = pl.DataFrame(truth_cols)
    items_out = table.with_columns(
        pl.lit("3pl").alias("irt_model"),
        pl.Series("dif_shift", shift),
        pl.Series("p_model", model_p_values(table, settings)),
        *[
            pl.Series(f"w_{letter}", by_letter[:, i]).fill_nan(None)
            for i, letter in enumerate(LETTERS)
        ],
    )
    return SimulatedResponses(responses=responses, truth=truth, items=items_out, settings=settings)


def model_p_values(items: pl.DataFrame, settings: ResponseSettings) -> np.ndarray:
    """Model-implied proportion correct of each item in the simulated population.

    .. math::
        p_j = \\sum_g \\pi_g \\int P_j(\\theta; b_j + \\Delta_{jg})
        \\, \\phi(\\theta; \\mu + \\delta_g, \\sigma) \\, d\\theta

    over groups *g* with shares :math:`\\pi_g`, DIF shifts :math:`\\Delta_{jg}` and impact
    :math:`\\delta_g` (both zero for the reference group); before omits and speededness.
    Tested against: simulated proportions correct (within 4 binomial SEs).
    """
    a = items.get_column("a").to_numpy()
    b = items.get_column("b").to_numpy()
    c = items.get_column("c").to_numpy()
    d = items.get_column("d").to_numpy()
    ids = items.get_column("item_id").to_list()
    shift = np.zeros(len(ids))
    for item, value in settings.dif:
        shift[ids.index(item)] = value
    groups = settings.groups or (("all", 1.0),)
    total = np.zeros(len(ids))
    for g, (_, share) in enumerate(groups):
        mean = settings.theta_mean + (settings.impact if g > 0 else 0.0)
        nodes, weights = quadrature(mean=mean, sd=settings.theta_sd)
        bb = b + (shift if g > 0 else 0.0)
        total += share * (weights @ probability(nodes, d * a, bb, c))  # D folded into a
    return total


# ---------------------------------------------------------------------------- files


@dataclass(frozen=True)
class SimulateResponsesResult:
    """Paths written by :func:`simulate_responses` and the data (kept for callers/tests)."""

    responses_path: Path
    truth_path: Path
    items_path: Path
    settings_path: Path
    data: SimulatedResponses

    @property
    def paths(self) -> list[Path]:
        return [self.responses_path, self.truth_path, self.items_path, self.settings_path]


def output_paths(out: str | Path) -> tuple[Path, Path, Path, Path]:
    """The response file and its companions: ``<stem>_truth.parquet``, ``<stem>_items.csv``,
    ``<stem>_simulation.json``."""
    out = Path(out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise InputError(f"{out}: unknown output type {out.suffix!r}; use .csv or .parquet")
    stem = out.name[: -len(out.suffix)]
    return (
        out,
        out.with_name(f"{stem}_truth.parquet"),
        out.with_name(f"{stem}_items.csv"),
        out.with_name(f"{stem}_simulation.json"),
    )


def parse_assignments(values: Sequence[str], *, option: str) -> tuple[tuple[str, float], ...]:
    """``NAME=NUMBER`` strings (also comma-separated) as ``(name, number)`` pairs, in order."""
    pairs: list[tuple[str, float]] = []
    for raw in values:
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, number = part.partition("=")
            if not sep or not name.strip():
                raise InputError(
                    f"{option} {part!r}: expected NAME=NUMBER (e.g. {option} CO-0012=0.8)"
                )
            try:
                pairs.append((name.strip(), float(number)))
            except ValueError as exc:
                raise InputError(f"{option} {part!r}: {number!r} is not a number") from exc
    return tuple(pairs)


def simulate_responses(
    form_or_bank: str | Path,
    *,
    out: str | Path,
    examinees: int,
    seed: int,
    bank: str | Path = "item_bank",
    params: str | Path | None = None,
    theta_mean: float = 0.0,
    theta_sd: float = 1.0,
    omit_rate: float = 0.0,
    groups: Sequence[tuple[str, float]] | Mapping[str, float] = (),
    group_column: str = "group",
    impact: float = 0.0,
    dif: Sequence[tuple[str, float]] | Mapping[str, float] = (),
    speeded_items: int = 0,
    speeded_share: float = 0.0,
    speeded_mode: SpeededMode = "omit",
    id_prefix: str = "E",
    force: bool = False,
    progress: BlockProgress | None = None,
    manifest: bool = True,
) -> SimulateResponsesResult:
    """Simulate responses to a form or bank and write them with their ground truth.

    See :func:`load_simulation_items` for where items and parameters come from and
    :class:`ResponseSettings` for the options. Existing outputs are replaced only with
    ``force``; the check happens before any work. Each of the four files is written
    atomically, then their manifest beside the response file (``manifest=False`` leaves
    it out, for callers whose folder has its own).
    """
    paths = output_paths(out)
    prepare_outputs(paths, force=force)
    items = load_simulation_items(form_or_bank, bank=bank, params=params)
    settings = ResponseSettings(
        examinees=examinees,
        seed=seed,
        theta_mean=theta_mean,
        theta_sd=theta_sd,
        omit_rate=omit_rate,
        groups=tuple(groups.items()) if isinstance(groups, Mapping) else tuple(groups),
        group_column=group_column,
        impact=impact,
        dif=tuple(dif.items()) if isinstance(dif, Mapping) else tuple(dif),
        speeded_items=speeded_items,
        speeded_share=speeded_share,
        speeded_mode=speeded_mode,
        id_prefix=id_prefix,
    )
    data = generate_responses(items, settings, progress=progress)
    items_csv = io.StringIO()
    data.items.write_csv(items_csv)
    record = {
        "generator": f"cehrs-items {__version__}",
        "command": "simulate responses",
        "source": items.source,
        "settings": settings.to_dict(),
        "block_size": BLOCK_SIZE,
        "n_items": data.items.height,
        "files": {
            "responses": paths[0].name,
            "truth": paths[1].name,
            "items": paths[2].name,
        },
    }
    settings_text = dumps_json(record)
    write_files(
        {
            paths[0]: table_bytes(data.responses, paths[0]),
            paths[1]: table_bytes(data.truth, paths[1]),
            paths[2]: items_csv.getvalue(),
            paths[3]: settings_text,
        },
        force=force,
        manifest=manifest,
    )
    return SimulateResponsesResult(*paths, data=data)
