"""Items in and out of the bank in the formats other tools use: IMS QTI content packages
(3.0, and 2.1 for export) and spreadsheets for authors.

Exports are pure functions from a loaded bank (and optionally a form) to bytes; imports
turn a package or workbook into item documents plus findings (what could not be
represented, located per item, sheet, row and column) and write a whole new item folder
at once through :func:`cehrs_items.io.write_tree`, or nothing.
"""

from cehrs_items.exchange.common import ImportResult, write_items
from cehrs_items.exchange.qti import export_qti, import_qti
from cehrs_items.exchange.xlsx import export_xlsx, import_xlsx

__all__ = [
    "ImportResult",
    "export_qti",
    "export_xlsx",
    "import_qti",
    "import_xlsx",
    "write_items",
]
