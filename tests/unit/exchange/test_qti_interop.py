"""A real client: Cito's QTI converter (citolab-qti-convert) reads what export writes.

Downgrading each exported QTI 3.0 item with Cito's converter gives, without a warning,
the QTI 2.1 item this exporter writes; upgrading the 2.1 export gives the 3.0 export; and
a 2.1 package upgraded by Cito imports back into the bank unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cehrs_items.bank import load_bank
from cehrs_items.exchange.qti import XSI_NS, export_qti, import_qti, item_xml

qti_convert = pytest.importorskip("qti_convert")
etree = pytest.importorskip("lxml.etree")

ROOT = Path(__file__).resolve().parents[3]
BANK = ROOT / "item_bank"


def _canonical(xml: bytes | str) -> bytes:
    """C14N of the document without schemaLocation, processing instructions and
    indentation whitespace (what differs between two writers of the same item)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    root = etree.fromstring(data, etree.XMLParser(remove_blank_text=True, remove_pis=True))
    root.attrib.pop(f"{{{XSI_NS}}}schemaLocation", None)
    for el in root.iter():
        if el.text is not None and not el.text.strip() and len(el):
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    return etree.tostring(root, method="c14n")


@pytest.fixture(scope="module")
def docs():
    return [item.raw for item in load_bank(BANK, with_stats=False).sorted_items()]


def test_cito_downgrade_of_every_item_equals_our_qti21(docs):
    for doc in docs:
        result = qti_convert.convert_qti3_to_qti21(item_xml(doc, "3.0"))
        assert list(result.warnings) == [], doc["id"]
        assert _canonical(result.xml) == _canonical(item_xml(doc, "2.1")), doc["id"]


def test_cito_upgrade_of_every_item_equals_our_qti3(docs):
    for doc in docs:
        upgraded = qti_convert.upgrade_qti2_to_qti3(item_xml(doc, "2.1"))
        assert _canonical(upgraded) == _canonical(item_xml(doc, "3.0")), doc["id"]


def test_qti21_package_upgraded_by_cito_imports_back_unchanged(docs, tmp_path):
    source = tmp_path / "bank-21.zip"
    source.write_bytes(export_qti(BANK, version="2.1"))
    target = tmp_path / "bank-3-cito.zip"
    qti_convert.upgrade_package(source, target)
    result = import_qti(target, blueprint=BANK / "blueprint.yaml")
    assert result.findings == []
    assert len(result.items) == len(docs) == 381
    assert [result.items[d["id"]] for d in docs] == docs
