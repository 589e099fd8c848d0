"""How answer values are written out: exact text for key CSVs, readable text for documents.

Values are JSON-able, by kind: integer -> int, number -> float or list[float] (a vector), shape -> list[int],
symbolic -> str (SymPy's str form), choice -> str or list[str], text -> str.
"""

from __future__ import annotations

import math
from typing import Any


def format_exact(kind: str, value: Any) -> str:
    """Text that parses back to the same value (key/answers.csv, Moodle answers)."""
    if kind == "integer":
        return str(int(value))
    if kind == "number" and isinstance(value, (list, tuple)):
        return "[" + ", ".join(format(float(v), ".12g") for v in value) + "]"
    if kind == "number":
        return format(float(value), ".12g")
    if kind == "shape":
        return "[" + ", ".join(str(int(v)) for v in value) + "]"
    if kind == "choice" and isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def format_display(kind: str, value: Any, tolerance: Any = None) -> str:
    """Text for people: numbers rounded to what the tolerance makes meaningful."""
    if kind == "integer":
        return f"{int(value):,}"
    if kind == "number" and isinstance(value, (list, tuple)):
        return "[" + ", ".join(_display_number(float(v), tolerance) for v in value) + "]"
    if kind == "number":
        return _display_number(float(value), tolerance)
    if kind == "shape":
        return "[" + ", ".join(str(int(v)) for v in value) + "]"
    return format_exact(kind, value)


def _display_number(value: float, tolerance: Any) -> str:
    if not math.isfinite(value):
        return str(value)
    tol = tolerance or {}
    if "decimals" in tol:
        return f"{value:.{int(tol['decimals'])}f}"
    if "sigfig" in tol:
        return _sigfig_text(value, max(int(tol["sigfig"]), 1))
    text = format(value, ".4f") if abs(value) >= 1e-3 or value == 0 else format(value, ".4g")
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _sigfig_text(value: float, digits: int) -> str:
    """value to `digits` significant figures, keeping significant trailing zeros (1.0 at 3 → "1.00");
    plain positional notation for ordinary magnitudes, never a trailing "."."""
    mantissa, exponent = format(value, f".{digits - 1}e").split("e")
    power = int(exponent)  # the exponent after rounding (9.996 at 3 figures is 1.00e+01)
    if not -6 <= power < 16:
        return f"{mantissa}e{exponent}"
    decimals = digits - 1 - power
    if decimals >= 0:
        return f"{value:.{decimals}f}"
    return f"{round(value, decimals):.0f}"  # 12345 at 3 figures: 12300
