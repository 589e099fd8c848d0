"""Per-student feedback in the 오답노트 form of seed 000, the score table and scores.csv.

For every question not fully correct: [문제 N] and the prompt, then per part 제출한 답 · 정답 · 틀린 이유
(the misconception it matches, "형식 오류: …" or "값이 다름"), then 풀이 (compute.render_solution).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from studykit.answers import CORRECT, FORMAT_ERROR, PARTIAL, UNGRADED, PartGrade
from studykit.values import format_display

STATUS_LABELS = {CORRECT: "정답", PARTIAL: "부분 점수", "wrong": "오답", FORMAT_ERROR: "형식 오류",
                 UNGRADED: "채점 안 함"}


def code(text: str) -> str:
    """A Markdown code span that shows text literally (no emphasis from *, no math from $)."""
    text = str(text).replace("\n", " ").strip()
    if not text:
        return "(빈 답)"
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def number(value: float) -> str:
    """A score as people write it: 2, 1.5, 0.67."""
    return format(round(value, 2), "g")


def reason(grade: PartGrade) -> str:
    """틀린 이유 for one part."""
    if grade.status == FORMAT_ERROR:
        return f"형식 오류: {grade.message}"
    if grade.status == UNGRADED:
        return "채점하지 않음 (서술형): 모범 답안과 비교해 보세요"
    if grade.status == CORRECT:
        return "정답"
    why = grade.misconception or "값이 다름"
    if grade.status == PARTIAL:
        why += f" (부분 점수 {number(grade.credit * 100)}%)"
    return why


def expected_text(spec: Any, value: Any) -> str:
    """정답 as documents show it, with the unit."""
    if spec.kind == "choice" and isinstance(value, (list, tuple)):
        shown = ", ".join(str(v) for v in value)
    else:
        shown = format_display(spec.kind, value, spec.tolerance)
    return f"{shown} {spec.unit}".strip() if spec.unit else shown


class FeedbackBuilder:
    """One student's feedback context. A question block ([문제 N] … 풀이) depends only on the question,
    the variant and the answers, which students share (the grader memoises QuestionGrade objects), so
    each distinct block is rendered once."""

    def __init__(self, run: Any, workspace: Path | None) -> None:
        from studykit.render import template_env

        env = template_env(workspace)
        self.page = env.get_template("feedback.md.j2")
        self.block = env.get_template("feedback_question.md.j2")
        self.run = run
        self.texts: dict[tuple[str, str], tuple[str, str]] = {}
        self.blocks: dict[int, str] = {}
        self.rows: dict[int, dict[str, str]] = {}

    def prompt_and_solution(self, qid: str, variant: Any) -> tuple[str, str]:
        key = (qid, variant.key)
        if key not in self.texts:
            from studykit.compute import render_prompt, render_solution

            question, result = self.run.expectations.get(qid, variant)
            self.texts[key] = (render_prompt(question, variant.params).strip(),
                               render_solution(question, variant.params, result).strip())
        return self.texts[key]

    def part_row(self, question: Any, grade: PartGrade) -> dict[str, str]:
        """One part's fields as Markdown, and `row`, the ready pipe-table row (parts repeat: cached)."""
        found = self.rows.get(id(grade))
        if found is None:
            from studykit.render import md_escape

            spec = question.answer(grade.part)
            found = {"label": spec.display_label(), "submitted": code(grade.submitted),
                     "expected": code(expected_text(spec, grade.expected)),
                     "status": STATUS_LABELS[grade.status], "reason": reason(grade)}
            cells = (found["label"], found["submitted"], found["expected"], found["reason"])
            found["row"] = "| " + " | ".join(md_escape(c) for c in cells) + " |"
            self.rows[id(grade)] = found
        return found

    def question_block(self, qg: Any) -> str:
        found = self.blocks.get(id(qg))
        if found is None:
            question, _ = self.run.expectations.get(qg.id, qg.variant)
            prompt, solution = self.prompt_and_solution(qg.id, qg.variant)
            parts = [self.part_row(question, p) for p in qg.parts]
            context = {"n": qg.n, "title": qg.title, "prompt": prompt, "solution": solution,
                       "score": number(qg.score), "points": number(qg.max_score), "parts": parts}
            found = self.blocks[id(qg)] = self.block.render(q=context)
        return found

    def render(self, grade: Any) -> str:
        manifest = self.run.manifest
        return self.page.render(
            quiz={"id": manifest.quiz_id, "title": manifest.title, "date": manifest.date},
            student={"id": grade.student_id, "name": grade.name},
            score=number(grade.score), max_score=number(grade.max_score), percent=f"{grade.percent:.1f}",
            questions=[self.question_block(q) for q in grade.questions if not q.correct],
            correct=[str(q.n) for q in grade.questions if q.correct], forced=self.run.forced)


def write_feedback(run: Any, folder: Path, formats: Sequence[str], workspace: Path | None) -> int:
    """<folder>/<student_id>.md (and .html …) for every graded student; returns the number written."""
    from studykit.render import write_documents

    builder = FeedbackBuilder(run, workspace)
    jobs = [(builder.render(g), folder / g.student_id, f"오답노트 {g.student_id} {g.name}".strip())
            for g in run.grades]
    folder.mkdir(parents=True, exist_ok=True)
    if list(formats) == ["md"]:
        # One open/write/close per file; threads only add contention here (bench/bench_grade.py).
        from studykit.stores import write_text_files

        write_text_files([(stem.with_suffix(".md"), markdown) for markdown, stem, _ in jobs])
        return len(jobs)
    # pandoc runs as a subprocess per file: threads overlap them.
    with ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 1))) as pool:
        list(pool.map(lambda job: write_documents(job[0], job[1], formats, job[2]), jobs))
    return len(jobs)


# --- tables -------------------------------------------------------------------------------------

def score_rows(run: Any) -> list[list[str]]:
    rows = []
    for grade in run.grades:
        errors = sum(1 for q in grade.questions for p in q.parts if p.status == FORMAT_ERROR)
        rows.append([grade.student_id, grade.name, number(grade.score), number(grade.max_score),
                     f"{grade.percent:.1f}", str(errors)])
    return rows


def score_table(run: Any) -> str:
    from studykit.bank import format_table

    title = f"{run.manifest.title} ({run.manifest.quiz_id})"
    headers = ("학번", "이름", "점수", "만점", "백분율(%)", "형식 오류")
    return title + "\n" + format_table(headers, score_rows(run))


def scores_csv(run: Any) -> str:
    """student_id,name,quiz,score,max_score,percent, then each question's score (Q1, Q2, …)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "name", "quiz", "score", "max_score", "percent",
                     *(f"Q{q.n}" for q in run.manifest.questions)])
    for grade in run.grades:
        writer.writerow([grade.student_id, grade.name, run.manifest.quiz_id, number(grade.score),
                         number(grade.max_score), f"{grade.percent:.1f}",
                         *(number(q.score) for q in grade.questions)])
    return buffer.getvalue()
