"""One meeting (weeks/weekNN.yaml) and its individual reports (weeks/weekNN/*.md), loaded and validated."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studykit.errors import InputError, Location, UsageError
from studykit.schema import (
    Errors,
    Field,
    Value,
    as_text,
    as_text_list,
    list_items,
    parse_when,
    read_fields,
    type_name,
)
from studykit.workspace import Config
from studykit.yamlio import LocDict, load_yaml, load_yaml_text, read_text

WEEK_FIELDS = (
    Field("작성일", ("date",), required=True),
    Field("작성자", ("author",)),
    Field("조 모임 일시", ("meeting",), required=True),
    Field("모임장소", ("모임 장소", "place")),
    Field("출결", ("출석", "attendance"), required=True),
    Field("학습 범위와 내용", ("scope",), required=True),
    Field("논의 내용", ("discussion",)),
    Field("질문 내용", ("questions",)),
    Field("기타", ("notes",)),
)
QA_FIELDS = (
    Field("q", ("Q", "질문"), required=True),
    Field("a", ("A", "답변")),
    Field("question", ("문제",)),
    Field("params", ()),
)
REPORT_FIELDS = (
    Field("name", ("이름",), required=True),
    Field("scope", ("학습 범위",)),
    Field("questions", ("질문 내용",)),
    Field("submitted_at", ("제출 일시",)),
)
STATUSES = {"present": "present", "출석": "present", "참석": "present",
            "late": "late", "지각": "late",
            "absent": "absent", "결석": "absent", "불참": "absent"}
_WEEK_ARG = re.compile(r"(?:week\s*|w)?0*(\d{1,3})\s*(?:주차|주)?", re.I)
_WEEK_FILE = re.compile(r"week(\d+)\.yaml")


@dataclass(frozen=True)
class QAItem:
    """One 논의 내용 item: a question, its answer, optionally a bank question it cites."""

    q: str
    a: str
    question: str | None
    params: dict[str, Any]
    loc: Location          # of `question:` when the item cites the bank, else of the item


@dataclass(frozen=True)
class IndividualReport:
    """개별 레포트: front matter (name, scope, questions, submitted_at) and the body (학습 내용)."""

    path: Path
    name: str
    scope: str
    questions: tuple[str, ...]
    submitted_at: dt.datetime | None
    body: str


@dataclass(frozen=True)
class Week:
    """One meeting as written in weeks/weekNN.yaml."""

    number: int
    path: Path
    written: dt.date
    author: str | None
    meeting_date: dt.date
    meeting_time: dt.time | None
    place: str
    attendance: tuple[tuple[str, str], ...]   # (member, present | late | absent), in member order
    scope: str
    discussion: tuple[QAItem, ...]
    questions: str
    notes: str


def parse_week_arg(text: str) -> int:
    """week10, 10 and 10주차 all mean week 10."""
    match = _WEEK_ARG.fullmatch(str(text).strip())
    if match is None or int(match.group(1)) == 0:
        raise UsageError(f"expected a week such as week10, 10 or 10주차, got {text!r}")
    return int(match.group(1))


def week_files(root: Path) -> dict[int, Path]:
    """The week files in weeks/, by number (week9.yaml and week09.yaml may not both exist)."""
    found: dict[int, Path] = {}
    folder = root / "weeks"
    for path in sorted(folder.glob("week*.yaml")) if folder.is_dir() else ():
        match = _WEEK_FILE.fullmatch(path.name)
        if match is None:
            continue
        number = int(match.group(1))
        if number in found:
            raise InputError(f"week {number} is given twice (also {found[number].name})", Location(path))
        found[number] = path
    return found


def week_path(root: Path, number: int) -> Path:
    """The file of one week, or a usage error listing the weeks that exist."""
    files = week_files(root)
    if number not in files:
        existing = ", ".join(f"week{n:02d}" for n in sorted(files)) or "none"
        raise UsageError(f"week {number} does not exist: no weeks/week{number:02d}.yaml in {root} "
                         f"(existing weeks: {existing})")
    return files[number]


def load_week(config: Config, number: int, path: Path) -> Week:
    """Load and validate one week file; every problem in it is reported at once."""
    data = load_yaml(path)
    errors = Errors()
    fields = read_fields(data, WEEK_FIELDS, Location(path, 1), errors, "") or {}
    written = parse_when(fields["작성일"], errors, "작성일", with_time=False) if "작성일" in fields else None
    meeting = parse_when(fields["조 모임 일시"], errors, "조 모임 일시", with_time=True) \
        if "조 모임 일시" in fields else None
    author = as_text(fields.get("작성자"), errors, "작성자") or None
    if author and config.member(author) is None:
        errors.add(f"작성자: unknown member {author!r}; {_members_hint(config)}", fields["작성자"].loc)
    attendance = _attendance(fields.get("출결"), config, errors)
    week = Week(
        number=number, path=path, written=written[0] if written else dt.date.min, author=author,
        meeting_date=meeting[0] if meeting else dt.date.min, meeting_time=meeting[1] if meeting else None,
        place=as_text(fields.get("모임장소"), errors, "모임장소"), attendance=attendance,
        scope=as_text(fields.get("학습 범위와 내용"), errors, "학습 범위와 내용", lines=True),
        discussion=_discussion(fields.get("논의 내용"), errors),
        questions=as_text(fields.get("질문 내용"), errors, "질문 내용", lines=True),
        notes=as_text(fields.get("기타"), errors, "기타", lines=True),
    )
    errors.raise_all()
    return week


def _members_hint(config: Config) -> str:
    return "members are: " + ", ".join(config.member_names)


def _attendance(value: Value | None, config: Config, errors: Errors) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    raw = value.raw
    if not isinstance(raw, dict):
        errors.add(f"출결: expected a mapping member: 출석 | 지각 | 결석, got {type_name(raw)}", value.loc)
        return ()
    statuses: dict[str, str] = {}
    for name, status in raw.items():
        spot = raw.loc_of(name) if isinstance(raw, LocDict) else value.loc
        if config.member(str(name)) is None:
            errors.add(f"출결: unknown member {str(name)!r}; {_members_hint(config)}", spot)
        elif str(name) in statuses:  # 12 and "12" are different YAML keys but the same member
            errors.add(f"출결: {name} is given twice", spot)
        elif not isinstance(status, str) or status.strip().lower() not in STATUSES:
            errors.add(f"출결: {name}: expected 출석, 지각 or 결석 (present, late, absent), "
                       f"got {type_name(status)}", spot)
        else:
            statuses[str(name)] = STATUSES[status.strip().lower()]
    given = {str(name) for name in raw}  # a member named 12 is the YAML key 12, not "12"
    missing = [n for n in config.member_names if n not in given]
    if missing:
        errors.add(f"출결: no entry for {', '.join(missing)} (expected every member: 출석, 지각 or 결석)",
                   value.loc)
    return tuple((n, statuses[n]) for n in config.member_names if n in statuses)


def _discussion(value: Value | None, errors: Errors) -> tuple[QAItem, ...]:
    items = []
    listed = list_items(value, errors, "논의 내용", "a list of {q: ..., a: ...} items")
    for i, (item, spot) in enumerate(listed):
        label = f"논의 내용 Q{i + 1}"
        fields = read_fields(item, QA_FIELDS, spot, errors, label)
        if fields is None or "q" not in fields:
            continue
        qid = as_text(fields.get("question"), errors, f"{label}: question") or None
        params = fields["params"].raw if "params" in fields else {}
        if not isinstance(params, dict):
            errors.add(f"{label}: params: expected a mapping name: value, got {type_name(params)}",
                       fields["params"].loc)
            params = {}
        elif params and qid is None:
            errors.add(f"{label}: params given without question: <bank id>", fields["params"].loc)
        items.append(QAItem(q=as_text(fields["q"], errors, f"{label}: q", lines=True),
                            a=as_text(fields.get("a"), errors, f"{label}: a", lines=True),
                            question=qid, params=dict(params),
                            loc=fields["question"].loc if "question" in fields else spot))
    return tuple(items)


def load_reports(config: Config, number: int, deadline_needed: bool) -> tuple[IndividualReport, ...]:
    """The individual reports of a week, one per member; all their problems are reported at once."""
    folder = config.root / "weeks" / f"week{number:02d}"
    errors = Errors()
    reports: dict[str, IndividualReport] = {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else ():
        report = _load_report(path, config, deadline_needed, errors)
        if report is None:
            continue
        if report.name in reports:
            first = reports[report.name].path.name
            errors.add(f"second individual report for {report.name!r} (first: {first})", Location(path, 2))
        else:
            reports[report.name] = report
    errors.raise_all()
    return tuple(reports[n] for n in config.member_names if n in reports)


def split_front_matter(text: str, path: Path) -> tuple[str, str]:
    """(YAML front matter padded so its line numbers match the file, Markdown body)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise InputError("expected YAML front matter: the file must start with a line '---'",
                         Location(path, 1))
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "\n" + "".join(lines[1:i]), "".join(lines[i + 1:])
    raise InputError("front matter is not closed: expected a line '---' after it", Location(path, 1))


def _load_report(path: Path, config: Config, deadline_needed: bool, errors: Errors
                 ) -> IndividualReport | None:
    try:
        front, body = split_front_matter(read_text(path), path)
        data = load_yaml_text(front, path)
    except InputError as exc:
        errors.append(exc)
        return None
    except OSError as exc:  # a folder named x.md, an unreadable file
        errors.add(f"cannot read individual report: {exc.strerror}", Location(path))
        return None
    fields = read_fields(data, REPORT_FIELDS, Location(path, 2), errors, "")
    if fields is None or "name" not in fields:
        return None
    name = as_text(fields["name"], errors, "name")
    if config.member(name) is None:
        errors.add(f"name: unknown member {name!r}; {_members_hint(config)}", fields["name"].loc)
    submitted = None
    if "submitted_at" in fields:
        when = parse_when(fields["submitted_at"], errors, "submitted_at", with_time=True)
        submitted = dt.datetime.combine(when[0], when[1] or dt.time()) if when else None
    elif deadline_needed:
        errors.add("missing required field submitted_at (제출 일시): rules.report_deadline is set",
                   Location(path, 2))
    return IndividualReport(path=path, name=name,
                            scope=as_text(fields.get("scope"), errors, "scope", lines=True),
                            questions=as_text_list(fields.get("questions"), errors, "questions"),
                            submitted_at=submitted, body=body.strip())
