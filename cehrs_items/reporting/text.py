"""How report cells show a value: one rule for every HTML report."""

from __future__ import annotations

import math
from typing import Any


def format_value(value: Any, digits: int = 3) -> str:
    """A cell's text: ``–`` for a missing or non-finite number, ``yes``/``no`` for
    booleans, thousands separators for whole numbers, ``digits`` decimals otherwise."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        return f"{value:,.{digits}f}"
    return str(value)
