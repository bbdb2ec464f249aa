"""``assemble_forms``: K blueprint-conformant parallel forms from a bank, by optimisation.

The steps (see :mod:`constraints`, :mod:`milp`, :mod:`diagnose`, :mod:`sequence`):
resolve the problem; refuse early, in blueprint terms, when counting shows it cannot be
solved; solve the MILP; diagnose an infeasible one by relaxing constraint groups;
sequence each form's positions; re-check every form with :func:`check_form`; and build
the form documents (contract ``schemas/form.schema.json``). Nothing is written here:
:meth:`AssemblyResult.write` commits all forms together through :class:`io.OutputSet`,
so a failed run writes nothing.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from cehrs_items import __version__
from cehrs_items.assembly.check import check_form
from cehrs_items.assembly.constraints import (
    DEFAULT_THETAS,
    PRETEST,
    SCORED,
    AssemblyProblem,
    AssemblySettings,
    build_problem,
    information_matrix,
    with_settings,
)
from cehrs_items.assembly.diagnose import counting_checks, diagnose, summarize_reasons
from cehrs_items.assembly.milp import (
    SolveOutcome,
    build_model,
    common_usage,
    highs_options,
    selected,
    solve_model,
    solver_versions,
)
from cehrs_items.assembly.sequence import SlotItem, longest_runs, sequence_form
from cehrs_items.bank import Bank, load_bank
from cehrs_items.blueprint import Blueprint, default_blueprint_path, load_blueprint
from cehrs_items.errors import InfeasibleError, InputError
from cehrs_items.findings import Severity
from cehrs_items.forms import Form, dumps_form, form_from_data, read_form
from cehrs_items.io import OutputSet
from cehrs_items.irt.models import expected_score

Progress = Callable[[str], None]


@dataclass
class AssemblyResult:
    """The assembled forms (documents ready to write) and how the solve went."""

    forms: list[dict[str, Any]]
    problem: AssemblyProblem
    outcome: Solution
    model_size: dict[str, int]
    notes: list[str] = field(default_factory=list)
    set_summary: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def form_ids(self) -> list[str]:
        return [f["form_id"] for f in self.forms]

    def files(self) -> dict[str, str]:
        """File name -> JSON text, one ``<form_id>.json`` per form."""
        return {f"{f['form_id']}.json": dumps_form(f) for f in self.forms}

    def write(self, out_dir: str | Path, *, force: bool = False) -> list[Path]:
        """Write every form into ``out_dir`` together (nothing if any would be refused)."""
        output = OutputSet(out_dir, force=force)
        for name, text in self.files().items():
            output.add(name, text)
        return output.commit()

    def _worst_feature(self) -> str:
        """`` (at info(2), form F1)``: where the largest relative deviation is."""
        worst = None
        for form in self.forms:
            for row in form["summary"].get("target") or []:
                if row.get("target") is None:
                    continue
                dev = abs(row["value"] - row["target"]) / max(abs(row["target"]), 1e-9)
                if worst is None or dev > worst[0]:
                    worst = (dev, row["feature"], form["form_id"])
        if worst is None:
            return ""
        where = f"{worst[1]}" + (f", form {worst[2]}" if len(self.forms) > 1 else "")
        return f" (at {where})"

    def render_text(self) -> str:
        """The human summary printed on stdout."""
        p = self.problem
        lines = []
        s = self.set_summary
        lines.append(
            f"assembled {len(self.forms)} form(s) from {len(p.bank)} bank items "
            f"(blueprint {p.blueprint.id}, seed {p.settings.seed})"
        )
        sol = self.outcome
        how = sol.method
        if sol.method == "sequential":
            how += f", {len(sol.solves)} solves, {sol.repairs} repairs"
        lines.append(
            f"solver: {sol.status_name} ({how}), objective {_fmt(sol.objective)}, "
            f"gap {_fmt(sol.mip_gap)}; target: {p.target.kind} ({p.target.statistic})"
        )
        for form in self.forms:
            sm = form["summary"]
            doms = " ".join(f"{d}:{v['scored']}+{v['pretest']}" for d, v in sm["domains"].items())
            keys = " ".join(f"{k}:{v}" for k, v in sm["keys"].items())
            parts = [f"{form['form_id']}: domains {doms}", f"keys {keys}"]
            if sm.get("anchor_items"):
                parts.append(f"anchors {sm['anchor_items']}")
            if sm.get("mean_p") is not None:
                parts.append(f"mean p {sm['mean_p']:.3f}")
            if sm.get("tif"):
                parts.append(
                    "TIF " + " ".join(f"{t['theta']:g}:{t['info']:.2f}" for t in sm["tif"])
                )
            lines.append("  " + "; ".join(parts))
        if s.get("tif_gap") is not None and len(self.forms) > 1:
            lines.append(
                f"largest TIF difference between forms: {s['tif_gap']:.4f} "
                f"({s['tif_gap_relative']:.2%})"
            )
        if s.get("max_rel_deviation") is not None:
            lines.append(
                f"largest relative deviation from the target ({_target_words(p.target)}): "
                f"{s['max_rel_deviation']:.2%}{self._worst_feature()}"
            )
        if s.get("overlap"):
            worst = max(s["overlap"].values())
            lines.append(f"largest pairwise overlap: {worst} (limit {p.max_overlap})")
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines) + "\n"


def _target_words(target: Any) -> str:
    """What the statistical target is, in words, for the summary line."""
    names = ", ".join(target.names)
    if target.kind == "base" and target.statistic == "irt":
        thetas = ", ".join(f"{t:g}" for t in target.thetas)
        return f"the base form's test information at theta {thetas}"
    if target.kind == "base":
        return f"the base form's {names.replace('_', ' ')}"
    return f"{target.kind} target: {names}"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.6g}"


def _round(value: Any, digits: int = 6) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v, digits) for v in value]
    return value


def _load_inputs(bank, blueprint, anchor_form):
    bank_obj = bank if isinstance(bank, Bank) else load_bank(bank)
    if blueprint is None:
        blueprint = default_blueprint_path(bank_obj.root)
    bp_obj = blueprint if isinstance(blueprint, Blueprint) else load_blueprint(blueprint)
    base = None
    if anchor_form is not None:
        base = anchor_form if isinstance(anchor_form, Form) else read_form(anchor_form)
    return bank_obj, bp_obj, base


@dataclass
class Solution:
    """The selected items per form and how the solver(s) got there."""

    chosen: list[list[tuple[int, int]]]
    method: str
    outcomes: list[SolveOutcome]
    model_size: dict[str, int]
    options: dict[str, Any]
    fallback: str | None = None
    problem: AssemblyProblem | None = None
    repairs: int = 0

    solves: list[dict[str, Any]] = field(default_factory=list)
    final_objective: float | None = None

    def record(self, forms: tuple[str, ...], outcome: SolveOutcome) -> None:
        self.outcomes.append(outcome)
        self.solves.append(
            {
                "forms": list(forms),
                "status": outcome.status_name,
                "objective": outcome.objective,
                "mip_gap": outcome.mip_gap,
            }
        )

    @property
    def status_name(self) -> str:
        names = {o.status_name for o in self.outcomes}
        if len(names) == 1:
            return names.pop()
        return "mixed: " + ", ".join(sorted(names))

    @property
    def objective(self) -> float | None:
        """The simultaneous model's objective, or the final forms' largest deviation."""
        if self.final_objective is not None:
            return self.final_objective
        return self.outcomes[0].objective if len(self.outcomes) == 1 else None

    @property
    def mip_gap(self) -> float | None:
        return self.outcomes[0].mip_gap if len(self.outcomes) == 1 else None

    @property
    def dual_bound(self) -> float | None:
        return self.outcomes[0].dual_bound if len(self.outcomes) == 1 else None


METHODS = ("auto", "simultaneous", "sequential")


def _method(problem: AssemblyProblem) -> str:
    method = problem.settings.method
    if method not in METHODS:
        raise InputError(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    if method != "auto":
        return method
    if problem.n_forms == 1 or problem.target.m == 0:
        return "simultaneous"
    return "sequential"


def _simultaneous(problem: AssemblyProblem, options: dict, say: Progress) -> Solution:
    model = build_model(problem)
    size = model.size()
    say(
        f"model: {size['binary_variables']} binary and {size['continuous_variables']} "
        f"continuous variables, {size['constraints']} constraints"
    )
    outcome = solve_model(model, options)
    say(f"solver: {outcome.status_name}")
    if outcome.status == 2:
        say("no solution: diagnosing by relaxing constraint groups")
        diagnosis = diagnose(problem, time_limit=min(problem.settings.time_limit, 30.0))
        raise InfeasibleError(diagnosis.message)
    if not outcome.has_solution:
        if outcome.status == 1:
            raise InfeasibleError(
                f"no set of forms found within the time limit of "
                f"{problem.settings.time_limit:g} s (infeasibility not proven); raise "
                "--time-limit or loosen --max-overlap, --max-exposure or --tolerance"
            )
        raise InfeasibleError(f"the solver stopped without a solution: {outcome.message}")
    solution = Solution(selected(model, outcome.x), "simultaneous", [], size, options)
    solution.record(problem.form_ids, outcome)
    return solution


def _fix_common_levels(
    problem: AssemblyProblem, options: dict, say: Progress
) -> AssemblyProblem | None:
    """Replace maximised features by the common level all forms can reach (LP bound).

    For the IRT cut target with explicit ``thetas``, the same LP's average form also
    fixes the TIF at those points, which are added as matched features: the forms then
    agree along the theta scale, not only at the cut (at a cost in time: a multi-point
    target makes each solve harder).
    """
    tgt = problem.target
    values = tgt.values.copy()
    usage = None
    for k in np.flatnonzero(~np.isfinite(values)):
        found = common_usage(problem, int(k), options)
        if found is None:
            return None
        values[k], usage = found
        say(f"common level of {tgt.names[k]} over {problem.n_forms} forms: {values[k]:.4f}")
    new_target = replace(tgt, values=values)
    profile_thetas = problem.settings.thetas
    if tgt.statistic == "irt" and tgt.kind == "cut" and usage is not None and profile_thetas:
        st = problem.pool.stats
        a, b, c, d = (
            np.nan_to_num(st[x], nan=v) for x, v in zip("abcd", (1, 0, 0, 1), strict=True)
        )
        extra = [float(t) for t in profile_thetas if abs(float(t) - tgt.theta_cut) > 1e-9]
        if extra:
            feats = information_matrix(extra, a, b, c, d)
            feats = np.where(np.isfinite(feats), feats, 0.0)
            profile = usage @ feats / problem.n_forms
            new_target = replace(
                new_target,
                names=[*tgt.names, *(f"info({t:g})" for t in extra)],
                features=np.hstack([tgt.features, feats]),
                values=np.concatenate([values, profile]),
                thetas=[*tgt.thetas, *extra],
                scale=np.concatenate(
                    [
                        tgt.scale,
                        problem.blueprint.scored_items * feats[problem.pool.scored_ok].mean(axis=0),
                    ]
                ),
            )
    return with_settings(problem, target=new_target)


def _sequential(
    problem: AssemblyProblem, options: dict, say: Progress, *, shadow: bool = False
) -> Solution | None:
    previous: list[tuple[np.ndarray, np.ndarray]] = []
    chosen: list[list[tuple[int, int]]] = []
    solution = Solution(chosen, "sequential", [], {}, options)
    size: dict[str, int] = {}
    for f, form_id in enumerate(problem.form_ids):
        sub = with_settings(problem, form_ids=(form_id,))
        model = build_model(
            sub,
            previous=previous,
            previous_ids=problem.form_ids[:f],
            shadow_forms=problem.n_forms - f - 1 if shadow else 0,
        )
        if not size:
            size = model.size()
            say(
                f"model per form: {size['binary_variables']} binary variables, "
                f"{size['constraints']} constraints"
            )
        outcome = solve_model(model, options)
        say(f"form {form_id} ({f + 1}/{problem.n_forms}): {outcome.status_name}")
        if not outcome.has_solution:
            return None
        picked = selected(model, outcome.x)[0]
        chosen.append(picked)
        solution.record((form_id,), outcome)
        previous.append(
            (
                np.array([i for i, r in picked if r == SCORED], dtype=np.int64),
                np.array([i for i, _ in picked], dtype=np.int64),
            )
        )
    solution.model_size = size
    return solution


def _deviation(problem: AssemblyProblem, picked: list[tuple[int, int]]) -> float:
    """Largest relative deviation of one form from the (fixed) target."""
    tgt = problem.target
    scored = [i for i, r in picked if r == SCORED]
    achieved = tgt.features[scored].sum(axis=0)
    weights = np.maximum(np.abs(tgt.values), 1e-9)
    return float(np.max(np.abs(achieved - tgt.values) / weights))


def _previous(chosen: list[list[tuple[int, int]]], keep: list[int]):
    return [
        (
            np.array([i for i, r in chosen[g] if r == SCORED], dtype=np.int64),
            np.array([i for i, _ in chosen[g]], dtype=np.int64),
        )
        for g in keep
    ]


def _repair(problem: AssemblyProblem, solution: Solution, options: dict, say: Progress) -> None:
    """Pairwise repair after sequential assembly (a large-neighbourhood step).

    Sequential assembly lets early forms take items a later form needed. While the worst
    form's deviation exceeds the absolute gap, the best form's items are released and
    the worst form is re-solved first, then the best one, each against every other form
    (overlap and exposure counted as in sequential assembly). The pair is kept when its
    worse deviation drops. At most 2K rounds of two single-form solves.
    """
    k = problem.n_forms
    if k < 2 or problem.target.m == 0:
        return
    ids = problem.form_ids
    tried: set[tuple[int, int]] = set()
    for _ in range(2 * k):
        devs = [_deviation(problem, picked) for picked in solution.chosen]
        worst = int(np.argmax(devs))
        if devs[worst] <= problem.settings.mip_abs_gap:
            return
        partners = [g for g in np.argsort(devs, kind="stable") if g != worst]
        partners = [int(g) for g in partners if (worst, int(g)) not in tried]
        if not partners:
            return
        best = partners[0]
        tried.add((worst, best))
        others = [g for g in range(k) if g not in (worst, best)]
        chosen = list(solution.chosen)
        outcomes = []
        for f, fixed in ((worst, others), (best, [*others, worst])):
            model = build_model(
                with_settings(problem, form_ids=(ids[f],)),
                previous=_previous(chosen, fixed),
                previous_ids=tuple(ids[g] for g in fixed),
            )
            outcome = solve_model(model, options)
            if not outcome.has_solution:
                break
            chosen[f] = selected(model, outcome.x)[0]
            outcomes.append((ids[f], outcome))
        else:
            new_worst = max(_deviation(problem, chosen[worst]), _deviation(problem, chosen[best]))
            if new_worst < devs[worst] - 1e-9:
                say(
                    f"repair: {ids[worst]} re-solved before {ids[best]}, worst deviation "
                    f"{devs[worst]:.4f} -> {new_worst:.4f}"
                )
                solution.chosen[worst], solution.chosen[best] = chosen[worst], chosen[best]
                for form_id, outcome in outcomes:
                    solution.record((form_id,), outcome)
                solution.repairs += 1
                tried.clear()


def solve_problem(problem: AssemblyProblem, *, progress: Progress | None = None) -> Solution:
    """Select the items of every form; raise InfeasibleError (with the diagnosis) if impossible.

    ``simultaneous`` solves one MILP for all K forms (exact; the default for one form).
    ``sequential`` (the default for several forms) fixes the target first: a maximised
    feature (the cut target) gets the common level all K forms can reach, from the
    symmetric LP of :func:`~cehrs_items.assembly.milp.common_level`. It then solves one
    form at a time against that fixed target, each new form limited in overlap and
    exposure by the forms before it, and repairs the result pairwise (:func:`_repair`).
    Simultaneous models with a fixed multi-point target have a highly degenerate LP
    relaxation and scale badly with K; sequential ones stay small. If a later form cannot
    be built sequentially, the simultaneous model decides (and diagnoses).
    """
    say = progress or (lambda _msg: None)
    reasons = counting_checks(problem)
    if reasons:
        raise InfeasibleError(summarize_reasons(reasons))
    s = problem.settings
    options = highs_options(
        time_limit=s.time_limit, mip_rel_gap=s.mip_rel_gap, mip_abs_gap=s.mip_abs_gap
    )
    method = _method(problem)
    if method == "sequential":
        fixed = problem
        # Maximised features (the cut target) get their common level first; the best
        # items are then scarce, so each form is solved with a shadow of the forms to
        # come. A base target is typical of the bank and needs no shadow.
        scarce = not np.all(np.isfinite(problem.target.values))
        if scarce:
            fixed = _fix_common_levels(problem, options, say)
        solution = _sequential(fixed, options, say, shadow=scarce) if fixed is not None else None
        if solution is not None:
            _repair(fixed, solution, options, say)
            solution.problem = fixed
            if fixed.target.m:
                solution.final_objective = max(_deviation(fixed, c) for c in solution.chosen)
            return solution
        say("sequential assembly got stuck; solving all forms together")
        solution = _simultaneous(problem, options, say)
        solution.fallback = "sequential assembly got stuck; all forms were solved together"
        return solution
    return _simultaneous(problem, options, say)


def _form_summary(
    problem: AssemblyProblem, scored: list[int], pretest: list[int], keys_in_order: list[str]
) -> dict[str, Any]:
    pool, bp, tgt = problem.pool, problem.blueprint, problem.target
    st = pool.stats
    sc = np.array(scored, dtype=np.int64)
    summary: dict[str, Any] = {
        "scored_items": len(scored),
        "pretest_items": len(pretest),
        "domains": {
            str(d.domain): {
                "scored": int((pool.domain[sc] == d.domain).sum()),
                "pretest": int(sum(pool.domain[i] == d.domain for i in pretest)),
            }
            for d in bp.domains
        },
        "subdomains": dict(sorted(Counter(str(pool.subdomain[i]) for i in scored).items())),
        "keys": dict(sorted(Counter(str(pool.key[i]) for i in scored).items())),
        "keys_all_positions": dict(sorted(Counter(keys_in_order).items())),
        "longest_key_run": longest_runs(keys_in_order)[0],
        "anchor_items": int(pool.anchor_ok[sc].sum()) if problem.base_form is not None else 0,
    }
    p = st["p_value"][sc]
    r = st["item_total_r"][sc]
    summary["mean_p"] = float(np.mean(p)) if np.isfinite(p).all() and len(p) else None
    summary["sum_item_total_r"] = float(np.sum(r)) if np.isfinite(r).all() and len(r) else None
    irt_ok = np.isfinite(st["a"][sc]).all() and np.isfinite(st["b"][sc]).all() and len(sc)
    if irt_ok:
        a, b, c, d = st["a"][sc], st["b"][sc], st["c"][sc], st["d"][sc]
        thetas = sorted(set(tgt.thetas) | set(problem.settings.thetas or DEFAULT_THETAS))
        info = information_matrix(thetas, a, b, c, d).sum(axis=0)
        summary["tif"] = [
            {"theta": float(t), "info": float(v)} for t, v in zip(thetas, info, strict=True)
        ]
        if tgt.theta_cut is not None:
            cut = tgt.theta_cut
            summary["theta_cut"] = float(cut)
            summary["info_at_cut"] = float(information_matrix([cut], a, b, c, d).sum())
            summary["expected_raw_at_cut"] = float(
                sum(
                    float(expected_score(cut, a[d == dv], b[d == dv], c[d == dv], d=float(dv)))
                    for dv in np.unique(d)
                )
            )
    if tgt.m:
        achieved = tgt.features[sc].sum(axis=0)
        rows = []
        for k, name in enumerate(tgt.names):
            value = tgt.values[k]
            rows.append(
                {
                    "feature": name,
                    "value": float(achieved[k]),
                    "target": None if not np.isfinite(value) else float(value),
                }
            )
        summary["target"] = rows
        fixed = [x for x in rows if x["target"] is not None]
        if fixed:
            summary["max_rel_deviation"] = max(
                abs(x["value"] - x["target"]) / max(abs(x["target"]), 1e-9) for x in fixed
            )
    return summary


def _set_summary(problem: AssemblyProblem, per_form: list[dict], scored_sets: list[set]) -> dict:
    ids = problem.form_ids
    out: dict[str, Any] = {"forms": list(ids)}
    if len(ids) > 1:
        out["overlap"] = {
            f"{ids[a]}|{ids[b]}": len(scored_sets[a] & scored_sets[b])
            for a in range(len(ids))
            for b in range(a + 1, len(ids))
        }
    counts = Counter(i for s in scored_sets for i in s)
    out["max_item_exposure"] = max(counts.values()) if counts else 0
    tifs = [f.get("tif") for f in per_form]
    if all(tifs) and tifs:
        grid = np.array([[t["info"] for t in tif] for tif in tifs])
        gap = grid.max(axis=0) - grid.min(axis=0)
        out["tif_gap"] = float(gap.max())
        out["tif_gap_relative"] = float((gap / np.maximum(grid.max(axis=0), 1e-9)).max())
        out["tif_gap_by_theta"] = [
            {"theta": t["theta"], "gap": float(g)} for t, g in zip(tifs[0], gap, strict=True)
        ]
    devs = [f.get("max_rel_deviation") for f in per_form if f.get("max_rel_deviation") is not None]
    if devs:
        out["max_rel_deviation"] = float(max(devs))
    if problem.target.m:
        achieved = np.array([[x["value"] for x in f["target"]] for f in per_form])
        spread = achieved.max(axis=0) - achieved.min(axis=0)
        out["target_spread"] = {
            name: float(v) for name, v in zip(problem.target.names, spread, strict=True)
        }
    return out


def assemble_forms(
    bank: Bank | str | Path,
    blueprint: Blueprint | str | Path | None = None,
    settings: AssemblySettings | None = None,
    *,
    anchor_form: Form | str | Path | None = None,
    progress: Progress | None = None,
) -> AssemblyResult:
    """Assemble ``settings.n_forms`` parallel forms (see the module notes).

    Raises
    ------
    InfeasibleError
        When no set of forms meets every constraint; the message says why in blueprint
        terms (exit code 1).
    InputError, DataError, BlueprintError
        When an input cannot be read or used (exit code 2).
    """
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    settings = settings or AssemblySettings()
    bank_obj, bp, base = _load_inputs(bank, blueprint, anchor_form)
    problem = build_problem(bank_obj, bp, settings, base_form=base)
    say(
        f"bank {len(bank_obj)} items; {int(problem.pool.scored_ok.sum())} eligible scored, "
        f"{int(problem.pool.pretest_ok.sum())} eligible pretest; {problem.n_forms} form(s)"
    )
    solution = solve_problem(problem, progress=say)
    if solution.problem is not None:
        problem = solution.problem  # the target with its common level fixed
    chosen = solution.chosen
    outcome = solution
    seeds = np.random.SeedSequence(settings.seed).spawn(problem.n_forms)
    pool = problem.pool
    forms: list[dict[str, Any]] = []
    per_form: list[dict[str, Any]] = []
    scored_sets: list[set] = []
    solver_block = {
        "status": outcome.status_name,
        "objective": outcome.objective,
        "mip_gap": outcome.mip_gap,
        "dual_bound": outcome.dual_bound,
        "time_limit": settings.time_limit,
        "mip_rel_gap": settings.mip_rel_gap,
        "mip_abs_gap": settings.mip_abs_gap,
        "method": solution.method,
        "fallback": solution.fallback,
        "repairs": solution.repairs,
        "solves": solution.solves,
        "options": {k: v for k, v in sorted(solution.options.items())},
        **solver_versions(),
        "model": solution.model_size,
        "tie_break": "uniform(0,1) cost per item and role from the seed, scaled to a total "
        "below 1e-4 of the objective",
        "settings": problem.describe(),
    }
    for f, form_id in enumerate(problem.form_ids):
        rng = np.random.default_rng(seeds[f])
        scored = [i for i, role in chosen[f] if role == SCORED]
        pretest = [i for i, role in chosen[f] if role == PRETEST]
        base_pos = pool.base_position if base is not None else None
        slot_scored = [
            SlotItem(
                i,
                str(pool.key[i]),
                "scored",
                int(base_pos[i]) if base_pos is not None and pool.anchor_ok[i] else 0,
            )
            for i in scored
        ]
        slot_pretest = [SlotItem(i, str(pool.key[i]), "pretest") for i in pretest]
        order = sequence_form(
            slot_scored,
            slot_pretest,
            max_run=bp.key_balance.max_run,
            rng=rng,
            keep_anchor_positions=settings.keep_anchor_positions,
        )
        positions = []
        for pos, item in enumerate(order, start=1):
            i = item.index
            entry = {
                "position": pos,
                "item_id": str(pool.ids[i]),
                "item_version": int(pool.version[i]),
                "role": item.role,
                "domain": int(pool.domain[i]),
                "subdomain": str(pool.subdomain[i]),
                "key": str(pool.key[i]),
            }
            if item.role == "scored" and base is not None and pool.anchor_ok[i]:
                entry["anchor"] = True
            positions.append(entry)
        summary = _form_summary(problem, scored, pretest, [str(pool.key[o.index]) for o in order])
        summary["pretest_positions"] = [p["position"] for p in positions if p["role"] == "pretest"]
        per_form.append(summary)
        scored_sets.append({str(pool.ids[i]) for i in scored})
        doc: dict[str, Any] = {
            "form_id": form_id,
            "blueprint_id": bp.id,
            "seed": settings.seed,
            "generator": f"cehrs-items {__version__}",
            "anchor_form": base.form_id if base is not None else None,
            "solver": solver_block,
            "positions": positions,
        }
        if bp.sha256:
            doc["blueprint_sha256"] = bp.sha256
        if bank_obj.content_sha256:
            doc["bank_sha256"] = bank_obj.content_sha256
        forms.append(doc)
    set_summary = _set_summary(problem, per_form, scored_sets)
    for doc, summary in zip(forms, per_form, strict=True):
        summary["set"] = set_summary
        doc["summary"] = summary
        doc.update(_round({"solver": doc["solver"], "summary": doc["summary"]}))
    # every form must pass form check (by construction); anything else is a bug
    for doc in forms:
        form = form_from_data(doc, path=f"{doc['form_id']}.json")
        problems = [
            f
            for f in check_form(form, bank=bank_obj, blueprint=bp, base_form=base)
            if f.severity is Severity.ERROR
        ]
        if problems:
            raise RuntimeError(
                f"assembled form {doc['form_id']} fails form check: "
                + "; ".join(f"{f.rule} {f.message}" for f in problems[:3])
            )
    return AssemblyResult(
        forms=forms,
        problem=problem,
        outcome=solution,
        model_size=solution.model_size,
        notes=list(problem.notes),
        set_summary=_round(set_summary),
        seconds=time.perf_counter() - started,
    )
