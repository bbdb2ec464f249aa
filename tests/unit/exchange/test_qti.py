"""QTI export and import: structure of what is written, the whole-bank round trip, and
what an import of foreign content reports."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from cehrs_items.bank import load_bank
from cehrs_items.catalogue import BUILTIN
from cehrs_items.errors import DataError
from cehrs_items.exchange.common import write_items
from cehrs_items.exchange.qti import (
    CEHRS_NS,
    DIALECTS,
    export_qti,
    import_qti,
    item_xml,
    package_files,
    zip_bytes,
)

etree = pytest.importorskip("lxml.etree")

ROOT = Path(__file__).resolve().parents[3]
BANK = ROOT / "item_bank"
QTI3 = DIALECTS["3.0"].ns
CP3 = DIALECTS["3.0"].cp_ns


@pytest.fixture(scope="module")
def bank():
    return load_bank(BANK, with_stats=False)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("qti") / "bank.zip"
    path.write_bytes(export_qti(BANK))
    return path


def _doc(**changes):
    doc = {
        "id": "NC-0901",
        "version": 2,
        "status": "draft",
        "domain": 1,
        "subdomain": "1.1",
        "stem": 'Which <b> & "quoted" text stays text when the stem has markup-like characters?',
        "options": {"A": "x < y", "B": "a & b", "C": "]]> end", "D": "plain"},
        "key": "C",
        "rationale": {"A": "no", "B": "no", "C": "yes", "D": "no"},
        "references": ["A reference"],
        "cognitive_level": "recall",
        "author": "someone",
        "created": "2026-01-01",
        "modified": "2026-01-02",
    }
    doc.update(changes)
    return doc


def test_round_trip_of_the_whole_shipped_bank(bank, package, tmp_path):
    result = import_qti(package, blueprint=BANK / "blueprint.yaml")
    assert result.findings == []
    originals = {item_id: item.raw for item_id, item in bank.items.items()}
    assert len(result.items) == len(originals) == 381
    fields = 0
    for item_id, original in originals.items():
        imported = result.items[item_id]
        assert imported == original, item_id
        assert list(imported) == [k for k in imported if k in original]
        fields += len(original)
    assert fields > 381 * 15  # every field of every item compared
    # and written back out, the files load to the same bank
    write_items(result, tmp_path / "out")
    again = load_bank(tmp_path / "out", with_stats=False)
    assert {i: it.raw for i, it in again.items.items()} == originals


def test_package_layout_and_item_content(package):
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        assert names[0] == "imsmanifest.xml"
        assert len([n for n in names if n.startswith("items/")]) == 381
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
        item = etree.fromstring(archive.read("items/NC-0001.xml"))
    resources = manifest.findall(f"{{{CP3}}}resources/{{{CP3}}}resource")
    assert len(resources) == 381
    first = resources[0]
    assert first.get("type") == "imsqti_item_xmlv3p0"
    meta = first.find(f"{{{CP3}}}metadata/{{{CEHRS_NS}}}item")
    assert meta.findtext(f"{{{CEHRS_NS}}}id") == first.get("identifier")
    for name in ("domain", "subdomain", "status", "version"):
        assert meta.findtext(f"{{{CEHRS_NS}}}{name}")
    assert item.tag == f"{{{QTI3}}}qti-assessment-item"
    assert item.get("identifier") == "NC-0001"
    decl = item.find(f"{{{QTI3}}}qti-response-declaration")
    assert decl.get("cardinality") == "single"
    assert decl.findtext(f"{{{QTI3}}}qti-correct-response/{{{QTI3}}}qti-value") == "A"
    choices = item.findall(f".//{{{QTI3}}}qti-simple-choice")
    assert [c.get("identifier") for c in choices] == ["A", "B", "C", "D"]
    assert (
        item.find(f"{{{QTI3}}}qti-response-processing")
        .get("template")
        .endswith("match_correct.xml")
    )


def test_item_text_is_escaped_not_markup():
    xml = item_xml(_doc())
    assert b"&lt;b&gt; &amp; " in xml and b"x &lt; y" in xml and b"]]&gt; end" in xml
    root = etree.fromstring(xml)
    assert root.findtext(f".//{{{QTI3}}}qti-prompt") == _doc()["stem"]
    assert [c.text for c in root.iter(f"{{{QTI3}}}qti-simple-choice")] == list(
        _doc()["options"].values()
    )


def test_text_xml_cannot_hold_is_a_located_error():
    with pytest.raises(DataError, match=r"NC-0901: field options/B: character U\+0001"):
        item_xml(_doc(options={"A": "a", "B": "b\x01", "C": "c"}))


def test_export_is_byte_identical():
    docs = [_doc(), _doc(id="NC-0902")]
    assert zip_bytes(package_files(docs)) == zip_bytes(package_files(docs))


def test_form_as_test_with_sections_and_unscored_pretest(tmp_path, bank):
    ids = [i for i in sorted(bank.items) if bank.items[i].status in ("operational", "pretest")]
    positions = [
        {
            "position": n,
            "item_id": item_id,
            "item_version": bank.items[item_id].version,
            "role": "pretest" if bank.items[item_id].status == "pretest" else "scored",
            "domain": bank.items[item_id].domain,
            "key": bank.items[item_id].key,
        }
        for n, item_id in enumerate(ids[:7], start=1)
    ]
    form = {"form_id": "F9", "blueprint_id": "cehrs-2020", "positions": positions}
    (tmp_path / "F9.json").write_text(__import__("json").dumps(form), encoding="utf-8")
    data = export_qti(BANK, form=tmp_path / "F9.json", block_size=3)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        test = etree.fromstring(archive.read("tests/F9.xml"))
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
        assert len([n for n in archive.namelist() if n.startswith("items/")]) == 7
    sections = test.findall(f".//{{{QTI3}}}qti-assessment-section")
    assert [s.get("identifier") for s in sections] == ["BLOCK-1", "BLOCK-2", "BLOCK-3"]
    refs = test.findall(f".//{{{QTI3}}}qti-assessment-item-ref")
    assert [r.get("identifier") for r in refs] == ids[:7]  # form order
    assert [r.get("category") for r in refs] == [
        "pretest" if p["role"] == "pretest" else "scored" for p in positions
    ]
    tv = test.find(f".//{{{QTI3}}}qti-test-variables")
    assert tv.get("exclude-category") == "pretest" and tv.get("variable-identifier") == "SCORE"
    types = [r.get("type") for r in manifest.iter(f"{{{CP3}}}resource")]
    assert types.count("imsqti_test_xmlv3p0") == 1


def test_qti21_export_uses_the_21_vocabulary(bank):
    ns = DIALECTS["2.1"].ns
    root = etree.fromstring(item_xml(bank.items["NC-0001"].raw, "2.1"))
    assert root.tag == f"{{{ns}}}assessmentItem"
    assert root.find(f".//{{{ns}}}choiceInteraction").get("maxChoices") == "1"
    assert root.find(f".//{{{ns}}}correctResponse/{{{ns}}}value").text == "A"


def _foreign_package(tmp_path: Path, item: bytes, *, metadata: bool = False) -> Path:
    cp = CP3
    manifest = etree.Element(f"{{{cp}}}manifest", nsmap={None: cp}, identifier="M")
    res = etree.SubElement(
        etree.SubElement(manifest, f"{{{cp}}}resources"),
        f"{{{cp}}}resource",
        identifier="Q1",
        type="imsqti_item_xmlv3p0",
        href="q1.xml",
    )
    etree.SubElement(res, f"{{{cp}}}file", href="q1.xml")
    path = tmp_path / "foreign.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("imsmanifest.xml", etree.tostring(manifest))
        archive.writestr("q1.xml", item)
    return path


def test_import_reports_what_a_bank_item_cannot_hold(tmp_path):
    multi = f"""<qti-assessment-item xmlns="{QTI3}" identifier="Q1" title="t" adaptive="false"
      time-dependent="false">
      <qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="identifier">
        <qti-correct-response><qti-value>A</qti-value><qti-value>B</qti-value></qti-correct-response>
      </qti-response-declaration>
      <qti-item-body><qti-choice-interaction response-identifier="RESPONSE" max-choices="2">
        <qti-simple-choice identifier="A">a</qti-simple-choice>
        <qti-simple-choice identifier="B">b</qti-simple-choice>
        <qti-simple-choice identifier="C">c</qti-simple-choice>
      </qti-choice-interaction></qti-item-body></qti-assessment-item>""".encode()
    result = import_qti(_foreign_package(tmp_path, multi))
    assert result.items == {}
    assert [(f.file, f.rule, f.severity.value) for f in result.findings] == [
        (f"{(tmp_path / 'foreign.zip').as_posix()}:q1.xml", "QTI005", "error")
    ]
    assert "exactly one correct choice" in result.findings[0].message
    with pytest.raises(Exception, match="nothing written"):
        write_items(result, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_import_flattens_markup_and_reports_missing_bank_fields(tmp_path):
    rich = f"""<qti-assessment-item xmlns="{QTI3}" identifier="Q1" title="t" adaptive="false"
      time-dependent="false">
      <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
        <qti-correct-response><qti-value>c2</qti-value></qti-correct-response>
      </qti-response-declaration>
      <qti-item-body><qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
        <qti-prompt>Which is <em>right</em>?</qti-prompt>
        <qti-simple-choice identifier="c1">one</qti-simple-choice>
        <qti-simple-choice identifier="c2">two</qti-simple-choice>
        <qti-simple-choice identifier="c3">three</qti-simple-choice>
      </qti-choice-interaction></qti-item-body></qti-assessment-item>""".encode()
    result = import_qti(_foreign_package(tmp_path, rich))
    rules = sorted((f.rule, f.severity.value) for f in result.findings)
    assert rules == [("QTI003", "warning"), ("QTI008", "warning"), ("QTI011", "error")]
    for f in result.findings:  # catalogue rules, with the catalogue's severity
        assert BUILTIN[f.rule].severity is f.severity
    assert result.items == {}


def test_import_refuses_qti21_naming_the_converter(tmp_path, bank):
    item = item_xml(bank.items["NC-0001"].raw, "2.1")
    result = import_qti(_foreign_package(tmp_path, item))
    assert [f.rule for f in result.findings] == ["QTI002"]
    assert "qti-convert" in result.findings[0].hint
