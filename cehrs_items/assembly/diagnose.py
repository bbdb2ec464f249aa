"""Why an assembly problem has no solution, in blueprint terms.

Two stages, cheapest first:

1. **Counting** (:func:`counting_checks`): necessary conditions that need no solver, per
   domain, subdomain, key letter and anchor domain: enough eligible items for one form;
   enough once enemies are taken into account (the largest enemy-free subset, a small
   MILP); enough item uses for K forms under the exposure limit; and few enough forced
   shared items for the overlap limit. Forced sharing uses the fact that spreading
   ``T = K n`` uses over ``N`` items with at most ``M`` uses each creates at least
   :math:`\\sum_i \\binom{m_i}{2}` pairwise overlaps with the :math:`m_i` as equal as
   possible (the function is convex), which must not exceed
   :math:`\\binom{K}{2} O` over all domains together.
2. **Relaxing constraint groups** (:func:`diagnose`): when counting finds nothing, each
   relaxable group (:data:`~cehrs_items.assembly.constraints.RELAXABLE_GROUPS`) is
   dropped in turn and the rest solved for feasibility; the groups whose removal
   restores feasibility are the binding ones. An elastic model (a penalised slack on
   every row of those groups, total slack minimised) then says where and by how much
   (for example "domain 5 on F3: 2 scored items short").

The result is a message like "domain 5 needs 10 scored items per form x 4 forms
(exposure <= 1), but the bank has only 31 operational domain-5 items"; the assembler
raises it as :class:`~cehrs_items.errors.InfeasibleError` (exit 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from cehrs_items.assembly.constraints import GROUPS, RELAXABLE_GROUPS, AssemblyProblem
from cehrs_items.assembly.milp import build_model, highs_options, solve_model


@dataclass(frozen=True)
class Reason:
    """One explanation: its constraint group, a blueprint-terms sentence and a short label."""

    group: str
    message: str
    label: str = ""


FULL_REASONS = 3
"""Reasons given in full in a message; the rest are listed by their short labels."""


def summarize_reasons(reasons: list[Reason]) -> str:
    """One line: the first reasons in full, the others by label ("also short: ...")."""
    head = "; ".join(r.message for r in reasons[:FULL_REASONS])
    rest = [r.label or r.group for r in reasons[FULL_REASONS:]]
    if rest:
        head += f"; also short: {', '.join(rest)}"
    return head


@dataclass
class Diagnosis:
    """The outcome of a diagnosis: the binding groups and the reasons, most specific first."""

    groups: list[str]
    reasons: list[Reason]
    method: str
    details: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        head = summarize_reasons(self.reasons) or "the constraints conflict"
        if self.details:
            head += " [" + "; ".join(self.details) + "]"
        return head


# --------------------------------------------------------------------------- counting


def max_independent(indices: np.ndarray, pairs: np.ndarray) -> int:
    """Size of the largest subset of ``indices`` with no enemy pair inside (exact MILP)."""
    n = len(indices)
    if n == 0:
        return 0
    if len(pairs) == 0:
        return n
    pos = {int(i): j for j, i in enumerate(indices)}
    inside = [(pos[int(a)], pos[int(b)]) for a, b in pairs if int(a) in pos and int(b) in pos]
    if not inside:
        return n
    m = len(inside)
    rows = np.repeat(np.arange(m), 2)
    cols = np.array(inside).ravel()
    a = sp.csr_matrix((np.ones(2 * m), (rows, cols)), shape=(m, n))
    res = milp(
        -np.ones(n),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(a, -np.inf, 1)],
        options={"time_limit": 10.0},
    )
    if res.x is None:  # pragma: no cover - a tiny problem; time limit is a safety net
        return n
    return int(round(-res.fun))


def min_pair_overlaps(n_items: int, uses: int, cap: int) -> float:
    """Fewest pairwise overlaps when ``uses`` item uses fall on ``n_items`` items, each <= ``cap``.

    Returns ``inf`` when the uses do not fit at all (``uses > n_items * cap``).

    .. math:: \\min \\sum_i \\binom{m_i}{2} \\ \\text{s.t.}\\ \\sum_i m_i = T,\\ 0 \\le m_i \\le M
        \\ =\\ r\\binom{q+1}{2} + (N - r)\\binom{q}{2},\\quad q = \\lfloor T/N \\rfloor,\\ r = T - qN

    (the function is convex, so the most even spread is optimal).

    Tested against: hand counts (31 items, 40 uses: 9; 10 items, 40 uses of 4: 60), exact.
    """
    if uses <= 0:
        return 0.0
    if n_items <= 0 or uses > n_items * cap:
        return math.inf
    q, r = divmod(uses, n_items)
    return r * math.comb(q + 1, 2) + (n_items - r) * math.comb(q, 2)


def _forms(n: int) -> str:
    return "1 form" if n == 1 else f"{n} forms"


def _are(n: int) -> str:
    return f"{n} is" if n == 1 else f"{n} are"


def counting_checks(
    problem: AssemblyProblem, *, omit: frozenset[str] = frozenset()
) -> list[Reason]:
    """Necessary conditions that fail, as reasons (empty when none fails)."""
    pool, bp = problem.pool, problem.blueprint
    k = problem.n_forms
    cap = min(problem.max_exposure, k) if "exposure" not in omit else k
    stat_note = "" if problem.target.statistic == "none" else " with statistics"
    reasons: list[Reason] = []
    forms_txt = f" x {k} forms" if k > 1 else ""
    limits = []
    if k > 1 and cap < k:
        limits.append(f"exposure <= {cap}")
    if k > 1 and cap > 1 and problem.max_overlap < bp.scored_items:
        limits.append(f"overlap <= {problem.max_overlap}")
    limit_txt = f" with {', '.join(limits)}" if limits else ""
    pair_budget = math.comb(k, 2) * problem.max_overlap if "overlap" not in omit else math.inf
    forced = []
    for d in bp.domains:
        sel = np.flatnonzero(pool.scored_ok & (pool.domain == d.domain))
        n = len(sel)
        need = d.scored_items
        if need == 0:
            continue
        if "domain_scored" not in omit and n < need:
            reasons.append(
                Reason(
                    "domain_scored",
                    f"domain {d.domain} ({d.name}) needs {need} scored items per form, but the "
                    f"bank has only {n} operational domain-{d.domain} items{stat_note}",
                    label=f"domain {d.domain}",
                )
            )
            continue
        usable = max_independent(sel, pool.enemy_pairs) if "enemies" not in omit else n
        if "domain_scored" not in omit and usable < need:
            reasons.append(
                Reason(
                    "enemies",
                    f"domain {d.domain} ({d.name}) needs {need} scored items per form, but only "
                    f"{usable} of its {n} operational items can share a form: "
                    f"{_are(n - usable)} blocked as enemies",
                    label=f"domain {d.domain}",
                )
            )
            continue
        if k > 1 and "domain_scored" not in omit:
            # enemies restrict one form only: across forms every item is available
            overl = min_pair_overlaps(n, k * need, cap)
            blocked = ""
            if math.isinf(overl):
                reasons.append(
                    Reason(
                        "exposure",
                        f"domain {d.domain} needs {need} scored items per form{forms_txt}"
                        f"{limit_txt}, but the bank has only {n} operational domain-{d.domain} "
                        f"items{blocked} (each may be used on at most {_forms(cap)})",
                        label=f"domain {d.domain}",
                    )
                )
                continue
            forced.append((overl, d, n, usable, need))
    if k > 1 and forced and sum(f[0] for f in forced) > pair_budget:
        worst = max(forced, key=lambda f: (f[0] / max(f[4], 1), -f[1].domain))
        overl, d, n, usable, need = worst
        blocked = ""
        total = int(sum(f[0] for f in forced))
        reasons.append(
            Reason(
                "overlap",
                f"domain {d.domain} needs {need} scored items per form{forms_txt}{limit_txt}, but "
                f"the bank has only {n} operational domain-{d.domain} items{blocked} (the "
                f"forms would share at least {total} items pairwise in all, more than the "
                f"{int(pair_budget)} that {math.comb(k, 2)} pairs x {problem.max_overlap} allow)",
                label=f"domain {d.domain}",
            )
        )
    if "subdomain_min" not in omit:
        for d in bp.domains:
            for s in d.subdomains:
                if not s.min_scored:
                    continue
                n = int((pool.scored_ok & (pool.subdomain == s.code)).sum())
                if n < s.min_scored:
                    reasons.append(
                        Reason(
                            "subdomain_min",
                            f"subdomain {s.code} ({s.name}) needs at least {s.min_scored} scored "
                            f"items per form, but the bank has only {n} operational items in it",
                            label=f"subdomain {s.code}",
                        )
                    )
                elif n * cap < k * s.min_scored:
                    reasons.append(
                        Reason(
                            "subdomain_min",
                            f"subdomain {s.code} needs at least {s.min_scored} scored items per "
                            f"form{forms_txt}, but its {n} operational items may each be on at "
                            f"most {_forms(cap)}",
                            label=f"subdomain {s.code}",
                        )
                    )
    if "pretest_domain" not in omit:
        for d in bp.domains:
            if not d.pretest_items:
                continue
            sel = np.flatnonzero(pool.pretest_ok & (pool.domain == d.domain))
            n = len(sel)
            usable = max_independent(sel, pool.enemy_pairs) if "enemies" not in omit else n
            if n < d.pretest_items:
                reasons.append(
                    Reason(
                        "pretest_domain",
                        f"domain {d.domain} ({d.name}) needs {d.pretest_items} pretest items per "
                        f"form, but the bank has only {n} pretest-status domain-{d.domain} items",
                        label=f"pretest in domain {d.domain}",
                    )
                )
            elif usable < d.pretest_items:
                reasons.append(
                    Reason(
                        "enemies",
                        f"domain {d.domain} needs {d.pretest_items} pretest items per form, but "
                        f"only {usable} of its {n} pretest items can share a form: "
                        f"{_are(n - usable)} blocked as enemies",
                        label=f"pretest in domain {d.domain}",
                    )
                )
            elif n * cap < k * d.pretest_items:
                reasons.append(
                    Reason(
                        "exposure",
                        f"domain {d.domain} needs {d.pretest_items} pretest items per form"
                        f"{forms_txt}, but its {n} pretest items may each be on at most "
                        f"{_forms(cap)}",
                        label=f"pretest in domain {d.domain}",
                    )
                )
    if "anchors" not in omit and problem.base_form is not None and problem.anchor_items:
        base_id = problem.base_form.form_id
        for d in bp.domains:
            need = problem.anchor_by_domain.get(d.domain, 0)
            if not need:
                continue
            n = int((pool.anchor_ok & (pool.domain == d.domain)).sum())
            if n < need:
                reasons.append(
                    Reason(
                        "anchors",
                        f"anchors: domain {d.domain} needs {need} of the {problem.anchor_items} "
                        f"anchor items per form, but anchor form {base_id} has only {n} scored "
                        f"domain-{d.domain} items that are still operational at the same version",
                        label=f"anchors in domain {d.domain}",
                    )
                )
            elif n * cap < k * need:
                reasons.append(
                    Reason(
                        "anchors",
                        f"anchors: domain {d.domain} needs {need} anchor items per form"
                        f"{forms_txt}, but anchor form {base_id} has only {n} usable "
                        f"domain-{d.domain} items, each allowed on at most {_forms(cap)}",
                        label=f"anchors in domain {d.domain}",
                    )
                )
    if "key_balance" not in omit:
        bounds = problem.key_bounds
        if bounds:
            top = sum(hi for _, hi in bounds.values())
            if top < bp.scored_items:
                reasons.append(
                    Reason(
                        "key_balance",
                        f"key balance: {len(bounds)} key letters at most "
                        f"{max(hi for _, hi in bounds.values())} scored items each fill only "
                        f"{top} of the {bp.scored_items} scored slots (form.key_balance.max_share)",
                        label="key shares",
                    )
                )
        for letter, (lo, _) in bounds.items():
            n = int((pool.scored_ok & (pool.key == letter)).sum())
            if n < lo:
                reasons.append(
                    Reason(
                        "key_balance",
                        f"key balance: each form needs at least {lo} scored items keyed "
                        f"{letter}, but the bank has only {n} operational items with key {letter}",
                        label=f"key {letter}",
                    )
                )
            elif n * cap < k * lo:
                reasons.append(
                    Reason(
                        "key_balance",
                        f"key balance: each form needs at least {lo} scored items keyed "
                        f"{letter}{forms_txt}, but the bank's {n} operational items with key "
                        f"{letter} may each be on at most {_forms(cap)}",
                        label=f"key {letter}",
                    )
                )
    return reasons


# --------------------------------------------------------------------------- solver-based


def _group_sentence(problem: AssemblyProblem, group: str) -> str:
    bp, k = problem.blueprint, problem.n_forms
    if group == "domain_scored":
        counts = ", ".join(f"{d.scored_items}" for d in bp.domains)
        return f"the domain counts ({counts} scored items per form)"
    if group == "subdomain_min":
        return "the subdomain minimums"
    if group == "pretest_domain":
        counts = ", ".join(f"{d.pretest_items}" for d in bp.domains)
        return f"the pretest counts per domain ({counts} per form)"
    if group == "enemies":
        return f"the enemy pairs ({len(problem.pool.enemy_pairs)} in the bank)"
    if group == "exposure":
        return f"exposure (an item on at most {problem.max_exposure} of {k} forms)"
    if group == "overlap":
        return f"overlap (two forms share at most {problem.max_overlap} scored items)"
    if group == "anchors":
        base = problem.base_form.form_id if problem.base_form is not None else "?"
        split = ", ".join(f"{v}" for _, v in sorted(problem.anchor_by_domain.items()))
        return f"the anchors ({problem.anchor_items} items from {base} per form, by domain {split})"
    if group == "key_balance":
        lo, hi = next(iter(problem.key_bounds.values()), (0, 0))
        return f"key balance ({lo} to {hi} scored items per key letter)"
    if group == "target_tolerance":
        return f"the statistical target within tolerance {problem.settings.tolerance}"
    return group


def _elastic_details(
    problem: AssemblyProblem, groups: list[str], options: dict, objective: str
) -> list[str]:
    model = build_model(problem, objective=objective, elastic=tuple(groups))
    if model.slack_cols is None:
        return []
    # only the slacks are penalised: total violation is what is minimised
    model.c[: len(model.c) - 2 * len(model.slack_rows)] = 0.0
    options = {**options, "mip_rel_gap": 1e-6, "mip_abs_gap": 1e-6}
    outcome = solve_model(model, options)
    if not outcome.has_solution:
        return []
    x = outcome.x
    slack = x[model.slack_cols[:, 0]] + x[model.slack_cols[:, 1]]
    details: list[str] = []
    ids = problem.form_ids
    pool = problem.pool
    by_group: dict[str, list[tuple[int, float]]] = {}
    for row, amount in zip(model.slack_rows, slack, strict=True):
        if amount > 1e-6:
            group = GROUPS[int(model.row_group[row])]
            by_group.setdefault(group, []).append((int(row), float(amount)))
    for group in groups:
        rows = by_group.get(group, [])
        if not rows:
            continue
        if group == "overlap":
            chosen = np.flatnonzero(x[: model.n_x] > 0.5)
            sets = [set() for _ in ids]
            for j in chosen:
                if model.col_role[j] == 0:
                    sets[int(model.col_form[j])].add(int(model.col_item[j]))
            for f in range(len(ids)):
                for g in range(f + 1, len(ids)):
                    shared = len(sets[f] & sets[g])
                    if shared > problem.max_overlap:
                        details.append(
                            f"{ids[f]} and {ids[g]} would share {shared} scored items "
                            f"(limit {problem.max_overlap})"
                        )
            continue
        if group == "exposure":
            over = sorted({str(pool.ids[pool.index()[model.row_ref[r]]]) for r, _ in rows})
            details.append(
                f"{len(over)} item(s) would be needed on more than {problem.max_exposure} forms"
            )
            continue
        if group == "enemies":
            details.append(f"{len(rows)} enemy clique(s) would be broken")
            continue
        if group == "target_tolerance":
            for r, amount in rows[:1]:
                if model.row_ref[r] == "tolerance":
                    details.append(
                        "the closest achievable relative deviation from the target is "
                        f"{problem.settings.tolerance + amount:.4f}"
                    )
                else:
                    details.append("the forms' information would differ by more than the tolerance")
            continue
        for r, amount in rows[:6]:
            form = ids[int(model.row_form[r])] if model.row_form[r] >= 0 else "all forms"
            ref = model.row_ref[r]
            what = {
                "domain_scored": f"domain {ref} on {form}: {amount:g} scored item(s) short",
                "subdomain_min": f"subdomain {ref} on {form}: {amount:g} item(s) short",
                "pretest_domain": f"domain {ref} on {form}: {amount:g} pretest item(s) short",
                "anchors": f"anchors in domain {ref} on {form}: {amount:g} short",
                "key_balance": f"key {ref} on {form}: {amount:g} item(s) outside the band",
            }.get(group, f"{group} {ref} on {form}: {amount:g}")
            details.append(what)
    return details


def diagnose(problem: AssemblyProblem, *, time_limit: float = 30.0) -> Diagnosis:
    """Explain why ``problem`` has no solution (see the module notes)."""
    reasons = counting_checks(problem)
    if reasons:
        groups = sorted({r.group for r in reasons}, key=GROUPS.index)
        return Diagnosis(groups, reasons, "counting")
    # Stop at the first feasible solution; keep the target rows only when a tolerance
    # makes them constraining.
    options = highs_options(time_limit=time_limit, mip_rel_gap=1e9, mip_abs_gap=1e9)
    objective = (
        "minimax" if problem.settings.tolerance is not None and problem.target.m else "feasibility"
    )
    present = build_model(problem, objective=objective).groups
    candidates = [g for g in RELAXABLE_GROUPS if g in present and _group_has_rows(problem, g)]
    binding: list[str] = []
    for group in candidates:
        model = build_model(problem, omit={group}, objective=objective)
        outcome = solve_model(model, options)
        if outcome.has_solution:
            binding.append(group)
    if binding:
        details = _elastic_details(problem, binding, options, objective)
        names = [_group_sentence(problem, g) for g in binding]
        if len(names) == 1:
            lead = f"no set of forms meets {names[0]} together with the other constraints"
        else:
            lead = (
                "no set of forms meets all of " + ", ".join(names[:-1]) + f" and {names[-1]}"
                "; relaxing any one of them would make assembly feasible"
            )
        reasons = [Reason(binding[0], lead)]
        reasons.extend(_supply_reasons(problem, binding))
        return Diagnosis(binding, reasons, "drop-one", details)
    # no single group is to blame: let the elastic model point at rows
    details = _elastic_details(problem, candidates, options, objective)
    lead = "no set of forms meets the constraints, and relaxing no single group suffices"
    return Diagnosis(candidates, [Reason("several", lead)], "elastic", details)


def _group_has_rows(problem: AssemblyProblem, group: str) -> bool:
    if group == "target_tolerance":
        return problem.settings.tolerance is not None and problem.target.m > 0
    if group == "anchors":
        return problem.base_form is not None
    if group == "exposure":
        return problem.max_exposure < problem.n_forms
    if group == "overlap":
        return problem.n_forms > 1 and problem.max_overlap < problem.blueprint.scored_items
    if group == "enemies":
        return bool(problem.pool.enemy_cliques)
    return True


def _supply_reasons(problem: AssemblyProblem, groups: list[str]) -> list[Reason]:
    """What the bank holds for the binding groups, in numbers."""
    pool, bp, k = problem.pool, problem.blueprint, problem.n_forms
    out: list[Reason] = []
    if {"domain_scored", "overlap", "exposure", "enemies"} & set(groups):
        parts = []
        for d in bp.domains:
            sel = np.flatnonzero(pool.scored_ok & (pool.domain == d.domain))
            usable = max_independent(sel, pool.enemy_pairs)
            blocked = f" ({len(sel) - usable} blocked as enemies)" if usable < len(sel) else ""
            parts.append(
                f"domain {d.domain}: {len(sel)} operational for {d.scored_items} x {k}{blocked}"
            )
        out.append(Reason("supply", "the bank has " + "; ".join(parts)))
    if "anchors" in groups and problem.base_form is not None:
        parts = []
        for d in bp.domains:
            n = int((pool.anchor_ok & (pool.domain == d.domain)).sum())
            parts.append(f"domain {d.domain}: {n} for {problem.anchor_by_domain.get(d.domain, 0)}")
        out.append(
            Reason("supply", f"anchor form {problem.base_form.form_id} offers " + "; ".join(parts))
        )
    if "key_balance" in groups:
        counts = ", ".join(
            f"{letter} {int((pool.scored_ok & (pool.key == letter)).sum())}"
            for letter in problem.key_bounds
        )
        out.append(Reason("supply", f"operational items by key: {counts}"))
    return out
