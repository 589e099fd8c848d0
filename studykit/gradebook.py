"""The gradebook: SQLite (quizzes, students, submissions, part_results) and `studykit gradebook show`.

Every import runs in one transaction (BEGIN IMMEDIATE … COMMIT): a crash or kill -9 half way leaves
the file as it was. Rows have natural unique keys and are upserted, so grading the same submissions
again changes nothing (same row counts, same values).
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from studykit.errors import InputError, Location, StudykitError, UsageError

# Test hook: seconds to sleep inside the import transaction (the kill -9 test needs a window).
SLEEP_ENV = "STUDYKIT_TEST_GRADEBOOK_SLEEP"

SCHEMA = """
CREATE TABLE IF NOT EXISTS quizzes (
  quiz_id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT NOT NULL, course TEXT NOT NULL,
  manifest_bank_hash TEXT NOT NULL, graded_bank_hash TEXT NOT NULL, forced INTEGER NOT NULL,
  max_score REAL NOT NULL, manifest_path TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (student_id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
  quiz_id TEXT NOT NULL REFERENCES quizzes(quiz_id), student_id TEXT NOT NULL REFERENCES students(student_id),
  submitted_at TEXT NOT NULL, source TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL,
  PRIMARY KEY (quiz_id, student_id));
CREATE TABLE IF NOT EXISTS part_results (
  quiz_id TEXT NOT NULL, student_id TEXT NOT NULL, column_name TEXT NOT NULL,
  question_n INTEGER NOT NULL, question_id TEXT NOT NULL, part TEXT NOT NULL, kind TEXT NOT NULL,
  submitted TEXT NOT NULL, status TEXT NOT NULL, credit REAL NOT NULL, weight REAL NOT NULL,
  expected TEXT NOT NULL, misconception TEXT, message TEXT NOT NULL,
  PRIMARY KEY (quiz_id, student_id, column_name),
  FOREIGN KEY (quiz_id, student_id) REFERENCES submissions(quiz_id, student_id)) WITHOUT ROWID;
"""

_UPSERT = {
    "quizzes": ("quiz_id", ("title", "date", "course", "manifest_bank_hash", "graded_bank_hash", "forced",
                            "max_score", "manifest_path")),
    "students": ("student_id", ("name",)),
    "submissions": ("quiz_id, student_id", ("submitted_at", "source", "score", "max_score")),
    "part_results": ("quiz_id, student_id, column_name",
                     ("question_n", "question_id", "part", "kind", "submitted", "status", "credit", "weight",
                      "expected", "misconception", "message")),
}


class GradebookError(StudykitError):
    """The import failed (locked or damaged file); the transaction was rolled back, nothing changed."""

    exit_code = 1


def _upsert_sql(table: str) -> str:
    keys, values = _UPSERT[table]
    columns = [k.strip() for k in keys.split(",")] + list(values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in values)
    if table == "students":  # a file without names must not erase a known name
        updates = "name = CASE WHEN excluded.name != '' THEN excluded.name ELSE students.name END"
    marks = ", ".join("?" for _ in columns)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}")


@dataclass(frozen=True)
class ImportRows:
    """Plain rows for one import, in the column order of _UPSERT (keys first)."""

    quiz: tuple[Any, ...]
    students: Sequence[tuple[Any, ...]]
    submissions: Sequence[tuple[Any, ...]]
    parts: Sequence[tuple[Any, ...]]
    columns: Sequence[str]  # the quiz's answer columns: rows for other columns are dropped


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating) the gradebook; autocommit mode so transactions are explicit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.executescript(SCHEMA)
    except sqlite3.DatabaseError as exc:
        raise InputError(f"not a studykit gradebook: {exc}", Location(path)) from None
    return conn


def import_rows(path: Path, rows: ImportRows) -> int:
    """Upsert every row in ONE transaction; returns the number of rows written."""
    conn = connect(path)
    try:
        _import(conn, rows)
    except sqlite3.Error as exc:
        raise GradebookError(f"gradebook import failed, nothing was written: {exc}", Location(path)) from None
    finally:
        conn.close()
    return 1 + len(rows.students) + len(rows.submissions) + len(rows.parts)


def _import(conn: sqlite3.Connection, rows: ImportRows) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_upsert_sql("quizzes"), rows.quiz)
        conn.executemany(_upsert_sql("students"), rows.students)
        conn.executemany(_upsert_sql("submissions"), rows.submissions)
        _upsert_parts(conn, rows.parts)
        marks = ", ".join("?" for _ in rows.columns)
        conn.execute(f"DELETE FROM part_results WHERE quiz_id = ? AND column_name NOT IN ({marks})",
                     (rows.quiz[0], *rows.columns))
        _test_pause()
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


_PART_KEYS = ("quiz_id", "student_id", "column_name")


def _upsert_parts(conn: sqlite3.Connection, parts: Sequence[tuple[Any, ...]]) -> None:
    """part_results rows through two temporary tables, keys and the distinct rest, joined in SQL.

    Students share graded parts, so binding 3 keys and an index per row instead of 14 values halves
    the import of 10,000 × 20 rows; the upsert itself is the same statement's ON CONFLICT clause.
    """
    rest_columns = _UPSERT["part_results"][1]
    conn.execute("PRAGMA temp_store = MEMORY")  # the staging tables only; the gradebook is unaffected
    conn.execute("CREATE TEMP TABLE staged_keys (quiz_id, student_id, column_name, rest INTEGER)")
    conn.execute(f"CREATE TEMP TABLE staged_rest (id INTEGER PRIMARY KEY, {', '.join(rest_columns)})")
    rests: dict[tuple[Any, ...], int] = {}
    keys = [(*row[:3], rests.setdefault(row[3:], len(rests))) for row in parts]
    marks = ", ".join("?" for _ in range(1 + len(rest_columns)))
    conn.executemany(f"INSERT INTO temp.staged_rest VALUES ({marks})",
                     [(i, *rest) for rest, i in rests.items()])
    conn.executemany("INSERT INTO temp.staged_keys VALUES (?, ?, ?, ?)", keys)
    upsert = _upsert_sql("part_results")
    columns = ", ".join([f"k.{c}" for c in _PART_KEYS] + [f"r.{c}" for c in rest_columns])
    conn.execute(upsert[:upsert.index(" VALUES")] + f" SELECT {columns} FROM temp.staged_keys k "
                 "JOIN temp.staged_rest r ON r.id = k.rest WHERE true ORDER BY k.rowid"
                 + upsert[upsert.index(" ON CONFLICT"):])
    conn.execute("DROP TABLE temp.staged_keys")
    conn.execute("DROP TABLE temp.staged_rest")


def _test_pause() -> None:
    seconds = os.environ.get(SLEEP_ENV)
    if seconds:
        print("gradebook: inside transaction", file=sys.stderr, flush=True)
        time.sleep(float(seconds))


def import_run(path: Path, run: Any) -> int:
    """Import a grading.GradeRun: the quiz, its students, their scores and every part's result."""
    from studykit.values import format_exact

    manifest = run.manifest
    quiz = (manifest.quiz_id, manifest.title, manifest.date, manifest.course, manifest.bank_hash,
            run.graded_bank_hash or manifest.bank_hash, int(run.forced), manifest.max_score,
            str(manifest.path.resolve()))
    students, submissions, parts = [], [], []
    tails: dict[int, tuple[Any, ...]] = {}  # graded parts are shared between students (memo)
    files: dict[Any, str] = {}
    for grade in run.grades:
        sub = grade.submission
        students.append((grade.student_id, grade.name))
        if sub.source.path not in files:
            files[sub.source.path] = str(Path(sub.source.path).resolve())
        source = f"{files[sub.source.path]}:{sub.source.line or ''}".rstrip(":")
        submissions.append((manifest.quiz_id, grade.student_id, sub.submitted_at, source,
                            round(grade.score, 9), grade.max_score))
        for mq, qg in zip(manifest.questions, grade.questions, strict=True):
            for mp, pg in zip(mq.parts, qg.parts, strict=True):
                tail = tails.get(id(pg))
                if tail is None:
                    tail = tails[id(pg)] = (qg.n, qg.id, pg.part, pg.kind, pg.submitted, pg.status, pg.credit,
                                            pg.weight, format_exact(pg.kind, pg.expected), pg.misconception,
                                            pg.message)
                parts.append((manifest.quiz_id, grade.student_id, mp.column, *tail))
    return import_rows(path, ImportRows(quiz, students, submissions, parts, manifest.columns()))


# --- gradebook show -----------------------------------------------------------------------------

SHOW_COLUMNS = ("student_id", "name", "quiz", "score", "max_score", "percent")


def default_path(workspace: Path | None) -> Path:
    from studykit.paths import find_workspace

    root = find_workspace(Path(workspace) if workspace else None, required=True)
    assert root is not None
    return root / ".studykit" / "gradebook.sqlite"


def totals(path: Path, student: str | None = None, quiz: str | None = None) -> list[tuple[Any, ...]]:
    """One row per student and quiz: SHOW_COLUMNS, ordered by quiz then student."""
    if not path.is_file():
        raise UsageError(f"no gradebook at {path} (run `studykit grade` first, or pass --gradebook PATH)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"cannot open gradebook: {exc}", Location(path)) from None
    query = ("SELECT s.student_id, st.name, s.quiz_id, s.score, s.max_score FROM submissions s "
             "JOIN students st ON st.student_id = s.student_id WHERE (? IS NULL OR s.student_id = ?) "
             "AND (? IS NULL OR s.quiz_id = ?) ORDER BY s.quiz_id, s.student_id")
    try:
        rows = conn.execute(query, (student, student, quiz, quiz)).fetchall()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"not a studykit gradebook: {exc}", Location(path)) from None
    finally:
        conn.close()
    return [(sid, name, qid, score, top, round(100.0 * score / top, 1) if top else 0.0)
            for sid, name, qid, score, top in rows]


def _number(value: float) -> str:
    return format(round(value, 4), "g")


def format_rows(rows: Iterable[tuple[Any, ...]], as_csv: bool) -> str:
    rows = [(sid, name, qid, _number(score), _number(top), f"{pct:.1f}")
            for sid, name, qid, score, top, pct in rows]
    if as_csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(SHOW_COLUMNS)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    from studykit.bank import format_table

    return format_table(("학번", "이름", "퀴즈", "점수", "만점", "백분율(%)"), rows)


def run_gradebook_show(student: str | None, quiz: str | None, as_csv: bool, gradebook: Path | None,
                       workspace: Path | None, out: TextIO) -> int:
    """`studykit gradebook show [--student ID] [--quiz ID] [--csv]`."""
    path = Path(gradebook) if gradebook else default_path(workspace)
    rows = totals(path, student, quiz)
    if not rows and not as_csv:
        print("성적부에 해당하는 기록이 없음", file=out)
        return 0
    print(format_rows(rows, as_csv), file=out)
    return 0
