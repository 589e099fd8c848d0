"""The SQLite gradebook: idempotent re-grading, one transaction per import (kill -9), `gradebook show`."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from studykit.gradebook import SLEEP_ENV, GradebookError, ImportRows, import_rows
from tests.conftest import DATA, REPO

sys.path.insert(0, str(DATA / "grading"))
import gradingfakes  # noqa: E402


def dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("quizzes", "students", "submissions", "part_results")}


@pytest.fixture
def quiz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> SimpleNamespace:
    """A 200-student anonymous quiz on the fixture bank, its key and a gradebook path."""
    gradingfakes.register(monkeypatch.setitem)
    ws = tmp_path / "ws"
    shutil.copytree(DATA / "grading" / "ws", ws)
    made = cli("-C", ws, "quiz", "--topic", "fix", "--students", "200", "--format", "md")
    assert made.code == 0, made.stderr
    manifest = next(ws.glob("quizzes/*/manifest.json"))
    return SimpleNamespace(ws=ws, manifest=manifest, key=manifest.parent / "key" / "answers.csv",
                           db=tmp_path / "book.sqlite", cli=cli)


def grade(q: SimpleNamespace, submissions: Path) -> int:
    result = q.cli("-C", q.ws, "grade", q.manifest, submissions, "--gradebook", q.db, "--format", "md",
                   "--out", q.ws / "graded")
    assert result.code == 0, result.stderr
    return result.code


def all_wrong(q: SimpleNamespace) -> Path:
    rows = list(csv.reader(io.StringIO(q.key.read_text(encoding="utf-8"))))
    path = q.ws / "wrong.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([rows[0], *([r[0], r[1], *["0"] * (len(r) - 2)] for r in rows[1:])])
    return path


def test_regrading_the_same_submissions_changes_nothing(quiz: SimpleNamespace) -> None:
    grade(quiz, quiz.key)
    first, sizes = dump(quiz.db), counts(quiz.db)
    # 8 answer columns
    assert sizes == {"quizzes": 1, "students": 200, "submissions": 200, "part_results": 200 * 8}
    grade(quiz, quiz.key)
    assert dump(quiz.db) == first and counts(quiz.db) == sizes
    grade(quiz, all_wrong(quiz))
    assert dump(quiz.db) != first and counts(quiz.db) == sizes  # new answers update rows, add none
    grade(quiz, quiz.key)
    assert dump(quiz.db) == first


def test_kill_minus_9_inside_the_import_leaves_the_gradebook_as_it_was(quiz: SimpleNamespace) -> None:
    grade(quiz, quiz.key)
    before = dump(quiz.db)
    cmd = [sys.executable, str(DATA / "grading" / "gradingfakes.py"), "-C", str(quiz.ws), "grade",
           str(quiz.manifest), str(all_wrong(quiz)), "--gradebook", str(quiz.db), "--format", "md"]
    env = {**os.environ, "PYTHONPATH": str(REPO), SLEEP_ENV: "60"}
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        line = proc.stderr.readline()
        assert "inside transaction" in line, line + proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert dump(quiz.db) == before
    grade(quiz, all_wrong(quiz))  # the same import, not killed, does change the gradebook
    assert dump(quiz.db) != before


def test_a_failing_import_rolls_back(tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite"
    quiz_row = ("q1", "t", "", "", "h", "h", 0, 1.0, "m.json")
    good = ImportRows(quiz_row, [("s1", "가")], [("q1", "s1", "", "f:2", 1.0, 1.0)],
                      [("q1", "s1", "Q1", 1, "x.y", "p", "integer", "3", "correct", 1.0, 1.0, "3", None, "")],
                      ["Q1"])
    assert import_rows(db, good) == 4
    before = dump(db)
    broken = ImportRows(("q1", "t2", "", "", "h", "h", 0, 1.0, "m.json"), [("s2", "나")],
                        [("q1", "s2", "", "f:3", 0.0, 1.0)], [("q1", "s2", "Q1")], ["Q1"])
    with pytest.raises(GradebookError, match="nothing was written") as info:
        import_rows(db, broken)
    assert info.value.exit_code == 1
    assert dump(db) == before


def test_gradebook_show_csv_and_table(quiz: SimpleNamespace) -> None:
    grade(quiz, quiz.key)
    shown = quiz.cli("gradebook", "show", "--csv", "--gradebook", quiz.db)
    assert shown.code == 0
    rows = list(csv.reader(io.StringIO(shown.stdout)))
    assert rows[0] == ["student_id", "name", "quiz", "score", "max_score", "percent"]
    assert len(rows) == 201 and rows[1][0] == "S001" and rows[1][3:] == ["7", "7", "100.0"]
    one = quiz.cli("gradebook", "show", "--student", "S002", "--csv", "--gradebook", quiz.db)
    assert [r[0] for r in csv.reader(io.StringIO(one.stdout))] == ["student_id", "S002"]
    table = quiz.cli("gradebook", "show", "--quiz", rows[1][2], "--gradebook", quiz.db)
    assert "학번" in table.stdout and "S200" in table.stdout
    none = quiz.cli("gradebook", "show", "--quiz", "no-such-quiz", "--gradebook", quiz.db)
    assert none.code == 0 and "없음" in none.stdout


def test_gradebook_default_path_and_missing_file(quiz: SimpleNamespace) -> None:
    missing = quiz.cli("-C", quiz.ws, "gradebook", "show")
    assert missing.code == 2 and "no gradebook at" in missing.stderr
    result = quiz.cli("-C", quiz.ws, "grade", quiz.manifest, quiz.key, "--format", "md")
    assert result.code == 0
    assert (quiz.ws / ".studykit" / "gradebook.sqlite").is_file()
    assert "S001" in quiz.cli("-C", quiz.ws, "gradebook", "show").stdout


def test_not_a_gradebook(tmp_path: Path, cli) -> None:
    fake = tmp_path / "x.sqlite"
    fake.write_text("not sqlite", encoding="utf-8")
    result = cli("gradebook", "show", "--gradebook", fake)
    assert result.code == 2 and "x.sqlite" in result.stderr
