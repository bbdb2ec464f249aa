"""Build the golden form fixtures (run from the repository root).

    python tests/golden/forms/make_fixtures.py            # bank, good/, bad/*.json, assembled/
    python tests/golden/forms/make_fixtures.py --expected # also (re)write bad/*.expected

The bank is the tiny two-domain test blueprint with 8 operational items per subdomain,
4 pretest items per domain, two enemy pairs and one draft item. ``good/`` holds a
hand-made form, a base form and a form anchored to it; each ``bad/<case>.json`` is the
hand-made form with one deliberate violation (``<case>.options.json`` gives the extra
``check_forms`` arguments a case needs). ``.expected`` files hold the exact text-reporter
output; after regenerating them, read every line and confirm it states the violation
the case was built for. ``assembled/`` is ``cehrs-items assemble --bank
tests/golden/forms/bank --forms 2 --seed 2026``.
"""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from cehrs_items.assembly import AssemblySettings, assemble_forms, check_forms  # noqa: E402
from cehrs_items.assembly._synthetic import (  # noqa: E402
    SMALL_BLUEPRINT,
    form_document,
    item_doc,
    stats_for,
    tiny_items,
    write_bank,
)
from cehrs_items.io import dumps_json  # noqa: E402
from cehrs_items.reporters import REPORTERS  # noqa: E402

HAND_MADE = [
    ("NC-0003", "scored"),
    ("NC-0009", "scored"),
    ("NC-0017", "pretest"),
    ("NC-0004", "scored"),
    ("NC-0010", "scored"),
    ("CO-0001", "scored"),
    ("CO-0011", "scored"),
    ("CO-0018", "pretest"),
    ("CO-0002", "scored"),
    ("CO-0012", "scored"),
]
BASE = [
    ("NC-0003", "scored"),
    ("NC-0013", "scored"),
    ("NC-0019", "pretest"),
    ("NC-0006", "scored"),
    ("NC-0012", "scored"),
    ("CO-0001", "scored"),
    ("CO-0015", "scored"),
    ("CO-0020", "pretest"),
    ("CO-0004", "scored"),
    ("CO-0010", "scored"),
]


def bank_docs() -> list[dict]:
    docs = tiny_items(8, pretest_per_domain=4)
    ids = {d["id"]: d for d in docs}
    for a, b in (("NC-0001", "NC-0002"), ("NC-0004", "NC-0005")):
        ids[a]["enemies"] = [b]
        ids[b]["enemies"] = [a]
    docs.append(item_doc("NC-0050", domain=1, subdomain="1.2", key="B", status="draft"))
    return docs


def replace(docs, data, position, item_id):
    d = {x["id"]: x for x in docs}[item_id]
    entry = data["positions"][position - 1]
    entry.update(item_id=item_id, domain=d["domain"], subdomain=d["subdomain"], key=d["key"])
    return data


def bad_cases(docs) -> dict[str, tuple[object, dict]]:
    def base(form_id):
        return form_document(docs, HAND_MADE, form_id)

    def anchored(form_id, *positions):
        data = base(form_id)
        for p in positions:
            data["positions"][p - 1]["anchor"] = True
        return data

    anchor_opts = {"anchor_form": "good/base-form.json", "anchor_items": 2}
    cases: dict[str, tuple[object, dict]] = {}
    d = base("B01")
    d["positions"][4]["item_id"] = "NC-0999"
    cases["unknown-item"] = (d, {})
    d = base("B02")
    d["positions"][4]["item_version"] = 2
    cases["stale-version"] = (d, {})
    d = base("B03")
    d["positions"][0]["key"] = "A"
    cases["key-differs"] = (d, {})
    cases["scored-not-operational"] = (replace(docs, base("B04"), 5, "NC-0050"), {})
    cases["pretest-slot-operational"] = (replace(docs, base("B05"), 3, "NC-0007"), {})
    d = base("B06")
    d["positions"].pop()
    cases["missing-position"] = (d, {})
    d = base("B07")
    d["positions"][9]["position"] = 11
    cases["position-gap"] = (d, {})
    cases["domain-counts"] = (replace(docs, base("B08"), 10, "NC-0008"), {})
    d = replace(docs, base("B09"), 6, "CO-0009")
    cases["subdomain-minimum"] = (replace(docs, d, 9, "CO-0010"), {})
    cases["pretest-domain"] = (replace(docs, base("B10"), 8, "NC-0018"), {})
    cases["enemies"] = (replace(docs, base("B11"), 2, "NC-0005"), {})
    d = replace(docs, base("B12"), 5, "NC-0013")
    cases["key-shares"] = (replace(docs, d, 9, "CO-0005"), {})
    d = base("B13")
    d["positions"][0]["position"], d["positions"][5]["position"] = 6, 1
    cases["key-run"] = (d, {})
    cases["bunched-pretest"] = (
        form_document(docs, [HAND_MADE[j] for j in (0, 1, 3, 4, 5, 6, 8, 9, 2, 7)], "B14"),
        {"pretest_gap_factor": 1.0},
    )
    cases["anchor-not-on-base"] = (anchored("B15", 1, 6, 2), anchor_opts)
    cases["anchor-count"] = (anchored("B16", 1), anchor_opts)
    cases["anchor-on-pretest"] = (anchored("B17", 1, 6, 3), anchor_opts)
    cases["other-blueprint"] = (base("B18") | {"blueprint_id": "cehrs-2020"}, {})
    cases["bank-changed"] = (base("B19") | {"bank_sha256": "0" * 64}, {})
    cases["overlap"] = (base("B20"), {"also": ["good/hand-made.json"], "max_overlap": 1})
    cases["exposure"] = (base("B21"), {"also": ["good/hand-made.json"], "max_exposure": 1})
    cases["unparsable"] = ('{"form_id": "B22", "positions": [\n', {})
    d = base("B23")
    d["positions"][0]["role"] = "bonus"
    cases["schema-invalid"] = (d, {})
    return cases


def run_case(path: str, options: dict) -> str:
    """Text-reporter output of ``form check`` on one case (paths relative to HERE)."""
    options = dict(options)
    also = options.pop("also", [])
    result = check_forms([path, *also], bank="bank", blueprint="bank/blueprint.yaml", **options)
    return REPORTERS["text"].render(result.findings, files=result.files, rules=None)


def main(argv: list[str]) -> int:
    import os

    os.chdir(HERE)
    docs = bank_docs()
    rng = np.random.default_rng(2026)
    params = {
        d["id"]: (float(rng.uniform(0.6, 2.0)), float(rng.normal(-0.3, 1.0)), 0.15) for d in docs
    }
    if Path("bank").exists():
        shutil.rmtree("bank")
    write_bank("bank", docs, stats_for(params), blueprint_text=dumps_json(SMALL_BLUEPRINT))
    for folder in ("good", "bad", "assembled"):
        if Path(folder).exists():
            shutil.rmtree(folder)
        Path(folder).mkdir()
    Path("good/hand-made.json").write_text(dumps_json(form_document(docs, HAND_MADE, "G1")))
    Path("good/base-form.json").write_text(dumps_json(form_document(docs, BASE, "BASE")))
    anchored = form_document(docs, HAND_MADE, "G2")
    for p in (1, 6):
        anchored["positions"][p - 1]["anchor"] = True
    Path("good/anchored.json").write_text(dumps_json(anchored))
    Path("good/anchored.options.json").write_text(
        dumps_json({"anchor_form": "good/base-form.json", "anchor_items": 2})
    )
    for name, (data, options) in bad_cases(copy.deepcopy(docs)).items():
        text = data if isinstance(data, str) else dumps_json(data)
        Path(f"bad/{name}.json").write_text(text)
        if options:
            Path(f"bad/{name}.options.json").write_text(dumps_json(options))
        if "--expected" in argv:
            Path(f"bad/{name}.expected").write_text(run_case(f"bad/{name}.json", options))
    result = assemble_forms("bank", "bank/blueprint.yaml", AssemblySettings(n_forms=2, seed=2026))
    for name, text in result.files().items():
        Path("assembled", name).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
