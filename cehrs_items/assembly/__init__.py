"""Automated test assembly: parallel forms by mixed-integer programming, form checks, export.

Public API: :func:`assemble_forms` (with :class:`AssemblySettings`, returning an
:class:`AssemblyResult`), :func:`check_forms` / :func:`check_form` and
:func:`export_form`. See ``docs/assembly.md`` for the model.
"""

from cehrs_items.assembly.assemble import AssemblyResult, assemble_forms, solve_problem
from cehrs_items.assembly.check import RULES, CheckResult, check_form, check_forms
from cehrs_items.assembly.constraints import (
    GROUPS,
    RELAXABLE_GROUPS,
    AssemblyProblem,
    AssemblySettings,
    build_problem,
)
from cehrs_items.assembly.diagnose import Diagnosis, counting_checks, diagnose
from cehrs_items.assembly.export import Export, export_form
from cehrs_items.assembly.milp import build_model, solve_model

__all__ = [
    "GROUPS",
    "RELAXABLE_GROUPS",
    "RULES",
    "AssemblyProblem",
    "AssemblyResult",
    "AssemblySettings",
    "CheckResult",
    "Diagnosis",
    "Export",
    "assemble_forms",
    "build_model",
    "build_problem",
    "check_form",
    "check_forms",
    "counting_checks",
    "diagnose",
    "export_form",
    "solve_model",
    "solve_problem",
]
