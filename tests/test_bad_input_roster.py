"""Hostile rosters and submission files: one error naming file:line, no traceback, files never modified."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from studykit.errors import InputError, StudykitError, UsageError
from studykit.roster import MAX_STUDENTS, anonymous_students, load_roster
from studykit.submissions import parse_timestamp, read_document

COLUMNS = ["Q1", "Q2.W2"]


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(("content", "message"), [
    # the csv module's field limit raised csv.Error straight through (traceback)
    ("student_id,name\nS1," + "x" * 200_000 + "\n",
     r"roster\.csv:2: malformed CSV: field larger than field limit"),
    # a quote never closed swallowed the rest of the file into one student id
    ('student_id,name\n"S1,a\nS2,b\n', r"roster\.csv:3: malformed CSV: unexpected end of data \(a quote"),
    # a 300-character id made sheets/<id>.md fail with OSError: File name too long
    ("student_id,name\n" + "a" * 300 + ",x\n",
     r"roster\.csv:2: student_id 'aaaa.*… \(300 characters\) must be 1-64"),
    # 'class' is the class-wide sheet's id: a roster of only 'class' let grade accept any student
    ("student_id,name\nclass,x\n", r"roster\.csv:2: student_id 'class' is reserved"),
    ("student_id,name\nCON,x\n", r"roster\.csv:2: student_id 'CON' is reserved"),
    # one id column twice: silently the first one was used
    ("student_id,name,Student_ID\nS1,a,S2\n", r"roster\.csv:1: roster header has student_id twice"),
])
def test_bad_roster_is_one_error_with_its_line(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path, "roster.csv", content)
    before = path.read_bytes()
    with pytest.raises(StudykitError, match=message) as info:
        load_roster(path)
    assert "\n" not in str(info.value)
    assert path.read_bytes() == before


def test_roster_that_is_a_folder_or_binary(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read roster: Is a directory"):
        load_roster(tmp_path)
    with pytest.raises(InputError, match="neither UTF-8 nor cp949"):
        load_roster(write(tmp_path, "r.csv", bytes(range(256)) * 4))


def test_students_count_is_bounded() -> None:
    # --students 10**22 built a list of 10**22 ids until the machine ran out of memory
    with pytest.raises(UsageError, match=f"at most {MAX_STUDENTS}"):
        anonymous_students(10**22)
    assert len(anonymous_students(MAX_STUDENTS)) == MAX_STUDENTS


def test_deeply_nested_json_submission(tmp_path: Path) -> None:
    # json.loads raised RecursionError (traceback)
    path = write(tmp_path, "s.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match=r"s\.json:1: JSON nests too deeply"):
        read_document(path, COLUMNS, [])


def test_deeply_nested_yaml_submission(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "student_id: S1\nanswers: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(InputError, match=r"s\.yaml:2: YAML nests deeper"):
        read_document(path, COLUMNS, [])


def test_json_list_items_are_named_without_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "s.json", json.dumps([{"student_id": "S1", "answers": {"Q1": "1"}}, 5, "x"]))
    problems: list[StudykitError] = []
    found = read_document(path, COLUMNS, problems)
    assert [s.student_id for s in found] == ["S1"]
    assert [str(p) for p in problems] == [
        f"{path} [item {n}]: expected a mapping with student_id, name and answers" for n in (2, 3)]


@pytest.mark.parametrize("text", ["1/1/99999999999999999999", "99999999999999999999-01-01 10:00"])
def test_absurd_timestamps_are_no_timestamps(text: str) -> None:
    # int too large for a C long raised OverflowError from datetime()
    assert parse_timestamp(text) is None


def test_submission_files_are_never_modified(tmp_path: Path) -> None:
    files = {"a.json": '{"student_id": "S1", "answers": {"Q1": "x\\u0000' + "y" * 1_000_000 + '"}}',
             "b.yaml": "base: &b {Q1: '1'}\nstudent_id: S1\nanswers:\n  <<: *b\n"}
    for name, text in files.items():
        path = write(tmp_path, name, text)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        found = read_document(path, COLUMNS, [])
        assert found and found[0].student_id == "S1"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


@pytest.mark.parametrize(("header", "message"), [
    # Q2 twice: the later column silently won
    ("student_id,name,Q1,q1", "header names Q1 twice (columns 3 and 4); keep one"),
    ("student_id,name,Student_ID,Q1", "header names student_id twice (columns 1 and 3); keep one"),
])
def test_submission_csv_naming_a_column_twice(tmp_path: Path, header: str, message: str) -> None:
    from studykit.submissions import read_csv

    path = write(tmp_path, "s.csv", header + "\nS1,a,1,2\n")
    with pytest.raises(InputError) as info:
        read_csv(path, COLUMNS, [])
    assert str(info.value) == f"{path}:1: {message}"


def test_submission_csv_with_id_and_hakbeon_is_still_read(tmp_path: Path) -> None:
    from studykit.submissions import read_csv

    path = write(tmp_path, "s.csv", "학번,id,name,Q1\nS1,77,a,1\n")
    assert [s.student_id for s in read_csv(path, COLUMNS, [])] == ["S1"]
