"""The report as an editable Word document, for the technical report psychometricians write.

Same sections and numbers as the HTML report (both render
:func:`cehrs_items.reporting.html.report_context`): headings, Word tables, and the summary
figures as PNG images. The per-item pages keep their statistics and option tables; the
item quantile plots stay in the HTML report (125 images would make the document heavy to
edit). Output is deterministic: fixed core properties, no clock time.
"""

from __future__ import annotations

import datetime as _dt
import io
from typing import Any
from xml.sax.saxutils import escape

from cehrs_items.reporting.html import ReportInputs, report_context

_FIGURE_WIDTH_CM = 16.0


def _run(text: str, *, bold: bool = False) -> str:
    props = "<w:b/>" if bold else ""
    return (
        f'<w:r><w:rPr>{props}<w:sz w:val="16"/></w:rPr>'
        f'<w:t xml:space="preserve">{escape(_xml_text(text))}</w:t></w:r>'
    )


def _xml_text(text: str) -> str:
    """Text without the control characters XML 1.0 cannot hold."""
    return "".join(ch for ch in str(text) if ch in "\t\n\r" or ord(ch) >= 32)


def _table(document: Any, columns: list[str], rows: list[list[str]], *, style: str) -> None:
    """A Word table (style ``style``, 8 pt text, bold header row), built as one XML element:
    python-docx's cell-by-cell API takes seconds for a 125-item report."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    def row_xml(values: list[Any], *, header: bool) -> str:
        cells = "".join(
            f'<w:tc><w:tcPr><w:tcW w:w="0" w:type="auto"/></w:tcPr><w:p>'
            f"{_run(v, bold=header)}</w:p></w:tc>"
            for v in values
        )
        head = "<w:trPr><w:tblHeader/></w:trPr>" if header else ""
        return f"<w:tr>{head}{cells}</w:tr>"

    style_id = style.replace(" ", "")
    xml = (
        f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="{style_id}"/>'
        '<w:tblW w:w="0" w:type="auto"/><w:tblLook w:val="04A0" w:firstRow="1" '
        'w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>'
        "</w:tblPr><w:tblGrid>"
        + "<w:gridCol/>" * len(columns)
        + "</w:tblGrid>"
        + row_xml(list(columns), header=True)
        + "".join(row_xml(list(r), header=False) for r in rows)
        + "</w:tbl>"
    )
    body = document.element.body
    body.insert(len(body) - 1, parse_xml(xml))  # before the final section properties
    document.add_paragraph()


def _pairs(document: Any, pairs: list[tuple[str, str]], *, style: str) -> None:
    _table(document, ["statistic", "value"], [[k, v] for k, v in pairs], style=style)


def _figure(document: Any, png: bytes | None, caption: str) -> None:
    from docx.shared import Cm

    if not png:
        return
    document.add_picture(io.BytesIO(png), width=Cm(_FIGURE_WIDTH_CM))
    document.add_paragraph(caption, style="Caption")


def render_docx(inputs: ReportInputs) -> bytes:
    """The Word document's bytes (same inputs, same bytes)."""
    import docx

    ctx = report_context(inputs, fmt="png")
    document = docx.Document()
    props = document.core_properties
    fixed = _dt.datetime(2000, 1, 1)
    props.created = props.modified = fixed
    props.author = props.last_modified_by = "cehrs-items"
    props.title = ctx["title"]
    props.revision = 1
    style = "Table Grid"

    document.add_heading(ctx["title"], level=0)
    line = f"cehrs-items {ctx['version']}"
    if ctx["as_of"]:
        line += f" · as of {ctx['as_of']}"
    document.add_paragraph(line)

    document.add_heading("Summary", level=1)
    _pairs(document, ctx["summary"]["rows"], style=style)
    _figure(document, ctx["summary"]["histogram"], "Raw score distribution (dashed: the raw cut).")

    blocks = ctx["blocks"]
    if blocks:
        document.add_heading("Domains and pretest block", level=1)
        _table(document, blocks["columns"], blocks["rows"], style=style)

    info = ctx["flag_info"]
    if ctx["flagged"]:
        document.add_heading("Flagged items", level=1)
        document.add_paragraph(
            f"{info['by_severity']['review']} item(s) to review, "
            f"{info['by_severity']['note']} with notes only. Review: look at the item before "
            "it is used again; note: worth knowing, no action by itself."
        )
        if info["counts"]:
            _table(document, info["counts"]["columns"], info["counts"]["rows"], style=style)
        document.add_heading("Thresholds of this analysis", level=2)
        _pairs(document, info["thresholds"], style=style)
        document.add_heading("Items", level=2)
        _table(
            document,
            ["item", "severity", "flags"],
            [
                [i["item_id"], i["severity"], ", ".join(f for f, _, _ in i["flags"])]
                for i in ctx["flagged"]
            ],
            style=style,
        )

    document.add_heading("Item statistics", level=1)
    table = ctx["item_table"]
    _table(document, table["columns"], table["rows"], style=style)

    dif = ctx["dif"]
    if dif:
        document.add_heading(f"Differential item functioning ({ctx['dif_methods']})", level=1)
        c = dif["counts"]
        if c:
            document.add_paragraph(
                f"ETS categories: A {c['A']}, B {c['B']}, C {c['C']}. Interval: D ± 1.96 SE."
            )
        _figure(document, dif["figure"], "MH D-DIF of every item with its 95% interval.")
        _table(document, dif["table"]["columns"], dif["table"]["rows"], style=style)

    irt = ctx["irt"]
    if irt:
        document.add_heading("IRT calibration", level=1)
        document.add_paragraph(
            f"{irt['n_items']} calibrated items: {irt['n_estimated']} estimated, "
            f"{irt['n_fixed']} held fixed at their bank values."
        )
        _figure(document, irt["tif"], "Test information of the scored items.")
        _figure(document, irt["csem"], "Conditional SEM of the scored items.")
        _table(document, irt["table"]["columns"], irt["table"]["rows"], style=style)

    equating = ctx["equating"]
    if equating:
        document.add_heading("Equating and scaling", level=1)
        summary = equating["summary"] or {}
        if summary.get("method"):
            document.add_paragraph(f"Method carried into the conversion: {summary['method']}.")
        _figure(
            document,
            equating["figure"],
            "Equated minus raw score by method, with a band of ± 2 standard errors.",
        )
        if equating["truncation"]:
            document.add_heading("The bottom of the scale", level=2)
            for note in equating["truncation"]:
                document.add_paragraph(note)
        if equating["conversion"]:
            document.add_heading("Raw-to-scale conversion", level=2)
            conv = equating["conversion"]
            _table(document, conv["columns"], conv["rows"], style=style)

    blueprint = ctx["blueprint"]
    if blueprint:
        document.add_heading(f"Blueprint coverage of form {blueprint['form_id']}", level=1)
        _table(document, blueprint["columns"], blueprint["rows"], style=style)

    standard = ctx.get("standard_setting")
    if standard:
        document.add_heading(f"Standard setting: {standard['title']}", level=1)
        _pairs(document, standard["rows"], style=style)
        for note in standard["notes"]:
            document.add_paragraph(f"Note: {note}")
        for key, heading in (
            ("rounds", "Rounds"),
            ("judges", "Judges"),
            ("item_flags", "Items whose ratings are out of line with the p-values"),
            ("impact", "Impact at the cut"),
        ):
            part = standard.get(key)
            if part:
                document.add_heading(heading, level=2)
                _table(document, part["columns"], part["rows"], style=style)

    document.add_heading("Items", level=1)
    for item in ctx["items"]:
        title = item["item_id"]
        if item["role"]:
            title += f" · {item['role']}"
        if item["domain"] is not None:
            title += f" · domain {item['domain']}"
        if item["key"]:
            title += f" · key {item['key']}"
        document.add_heading(title, level=2)
        if item["stem"]:
            document.add_paragraph(item["stem"])
        for _flag, severity, reason in item["flags"]:
            document.add_paragraph(f"{severity}: {reason}", style="List Bullet")
        _pairs(document, item["stats"], style=style)
        if item["options"]:
            _table(
                document,
                ["option", "text", "n", "proportion", "point-biserial", "biserial", "mean score"],
                [
                    [
                        o["option"] + (" (key)" if o["is_key"] else ""),
                        o["text"],
                        o["n"],
                        o["proportion"],
                        o["point_biserial"],
                        o["biserial"],
                        o["mean_score"],
                    ]
                    for o in item["options"]
                ],
                style=style,
            )
        if item["irt"]:
            irt_item = item["irt"]
            _pairs(
                document,
                [(p, f"{irt_item[p]} ({irt_item['se_' + p]})") for p in ("a", "b", "c")],
                style=style,
            )
    buffer = io.BytesIO()
    document.save(buffer)
    return _normalise_zip(buffer.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite the package with fixed member timestamps, so equal inputs give equal bytes."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()
