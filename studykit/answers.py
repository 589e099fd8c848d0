"""Submitted answers: normalise, parse per kind (format error vs value), tolerances, compare -> PartGrade.

Nothing here executes submitted text. Numbers are parsed with strict regular expressions and Decimal;
symbolic answers go through studykit.symbolic (a whitelisted AST parser, imported lazily).

Statuses: ``correct`` (full credit), ``partial`` (some components or options right), ``wrong``
(parsed, value differs), ``format_error`` (could not be read as the part's kind; scored 0, the
message says what was expected) and ``ungraded`` (text parts: recorded, weight 0).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Protocol

CORRECT, PARTIAL, WRONG, FORMAT_ERROR, UNGRADED = "correct", "partial", "wrong", "format_error", "ungraded"
DEFAULT_TOLERANCE: Mapping[str, float] = {"rtol": 1e-6, "atol": 1e-9}
MAX_ANSWER_CHARS = 2000
MAX_EXPONENT10 = 400  # |exponent| of a decimal number: past float range either way, and int() stays cheap

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus, small/full-width hyphen-minus.
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"})
_SPACES = re.compile(r"\s+")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+)((?:\.\d+)?(?:[eE][+-]?\d+)?)")
_TIMES_TEN = re.compile(r"(.+?)(?:\*|x|X|×|·)10(?:\^|\*\*)\(?([+-]?\d+)\)?")
_FRACTION = re.compile(r"(.+)/(.+)")
_LIST_SPLIT = re.compile(r"\s*[,;]\s*|\s+")
_SHAPE_SPLIT = re.compile(r"\s*(?:[,;x×X*]|\s)\s*")


class AnswerFormatError(ValueError):
    """A submission that cannot be read as the part's kind; `message` says what was expected."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class PartSpecLike(Protocol):
    """What compare() needs of a part (studykit.model.AnswerSpec fits)."""

    name: str
    kind: str
    tolerance: Mapping[str, float] | None
    unit: str
    weight: float
    options: tuple[str, ...]
    multiple: bool
    symbols: tuple[str, ...]


@dataclass(frozen=True)
class PartGrade:
    """The grade of one answer part."""

    part: str
    kind: str
    status: str
    credit: float  # 0..1 of the part
    weight: float
    submitted: str  # the raw text as handed in
    expected: Any  # the computed answer
    value: Any = None  # the parsed submission (None on a format error)
    misconception: str | None = None  # the named mistake the wrong value matches
    message: str = ""  # format error: what was expected

    @property
    def score(self) -> float:
        return self.credit * self.weight


# --- normalisation ------------------------------------------------------------------------------

def normalise(text: Any) -> str:
    """NFKC (full-width digits), superscripts as ^n, every dash as '-', spaces collapsed, trimmed."""
    value = answer_text(text)
    value = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group(0).translate(_SUPERSCRIPTS), value)
    value = unicodedata.normalize("NFKC", value).translate(_DASHES)
    return _SPACES.sub(" ", value).strip()


def answer_text(value: Any) -> str:
    """A submitted value as text: YAML/JSON numbers and lists become what a person would type."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(answer_text(v) for v in value) + "]"
    return str(value)


def strip_unit(text: str, unit: str) -> str:
    """Drop a trailing unit equal to the part's unit (case-insensitive, spaces ignored)."""
    unit = normalise(unit)
    if unit and text.lower().endswith(unit.lower()):
        return text[: len(text) - len(unit)].rstrip()
    return text


# --- numbers ------------------------------------------------------------------------------------

def parse_decimal(text: str) -> Decimal | Fraction:
    """One number: 0.25, -1/4, 5.5e1, 5.5×10^1, 60,965,224 (already normalised, unit stripped)."""
    compact = text.replace(" ", "")
    if compact.startswith("(") and compact.endswith(")"):
        compact = compact[1:-1]
    match = _TIMES_TEN.fullmatch(compact)
    if match:
        return _plain_decimal(match.group(1)).scaleb(_exponent(match.group(2)))
    match = _FRACTION.fullmatch(compact)
    if match:
        num, den = _plain_decimal(match.group(1)), _plain_decimal(match.group(2))
        if den == 0:
            raise AnswerFormatError("분모가 0")
        return Fraction(num) / Fraction(den)
    return _plain_decimal(compact)


def _exponent(text: str) -> int:
    exponent = int(text)
    if abs(exponent) > MAX_EXPONENT10:
        raise AnswerFormatError("지수가 너무 큼")
    return exponent


def _plain_decimal(text: str) -> Decimal:
    match = _THOUSANDS.fullmatch(text)
    if match:
        text = match.group(1) + match.group(2).replace(",", "") + match.group(3)
    if not _DECIMAL.fullmatch(text):
        if "," in text:
            raise AnswerFormatError("쉼표는 천 단위(1,024)에만 쓰고 소수점은 '.'")
        raise AnswerFormatError("수가 아님")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise AnswerFormatError("수가 아님") from None
    if value != 0 and abs(value.adjusted()) > MAX_EXPONENT10:
        raise AnswerFormatError("수가 너무 크거나 작음")
    return value


_UNIT_TAIL = re.compile(r".*[\d)]\s*([^\d\s.,+\-*/^()]+)")


def _number_body(text: Any, unit: str) -> str:
    """The normalised text without the part's unit; another trailing unit is a format error."""
    body = strip_unit(normalise(text), unit)
    if not body:
        raise AnswerFormatError("답이 비어 있음")
    tail = _UNIT_TAIL.fullmatch(body)
    if tail and not _TIMES_TEN.fullmatch(body.replace(" ", "")) and "e" not in tail.group(1).lower():
        expected = f"단위는 {unit} 또는 생략" if unit else "단위 없이 수만"
        raise AnswerFormatError(f"단위 {tail.group(1)!r} 는 이 답에 맞지 않음 ({expected})")
    return body


def parse_number(text: Any, unit: str = "") -> float:
    """A real number, or AnswerFormatError saying what form was expected."""
    body = _number_body(text, unit)
    try:
        value = float(parse_decimal(body))
    except AnswerFormatError as exc:
        hint = f"수를 기대함 ({exc.message}): 예 0.25, 1/4, 2.5e-1{_unit_hint(unit)}"
        raise AnswerFormatError(hint) from None
    if not math.isfinite(value):
        raise AnswerFormatError("유한한 수를 기대함")
    return value


def parse_integer(text: Any, unit: str = "") -> int:
    """An integer (760, 7.6e2, 1,024); a non-integral number is a format error."""
    body = _number_body(text, unit)
    try:
        value = parse_decimal(body)
    except AnswerFormatError as exc:
        raise AnswerFormatError(f"정수를 기대함 ({exc.message}): 예 760, 1,024{_unit_hint(unit)}") from None
    if Fraction(value).denominator != 1:
        raise AnswerFormatError(f"정수를 기대함: {body} 은(는) 정수가 아님")
    return int(value)


def _unit_hint(unit: str) -> str:
    return f" (단위 {unit} 는 붙여도 됨)" if unit else ""


def _items(text: str, splitter: re.Pattern[str]) -> list[str]:
    body = text.strip()
    if len(body) >= 2 and body[0] + body[-1] in ("[]", "()", "{}"):
        body = body[1:-1]
    return [item for item in splitter.split(body.strip()) if item]


def parse_vector(text: Any, length: int, unit: str = "") -> list[float]:
    """A list of numbers: [0.6, -0.8], (0.6; -0.8), 0.6 -0.8 (no thousands separators inside)."""
    body = strip_unit(normalise(text), unit)
    expected = f"수 {length}개의 목록을 기대함: 예 [0.6, -0.8]"
    try:
        values = [float(_plain_decimal(item)) for item in _items(body, _LIST_SPLIT)]
    except AnswerFormatError:
        raise AnswerFormatError(expected) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise AnswerFormatError(expected)
    return values


def parse_shape(text: Any) -> list[int]:
    """A tensor shape: [96, 55, 55], 96x55x55, 96×55×55, (96,55,55)."""
    body = normalise(text)
    expected = "크기(정수 목록)를 기대함: 예 [96, 55, 55] 또는 96x55x55"
    items = _items(body, _SHAPE_SPLIT)
    if not items or not all(item.isdigit() and len(item) <= 12 for item in items):
        raise AnswerFormatError(expected)
    return [int(item) for item in items]


def parse_choice(text: Any, options: Sequence[str], multiple: bool) -> list[str]:
    """Chosen options (case-insensitive): 'B', 'A, C', 'AC' when every option is one letter."""
    body = normalise(text)
    by_key = {normalise(o).casefold(): str(o) for o in options}
    listed = ", ".join(str(o) for o in options)
    if not body:
        raise AnswerFormatError(f"선택지 {listed} 중에서 고르세요")
    if body.casefold() in by_key:
        picks = [by_key[body.casefold()]]
    else:
        items = _items(body, re.compile(r"\s*[,;/]\s*|\s+"))
        if len(items) == 1 and all(len(k) == 1 for k in by_key):
            items = list(items[0])
        unknown = [i for i in items if i.casefold() not in by_key]
        if unknown:
            raise AnswerFormatError(f"선택지 {listed} 중에서 고르세요 ({unknown[0]!r} 는 없음)")
        picks = list(dict.fromkeys(by_key[i.casefold()] for i in items))
    if not multiple and len(picks) > 1:
        raise AnswerFormatError(f"하나만 고르세요 ({listed} 중)")
    return picks


# --- tolerance ----------------------------------------------------------------------------------

def within_rel_abs(submitted: float, expected: float, rtol: float, atol: float) -> bool:
    """|s - t| <= atol + rtol·|t| (t is the expected value)."""
    return abs(submitted - expected) <= atol + rtol * abs(expected)


def round_sigfig(value: float, digits: int) -> float:
    """value rounded to `digits` significant figures (decimal rounding of the float's value)."""
    if value == 0 or not math.isfinite(value):
        return value
    return float(format(value, f".{max(int(digits), 1) - 1}e"))


def within_sigfig(submitted: float, expected: float, digits: int) -> bool:
    """Both values agree when rounded to `digits` significant figures."""
    return round_sigfig(submitted, digits) == round_sigfig(expected, digits)


def within_decimals(submitted: float, expected: float, decimals: int) -> bool:
    """Both values agree when rounded to `decimals` digits after the point."""
    places = max(int(decimals), 0)
    return float(format(submitted, f".{places}f")) == float(format(expected, f".{places}f"))


def numbers_match(submitted: float, expected: float, tolerance: Mapping[str, float] | None) -> bool:
    """Dispatch on the tolerance's form: {rtol, atol}, {sigfig: n} or {decimals: n}."""
    tol = tolerance or DEFAULT_TOLERANCE
    if "sigfig" in tol:
        return within_sigfig(submitted, expected, int(tol["sigfig"]))
    if "decimals" in tol:
        return within_decimals(submitted, expected, int(tol["decimals"]))
    rtol = float(tol.get("rtol", DEFAULT_TOLERANCE["rtol"]))
    atol = float(tol.get("atol", DEFAULT_TOLERANCE["atol"]))
    return within_rel_abs(submitted, expected, rtol, atol)


def choice_credit(picked: Sequence[str], correct: Sequence[str]) -> float:
    """(right picks - wrong picks) / number of right options, floored at 0."""
    right = set(correct)
    if not right:
        return 0.0
    hits = sum(1 for p in set(picked) if p in right)
    misses = len(set(picked)) - hits
    return max(0.0, (hits - misses) / len(right))


# --- compare ------------------------------------------------------------------------------------

class ExpectedValueError(ValueError):
    """The computed (or misconception) value itself cannot be read as the part's kind: a bank bug."""


def parse_answer(spec: PartSpecLike, text: Any, expected: Any = None) -> Any:
    """Parse a submission as the part's kind; raises AnswerFormatError. Text parts stay text."""
    if len(answer_text(text)) > MAX_ANSWER_CHARS:
        raise AnswerFormatError(f"답이 너무 김 (최대 {MAX_ANSWER_CHARS}자)")
    kind = spec.kind
    if kind == "integer":
        return parse_integer(text, spec.unit)
    if kind == "number":
        if isinstance(expected, (list, tuple)):
            return parse_vector(text, len(expected), spec.unit)
        return parse_number(text, spec.unit)
    if kind == "shape":
        return parse_shape(text)
    if kind == "symbolic":
        from studykit.symbolic import parse_expression

        return parse_expression(normalise(text), tuple(spec.symbols))
    if kind == "choice":
        return parse_choice(text, spec.options, spec.multiple)
    return normalise(text)


def expected_value(spec: PartSpecLike, value: Any) -> Any:
    """A computed value in the form credit() compares (symbolic strings through the same parser)."""
    if spec.kind == "symbolic" or (isinstance(value, str) and spec.kind != "text"):
        try:
            return parse_answer(spec, value, None)
        except AnswerFormatError as exc:
            raise ExpectedValueError(f"part {spec.name}: computed value {value!r}: {exc.message}") from None
    if spec.kind == "choice":
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    return value


def credit(spec: PartSpecLike, value: Any, expected: Any) -> float:
    """Credit 0..1 of a parsed value against an expected value (as from expected_value)."""
    kind = spec.kind
    if kind == "integer":
        return 1.0 if value == int(expected) else 0.0
    if kind == "number" and isinstance(expected, (list, tuple)):
        return _componentwise(value, expected, lambda s, t: numbers_match(s, float(t), spec.tolerance))
    if kind == "number":
        return 1.0 if numbers_match(value, float(expected), spec.tolerance) else 0.0
    if kind == "shape":
        return _componentwise(value, expected, lambda s, t: s == int(t))
    if kind == "symbolic":
        from studykit.symbolic import equivalent

        return 1.0 if equivalent(expected, value) else 0.0
    if kind == "choice":
        return choice_credit(value, expected)
    return 0.0


def _componentwise(value: Sequence[Any], expected: Sequence[Any], same: Any) -> float:
    """Share of matching components; a different length earns nothing."""
    if not isinstance(value, (list, tuple)) or len(value) != len(expected) or not expected:
        return 0.0
    return sum(1 for s, t in zip(value, expected, strict=True) if same(s, t)) / len(expected)


def compare(spec: PartSpecLike, submitted: Any, expected: Any,
            misconceptions: Mapping[str, Any] | None = None, *, weight: float | None = None) -> PartGrade:
    """Grade one part: parse (format error?), credit, and the misconception a wrong value matches.

    `weight` (the manifest's) overrides the spec's weight.
    """
    raw = answer_text(submitted)
    weight = float(spec.weight if weight is None else weight)
    base = {"part": spec.name, "kind": spec.kind, "submitted": raw, "expected": expected}
    if spec.kind == "text":
        return PartGrade(status=UNGRADED, credit=0.0, weight=0.0, value=normalise(raw), **base)
    if not normalise(raw):
        return PartGrade(status=FORMAT_ERROR, credit=0.0, weight=weight, message="답이 비어 있음", **base)
    try:
        value = parse_answer(spec, raw, expected)
    except AnswerFormatError as exc:
        return PartGrade(status=FORMAT_ERROR, credit=0.0, weight=weight, message=exc.message, **base)
    got = credit(spec, value, expected_value(spec, expected))
    if got >= 1.0 - 1e-12:
        return PartGrade(status=CORRECT, credit=1.0, weight=weight, value=value, **base)
    status = PARTIAL if got > 0 else WRONG
    return PartGrade(status=status, credit=got, weight=weight, value=value,
                     misconception=match_misconception(spec, value, misconceptions), **base)


def match_misconception(spec: PartSpecLike, value: Any,
                        misconceptions: Mapping[str, Any] | None) -> str | None:
    """The first named mistake whose value the submission equals (within the part's tolerance)."""
    for description, wrong in (misconceptions or {}).items():
        try:
            if credit(spec, value, expected_value(spec, wrong)) >= 1.0 - 1e-12:
                return str(description)
        except (ExpectedValueError, TypeError, ValueError):
            continue  # a malformed misconception value names nothing
    return None
