"""`studykit verify`: run every verifier on its textbook instances and seeded variants; surface misprints."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from studykit.bank import format_table, load_bank, resolve_workspace
from studykit.compute import Verifier, compute, draw_variant, params_json, render_prompt, render_solution
from studykit.errors import StudykitError, UsageError
from studykit.model import AnswerSpec, Question
from studykit.values import format_display
from studykit.variants import variant_seed
from studykit.verifiers.registry import Result, resolve_device

MAX_SEEDS = 1000
VERIFY_STUDENT = "studykit-verify"  # the pseudo student whose variant seeds verify draws


@dataclass(frozen=True)
class Disagreement:
    """A value the documents print that the verifier does not reproduce."""

    qid: str
    instance: str
    part: str
    printed: str
    computed: str
    method: str


@dataclass
class QuestionCheck:
    """What verify found for one question (mutable while the question runs)."""

    qid: str
    instances: int = 0
    variants: int = 0
    failure: str = ""
    disagreements: list[Disagreement] = field(default_factory=list)


def values_agree(spec: AnswerSpec, truth: Any, other: Any, *, graded: bool = False) -> bool:
    """Whether `other` matches `truth` within the part's tolerance (integers and shapes exactly).

    graded=True judges a printed value as the grader would judge it as a submission (rounded
    decimals/sigfig agree, symbolic by SymPy equivalence); otherwise numbers must be within half a
    unit of the tolerance (the CPU/CUDA comparison, where rounding both could flip at a boundary).
    """
    if spec.kind == "number":
        truths = truth if isinstance(truth, list) else [truth]
        others = other if isinstance(other, list) else [other]
        close = _graded_close if graded else _close
        return len(truths) == len(others) and all(
            close(float(t), float(o), spec.tolerance or {}) for t, o in zip(truths, others, strict=True))
    if spec.kind == "choice" and isinstance(truth, list):
        return isinstance(other, list) and sorted(map(str, truth)) == sorted(map(str, other))
    if spec.kind == "symbolic" and str(truth) != str(other):
        return _equivalent(spec, str(truth), str(other))
    if spec.kind in ("symbolic", "text", "choice"):
        return "".join(str(truth).split()) == "".join(str(other).split())
    return truth == other


def _graded_close(truth: float, other: float, tol: Any) -> bool:
    from studykit.answers import numbers_match

    return math.isfinite(other) and numbers_match(other, truth, tol)


def _close(truth: float, other: float, tol: Any) -> bool:
    if not math.isfinite(other):
        return False
    if "decimals" in tol:
        return abs(other - truth) <= 0.5 * 10.0 ** -int(tol["decimals"]) + 1e-12
    if "sigfig" in tol:
        if truth == 0:
            return other == 0
        place = math.floor(math.log10(abs(truth))) - int(tol["sigfig"]) + 1
        return abs(other - truth) <= 0.5 * 10.0**place * (1 + 1e-9)
    return abs(other - truth) <= tol.get("atol", 0.0) + tol.get("rtol", 0.0) * abs(truth)


def _equivalent(spec: AnswerSpec, truth: str, other: str) -> bool:
    """SymPy equivalence through the grader's whitelisted parser; text that does not parse differs."""
    from studykit.answers import AnswerFormatError, parse_answer
    from studykit.symbolic import equivalent

    try:
        return bool(equivalent(parse_answer(spec, truth), parse_answer(spec, other)))
    except AnswerFormatError:
        return "".join(truth.split()) == "".join(other.split())


def check_question(question: Question, seeds: int, cuda: bool, verifier: Verifier | None = None
                   ) -> QuestionCheck:
    """Textbook instances then `seeds` variants; the first failure stops this question."""
    check = QuestionCheck(question.id)
    try:
        for inst in question.textbook:
            result = _run(question, inst.params, cuda, verifier)
            if not result.valid:
                raise StudykitError(f"textbook instance {inst.label!r} is invalid: {result.reason}")
            check.instances += 1
            where = inst.label + (f" ({inst.source})" if inst.source else "")
            check.disagreements += _disagreements(question, where, inst.printed, result)
        for n in range(seeds):
            params, result = draw_variant(question, variant_seed(n, VERIFY_STUDENT, question.id),
                                          verifier=verifier)
            _run(question, params, cuda, verifier)
            check.variants += 1
    except StudykitError as exc:
        check.failure = exc.message
    return check


def _run(question: Question, params: dict[str, Any], cuda: bool, verifier: Verifier | None) -> Result:
    """One CPU computation (and the CUDA one compared with it); prompt and solution must render."""
    result = compute(question, params, "cpu", verifier=verifier)
    render_prompt(question, params)
    if not result.valid:
        return result
    render_solution(question, params, result)
    if cuda:
        on_gpu = compute(question, params, "cuda", verifier=verifier)
        for spec in question.answers:
            truth = result.answers[spec.name]
            if not on_gpu.valid or not values_agree(spec, truth, on_gpu.answers.get(spec.name)):
                got = on_gpu.answers.get(spec.name) if on_gpu.valid else on_gpu.reason
                raise StudykitError(f"cpu and cuda differ at part {spec.name!r} for {params_json(params)}: "
                                    f"{result.answers[spec.name]!r} vs {got!r}")
    return result


def _disagreements(question: Question, where: str, printed: dict[str, Any], result: Result
                   ) -> list[Disagreement]:
    found = []
    for part, value in printed.items():
        spec = question.answer(part)
        computed = result.answers[part]
        if not values_agree(spec, computed, value, graded=True):
            found.append(Disagreement(question.id, where, part, _show(spec, value),
                                      format_display(spec.kind, computed, spec.tolerance),
                                      result.method or "(method not given)"))
    return found


def _show(spec: AnswerSpec, value: Any) -> str:
    try:
        return format_display(spec.kind, value, None)
    except (TypeError, ValueError):
        return str(value)


class _Progress:
    """`[3/52] cnn.conv-output` on stderr, for a terminal or STUDYKIT_PROGRESS=1; stdout stays clean."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.on = sys.stderr.isatty() or os.environ.get("STUDYKIT_PROGRESS") == "1"
        self.width = 0

    def step(self, n: int, label: str) -> None:
        if self.on:
            text = f"verify [{n}/{self.total}] {label}"
            sys.stderr.write("\r" + text.ljust(self.width))
            sys.stderr.flush()
            self.width = max(self.width, len(text))

    def done(self) -> None:
        if self.on and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def run_verify(topics: Sequence[str], seeds: int, device: str, workspace: Path | None, out: TextIO) -> int:
    """Exit 0 when every verifier ran cleanly (misprints only reported), 1 when any failed."""
    if not 0 <= seeds <= MAX_SEEDS:  # 10**9 would run for days; a typo should not
        raise UsageError(f"--seeds must be 0 to {MAX_SEEDS}, not {seeds}")
    bank = load_bank(resolve_workspace(workspace))
    questions = bank.select(topics=topics)
    cuda = resolve_device(device) == "cuda"
    progress = _Progress(len(questions))
    checks = []
    for n, question in enumerate(questions, 1):
        progress.step(n, question.id)
        checks.append(check_question(question, seeds, cuda))
    progress.done()
    _print_report(checks, cuda, out)
    return 1 if any(c.failure for c in checks) else 0


def _print_disagreements(disagreements: list[Disagreement], out: TextIO) -> None:
    """One block per (question, instance): its parts, printed vs computed, then how it was computed."""
    blocks: dict[tuple[str, str], list[Disagreement]] = {}
    for d in disagreements:
        blocks.setdefault((d.qid, d.instance), []).append(d)
    for (qid, instance), items in blocks.items():
        print(f"\n{qid} — {instance}", file=out)
        for d in items:
            print(f"  {d.part}: 인쇄값 {d.printed} · 계산값 {d.computed}", file=out)
        for method in dict.fromkeys(d.method for d in items):
            print(f"  계산 방법: {method}", file=out)


def _print_report(checks: list[QuestionCheck], cuda: bool, out: TextIO) -> None:
    print(f"장치: {'cpu + cuda (비교)' if cuda else 'cpu'}\n", file=out)
    rows = [(c.qid, c.instances, c.variants, "실패" if c.failure else "ok") for c in checks]
    print(format_table(("문제 ID", "교재 사례", "변형", "상태"), rows), file=out)
    disagreements = [d for c in checks for d in c.disagreements]
    if disagreements:
        print("\n인쇄값 불일치 (문서에 인쇄된 값이 계산값과 다름; 실패는 아님):", file=out)
        _print_disagreements(disagreements, out)
    failed = [c for c in checks if c.failure]
    if failed:
        print("\n실패한 검증기:", file=out)
        for c in failed:
            print(f"  {c.qid}: {c.failure.removeprefix(c.qid + ': ')}", file=out)
    runs = sum(c.instances + c.variants for c in checks)
    print(f"\n{len(checks)} questions, {runs} runs, {len(failed)} failed, "
          f"{len(disagreements)} printed values disagree", file=out)
