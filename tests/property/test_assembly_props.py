"""Properties of assembly: forms meet the blueprint or the run says why; spreads; runs."""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cehrs_items.assembly import AssemblySettings, assemble_forms, check_forms
from cehrs_items.assembly._synthetic import SMALL_BLUEPRINT, bank_from_docs, stats_for, tiny_items
from cehrs_items.assembly.sequence import (
    SlotItem,
    longest_runs,
    max_pretest_gap,
    pretest_gaps,
    pretest_positions,
    sequence_form,
)
from cehrs_items.blueprint import blueprint_from_data
from cehrs_items.errors import InfeasibleError
from cehrs_items.findings import Severity
from cehrs_items.forms import dumps_form

BLUEPRINT = blueprint_from_data(copy.deepcopy(SMALL_BLUEPRINT), path="tiny.yaml")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n_per_sub=st.integers(2, 6),
    n_forms=st.integers(1, 3),
    max_exposure=st.sampled_from([None, 1, 2]),
    max_overlap=st.integers(0, 4),
    enemy_pairs=st.integers(0, 4),
)
def test_assembled_forms_meet_the_blueprint(
    tmp_path_factory, seed, n_per_sub, n_forms, max_exposure, max_overlap, enemy_pairs
):
    rng = np.random.default_rng(seed)
    docs = tiny_items(n_per_sub, pretest_per_domain=3)
    for _ in range(enemy_pairs):
        a, b = rng.choice(len(docs), size=2, replace=False)
        docs[a]["enemies"] = sorted(set(docs[a]["enemies"]) | {docs[b]["id"]})
        docs[b]["enemies"] = sorted(set(docs[b]["enemies"]) | {docs[a]["id"]})
    params = {d["id"]: (float(rng.uniform(0.5, 2)), float(rng.normal()), 0.15) for d in docs}
    bank = bank_from_docs(docs, stats_for(params), root="<prop>")
    s = AssemblySettings(
        n_forms=n_forms, seed=seed, max_exposure=max_exposure, max_overlap=max_overlap
    )
    try:
        result = assemble_forms(bank, BLUEPRINT, s)
    except InfeasibleError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    folder = tmp_path_factory.mktemp("forms")
    paths = []
    for name, text in result.files().items():
        (folder / name).write_text(text)
        paths.append(folder / name)
    check = check_forms(
        paths,
        bank=bank,
        blueprint=BLUEPRINT,
        max_overlap=max_overlap,
        max_exposure=max_exposure,
    )
    assert [f for f in check.findings if f.severity is Severity.ERROR] == []
    # and the files are what files() rendered, byte for byte
    for doc in result.forms:
        assert (folder / f"{doc['form_id']}.json").read_text() == dumps_form(doc)


@given(n_total=st.integers(1, 300), share=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_pretest_positions_are_spread(n_total, share, seed):
    n_pretest = int(share * n_total)
    pos = pretest_positions(n_total, n_pretest, np.random.default_rng(seed))
    assert len(set(pos)) == n_pretest and all(1 <= p <= n_total for p in pos)
    if n_pretest:
        assert max(pretest_gaps(pos, n_total)) <= max_pretest_gap(n_total, n_pretest)


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 12), min_size=2, max_size=5),
    n_pretest=st.integers(0, 6),
    max_run=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_sequencing_keeps_runs_or_says_why(counts, n_pretest, max_run, seed):
    letters = "ABCDE"
    keys = [letters[j] for j, c in enumerate(counts) for _ in range(c)]
    if len(keys) < n_pretest + 1:
        return
    items = [SlotItem(i, k, "scored") for i, k in enumerate(keys)]
    scored, pretest = (
        items[n_pretest:],
        [SlotItem(it.index, it.key, "pretest") for it in items[:n_pretest]],
    )
    total = len(keys)
    # a necessary and sufficient condition for one sequence (roles ignored): the largest
    # key count fits between the others
    biggest = max(counts)
    possible_ignoring_roles = biggest <= max_run * (total - biggest + 1)
    try:
        order = sequence_form(scored, pretest, max_run=max_run, rng=np.random.default_rng(seed))
    except InfeasibleError as exc:
        assert "key runs" in str(exc)
        assert not possible_ignoring_roles or n_pretest > 0
        return
    assert longest_runs([s.key for s in order])[0] <= max_run
    assert sorted(s.index for s in order) == list(range(total))
