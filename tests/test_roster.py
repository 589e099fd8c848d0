"""Roster loading: headers in English or Korean, BOM and cp949, and every bad line named file:line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from studykit.errors import InputError, StudykitError, UsageError, ValidationErrors
from studykit.roster import anonymous_students, load_roster

ROSTERS = DATA / "quiz" / "rosters"


def pairs(path: Path) -> list[tuple[str, str]]:
    return [(s.student_id, s.name) for s in load_roster(path)]


def test_english_headers_extra_columns_blank_lines_and_quoted_names() -> None:
    assert pairs(ROSTERS / "roster.csv") == [
        ("201500629", "김영연"), ("201500630", "이재은"), ("201500631", "이충현, Jr.")]


def test_korean_headers_with_bom_and_other_columns_first() -> None:
    assert pairs(ROSTERS / "roster-ko-bom.csv") == [("201500629", "김영연"), ("201500630", "이재은")]


def test_cp949_roster() -> None:
    assert (ROSTERS / "roster-cp949.csv").read_bytes().decode("cp949")  # really cp949, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        (ROSTERS / "roster-cp949.csv").read_bytes().decode("utf-8")
    assert pairs(ROSTERS / "roster-cp949.csv") == [("201500629", "김영연"), ("201500632", "위성조")]


def test_roster_records_its_lines() -> None:
    assert [s.line for s in load_roster(ROSTERS / "roster.csv")] == [2, 3, 5]


@pytest.mark.parametrize(("name", "line", "words"), [
    ("bad-missing-column.csv", 1, ["lacks column name (이름)", "found: 학번, 성별"]),
    ("bad-empty-id.csv", 3, ["empty student_id"]),
    ("bad-duplicate.csv", 4, ["duplicate student_id '201500629'", "line 2"]),
    ("bad-id.csv", 2, ["'../etc'"]),
])
def test_bad_roster_names_file_and_line(name: str, line: int, words: list[str]) -> None:
    with pytest.raises(InputError) as info:
        load_roster(ROSTERS / name)
    message = str(info.value)
    assert message.startswith(f"{ROSTERS / name}:{line}: ")
    for word in words:
        assert word in message


def test_every_bad_row_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("학번,이름\n1,가\n,나\n1,다\n", encoding="utf-8")
    with pytest.raises(ValidationErrors) as info:
        load_roster(path)
    assert [str(e).split(": ")[0] for e in info.value.errors] == [f"{path}:3", f"{path}:4"]


def test_missing_file_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read roster"):
        load_roster(tmp_path / "nope.csv")
    (tmp_path / "h.csv").write_text("student_id,name\n", encoding="utf-8")
    with pytest.raises(InputError, match="no students"):
        load_roster(tmp_path / "h.csv")


def test_ids_differing_only_in_case_collide(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("student_id,name\nS001,a\ns001,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate"):
        load_roster(tmp_path / "c.csv")


def test_anonymous_students() -> None:
    assert [s.student_id for s in anonymous_students(3)] == ["S001", "S002", "S003"]
    assert anonymous_students(1200)[-1].student_id == "S1200"
    with pytest.raises(UsageError):
        anonymous_students(0)


SAFE_ID = st.from_regex(r"[0-9A-Za-z][0-9A-Za-z._-]{0,11}", fullmatch=True)
NAME = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=12)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(SAFE_ID, NAME), min_size=1, max_size=8,
                     unique_by=lambda r: r[0].casefold()),
       korean=st.booleans(), bom=st.booleans())
def test_any_roster_csv_round_trips(tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str]],
                                    korean: bool, bom: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["학번", "이름"] if korean else ["student_id", "name"])
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("roster") / "r.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8-sig" if bom else "utf-8")
    try:
        loaded = pairs(path)
    except StudykitError as exc:  # only a blank name on a row of nothing but spaces may be skipped
        raise AssertionError(f"valid roster refused: {exc}") from None
    assert loaded == [(sid, name.strip()) for sid, name in rows]
