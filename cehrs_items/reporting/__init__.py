"""The psychometric report: one self-contained HTML file, an Excel workbook, a Word document."""

from cehrs_items.reporting.docx import render_docx
from cehrs_items.reporting.html import (
    ReportInputs,
    build_report,
    load_report_inputs,
    render_html,
    report_context,
)
from cehrs_items.reporting.xlsx import render_xlsx

__all__ = [
    "ReportInputs",
    "build_report",
    "load_report_inputs",
    "render_docx",
    "render_html",
    "render_xlsx",
    "report_context",
]
