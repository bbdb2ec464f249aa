import json
import re
from html.parser import HTMLParser
from pathlib import Path

from cehrs_items.reporting import build_report, load_report_inputs, render_xlsx

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "report" / "structure.json"


class _Structure(HTMLParser):
    """Collects what the report is made of: section ids, headings, item anchors, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.items: list[str] = []
        self.headings: list[str] = []
        self.scripts = 0
        self.external: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "article":
            self.items.append(attrs.get("id"))
        if tag == "script":
            self.scripts += 1
            if "src" in attrs:
                self.external.append(attrs["src"])
        if tag in ("link", "img", "iframe") and any(k in attrs for k in ("href", "src")):
            self.external.append(attrs.get("href") or attrs.get("src"))
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2 and data.strip():
            self.headings.append(data.strip())


def _report(inputs, **kwargs):
    return build_report(
        inputs["analysis"], bank=inputs["bank"], calibration=inputs["params"], **kwargs
    )


def test_item_text_is_escaped_never_markup(report_inputs):
    html = _report(report_inputs)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; option" in html
    assert "Second &amp; third" in html
    assert "Café résumé 检查" in html and "Ünïcödé option" in html
    parser = _Structure()
    parser.feed(html)
    assert parser.scripts == 1  # only our own table-sorting script
    assert parser.external == []


def test_structure_matches_golden(report_inputs):
    parser = _Structure()
    parser.feed(_report(report_inputs))
    structure = {"sections": parser.sections, "headings": parser.headings, "items": parser.items}
    assert structure == json.loads(GOLDEN.read_text())


def test_flagged_items_first_with_reasons_in_words(report_inputs):
    html = _report(report_inputs)
    assert html.index('id="item-NC-0001"') < html.index('id="item-CO-0001"')
    assert "Very easy: more than 90% answered correctly" in html


def test_same_inputs_same_bytes_and_date_only_when_given(report_inputs):
    first, second = _report(report_inputs), _report(report_inputs)
    assert first == second
    assert not re.search(r"20\d\d-\d\d-\d\d", first)
    assert "as of 2026-11-27" in _report(report_inputs, as_of="2026-11-27")


def test_sections_without_data_are_left_out(report_inputs):
    html = build_report(report_inputs["analysis"])
    assert 'id="irt"' not in html and 'id="equating"' not in html
    assert 'id="dif"' in html


def test_xlsx_has_one_sheet_per_table(report_inputs):
    import zipfile
    from io import BytesIO

    inputs = load_report_inputs(
        report_inputs["analysis"], bank=report_inputs["bank"], calibration=report_inputs["params"]
    )
    data = render_xlsx(inputs)
    assert data == render_xlsx(inputs)
    names = zipfile.ZipFile(BytesIO(data)).namelist()
    sheets = sorted(n for n in names if n.startswith("xl/worksheets/sheet"))
    assert len(sheets) == 5  # summary, item_stats, option_stats, dif, irt_params
