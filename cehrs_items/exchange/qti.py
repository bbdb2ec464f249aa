"""IMS QTI content packages: export a bank (and a form as a test), import items back.

Export writes a zip with ``imsmanifest.xml`` (IMS Content Packaging 1.1, the QTI 3.0 or
2.1 profile), one assessment item per bank item and, for a form, one assessment test.

Each item is a single-response choice interaction: the stem is the prompt, the options
are simple choices labelled as in the bank (not shuffled), the key is the correct
response, and response processing is the standard ``match_correct`` template (SCORE 1 or
0). The bank fields QTI has no element for (id, domain, subdomain, status, version and
the rest: rationale, references, cognitive level, enemies, author, reviewers, dates,
tags, notes) travel as the item resource's metadata in the manifest, in this project's
namespace (:data:`CEHRS_NS`), which IMS Content Packaging admits as extension metadata.

A form becomes a test with one test part (linear, individual submission) and sections
of ``block_size`` consecutive positions in form order; pretest items carry the category
``pretest`` and the test's SCORE sums the item scores excluding that category, so they
are unscored.

Import reads QTI 3.0 packages (this exporter's, or another tool's): every item resource
with one single-response choice interaction becomes an item document; what cannot be
represented (other interactions, several correct answers, markup or media in the text,
missing bank metadata) is reported per item as a finding, never dropped in silence.
XML is built and parsed with lxml; the parser resolves no entities and fetches nothing.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cehrs_items.errors import DataError, InputError
from cehrs_items.exchange.common import LABELS, ImportResult, finding, validate_documents

CEHRS_NS = "https://cehrs-items.example/ns/qti-metadata/1"
"""Namespace of the bank fields carried as manifest metadata."""

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed entry times: same bank, same bytes


@dataclass(frozen=True)
class _Dialect:
    """Element and attribute names of one QTI version."""

    version: str
    ns: str
    schema_location: str
    cp_ns: str
    cp_location: str
    item_type: str
    test_type: str
    template: str
    names: dict[str, str]

    def n(self, key: str) -> str:
        return f"{{{self.ns}}}{self.names.get(key, key)}"

    def a(self, key: str) -> str:
        return self.names.get(key, key)


_QTI3 = _Dialect(
    version="3.0",
    ns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0",
    schema_location="https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd",
    cp_ns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1",
    cp_location="https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd",
    item_type="imsqti_item_xmlv3p0",
    test_type="imsqti_test_xmlv3p0",
    template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml",
    names={
        "item": "qti-assessment-item",
        "response-declaration": "qti-response-declaration",
        "outcome-declaration": "qti-outcome-declaration",
        "correct-response": "qti-correct-response",
        "default-value": "qti-default-value",
        "value": "qti-value",
        "item-body": "qti-item-body",
        "choice-interaction": "qti-choice-interaction",
        "prompt": "qti-prompt",
        "simple-choice": "qti-simple-choice",
        "response-processing": "qti-response-processing",
        "test": "qti-assessment-test",
        "test-part": "qti-test-part",
        "section": "qti-assessment-section",
        "item-ref": "qti-assessment-item-ref",
        "outcome-processing": "qti-outcome-processing",
        "set-outcome-value": "qti-set-outcome-value",
        "test-variables": "qti-test-variables",
        # attributes
        "base-type": "base-type",
        "time-dependent": "time-dependent",
        "response-identifier": "response-identifier",
        "max-choices": "max-choices",
        "navigation-mode": "navigation-mode",
        "submission-mode": "submission-mode",
        "variable-identifier": "variable-identifier",
        "exclude-category": "exclude-category",
    },
)

_QTI21 = _Dialect(
    version="2.1",
    ns="http://www.imsglobal.org/xsd/imsqti_v2p1",
    schema_location="http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd",
    cp_ns="http://www.imsglobal.org/xsd/imscp_v1p1",
    cp_location="http://www.imsglobal.org/xsd/imscp_v1p1.xsd",
    item_type="imsqti_item_xmlv2p1",
    test_type="imsqti_test_xmlv2p1",
    template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct",
    names={
        "item": "assessmentItem",
        "response-declaration": "responseDeclaration",
        "outcome-declaration": "outcomeDeclaration",
        "correct-response": "correctResponse",
        "default-value": "defaultValue",
        "value": "value",
        "item-body": "itemBody",
        "choice-interaction": "choiceInteraction",
        "prompt": "prompt",
        "simple-choice": "simpleChoice",
        "response-processing": "responseProcessing",
        "test": "assessmentTest",
        "test-part": "testPart",
        "section": "assessmentSection",
        "item-ref": "assessmentItemRef",
        "outcome-processing": "outcomeProcessing",
        "set-outcome-value": "setOutcomeValue",
        "test-variables": "testVariables",
        "base-type": "baseType",
        "time-dependent": "timeDependent",
        "response-identifier": "responseIdentifier",
        "max-choices": "maxChoices",
        "navigation-mode": "navigationMode",
        "submission-mode": "submissionMode",
        "variable-identifier": "variableIdentifier",
        "exclude-category": "excludeCategory",
    },
)

DIALECTS = {"3.0": _QTI3, "2.1": _QTI21}
"""QTI versions the exporter writes."""


def _etree():
    try:
        from lxml import etree
    except ImportError as exc:  # pragma: no cover - lxml is in the exchange and test extras
        raise InputError("QTI needs lxml: pip install 'cehrs-items[exchange]'") from exc
    return etree


def _text(value: str, item_id: str, field: str) -> str:
    """``value`` if XML 1.0 can hold it; DataError naming the item and field otherwise."""
    for ch in value:
        code = ord(ch)
        if (
            code < 0x20
            and ch not in "\t\n\r"
            or 0xD800 <= code <= 0xDFFF
            or code in (0xFFFE, 0xFFFF)
        ):
            raise DataError(
                f"{item_id}: field {field}: character U+{code:04X} cannot be written in XML; "
                "remove it from the item"
            )
    return value


# ----------------------------------------------------------------------------- export


def item_xml(doc: dict[str, Any], version: str = "3.0") -> bytes:
    """One item document as a QTI assessment item (UTF-8 XML bytes)."""
    etree = _etree()
    d = DIALECTS[version]
    item_id = doc["id"]
    root = etree.Element(d.n("item"), nsmap={None: d.ns, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{d.ns} {d.schema_location}")
    root.set("identifier", item_id)
    root.set("title", item_id)
    root.set("adaptive", "false")
    root.set(d.a("time-dependent"), "false")
    root.set(f"{{{XML_NS}}}lang", "en")
    rd = etree.SubElement(root, d.n("response-declaration"))
    rd.set("identifier", "RESPONSE")
    rd.set("cardinality", "single")
    rd.set(d.a("base-type"), "identifier")
    cr = etree.SubElement(rd, d.n("correct-response"))
    etree.SubElement(cr, d.n("value")).text = doc["key"]
    od = etree.SubElement(root, d.n("outcome-declaration"))
    od.set("identifier", "SCORE")
    od.set("cardinality", "single")
    od.set(d.a("base-type"), "float")
    dv = etree.SubElement(od, d.n("default-value"))
    etree.SubElement(dv, d.n("value")).text = "0"
    body = etree.SubElement(root, d.n("item-body"))
    ci = etree.SubElement(body, d.n("choice-interaction"))
    ci.set(d.a("response-identifier"), "RESPONSE")
    ci.set("shuffle", "false")
    ci.set(d.a("max-choices"), "1")
    etree.SubElement(ci, d.n("prompt")).text = _text(doc["stem"], item_id, "stem")
    for label, text in doc["options"].items():
        choice = etree.SubElement(ci, d.n("simple-choice"))
        choice.set("identifier", label)
        choice.text = _text(text, item_id, f"options/{label}")
    rp = etree.SubElement(root, d.n("response-processing"))
    rp.set("template", d.template)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _metadata(parent, doc: dict[str, Any]) -> None:
    """The bank fields as ``cehrs:item`` metadata under ``parent``."""
    etree = _etree()
    item_id = doc["id"]
    meta = etree.SubElement(parent, f"{{{CEHRS_NS}}}item", nsmap={"cehrs": CEHRS_NS})
    for name in ("id", "version", "status", "domain", "subdomain", "cognitive_level",
                 "author", "created", "modified", "notes"):  # fmt: skip
        if name in doc:
            child = etree.SubElement(meta, f"{{{CEHRS_NS}}}{name.replace('_', '-')}")
            child.text = _text(str(doc[name]), item_id, name)
    rationale = doc.get("rationale")
    if rationale is not None:
        box = etree.SubElement(meta, f"{{{CEHRS_NS}}}rationale")
        for label, text in rationale.items():
            entry = etree.SubElement(box, f"{{{CEHRS_NS}}}option", label=label)
            entry.text = _text(text, item_id, f"rationale/{label}")
    for name, tag in (("references", "reference"), ("enemies", "enemy"),
                      ("reviewers", "reviewer"), ("tags", "tag")):  # fmt: skip
        if name in doc:
            box = etree.SubElement(meta, f"{{{CEHRS_NS}}}{name}")
            for value in doc[name]:
                etree.SubElement(box, f"{{{CEHRS_NS}}}{tag}").text = _text(value, item_id, name)
    if "lint_ignore" in doc:
        box = etree.SubElement(meta, f"{{{CEHRS_NS}}}lint-ignore")
        for entry in doc["lint_ignore"]:
            if isinstance(entry, str):
                etree.SubElement(box, f"{{{CEHRS_NS}}}rule", id=entry)
            else:
                rule = etree.SubElement(box, f"{{{CEHRS_NS}}}rule", id=entry["rule"])
                rule.text = _text(entry["reason"], item_id, "lint_ignore")


def test_xml(form: dict[str, Any], version: str = "3.0", *, block_size: int = 25) -> bytes:
    """A form as a QTI assessment test: sections of ``block_size`` positions in form order,
    pretest items in category ``pretest`` and left out of the test SCORE."""
    etree = _etree()
    d = DIALECTS[version]
    root = etree.Element(d.n("test"), nsmap={None: d.ns, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{d.ns} {d.schema_location}")
    root.set("identifier", _ncname(f"TEST-{form['form_id']}"))
    root.set("title", f"Form {form['form_id']}")
    od = etree.SubElement(root, d.n("outcome-declaration"))
    od.set("identifier", "SCORE")
    od.set("cardinality", "single")
    od.set(d.a("base-type"), "float")
    part = etree.SubElement(root, d.n("test-part"))
    part.set("identifier", "PART-1")
    part.set(d.a("navigation-mode"), "linear")
    part.set(d.a("submission-mode"), "individual")
    positions = sorted(form["positions"], key=lambda p: p["position"])
    for start in range(0, len(positions), block_size):
        block = positions[start : start + block_size]
        number = start // block_size + 1
        section = etree.SubElement(part, d.n("section"))
        section.set("identifier", f"BLOCK-{number}")
        section.set("title", f"Block {number}")
        section.set("visible", "true")
        for p in block:
            ref = etree.SubElement(section, d.n("item-ref"))
            ref.set("identifier", p["item_id"])
            ref.set("href", f"../items/{p['item_id']}.xml")
            ref.set("category", "pretest" if p["role"] == "pretest" else "scored")
    op = etree.SubElement(root, d.n("outcome-processing"))
    so = etree.SubElement(op, d.n("set-outcome-value"))
    so.set("identifier", "SCORE")
    tv = etree.SubElement(so, d.n("test-variables"))
    tv.set(d.a("variable-identifier"), "SCORE")
    tv.set(d.a("exclude-category"), "pretest")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _ncname(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


def manifest_xml(
    docs: list[dict[str, Any]], version: str = "3.0", *, form_id: str | None = None
) -> bytes:
    """``imsmanifest.xml``: one resource per item (with its bank metadata), and the test."""
    etree = _etree()
    d = DIALECTS[version]
    cp = d.cp_ns
    root = etree.Element(f"{{{cp}}}manifest", nsmap={None: cp, "xsi": XSI_NS})
    root.set("identifier", "MANIFEST-cehrs-items")
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{cp} {d.cp_location}")
    md = etree.SubElement(root, f"{{{cp}}}metadata")
    etree.SubElement(md, f"{{{cp}}}schema").text = "QTI Package"
    etree.SubElement(md, f"{{{cp}}}schemaversion").text = "3.0.0" if version == "3.0" else "2.1"
    etree.SubElement(root, f"{{{cp}}}organizations")
    resources = etree.SubElement(root, f"{{{cp}}}resources")
    for doc in docs:
        href = f"items/{doc['id']}.xml"
        res = etree.SubElement(resources, f"{{{cp}}}resource")
        res.set("identifier", doc["id"])
        res.set("type", d.item_type)
        res.set("href", href)
        _metadata(etree.SubElement(res, f"{{{cp}}}metadata"), doc)
        etree.SubElement(res, f"{{{cp}}}file").set("href", href)
    if form_id is not None:
        href = f"tests/{form_id}.xml"
        res = etree.SubElement(resources, f"{{{cp}}}resource")
        res.set("identifier", _ncname(f"TEST-{form_id}"))
        res.set("type", d.test_type)
        res.set("href", href)
        etree.SubElement(res, f"{{{cp}}}file").set("href", href)
        for doc in docs:
            etree.SubElement(res, f"{{{cp}}}dependency").set("identifierref", doc["id"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def package_files(
    docs: list[dict[str, Any]],
    *,
    form: dict[str, Any] | None = None,
    version: str = "3.0",
    block_size: int = 25,
) -> dict[str, bytes]:
    """Every file of the package by path (``imsmanifest.xml``, ``items/<id>.xml``,
    ``tests/<form>.xml``); ``docs`` in the order they are listed."""
    if version not in DIALECTS:
        raise InputError(f"--version {version}: QTI versions written: {', '.join(DIALECTS)}")
    if block_size < 1:
        raise InputError(f"--block-size {block_size}: must be at least 1")
    files = {"imsmanifest.xml": manifest_xml(docs, version, form_id=form and form["form_id"])}
    for doc in docs:
        files[f"items/{doc['id']}.xml"] = item_xml(doc, version)
    if form is not None:
        files[f"tests/{form['form_id']}.xml"] = test_xml(form, version, block_size=block_size)
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A deterministic zip: manifest first, then entries sorted, fixed times and modes."""
    buffer = io.BytesIO()
    names = sorted(files, key=lambda n: (n != "imsmanifest.xml", n))
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def export_qti(
    bank: str | Path,
    *,
    form: str | Path | None = None,
    version: str = "3.0",
    block_size: int = 25,
) -> bytes:
    """The bank (every item) or one form (its items, and the form as a test) as a QTI
    content package, zip bytes.

    Items are read with :func:`cehrs_items.bank.load_bank` (an invalid bank is refused);
    a form's items must be in the bank at the form's versions.
    """
    from cehrs_items.bank import load_bank
    from cehrs_items.forms import read_form

    loaded = load_bank(bank, with_stats=False)
    form_data = None
    if form is not None:
        form_obj = read_form(form)
        form_data = form_obj.data
        docs = []
        for p in form_obj.positions:
            item = loaded.items.get(p["item_id"])
            if item is None:
                raise DataError(f"{form}: item {p['item_id']} is not in the bank {bank}")
            if item.version != p["item_version"]:
                raise DataError(
                    f"{form}: item {p['item_id']} is at version {p['item_version']} on the form "
                    f"but {item.version} in the bank {bank}"
                )
            docs.append(item.raw)
    else:
        docs = [item.raw for item in loaded.sorted_items()]
    return zip_bytes(package_files(docs, form=form_data, version=version, block_size=block_size))


# ----------------------------------------------------------------------------- import


def _parser():
    etree = _etree()
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _local(tag: Any) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _plain_text(element, where: str, what: str, findings: list) -> str:
    """The text of ``element``; child markup is flattened to its text and reported."""
    children = [c for c in element if isinstance(c.tag, str)]
    if children:
        names = sorted({_local(c.tag) for c in children})
        findings.append(
            finding(
                where,
                "QTI003",
                f"{what}: markup ({', '.join(names)}) flattened to plain text",
                hint="bank items hold plain text; check the wording after import",
            )
        )
        return "".join(element.itertext())
    return element.text or ""


def _read_metadata(resource, cp: str) -> dict[str, Any] | None:
    meta = resource.find(f"{{{cp}}}metadata/{{{CEHRS_NS}}}item")
    if meta is None:
        return None
    out: dict[str, Any] = {}
    for child in meta:
        name = _local(child.tag)
        if name in ("version", "domain"):
            try:
                out[name] = int(child.text or "")
            except ValueError:
                out[name] = child.text or ""
        elif name == "rationale":
            out["rationale"] = {o.get("label"): o.text or "" for o in child}
        elif name in ("references", "enemies", "reviewers", "tags"):
            out[name] = [v.text or "" for v in child]
        elif name == "lint-ignore":
            out["lint_ignore"] = [
                r.get("id") if r.text is None else {"rule": r.get("id"), "reason": r.text}
                for r in child
            ]
        else:
            out[name.replace("-", "_")] = child.text or ""
    return out


def _read_item(xml: bytes, where: str, findings: list) -> dict[str, Any] | None:
    """Id, stem, options and key of a QTI 3.0 item; None (with findings) if not a
    single-response choice item."""
    etree = _etree()
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        findings.append(finding(where, "QTI001", f"not well-formed XML: {exc}"))
        return None
    ns = _QTI3.ns
    if root.tag != f"{{{ns}}}qti-assessment-item":
        findings.append(
            finding(
                where,
                "QTI002",
                f"root element is {_local(root.tag)} in {root.nsmap.get(None)}, not a QTI 3.0 "
                "qti-assessment-item",
                hint="convert QTI 2.x packages to 3.0 first (e.g. with Cito's qti-convert)",
            )
        )
        return None
    item_id = root.get("identifier", "")
    interactions = [
        el
        for el in root.iter()
        if isinstance(el.tag, str) and _local(el.tag).endswith("-interaction")
    ]
    kinds = sorted({_local(el.tag) for el in interactions})
    if len(interactions) != 1 or kinds != ["qti-choice-interaction"]:
        findings.append(
            finding(
                where,
                "QTI004",
                f"item {item_id}: interactions {kinds or 'none'}; the bank holds one "
                "single-response choice interaction per item",
            )
        )
        return None
    ci = interactions[0]
    rid = ci.get("response-identifier")
    decl = next(
        (
            r
            for r in root.findall(f"{{{ns}}}qti-response-declaration")
            if r.get("identifier") == rid
        ),
        None,
    )
    values = [] if decl is None else decl.findall(f"{{{ns}}}qti-correct-response/{{{ns}}}qti-value")
    if decl is None or decl.get("cardinality") != "single" or len(values) != 1:
        findings.append(
            finding(
                where,
                "QTI005",
                f"item {item_id}: response {rid} does not declare exactly one correct choice "
                "(single cardinality)",
            )
        )
        return None
    if ci.get("max-choices", "1") != "1":
        findings.append(
            finding(
                where,
                "QTI005",
                f"item {item_id}: max-choices {ci.get('max-choices')}; the bank holds "
                "single-answer items",
            )
        )
        return None
    if ci.get("shuffle", "false") == "true":
        findings.append(
            finding(
                where,
                "QTI006",
                f"item {item_id}: shuffle=true is not kept (bank options are in fixed A-E order)",
            )
        )
    prompt = ci.find(f"{{{ns}}}qti-prompt")
    body = root.find(f"{{{ns}}}qti-item-body")
    outside = [
        el for el in (body if body is not None else []) if isinstance(el.tag, str) and el is not ci
    ]
    stem_parts = []
    for el in outside:
        stem_parts.append(_plain_text(el, where, f"item {item_id}: item body", findings).strip())
    if prompt is not None:
        stem_parts.append(_plain_text(prompt, where, f"item {item_id}: prompt", findings))
    stem = "\n\n".join(p for p in stem_parts if p)
    choices = ci.findall(f"{{{ns}}}qti-simple-choice")
    ids = [c.get("identifier", "") for c in choices]
    key_id = (values[0].text or "").strip()
    options: dict[str, str] = {}
    key = None
    relabel = ids != list(LABELS[: len(ids)])
    if len(choices) > len(LABELS):
        findings.append(
            finding(
                where, "QTI007", f"item {item_id}: {len(choices)} choices; the bank allows 3 to 5"
            )
        )
        return None
    if relabel:
        findings.append(
            finding(
                where,
                "QTI008",
                f"item {item_id}: choice identifiers {ids} relabelled A-{LABELS[len(ids) - 1]} in "
                "document order",
            )
        )
    for label, choice, cid in zip(LABELS, choices, ids, strict=False):
        options[label] = _plain_text(choice, where, f"item {item_id}: choice {cid}", findings)
        if cid == key_id:
            key = label
    if key is None:
        findings.append(
            finding(where, "QTI005", f"item {item_id}: correct response {key_id!r} is not a choice")
        )
        return None
    for el in root:
        name = _local(el.tag) if isinstance(el.tag, str) else ""
        if name in ("qti-modal-feedback", "qti-template-declaration", "qti-stylesheet"):
            findings.append(
                finding(
                    where,
                    "QTI009",
                    f"item {item_id}: {name} has no place in a bank item and is not imported",
                )
            )
    return {"id": item_id, "stem": stem, "options": options, "key": key}


def import_qti(package: str | Path, *, blueprint: str | Path | None = None) -> ImportResult:
    """Item documents from a QTI 3.0 content package (zip), with findings per item.

    The bank fields come from this project's manifest metadata where present; for items
    without it, the missing required fields (domain, subdomain, status, ...) are reported
    as errors for that item (QTI does not carry them), so no incomplete item is written.
    The items read then get the normal ``validate`` checks against ``blueprint``, reported
    at the item's entry in the package.
    """
    etree = _etree()
    path = Path(package)
    source = path.as_posix()
    result = ImportResult(source=source)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{source}: cannot read the package as a zip ({exc})") from exc
    with archive:
        names = set(archive.namelist())
        if "imsmanifest.xml" not in names:
            raise InputError(f"{source}: no imsmanifest.xml at the top of the package")
        try:
            manifest = etree.fromstring(archive.read("imsmanifest.xml"), _parser())
        except etree.XMLSyntaxError as exc:
            raise InputError(f"{source}: imsmanifest.xml: not well-formed XML ({exc})") from exc
        cp = manifest.nsmap.get(None) or _QTI3.cp_ns
        resources = manifest.findall(f"{{{cp}}}resources/{{{cp}}}resource")
        for res in resources:
            rtype = res.get("type", "")
            href = res.get("href", "")
            where = f"{source}:{href}"
            if rtype.startswith("imsqti_test") or rtype.startswith("imsqti_section"):
                continue
            if not rtype.startswith("imsqti_item"):
                result.findings.append(
                    finding(
                        where,
                        "QTI010",
                        f"resource {res.get('identifier')} of type {rtype!r} is not an item; "
                        "not imported",
                    )
                )
                continue
            if href not in names:
                result.findings.append(
                    finding(
                        where,
                        "QTI001",
                        f"resource {res.get('identifier')}: {href} is not in the package",
                    )
                )
                continue
            found_before = len(result.errors)
            core = _read_item(archive.read(href), where, result.findings)
            if core is None:
                continue
            meta = _read_metadata(res, cp)
            if meta is None:
                result.findings.append(
                    finding(
                        where,
                        "QTI011",
                        f"item {core['id']}: no bank metadata (domain, subdomain, status, "
                        "version, author, dates ...) in the manifest; QTI does not carry them",
                        hint="add them to the imported file by hand, or export with cehrs-items",
                    )
                )
                continue
            if meta.get("id", core["id"]) != core["id"]:
                result.findings.append(
                    finding(
                        where,
                        "QTI012",
                        f"item {core['id']}: manifest metadata names item {meta['id']}",
                    )
                )
                continue
            doc = {**meta, **core}
            if core["id"] in result.items:
                result.findings.append(
                    finding(where, "QTI012", f"item {core['id']} appears twice in the package")
                )
                continue
            if len(result.errors) == found_before:
                result.items[core["id"]] = _ordered(doc)
    if not result.items and not result.errors:
        result.findings.append(finding(source, "QTI013", "the package holds no items"))
    hrefs = {res.get("identifier"): res.get("href") for res in resources if res.get("identifier")}

    def locate(item_id: str | None, f):
        where = f"{source}:{hrefs.get(item_id, '')}" if item_id else source
        return finding(
            where, f.rule, f"item {item_id}: {f.message}", severity=f.severity, hint=f.hint
        )

    result.findings.extend(validate_documents(result.items, blueprint=blueprint, locate=locate))
    return result


def _ordered(doc: dict[str, Any]) -> dict[str, Any]:
    from cehrs_items.exchange.common import FIELD_ORDER

    return {name: doc[name] for name in FIELD_ORDER if name in doc} | {
        k: v for k, v in doc.items() if k not in FIELD_ORDER
    }
