"""The whitelisted symbolic parser: what it builds, what it refuses (payloads), equivalence, time limits."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studykit.answers import CORRECT, FORMAT_ERROR, WRONG, AnswerFormatError, compare
from studykit.model import AnswerSpec
from studykit.symbolic import MAX_CHARS, equivalent, parse_expression, run_with_time_limit

SYMBOLS = ("x", "w")


def parse(text: str, symbols: tuple[str, ...] = SYMBOLS):
    return parse_expression(text, symbols)


def test_builds_sympy_from_whitelisted_nodes() -> None:
    import sympy

    x, w = sympy.Symbol("x", real=True), sympy.Symbol("w", real=True)
    assert parse("x^2 + 3*w") == x**2 + 3 * w
    assert parse("-x/2") == -x / 2
    assert parse("0.1*x") == sympy.Rational(1, 10) * x  # exact decimal, no float noise
    assert parse("ln(x) - log(x)") == 0
    assert parse("sigma(w*x)") == 1 / (1 + sympy.exp(-w * x))
    assert parse("sigmoid(x)") == parse("sigma(x)")
    assert parse("sqrt(x) * Abs(w) + tanh(x) + sin(x) * cos(x) + exp(pi) + E") is not None
    assert parse("log(x, 2)") == sympy.log(x) / sympy.log(2)


@pytest.mark.parametrize("text, fragment", [
    ("2x", "문법"),  # implicit multiplication is not guessed
    ("x y", "문법"),
    ("y + 1", "알 수 없는 이름 'y'"),
    ("exp", "괄호"),
    ("exp(x, 2)", "인자 수"),
    ("exp(x=1)", "인자만"),
    ("eval('1')", "쓸 수 없는 함수 'eval'"),
    ("x.real", "속성"),
    ("x[0]", "첨자"),
    ("lambda: 1", "lambda"),
    ("[x for x in w]", "리스트 내포"),
    ("x if w else 1", "if"),
    ("x < w", "비교"),
    ("x and w", "and/or"),
    ("x % 2", "연산자"),
    ("x // 2", "연산자"),
    ("'x'", "수와 이름만"),
    ("True", "수와 이름만"),
    ("1j", "수와 이름만"),
    ("__x__", "쓸 수 없음"),
    ("x / 0", "0으로"),
    ("x ** 1000", "지수"),
    ("9**9**9**9", "지수"),
    ("(10**90)**90", "너무 큼"),
    ("x" * (MAX_CHARS + 1), "너무 김"),
    ("", "비어"),
])
def test_refuses_everything_else_as_format_error(text: str, fragment: str) -> None:
    with pytest.raises(AnswerFormatError) as info:
        parse(text)
    assert fragment in info.value.message


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(AnswerFormatError, match="중첩"):
        parse("exp(" * 45 + "x" + ")" * 45)
    with pytest.raises(AnswerFormatError, match="중첩"):
        parse("-" * 60 + "x")
    assert parse("(" * 120 + "x" + ")" * 120) == parse("x")  # brackets alone add no nesting


def test_error_points_at_the_offending_column() -> None:
    with pytest.raises(AnswerFormatError, match="5번째 글자"):
        parse("x + y")


def _payloads(marker: Path) -> list[str]:
    return [
        f"__import__('os').system('touch {marker}')",
        "().__class__.__bases__[0].__subclasses__()",
        f"exp(__import__('os').system('touch {marker}'))",
        f"(lambda: __import__('os').system('touch {marker}'))()",
        "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]"
        f"(['touch', '{marker}'])",
        "9**9**9**9",
        f"open('{marker}', 'w')",
        f"exec(\"open('{marker}', 'w')\")",
        "x.__globals__",
        "globals()",
    ]


def test_code_execution_payloads_create_nothing_and_are_format_errors(tmp_path: Path) -> None:
    marker = tmp_path / "pwned_x"
    spec = AnswerSpec(name="grad", kind="symbolic", symbols=("x",))
    started = time.monotonic()
    for payload in _payloads(marker):
        grade = compare(spec, payload, "exp(-x)/(1 + exp(-x))**2")
        assert grade.status == FORMAT_ERROR, payload
        assert grade.credit == 0 and grade.message
    assert not marker.exists()
    assert time.monotonic() - started < 10  # the huge power is refused, not computed


def test_equivalence_and_misconception() -> None:
    spec = AnswerSpec(name="grad", kind="symbolic", symbols=("x",))
    expected = "exp(-x)/(1 + exp(-x))**2"
    assert compare(spec, "sigma(x)*(1 - sigma(x))", expected).status == CORRECT
    assert compare(spec, "σ(x)".replace("σ", "sigma") + "*(1-sigma(x))", expected).status == CORRECT
    assert compare(spec, "exp(x)/(exp(x) + 1)^2", expected).status == CORRECT
    wrong = compare(spec, "sigma(x)", expected, {"미분하지 않음": "1/(1 + exp(-x))"})
    assert wrong.status == WRONG and wrong.misconception == "미분하지 않음"
    assert compare(spec, "sigma(x)*(1 + sigma(x))", expected).status == WRONG


def test_equals_false_for_equal_expressions_is_caught_by_the_numeric_check() -> None:
    # SymPy's equals() answers False here though both are equal for real x != 0.
    assert equivalent(parse("log(x**2)"), parse("2*log(Abs(x))"))
    assert not equivalent(parse("log(x**2)"), parse("2*log(x) + 1"))


def test_expected_answer_of_the_real_bank_parses() -> None:
    """The textbook printed value of backprop.midterm-symbolic goes through the same parser."""
    from studykit.bank import load_bank

    bank = load_bank(None)
    if "backprop.midterm-symbolic" not in bank.ids():
        pytest.skip("backprop.midterm-symbolic is not in the bank")
    question = bank.get("backprop.midterm-symbolic")
    spec = question.answer("grad")
    printed = question.textbook[0].printed["grad"]
    expr = parse_expression(printed, tuple(spec.symbols))
    assert {str(s) for s in expr.free_symbols} <= set(spec.symbols)


def test_time_limit_in_the_main_thread_interrupts_python_work() -> None:
    started = time.monotonic()

    def spin() -> int:
        while True:
            pass

    assert run_with_time_limit(spin, 0.2) is None
    assert time.monotonic() - started < 2
    assert run_with_time_limit(lambda: 42, 1.0) == 42


def test_time_limit_outside_the_main_thread_uses_a_deadline() -> None:
    results = []
    worker = threading.Thread(target=lambda: results.append(run_with_time_limit(lambda: time.sleep(3), 0.2)))
    started = time.monotonic()
    worker.start()
    worker.join()
    assert results == [None] and time.monotonic() - started < 2


terms = st.sampled_from(["x", "w", "2", "3*x", "exp(x)", "sigma(w)", "x^2", "log(2 + w^2)"])


@settings(max_examples=25, deadline=None)
@given(terms, terms)
def test_commuted_sums_and_products_are_equivalent_and_shifts_are_not(a: str, b: str) -> None:
    assert equivalent(parse(f"{a} + {b}"), parse(f"{b} + {a}"))
    assert equivalent(parse(f"({a})*({b})"), parse(f"({b})*({a})"))
    assert not equivalent(parse(f"{a} + {b}"), parse(f"{a} + {b} + 1"))
