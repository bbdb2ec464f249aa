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


def test_html_is_valid_html5_with_unique_ids(report_inputs):
    import html5lib

    html = _report(report_inputs, equating=None)
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(html)  # raises on any parse error
    assert parser.errors == []
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)) and len(ids) > 10
    # every in-page reference points at an id that exists
    refs = set(re.findall(r'(?:href="|url\()#([^")]+)', html))
    assert refs <= set(ids)


def test_matplotlib_ids_are_prefixed_per_figure():
    from cehrs_items.reporting import plots

    one = plots.histogram([0, 1, 2], [1, 3, 2], name="a")
    two = plots.histogram([0, 1, 2], [1, 3, 2], name="b")
    ids_one = set(re.findall(r'\bid="([^"]+)"', one))
    ids_two = set(re.findall(r'\bid="([^"]+)"', two))
    assert ids_one and not ids_one & ids_two
    assert all(i.startswith("a-") for i in ids_one)
    for ref in re.findall(r"url\(#([^)]+)\)", one):
        assert ref in ids_one


def test_irt_table_lists_pretest_items_and_marks_fixed_anchors(report_inputs):
    from cehrs_items.reporting.html import irt_table

    inputs = load_report_inputs(
        report_inputs["analysis"], bank=report_inputs["bank"], calibration=report_inputs["params"]
    )
    table = irt_table(inputs)
    assert table["item_id"].to_list() == ["NC-0001", "CO-0001"]  # pretest, then scored
    assert table["role"].to_list() == ["pretest", "scored"]
    assert table["parameters"].to_list() == ["estimated", "fixed"]
    html = _report(report_inputs)
    irt = html[html.index('id="irt"') : html.index('id="items"')]
    assert "1 estimated (pretest, with standard errors), 1 held fixed" in irt
    assert irt.count(">fixed<") >= 4  # parameters column and three SEs of the anchor


def test_flags_have_severity_counts_and_thresholds(report_inputs):
    from cehrs_items.reporting.html import flag_legend

    inputs = load_report_inputs(report_inputs["analysis"])
    legend = flag_legend(inputs)
    rows = {r["flag"]: r for r in legend.iter_rows(named=True)}
    assert rows["high_p"]["items"] == 1 and rows["high_p"]["severity"] == "review"
    assert rows["distractor_rarely_chosen"]["severity"] == "note"
    assert "below 0.20" in rows["low_item_rest_r"]["meaning"]
    assert legend["severity"].to_list() == sorted(
        legend["severity"].to_list(), key=["review", "note"].index
    )
    html = _report(report_inputs)
    assert "Flagged items: <strong>1</strong> to review" in html
    assert "Raw cut</th><td>2 (from conversion NEW.csv)</td>" in html
    assert "Split-half, Spearman-Brown" in html and "Pretest items (not scored)" in html


def test_xlsx_opens_in_openpyxl_with_numbers_as_numbers_and_blanks(report_inputs):
    from io import BytesIO

    import openpyxl

    inputs = load_report_inputs(
        report_inputs["analysis"], bank=report_inputs["bank"], calibration=report_inputs["params"]
    )
    data = render_xlsx(inputs)
    assert data == render_xlsx(inputs)
    book = openpyxl.load_workbook(BytesIO(data))
    assert book.sheetnames == [
        "summary",
        "domains",
        "item_stats",
        "option_stats",
        "dif",
        "irt_params",
        "items",
        "flags",
    ]
    items = book["item_stats"]
    header = [c.value for c in items[1]]
    assert header == [
        "item_id", "role", "domain", "n", "n_omitted", "p_value", "item_total_r",
        "item_rest_r", "biserial", "alpha_if_deleted", "upper_lower_d", "flags",
    ]  # fmt: skip
    assert items.freeze_panes == "B2"
    rows = {r[0].value: r for r in items.iter_rows(min_row=2)}
    pretest = rows["NC-0001"]
    assert pretest[1].value == "pretest"
    assert pretest[9].value is None  # NaN alpha_if_deleted: an empty cell, not text
    assert isinstance(pretest[5].value, float) and pretest[5].number_format == "0.000"
    assert isinstance(pretest[3].value, int)
    assert "[Red]" not in pretest[5].number_format
    options = book["option_stats"]
    cols = [c.value for c in options[1]]
    unchosen = next(
        r for r in options.iter_rows(min_row=2) if (r[0].value, r[1].value) == ("CO-0001", "D")
    )
    assert unchosen[cols.index("point_biserial")].value is None
    summary = {r[0].value: r[1].value for r in book["summary"].iter_rows(min_row=2)}
    assert summary["alpha"] == 0.61 and isinstance(summary["n_examinees"], int)
    assert summary["decision.raw_cut"] == 2
    assert summary["split_half.spearman_brown"] == 0.667
    irt = book["irt_params"]
    irt_rows = {r[0].value: [c.value for c in r] for r in irt.iter_rows(min_row=2)}
    assert irt_rows["CO-0001"][2] == "fixed" and irt_rows["NC-0001"][1] == "pretest"
    text = {r[0].value: [c.value for c in r] for r in book["items"].iter_rows(min_row=2)}
    assert text["NC-0001"][2] == "A" and "<script>" in text["NC-0001"][3]  # stored as text
    legend = [c.value for c in book["flags"][1]]
    assert legend == ["flag", "severity", "items", "meaning"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.value != "nan" and cell.value != "NaN", (sheet.title, cell.coordinate)
