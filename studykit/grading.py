"""`studykit grade`: manifest + submissions -> recomputed answers -> part grades -> gradebook and documents.

The flow: load_manifest -> read_submission_files/latest_per_student -> grade_all (expected answers
recomputed with compute() from each student's recorded params, once per distinct variant) -> the
gradebook import (one transaction) -> feedback per student, class report, scores.csv, terminal table.

Exit codes: 0 every submission was graded; 1 some were graded and some could not be (unknown student,
malformed row or file: one warning line each on stderr); 2 nothing could be graded (bad manifest, bank
changed without --force, no readable submission).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from studykit.answers import UNGRADED, ExpectedValueError, PartGrade, compare
from studykit.errors import InputError, Location, StudykitError, UsageError, VerifierFailed, raise_collected
from studykit.manifest import CLASS_ID, Manifest, ManifestPart, ManifestQuestion, Variant, load_manifest
from studykit.stores import AnswerStore
from studykit.submissions import Submission, latest_per_student, read_submission_files

# --- grades -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuestionGrade:
    """One question of one student; totals computed once (question_grade): reports read them often."""

    n: int
    id: str
    title: str
    points: float
    parts: tuple[PartGrade, ...]
    variant: Variant
    max_score: float  # the points, or 0 when no part is auto-graded (text only)
    credit: float  # weighted share of the graded parts, 0..1
    correct: bool  # every graded part fully right

    @property
    def score(self) -> float:
        return self.max_score * self.credit


def question_grade(n: int, qid: str, title: str, points: float, parts: tuple[PartGrade, ...],
                   variant: Variant) -> QuestionGrade:
    graded = [p for p in parts if p.status != UNGRADED]
    weight = sum(p.weight for p in graded)
    credit = sum(p.score for p in graded) / weight if weight else 0.0
    return QuestionGrade(n, qid, title, points, parts, variant, points if weight > 0 else 0.0, credit,
                         all(p.status == "correct" for p in graded))


@dataclass(frozen=True)
class StudentGrade:
    student_id: str
    name: str
    questions: tuple[QuestionGrade, ...]
    submission: Submission
    score: float
    max_score: float

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclass
class Expectations:
    """Expected answers per distinct (question, params), computed once with studykit.compute."""

    bank: Any
    device: str = "cpu"
    cache: dict[tuple[str, str], tuple[Any, Any]] = field(default_factory=dict)
    store: Any = None  # stores.AnswerStore: results `quiz` (or an earlier grade) recorded; misses added

    def get(self, qid: str, variant: Variant) -> tuple[Any, Any]:
        """(Question, Result) for this variant; an invalid recorded variant is a verifier failure."""
        key = (qid, variant.key)
        found = self.cache.get(key)
        if found is None:
            from studykit.compute import compute

            question = self.bank.get(qid)
            result = compute(question, variant.params, self.device, store=self.store)
            if not result.valid:
                raise VerifierFailed(f"{qid}: recorded parameters {variant.key} are now invalid: "
                                     f"{result.reason}", question.loc)
            found = self.cache[key] = (question, result)
        return found


def grade_submission(manifest: Manifest, submission: Submission, expectations: Expectations,
                     memo: dict[tuple[Any, ...], Any] | None = None) -> StudentGrade:
    """Every part of every question; identical answers to the same variant are graded once (memo)."""
    memo = {} if memo is None else memo
    variants = manifest.variants_of(submission.student_id)
    if variants is None:
        raise InputError(f"student {submission.student_id!r} is not in quiz {manifest.quiz_id}",
                         submission.source)
    questions = []
    for mq in manifest.questions:
        variant = variants[mq.id]
        raws = tuple(submission.answers.get(mp.column, "") for mp in mq.parts)
        key = (mq.n, variant.key, raws)
        graded = memo.get(key)
        if graded is None:
            graded = memo[key] = _grade_question(mq, variant, raws, expectations, memo)
        questions.append(graded)
    name = submission.name or manifest.names.get(submission.student_id, "")
    return StudentGrade(submission.student_id, name, tuple(questions), submission,
                        sum(q.score for q in questions), sum(q.max_score for q in questions))


def _grade_question(mq: ManifestQuestion, variant: Variant, raws: tuple[str, ...], expectations: Expectations,
                    memo: dict[tuple[Any, ...], Any]) -> QuestionGrade:
    question, result = expectations.get(mq.id, variant)
    parts = []
    for mp, raw in zip(mq.parts, raws, strict=True):
        key = (mq.id, variant.key, mp.name, mp.weight, raw)
        grade = memo.get(key)
        if grade is None:
            grade = memo[key] = _grade_part(question, mp, raw, result)
        parts.append(grade)
    return question_grade(mq.n, mq.id, question.title, mq.points, tuple(parts), variant)


def _grade_part(question: Any, part: ManifestPart, raw: str, result: Any) -> PartGrade:
    try:
        spec = question.answer(part.name)
    except KeyError:
        raise VerifierFailed(f"{question.id}: part {part.name!r} of the manifest is no longer in the bank "
                             "question", question.loc) from None
    try:
        return compare(spec, raw, result.answers[part.name], result.misconceptions.get(part.name),
                       weight=part.weight)
    except ExpectedValueError as exc:
        raise VerifierFailed(f"{question.id}: {exc}", question.loc) from None


@dataclass
class GradeRun:
    """Everything one `grade` produced: grades, problems (one line each) and notes."""

    manifest: Manifest
    expectations: Expectations
    grades: list[StudentGrade]
    problems: list[StudykitError]
    notes: list[str]
    missing: list[str]  # manifest students without a submission
    forced: bool = False
    graded_bank_hash: str = ""


def grade_files(manifest: Manifest, paths: Sequence[Path], expectations: Expectations) -> GradeRun:
    """Read every submission file, keep each student's latest, grade the known ones."""
    submissions, problems = read_submission_files(paths, manifest.columns())
    latest, notes = latest_per_student(submissions)
    memo: dict[tuple[Any, ...], Any] = {}
    grades = []
    from studykit.roster import ID_RE

    for submission in latest:
        if not ID_RE.match(submission.student_id):
            problems.append(InputError(f"student_id {submission.student_id!r} must be letters, digits, "
                                       "'.', '_' or '-'", submission.source))
            continue
        try:
            grades.append(grade_submission(manifest, submission, expectations, memo))
        except InputError as exc:
            problems.append(exc)
    seen = {g.student_id for g in grades}
    missing = [sid for sid in manifest.students if sid not in seen and sid != CLASS_ID]
    return GradeRun(manifest, expectations, grades, problems, notes, missing)


def check_bank(manifest: Manifest, bank: Any, force: bool) -> list[str]:
    """Refuse a manifest made with another bank unless --force; every question id must still exist."""
    unknown = [q.id for q in manifest.questions if q.id not in bank.ids()]
    if unknown:
        raise InputError(f"question {unknown[0]!r} of the quiz is not in the installed bank",
                         Location(manifest.path))
    if manifest.bank_hash == bank.hash:
        return []
    if not force:
        raise InputError(f"the quiz was made with bank {manifest.bank_hash[:19]}…, the installed bank is "
                         f"{bank.hash[:19]}… (questions or verifiers changed); --force regrades with the "
                         "current bank", Location(manifest.path))
    return [f"--force: 문제은행이 바뀜 ({manifest.bank_hash[:19]}… → {bank.hash[:19]}…); "
            "현재 문제은행으로 다시 계산함"]


def check_recorded_params(manifest: Manifest, bank: Any) -> None:
    """Each distinct recorded variant holds every parameter of its question, each of its kind (a hand-
    edited manifest is a one-line InputError here, not a verifier failure later)."""
    from studykit.compute import check_params

    where = Location(manifest.path)
    questions = {q.id: bank.get(q.id) for q in manifest.questions}
    checked: set[tuple[str, str]] = set()  # a class shares few variants: check each distinct one once
    for sid, by_question in manifest.students.items():
        for qid, question in questions.items():
            variant = by_question[qid]
            if (qid, variant.key) not in checked:
                check_params(question, variant.params, where, complete=True,
                             context=f"student {sid}'s recorded params for ")
                checked.add((qid, variant.key))


def run_grade(manifest: Path, submissions: Sequence[Path], out_dir: Path | None, gradebook: Path | None,
              force: bool, formats: Sequence[str], workspace: Path | None, out: TextIO,
              err: TextIO | None = None) -> int:
    """`studykit grade`: see the module docstring for the flow and the exit codes."""
    from studykit.bank import load_bank
    from studykit.paths import find_workspace
    from studykit.render import FORMATS, prepare_folder

    err = err or sys.stderr
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(f"--format: unknown {(unknown or [''])[0]!r}; expected some of {', '.join(FORMATS)}")
    def workspace_of(path: Path) -> Path | None:
        return find_workspace(Path(workspace), required=True) if workspace is not None else \
            find_workspace(path.resolve().parent, required=False)

    loaded = load_manifest(Path(manifest), index_root=lambda path: workspace_of(path) or path.parent)
    ws = workspace_of(loaded.path)
    bank = load_bank(ws)
    forced = check_bank(loaded, bank, force)
    check_recorded_params(loaded, bank)
    root = ws or loaded.path.parent  # where `quiz` keeps its answer store (docs/CONTRACTS.md)
    store = AnswerStore.at(root)
    store.bank_hash = bank.hash
    run = grade_files(loaded, [Path(p) for p in submissions], Expectations(bank, store=store))
    run.notes[:0] = forced
    run.forced, run.graded_bank_hash = bool(forced), bank.hash
    if not run.grades:
        raise_collected(run.problems or [InputError("no submission to grade", Location(submissions[0]))])
    db = Path(gradebook) if gradebook else root / ".studykit" / "gradebook.sqlite"
    out_dir = Path(out_dir) if out_dir else loaded.path.parent / "graded"
    prepare_folder(out_dir)  # a file in the way is refused before the gradebook is written
    write_outputs(run, out_dir, db, formats, ws, out)
    store.save()
    for problem in run.problems:
        print(f"studykit: warning: {problem}", file=err)
    return 1 if run.problems else 0


def write_outputs(run: GradeRun, out_dir: Path, db: Path, formats: Sequence[str], workspace: Path | None,
                  out: TextIO) -> None:
    """Gradebook import first (all or nothing), then scores.csv, feedback, class report, terminal table."""
    from studykit import classreport, feedback, gradebook

    count = gradebook.import_run(db, run)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "scores.csv").write_text(feedback.scores_csv(run), encoding="utf-8")
    written = feedback.write_feedback(run, out_dir / "feedback", formats, workspace)
    report = classreport.analyse(run)
    classreport.write_class_report(report, run, out_dir / "class_report", formats, workspace)
    print(feedback.score_table(run), file=out)
    print(file=out)
    print(classreport.terminal_summary(report), file=out)
    for note in run.notes:
        print(f"참고: {note}", file=out)
    if run.missing:
        more = " …" if len(run.missing) > 20 else ""
        print(f"미제출 {len(run.missing)}명: {', '.join(run.missing[:20])}{more}", file=out)
    print(f"채점: {len(run.grades)}명 → {out_dir} (피드백 {written}개, class_report, scores.csv); "
          f"성적부 {db} ({count}행)", file=out)
