"""Workspace loading: studykit.yaml, week files, individual reports; the corpus of bad workspaces."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studykit.errors import Location, StudykitError, UsageError
from studykit.schema import Errors, Value, parse_duration, parse_when
from studykit.weeks import load_reports, load_week, parse_week_arg, week_files
from studykit.workspace import load_config

WORKSPACES = Path(__file__).parent / "data" / "workspaces"
BASE = WORKSPACES / "base"
BAD_CASES = sorted(p for p in (WORKSPACES / "bad").iterdir() if p.is_dir())
DEFAULT_ARGS = ["report", "week02", "--format", "md"]


def build_case(case: Path, into: Path) -> Path:
    """The base workspace with the case's own files laid over it."""
    root = into / "ws"
    shutil.copytree(BASE, root)
    for path in case.rglob("*"):
        if path.is_file() and path.name not in ("args.txt", "expected.txt"):
            target = root / path.relative_to(case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return root


def lines_match(actual: str, expected: str) -> bool:
    """Exact line by line; an expected line ending in … only has to start the actual line."""
    got, want = actual.splitlines(), expected.splitlines()
    if len(got) != len(want):
        return False
    return all(g.startswith(w[:-1]) if w.endswith("…") else g == w for g, w in zip(got, want, strict=True))


def run_case(case: Path, tmp_path: Path, cli, monkeypatch) -> tuple[Path, object]:
    """Lay the case over the base workspace and run its args.txt (default: report week02) there."""
    root = build_case(case, tmp_path)
    monkeypatch.chdir(root)
    args = (case / "args.txt").read_text(encoding="utf-8").split() if (case / "args.txt").exists() \
        else DEFAULT_ARGS
    if "-C" not in args:
        args = ["-C", ".", *args]
    return root, cli(*args)


@pytest.mark.parametrize("case", BAD_CASES, ids=[c.name for c in BAD_CASES])
def test_bad_workspace_gives_one_line_per_problem(case: Path, tmp_path: Path, cli, monkeypatch) -> None:
    root, result = run_case(case, tmp_path, cli, monkeypatch)
    expected = (case / "expected.txt").read_text(encoding="utf-8")
    assert result.code == 2
    assert "Traceback" not in result.stderr
    assert lines_match(result.stderr, expected), result.stderr
    assert not (root / "out").exists()  # nothing is written when the input is bad


def test_every_bad_case_has_an_expected_message() -> None:
    assert len(BAD_CASES) >= 10
    for case in BAD_CASES:
        text = (case / "expected.txt").read_text(encoding="utf-8")
        assert text.startswith("studykit: error: "), case.name


def test_base_config_loads_members_and_rules() -> None:
    config = load_config(BASE)
    assert config.member_names == ("가나다", "라마바", "사아자")
    assert config.member("가나다").department == "철학과"
    assert config.member("라마바").department == ""
    rules = config.rules
    assert rules.meeting_weekday == 1  # 화요일
    assert rules.meeting_time == dt.time(15, 0)
    assert rules.report_deadline == dt.timedelta(hours=1)
    assert rules.lateness_limit == 2
    # rotation starts at week 1 with the first name and wraps around
    assert [rules.leader_for(n) for n in (1, 2, 3, 4)] == ["라마바", "사아자", "가나다", "라마바"]


def test_week_file_fields_korean_and_english_values() -> None:
    config = load_config(BASE)
    week = load_week(config, 2, week_files(BASE)[2])
    assert week.written == dt.date(2019, 9, 11)
    assert (week.meeting_date, week.meeting_time) == (dt.date(2019, 9, 10), dt.time(16, 0))
    assert week.author == "가나다"
    assert dict(week.attendance) == {"가나다": "present", "라마바": "absent", "사아자": "late"}
    assert week.scope == "4.2 깊은 다층 퍼셉트론\n4.3 컨볼루션 신경망"
    assert [item.q for item in week.discussion][1] == "ReLU는 어떻게 그 문제를 줄이나요?"
    assert week.discussion[1].a == ""


def test_individual_reports_in_member_order() -> None:
    config = load_config(BASE)
    reports = load_reports(config, 2, deadline_needed=True)
    assert [r.name for r in reports] == ["가나다", "사아자"]
    assert reports[0].questions[2] == "배치 정규화는 언제 쓰나요?"
    assert reports[1].submitted_at == dt.datetime(2019, 9, 10, 15, 30)
    assert reports[1].body.startswith("모임 시작 30분 전에")


def test_front_matter_errors_keep_file_line_numbers(tmp_path: Path) -> None:
    root = build_case(WORKSPACES / "bad" / "bad_report_date", tmp_path)
    with pytest.raises(StudykitError) as info:
        load_reports(load_config(root), 2, deadline_needed=True)
    # line 4 of c.md is `submitted_at:` (line 1 is the opening ---)
    assert ":4: submitted_at" in str(info.value)


@pytest.mark.parametrize("text, number", [("week10", 10), ("10", 10), ("10주차", 10), ("Week 3", 3),
                                          ("week03", 3), ("3주", 3)])
def test_week_argument_forms(text: str, number: int) -> None:
    assert parse_week_arg(text) == number


@pytest.mark.parametrize("text", ["week", "0", "week-1", "열주차", "10 weeks"])
def test_bad_week_argument(text: str) -> None:
    with pytest.raises(UsageError, match="expected a week such as week10"):
        parse_week_arg(text)


def _when(raw: object, with_time: bool = True):
    errors = Errors()
    result = parse_when(Value(raw, Location("f", 1)), errors, "x", with_time=with_time)
    return result, [str(e) for e in errors]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)),
       st.times().map(lambda t: t.replace(second=0, microsecond=0)))
def test_korean_and_iso_datetimes_agree(date: dt.date, time: dt.time) -> None:
    korean = f"{date.year}년 {date.month}월 {date.day}일 {time.hour:02d}:{time.minute:02d}"
    iso = f"{date.isoformat()} {time:%H:%M}"
    assert _when(korean)[0] == _when(iso)[0] == (date, time)


@pytest.mark.parametrize("raw", ["2019-02-29", "2019-04-31", "2019년 13월 1일", "2019-11-07 25:00"])
def test_impossible_dates_are_named(raw: str) -> None:
    result, errors = _when(raw)
    assert result is None and len(errors) == 1 and "impossible date" in errors[0]


def test_time_not_allowed_in_a_date_field() -> None:
    result, errors = _when("2019-11-08 10:00", with_time=False)
    assert result is None and "without a time" in errors[0]


@pytest.mark.parametrize("raw, minutes", [("1h", 60), ("30m", 30), ("1h30m", 90), ("1시간", 60),
                                          ("1시간 30분", 90), (2, 120), ("90 min", 90)])
def test_durations(raw: object, minutes: int) -> None:
    errors = Errors()
    assert parse_duration(Value(raw, Location("f", 1)), errors, "d") == dt.timedelta(minutes=minutes)
    assert not errors
