"""Submission readers: a form-export CSV (one row per student) or YAML/JSON files (one student each).

Every problem is one line naming file:line; a bad row or file is skipped and the rest is read.
Files are only read, never written.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from studykit.answers import answer_text
from studykit.errors import InputError, Location, StudykitError
from studykit.roster import ID_HEADERS, NAME_HEADERS
from studykit.yamlio import load_yaml_text, read_text

TIME_HEADERS = ("timestamp", "타임스탬프", "submitted_at", "submitted at", "제출 시각", "제출시각", "시간")
_TIME_NUMBERS = re.compile(r"\d+")


@dataclass(frozen=True)
class Submission:
    """One student's answers as handed in: column (Q1, Q2.W2) -> raw text."""

    student_id: str
    name: str
    answers: Mapping[str, str]
    source: Location
    submitted_at: str = ""  # as written in the file
    sequence: int = 0  # reading order, the tie-break when timestamps are missing or equal

    def time(self) -> datetime | None:
        return parse_timestamp(self.submitted_at)


def parse_timestamp(text: str) -> datetime | None:
    """ISO 8601, 2026/12/01 15:04:05, Google Forms' '2026. 12. 1 오후 3:04:05' or US '12/1/2026 3:04 PM'."""
    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    numbers = [int(n) for n in _TIME_NUMBERS.findall(value)]
    if len(numbers) < 3:
        return None
    if numbers[0] >= 1000:
        year, month, day = numbers[:3]
    elif len(numbers) >= 3 and numbers[2] >= 1000:
        month, day, year = numbers[:3]
    else:
        return None
    hour, minute, second = (numbers[3:6] + [0, 0, 0])[:3]
    upper = value.upper()
    if ("오후" in value or "PM" in upper) and hour < 12:
        hour += 12
    elif ("오전" in value or "AM" in upper) and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second)
    except (ValueError, OverflowError):  # 1/1/99999999999999999999 overflows a C long
        return None


def _canon(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().casefold()


def _column_for(header: str, columns: Mapping[str, str]) -> str | None:
    """The manifest column a header names: 'Q2.W2', 'q2.w2' or 'Q2.W2 출력 너비', 'Q1. …'."""
    key = _canon(header)
    if key in columns:
        return columns[key]
    first = key.split(" ", 1)[0].rstrip(".:)")
    return columns.get(first)


def read_submission_files(paths: Sequence[Path], columns: Sequence[str]
                          ) -> tuple[list[Submission], list[StudykitError]]:
    """Every submission in every file, and one error per file or row that could not be read."""
    submissions: list[Submission] = []
    problems: list[StudykitError] = []
    for path in paths:
        try:
            if path.suffix.lower() in (".yaml", ".yml", ".json"):
                found = read_document(path, columns, problems)
            else:
                found = read_csv(path, columns, problems)
        except StudykitError as exc:
            problems.append(exc)
            continue
        for item in found:
            submissions.append(_with_sequence(item, len(submissions)))
    return submissions, problems


def _with_sequence(item: Submission, sequence: int) -> Submission:
    return Submission(item.student_id, item.name, item.answers, item.source, item.submitted_at, sequence)


def _read(path: Path) -> str:
    try:
        return read_text(path)
    except OSError as exc:
        raise InputError(f"cannot read submissions: {exc.strerror}", Location(path)) from None


# --- CSV ----------------------------------------------------------------------------------------

def _header_index(header: Sequence[str], names: Iterable[str]) -> int | None:
    wanted = {_canon(n) for n in names}
    return next((i for i, cell in enumerate(header) if _canon(cell) in wanted), None)


def _check_doubled(header: Sequence[str], answer_cols: Mapping[int, str], path: Path) -> None:
    """Two columns for one answer (Q2 and q2) or one id header twice: which one counts is anyone's guess."""
    seen: dict[str, int] = {}
    id_names = {_canon(n) for n in ID_HEADERS}
    ids = [(i, _canon(cell)) for i, cell in enumerate(header) if _canon(cell) in id_names]
    for i, col in [*ids, *answer_cols.items()]:
        if col in seen:
            raise InputError(f"header names {col} twice (columns {seen[col] + 1} and {i + 1}); keep one",
                             Location(path, 1))
        seen[col] = i


def read_csv(path: Path, columns: Sequence[str], problems: list[StudykitError]) -> list[Submission]:
    """A CSV with student_id/학번, name/이름, optional timestamp and the answer columns."""
    reader = csv.reader(io.StringIO(_read(path), newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", Location(path, reader.line_num)) from None
    if header is None:
        raise InputError("empty file; expected a header line student_id,name,Q1,…", Location(path, 1))
    id_col = _header_index(header, ID_HEADERS)
    if id_col is None:
        raise InputError("header lacks a student_id (학번) column", Location(path, 1))
    name_col = _header_index(header, NAME_HEADERS)
    time_col = _header_index(header, TIME_HEADERS)
    by_key = {c.casefold(): c for c in columns}
    answer_cols = {i: col for i, cell in enumerate(header) if (col := _column_for(cell, by_key))}
    _check_doubled(header, answer_cols, path)
    if not answer_cols:
        raise InputError(f"no answer columns; expected some of {', '.join(columns)}", Location(path, 1))
    found: list[Submission] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(InputError(f"malformed CSV: {exc}", Location(path, reader.line_num)))
            break  # the reader cannot resynchronise after a broken quote
        where = Location(path, reader.line_num)
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(InputError(f"row has {len(row)} fields, the header has {len(header)}", where))
            continue
        student_id = row[id_col].strip()
        if not student_id:
            problems.append(InputError("empty student_id (학번)", where))
            continue
        found.append(Submission(
            student_id=student_id,
            name=row[name_col].strip() if name_col is not None else "",
            answers={col: row[i] for i, col in answer_cols.items()},
            source=where,
            submitted_at=row[time_col].strip() if time_col is not None else "",
        ))
    return found


# --- YAML / JSON --------------------------------------------------------------------------------

def read_document(path: Path, columns: Sequence[str], problems: list[StudykitError]) -> list[Submission]:
    """One student ({student_id, name, answers: {Q1: …, Q2: {W2: …}}}) or a list of them."""
    text = _read(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}", Location(path, exc.lineno, exc.colno)) from None
        except RecursionError:
            raise InputError("JSON nests too deeply; expected {student_id, name, answers: {…}}",
                             Location(path, 1)) from None
    else:
        data = load_yaml_text(text, path)
    items = data if isinstance(data, list) else [data]
    found = []
    for index, item in enumerate(items):
        container, key = (data, index) if isinstance(data, list) else (item, None)
        # JSON keeps no line numbers: name the list item instead
        fallback = Location(f"{path} [item {index + 1}]") if isinstance(data, list) else Location(path)
        where = _loc(container, key, fallback)
        try:
            found.append(_document_submission(item, columns, where, problems))
        except InputError as exc:
            problems.append(exc)
    return found


def _loc(container: Any, key: Any, fallback: Location) -> Location:
    if key is not None and hasattr(container, "loc_of"):
        return container.loc_of(key)
    return getattr(container, "loc", fallback)


def _field(item: Mapping[str, Any], names: Iterable[str]) -> Any:
    return next((item[n] for n in names if n in item and item[n] is not None), None)


def _document_submission(item: Any, columns: Sequence[str], where: Location,
                         problems: list[StudykitError]) -> Submission:
    if not isinstance(item, Mapping):
        raise InputError("expected a mapping with student_id, name and answers", where)
    student_id = answer_text(_field(item, ("student_id", "학번", "id"))).strip()
    if not student_id:
        raise InputError("missing student_id (학번)", where)
    answers_in = item.get("answers")
    if not isinstance(answers_in, Mapping):
        raise InputError("missing 'answers' mapping (Q1: …, Q2: {W2: …})", _loc(item, "answers", where))
    by_key = {c.casefold(): c for c in columns}
    answers: dict[str, str] = {}
    for key, value in answers_in.items():
        _collect_answer(str(key), value, by_key, answers, _loc(answers_in, key, where), problems)
    return Submission(
        student_id=student_id,
        name=answer_text(_field(item, ("name", "이름", "성명"))).strip(),
        answers=answers, source=where,
        submitted_at=answer_text(_field(item, ("submitted_at", "timestamp", "타임스탬프"))).strip(),
    )


def _collect_answer(key: str, value: Any, by_key: Mapping[str, str], answers: dict[str, str],
                    where: Location, problems: list[StudykitError]) -> None:
    """Q1: value, 'Q2.W2': value, or Q2: {W2: value, params: value} (keys are the question's parts)."""
    if isinstance(value, Mapping) and key.casefold() not in by_key:
        for part, sub in value.items():
            _collect_answer(f"{key}.{part}", sub, by_key, answers, _loc(value, part, where), problems)
        return
    column = by_key.get(key.casefold())
    if column is None:
        problems.append(InputError(f"unknown answer {key!r}; expected one of {', '.join(by_key.values())}",
                                   where))
        return
    answers[column] = answer_text(value)


def latest_per_student(submissions: Iterable[Submission]) -> tuple[list[Submission], list[str]]:
    """The latest submission of each student and a note per repeat.

    Latest = the latest timestamp (one without a timestamp counts as earlier than any with one), then
    the one read last.
    """
    groups: dict[str, list[Submission]] = {}
    for item in submissions:
        groups.setdefault(item.student_id, []).append(item)
    chosen, notes = [], []
    for student_id, items in groups.items():
        items.sort(key=lambda s: (s.time() or datetime.min, s.sequence))
        latest = items[-1]
        chosen.append(latest)
        if len(items) > 1:
            when = latest.submitted_at or "시각 없음: 나중에 읽은 것"
            notes.append(f"{student_id}: {len(items)}번 제출; 가장 늦은 제출({when}, {latest.source})"
                         "을 채점함")
    chosen.sort(key=lambda s: s.sequence)
    return chosen, notes
