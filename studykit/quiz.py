"""`studykit quiz`: draw questions, give every student a seeded variant, write sheets, key and manifest.

Flow: select questions -> students (roster, anonymous or class-wide) -> variants (compute, cached and
deduplicated) -> Quiz model -> documents (quizdocs) -> files. The manifest is what `grade` reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import random
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from studykit import __version__
from studykit.errors import InputError, UsageError
from studykit.model import Bank, Question
from studykit.roster import CLASS_ID, Student, anonymous_students, class_wide, load_roster
from studykit.stores import AnswerStore
from studykit.values import format_exact
from studykit.verifiers.registry import Result

MANIFEST_FORMAT = "studykit-quiz/1"


@dataclass(frozen=True)
class Variant:
    """One student's version of one question: seed (None = the textbook instance), params, answers."""

    question: Question
    seed: int | None
    params: Mapping[str, Any]
    result: Result


@dataclass(frozen=True)
class Paper:
    """What one student gets: a variant of every question, in quiz order."""

    student: Student
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class Quiz:
    quiz_id: str
    title: str
    date: str | None
    course: str
    seed: int
    bank_hash: str
    questions: tuple[Question, ...]
    papers: tuple[Paper, ...]
    textbook: bool  # class-wide sheet from the textbook instances

    def columns(self) -> list[tuple[int, Question, str, str]]:
        """(n, question, part, column) for every answer part, in order: Q<n> or Q<n>.<part>."""
        return answer_columns(self.questions)


def answer_columns(questions: Sequence[Question]) -> list[tuple[int, Question, str, str]]:
    rows = []
    for n, question in enumerate(questions, 1):
        parts = question.part_names()
        for part in parts:
            rows.append((n, question, part, f"Q{n}" if len(parts) == 1 else f"Q{n}.{part}"))
    return rows


# --- selection ---------------------------------------------------------------------------------

def select_questions(bank: Bank, *, topics: Sequence[str] = (), tags: Sequence[str] = (),
                     ids: Sequence[str] = (), difficulty: Sequence[str] = (), count: int | None = None,
                     seed: int = 0) -> list[Question]:
    """The selection (whole bank without filters), in --ids order when ids are given, then --count."""
    chosen = bank.select(topics=topics, tags=tags, ids=ids, difficulty=difficulty)
    if ids:
        order = {qid: i for i, qid in enumerate(dict.fromkeys(ids))}
        chosen.sort(key=lambda q: order[q.id])
    if not chosen:
        raise UsageError("the selection matches no question (check --topic/--tag/--ids/--difficulty)")
    if count is None:
        return chosen
    if count < 1:
        raise UsageError(f"--count must be at least 1, not {count}")
    if count > len(chosen):
        raise UsageError(f"--count {count} is more than the {len(chosen)} questions the selection holds")
    # Seeded by the quiz seed and the selection, so the same inputs draw the same questions.
    digest = hashlib.sha256(f"studykit-count/1\x1f{seed}\x1f{','.join(q.id for q in chosen)}".encode())
    rng = random.Random(int.from_bytes(digest.digest()[:8], "big"))
    picked = sorted(rng.sample(range(len(chosen)), count))
    return [chosen[i] for i in picked]


def make_quiz_id(questions: Sequence[Question], seed: int, bank_hash: str, textbook: bool) -> str:
    """<topic>-s<seed>-<6 hex> (or <topic>-textbook-<hex>): stable for the same selection and bank."""
    topics = list(dict.fromkeys(q.topic for q in questions))
    prefix = topics[0] if len(topics) == 1 else "quiz"
    middle = "textbook" if textbook else f"s{seed}"
    text = "\x1f".join(["studykit-quiz-id/1", middle, bank_hash, *(q.id for q in questions)])
    return f"{prefix}-{middle}-{hashlib.sha256(text.encode()).hexdigest()[:6]}"


# --- variants ----------------------------------------------------------------------------------

def textbook_variant(question: Question, device: str, store: AnswerStore | None = None) -> Variant:
    from studykit.compute import compute

    params = question.default_params()
    result = compute(question, params, device, store=store)
    if not result.valid:
        raise InputError(f"{question.id}: the textbook parameters are invalid: {result.reason}",
                         question.loc)
    return Variant(question, None, params, result)


def student_variants(questions: Sequence[Question], students: Sequence[Student], seed: int,
                     device: str, store: AnswerStore | None = None) -> list[Paper]:
    """Every student's variants; parameters two students share are computed once (compute's cache),
    and parameters an earlier run computed come from the answer store."""
    from studykit.compute import draw_variant
    from studykit.variants import variant_seed

    papers = []
    for student in students:
        variants = []
        for question in questions:
            vseed = variant_seed(seed, student.student_id, question.id)
            params, result = draw_variant(question, vseed, device, store=store)
            variants.append(Variant(question, vseed, params, result))
        papers.append(Paper(student, tuple(variants)))
    return papers


def build_quiz(bank: Bank, questions: Sequence[Question], students: Sequence[Student] | None, *,
               seed: int = 0, title: str = "", date: str | None = None, course: str = "",
               device: str = "cpu", store: AnswerStore | None = None) -> Quiz:
    """The whole quiz in memory: students=None gives one class-wide paper from the textbook values."""
    textbook = students is None
    if textbook:
        variants = tuple(textbook_variant(q, device, store) for q in questions)
        papers = [Paper(class_wide()[0], variants)]
    else:
        papers = student_variants(questions, students, seed, device, store)
    quiz_id = make_quiz_id(questions, seed, bank.hash, textbook)
    return Quiz(quiz_id=quiz_id, title=title or default_title(questions), date=date, course=course,
                seed=seed, bank_hash=bank.hash, questions=tuple(questions), papers=tuple(papers),
                textbook=textbook)


def default_title(questions: Sequence[Question]) -> str:
    topics = list(dict.fromkeys(q.topic for q in questions))
    return (", ".join(topics[:3]) + (" 외" if len(topics) > 3 else "") + " 퀴즈").strip()


# --- manifest and key CSV ----------------------------------------------------------------------

def manifest(quiz: Quiz) -> dict[str, Any]:
    """The contract's manifest (docs/CONTRACTS.md): everything `grade` needs to recompute answers."""
    questions = []
    for n, question in enumerate(quiz.questions, 1):
        cols = {part: col for k, _, part, col in quiz.columns() if k == n}
        parts = [{"name": a.name, "kind": a.kind, "column": cols[a.name], "weight": a.weight}
                 for a in question.answers]
        questions.append({"n": n, "id": question.id, "points": question.points, "parts": parts})
    students = [{"student_id": p.student.student_id, "name": p.student.name,
                 "variants": {v.question.id: {"seed": v.seed, "params": dict(v.params)} for v in p.variants}}
                for p in quiz.papers]
    return {"format": MANIFEST_FORMAT, "quiz_id": quiz.quiz_id, "title": quiz.title, "date": quiz.date,
            "course": quiz.course, "seed": quiz.seed, "bank_hash": quiz.bank_hash,
            "studykit_version": __version__, "questions": questions, "students": students}


def manifest_text(quiz: Quiz) -> str:
    return json.dumps(manifest(quiz), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def answers_csv(quiz: Quiz) -> str:
    """key/answers.csv: student_id, name, then one column per answer part (values.format_exact)."""
    columns = quiz.columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "name", *(col for *_, col in columns)])
    for paper in quiz.papers:
        row = [paper.student.student_id, paper.student.name]
        for n, question, part, _ in columns:
            row.append(format_exact(question.answer(part).kind, paper.variants[n - 1].result.answers[part]))
        writer.writerow(row)
    return buffer.getvalue()


# --- the command -------------------------------------------------------------------------------

def check_date(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"--date must be an ISO date like 2026-12-01, not {text!r}") from None


def workspace_course(root: Path | None) -> str:
    if root is None:
        return ""
    from studykit.workspace import load_config

    return load_config(root).course


def students_from_args(args: Any) -> list[Student] | None:
    if args.roster is not None:
        return load_roster(Path(args.roster))
    if args.students is not None:
        return anonymous_students(args.students)
    return None


def warn_about_prompts(questions: Sequence[Question]) -> None:
    """A prompt that says 정답 (e.g. for a target label) puts the word on the sheets: say so, once each."""
    for question in questions:
        if "정답" in question.prompt:
            print(f"studykit: warning: {question.loc_of('prompt')}: {question.id}: the prompt says 정답, "
                  "which then appears on every sheet (목표값 or 레이블 would not)", file=sys.stderr)


def check_out_folder(folder: Path) -> None:
    """Refuse an --out with a file at it or above it before any variant is computed; create nothing yet
    (a later bad-input error must leave no empty folder behind)."""
    from studykit.render import prepare_folder

    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        prepare_folder(existing)  # raises UsageError "X is a file, not a folder; expected an output folder"


def run_quiz(args: Any, workspace: Path | None, out: TextIO) -> int:
    """`studykit quiz`: build the quiz and write manifest.json, sheets/, key/ (never sharing a folder)."""
    from studykit.bank import load_bank, resolve_workspace
    from studykit.quizdocs import check_formats, write_quiz
    from studykit.verifiers.registry import resolve_device

    formats = check_formats(args.format)
    date = check_date(args.date)
    if args.out is not None:
        check_out_folder(Path(args.out))
    root = resolve_workspace(workspace)
    bank = load_bank(root)
    questions = select_questions(bank, topics=args.topic, tags=args.tag, ids=args.ids,
                                 difficulty=args.difficulty, count=args.count, seed=args.seed)
    students = students_from_args(args)
    warn_about_prompts(questions)
    quiz_id = make_quiz_id(questions, args.seed, bank.hash, students is None)
    out_dir = Path(args.out) if args.out is not None else (root or Path.cwd()) / "quizzes" / quiz_id
    # Answers and converted HTML of earlier runs: in the workspace, else beside the quiz (docs/CONTRACTS.md).
    store = AnswerStore.at(root or out_dir)
    store.bank_hash = bank.hash
    quiz = build_quiz(bank, questions, students, seed=args.seed, title=args.title or "", date=date,
                      course=workspace_course(root), device=resolve_device(args.device), store=store)
    store.save()  # before the documents: a template error later still keeps the computed answers
    written = write_quiz(quiz, out_dir, formats, root, store_root=root or out_dir)
    who = "교재 값 (class)" if quiz.textbook else f"{len(quiz.papers)}명"
    print(f"퀴즈 {quiz.quiz_id}: {len(quiz.questions)}문제 · {who} → {out_dir}", file=out)
    print(f"  manifest.json, sheets/ ({written['sheets']}개), key/ ({written['key']}개 + answers.csv)",
          file=out)
    return 0


__all__ = ["CLASS_ID", "Paper", "Quiz", "Variant", "answer_columns", "answers_csv", "build_quiz",
           "make_quiz_id", "manifest", "manifest_text", "run_quiz", "select_questions"]
