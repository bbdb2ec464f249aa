"""simulate bank: schema-valid items spread by the blueprint, keys, enemies, determinism."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
import yaml

from cehrs_items.bank import load_bank
from cehrs_items.blueprint import load_blueprint
from cehrs_items.contracts import validator
from cehrs_items.errors import InputError
from cehrs_items.io import sha256_file
from cehrs_items.item_stats import read_item_stats, validate_item_stats
from cehrs_items.items.loader import load_document
from cehrs_items.simulate.bank import MARKER_FILE, apportion, generate_bank, simulate_bank
from cehrs_items.simulate.text import OPTIONS, render_item_yaml

BLUEPRINT = Path(__file__).resolve().parents[3] / "item_bank" / "blueprint.yaml"


@pytest.fixture(scope="module")
def blueprint():
    return load_blueprint(BLUEPRINT)


@pytest.fixture(scope="module")
def generated(blueprint):
    return generate_bank(400, seed=5, blueprint=blueprint, blueprint_bytes=BLUEPRINT.read_bytes())


def test_apportion_is_proportional_and_exact():
    assert apportion(100, [28, 32, 15, 15, 10]) == [28, 32, 15, 15, 10]
    assert sum(apportion(7, [28, 32, 15, 15, 10])) == 7
    assert apportion(3, [1, 1, 1, 1]) == [1, 1, 1, 0]  # ties go to the first
    with pytest.raises(InputError):
        apportion(5, [0, 0])


def test_items_are_schema_valid_and_files_parse_back(generated):
    check = validator("item")
    for item in generated.items:
        assert not list(check.iter_errors(item)), item["id"]
        text = generated.files[f"items/{item['domain']}/{item['id']}.yaml"]
        assert yaml.safe_load(text) == item
    assert all(i["stem"].startswith("[Synthetic]") for i in generated.items)
    assert all("synthetic" in i["tags"] for i in generated.items)
    stems = [i["stem"] for i in generated.items]
    assert len(set(stems)) == len(stems)


def test_items_follow_the_blueprint(generated, blueprint):
    frame = generated.to_frame()
    by_domain = collections.Counter(frame.get_column("domain").to_list())
    assert [by_domain[d.domain] for d in blueprint.domains] == apportion(
        400, [d.weight for d in blueprint.domains]
    )
    subs = set(frame.get_column("subdomain").to_list())
    assert subs == set(blueprint.subdomain_codes)
    for d in blueprint.domains:
        rows = frame.filter(frame["domain"] == d.domain)
        pre = (rows["status"] == "pretest").sum()
        assert pre == round(rows.height * 25 / 125)
        assert all(s.startswith(f"{d.domain}.") for s in rows["subdomain"])
        assert all(i.startswith(f"{d.code}-") for i in rows["item_id"])


def test_keys_are_balanced(generated, blueprint):
    frame = generated.to_frame()
    shares = frame.group_by("key").len().with_columns(share=frame["key"].len())
    for letter, n in collections.Counter(frame["key"].to_list()).items():
        assert 0.2 <= n / frame.height <= 0.3, (letter, n)
    for d in blueprint.domains:
        counts = collections.Counter(frame.filter(frame["domain"] == d.domain)["key"].to_list())
        assert max(counts.values()) - min(counts.values()) <= 1
    assert shares.height == 4


def test_enemy_pairs_are_symmetric_and_within_a_subdomain(generated):
    items = {i["id"]: i for i in generated.items}
    pairs = {tuple(sorted((i["id"], e))) for i in generated.items for e in i["enemies"]}
    assert len(pairs) == 4  # one per 100 items
    for x, y in pairs:
        assert items[x]["enemies"] == [y] and items[y]["enemies"] == [x]
        assert items[x]["subdomain"] == items[y]["subdomain"]


def test_options_are_similar_in_length_and_distinct(generated):
    lengths = [len(o) for o in OPTIONS]
    assert max(lengths) / min(lengths) < 1.3
    assert len(set(OPTIONS)) == len(OPTIONS)
    for item in generated.items:
        assert len(set(item["options"].values())) == 4


def test_stats_cover_every_item_like_a_certification_bank(generated):
    table = generated.stats.table
    assert table.height == 400 and not validate_item_stats(table)
    assert table["source"].unique().to_list() == ["synthetic"]
    assert table["p_value"].mean() == pytest.approx(0.70, abs=0.03)
    assert table["item_total_r"].is_between(0.15, 0.50).all()


def test_same_seed_same_files(blueprint, generated):
    again = generate_bank(400, seed=5, blueprint=blueprint, blueprint_bytes=BLUEPRINT.read_bytes())
    assert again.files == generated.files
    other = generate_bank(400, seed=6, blueprint=blueprint, blueprint_bytes=BLUEPRINT.read_bytes())
    assert other.files != generated.files


def test_written_bank_loads_and_is_reproducible(tmp_path):
    a = simulate_bank(80, seed=3, out=tmp_path / "a", blueprint=BLUEPRINT)
    b = simulate_bank(80, seed=3, out=tmp_path / "b", blueprint=BLUEPRINT)
    files_a = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    files_b = sorted(
        p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file()
    )
    assert files_a == files_b and len(files_a) == a.n_files + 1 == 84  # + manifest.json
    for rel in files_a:
        assert sha256_file(tmp_path / "a" / rel) == sha256_file(tmp_path / "b" / rel)
    bank = load_bank(tmp_path / "a")
    assert len(bank) == 80 and bank.latest_stats().height == 80
    assert (tmp_path / "a" / "blueprint.yaml").read_bytes() == BLUEPRINT.read_bytes()
    marker = json.loads((tmp_path / "a" / MARKER_FILE).read_text())
    assert marker["seed"] == 3 and marker["counts"]["items"] == 80
    assert str(tmp_path) not in (tmp_path / "a" / MARKER_FILE).read_text()
    assert read_item_stats(tmp_path / "a" / "stats" / "item_stats.csv").height == 80
    assert b.out == tmp_path / "b"
    for path in (tmp_path / "a").rglob("*.yaml"):
        assert load_document(path).ok


def test_force_replaces_only_a_generated_bank(tmp_path):
    out = tmp_path / "bank"
    simulate_bank(30, seed=1, out=out, blueprint=BLUEPRINT)
    with pytest.raises(InputError, match="use --force"):
        simulate_bank(20, seed=2, out=out, blueprint=BLUEPRINT)
    simulate_bank(20, seed=2, out=out, blueprint=BLUEPRINT, force=True)
    assert len(list((out / "items").rglob("*.yaml"))) == 20  # the old 30 are gone
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a bank written by `simulate bank`"):
        simulate_bank(20, seed=2, out=mine, blueprint=BLUEPRINT, force=True)
    assert (mine / "notes.txt").read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    simulate_bank(10, seed=2, out=empty, blueprint=BLUEPRINT)
    assert (empty / MARKER_FILE).is_file()


def test_sizes_out_of_range(blueprint):
    with pytest.raises(InputError, match="at least 1"):
        generate_bank(0, seed=1, blueprint=blueprint)
    with pytest.raises(InputError, match="at most 9999 per domain"):
        generate_bank(40_000, seed=1, blueprint=blueprint)
    with pytest.raises(InputError, match="non-negative"):
        generate_bank(10, seed=-3, blueprint=blueprint)


def test_render_item_yaml_quotes_everything():
    item = {
        "id": "NC-0001",
        "version": 2,
        "stem": 'Tricky: "quotes", colons: #hash, unicode é and a\nnewline',
        "options": {"A": "yes", "B": "No", "C": "null", "D": "1.5"},
        "tags": ["on", "off"],
    }
    assert yaml.safe_load(render_item_yaml(item)) == item
    with pytest.raises(ValueError):
        render_item_yaml({"unknown_field": 1})


def test_stems_share_at_most_three_slots():
    import numpy as np

    from cehrs_items.simulate.text import StemWriter

    writer = StemWriter(np.random.default_rng(1))
    slots = np.array([writer.slots(k) for k in range(1500)])
    for k in range(1, 1500):
        shared = (slots[k:] == slots[:-k]).sum(axis=1)
        assert shared.max() <= 3, k


def test_stems_are_not_near_duplicates(generated):
    """Character 5-gram Jaccard of every pair of stems stays below 0.8 (the usual bar)."""

    def shingles(text: str) -> set[str]:
        t = " ".join(text.lower().split())
        return {t[i : i + 5] for i in range(len(t) - 4)}

    sets = [shingles(i["stem"]) for i in generated.items]
    worst = 0.0
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            inter = len(sets[i] & sets[j])
            worst = max(worst, inter / (len(sets[i]) + len(sets[j]) - inter))
    assert worst < 0.8


def test_key_is_not_cued_by_stem_words(generated):
    from cehrs_items.simulate.text import key_cues

    cued = [i["id"] for i in generated.items if key_cues(i["stem"], i["options"], i["key"])]
    assert len(cued) <= 2  # redrawn up to 20 times; the rare leftover is allowed


def test_area_phrase_keeps_acronyms():
    from cehrs_items.simulate.text import area_phrase

    assert area_phrase("HIPAA Privacy Rule") == "HIPAA Privacy Rule"
    assert area_phrase("Order entry") == "order entry"


def test_yaml_escape_pattern_matches_the_escaper():
    """The fast path's regex flags exactly the characters the escaper changes."""
    from cehrs_items.simulate.text import _NEEDS_ESCAPE, _yaml_char

    points = list(range(0x3000)) + list(range(0xD700, 0x10100)) + [0x10FFFF, 0x2028, 0x2029]
    for cp in points:
        ch = chr(cp)
        assert bool(_NEEDS_ESCAPE.match(ch)) == (_yaml_char(ch) != ch), hex(cp)
