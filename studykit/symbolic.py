"""Symbolic answers: a whitelisting parser over Python's AST that builds SymPy objects node by node.

Never eval, sympify or parse_expr on submitted text: the text is parsed by ``ast.parse`` (which runs
nothing) and only numbers, the part's symbols, ``pi``/``E`` and a few functions are turned into SymPy
objects; everything else (attributes, subscripts, dunder names, lambdas, comprehensions, keywords) is a
format error with the column where it starts. ``^`` means power; implicit multiplication (``2x``) is
not guessed. Numeric powers are bounded, so ``9**9**9**9`` is refused before SymPy computes it.

Equivalence (``equivalent``): a numeric check at random points first (a clear difference settles it
quickly), then ``simplify(expected - submitted) == 0`` or ``expected.equals(submitted) is True`` under a
time limit; when SymPy proves nothing, agreement at the random points decides. SIGALRM
(``signal.setitimer``) interrupts SymPy in the main thread; elsewhere the check runs in a daemon
thread that is abandoned at the deadline. Undecided (no proof, too few points evaluate) counts as
not equal.

sympy is imported only inside functions.
"""

from __future__ import annotations

import ast
import random
import signal
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from studykit.answers import AnswerFormatError

MAX_CHARS = 500
MAX_DEPTH = 40  # AST nesting
MAX_NODES = 400
MAX_EXPONENT = 100  # |n| of a numeric exponent
MAX_POWER_BITS = 4096  # size of a number raised to a numeric power
TIME_LIMIT_S = 2.0
FUNCTIONS = ("exp", "log", "ln", "sqrt", "sin", "cos", "tanh", "sigma", "sigmoid", "Abs", "abs")
CONSTANTS = ("pi", "E")
_ARITY = {"log": (1, 2)}


class _Timeout(BaseException):
    """Raised inside SymPy by the alarm handler (a BaseException, so SymPy cannot swallow it)."""


def _fail(message: str, node: ast.AST | None = None) -> AnswerFormatError:
    where = f" ({node.col_offset + 1}번째 글자)" if node is not None and hasattr(node, "col_offset") else ""
    return AnswerFormatError(message + where)


def expected_form(symbols: tuple[str, ...]) -> str:
    """What a symbolic answer may contain, for format-error messages."""
    names = ", ".join(symbols) or "(없음)"
    return (f"수식을 기대함: 이름 {names}; 함수 {', '.join(FUNCTIONS[:-1])}; "
            "곱셈은 * (2*x), 거듭제곱은 ^ 또는 **")


def prepare(text: str) -> str:
    """Operators people type: ^ for power, × and · for times (the text is already NFKC-normalised)."""
    return text.replace("^", "**").replace("×", "*").replace("·", "*").strip()


@lru_cache(maxsize=4096)
def parse_expression(text: str, symbols: tuple[str, ...]) -> Any:
    """Parse a normalised answer into a SymPy expression, or raise AnswerFormatError."""
    source = prepare(text)
    if not source:
        raise AnswerFormatError("답이 비어 있음")
    if len(source) > MAX_CHARS:
        raise AnswerFormatError(f"수식이 너무 김 (최대 {MAX_CHARS}자)")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        col = f" ({exc.offset}번째 글자)" if exc.offset else ""
        raise AnswerFormatError(f"수식 문법 오류{col}; {expected_form(symbols)}") from None
    except (ValueError, MemoryError, RecursionError):
        raise AnswerFormatError(f"읽을 수 없는 수식; {expected_form(symbols)}") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise AnswerFormatError("수식이 너무 복잡함")
    return _Builder(symbols).build(tree.body, 0)


class _Builder:
    """Turns whitelisted AST nodes into SymPy objects; any other node is a format error."""

    def __init__(self, symbols: tuple[str, ...]) -> None:
        import sympy

        self.sp = sympy
        self.symbols = {name: sympy.Symbol(name, real=True) for name in symbols}
        self.allowed = symbols

    def build(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _fail("수식이 너무 깊게 중첩됨", node)
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise _fail(f"쓸 수 없는 표현 ({_describe(node)}); {expected_form(self.allowed)}", node)

    def _number(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail("수와 이름만 쓸 수 있음", node)
        if isinstance(value, int):
            return self.sp.Integer(value)
        return self.sp.Rational(repr(value))  # exact decimal: 0.1 -> 1/10

    def _name(self, node: ast.Name) -> Any:
        name = node.id
        if name in self.symbols:
            return self.symbols[name]
        if name in CONSTANTS:
            return self.sp.pi if name == "pi" else self.sp.E
        if name.startswith("_"):
            raise _fail(f"이름 {name!r} 은(는) 쓸 수 없음", node)
        if name in FUNCTIONS:
            raise _fail(f"함수 {name} 뒤에 괄호가 필요함: {name}(x)", node)
        raise _fail(f"알 수 없는 이름 {name!r} (쓸 수 있는 이름: {', '.join(self.allowed) or '없음'}; "
                    "곱셈은 *로 씀)", node)

    def _binop(self, node: ast.BinOp, depth: int) -> Any:
        op = node.op
        if not isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            raise _fail(f"연산자 {type(op).__name__} 은(는) 쓸 수 없음 (+ - * / ^ 만)", node)
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            if right == 0:
                raise _fail("0으로 나눔", node)
            return left / right
        self._check_power(left, right, node)
        return left**right

    def _check_power(self, base: Any, exponent: Any, node: ast.AST) -> None:
        """Refuse powers SymPy would spend unbounded time or memory evaluating."""
        if not exponent.is_Number:
            return
        if abs(exponent) > MAX_EXPONENT:
            raise _fail(f"지수가 너무 큼 (|지수| ≤ {MAX_EXPONENT})", node)
        if base.is_Rational:
            bits = max(int(base.p).bit_length(), int(base.q).bit_length())
            if bits * abs(float(exponent)) > MAX_POWER_BITS:
                raise _fail("수가 너무 큼", node)

    def _call(self, node: ast.Call, depth: int) -> Any:
        func = node.func
        if not isinstance(func, ast.Name):
            raise _fail(f"쓸 수 없는 표현 ({_describe(func)})", node)
        if func.id not in FUNCTIONS:
            raise _fail(f"쓸 수 없는 함수 {func.id!r} (쓸 수 있는 함수: {', '.join(FUNCTIONS[:-1])})", node)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _fail(f"{func.id}(…)에는 인자만 씀", node)
        low, high = _ARITY.get(func.id, (1, 1))
        if not low <= len(node.args) <= high:
            raise _fail(f"{func.id}(…)의 인자 수가 맞지 않음", node)
        args = [self.build(a, depth + 1) for a in node.args]
        return self._apply(func.id, args)

    def _apply(self, name: str, args: list[Any]) -> Any:
        sp = self.sp
        if name in ("sigma", "sigmoid"):
            return 1 / (1 + sp.exp(-args[0]))
        table: dict[str, Callable[..., Any]] = {
            "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos,
            "tanh": sp.tanh, "Abs": sp.Abs, "abs": sp.Abs,
        }
        return table[name](*args)


def _describe(node: ast.AST) -> str:
    names = {ast.Attribute: "속성 접근 .", ast.Subscript: "첨자 []", ast.Lambda: "lambda",
             ast.ListComp: "리스트 내포", ast.GeneratorExp: "제너레이터", ast.Compare: "비교",
             ast.BoolOp: "and/or", ast.Tuple: "튜플", ast.List: "리스트", ast.IfExp: "if"}
    return names.get(type(node), type(node).__name__)


# --- equivalence --------------------------------------------------------------------------------

def run_with_time_limit(work: Callable[[], Any], seconds: float) -> Any:
    """work() or None when it does not finish in time (SIGALRM in the main thread, else a thread)."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        def on_alarm(signum: int, frame: Any) -> None:
            raise _Timeout

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return work()
        except _Timeout:
            return None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    box: list[Any] = []
    worker = threading.Thread(target=lambda: box.append(work()), daemon=True)
    worker.start()
    worker.join(seconds)
    return box[0] if box else None


def _numeric_agreement(expected: Any, submitted: Any, points: int = 6) -> bool | None:
    """True/False when the two agree/differ at random points; None when too few points evaluate."""
    from sympy import Float

    names = sorted(expected.free_symbols | submitted.free_symbols, key=str)
    rng = random.Random(20261201)  # fixed: the same submission always gets the same verdict
    good = 0
    for _ in range(points * 2):
        values = {s: Float(rng.choice((-1, 1)) * rng.uniform(0.2, 2.0)) for s in names}
        a, b = _evaluate(expected, values), _evaluate(submitted, values)
        if a is None or b is None:
            continue
        if abs(a - b) > 1e-8 * (1 + abs(a)):
            return False
        good += 1
        if good >= points:
            return True
    return None


def _evaluate(expr: Any, values: dict[Any, Any]) -> complex | None:
    try:
        number = complex(expr.xreplace(values).evalf(30))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if number != number or abs(number) == float("inf"):
        return None
    return number


def _symbolic_equal(expected: Any, submitted: Any) -> bool | None:
    import sympy

    if sympy.simplify(expected - submitted) == 0:
        return True
    verdict = expected.equals(submitted)
    return True if verdict is True else (False if verdict is False else None)


@lru_cache(maxsize=8192)
def equivalent(expected: Any, submitted: Any, seconds: float = TIME_LIMIT_S) -> bool:
    """Whether two parsed expressions are equal; undecided counts as not equal (see module doc)."""
    if expected == submitted:
        return True
    numeric = run_with_time_limit(lambda: _numeric_agreement(expected, submitted), seconds)
    if numeric is False:
        return False
    if run_with_time_limit(lambda: _symbolic_equal(expected, submitted), seconds) is True:
        return True
    # SymPy's equals() can answer False for equal expressions (log(x**2) vs 2*log(Abs(x))), so
    # agreement at every random point still decides; no decision at all means not equal.
    return numeric is True
