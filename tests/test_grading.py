"""`studykit grade` end to end on a fixture bank: key scores 100 %, perturbations, misconceptions, bad input.

The last test does the same on the built-in bank with the real verifiers."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sqlite3
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from studykit.values import format_exact
from tests.conftest import DATA

sys.path.insert(0, str(DATA / "grading"))
import gradingfakes  # noqa: E402

ROSTER = "학번,이름\n201500629,김영연\n201502469,이재은\n201402665,이충현\n201403474,최진성\n"


@pytest.fixture
def quiz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> SimpleNamespace:
    """A workspace with the fixture bank and a 4-student quiz made by `studykit quiz`."""
    gradingfakes.register(monkeypatch.setitem)
    ws = tmp_path / "ws"
    shutil.copytree(DATA / "grading" / "ws", ws)
    (ws / "roster.csv").write_text(ROSTER, encoding="utf-8")
    made = cli("-C", ws, "quiz", "--topic", "fix", "--roster", ws / "roster.csv", "--format", "md",
               "--seed", "3")
    assert made.code == 0, made.stderr
    manifest = next(ws.glob("quizzes/*/manifest.json"))
    return SimpleNamespace(ws=ws, manifest=manifest, key=manifest.parent / "key" / "answers.csv",
                           data=json.loads(manifest.read_text(encoding="utf-8")), cli=cli)


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def grade(q: SimpleNamespace, *files: Path, extra: tuple[str, ...] = ()) -> SimpleNamespace:
    out = q.ws / "graded-test"
    result = q.cli("-C", q.ws, "grade", q.manifest, *files, "--out", out, "--format", "md", *extra)
    return SimpleNamespace(code=result.code, stdout=result.stdout, stderr=result.stderr, out=out,
                           db=q.ws / ".studykit" / "gradebook.sqlite")


def scores(db: Path) -> dict[str, tuple[float, float]]:
    with sqlite3.connect(db) as conn:
        return {sid: (score, top) for sid, score, top in
                conn.execute("SELECT student_id, score, max_score FROM submissions")}


def part_statuses(db: Path, student: str) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT column_name, status FROM part_results WHERE student_id = ?",
                                 (student,)))


def part_shares(data: dict) -> dict[str, float]:
    """Points each graded column is worth, from the manifest: points · weight / Σ graded weights."""
    shares = {}
    for question in data["questions"]:
        graded = [p for p in question["parts"] if p["kind"] != "text"]
        total = sum(p["weight"] for p in graded)
        for part in graded:
            shares[part["column"]] = question["points"] * part["weight"] / total
    return shares


def test_key_scores_full_marks(quiz: SimpleNamespace) -> None:
    before = hashlib.sha256(quiz.key.read_bytes()).hexdigest()
    result = grade(quiz, quiz.key)
    assert result.code == 0, result.stderr
    full = sum(q["points"] for q in quiz.data["questions"])
    assert scores(result.db) == {s["student_id"]: (full, full) for s in quiz.data["students"]}
    assert "100.0" in result.stdout
    feedback = (result.out / "feedback" / "201500629.md").read_text(encoding="utf-8")
    assert "모든 문제를 맞혔습니다" in feedback and "[문제" not in feedback
    assert (result.out / "class_report.md").is_file() and (result.out / "scores.csv").is_file()
    assert hashlib.sha256(quiz.key.read_bytes()).hexdigest() == before  # a submission is never modified


def _perturbed(kind: str, text: str) -> str:
    if kind == "integer":
        return str(int(text) + 1)
    if kind == "number" and text.startswith("["):
        return "[" + ", ".join(str(float(v) * 1.1 + 0.01) for v in text.strip("[]").split(",")) + "]"
    if kind == "number":
        return repr(float(text) * 1.01 + 0.01)
    if kind == "shape":
        return "[" + ", ".join(str(int(v) + 1) for v in text.strip("[]").split(",")) + "]"
    if kind == "symbolic":
        return "x"
    return "B"  # choice: the right options are A and C


def test_perturbing_one_value_loses_exactly_that_part(quiz: SimpleNamespace) -> None:
    rows = read_rows(quiz.key)
    shares = part_shares(quiz.data)
    kinds = {p["column"]: p["kind"] for q in quiz.data["questions"] for p in q["parts"]}
    full = sum(q["points"] for q in quiz.data["questions"])
    student = rows[0]["student_id"]
    for column, share in shares.items():
        changed = [dict(rows[0], **{column: _perturbed(kinds[column], rows[0][column])})]
        result = grade(quiz, write_rows(quiz.ws / f"perturbed-{column}.csv", changed))
        assert result.code == 0, result.stderr
        assert scores(result.db)[student][0] == pytest.approx(full - share), column
        statuses = part_statuses(result.db, student)
        assert statuses[column] == "wrong", column
        assert all(s in ("correct", "ungraded") for c, s in statuses.items() if c != column)


def test_every_misconception_is_named_in_feedback(quiz: SimpleNamespace) -> None:
    """Fill each answer with a misconception's value (computed by the fake verifier itself)."""
    from studykit.verifiers.registry import Context

    columns = {(q["id"], p["name"]): (p["column"], p["kind"])
               for q in quiz.data["questions"] for p in q["parts"]}
    fakes = {q["id"]: getattr(gradingfakes, gradingfakes.FAKES[q["id"]]) for q in quiz.data["questions"]}
    rows = read_rows(quiz.key)
    expected_names = {}
    for row in rows:
        variants = next(s for s in quiz.data["students"] if s["student_id"] == row["student_id"])["variants"]
        names = []
        for qid, variant in variants.items():
            result = fakes[qid](variant["params"], Context())
            for part, mistakes in result.misconceptions.items():
                description, value = next(iter(mistakes.items()))
                column, kind = columns[(qid, part)]
                row[column] = format_exact(kind, value)
                names.append(description)
        expected_names[row["student_id"]] = names
    result = grade(quiz, write_rows(quiz.ws / "mistakes.csv", rows))
    assert result.code == 0, result.stderr
    for student, names in expected_names.items():
        feedback = (result.out / "feedback" / f"{student}.md").read_text(encoding="utf-8")
        assert len(names) == 7  # every misconception part of the six questions
        for name in names:
            assert f"틀린 이유: {name}" in feedback or f"| {name} |" in feedback, (student, name)
        assert feedback.count("[문제 ") == 6 and "풀이:" in feedback and "정답: " in feedback
    report = (result.out / "class_report.md").read_text(encoding="utf-8")
    assert "편향(bias)을 빼먹음" in report and "정규화하지 않음" in report


def test_code_payload_is_a_format_error_and_runs_nothing(quiz: SimpleNamespace, tmp_path: Path) -> None:
    marker = tmp_path / "pwned_x"
    rows = read_rows(quiz.key)[:1]
    column = next(p["column"] for q in quiz.data["questions"] for p in q["parts"] if p["kind"] == "symbolic")
    rows[0][column] = f"__import__('os').system('touch {marker}')"
    result = grade(quiz, write_rows(quiz.ws / "payload.csv", rows))
    assert result.code == 0 and not marker.exists()
    assert part_statuses(result.db, rows[0]["student_id"])[column] == "format_error"
    feedback = (result.out / "feedback" / f"{rows[0]['student_id']}.md").read_text(encoding="utf-8")
    assert "형식 오류: " in feedback


def test_latest_submission_counts_and_is_reported(quiz: SimpleNamespace) -> None:
    first = read_rows(quiz.key)[0]
    later = dict(first, **{"Q1.W2": "0"})
    rows = [dict(later, 타임스탬프="2026. 12. 1 오후 3:10:00"),
            dict(first, 타임스탬프="2026. 12. 1 오후 3:04:05")]
    result = grade(quiz, write_rows(quiz.ws / "twice.csv", rows))
    assert result.code == 0
    assert part_statuses(result.db, first["student_id"])["Q1.W2"] == "wrong"  # the 3:10 PM row, read first
    assert f"{first['student_id']}: 2번 제출" in result.stdout


def test_unknown_student_is_reported_and_others_graded(quiz: SimpleNamespace) -> None:
    rows = read_rows(quiz.key)
    rows.append(dict(rows[0], student_id="999999999"))
    result = grade(quiz, write_rows(quiz.ws / "unknown.csv", rows))
    assert result.code == 1
    assert "unknown.csv:6: student '999999999' is not in quiz" in result.stderr
    assert len(scores(result.db)) == 4


def test_malformed_row_names_file_and_line(quiz: SimpleNamespace) -> None:
    text = quiz.key.read_text(encoding="utf-8").splitlines()
    text.insert(2, "201599999,누구,1,2")
    bad = quiz.ws / "short.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    result = grade(quiz, bad)
    assert result.code == 1 and "short.csv:3: row has 4 fields" in result.stderr
    assert len(scores(result.db)) == 4


def test_nothing_gradable_exits_2_with_one_line(quiz: SimpleNamespace) -> None:
    bad = quiz.ws / "noid.csv"
    bad.write_text("이름,Q1.W2\n김영연,32\n", encoding="utf-8")
    result = grade(quiz, bad)
    assert result.code == 2
    assert result.stderr.strip().count("\n") == 0 and "noid.csv:1: header lacks a student_id" in result.stderr


def test_manifest_errors(quiz: SimpleNamespace, tmp_path: Path) -> None:
    missing = quiz.cli("grade", tmp_path / "nope.json", quiz.key)
    assert missing.code == 2 and "nope.json: quiz manifest not found" in missing.stderr
    other = tmp_path / "other.json"
    other.write_text('{"format": "something-else"}', encoding="utf-8")
    foreign = quiz.cli("grade", other, quiz.key)
    assert foreign.code == 2 and "not a studykit quiz manifest" in foreign.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "format": \n', encoding="utf-8")
    assert "broken.json:3" in quiz.cli("grade", broken, quiz.key).stderr


def test_changed_bank_needs_force_and_force_is_recorded(quiz: SimpleNamespace) -> None:
    data = dict(quiz.data, bank_hash="sha256:" + "0" * 64)
    quiz.manifest.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    refused = grade(quiz, quiz.key)
    assert refused.code == 2 and "--force" in refused.stderr and "bank" in refused.stderr
    forced = grade(quiz, quiz.key, extra=("--force",))
    assert forced.code == 0 and "--force" in forced.stdout
    with sqlite3.connect(forced.db) as conn:
        row = conn.execute("SELECT forced, graded_bank_hash != manifest_bank_hash FROM quizzes").fetchone()
    assert row == (1, 1)
    assert "--force" in (forced.out / "class_report.md").read_text(encoding="utf-8")


def test_yaml_and_json_submissions(quiz: SimpleNamespace) -> None:
    row = read_rows(quiz.key)[1]
    yaml_file = quiz.ws / "one.yaml"
    yaml_file.write_text(
        f"student_id: '{row['student_id']}'\nname: {row['name']}\nanswers:\n"
        f"  Q1: {{W2: {row['Q1.W2']}, params: {row['Q1.params']}}}\n  Q2: {row['Q2']}\n"
        f"  Q3: '{row['Q3']}'\n  Q4: '{row['Q4']}'\n  Q5: {{which: [A, C], why: 모름}}\n  Q6: {row['Q6']}\n",
        encoding="utf-8")
    other = read_rows(quiz.key)[2]
    json_file = quiz.ws / "two.json"
    json_file.write_text(json.dumps({"학번": other["student_id"], "answers": {
        k: v for k, v in other.items() if k.startswith("Q")}}, ensure_ascii=False), encoding="utf-8")
    result = grade(quiz, yaml_file, json_file)
    assert result.code == 0, result.stderr
    full = sum(q["points"] for q in quiz.data["questions"])
    assert scores(result.db) == {row["student_id"]: (full, full), other["student_id"]: (full, full)}


def test_bad_files_are_one_line_each_and_the_rest_is_graded(quiz: SimpleNamespace) -> None:
    bomb = quiz.ws / "bomb.yaml"
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]"
              for i in range(1, 9)]
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    latin = quiz.ws / "binary.csv"
    latin.write_bytes(b"\xff\xfe\x00\x81\x82" * 10)
    korean = quiz.ws / "cp949.csv"
    korean.write_bytes(quiz.key.read_text(encoding="utf-8").encode("cp949"))
    result = grade(quiz, bomb, latin, korean)
    assert result.code == 1
    assert "bomb.yaml:1: YAML aliases expand past" in result.stderr
    assert "binary.csv: file is neither UTF-8 nor cp949" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2
    assert len(scores(result.db)) == 4


def test_default_out_folder_and_html(quiz: SimpleNamespace) -> None:
    result = quiz.cli("-C", quiz.ws, "grade", quiz.manifest, quiz.key, "--format", "md,html")
    assert result.code == 0, result.stderr
    graded = quiz.manifest.parent / "graded"
    html = (graded / "feedback" / "201500629.html").read_text(encoding="utf-8")
    assert "오답노트" in html and (graded / "class_report.html").is_file()


def test_grading_api_direct(quiz: SimpleNamespace) -> None:
    """grade_files on the library level: one compute per distinct variant, shared part grades."""
    from studykit.bank import load_bank
    from studykit.grading import Expectations, grade_files
    from studykit.manifest import load_manifest

    manifest = load_manifest(quiz.manifest)
    expectations = Expectations(load_bank(quiz.ws))
    run = grade_files(manifest, [quiz.key], expectations)
    assert [g.percent for g in run.grades] == [100.0] * 4 and not run.problems and not run.missing
    distinct = {(q, json.dumps(s["variants"][q]["params"], sort_keys=True))
                for s in quiz.data["students"] for q in s["variants"]}
    assert len(expectations.cache) == len(distinct)


REAL_IDS = ["cnn.conv-output", "loss.cross-entropy", "backprop.sigmoid-gate", "backprop.midterm-symbolic",
            "fld.direction"]


def test_real_bank_key_and_misconceptions(tmp_path: Path, cli) -> None:
    """The built-in bank and verifiers: the key scores 100 %, each misconception is named in feedback."""
    from studykit.answers import CORRECT, compare
    from studykit.bank import load_bank
    from studykit.compute import compute

    bank = load_bank(None)
    if not set(REAL_IDS) <= set(bank.ids()):
        pytest.skip("the built-in bank lacks some of " + ", ".join(REAL_IDS))
    ws = tmp_path / "ws"
    shutil.copytree(DATA / "grading" / "ws", ws, ignore=shutil.ignore_patterns("questions"))
    (ws / "roster.csv").write_text(ROSTER, encoding="utf-8")
    assert cli("-C", ws, "quiz", "--ids", ",".join(REAL_IDS), "--roster", ws / "roster.csv",
               "--format", "md").code == 0
    manifest = next(ws.glob("quizzes/*/manifest.json"))
    data = json.loads(manifest.read_text(encoding="utf-8"))
    key = manifest.parent / "key" / "answers.csv"
    q = SimpleNamespace(ws=ws, manifest=manifest, cli=cli)
    result = grade(q, key)
    assert result.code == 0, result.stderr
    assert {s for s, (score, top) in scores(result.db).items() if score == top} == {r["student_id"] for r in
                                                                                     read_rows(key)}
    rows, named = read_rows(key), {}
    for row in rows:
        student = next(s for s in data["students"] if s["student_id"] == row["student_id"])
        for mq in data["questions"]:
            question = bank.get(mq["id"])
            computed = compute(question, student["variants"][mq["id"]]["params"])
            for mp in mq["parts"]:
                mistakes = computed.misconceptions.get(mp["name"]) or {}
                spec = question.answer(mp["name"])
                for description, value in mistakes.items():
                    text = format_exact(spec.kind, value)
                    if compare(spec, text, computed.answers[mp["name"]]).status != CORRECT:
                        row[mp["column"]] = text
                        named.setdefault(row["student_id"], []).append(description)
                        break
    assert named, "the real verifiers name no misconception for these questions"
    result = grade(q, write_rows(ws / "mistakes.csv", rows))
    assert result.code == 0, result.stderr
    for student, descriptions in named.items():
        feedback = (result.out / "feedback" / f"{student}.md").read_text(encoding="utf-8")
        for description in descriptions:
            assert description in feedback, (student, description)


def test_class_wide_quiz_grades_any_student(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> None:
    """Without a roster the quiz has one variant (the textbook's) that every student answers."""
    gradingfakes.register(monkeypatch.setitem)
    ws = tmp_path / "ws"
    shutil.copytree(DATA / "grading" / "ws", ws)
    assert cli("-C", ws, "quiz", "--ids", "fix.conv,fix.entropy", "--format", "md").code == 0
    manifest = next(ws.glob("quizzes/*/manifest.json"))
    answers = ws / "class.csv"
    answers.write_text("학번,이름,Q1.W2,Q1.params,Q2\n"
                       "201500629,김영연,32,760,2 bit\n201502469,이재은,32,750,2\n", encoding="utf-8")
    result = cli("-C", ws, "grade", manifest, answers, "--format", "md")
    assert result.code == 0, result.stderr
    db = ws / ".studykit" / "gradebook.sqlite"
    shares = part_shares(json.loads(manifest.read_text(encoding="utf-8")))
    assert scores(db) == {"201500629": (3.0, 3.0),
                          "201502469": pytest.approx((3.0 - shares["Q1.params"], 3.0))}


def test_unknown_format_is_a_usage_error_before_anything_is_written(quiz: SimpleNamespace) -> None:
    result = quiz.cli("-C", quiz.ws, "grade", quiz.manifest, quiz.key, "--format", "md,odt")
    assert result.code == 2 and "'odt'" in result.stderr
    assert not (quiz.ws / ".studykit" / "gradebook.sqlite").exists()
