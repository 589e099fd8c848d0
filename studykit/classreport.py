"""Class item analysis: score distribution, difficulty (share correct), point-biserial discrimination and
the most common wrong answers per part with the misconceptions they match.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studykit.answers import CORRECT, FORMAT_ERROR, PARTIAL, UNGRADED, normalise

BUCKETS = 10  # 0–10 %, …, 90–100 %
TOP_WRONG = 3


@dataclass(frozen=True)
class QuestionStats:
    n: int
    id: str
    title: str
    difficulty: float  # share of students who got the whole question right
    mean_credit: float
    discrimination: float | None  # None when everyone (or no one) got it right, or totals do not vary


@dataclass(frozen=True)
class WrongAnswer:
    answer: str
    count: int
    misconception: str | None


@dataclass(frozen=True)
class PartStats:
    column: str
    share_correct: float
    format_errors: int
    wrong: tuple[WrongAnswer, ...]
    graded: bool


@dataclass(frozen=True)
class ClassReport:
    count: int
    max_score: float
    totals: tuple[float, ...]
    buckets: tuple[int, ...]
    questions: tuple[QuestionStats, ...]
    parts: tuple[PartStats, ...]


def point_biserial(item: Sequence[float], totals: Sequence[float]) -> float | None:
    """Correlation of a 0/1 item with the total: (M1 − M0)/s · √(p·q), s the population deviation."""
    n = len(item)
    if n < 2 or n != len(totals):
        return None
    ones = [t for i, t in zip(item, totals, strict=True) if i]
    p = len(ones) / n
    spread = statistics.pstdev(totals)
    if p in (0.0, 1.0) or spread == 0:
        return None
    zeros = [t for i, t in zip(item, totals, strict=True) if not i]
    return (statistics.fmean(ones) - statistics.fmean(zeros)) / spread * math.sqrt(p * (1 - p))


def histogram(percents: Sequence[float], buckets: int = BUCKETS) -> tuple[int, ...]:
    """Counts per equal-width bucket of 0..100 %; 100 % falls in the last bucket."""
    counts = [0] * buckets
    for value in percents:
        counts[min(buckets - 1, max(0, int(value * buckets // 100)))] += 1
    return tuple(counts)


def analyse(run: Any) -> ClassReport:
    grades = run.grades
    totals = tuple(g.score for g in grades)
    questions = []
    for index, mq in enumerate(run.manifest.questions):
        item = [1.0 if g.questions[index].correct else 0.0 for g in grades]
        credits = [g.questions[index].credit for g in grades]
        title = grades[0].questions[index].title if grades else mq.id
        questions.append(QuestionStats(mq.n, mq.id, title, statistics.fmean(item) if item else 0.0,
                                       statistics.fmean(credits) if credits else 0.0,
                                       point_biserial(item, totals)))
    parts = []
    for index, mq in enumerate(run.manifest.questions):
        for k, mp in enumerate(mq.parts):
            parts.append(_part_stats(mp.column, [g.questions[index].parts[k] for g in grades]))
    return ClassReport(len(grades), run.manifest.max_score if not grades else grades[0].max_score, totals,
                       histogram([g.percent for g in grades]), tuple(questions), tuple(parts))


def _part_stats(column: str, grades: Sequence[Any]) -> PartStats:
    graded = bool(grades) and grades[0].status != UNGRADED
    wrong: Counter[str] = Counter()
    named: dict[str, str | None] = {}
    for grade in grades:
        if grade.status in ("wrong", PARTIAL):
            key = normalise(grade.submitted)
            wrong[key] += 1
            named.setdefault(key, grade.misconception)
    top = tuple(WrongAnswer(answer, count, named[answer]) for answer, count in wrong.most_common(TOP_WRONG))
    share = sum(1 for g in grades if g.status == CORRECT) / len(grades) if grades else 0.0
    return PartStats(column, share, sum(1 for g in grades if g.status == FORMAT_ERROR), top, graded)


# --- output -------------------------------------------------------------------------------------

def _num(value: float) -> str:
    return format(round(value, 2), "g")


def _share(value: float) -> str:
    return f"{value * 100:.0f}%"


def _discrimination(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _question_rows(report: ClassReport) -> list[dict[str, Any]]:
    return [{"n": q.n, "id": q.id, "title": q.title, "difficulty": _share(q.difficulty),
             "mean_credit": _share(q.mean_credit), "discrimination": _discrimination(q.discrimination)}
            for q in report.questions]


def _part_rows(report: ClassReport) -> list[dict[str, Any]]:
    from studykit.feedback import code

    return [{"column": p.column, "share_correct": _share(p.share_correct) if p.graded else "채점 안 함",
             "format_errors": p.format_errors,
             "wrong": [{"answer": code(w.answer), "count": w.count, "misconception": w.misconception}
                       for w in p.wrong]}
            for p in report.parts]


def context(report: ClassReport, run: Any) -> dict[str, Any]:
    """Strings for class_report.md.j2."""
    totals = report.totals or (0.0,)
    mean = statistics.fmean(totals)
    width = max(report.buckets) or 1
    buckets = [{"label": _bucket_label(i), "count": c, "bar": "■" * round(20 * c / width)}
               for i, c in enumerate(report.buckets)]
    summary = {"count": report.count, "max_score": _num(report.max_score), "mean": _num(mean),
               "mean_percent": f"{100 * mean / (report.max_score or 1.0):.1f}",
               "median": _num(statistics.median(totals)), "low": _num(min(totals)), "high": _num(max(totals)),
               "stdev": _num(statistics.pstdev(totals)), "buckets": buckets,
               "questions": _question_rows(report), "parts": _part_rows(report)}
    return {"quiz": {"id": run.manifest.quiz_id, "title": run.manifest.title, "date": run.manifest.date},
            "missing": run.missing, "notes": run.notes, "report": summary}


def _bucket_label(i: int) -> str:
    return f"{i * 100 // BUCKETS}–{(i + 1) * 100 // BUCKETS}%"


def write_class_report(report: ClassReport, run: Any, stem: Path, formats: Sequence[str],
                       workspace: Path | None) -> list[Path]:
    from studykit.render import render_template, write_documents

    markdown = render_template("class_report.md.j2", context(report, run), workspace)
    return write_documents(markdown, stem, formats, f"채점 결과 분석 {run.manifest.title}".strip())


def _wrong_text(wrong: WrongAnswer) -> str:
    return f"{wrong.answer} ×{wrong.count}" + (f" ({wrong.misconception})" if wrong.misconception else "")


def terminal_summary(report: ClassReport) -> str:
    """The item analysis as a terminal table, then the distribution."""
    from studykit.bank import format_table

    rows = [[f"Q{q.n}", q.id, _share(q.difficulty), _share(q.mean_credit), _discrimination(q.discrimination)]
            for q in report.questions]
    lines = [format_table(("문항", "문제", "정답률", "평균 득점률", "변별도"), rows), ""]
    for i, count in enumerate(report.buckets):
        lines.append(f"{_bucket_label(i):>9} {count:>5} {'■' * min(count, 40)}")
    common = [f"{p.column}: " + ", ".join(_wrong_text(w) for w in p.wrong) for p in report.parts if p.wrong]
    if common:
        lines += ["", "자주 나온 오답:", *common]
    return "\n".join(lines)
