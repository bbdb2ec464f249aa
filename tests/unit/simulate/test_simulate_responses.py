"""simulate responses: recovery of the generating model, determinism, files and errors."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from cehrs_items.errors import DataError, InputError
from cehrs_items.forms import dumps_form
from cehrs_items.io import sha256_file
from cehrs_items.irt.params import read_params
from cehrs_items.responses import read_key, read_responses, score_responses
from cehrs_items.simulate import responses as simresp
from cehrs_items.simulate.responses import (
    ResponseSettings,
    generate_responses,
    load_simulation_items,
    parse_assignments,
    simulate_responses,
)


@pytest.fixture(scope="module")
def items(sim_bank):
    return load_simulation_items(sim_bank)


def _scores(data):
    keys = data.items.get_column("key").to_list()
    ids = data.items.get_column("item_id").to_list()
    letters = data.responses.select(ids).to_numpy()
    omitted = data.responses.select([pl.col(i).is_null() for i in ids]).to_numpy()
    return (letters == np.array(keys)[None, :]).astype(float), omitted


def test_bank_items_are_operational_and_pretest_in_id_order(sim_bank, items):
    t = items.table
    assert t.get_column("item_id").to_list() == sorted(t.get_column("item_id").to_list())
    assert set(t.get_column("role").to_list()) == {"scored", "pretest"}
    assert t.get_column("position").to_list() == list(range(1, t.height + 1))
    assert items.source["kind"] == "bank" and items.source["parameters"] == "statistics table"


def test_p_values_recover_the_model(sim_bank, items):
    """Observed proportions correct lie within 4 binomial SEs of the model-implied values."""
    n = 20_000
    data = generate_responses(items, ResponseSettings(examinees=n, seed=1))
    scores, omitted = _scores(data)
    assert not omitted.any()
    p_model = data.items.get_column("p_model").to_numpy()
    se = np.sqrt(p_model * (1 - p_model) / n)
    assert (np.abs(scores.mean(axis=0) - p_model) < 4 * se).all()
    # with no groups, p_model is the bank table's implied p at N(0, 1)
    stats = pl.read_csv(sim_bank / "stats" / "item_stats.csv")
    joined = data.items.join(stats.select("item_id", "p_value"), on="item_id")
    np.testing.assert_allclose(joined["p_model"], joined["p_value"], atol=1e-12)


def test_ability_distribution_and_true_scores(items):
    data = generate_responses(
        items, ResponseSettings(examinees=20_000, seed=2, theta_mean=0.5, theta_sd=0.8)
    )
    theta = data.truth.get_column("theta").to_numpy()
    assert theta.mean() == pytest.approx(0.5, abs=4 * 0.8 / np.sqrt(20_000))
    assert theta.std() == pytest.approx(0.8, rel=0.03)
    scores, _ = _scores(data)
    # examinees with higher theta score higher: correlation clearly positive
    assert np.corrcoef(theta, scores.sum(axis=1))[0, 1] > 0.8


def test_omit_rate_is_recovered(items):
    n, rate = 10_000, 0.05
    data = generate_responses(items, ResponseSettings(examinees=n, seed=3, omit_rate=rate))
    _, omitted = _scores(data)
    share = omitted.mean()
    assert share == pytest.approx(rate, abs=4 * np.sqrt(rate * (1 - rate) / omitted.size))
    # omits are spread evenly: no item far from the rate
    per_item = omitted.mean(axis=0)
    assert (np.abs(per_item - rate) < 5 * np.sqrt(rate * (1 - rate) / n)).all()


def test_group_proportions_and_dif_show_in_the_right_items(items):
    ids = items.item_ids
    dif_items = {ids[3]: 1.0, ids[10]: -0.8}
    n = 40_000
    settings = ResponseSettings(
        examinees=n, seed=4, groups=(("ref", 0.6), ("foc", 0.4)), dif=tuple(dif_items.items())
    )
    data = generate_responses(items, settings)
    group = data.responses.get_column("group").to_numpy()
    focal = group == "foc"
    assert focal.mean() == pytest.approx(0.4, abs=4 * np.sqrt(0.24 / n))
    assert (data.truth.get_column("group") == data.responses.get_column("group")).all()
    scores, _ = _scores(data)
    # no impact: the groups have the same abilities, so a p-value gap means DIF
    gap = scores[focal].mean(axis=0) - scores[~focal].mean(axis=0)
    se = np.sqrt(
        scores[focal].var(axis=0) / focal.sum() + scores[~focal].var(axis=0) / (~focal).sum()
    )
    z = gap / se
    for j, item in enumerate(ids):
        if item == ids[3]:
            assert z[j] < -8  # harder for the focal group
        elif item == ids[10]:
            assert z[j] > 8  # easier for the focal group
        else:
            assert abs(z[j]) < 4.5
    shifts = dict(zip(ids, data.items.get_column("dif_shift").to_list(), strict=True))
    assert shifts[ids[3]] == 1.0 and shifts[ids[10]] == -0.8 and shifts[ids[0]] == 0.0


def _mh_delta(item: np.ndarray, total: np.ndarray, focal: np.ndarray) -> float:
    """Mantel-Haenszel D-DIF (-2.35 ln alpha_MH) matching on the total score."""
    num = den = 0.0
    for s in np.unique(total):
        k = total == s
        r, f = k & ~focal, k & focal
        nk = k.sum()
        a_, b_ = item[r].sum(), r.sum() - item[r].sum()
        c_, d_ = item[f].sum(), f.sum() - item[f].sum()
        num += a_ * d_ / nk
        den += b_ * c_ / nk
    return -2.35 * np.log(num / den)


def test_dif_survives_impact_when_matched_on_total(items):
    """With a lower-ability focal group, MH D-DIF flags only the shifted item."""
    ids = items.item_ids
    settings = ResponseSettings(
        examinees=30_000,
        seed=5,
        groups=(("ref", 0.5), ("foc", 0.5)),
        impact=-0.5,
        dif=((ids[7], 1.5),),
    )
    data = generate_responses(items, settings)
    scores, _ = _scores(data)
    focal = data.responses.get_column("group").to_numpy() == "foc"
    assert data.truth.filter(pl.col("group") == "foc")["theta"].mean() == pytest.approx(
        -0.5, abs=0.05
    )
    scored = data.items.get_column("role").to_numpy() == "scored"
    total = scores[:, scored].sum(axis=1)
    deltas = {ids[j]: _mh_delta(scores[:, j], total, focal) for j in range(len(ids))}
    assert deltas[ids[7]] < -1.5  # ETS category C size, against the focal group
    others = [abs(v) for k, v in deltas.items() if k != ids[7]]
    assert max(others) < 0.6, sorted(others)[-3:]


def test_distractor_choice_follows_the_weights(items):
    n = 30_000
    data = generate_responses(items, ResponseSettings(examinees=n, seed=6))
    for row in data.items.head(5).iter_rows(named=True):
        col = data.responses.get_column(row["item_id"])
        wrong = col.filter(col != row["key"])
        m = wrong.len()
        for letter in "ABCD":
            w = row[f"w_{letter}"]
            if letter == row["key"]:
                assert w is None
                continue
            share = (wrong == letter).sum() / m
            assert share == pytest.approx(w, abs=4 * np.sqrt(w * (1 - w) / m) + 1e-9)


@pytest.mark.parametrize("mode", ["omit", "guess"])
def test_speededness(items, mode):
    n, k, share = 10_000, 6, 0.2
    data = generate_responses(
        items,
        ResponseSettings(
            examinees=n, seed=7, speeded_items=k, speeded_share=share, speeded_mode=mode
        ),
    )
    slow = data.truth.get_column("speeded").to_numpy()
    assert slow.mean() == pytest.approx(share, abs=4 * np.sqrt(share * (1 - share) / n))
    scores, omitted = _scores(data)
    last = slice(len(items.item_ids) - k, None)
    if mode == "omit":
        assert omitted[slow, last].all()
        assert not omitted[~slow].any()
    else:
        assert not omitted.any()
        letters = data.responses.select(items.item_ids[last]).to_numpy()[slow]
        for letter in "ABCD":
            assert (letters == letter).mean() == pytest.approx(0.25, abs=0.015)
        assert scores[slow, last].mean() == pytest.approx(0.25, abs=0.015)
    # the items before the speeded block are untouched
    assert not omitted[:, : len(items.item_ids) - k].any()


def test_blocks_make_outputs_independent_of_size(items, monkeypatch):
    monkeypatch.setattr(simresp, "BLOCK_SIZE", 100)
    small = generate_responses(items, ResponseSettings(examinees=200, seed=8, omit_rate=0.1))
    large = generate_responses(items, ResponseSettings(examinees=250, seed=8, omit_rate=0.1))
    # the first two blocks are the same draws; only the ids' zero padding is shared too
    assert large.responses.head(200).equals(small.responses)
    assert large.truth.head(200).equals(small.truth)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_same_seed_same_bytes_and_readable_outputs(sim_bank, tmp_path, suffix):
    kwargs = dict(
        examinees=3_000,
        omit_rate=0.02,
        groups=[("ref", 0.5), ("foc", 0.5)],
        dif={"CO-0002": 0.5},
        speeded_items=3,
        speeded_share=0.1,
    )
    one = simulate_responses(sim_bank, out=tmp_path / f"a{suffix}", seed=9, **kwargs)
    two = simulate_responses(sim_bank, out=tmp_path / f"b{suffix}", seed=9, **kwargs)
    three = simulate_responses(sim_bank, out=tmp_path / f"c{suffix}", seed=10, **kwargs)
    for p1, p2 in zip(one.paths[:3], two.paths[:3], strict=True):
        assert sha256_file(p1) == sha256_file(p2)
    assert sha256_file(one.responses_path) != sha256_file(three.responses_path)
    assert [p.name for p in one.paths] == [
        f"a{suffix}",
        "a_truth.parquet",
        "a_items.csv",
        "a_simulation.json",
    ]
    record = json.loads(one.settings_path.read_text())
    assert record["settings"]["seed"] == 9 and record["files"]["responses"] == f"a{suffix}"
    assert str(tmp_path) not in one.settings_path.read_text()
    # the response contract reads it back; the items file is a key and a parameter file
    rs = read_responses(one.responses_path, extra_columns=["group"])
    assert rs.kind == "letters" and rs.n_examinees == 3_000
    assert list(rs.item_ids) == one.data.items.get_column("item_id").to_list()
    key = read_key(one.items_path)
    scored = score_responses(rs, key)
    assert scored.omitted.mean() > 0.02
    params = read_params(one.items_path)
    assert params.height == one.data.items.height
    truth = pl.read_parquet(one.truth_path)
    assert truth.columns == ["examinee_id", "theta", "group", "speeded"]


def test_existing_outputs_need_force(sim_bank, tmp_path):
    out = tmp_path / "r.csv"
    simulate_responses(sim_bank, out=out, examinees=10, seed=1)
    before = sha256_file(out)
    with pytest.raises(InputError, match="already exists"):
        simulate_responses(sim_bank, out=out, examinees=10, seed=2)
    assert sha256_file(out) == before
    simulate_responses(sim_bank, out=out, examinees=10, seed=2, force=True)
    assert sha256_file(out) != before


def _write_form(path, bank_items, **changes):
    positions = []
    for pos, row in enumerate(bank_items.table.head(12).iter_rows(named=True), start=1):
        positions.append(
            {
                "position": pos,
                "item_id": row["item_id"],
                "item_version": 1,
                "role": "scored" if row["role"] == "scored" else "pretest",
                "domain": 1,
                "key": row["key"],
            }
        )
    for pos, field, value in changes.get("edits", []):
        positions[pos][field] = value
    data = {"form_id": "SIM-F1", "blueprint_id": "cehrs-2020", "positions": positions[::-1]}
    path.write_text(dumps_form(data))
    return path


def test_form_input_uses_position_order_and_form_keys(sim_bank, items, tmp_path):
    form = _write_form(tmp_path / "form.json", items)
    loaded = load_simulation_items(form, bank=sim_bank)
    assert loaded.item_ids == items.item_ids[:12]
    assert loaded.source["form_id"] == "SIM-F1"
    result = simulate_responses(form, bank=sim_bank, out=tmp_path / "f.csv", examinees=50, seed=1)
    header = result.responses_path.read_text().splitlines()[0].split(",")
    assert header == ["examinee_id", *items.item_ids[:12]]


def test_form_errors_name_the_problem(sim_bank, items, tmp_path):
    bad_key = "B" if items.table["key"][0] != "B" else "C"
    form = _write_form(tmp_path / "f1.json", items, edits=[(0, "key", bad_key)])
    # the form's key is used; it must be one of the item's options (A-D here), so E fails
    form_e = _write_form(tmp_path / "f2.json", items, edits=[(0, "key", "E")])
    with pytest.raises(DataError, match="no option E"):
        load_simulation_items(form_e, bank=sim_bank)
    assert load_simulation_items(form, bank=sim_bank).table["key"][0] == bad_key
    stale = _write_form(tmp_path / "f3.json", items, edits=[(1, "item_version", 2)])
    with pytest.raises(DataError, match="version 2 but its statistics are for version 1"):
        load_simulation_items(stale, bank=sim_bank)
    unknown = _write_form(tmp_path / "f4.json", items, edits=[(2, "item_id", "NC-9999")])
    with pytest.raises(DataError, match="not in the bank"):
        load_simulation_items(unknown, bank=sim_bank)
    with pytest.raises(InputError, match="no such form file or bank directory"):
        load_simulation_items(tmp_path / "nope.json", bank=sim_bank)


def test_parameter_file_overrides_the_statistics(sim_bank, items, tmp_path):
    params = items.table.select("item_id", "a", "b", "c").with_columns(pl.lit(2.0).alias("b"))
    params.write_csv(tmp_path / "params.csv")
    loaded = load_simulation_items(sim_bank, params=tmp_path / "params.csv")
    assert (loaded.table["b"] == 2.0).all() and loaded.source["parameters"] == "parameter file"
    params.head(3).write_csv(tmp_path / "short.csv")
    with pytest.raises(DataError, match="no parameters for"):
        load_simulation_items(sim_bank, params=tmp_path / "short.csv")


def test_bank_without_statistics_is_a_clear_error(sim_bank, tmp_path):
    import shutil

    copy = tmp_path / "nostats"
    shutil.copytree(sim_bank, copy)
    (copy / "stats" / "item_stats.csv").unlink()
    with pytest.raises(DataError, match="no statistics table"):
        load_simulation_items(copy)


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"examinees": 0}, "--examinees"),
        ({"seed": -1}, "--seed"),
        ({"theta_sd": 0.0}, "--sd"),
        ({"omit_rate": 1.0}, "--omit-rate"),
        ({"groups": (("ref", 1.0),)}, "at least two groups"),
        ({"groups": (("ref", 0.5), ("ref", 0.5))}, "repeat"),
        ({"groups": (("ref", 0.5), ("foc", 0.6))}, "add up to"),
        ({"groups": (("ref", 0.5), ("f o", 0.5))}, "letters, digits"),
        ({"dif": (("CO-0001", 1.0),)}, "needs --groups"),
        ({"impact": 0.5}, "needs --groups"),
        ({"groups": (("r", 0.5), ("f", 0.5)), "dif": (("XX-0001", 1.0),)}, "not on the form"),
        ({"speeded_items": 999}, "--speeded-items"),
        ({"speeded_share": 1.5}, "--speeded-share"),
        ({"speeded_mode": "skip"}, "--speeded-mode"),
    ],
)
def test_bad_settings_are_input_errors(items, changes, message):
    settings = ResponseSettings(**{"examinees": 10, "seed": 1, **changes})
    with pytest.raises(InputError, match=message):
        generate_responses(items, settings)


def test_parse_assignments():
    assert parse_assignments(["a=0.5,b=0.5", "c=1"], option="--groups") == (
        ("a", 0.5),
        ("b", 0.5),
        ("c", 1.0),
    )
    with pytest.raises(InputError, match="NAME=NUMBER"):
        parse_assignments(["CO-0001"], option="--dif")
    with pytest.raises(InputError, match="not a number"):
        parse_assignments(["CO-0001=big"], option="--dif")


def test_unknown_output_type(sim_bank, tmp_path):
    with pytest.raises(InputError, match="use .csv or .parquet"):
        simulate_responses(sim_bank, out=tmp_path / "r.xlsx", examinees=5, seed=1)


def test_items_with_three_and_five_options():
    """Letters stay within each item's options; weights are null for absent options."""
    from cehrs_items.simulate.responses import SimulationItems

    table = pl.DataFrame(
        {
            "item_id": ["NC-0001", "NC-0002", "NC-0003"],
            "position": [1, 2, 3],
            "role": ["scored"] * 3,
            "key": ["C", "E", "A"],
            "n_options": [3, 5, 4],
            "a": [1.0, 1.2, 0.8],
            "b": [0.5, 1.0, 0.0],
            "c": [0.2, 0.2, 0.2],
            "d": [1.0, 1.0, 1.0],
        }
    )
    data = generate_responses(
        SimulationItems(table=table), ResponseSettings(examinees=20_000, seed=3)
    )
    seen = {c: set(data.responses[c].unique().to_list()) for c in table["item_id"]}
    assert seen == {"NC-0001": {"A", "B", "C"}, "NC-0002": set("ABCDE"), "NC-0003": set("ABCD")}
    weights = data.items.select("w_A", "w_B", "w_C", "w_D", "w_E").rows()
    assert weights[0][2:] == (None, None, None) and weights[0][0] > 0 and weights[0][1] > 0
    assert weights[1][4] is None and all(w > 0 for w in weights[1][:4])
    for row in weights:
        assert sum(w for w in row if w is not None) == pytest.approx(1.0)


def test_block_probabilities_agree_with_the_irt_module(items):
    """The single-precision block step follows irt.models.probability: each examinee's
    number correct matches the expected score at the true theta (no bias, close relation)."""
    from cehrs_items.irt.models import probability

    t = items.table
    data = generate_responses(items, ResponseSettings(examinees=4_000, seed=12))
    theta = data.truth.get_column("theta").to_numpy()
    p = probability(
        theta, t["a"].to_numpy() * t["d"].to_numpy(), t["b"].to_numpy(), t["c"].to_numpy()
    )
    scores, _ = _scores(data)
    # per-examinee expected vs observed number correct: unbiased and tightly related
    resid = scores.sum(axis=1) - p.sum(axis=1)
    assert abs(resid.mean()) < 4 * np.sqrt((p * (1 - p)).sum(axis=1).mean() / theta.size)
    assert np.corrcoef(scores.sum(axis=1), p.sum(axis=1))[0, 1] > 0.9
