"""The mixed-integer program of automated test assembly, solved by HiGHS via ``scipy.optimize.milp``.

Model (van der Linden 2005, ch. 4 and 6)
----------------------------------------
Decision variables are binary :math:`x_{irf} = 1` when item :math:`i` fills a slot of
role :math:`r` (scored or pretest) on form :math:`f`. Only eligible (item, role) pairs get
a column (operational items as scored, pretest items as pretest), so the ``eligibility``
group is enforced by which columns exist. Every constraint row belongs to one group of
:data:`cehrs_items.assembly.constraints.GROUPS`; the matrices are built vectorised in
``scipy.sparse`` COO form:

.. math::

    \\sum_{i \\in D_d} x_{i,s,f} = n_d,\\qquad
    \\sum_{i \\in S_s} x_{i,s,f} \\ge m_s,\\qquad
    \\sum_{i \\in P_d} x_{i,p,f} = q_d,\\qquad
    \\sum_{i \\in C} \\sum_r x_{irf} \\le 1\\ (C \\text{ an enemy clique}),

    \\sum_{f,r} x_{irf} \\le M,\\qquad
    z_{ifg} \\ge x_{isf} + x_{isg} - 1,\\ \\sum_i z_{ifg} \\le O\\ (f < g),

    \\sum_{i \\in B \\cap D_d} x_{isf} = a_d,\\qquad
    \\ell \\le \\sum_{i: \\text{key}_i = L} x_{isf} \\le u .

The statistical target is a minimax relative deviation (van der Linden 2005, sec. 5.3
and ch. 6 for multiple forms): with target values :math:`T_k` of the features
:math:`\\phi_{ik}` (item information at theta :math:`\\theta_k`, or p-value and
point-biserial),

.. math::

    \\min\\ y + \\varepsilon \\sum u_{irf} x_{irf}\\quad\\text{s.t.}\\quad
    \\Bigl|\\sum_i \\phi_{ik} x_{isf} - T_k\\Bigr| \\le y\\,T_k \\quad \\forall k, f,

where :math:`u \\sim U(0,1)` drawn with the run's seed gives a deterministic tie-break
that is too small to change :math:`y` beyond the solver's gap. For the ``cut`` target
:math:`T` is the LP-relaxation optimum of :math:`\\max\\ t` s.t. every form's
information at the cut is at least :math:`t` (maximin), i.e. the most information all K
forms can share; the MILP then matches every form to it.

HiGHS is given explicit ``time_limit``, ``mip_rel_gap`` and ``mip_abs_gap`` (the last is
passed to HiGHS verbatim; SciPy documents that unknown options are forwarded).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from cehrs_items.assembly.constraints import (
    GROUPS,
    PRETEST,
    SCORED,
    AssemblyProblem,
)
from cehrs_items.errors import InputError

STATUS_NAMES = {
    0: "optimal",
    1: "time or node limit reached",
    2: "infeasible",
    3: "unbounded",
    4: "solver error",
}

_TIE_BREAK_TOTAL = 1e-4
"""Largest total the tie-break costs can add to a minimax objective (below the gaps)."""


@dataclass
class Model:
    """A built model: the arrays handed to ``milp`` plus what each column and row means."""

    c: np.ndarray
    integrality: np.ndarray
    var_lb: np.ndarray
    var_ub: np.ndarray
    A: sp.csr_matrix
    row_lb: np.ndarray
    row_ub: np.ndarray
    row_group: np.ndarray
    row_form: np.ndarray
    row_ref: list[str]
    col_item: np.ndarray
    col_form: np.ndarray
    col_role: np.ndarray
    y_col: int | None
    slack_rows: np.ndarray | None = None
    slack_cols: np.ndarray | None = None
    groups: tuple[str, ...] = ()
    omitted: tuple[str, ...] = ()

    @property
    def n_x(self) -> int:
        return len(self.col_item)

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape

    def size(self) -> dict[str, int]:
        return {
            "binary_variables": int(self.n_x),
            "continuous_variables": int(len(self.c) - self.n_x),
            "constraints": int(self.A.shape[0]),
            "nonzeros": int(self.A.nnz),
        }


@dataclass
class SolveOutcome:
    """How one ``milp`` call ended."""

    status: int
    status_name: str
    message: str
    x: np.ndarray | None
    objective: float | None
    mip_gap: float | None
    dual_bound: float | None
    nodes: int | None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.x is not None


class _Rows:
    """Accumulates constraint blocks as COO triplets with a group label per row."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.group: list[np.ndarray] = []
        self.form: list[np.ndarray] = []
        self.ref: list[str] = []
        self.n = 0

    def add(self, group, rows, cols, vals, lb, ub, forms, refs) -> None:
        count = len(refs)
        if count == 0:
            return
        self.r.append(np.asarray(rows, dtype=np.int64) + self.n)
        self.c.append(np.asarray(cols, dtype=np.int64))
        self.v.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), np.shape(rows)).copy())
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (count,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (count,)).copy())
        self.group.append(np.full(count, GROUPS.index(group) if group in GROUPS else -1))
        self.form.append(np.broadcast_to(np.asarray(forms, dtype=np.int64), (count,)).copy())
        self.ref.extend(refs)
        self.n += count

    def matrix(self, n_cols: int) -> sp.csr_matrix:
        if not self.r:
            return sp.csr_matrix((0, n_cols))
        return sp.coo_matrix(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))),
            shape=(self.n, n_cols),
        ).tocsr()

    def cat(self, name: str, dtype=np.float64) -> np.ndarray:
        parts = getattr(self, name)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


class _Cols:
    """Continuous columns after the x block, with bounds and costs, in creation order."""

    def __init__(self, start: int) -> None:
        self.n = start
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []

    def new(self, count: int, lb: float, ub, cost: float = 0.0) -> np.ndarray:
        idx = self.n + np.arange(count)
        self.n += count
        self.lb.append(np.full(count, float(lb)))
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (count,)).copy())
        self.cost.append(np.full(count, float(cost)))
        return idx

    def cat(self, name: str) -> np.ndarray:
        parts = getattr(self, name)
        return np.concatenate(parts) if parts else np.zeros(0)


def _columns(problem: AssemblyProblem, eligibility: bool):
    pool = problem.pool
    k = problem.n_forms
    if eligibility:
        scored = np.flatnonzero(pool.scored_ok)
        pretest = np.flatnonzero(pool.pretest_ok)
    else:
        everything = np.arange(len(pool))
        scored, pretest = everything, everything
    items = np.concatenate([np.tile(scored, k), np.tile(pretest, k)])
    forms = np.concatenate(
        [np.repeat(np.arange(k), len(scored)), np.repeat(np.arange(k), len(pretest))]
    )
    roles = np.concatenate(
        [np.full(len(scored) * k, SCORED), np.full(len(pretest) * k, PRETEST)]
    ).astype(np.int64)
    order = np.lexsort((roles, items, forms))
    return items[order], forms[order], roles[order]


@dataclass
class _ModelContext:
    """What the steps of :func:`build_model` share: the problem, the options, and the
    rows and columns built so far. Steps add rows and continuous columns in table order."""

    problem: AssemblyProblem
    omit: frozenset[str]
    objective: str
    target_values: np.ndarray | None
    overlap_cuts: bool
    previous: list[tuple[np.ndarray, np.ndarray]]
    previous_ids: tuple[str, ...]
    shadow_forms: int
    col_item: np.ndarray
    col_form: np.ndarray
    col_role: np.ndarray
    rows: _Rows
    cols: _Cols
    scored: np.ndarray
    pretest: np.ndarray
    dom_numbers: list[int]
    col_dom: np.ndarray
    in_bp: np.ndarray
    prior: np.ndarray
    y_col: int | None = None
    overlap_cols: list[tuple[int, int, np.ndarray]] = field(default_factory=list)
    c_x: np.ndarray | None = None

    @property
    def pool(self):
        return self.problem.pool

    @property
    def bp(self):
        return self.problem.blueprint

    @property
    def kf(self) -> int:
        return self.problem.n_forms

    @property
    def n_x(self) -> int:
        return len(self.col_item)

    @property
    def nd(self) -> int:
        return len(self.dom_numbers)

    def active(self, group: str) -> bool:
        return group not in self.omit


def _model_context(
    problem: AssemblyProblem,
    *,
    omit: frozenset[str] | set[str] | tuple[str, ...] = frozenset(),
    objective: str = "minimax",
    target_values: np.ndarray | None = None,
    overlap_cuts: bool = True,
    previous: list[tuple[np.ndarray, np.ndarray]] | None = None,
    previous_ids: tuple[str, ...] = (),
    shadow_forms: int = 0,
) -> _ModelContext:
    """A context with the x columns of ``problem`` and no rows yet (see :func:`build_model`)."""
    unknown = set(omit) - set(GROUPS)
    if unknown:
        raise InputError(f"unknown constraint group(s): {', '.join(sorted(unknown))}")
    omit = frozenset(omit)
    pool = problem.pool
    col_item, col_form, col_role = _columns(problem, "eligibility" not in omit)
    dom_numbers = list(problem.blueprint.domain_numbers)
    dom_index = {d: j for j, d in enumerate(dom_numbers)}
    col_dom = np.array([dom_index.get(int(d), -1) for d in pool.domain], dtype=np.int64)[col_item]
    previous = previous or []
    prior = np.zeros(len(pool), dtype=np.int64)
    for _, all_items in previous:
        prior[np.asarray(all_items, dtype=np.int64)] += 1
    return _ModelContext(
        problem=problem,
        omit=omit,
        objective=objective,
        target_values=target_values,
        overlap_cuts=overlap_cuts,
        previous=previous,
        previous_ids=previous_ids,
        shadow_forms=shadow_forms,
        col_item=col_item,
        col_form=col_form,
        col_role=col_role,
        rows=_Rows(),
        cols=_Cols(len(col_item)),
        scored=col_role == SCORED,
        pretest=col_role == PRETEST,
        dom_numbers=dom_numbers,
        col_dom=col_dom,
        in_bp=col_dom >= 0,
        prior=prior,
    )


def _add_form_length(c: _ModelContext) -> None:
    """form_length: the scored and the pretest count of every form."""
    if not c.active("form_length"):
        return
    bp, kf = c.bp, c.kf
    sel = np.flatnonzero(c.in_bp | True)
    c.rows.add(
        "form_length",
        c.col_form[sel] * 2 + c.col_role[sel],
        sel,
        1.0,
        np.tile([bp.scored_items, bp.pretest_items], kf),
        np.tile([bp.scored_items, bp.pretest_items], kf),
        np.repeat(np.arange(kf), 2),
        [r for _ in range(kf) for r in ("scored", "pretest")],
    )


def _add_domain_scored(c: _ModelContext) -> None:
    """domain_scored: exactly n_d scored items from each domain, per form."""
    _add_domain_counts(c, "domain_scored", c.scored, [d.scored_items for d in c.bp.domains])


def _add_subdomain_min(c: _ModelContext) -> None:
    """subdomain_min: at least m_s scored items from each subdomain with a minimum."""
    if not c.active("subdomain_min"):
        return
    kf = c.kf
    subs = [(s.code, s.min_scored) for d in c.bp.domains for s in d.subdomains if s.min_scored]
    if not subs:
        return
    sub_index = {code: j for j, (code, _) in enumerate(subs)}
    ns = len(subs)
    col_sub = np.array([sub_index.get(str(s), -1) for s in c.pool.subdomain])[c.col_item]
    sel = np.flatnonzero(c.scored & (col_sub >= 0))
    mins = np.tile([m for _, m in subs], kf)
    c.rows.add(
        "subdomain_min",
        c.col_form[sel] * ns + col_sub[sel],
        sel,
        1.0,
        mins,
        np.inf,
        np.repeat(np.arange(kf), ns),
        [code for _ in range(kf) for code, _ in subs],
    )


def _add_pretest_domain(c: _ModelContext) -> None:
    """pretest_domain: exactly q_d pretest items from each domain, per form."""
    _add_domain_counts(c, "pretest_domain", c.pretest, [d.pretest_items for d in c.bp.domains])


def _add_domain_counts(
    c: _ModelContext, group: str, role: np.ndarray, per_domain: list[int]
) -> None:
    """Exactly ``per_domain[d]`` of the columns in ``role`` (scored, pretest, or scored and
    from the base form) from each blueprint domain, per form: the rows of ``group``."""
    if not c.active(group):
        return
    kf, nd = c.kf, c.nd
    sel = np.flatnonzero(role & c.in_bp)
    need = np.tile(per_domain, kf)
    c.rows.add(
        group,
        c.col_form[sel] * nd + c.col_dom[sel],
        sel,
        1.0,
        need,
        need,
        np.repeat(np.arange(kf), nd),
        [str(d) for _ in range(kf) for d in c.dom_numbers],
    )


def _add_item_once(c: _ModelContext) -> None:
    """item_once: an item at most once per form (binding only for an item with two role
    columns)."""
    kf = c.kf
    slot = c.col_item * kf + c.col_form
    uniq, inverse, counts = np.unique(slot, return_inverse=True, return_counts=True)
    if not (c.active("item_once") and (counts > 1).any()):
        return
    multi = counts[inverse] > 1
    row_of = -np.ones(len(uniq), dtype=np.int64)
    row_of[counts > 1] = np.arange(int((counts > 1).sum()))
    sel = np.flatnonzero(multi)
    c.rows.add(
        "item_once",
        row_of[inverse[sel]],
        sel,
        1.0,
        -np.inf,
        1.0,
        (uniq[counts > 1] % kf),
        [str(c.pool.ids[u // kf]) for u in uniq[counts > 1]],
    )


def _add_enemies(c: _ModelContext) -> None:
    """enemies: one clique inequality per enemy clique and form."""
    pool, kf = c.pool, c.kf
    if not (c.active("enemies") and pool.enemy_cliques):
        return
    member_clique = np.concatenate([np.full(len(cq), q) for q, cq in enumerate(pool.enemy_cliques)])
    member_item = np.concatenate(pool.enemy_cliques)
    # join columns to cliques on the item
    order = np.argsort(member_item, kind="stable")
    m_item, m_clique = member_item[order], member_clique[order]
    start = np.searchsorted(m_item, c.col_item, side="left")
    stop = np.searchsorted(m_item, c.col_item, side="right")
    reps = stop - start
    col_rep = np.repeat(np.arange(c.n_x), reps)
    offs = np.arange(len(col_rep)) - np.repeat(np.cumsum(reps) - reps, reps)
    clique_of = m_clique[np.repeat(start, reps) + offs]
    nq = len(pool.enemy_cliques)
    c.rows.add(
        "enemies",
        clique_of * kf + c.col_form[col_rep],
        col_rep,
        1.0,
        -np.inf,
        1.0,
        np.tile(np.arange(kf), nq),
        ["+".join(str(pool.ids[i]) for i in cq) for cq in pool.enemy_cliques for _ in range(kf)],
    )


def _add_exposure(c: _ModelContext) -> None:
    """exposure: an item on at most M forms, counting the forms fixed earlier."""
    if not c.active("exposure"):
        return
    items_u, inv, n_cols_item = np.unique(c.col_item, return_inverse=True, return_counts=True)
    room = c.problem.max_exposure - c.prior[items_u]
    binding = n_cols_item > room
    if not binding.any():
        return
    row_of = -np.ones(len(items_u), dtype=np.int64)
    row_of[binding] = np.arange(int(binding.sum()))
    sel = np.flatnonzero(binding[inv])
    c.rows.add(
        "exposure",
        row_of[inv[sel]],
        sel,
        1.0,
        -np.inf,
        np.maximum(room[binding], 0).astype(float),
        -1,
        [str(c.pool.ids[i]) for i in items_u[binding]],
    )


def _add_overlap_previous(c: _ModelContext) -> None:
    """overlap: at most O scored items in common with each form fixed earlier, per new form."""
    problem, kf = c.problem, c.kf
    if not (c.active("overlap") and c.previous and problem.max_overlap < c.bp.scored_items):
        return
    for g, (scored_items, _) in enumerate(c.previous):
        member = np.zeros(len(c.pool), dtype=bool)
        member[np.asarray(scored_items, dtype=np.int64)] = True
        sel = np.flatnonzero(c.scored & member[c.col_item])
        label = c.previous_ids[g] if g < len(c.previous_ids) else str(g)
        c.rows.add(
            "overlap",
            c.col_form[sel],
            sel,
            1.0,
            -np.inf,
            float(problem.max_overlap),
            np.arange(kf),
            [f"with {label}"] * kf,
        )


def _pairwise_overlap_applies(c: _ModelContext) -> bool:
    problem = c.problem
    skip = (c.active("exposure") and problem.max_exposure <= 1) or (
        problem.max_overlap >= c.bp.scored_items
    )
    return c.active("overlap") and c.kf > 1 and not skip


def _scored_by_form(c: _ModelContext) -> tuple[np.ndarray, list[np.ndarray]]:
    sc = np.flatnonzero(c.scored)
    return sc, [sc[c.col_form[sc] == f] for f in range(c.kf)]


def _add_overlap_pairs(c: _ModelContext) -> None:
    """overlap: at most O scored items shared by any two forms, linearised with continuous
    :math:`z \\ge x_f + x_g - 1` per item and pair of forms."""
    if not _pairwise_overlap_applies(c):
        return
    pool, kf = c.pool, c.kf
    _, by_form = _scored_by_form(c)
    for f in range(kf):
        for g in range(f + 1, kf):
            cf, cg = by_form[f], by_form[g]
            common, i_f, i_g = np.intersect1d(
                c.col_item[cf], c.col_item[cg], assume_unique=True, return_indices=True
            )
            nz = len(common)
            z = c.cols.new(nz, 0.0, 1.0)
            c.overlap_cols.append((f, g, z))
            r = np.arange(nz)
            c.rows.add(
                "overlap",
                np.concatenate([r, r, r]),
                np.concatenate([cf[i_f], cg[i_g], z]),
                np.concatenate([np.ones(nz), np.ones(nz), -np.ones(nz)]),
                -np.inf,
                1.0,
                f,
                [f"{pool.ids[i]}@{f}-{g}" for i in common],
            )
            c.rows.add(
                "overlap",
                np.zeros(nz, dtype=np.int64),
                z,
                1.0,
                -np.inf,
                float(c.problem.max_overlap),
                f,
                [f"pair {f}-{g}"],
            )


def _add_overlap_secants(c: _ModelContext) -> None:
    """overlap: valid secant inequalities on each item's total pair-overlap (K > 2).

    An item on e forms adds C(e, 2) >= t*e - t(t+1)/2 pair-overlaps (t = 1..K-1). They
    cut off fractional solutions that spread top items over all forms. Needs the z
    columns of :func:`_add_overlap_pairs`.
    """
    kf = c.kf
    if not (_pairwise_overlap_applies(c) and kf > 2 and c.overlap_cuts and c.overlap_cols):
        return
    sc, by_form = _scored_by_form(c)
    z_all = np.concatenate([z for _, _, z in c.overlap_cols])
    z_item = np.concatenate(
        [
            np.intersect1d(c.col_item[by_form[f]], c.col_item[by_form[g]], assume_unique=True)
            for f, g, _ in c.overlap_cols
        ]
    )
    items_u, z_row = np.unique(z_item, return_inverse=True)
    pos = np.searchsorted(items_u, c.col_item[sc])
    pos = np.minimum(pos, len(items_u) - 1)
    has = items_u[pos] == c.col_item[sc]
    x_cols, x_row = sc[has], pos[has]
    for t in range(1, kf):
        c.rows.add(
            "overlap",
            np.concatenate([z_row, x_row]),
            np.concatenate([z_all, x_cols]),
            np.concatenate([np.ones(len(z_all)), -float(t) * np.ones(len(x_cols))]),
            -t * (t + 1) / 2.0,
            np.inf,
            -1,
            [f"{c.pool.ids[i]} secant {t}" for i in items_u],
        )


def _add_anchors(c: _ModelContext) -> None:
    """anchors: exactly a_d scored items per domain from the base form (with 0 anchors:
    no scored item in common with the base form at all)."""
    if c.problem.base_form is None:
        return
    _add_domain_counts(
        c,
        "anchors",
        c.scored & c.pool.anchor_ok[c.col_item],
        [c.problem.anchor_by_domain.get(d, 0) for d in c.dom_numbers],
    )


def _add_key_balance(c: _ModelContext) -> None:
    """key_balance: the count of scored items keyed L between its bounds, per letter and form."""
    problem, kf = c.problem, c.kf
    if not (c.active("key_balance") and problem.key_letters):
        return
    letters = list(problem.key_letters)
    nl = len(letters)
    letter_index = {k: j for j, k in enumerate(letters)}
    col_key = np.array([letter_index.get(str(k), -1) for k in c.pool.key])[c.col_item]
    sel = np.flatnonzero(c.scored & (col_key >= 0))
    c.rows.add(
        "key_balance",
        c.col_form[sel] * nl + col_key[sel],
        sel,
        1.0,
        np.tile([problem.key_bounds[k][0] for k in letters], kf),
        np.tile([problem.key_bounds[k][1] for k in letters], kf),
        np.repeat(np.arange(kf), nl),
        [k for _ in range(kf) for k in letters],
    )


def _target_rows(
    c: _ModelContext,
    k: int,
    var: int,
    coef: float,
    lb: float,
    ub: float,
    label: str,
    group: str = "target",
) -> None:
    """One row per form: the form's scored sum of feature k plus ``coef`` times ``var``."""
    kf = c.kf
    sel = np.flatnonzero(c.scored)
    forms = np.arange(kf)
    c.rows.add(
        group,
        np.concatenate([c.col_form[sel], forms]),
        np.concatenate([sel, np.full(kf, var)]),
        np.concatenate([c.problem.target.features[c.col_item[sel], k], np.full(kf, coef)]),
        lb,
        ub,
        forms,
        [label] * kf,
    )


def _add_target(c: _ModelContext) -> None:
    """target (and target_tolerance): the minimax deviation y from the matched features
    and the common level t of the maximised ones; sets the objective's column."""
    problem, tgt = c.problem, c.problem.target
    if not (c.objective == "minimax" and tgt.m > 0):
        return
    values = tgt.values if c.target_values is None else np.asarray(c.target_values, float)
    fixed = np.flatnonzero(np.isfinite(values))
    maxed = np.flatnonzero(~np.isfinite(values))
    weights = np.where(np.isfinite(values), np.abs(values), tgt.scale)
    weights = np.maximum(weights, 1e-9)
    tolerance = problem.settings.tolerance
    if len(fixed):
        # y >= |sum phi_k x - T_k| / T_k : the largest relative deviation (minimised)
        c.y_col = int(c.cols.new(1, 0.0, np.inf, 1.0)[0])
        for k in fixed:
            w, t_k = float(weights[k]), float(values[k])
            _target_rows(c, k, c.y_col, -w, -np.inf, t_k, tgt.names[k])
            _target_rows(c, k, c.y_col, w, t_k, np.inf, tgt.names[k])
        if c.active("target_tolerance") and tolerance is not None:
            c.rows.add(
                "target_tolerance",
                [0],
                [c.y_col],
                1.0,
                -np.inf,
                float(tolerance),
                -1,
                ["tolerance"],
            )
    if len(maxed):
        # t <= sum phi_k x / scale_k on every form: the common level (maximised)
        t_col = int(c.cols.new(1, 0.0, np.inf, -1.0)[0])
        if c.y_col is None:
            c.y_col = t_col
        for k in maxed:
            w = float(weights[k])
            _target_rows(c, k, t_col, -w, 0.0, np.inf, tgt.names[k])
            if c.active("target_tolerance") and tolerance is not None:
                # parallel forms: no form more than `tolerance` above the common level
                tol = float(tolerance)
                _target_rows(c, k, t_col, -w, -np.inf, tol * w, tgt.names[k], "target_tolerance")


def _add_shadow_test(c: _ModelContext) -> None:
    """shadow: the continuous shadow test of the R forms still to come (one form in the
    model, a statistical target; needs the objective column of :func:`_add_target`)."""
    if c.shadow_forms > 0 and c.kf == 1 and c.problem.target.m > 0 and c.y_col is not None:
        _add_shadow(c)


def _set_tie_break(c: _ModelContext) -> None:
    """tie_break: the costs on x. One cost per (item, role), the same on every form: the
    forms stay interchangeable, so HiGHS can still exploit the symmetry between them."""
    rng = np.random.default_rng(c.problem.settings.seed)
    u = rng.random((len(c.pool), 2))[c.col_item, c.col_role]
    if c.objective == "minimax":
        scale = _TIE_BREAK_TOTAL if (c.problem.target.m > 0) else 1.0
        c.c_x = u * scale / max(c.kf * c.bp.total_items, 1)
    else:
        c.c_x = np.zeros(c.n_x)


MODEL_STEPS: tuple[tuple[str, Callable[[_ModelContext], None]], ...] = (
    ("form_length", _add_form_length),
    ("domain_scored", _add_domain_scored),
    ("subdomain_min", _add_subdomain_min),
    ("pretest_domain", _add_pretest_domain),
    ("item_once", _add_item_once),
    ("enemies", _add_enemies),
    ("exposure", _add_exposure),
    ("overlap_previous", _add_overlap_previous),
    ("overlap_pairs", _add_overlap_pairs),
    ("overlap_secants", _add_overlap_secants),
    ("anchors", _add_anchors),
    ("key_balance", _add_key_balance),
    ("target", _add_target),
    ("shadow", _add_shadow_test),
    ("tie_break", _set_tie_break),
)
"""The steps of :func:`build_model`, in model order: each adds one block of rows (and the
continuous columns it needs) to a :class:`_ModelContext` and can be run alone (see the
tests). Rows and columns are numbered in this order."""


def _elastic_slacks(model: Model, elastic: tuple[str, ...]) -> Model:
    """One slack up and one down, cost 1 each, on every row of the ``elastic`` groups."""
    codes = [GROUPS.index(g) for g in elastic if g in GROUPS]
    slack_rows = np.flatnonzero(np.isin(model.row_group, codes))
    ns = len(slack_rows)
    model.slack_rows = slack_rows
    if not ns:
        return model
    n_cols = len(model.c)
    up = n_cols + np.arange(ns)
    down = n_cols + ns + np.arange(ns)
    extra = sp.coo_matrix(
        (
            np.concatenate([np.ones(ns), -np.ones(ns)]),
            (
                np.concatenate([slack_rows, slack_rows]),
                np.concatenate([up - up[0], down - up[0]]),
            ),
        ),
        shape=(model.A.shape[0], 2 * ns),
    )
    model.A = sp.hstack([model.A, extra], format="csr")
    model.c = np.concatenate([model.c, np.ones(2 * ns)])
    model.var_lb = np.concatenate([model.var_lb, np.zeros(2 * ns)])
    model.var_ub = np.concatenate([model.var_ub, np.full(2 * ns, np.inf)])
    model.integrality = np.concatenate([model.integrality, np.zeros(2 * ns, dtype=np.int64)])
    model.slack_cols = np.stack([up, down], axis=1)
    return model


def _to_model(c: _ModelContext, *, relax_integrality: bool = False) -> Model:
    """The arrays handed to ``milp``, from a context whose steps have run."""
    n_x, cols, rows = c.n_x, c.cols, c.rows
    n_cols = cols.n
    c_x = np.zeros(n_x) if c.c_x is None else c.c_x
    return Model(
        c=np.concatenate([c_x, cols.cat("cost")]),
        integrality=np.concatenate(
            [np.full(n_x, 0 if relax_integrality else 1), np.zeros(n_cols - n_x)]
        ).astype(np.int64),
        var_lb=np.concatenate([np.zeros(n_x), cols.cat("lb")]),
        var_ub=np.concatenate([np.ones(n_x), cols.cat("ub")]),
        A=rows.matrix(n_cols),
        row_lb=rows.cat("lb"),
        row_ub=rows.cat("ub"),
        row_group=rows.cat("group").astype(np.int64),
        row_form=rows.cat("form").astype(np.int64),
        row_ref=rows.ref,
        col_item=c.col_item,
        col_form=c.col_form,
        col_role=c.col_role,
        y_col=c.y_col,
        groups=tuple(g for g in GROUPS if g not in c.omit),
        omitted=tuple(sorted(c.omit)),
    )


def build_model(
    problem: AssemblyProblem,
    *,
    omit: frozenset[str] | set[str] | tuple[str, ...] = frozenset(),
    objective: str = "minimax",
    target_values: np.ndarray | None = None,
    elastic: tuple[str, ...] = (),
    relax_integrality: bool = False,
    overlap_cuts: bool = True,
    previous: list[tuple[np.ndarray, np.ndarray]] | None = None,
    previous_ids: tuple[str, ...] = (),
    shadow_forms: int = 0,
) -> Model:
    r"""Build the MILP of ``problem`` by running the steps of :data:`MODEL_STEPS` in order.

    Parameters
    ----------
    problem : the resolved problem.
    omit : constraint groups to leave out (tests; diagnosis).
    objective : ``minimax`` (the statistical objective plus tie-break) or ``feasibility``
        (no objective; diagnosis).
    target_values : the target (defaults to ``problem.target.values``); NaN marks a
        feature to be maximised on every form (maximin) rather than matched.
    elastic : groups whose rows get penalised slack variables (diagnosis).
    relax_integrality : make the x variables continuous (LP relaxation).

    Tested against: for every group, a crafted bank whose optimum violates the group
    when it is omitted and honours it when present (tests/unit/assembly/test_milp.py);
    the secant cuts leave the integer optimum unchanged (abs 1e-6).
    overlap_cuts : add the secant inequalities that tighten the overlap linearisation.
    previous : forms already fixed (sequential assembly): per form, the pool indices of
        its scored items and of all its items. Exposure then counts their uses and each
        new form may share at most ``max_overlap`` scored items with each of them
        (linear rows, no auxiliary variables). ``previous_ids`` names them.
    shadow_forms : with one form in the model, the number R of forms still to come; a
        continuous *shadow test* (van der Linden 2005, ch. 9) stands for them: usage
        :math:`v_i \in [0, R]` under the blueprint rows times R, exposure, enemies,
        anchors, overlap with the earlier forms and the secant overlap bound among the
        R + 1 forms, and the same deviation bound :math:`|\sum \phi v - R T| \le y R T`.
        The form then leaves enough for the forms after it.
    """
    context = _model_context(
        problem,
        omit=omit,
        objective=objective,
        target_values=target_values,
        overlap_cuts=overlap_cuts,
        previous=previous,
        previous_ids=previous_ids,
        shadow_forms=shadow_forms,
    )
    for _, step in MODEL_STEPS:
        step(context)
    model = _to_model(context, relax_integrality=relax_integrality)
    return _elastic_slacks(model, elastic) if elastic else model


def _add_shadow(c: _ModelContext) -> None:
    """The continuous shadow test of the R forms still to come (see :func:`build_model`)."""
    problem, rows, cols, omit = c.problem, c.rows, c.cols, c.omit
    col_item, col_role, prior, previous = c.col_item, c.col_role, c.prior, c.previous
    r, y_col = c.shadow_forms, c.y_col
    pool, bp, tgt = problem.pool, problem.blueprint, problem.target
    items = np.flatnonzero(pool.scored_ok) if "eligibility" not in omit else np.arange(len(pool))
    n = len(items)
    if n == 0:
        return
    exposure = "exposure" not in omit
    room = np.maximum(problem.max_exposure - prior[items], 0) if exposure else np.full(n, r)
    v = cols.new(n, 0.0, np.minimum(room, r).astype(float))
    zeros = np.zeros(n, dtype=np.int64)

    def block(group: str, mask: np.ndarray, lb: float, ub: float, ref: str) -> None:
        sel = np.flatnonzero(mask)
        rows.add(group, zeros[: len(sel)], v[sel], 1.0, lb, ub, -1, [f"shadow {ref}"])

    dom = pool.domain[items]
    if "domain_scored" not in omit:
        for d in bp.domains:
            block(
                "domain_scored",
                dom == d.domain,
                r * d.scored_items,
                r * d.scored_items,
                str(d.domain),
            )
    if "subdomain_min" not in omit:
        sub = pool.subdomain[items]
        for d in bp.domains:
            for s in d.subdomains:
                if s.min_scored:
                    block("subdomain_min", sub == s.code, r * s.min_scored, np.inf, s.code)
    if "key_balance" not in omit:
        keys = pool.key[items]
        for letter, (lo, hi) in problem.key_bounds.items():
            block("key_balance", keys == letter, r * lo, r * hi, letter)
    if "anchors" not in omit and problem.base_form is not None:
        anchor = pool.anchor_ok[items]
        for d in bp.domains:
            need = r * problem.anchor_by_domain.get(d.domain, 0)
            block("anchors", anchor & (dom == d.domain), need, need, str(d.domain))
    position = -np.ones(len(pool), dtype=np.int64)
    position[items] = np.arange(n)
    if "enemies" not in omit:
        for clique in pool.enemy_cliques:
            sel = position[clique]
            sel = sel[sel >= 0]
            if len(sel) > 1:
                rows.add(
                    "enemies",
                    np.zeros(len(sel)),
                    v[sel],
                    1.0,
                    -np.inf,
                    float(r),
                    -1,
                    ["shadow clique"],
                )
    # exposure shared with the form being built: x_i + v_i <= M - prior_i where binding
    x_scored = -np.ones(len(pool), dtype=np.int64)
    sel_x = np.flatnonzero(col_role == SCORED)
    x_scored[col_item[sel_x]] = sel_x
    xs = x_scored[items]
    if exposure:
        tight = np.flatnonzero((room < r + 1) & (xs >= 0))
        if len(tight):
            k = np.arange(len(tight))
            rows.add(
                "exposure",
                np.concatenate([k, k]),
                np.concatenate([xs[tight], v[tight]]),
                1.0,
                -np.inf,
                room[tight].astype(float),
                -1,
                [f"shadow {pool.ids[items[j]]}" for j in tight],
            )
    if "overlap" not in omit and problem.max_overlap < bp.scored_items:
        for g, (scored_items, _) in enumerate(previous):
            member = np.zeros(len(pool), dtype=bool)
            member[np.asarray(scored_items, dtype=np.int64)] = True
            block("overlap", member[items], -np.inf, r * problem.max_overlap, f"with {g}")
        if problem.max_exposure > 1 or not exposure:
            # pair-overlaps among this form and the R to come: secant bound on C(e, 2)
            w = cols.new(n, 0.0, np.inf)
            has_x = xs >= 0
            j = np.arange(n)
            for t in range(1, r + 1):
                rows.add(
                    "overlap",
                    np.concatenate([j, j, j[has_x]]),
                    np.concatenate([w, v, xs[has_x]]),
                    np.concatenate(
                        [np.ones(n), -float(t) * np.ones(n), -float(t) * np.ones(int(has_x.sum()))]
                    ),
                    -t * (t + 1) / 2.0,
                    np.inf,
                    -1,
                    [f"shadow secant {t}"] * n,
                )
            rows.add(
                "overlap",
                zeros,
                w,
                1.0,
                -np.inf,
                math.comb(r + 1, 2) * float(problem.max_overlap),
                -1,
                ["shadow budget"],
            )
    # the same deviation bound for the shadow's (summed) features
    values = tgt.values
    weights = np.maximum(np.abs(values), 1e-9)
    for k in np.flatnonzero(np.isfinite(values)):
        phi = tgt.features[items, k]
        w_k, t_k = float(weights[k]), float(values[k])
        for sign, lb, ub in ((-1.0, -np.inf, r * t_k), (1.0, r * t_k, np.inf)):
            rows.add(
                "target",
                np.zeros(n + 1, dtype=np.int64),
                np.concatenate([v, [y_col]]),
                np.concatenate([phi, [sign * r * w_k]]),
                lb,
                ub,
                -1,
                [f"shadow {tgt.names[k]}"],
            )


def highs_options(
    *, time_limit: float, mip_rel_gap: float, mip_abs_gap: float | None = None
) -> dict[str, Any]:
    """The explicit HiGHS settings of a solve (recorded in the forms)."""
    opts: dict[str, Any] = {
        "time_limit": float(time_limit),
        "mip_rel_gap": float(mip_rel_gap),
        "presolve": True,
        "disp": False,
    }
    if mip_abs_gap is not None:
        opts["mip_abs_gap"] = float(mip_abs_gap)
    return opts


def solve_model(model: Model, options: dict[str, Any]) -> SolveOutcome:
    """Solve ``model`` with ``scipy.optimize.milp`` (HiGHS) and the given options."""
    constraints = (
        [LinearConstraint(model.A, model.row_lb, model.row_ub)] if model.A.shape[0] else []
    )
    with warnings.catch_warnings():
        # SciPy warns that options outside its list (mip_abs_gap) go to HiGHS verbatim.
        warnings.filterwarnings(
            "ignore", message="Unrecognized options detected", category=RuntimeWarning
        )
        res = milp(
            model.c,
            integrality=model.integrality,
            bounds=Bounds(model.var_lb, model.var_ub),
            constraints=constraints,
            options=dict(options),
        )
    x = None if res.x is None else np.asarray(res.x)
    return SolveOutcome(
        status=int(res.status),
        status_name=STATUS_NAMES.get(int(res.status), "unknown"),
        message=str(res.message),
        x=x,
        objective=None if res.fun is None else float(res.fun),
        mip_gap=None if getattr(res, "mip_gap", None) is None else float(res.mip_gap),
        dual_bound=None
        if getattr(res, "mip_dual_bound", None) is None
        else float(res.mip_dual_bound),
        nodes=None if getattr(res, "mip_node_count", None) is None else int(res.mip_node_count),
        options=dict(options),
    )


def selected(model: Model, x: np.ndarray) -> list[list[tuple[int, int]]]:
    """Per form, the (item index, role) pairs chosen, sorted by item index."""
    chosen = np.flatnonzero(x[: model.n_x] > 0.5)
    out: list[list[tuple[int, int]]] = [[] for _ in range(int(model.col_form.max(initial=-1)) + 1)]
    for j in chosen:
        out[int(model.col_form[j])].append((int(model.col_item[j]), int(model.col_role[j])))
    for lst in out:
        lst.sort()
    return out


def solver_versions() -> dict[str, str]:
    return {"backend": "scipy.optimize.milp (HiGHS)", "scipy": scipy.__version__}


def common_level(problem: AssemblyProblem, feature: int, options: dict[str, Any]) -> float | None:
    """The common level alone (see :func:`common_usage`)."""
    found = common_usage(problem, feature, options)
    return None if found is None else found[0]


def common_usage(
    problem: AssemblyProblem, feature: int, options: dict[str, Any]
) -> tuple[float, np.ndarray] | None:
    """The most of ``feature`` (summed over a form's scored items) that all K forms can
    reach together, from a symmetric LP relaxation (None when that LP has no solution).

    With :math:`u_i \\in [0, \\min(M, K)]` the number of forms item :math:`i` is scored on,

    .. math::

        \\max\\ \\frac{1}{K}\\sum_i \\phi_i u_i \\quad\\text{s.t.}\\quad
        \\sum_{i \\in D_d} u_i = K n_d,\\ \\sum_{i \\in S_s} u_i \\ge K m_s,\\
        K\\ell \\le \\sum_{\\text{key}_i = L} u_i \\le K u,\\
        \\sum_{i \\in B \\cap D_d} u_i = K a_d,\\ \\sum_{i \\in C} u_i \\le K,

        w_i \\ge t u_i - t(t+1)/2\\ (t = 1..K-1),\\quad \\sum_i w_i \\le \\binom{K}{2} O,

    where :math:`w_i` bounds the pair-overlaps item :math:`i` causes (the secant
    inequalities of :func:`build_model`). Averaging any K feasible forms gives a feasible
    point with the same mean value, so the optimum bounds the best common level from
    above; it is the target the sequential method aims every form at. Returns the level
    and the usage :math:`u` per pool item (``u / K`` is an average form, whose
    information at other theta points gives the cut target its TIF profile).

    Tested against: the exact simultaneous maximin on the test bank for K = 1, 2, 3 (the
    level is >= the achieved minimum and within 10% of it).
    """
    pool, bp, k = problem.pool, problem.blueprint, problem.n_forms
    items = np.flatnonzero(pool.scored_ok)
    n = len(items)
    if n == 0:
        return None
    cap = float(min(problem.max_exposure, k))
    rows = _Rows()
    dom = pool.domain[items]
    for d in bp.domains:
        sel = np.flatnonzero(dom == d.domain)
        rows.add("domain_scored", np.zeros(len(sel)), sel, 1.0, k * d.scored_items,
                 k * d.scored_items, -1, [str(d.domain)])  # fmt: skip
    sub = pool.subdomain[items]
    for d in bp.domains:
        for s in d.subdomains:
            if s.min_scored:
                sel = np.flatnonzero(sub == s.code)
                rows.add("subdomain_min", np.zeros(len(sel)), sel, 1.0, k * s.min_scored,
                         np.inf, -1, [s.code])  # fmt: skip
    keys = pool.key[items]
    for letter, (lo, hi) in problem.key_bounds.items():
        sel = np.flatnonzero(keys == letter)
        rows.add("key_balance", np.zeros(len(sel)), sel, 1.0, k * lo, k * hi, -1, [letter])
    if problem.base_form is not None:
        anchor = pool.anchor_ok[items]
        for d in bp.domains:
            sel = np.flatnonzero(anchor & (dom == d.domain))
            need = k * problem.anchor_by_domain.get(d.domain, 0)
            rows.add("anchors", np.zeros(len(sel)), sel, 1.0, need, need, -1, [str(d.domain)])
    position = -np.ones(len(pool), dtype=np.int64)
    position[items] = np.arange(n)
    for clique in pool.enemy_cliques:
        sel = position[clique]
        sel = sel[sel >= 0]
        if len(sel) > 1:
            rows.add("enemies", np.zeros(len(sel)), sel, 1.0, -np.inf, float(k), -1, ["clique"])
    n_cols = n
    if k > 1 and cap > 1 and problem.max_overlap < bp.scored_items:
        w = n + np.arange(n)
        n_cols += n
        for t in range(1, k):
            r = np.arange(n)
            rows.add("overlap", np.concatenate([r, r]), np.concatenate([w, np.arange(n)]),
                     np.concatenate([np.ones(n), -float(t) * np.ones(n)]), -t * (t + 1) / 2.0,
                     np.inf, -1, ["secant"] * n)  # fmt: skip
        rows.add("overlap", np.zeros(n), w, 1.0, -np.inf,
                 math.comb(k, 2) * float(problem.max_overlap), -1, ["budget"])  # fmt: skip
    phi = problem.target.features[items, feature]
    c = np.concatenate([-phi / k, np.zeros(n_cols - n)])
    model = Model(
        c=c,
        integrality=np.zeros(n_cols, dtype=np.int64),
        var_lb=np.zeros(n_cols),
        var_ub=np.concatenate([np.full(n, cap), np.full(n_cols - n, np.inf)]),
        A=rows.matrix(n_cols),
        row_lb=rows.cat("lb"),
        row_ub=rows.cat("ub"),
        row_group=rows.cat("group").astype(np.int64),
        row_form=rows.cat("form").astype(np.int64),
        row_ref=rows.ref,
        col_item=items,
        col_form=np.zeros(n, dtype=np.int64),
        col_role=np.zeros(n, dtype=np.int64),
        y_col=None,
    )
    outcome = solve_model(model, options)
    if outcome.status != 0 or outcome.objective is None or outcome.x is None:
        return None
    usage = np.zeros(len(pool))
    usage[items] = outcome.x[:n]
    return -outcome.objective, usage
