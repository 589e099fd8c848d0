"""`studykit export`: LMS import files (Moodle XML, GIFT) with computed answers and safe tolerances.

Each question gets N computed variants in its own category ($course$/studykit/<id>) for random draw.
Moodle: a one-part numeric question is `numerical`, one choice part `multichoice`, one symbolic/shape
part `shortanswer`, one text part `essay`; everything else (several parts, vectors) is one `cloze`
question with an embedded answer per part. GIFT has no cloze, so it gets one question per part.
A tolerance becomes an absolute ± at the computed value, never wider than the grader's rule there
(docs/quiz.md says how each rule maps); the writers live in export_formats.py.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, TextIO

from studykit.errors import UsageError
from studykit.model import AnswerSpec, Question
from studykit.quiz import Variant, select_questions
from studykit.values import format_exact

SHRINK = 1e-6  # rounding rules accept a half-open interval: stay strictly inside its edges
SIG_DIGITS = 9  # tolerances are written rounded DOWN to this many significant digits
MAX_VARIANTS = 1000


@dataclass(frozen=True)
class Numeric:
    """An absolute interval the LMS can check: |s - value| <= tolerance."""

    value: str  # the answer as written (parses back to the computed or rounded value)
    tolerance: float
    note: str = ""  # set when the rule could not be expressed exactly (goes to the warning)


def round_down(x: float, digits: int = SIG_DIGITS) -> float:
    """x rounded toward zero to `digits` significant digits, so a written tolerance is never wider."""
    if x <= 0 or not math.isfinite(x):
        return 0.0
    exact = Decimal(x)  # the float's exact value: no rounding up on the way
    quantum = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    return float(exact.quantize(quantum, rounding=ROUND_DOWN))


def tolerance_text(tol: float) -> str:
    return format(tol, f".{SIG_DIGITS}g")


def numeric_answer(spec: AnswerSpec, value: float) -> Numeric:
    """The interval the grader's rule (studykit.answers.numbers_match) accepts at `value`, or a safe part."""
    if spec.kind == "integer":
        return Numeric(str(int(value)), 0.0)
    tol = spec.tolerance or {}
    if "decimals" in tol:
        return _decimals_answer(value, int(tol["decimals"]))
    if "sigfig" in tol:
        return _sigfig_answer(value, int(tol["sigfig"]))
    from studykit.answers import DEFAULT_TOLERANCE

    rtol = float(tol.get("rtol", DEFAULT_TOLERANCE["rtol"]))
    atol = float(tol.get("atol", DEFAULT_TOLERANCE["atol"]))
    # |s - t| <= atol + rtol·|t| is an absolute interval at t. Writing t with 12 digits moves the centre
    # a little; when that is more than a sliver of the width, write every digit instead.
    width = atol + rtol * abs(value)
    text = format_exact("number", value)
    if abs(value - float(text)) > 0.01 * width:
        text = repr(float(value))
    return Numeric(text, round_down(width - abs(value - float(text))))


def _decimals_answer(value: float, places: int) -> Numeric:
    places = max(places, 0)
    rounded = float(format(value, f".{places}f"))
    half = 0.5 * 10.0**-places
    margin = max(half * SHRINK, abs(rounded) * 1e-15)
    tol = round_down(half - margin)
    note = (f"decimals {places} (a rounding rule): written as the rounded value ± just under half a unit, "
            f"e.g. {format_exact('number', rounded)} ± {tolerance_text(tol)}")
    return Numeric(format_exact("number", rounded), tol, note)


def _sigfig_answer(value: float, digits: int) -> Numeric:
    from studykit.answers import round_sigfig

    digits = max(digits, 1)
    rounded = round_sigfig(value, digits)
    if rounded == 0:
        return Numeric("0", 0.0)
    exponent = math.floor(math.log10(abs(rounded)))
    half = 0.5 * 10.0 ** (exponent - digits + 1)
    mantissa = format(abs(rounded), f".{digits - 1}e").split("e")[0]
    lower = half
    if mantissa.replace(".", "").strip("0") == "1":
        # 1.00×10^e: just below it the digits step ten times finer, so that side is narrower
        lower = half / 10
    width = min(half, lower)
    margin = max(width * SHRINK, abs(rounded) * 1e-15)
    tol = round_down(width - margin)
    note = (f"sigfig {digits} (a rounding rule): written as the rounded value ± just under half a unit, "
            f"e.g. {format_exact('number', rounded)} ± {tolerance_text(tol)}")
    if lower < half:
        note = (f"sigfig {digits} at {format_exact('number', rounded)}: the rule accepts ten times more "
                f"above than below; using the narrower side, ± {tolerance_text(tol)}")
    return Numeric(format_exact("number", rounded), tol, note)


def shape_texts(dims: Sequence[int]) -> list[str]:
    """Ways a student may write a shape: 6, 14, 14 · (6, 14, 14) · [6,14,14] · 6x14x14 · 6×14×14."""
    items = [str(int(d)) for d in dims]
    forms = [", ".join(items), ",".join(items)]
    forms += [f"({f})" for f in forms[:2]] + [f"[{f}]" for f in forms[:2]]
    forms += ["x".join(items), "×".join(items), " x ".join(items), " × ".join(items)]
    return list(dict.fromkeys(forms))


def choice_fractions(spec: AnswerSpec, correct: Any) -> list[tuple[str, float]]:
    """Moodle fractions per option: like studykit's grading, +1/n per right pick, -1/n per wrong one."""
    right = list(correct) if isinstance(correct, (list, tuple)) else [correct]
    if not spec.multiple:
        return [(o, 100.0 if o in right else 0.0) for o in spec.options]
    share = 100.0 / len(right)
    return [(o, share if o in right else -share) for o in spec.options]


def fraction_text(value: float) -> str:
    return format(round(value, 5), "g")


def part_weights(question: Question) -> list[int]:
    """Integer cloze weights proportional to the parts' weights."""
    fractions = [Fraction(a.weight).limit_denominator(100) for a in question.answers]
    scale = math.lcm(*(f.denominator for f in fractions))
    ints = [int(f * scale) for f in fractions]
    divisor = math.gcd(*ints) or 1
    return [max(1, i // divisor) for i in ints]


# --- variants ----------------------------------------------------------------------------------

def export_variants(questions: Sequence[Question], count: int, seed: int, device: str = "cpu"
                    ) -> list[tuple[Question, list[Variant]]]:
    """N seeded variants per question (ids v1…vN as the seed's student ids); repeats dropped."""
    from studykit.compute import draw_variant, params_json
    from studykit.variants import variant_seed

    if not 1 <= count <= MAX_VARIANTS:  # every variant is computed and written into one file
        raise UsageError(f"--variants must be 1 to {MAX_VARIANTS}, not {count}")
    out = []
    for question in questions:
        seen: set[str] = set()
        variants = []
        for k in range(1, count + 1):
            vseed = variant_seed(seed, f"v{k}", question.id)
            params, result = draw_variant(question, vseed, device)
            if params_json(params) not in seen:
                seen.add(params_json(params))
                variants.append(Variant(question, vseed, params, result))
        out.append((question, variants))
    return out


class Warnings:
    """One stderr line per (question, part, reason), however many variants hit it."""

    def __init__(self, fmt: str) -> None:
        self.fmt, self.lines = fmt, {}

    def add(self, question: Question, part: str, note: str) -> None:
        if note:
            key = (question.id, part, note.split(":")[0].split(" (")[0])
            line = f"{question.id} part {part}: {note}; {self.fmt} cannot express the rule exactly"
            self.lines.setdefault(key, line)

    def emit(self, stream: TextIO) -> None:
        for line in self.lines.values():
            print(f"studykit: warning: {line}", file=stream)


def run_export(args: Any, workspace: Path | None, out: TextIO) -> int:
    """`studykit export`: write the Moodle XML or GIFT file; warnings for inexact tolerances on stderr."""
    from studykit.bank import load_bank, resolve_workspace
    from studykit.export_formats import gift_text, moodle_xml
    from studykit.render import prepare_folder, write_file

    path = Path(args.out)
    if path.is_dir():  # before computing anything
        raise UsageError(f"--out {path} is a folder; expected a file name such as {path / 'quiz.xml'}")
    root = resolve_workspace(workspace)
    bank = load_bank(root)
    questions = select_questions(bank, topics=args.topic, tags=args.tag, ids=args.ids,
                                 difficulty=args.difficulty, count=args.count, seed=args.seed)
    items = export_variants(questions, args.variants, args.seed)
    warnings = Warnings("Moodle XML" if args.format == "moodle" else "GIFT")
    writer: Callable[..., str] = moodle_xml if args.format == "moodle" else gift_text
    text = writer(items, warnings)
    prepare_folder(path.parent)
    write_file(path, text)  # whole or not at all: an existing export is never half-overwritten
    warnings.emit(sys.stderr)
    total = sum(len(v) for _, v in items)
    print(f"{args.format}: {len(items)}문제 · 변형 {total}개 → {path}", file=out)
    return 0
