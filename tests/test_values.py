"""values.format_display and format_exact: significant figures keep their trailing zeros, decimals and the
default rounding stay readable, exact text round-trips."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studykit.values import format_display, format_exact

ORDINARY = st.floats(min_value=1e-5, max_value=1e14, allow_nan=False, allow_infinity=False)
SIGNED = st.one_of(ORDINARY, ORDINARY.map(lambda v: -v), st.just(0.0))
DIGITS = st.integers(min_value=1, max_value=10)


def decimal_rounding(value: float, digits: int) -> Decimal:
    """The float's exact value rounded half-even to `digits` significant figures (an independent oracle)."""
    exact = Decimal(value)
    return exact.quantize(Decimal(1).scaleb(exact.adjusted() - digits + 1), rounding=ROUND_HALF_EVEN)


def significant_digits(text: str) -> int:
    """How many significant digits nonzero positional text shows (leading zeros are not significant)."""
    return len(text.lstrip("-").replace(".", "").lstrip("0"))


@pytest.mark.parametrize(("value", "digits", "text"), [
    (1.0, 3, "1.00"), (0.5, 2, "0.50"), (2.5, 1, "2"), (10.0, 4, "10.00"), (0.0012345, 3, "0.00123"),
    (9.996, 3, "10.0"), (123456.0, 3, "123000"), (-0.07, 2, "-0.070"), (0.0, 3, "0.00"), (1e-9, 2, "1.0e-09"),
    (3.0e20, 3, "3.00e+20"),
])
def test_sigfig_keeps_significant_trailing_zeros(value: float, digits: int, text: str) -> None:
    assert format_display("number", value, {"sigfig": digits}) == text


def test_sigfig_applies_to_every_component_of_a_vector() -> None:
    assert format_display("number", [1.0, 0.25, 12.0], {"sigfig": 2}) == "[1.0, 0.25, 12]"


@given(SIGNED, DIGITS)
def test_sigfig_text_parses_back_to_the_same_significant_figures(value: float, digits: int) -> None:
    text = format_display("number", value, {"sigfig": digits})
    shown = float(text)
    assert format(shown, f".{digits - 1}e") == format(value, f".{digits - 1}e")
    assert math.isclose(shown, value, rel_tol=10.0 ** (1 - digits), abs_tol=0.0) or value == 0


@given(SIGNED, DIGITS)
def test_sigfig_text_is_readable_for_ordinary_magnitudes(value: float, digits: int) -> None:
    text = format_display("number", value, {"sigfig": digits})
    assert "e" not in text and not text.endswith(".")
    if "." in text and value != 0:  # digits after the point are all significant: exactly `digits` of them
        assert significant_digits(text) == digits, text


@given(st.floats(min_value=1e-300, max_value=1e300), DIGITS)
def test_sigfig_agrees_with_decimal_rounding_of_the_float(value: float, digits: int) -> None:
    text = format_display("number", value, {"sigfig": digits})
    assert Decimal(text) == decimal_rounding(value, digits)


@pytest.mark.parametrize(("value", "tolerance", "text"), [
    (0.5, {"decimals": 2}, "0.50"), (0.333333, {"decimals": 2}, "0.33"), (1.5, None, "1.5"),
    (2.0, {"rtol": 1e-3}, "2"), (0.00012345, None, "0.0001234"), (0.0, None, "0"),
])
def test_decimals_and_default_display(value: float, tolerance: dict | None, text: str) -> None:
    assert format_display("number", value, tolerance) == text


def test_other_kinds_display() -> None:
    assert format_display("integer", 60965224) == "60,965,224"
    assert format_display("shape", [96, 55, 55]) == "[96, 55, 55]"
    assert format_display("number", float("inf"), {"sigfig": 3}) == "inf"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_exact_text_round_trips(value: float) -> None:
    assert float(format_exact("number", value)) == pytest.approx(value, rel=1e-11, abs=0)
