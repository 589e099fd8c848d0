"""Answer normalisation, parsing per kind, tolerance functions and compare() (format error vs wrong)."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from studykit.answers import (
    CORRECT,
    FORMAT_ERROR,
    PARTIAL,
    UNGRADED,
    WRONG,
    AnswerFormatError,
    choice_credit,
    compare,
    normalise,
    numbers_match,
    parse_choice,
    parse_integer,
    parse_number,
    parse_shape,
    parse_vector,
    round_sigfig,
    within_decimals,
    within_rel_abs,
    within_sigfig,
)
from studykit.model import AnswerSpec

FULL_WIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")


@pytest.mark.parametrize("text, value", [
    ("60,965,224", 60965224), ("１２３", 123), ("−3", -3), ("–3", -3), ("7.6e2", 760), ("7.6E+2", 760),
    ("7.6×10^2", 760), ("7.6 x 10²", 760), (" 760 ", 760), ("+760", 760), ("1,024 bit", 1024),
    ("760.0", 760), ("(760)", 760),
])
def test_integer_forms(text: str, value: int) -> None:
    assert parse_integer(text, unit="bit") == value


@pytest.mark.parametrize("text, value", [
    ("1/2", 0.5), ("-1/4", -0.25), ("5.5e1", 55.0), ("5.5×10^-3", 0.0055), ("5.5·10⁻³", 0.0055),
    ("5.5*10**-3", 0.0055), ("0.5 bit", 0.5), ("0.5bit", 0.5), ("0.5 BIT", 0.5), (".5", 0.5),
    ("１．５", 1.5), ("－１．５", -1.5), ("1,234.5", 1234.5), ("\u22122.5", -2.5),
])
def test_number_forms(text: str, value: float) -> None:
    assert parse_number(text, unit="bit") == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text, fragment", [
    ("", "비어"), ("abc", "수를 기대"), ("3,5", "쉼표"), ("inf", "수를 기대"), ("nan", "수를 기대"),
    ("1_000", "수를 기대"), ("0x10", "수를 기대"), ("1/0", "분모"), ("1e999", "너무"), ("1e350", "유한"),
    ("2 kg", "단위 'kg'"),
    ("__import__('os')", "수를 기대"), ("1,00", "쉼표"),
])
def test_number_format_errors_say_what_was_expected(text: str, fragment: str) -> None:
    with pytest.raises(AnswerFormatError) as info:
        parse_number(text, unit="bit")
    assert fragment in info.value.message


def test_integer_rejects_fractions_as_format_error() -> None:
    with pytest.raises(AnswerFormatError, match="정수"):
        parse_integer("760.5")
    with pytest.raises(AnswerFormatError, match="단위"):
        parse_integer("760개")  # the part has no unit


@pytest.mark.parametrize("text", ["[96, 55, 55]", "96x55x55", "96×55×55", "(96,55,55)", "96 55 55",
                                  "96 x 55 x 55", "９６×５５×５５", "96*55*55", "96X55X55"])
def test_shape_forms(text: str) -> None:
    assert parse_shape(text) == [96, 55, 55]


@pytest.mark.parametrize("text", ["", "96.5x55", "[a, b]", "-3x4", "[]"])
def test_shape_format_errors(text: str) -> None:
    with pytest.raises(AnswerFormatError, match="크기"):
        parse_shape(text)


def test_vector_forms() -> None:
    assert parse_vector("[0.6, -0.8]", 2) == [0.6, -0.8]
    assert parse_vector("(0.6; −0.8)", 2) == [0.6, -0.8]
    assert parse_vector("0.6 -0.8", 2) == [0.6, -0.8]
    with pytest.raises(AnswerFormatError, match="목록"):
        parse_vector("[0.6, x]", 2)


def test_choice_forms() -> None:
    options = ["A", "B", "C", "D"]
    assert parse_choice("a, c", options, True) == ["A", "C"]
    assert parse_choice("AC", options, True) == ["A", "C"]
    assert parse_choice("C A", options, True) == ["C", "A"]
    assert parse_choice("Ｂ", options, False) == ["B"]
    with pytest.raises(AnswerFormatError, match="하나만"):
        parse_choice("A,B", options, False)
    with pytest.raises(AnswerFormatError, match="'E'"):
        parse_choice("A,E", options, True)
    assert parse_choice("생성 모델", ["생성 모델", "분별 모델"], False) == ["생성 모델"]


def test_choice_partial_credit_rule() -> None:
    assert choice_credit(["A", "C"], ["A", "C"]) == 1.0
    assert choice_credit(["A"], ["A", "C"]) == 0.5
    assert choice_credit(["A", "B"], ["A", "C"]) == 0.0  # one right, one wrong
    assert choice_credit(["A", "B", "C"], ["A", "C"]) == 0.5
    assert choice_credit(["B", "D"], ["A", "C"]) == 0.0  # floored at 0


def test_tolerance_forms() -> None:
    assert numbers_match(1.0005, 1.0, {"rtol": 1e-3, "atol": 0})
    assert not numbers_match(1.002, 1.0, {"rtol": 1e-3, "atol": 0})
    assert numbers_match(0.00005, 0.0, {"rtol": 1e-3, "atol": 1e-4})
    assert numbers_match(1.2345, 1.23449, {"sigfig": 4}) and not numbers_match(1.236, 1.234, {"sigfig": 4})
    assert numbers_match(2.3412, 2.3449, {"decimals": 2}) and not numbers_match(2.36, 2.35, {"decimals": 2})
    assert numbers_match(1.0 + 5e-7, 1.0, None) and not numbers_match(1.0 + 5e-6, 1.0, None)  # default


def _spec(kind: str, **kw) -> AnswerSpec:
    return AnswerSpec(name="p", kind=kind, **kw)


def test_compare_statuses_and_misconceptions() -> None:
    spec = _spec("integer")
    assert compare(spec, "760", 760).status == CORRECT
    wrong = compare(spec, "750", 760, {"편향(bias)을 빼먹음": 750})
    assert (wrong.status, wrong.credit, wrong.misconception) == (WRONG, 0.0, "편향(bias)을 빼먹음")
    assert compare(spec, "751", 760, {"편향(bias)을 빼먹음": 750}).misconception is None
    bad = compare(spec, "칠백육십", 760)
    assert bad.status == FORMAT_ERROR and bad.credit == 0 and "정수" in bad.message
    assert compare(spec, "", 760).status == FORMAT_ERROR


def test_compare_number_misconception_within_tolerance() -> None:
    spec = _spec("number", tolerance={"rtol": 1e-3, "atol": 1e-4}, unit="bit")
    grade = compare(spec, "1.204 bit", 1.7369655941662063, {"자연로그를 씀": 1.2039728043259361})
    assert grade.status == WRONG and grade.misconception == "자연로그를 씀"


def test_compare_shape_and_vector_credit_per_component() -> None:
    shape = compare(_spec("shape"), "96x55x27", [96, 55, 55])
    assert shape.status == PARTIAL and shape.credit == pytest.approx(2 / 3)
    assert compare(_spec("shape"), "96x55", [96, 55, 55]).credit == 0.0
    vector = _spec("number", tolerance={"rtol": 1e-3, "atol": 1e-4})
    assert compare(vector, "[0.6, 0.8]", [0.6, 0.8]).status == CORRECT
    half = compare(vector, "[0.6, -0.8]", [0.6, 0.8])
    assert half.status == PARTIAL and half.credit == 0.5


def test_compare_choice_and_text() -> None:
    spec = _spec("choice", options=("A", "B", "C", "D"), multiple=True)
    grade = compare(spec, "B, D", ["A", "C"], {"분별 모델과 혼동": ["B", "D"]})
    assert grade.misconception == "분별 모델과 혼동" and grade.credit == 0
    assert compare(spec, "A", ["A", "C"]).status == PARTIAL
    text = compare(_spec("text"), "아무 말", "모범 답안")
    assert text.status == UNGRADED and text.weight == 0 and text.score == 0


def test_compare_weight_override() -> None:
    grade = compare(_spec("integer", weight=1.0), "3", 3, weight=2.5)
    assert grade.score == 2.5


# --- properties ---------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


@given(finite)
def test_formatted_numbers_round_trip(value: float) -> None:
    for text in (repr(value), format(value, ".17g"), format(value, ".6e")):
        assert parse_number(text) == pytest.approx(float(text), rel=0, abs=0)


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_full_width_and_thousands_equal_ascii(value: int) -> None:
    plain = str(value)
    assert parse_integer(plain.translate(FULL_WIDTH)) == value
    assert parse_integer(f"{value:,}") == value
    assert parse_integer(f"{value:,}".replace("-", "\u2212")) == value
    assert parse_integer(f"  {plain}  ") == value


@given(st.integers(min_value=-10**6, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_fractions_equal_their_quotient(num: int, den: int) -> None:
    assert parse_number(f"{num}/{den}") == pytest.approx(num / den, rel=1e-15)


@given(st.text(max_size=40))
def test_normalise_is_idempotent_and_parsers_never_crash(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    for parser in (parse_number, parse_integer, parse_shape):
        try:
            parser(text)
        except AnswerFormatError:
            pass


@given(finite, st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=10))
def test_exact_value_always_passes(value: float, rtol: float, atol: float) -> None:
    assert within_rel_abs(value, value, rtol, atol)
    for digits in range(1, 8):
        assert within_sigfig(value, value, digits) and within_decimals(value, value, digits)


@given(finite, finite, st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1),
       st.floats(min_value=0, max_value=1))
def test_rel_abs_is_monotonic_in_tolerance(s: float, t: float, rtol: float, atol: float, more: float) -> None:
    if within_rel_abs(s, t, rtol, atol):
        assert within_rel_abs(s, t, rtol + more, atol) and within_rel_abs(s, t, rtol, atol + more)


@given(finite, finite, st.floats(min_value=0, max_value=10))
def test_absolute_tolerance_is_symmetric(s: float, t: float, atol: float) -> None:
    assert within_rel_abs(s, t, 0.0, atol) == within_rel_abs(t, s, 0.0, atol)


@given(finite, finite, st.integers(min_value=1, max_value=10))
def test_sigfig_and_decimals_are_symmetric(s: float, t: float, n: int) -> None:
    assert within_sigfig(s, t, n) == within_sigfig(t, s, n)
    assert within_decimals(s, t, n) == within_decimals(t, s, n)


@given(st.floats(min_value=1e-6, max_value=1e6), st.integers(min_value=1, max_value=8))
def test_round_sigfig_keeps_relative_error_within_half_unit(value: float, digits: int) -> None:
    assume(math.isfinite(value))
    rounded = round_sigfig(value, digits)
    assert abs(rounded - value) <= 0.5 * 10 ** (math.floor(math.log10(value)) - digits + 1) * (1 + 1e-9)
