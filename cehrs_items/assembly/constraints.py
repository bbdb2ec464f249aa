"""The assembly problem in blueprint terms: settings, the item pool and the targets.

:func:`build_problem` turns a bank, a blueprint, the options of a run and (optionally) a
base form into an :class:`AssemblyProblem`: NumPy arrays over the bank's items plus every
requirement the model must meet, each resolved from the blueprint or the options (no
number is a constant here). :mod:`cehrs_items.assembly.milp` turns the problem into a
mixed-integer program; :mod:`cehrs_items.assembly.diagnose` explains an infeasible one
in the same terms.

Constraint groups
-----------------
Every row of the model belongs to one named group (:data:`GROUPS`) so that a group can be
omitted (tests, diagnosis) or relaxed with elastic variables (diagnosis):

``eligibility``
    scored items only from ``operational`` items (with statistics when a statistical
    target is used), pretest slots only from ``pretest`` items.
``form_length``
    the blueprint's numbers of scored and pretest items per form.
``domain_scored``
    scored items per domain (blueprint ``domains[].scored_items``).
``subdomain_min``
    fewest scored items per subdomain (``subdomains[].min_scored``).
``pretest_domain``
    pretest items per domain (``domains[].pretest_items``).
``item_once``
    an item fills at most one position of a form.
``enemies``
    no two enemies on one form (scored or pretest), as clique inequalities.
``exposure``
    an item on at most ``max_exposure`` of the forms.
``overlap``
    at most ``max_overlap`` scored items shared by any two forms.
``anchors``
    exactly ``anchor_items`` scored items shared with the base form, split over the
    domains in proportion to the blueprint.
``key_balance``
    each key letter's share of the scored items within the blueprint's band.
``target_tolerance``
    the largest relative deviation from the statistical target at most ``tolerance``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import brentq

from cehrs_items.bank import Bank
from cehrs_items.blueprint import Blueprint
from cehrs_items.errors import DataError, InputError
from cehrs_items.forms import Form
from cehrs_items.irt.models import expected_score, item_information

GROUPS: tuple[str, ...] = (
    "eligibility",
    "form_length",
    "domain_scored",
    "subdomain_min",
    "pretest_domain",
    "item_once",
    "enemies",
    "exposure",
    "overlap",
    "anchors",
    "key_balance",
    "target_tolerance",
)
"""Names of the constraint groups, in model order."""

RELAXABLE_GROUPS: tuple[str, ...] = (
    "domain_scored",
    "subdomain_min",
    "pretest_domain",
    "enemies",
    "exposure",
    "overlap",
    "anchors",
    "key_balance",
    "target_tolerance",
)
"""Groups the diagnosis relaxes one at a time (the others define what a form is)."""

TARGETS = ("auto", "base", "cut")
STATISTICS = ("auto", "irt", "classical", "none")
LETTERS = ("A", "B", "C", "D", "E")
DEFAULT_THETAS = (-2.0, -1.0, 0.0, 1.0, 2.0)

SCORED, PRETEST = 0, 1
ROLE_NAMES = ("scored", "pretest")


@dataclass(frozen=True)
class AssemblySettings:
    """The options of one assembly run (all optional values resolved by :func:`build_problem`).

    Attributes
    ----------
    n_forms : number of forms K.
    seed : seed of the tie-break costs and of position sequencing (recorded in the forms).
    form_ids : explicit form ids (K of them); default ``<form_id_prefix><n>``.
    form_id_prefix : prefix of the default form ids.
    max_exposure : most forms one item may appear on (default: K, i.e. no limit).
    max_overlap : most scored items two forms may share (default:
        ``floor(overlap_share * scored_items)``).
    overlap_share : share of the scored items used for the default ``max_overlap``.
    anchor_items : scored items each form shares with the base form (default, when a
        base form is given: ``ceil(anchor_share * scored_items)``; 0 switches anchors off).
    anchor_share : share used for the default anchor count (Kolen & Brennan 2014, sec.
        1.4.3: an internal anchor of at least 20% of a test of 40 or more items).
    target : ``base`` (base form's TIF at ``thetas``), ``cut`` (as much information at
        the cut's theta as all K forms can share) or ``auto`` (base if a base form is
        given, else cut).
    statistic : ``irt`` (information from a, b, c, d), ``classical`` (sum of p-values and
        of point-biserials), ``none`` (blueprint constraints only) or ``auto``.
    thetas : theta points of the base target (default -2, -1, 0, 1, 2); with the cut
        target, given points are also matched to the LP's average form (slower).
    theta_cut : theta of the passing score (default: from the blueprint's raw cut).
    tolerance : hard cap on the largest relative deviation from the target (None: none).
    time_limit : HiGHS time limit in seconds, per solve.
    mip_rel_gap, mip_abs_gap : HiGHS termination gaps. The objective is a relative
        deviation (or a relative common level), so the default absolute gap of 0.005 stops
        once every form is provably within half a percent of the best achievable.
    pretest_gap_factor : pretest positions leave no stretch longer than this times
        ``ceil(total / pretest)`` positions without a pretest item.
    keep_anchor_positions : put anchor items at (or next to) their base-form positions.
    method : ``simultaneous`` (one model for all forms), ``sequential`` (one form at a
        time against a fixed target, then pairwise repair) or ``auto`` (sequential for
        several forms with a statistical target, else simultaneous).
    """

    n_forms: int = 1
    seed: int = 0
    form_ids: tuple[str, ...] | None = None
    form_id_prefix: str = "F"
    max_exposure: int | None = None
    max_overlap: int | None = None
    overlap_share: float = 0.2
    anchor_items: int | None = None
    anchor_share: float = 0.2
    target: str = "auto"
    statistic: str = "auto"
    thetas: tuple[float, ...] | None = None
    theta_cut: float | None = None
    tolerance: float | None = None
    time_limit: float = 60.0
    mip_rel_gap: float = 1e-3
    mip_abs_gap: float = 5e-3
    pretest_gap_factor: float = 2.0
    keep_anchor_positions: bool = True
    method: str = "auto"

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_forms": self.n_forms,
            "seed": self.seed,
            "form_ids": list(self.form_ids) if self.form_ids else None,
            "max_exposure": self.max_exposure,
            "max_overlap": self.max_overlap,
            "anchor_items": self.anchor_items,
            "target": self.target,
            "statistic": self.statistic,
            "thetas": None if self.thetas is None else [float(t) for t in self.thetas],
            "theta_cut": self.theta_cut,
            "tolerance": self.tolerance,
        }


@dataclass
class ItemPool:
    """Arrays over every bank item (sorted by id); index ``i`` is the same item everywhere."""

    ids: np.ndarray
    version: np.ndarray
    status: np.ndarray
    domain: np.ndarray
    subdomain: np.ndarray
    key: np.ndarray
    scored_ok: np.ndarray
    pretest_ok: np.ndarray
    anchor_ok: np.ndarray
    base_position: np.ndarray
    enemy_pairs: np.ndarray
    enemy_cliques: list[np.ndarray]
    stats: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    def index(self) -> dict[str, int]:
        return {item_id: i for i, item_id in enumerate(self.ids)}


@dataclass
class Target:
    """The statistical target: features (items x m) and target values, or none.

    ``values[k]`` is NaN for a feature to be maximised on every form (maximin); its
    ``scale[k]`` (a typical form's value: the scored-item count times the mean over the
    eligible items) puts the objective on a relative scale.
    """

    statistic: str
    kind: str
    names: list[str]
    features: np.ndarray
    values: np.ndarray
    thetas: list[float]
    theta_cut: float | None
    notes: list[str] = field(default_factory=list)
    scale: np.ndarray | None = None

    @property
    def m(self) -> int:
        return len(self.names)


@dataclass
class AssemblyProblem:
    """Everything the model needs, resolved from the bank, blueprint, options and base form."""

    blueprint: Blueprint
    bank: Bank
    settings: AssemblySettings
    pool: ItemPool
    target: Target
    form_ids: tuple[str, ...]
    max_exposure: int
    max_overlap: int
    anchor_by_domain: dict[int, int]
    key_letters: tuple[str, ...]
    key_bounds: dict[str, tuple[int, int]]
    base_form: Form | None
    notes: list[str] = field(default_factory=list)

    @property
    def n_forms(self) -> int:
        return len(self.form_ids)

    @property
    def anchor_items(self) -> int:
        return sum(self.anchor_by_domain.values())

    def describe(self) -> dict[str, Any]:
        """The resolved settings (recorded in each form's ``solver.settings``)."""
        s = self.settings
        return {
            "n_forms": self.n_forms,
            "max_exposure": self.max_exposure,
            "max_overlap": self.max_overlap,
            "anchor_items": self.anchor_items,
            "anchor_by_domain": {str(k): v for k, v in sorted(self.anchor_by_domain.items())},
            "key_letters": list(self.key_letters),
            "key_bounds": {k: list(v) for k, v in sorted(self.key_bounds.items())},
            "target": self.target.kind,
            "statistic": self.target.statistic,
            "thetas": self.target.thetas,
            "theta_cut": self.target.theta_cut,
            "tolerance": s.tolerance,
            "pretest_gap_factor": s.pretest_gap_factor,
            "keep_anchor_positions": s.keep_anchor_positions,
        }


# --------------------------------------------------------------------------- helpers


def largest_remainder(total: int, weights: dict[int, float]) -> dict[int, int]:
    """Split ``total`` into integers proportional to ``weights`` (Hamilton's method).

    Remainders are broken towards the larger fractional part, then the smaller key, so
    the split is deterministic. ``largest_remainder(20, {1: 28, 2: 32, 3: 15, 4: 15,
    5: 10})`` is ``{1: 6, 2: 6, 3: 3, 4: 3, 5: 2}``.

    Tested against: hand-computed splits of 20 and 25 anchors over the CEHRS blueprint,
    and the sum for every total 0..100 (exact).
    """
    keys = sorted(weights)
    w = np.array([float(weights[k]) for k in keys])
    if total <= 0 or w.sum() <= 0:
        return {k: 0 for k in keys}
    exact = total * w / w.sum()
    base = np.floor(exact + 1e-12).astype(int)
    order = sorted(range(len(keys)), key=lambda j: (-(exact[j] - base[j]), keys[j]))
    for j in order[: total - int(base.sum())]:
        base[j] += 1
    return {k: int(v) for k, v in zip(keys, base, strict=True)}


def enemy_cliques(n: int, pairs: np.ndarray) -> list[np.ndarray]:
    """A deterministic greedy clique cover of the enemy graph's edges.

    Each clique C gives the valid inequality ``sum_{i in C} x_i <= 1``; together they
    imply every pairwise enemy constraint and are tighter than the pairs (van der
    Linden 2005, sec. 3.2.6).
    """
    if len(pairs) == 0:
        return []
    adj: dict[int, set[int]] = {}
    for i, j in pairs:
        adj.setdefault(int(i), set()).add(int(j))
        adj.setdefault(int(j), set()).add(int(i))
    covered: set[tuple[int, int]] = set()
    cliques: list[np.ndarray] = []
    for i, j in sorted((int(a), int(b)) for a, b in pairs):
        if (i, j) in covered:
            continue
        clique = [i, j]
        for w in sorted(adj[i] & adj[j]):
            if all(w in adj[v] for v in clique):
                clique.append(w)
        clique.sort()
        for a_pos, a in enumerate(clique):
            for b in clique[a_pos + 1 :]:
                covered.add((a, b))
        cliques.append(np.array(clique, dtype=np.int64))
    return cliques


def _stats_arrays(bank: Bank, ids: list[str]) -> dict[str, np.ndarray]:
    names = ("a", "b", "c", "d", "p_value", "item_total_r")
    out = {k: np.full(len(ids), np.nan) for k in names}
    out["stats_version"] = np.zeros(len(ids), dtype=np.int64)
    stats = bank.latest_stats()
    if stats is None or stats.height == 0:
        return out
    frame = pl.DataFrame({"item_id": ids}).join(stats, on="item_id", how="left")
    for k in names:
        out[k] = frame.get_column(k).cast(pl.Float64).fill_null(np.nan).to_numpy().copy()
    out["stats_version"] = frame.get_column("item_version").fill_null(0).to_numpy().copy()
    # The logistic scaling constant defaults to 1 (logistic metric) where it is absent.
    has_irt = np.isfinite(out["a"]) & np.isfinite(out["b"])
    out["c"] = np.where(has_irt & ~np.isfinite(out["c"]), 0.0, out["c"])
    out["d"] = np.where(has_irt & ~np.isfinite(out["d"]), 1.0, out["d"])
    return out


def _resolve_form_ids(settings: AssemblySettings, base_form: Form | None) -> tuple[str, ...]:
    k = settings.n_forms
    if k < 1:
        raise InputError(f"--forms: {k} forms asked for; give 1 or more")
    if settings.form_ids:
        ids = tuple(settings.form_ids)
        if len(ids) != k:
            raise InputError(f"--form-ids: {len(ids)} ids given for --forms {k}; give exactly {k}")
    else:
        width = len(str(k))
        ids = tuple(f"{settings.form_id_prefix}{n:0{width}d}" for n in range(1, k + 1))
    pattern = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    for form_id in ids:
        if not pattern.match(form_id):
            raise InputError(
                f"form id {form_id!r}: use letters, digits, '.', '_' or '-' "
                "(starting with a letter or digit)"
            )
    if len(set(ids)) != len(ids):
        raise InputError(f"--form-ids: ids repeat ({', '.join(ids)})")
    if base_form is not None and base_form.form_id in ids:
        raise InputError(
            f"form id {base_form.form_id} is the anchor form's id; choose other --form-ids"
        )
    return ids


def theta_for_raw(
    raw: float, a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, *, scale: float = 1.0
) -> tuple[float, str | None]:
    """Theta at which ``scale`` times the test characteristic curve equals ``raw``.

    .. math:: \\text{scale} \\cdot \\sum_j P_j(\\theta) = \\text{raw}

    Returns the theta and a note when ``raw`` lies outside the curve's range on
    [-6, 6] (theta is then clamped to the nearer end). References: Lord (1980), ch. 4
    (test characteristic curve); solved with Brent's method.

    Tested against: the closed form for n identical 3PL items,
    :math:`\\theta = b + \\ln((p - c)/(1 - p))/(D a)` with :math:`p = \\text{raw}/n`,
    abs 1e-8.
    """

    def f(t: float) -> float:
        return float(scale * _tcc(t, a, b, c, d) - raw)

    lo, hi = -6.0, 6.0
    f_lo, f_hi = f(lo), f(hi)
    if f_lo >= 0:
        return lo, f"raw cut {raw:g} is at or below the expected score at theta {lo:g}"
    if f_hi <= 0:
        return hi, f"raw cut {raw:g} is at or above the expected score at theta {hi:g}"
    return float(brentq(f, lo, hi, xtol=1e-10)), None


def _tcc(theta: float, a, b, c, d) -> float:
    total = 0.0
    for dv in np.unique(d):
        sel = d == dv
        total += float(expected_score(theta, a[sel], b[sel], c[sel], d=float(dv)))
    return total


def information_matrix(thetas, a, b, c, d) -> np.ndarray:
    """Item information, items (rows) x thetas (columns), for per-item scaling constants.

    .. math:: I_i(\\theta) = D_i^2 a_i^2 \\frac{(P_i - c_i)^2}{(1 - c_i)^2} \\frac{1 - P_i}{P_i}

    References: Lord (1980), eq. 5-9; Baker & Kim (2004), ch. 1. Items without ``a``
    and ``b`` get 0.

    Tested against: :math:`D^2 a^2 / 4` for the 2PL at :math:`\\theta = b` (abs 1e-12)
    and the 3PL maximum at :math:`b + \\ln((1 + \\sqrt{1 + 8c})/2)/(D a)` (abs 2e-4).
    """
    thetas = np.asarray(thetas, dtype=np.float64)
    out = np.zeros((len(a), len(thetas)))
    ok = np.isfinite(a) & np.isfinite(b)
    for dv in np.unique(d[ok]):
        sel = ok & (d == dv)
        out[sel] = item_information(thetas, a[sel], b[sel], c[sel], d=float(dv)).T
    return out


def key_bounds_for(blueprint: Blueprint, present_keys) -> dict[str, tuple[int, int]]:
    """Fewest and most scored items per key letter on a form, from ``form.key_balance``.

    The letters are the first ``options_per_item`` letters (each held to
    ``[ceil(min_share * n), floor(max_share * n)]``) plus any other letter found among
    ``present_keys`` (held to the maximum only).
    """
    kb = blueprint.key_balance
    scored = blueprint.scored_items
    banded = list(LETTERS[: blueprint.options_per_item]) if blueprint.options_per_item else []
    letters = list(banded)
    for extra in sorted({str(k) for k in present_keys}):
        if extra not in letters:
            letters.append(extra)
    if not banded:
        banded = list(letters)
    lo = int(math.ceil(kb.min_share * scored - 1e-9))
    hi = int(math.floor(kb.max_share * scored + 1e-9))
    return {k: (lo if k in banded else 0, hi) for k in letters}


# --------------------------------------------------------------------------- problem


def build_pool(bank: Bank, blueprint: Blueprint, base_form: Form | None = None) -> ItemPool:
    """The item arrays of :class:`ItemPool` (eligibility without statistics)."""
    items = bank.sorted_items()
    ids = [it.id for it in items]
    index = {item_id: i for i, item_id in enumerate(ids)}
    n = len(ids)
    status = np.array([it.status for it in items], dtype=object)
    domain = np.array([it.domain for it in items], dtype=np.int64)
    known_domains = set(blueprint.domain_numbers)
    in_blueprint = np.array([d in known_domains for d in domain], dtype=bool)
    pairs = set()
    for i, it in enumerate(items):
        for other in it.enemies:
            j = index.get(other)
            if j is not None and j != i:
                pairs.add((min(i, j), max(i, j)))
    pair_arr = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    anchor_ok = np.zeros(n, dtype=bool)
    base_position = np.zeros(n, dtype=np.int64)
    if base_form is not None:
        for pos in base_form.positions:
            j = index.get(pos["item_id"])
            if j is None:
                continue
            base_position[j] = pos["position"]
            if (
                pos["role"] == "scored"
                and status[j] == "operational"
                and items[j].version == pos["item_version"]
            ):
                anchor_ok[j] = True
    return ItemPool(
        ids=np.array(ids, dtype=object),
        version=np.array([it.version for it in items], dtype=np.int64),
        status=status,
        domain=domain,
        subdomain=np.array([it.subdomain for it in items], dtype=object),
        key=np.array([it.key for it in items], dtype=object),
        scored_ok=(status == "operational") & in_blueprint,
        pretest_ok=(status == "pretest") & in_blueprint,
        anchor_ok=anchor_ok,
        base_position=base_position,
        enemy_pairs=pair_arr,
        enemy_cliques=enemy_cliques(n, pair_arr),
        stats=_stats_arrays(bank, ids),
    )


def _choose_statistic(pool: ItemPool, requested: str) -> tuple[str, np.ndarray]:
    """The statistic used and which operational items have it."""
    st = pool.stats
    has_irt = np.isfinite(st["a"]) & np.isfinite(st["b"]) & (st["a"] > 0)
    has_ctt = np.isfinite(st["p_value"]) & np.isfinite(st["item_total_r"])
    op = pool.scored_ok
    if requested == "irt":
        return "irt", has_irt
    if requested == "classical":
        return "classical", has_ctt
    if requested == "none":
        return "none", np.ones(len(pool), dtype=bool)
    n_irt, n_ctt = int((op & has_irt).sum()), int((op & has_ctt).sum())
    if n_irt == 0 and n_ctt == 0:
        return "none", np.ones(len(pool), dtype=bool)
    if n_irt >= n_ctt:
        return "irt", has_irt
    return "classical", has_ctt


def _base_scored_indices(pool: ItemPool, base_form: Form) -> np.ndarray:
    index = pool.index()
    missing = [i for i in base_form.scored_item_ids if i not in index]
    if missing:
        raise DataError(
            f"{base_form.path}: anchor form item(s) {', '.join(missing[:5])} are not in the bank"
        )
    return np.array([index[i] for i in base_form.scored_item_ids], dtype=np.int64)


def _build_target(
    problem_pool: ItemPool,
    blueprint: Blueprint,
    settings: AssemblySettings,
    base_form: Form | None,
    statistic: str,
) -> Target:
    kind = settings.target
    if kind not in TARGETS:
        raise InputError(f"--target: {kind!r} is not one of {', '.join(TARGETS)}")
    if kind == "auto":
        kind = "base" if base_form is not None else "cut"
    if kind == "base" and base_form is None:
        raise InputError("--target base needs a base form: give --anchor-form FORM.json")
    st = problem_pool.stats
    n = len(problem_pool)
    notes: list[str] = []
    if statistic == "none":
        return Target("none", "none", [], np.zeros((n, 0)), np.zeros(0), [], None, notes)
    base_idx = _base_scored_indices(problem_pool, base_form) if base_form is not None else None
    if base_idx is not None:
        cols = ("a", "b") if statistic == "irt" else ("p_value", "item_total_r")
        lacking = [
            str(problem_pool.ids[j])
            for j in base_idx
            if not all(np.isfinite(st[c][j]) for c in cols)
        ]
        if lacking and kind == "base":
            raise DataError(
                f"{base_form.path}: anchor form item(s) {', '.join(lacking[:5])} have no "
                f"{'IRT parameters' if statistic == 'irt' else 'p-value/point-biserial'} "
                "in the statistics table; the base target needs them"
            )
    if statistic == "irt":
        a, b, c, d = (
            np.nan_to_num(st[k], nan=v) for k, v in zip("abcd", (1, 0, 0, 1), strict=True)
        )
        theta_cut = settings.theta_cut
        if theta_cut is None:
            raw_cut = blueprint.scale.raw_cut
            if base_idx is not None:
                j = base_idx
                theta_cut, note = theta_for_raw(raw_cut, a[j], b[j], c[j], d[j])
                source = f"the base form's test characteristic curve at raw {raw_cut:g}"
            else:
                j = np.flatnonzero(problem_pool.scored_ok & np.isfinite(st["a"]))
                scale = blueprint.scored_items / max(len(j), 1)
                theta_cut, note = theta_for_raw(raw_cut, a[j], b[j], c[j], d[j], scale=scale)
                source = (
                    f"the operational pool's average characteristic curve at raw {raw_cut:g} "
                    f"of {blueprint.scored_items}"
                )
            notes.append(f"theta of the passing score {theta_cut:.4f} from {source}")
            if note:
                notes.append(note)
        if kind == "base":
            thetas = [float(t) for t in (settings.thetas or DEFAULT_THETAS)]
            feats = information_matrix(thetas, a, b, c, d)
            values = feats[base_idx].sum(axis=0)
            names = [f"info({t:g})" for t in thetas]
        else:
            thetas = [float(theta_cut)]
            feats = information_matrix(thetas, a, b, c, d)
            values = np.array([np.nan])
            names = [f"info({theta_cut:.4f})"]
        feats = np.where(np.isfinite(feats), feats, 0.0)
        return Target("irt", kind, names, feats, values, thetas, float(theta_cut), notes)
    # classical: sum of p-values (difficulty) and of point-biserials (discrimination)
    p = np.nan_to_num(st["p_value"], nan=0.0)
    r = np.nan_to_num(st["item_total_r"], nan=0.0)
    feats = np.column_stack([p, r])
    if kind == "base":
        values = feats[base_idx].sum(axis=0)
    else:
        ok = problem_pool.scored_ok & np.isfinite(st["p_value"])
        values = np.array([blueprint.scored_items * float(p[ok].mean()), np.nan])
        notes.append(
            f"classical target: sum of p-values {values[0]:.4f} (operational pool's mean p "
            "times the scored items) and the largest sum of point-biserials all forms can share"
        )
    return Target(
        "classical", kind, ["sum_p_value", "sum_item_total_r"], feats, values, [], None, notes
    )


def build_problem(
    bank: Bank,
    blueprint: Blueprint,
    settings: AssemblySettings,
    *,
    base_form: Form | None = None,
) -> AssemblyProblem:
    """Resolve settings against the bank and blueprint; raise InputError/DataError if unusable."""
    if settings.statistic not in STATISTICS:
        raise InputError(
            f"--statistic: {settings.statistic!r} is not one of {', '.join(STATISTICS)}"
        )
    if len(bank) == 0:
        raise DataError(f"{bank.root}: the bank has no items")
    form_ids = _resolve_form_ids(settings, base_form)
    k = len(form_ids)
    pool = build_pool(bank, blueprint, base_form)
    notes: list[str] = []
    statistic, has_stat = _choose_statistic(pool, settings.statistic)
    if statistic == "none" and settings.statistic == "auto":
        notes.append(
            "no item statistics in the bank: forms meet the blueprint but are not matched "
            "statistically"
        )
    lacking = pool.scored_ok & ~has_stat
    if lacking.any():
        pool.scored_ok = pool.scored_ok & has_stat
        pool.anchor_ok = pool.anchor_ok & has_stat
        label = "IRT parameters" if statistic == "irt" else "p-value and point-biserial"
        shown = ", ".join(str(x) for x in pool.ids[lacking][:5])
        notes.append(
            f"{int(lacking.sum())} operational item(s) without {label} were not used as "
            f"scored items ({shown}{', ...' if lacking.sum() > 5 else ''})"
        )
    stale = pool.scored_ok & (pool.stats["stats_version"] > 0)
    stale &= pool.stats["stats_version"] != pool.version
    if stale.any() and statistic != "none":
        notes.append(
            f"{int(stale.sum())} item(s) have statistics from an older item version "
            f"({', '.join(str(x) for x in pool.ids[stale][:5])}); they were used as they are"
        )
    target = _build_target(pool, blueprint, settings, base_form, statistic)
    if target.m:
        ok = pool.scored_ok
        mean = target.features[ok].mean(axis=0) if ok.any() else np.ones(target.m)
        target.scale = blueprint.scored_items * np.maximum(mean, 1e-9)
    else:
        target.scale = np.zeros(0)
    notes.extend(target.notes)

    scored = blueprint.scored_items
    max_exposure = k if settings.max_exposure is None else int(settings.max_exposure)
    if max_exposure < 1:
        raise InputError(f"--max-exposure: {max_exposure}; give 1 or more")
    if settings.max_overlap is None:
        max_overlap = int(math.floor(settings.overlap_share * scored + 1e-9))
    else:
        max_overlap = int(settings.max_overlap)
    if max_overlap < 0:
        raise InputError(f"--max-overlap: {max_overlap}; give 0 or more")

    if base_form is None:
        if settings.anchor_items:
            raise InputError("--anchor-items needs --anchor-form FORM.json (the base form)")
        n_anchor = 0
    elif settings.anchor_items is None:
        n_anchor = int(math.ceil(settings.anchor_share * scored - 1e-9))
    else:
        n_anchor = int(settings.anchor_items)
    if not 0 <= n_anchor <= scored:
        raise InputError(f"--anchor-items: {n_anchor}; give a number from 0 to {scored}")
    anchor_by_domain = largest_remainder(
        n_anchor, {d.domain: d.scored_items for d in blueprint.domains}
    )

    key_bounds = key_bounds_for(blueprint, pool.key[pool.scored_ok])
    letters = list(key_bounds)

    if settings.tolerance is not None and settings.tolerance < 0:
        raise InputError(f"--tolerance: {settings.tolerance}; give a share such as 0.05")
    return AssemblyProblem(
        blueprint=blueprint,
        bank=bank,
        settings=settings,
        pool=pool,
        target=target,
        form_ids=form_ids,
        max_exposure=max_exposure,
        max_overlap=max_overlap,
        anchor_by_domain=anchor_by_domain,
        key_letters=tuple(letters),
        key_bounds=key_bounds,
        base_form=base_form,
        notes=notes,
    )


def with_settings(problem: AssemblyProblem, **changes: Any) -> AssemblyProblem:
    """A copy of ``problem`` with some resolved fields replaced (for tests and diagnosis)."""
    return replace(problem, **changes)
