"""Submission readers: CSV headers and rows, YAML/JSON documents, timestamps, the latest submission."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from studykit.errors import InputError
from studykit.submissions import (
    latest_per_student,
    parse_timestamp,
    read_csv,
    read_document,
    read_submission_files,
)

COLUMNS = ["Q1", "Q2.W2", "Q2.params"]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_with_korean_headers_extra_columns_and_labels(tmp_path: Path) -> None:
    path = write(tmp_path, "form.csv",
                 "타임스탬프,학번,이름,이메일,Q1. 정보량,q2.w2,Q2.params 매개변수 수\n"
                 "2026. 12. 1 오후 3:04:05,201500629,김영연,a@b.c,2 bit,32,\"60,965,224\"\n")
    problems: list = []
    [sub] = read_csv(path, COLUMNS, problems)
    assert not problems
    assert (sub.student_id, sub.name) == ("201500629", "김영연")
    assert sub.answers == {"Q1": "2 bit", "Q2.W2": "32", "Q2.params": "60,965,224"}
    assert sub.time() == datetime(2026, 12, 1, 15, 4, 5)
    assert str(sub.source) == f"{path}:2"


def test_csv_bom_and_cp949(tmp_path: Path) -> None:
    text = "학번,이름,Q1\n201500629,김영연,3\n"
    for name, data in (("bom.csv", "\ufeff" + text), ("korean.csv", text)):
        path = write(tmp_path, name, data, "cp949" if name == "korean.csv" else "utf-8")
        [sub] = read_csv(path, COLUMNS, [])
        assert sub.name == "김영연" and sub.answers == {"Q1": "3"}


def test_csv_row_problems_are_collected_with_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "rows.csv", "student_id,name,Q1\n1,가,3\n2,나\n,다,4\n\n4,라,5\n")
    problems: list = []
    subs = read_csv(path, COLUMNS, problems)
    assert [s.student_id for s in subs] == ["1", "4"]
    assert [str(p) for p in problems] == [f"{path}:3: row has 2 fields, the header has 3",
                                          f"{path}:4: empty student_id (학번)"]


def test_csv_broken_quote_stops_the_file_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "quote.csv", 'student_id,name,Q1\n1,가,3\n2,"나,4\n3,다,5\n')
    problems: list = []
    subs = read_csv(path, COLUMNS, problems)
    assert [s.student_id for s in subs] == ["1"]
    assert len(problems) == 1 and "malformed CSV" in str(problems[0]) and f"{path}:" in str(problems[0])


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("이름,Q1\n가,3\n", "student_id"),
    ("학번,이름,Z9\n1,가,3\n", "no answer columns"),
])
def test_csv_file_level_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        read_csv(write(tmp_path, "bad.csv", text), COLUMNS, [])
    assert info.value.location is not None and info.value.location.line == 1


def test_yaml_nested_and_dotted_answers(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml",
                 "student_id: 201500629\nname: 김영연\nsubmitted_at: 2026-12-01T15:00:00\n"
                 "answers:\n  Q1: 2\n  Q2: {W2: 32, params: 760}\n  Q9: 1\n")
    problems: list = []
    [sub] = read_document(path, COLUMNS, problems)
    assert sub.student_id == "201500629" and sub.answers == {"Q1": "2", "Q2.W2": "32", "Q2.params": "760"}
    assert len(problems) == 1 and f"{path}:7: unknown answer 'Q9'" in str(problems[0])
    assert sub.time() == datetime(2026, 12, 1, 15, 0, 0)


def test_yaml_list_values_and_lists_of_students(tmp_path: Path) -> None:
    path = write(tmp_path, "many.yaml",
                 "- {student_id: a1, answers: {Q1: [96, 55, 55]}}\n- {학번: a2, answers: {Q2.W2: 1}}\n- 3\n")
    problems: list = []
    subs = read_document(path, COLUMNS, problems)
    assert [(s.student_id, dict(s.answers)) for s in subs] == [("a1", {"Q1": "[96, 55, 55]"}),
                                                              ("a2", {"Q2.W2": "1"})]
    assert len(problems) == 1 and f"{path}:3: expected a mapping" in str(problems[0])


def test_json_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.json", '{\n "student_id": "1",\n "answers": {"Q1": 2,}\n}\n')
    with pytest.raises(InputError, match="malformed JSON") as info:
        read_document(path, COLUMNS, [])
    assert info.value.location.line == 3
    missing = write(tmp_path, "m.json", '{"student_id": "1"}')
    problems: list = []
    assert read_document(missing, COLUMNS, problems) == [] and "missing 'answers'" in str(problems[0])


def test_unreadable_files_are_one_problem_each(tmp_path: Path) -> None:
    good = write(tmp_path, "ok.csv", "학번,Q1\n1,2\n")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 8)
    subs, problems = read_submission_files([good, binary, tmp_path / "absent.csv"], COLUMNS)
    assert [s.student_id for s in subs] == ["1"]
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        "file is neither UTF-8 nor cp949 text", "cannot read submissions: No such file or directory"]


@pytest.mark.parametrize("text, expected", [
    ("2026-12-01T15:04:05", datetime(2026, 12, 1, 15, 4, 5)),
    ("2026-12-01 15:04", datetime(2026, 12, 1, 15, 4)),
    ("2026/12/01 3:04:05 오후 GMT+9", datetime(2026, 12, 1, 15, 4, 5)),
    ("2026. 12. 1 오전 12:30:00", datetime(2026, 12, 1, 0, 30)),
    ("12/1/2026 3:04:05 PM", datetime(2026, 12, 1, 15, 4, 5)),
    ("2026-12-01", datetime(2026, 12, 1)),
    ("어제", None), ("", None), ("2026-13-40", None),
])
def test_parse_timestamp(text: str, expected: datetime | None) -> None:
    assert parse_timestamp(text) == expected


def test_latest_by_timestamp_then_reading_order(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv",
                 "학번,Q1,timestamp\n1,late,2026-12-01 15:10\n1,early,2026-12-01 15:00\n"
                 "2,a,\n2,b,\n3,only,\n")
    subs, _ = read_submission_files([path], COLUMNS)
    chosen, notes = latest_per_student(subs)
    assert {s.student_id: s.answers["Q1"] for s in chosen} == {"1": "late", "2": "b", "3": "only"}
    assert len(notes) == 2 and notes[0].startswith("1: 2번 제출") and f"{path}:2" in notes[0]
