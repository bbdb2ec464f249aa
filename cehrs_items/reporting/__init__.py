"""The psychometric report: one self-contained HTML file (and an Excel workbook)."""

from cehrs_items.reporting.html import ReportInputs, build_report, load_report_inputs, render_html
from cehrs_items.reporting.xlsx import render_xlsx

__all__ = ["ReportInputs", "build_report", "load_report_inputs", "render_html", "render_xlsx"]
