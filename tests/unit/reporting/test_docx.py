"""The Word report: the HTML report's sections as headings, Word tables and PNG figures."""

from io import BytesIO

import docx

from cehrs_items.reporting import load_report_inputs, render_docx


def test_docx_has_the_sections_tables_and_figures(report_inputs):
    inputs = load_report_inputs(
        report_inputs["analysis"], bank=report_inputs["bank"], calibration=report_inputs["params"]
    )
    data = render_docx(inputs)
    assert data == render_docx(inputs)  # deterministic bytes
    document = docx.Document(BytesIO(data))
    headings = [
        p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))
    ]
    for title in (
        "Summary",
        "Domains and pretest block",
        "Flagged items",
        "Item statistics",
        "Differential item functioning (Mantel-Haenszel)",
        "IRT calibration",
        "Items",
    ):
        assert title in headings
    assert any(h.startswith("NC-0001 · pretest") for h in headings)
    tables = document.tables
    first = [[c.text for c in row.cells] for row in tables[0].rows]
    assert (
        first[0] == ["statistic", "value"] and ["Raw cut", "2 (from conversion NEW.csv)"] in first
    )
    item_table = next(
        t for t in tables if t.rows[0].cells[0].text == "item_id" and len(t.columns) == 12
    )
    assert [c.text for c in item_table.rows[0].cells][:3] == ["item_id", "role", "domain"]
    irt = next(
        t
        for t in tables
        if [c.text for c in t.rows[0].cells][:3] == ["item_id", "role", "parameters"]
    )
    assert [c.text for c in irt.rows[2].cells][:4] == ["CO-0001", "scored", "fixed", "3pl"]
    # figures: score distribution, DIF, test information, conditional SEM (PNG)
    images = [r for r in document.part.rels.values() if "image" in r.reltype]
    assert len(images) == 4
    assert all(r.target_part.content_type == "image/png" for r in images)
    body = "\n".join(p.text for p in document.paragraphs)
    assert '<script>alert("x")</script>' in body  # item text kept literally


def test_docx_carries_the_standard_setting_section(report_inputs, tmp_path):
    from test_report_standard_setting import _angoff_folder

    folder, _ = _angoff_folder(tmp_path)
    inputs = load_report_inputs(report_inputs["analysis"], standard=folder)
    document = docx.Document(BytesIO(render_docx(inputs)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Standard setting: Modified Angoff" in headings and "Judges" in headings
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "ICC(2,1) (one judge, absolute agreement)" in cells and "<b>J1</b>" in cells
