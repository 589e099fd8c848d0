"""Who takes a quiz: a roster CSV (student_id,name or 학번,이름), N anonymous ids, or the whole class."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from studykit.errors import InputError, Location, StudykitError, UsageError, raise_collected
from studykit.yamlio import read_text

ID_HEADERS = ("student_id", "student id", "studentid", "id", "학번")
NAME_HEADERS = ("name", "이름", "성명")
# A student id names the files sheets/<id>.md and key/<id>.md, so it must be a safe, short file name.
ID_RE = re.compile(r"^[0-9A-Za-z가-힣][0-9A-Za-z가-힣._-]{0,63}$")
CLASS_ID = "class"
# Ids a roster may not use: the class-wide sheet's, and names Windows reserves for devices (CON.md).
RESERVED_IDS = frozenset({CLASS_ID, "con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                          *(f"lpt{i}" for i in range(10))})
# More sheets than any class has: a typo (--students 30000000) must not build millions of papers.
MAX_STUDENTS = 10_000


@dataclass(frozen=True)
class Student:
    """One quiz taker; `line` is the roster line (0 for generated ones)."""

    student_id: str
    name: str = ""
    line: int = 0


def class_wide() -> list[Student]:
    """The single class-wide sheet drawn from the textbook instances."""
    return [Student(CLASS_ID, "")]


def shown(text: str, limit: int = 40) -> str:
    """repr() of a user's text, cut short: a 300-character id must not flood the error line."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} characters)"


def csv_problem(exc: csv.Error) -> str:
    """The csv module's message, with the usual cause of its least helpful one."""
    hint = " (a quote \" that is never closed?)" if "unexpected end of data" in str(exc) else ""
    return f"malformed CSV: {exc}{hint}"


def anonymous_students(count: int) -> list[Student]:
    """S001 … SNNN: numbered variants without names."""
    if count < 1:
        raise UsageError(f"--students must be at least 1, not {count}")
    if count > MAX_STUDENTS:
        raise UsageError(f"--students must be at most {MAX_STUDENTS}, not {count}")
    width = max(3, len(str(count)))
    return [Student(f"S{i:0{width}d}") for i in range(1, count + 1)]


def _header_index(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, cell in enumerate(header):
        if cell.strip().lower() in names:
            return i
    return None


def load_roster(path: Path) -> list[Student]:
    """Read a roster CSV (UTF-8 with or without BOM, or cp949); every problem names file:line."""
    try:
        text = read_text(path)
    except OSError as exc:
        raise InputError(f"cannot read roster: {exc.strerror}", Location(path)) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
    except csv.Error as exc:
        raise InputError(csv_problem(exc), Location(path, reader.line_num)) from None
    if header is None:
        raise InputError("empty roster; expected a header line with student_id,name (학번,이름)",
                         Location(path, 1))
    id_col, name_col = _header_index(header, ID_HEADERS), _header_index(header, NAME_HEADERS)
    missing = [label for col, label in ((id_col, "student_id (학번)"), (name_col, "name (이름)"))
               if col is None]
    if missing:
        found = ", ".join(cell.strip() for cell in header) or "(nothing)"
        raise InputError(f"roster header lacks column {' and '.join(missing)}; found: {found}",
                         Location(path, reader.line_num))
    known = [cell.strip().lower() for cell in header if cell.strip().lower() in (*ID_HEADERS, *NAME_HEADERS)]
    twice = sorted({cell for cell in known if known.count(cell) > 1})
    if twice:  # (student_id next to 학번 is fine: the first one found is used, as documented)
        raise InputError(f"roster header has {twice[0]} twice: which column is meant? keep one",
                         Location(path, reader.line_num))
    try:
        return _read_rows(reader, path, id_col, name_col)
    except csv.Error as exc:  # a quote never closed, a field past the csv module's size limit
        raise InputError(csv_problem(exc), Location(path, reader.line_num)) from None


def _read_rows(reader: csv.reader, path: Path, id_col: int, name_col: int) -> list[Student]:
    students: list[Student] = []
    errors: list[StudykitError] = []
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        student_id = row[id_col].strip() if id_col < len(row) else ""
        name = row[name_col].strip() if name_col < len(row) else ""
        where = Location(path, line)
        if not student_id:
            errors.append(InputError("empty student_id (학번)", where))
            continue
        if not ID_RE.match(student_id):
            errors.append(InputError(
                f"student_id {shown(student_id)} must be 1-64 letters, digits, '.', '_' or '-'", where))
            continue
        if student_id.casefold() in RESERVED_IDS:
            errors.append(InputError(f"student_id {student_id!r} is reserved (the class-wide sheet, or a "
                                     "device name on Windows); choose another id", where))
            continue
        key = student_id.casefold()  # ids name files: S001 and s001 would collide on some disks
        if key in first_line:
            errors.append(InputError(
                f"duplicate student_id {student_id!r} (also at line {first_line[key]})", where))
            continue
        first_line[key] = line
        students.append(Student(student_id, name, line))
    raise_collected(errors)
    if not students:
        raise InputError("roster has a header but no students", Location(path, reader.line_num))
    return students
