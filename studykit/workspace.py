"""The study group's workspace: studykit.yaml (group, members, rules) loaded and validated; `init`."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from studykit.errors import Location, UsageError
from studykit.paths import CONFIG_NAME, builtin_templates_dir, find_workspace
from studykit.schema import (
    Errors,
    Field,
    Value,
    as_int,
    as_text,
    as_text_list,
    list_items,
    parse_duration,
    parse_time,
    parse_weekday,
    read_fields,
)
from studykit.yamlio import load_yaml

CONFIG_FIELDS = (
    Field("group", ("조", "조 이름"), required=True),
    Field("course", ("과목",)),
    Field("textbook", ("교재",)),
    Field("members", ("조원",), required=True),
    Field("rules", ("조 운영 지침",)),
)
MEMBER_FIELDS = (
    Field("name", ("이름",), required=True),
    Field("student_id", ("학번",)),
    Field("department", ("학과",)),
)
RULE_FIELDS = (
    Field("meeting", ("회의 일정",)),
    Field("report_deadline", ("보고서 마감",)),
    Field("leader_rotation", ("조장 순서",)),
    Field("rotation_start_week", ("조장 시작 주차",)),
    Field("lateness_limit", ("지각 결석 한도",)),
    Field("penalty", ("벌칙",)),
)
MEETING_FIELDS = (Field("weekday", ("요일",)), Field("time", ("시간",)))


@dataclass(frozen=True)
class Member:
    name: str
    student_id: str
    department: str


@dataclass(frozen=True)
class Rules:
    """조 운영 지침: when the group meets, when reports are due, who leads, what lateness costs."""

    meeting_weekday: int | None = None          # 0 = Monday
    meeting_time: dt.time | None = None
    report_deadline: dt.timedelta | None = None  # how long before the meeting reports are due
    leader_rotation: tuple[str, ...] = ()
    rotation_start_week: int = 1                 # the week led by leader_rotation[0]
    lateness_limit: int | None = None            # late + absent, counted over all weeks so far
    penalty: str = ""

    def leader_for(self, week: int) -> str | None:
        if not self.leader_rotation:
            return None
        return self.leader_rotation[(week - self.rotation_start_week) % len(self.leader_rotation)]


@dataclass(frozen=True)
class Config:
    """studykit.yaml as a model."""

    path: Path
    group: str
    course: str
    textbook: str
    members: tuple[Member, ...]
    rules: Rules

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def member_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)


def resolve_root(workspace: Path | None) -> Path:
    """The workspace folder given with --workspace, or the nearest one above the current folder."""
    if workspace is None:
        found = find_workspace()
        assert found is not None
        return found
    if workspace.exists() and not workspace.is_dir():
        raise UsageError(f"--workspace {workspace} is a file, not a folder; expected a workspace folder "
                         f"with {CONFIG_NAME}")
    if not (workspace / CONFIG_NAME).is_file():
        raise UsageError(f"{workspace} has no {CONFIG_NAME} (run `studykit init {workspace}` first)")
    return workspace


def load_config(root: Path) -> Config:
    """Load and validate studykit.yaml; every problem in the file is reported at once."""
    path = root / CONFIG_NAME
    data = load_yaml(path)
    errors = Errors()
    where = Location(path, 1)
    fields = read_fields(data, CONFIG_FIELDS, where, errors, "") or {}
    members = _members(fields.get("members"), errors)
    names = {m.name for m in members}
    rules = _rules(fields.get("rules"), names, errors)
    config = Config(path=path, group=as_text(fields.get("group"), errors, "group"),
                    course=as_text(fields.get("course"), errors, "course"),
                    textbook=as_text(fields.get("textbook"), errors, "textbook"),
                    members=members, rules=rules)
    errors.raise_all()
    return config


def _members(value: Value | None, errors: Errors) -> tuple[Member, ...]:
    expected = "a list of members (name, student_id, department)"
    if value is not None and value.raw == []:
        errors.add(f"members: expected {expected}, got an empty list", value.loc)
    members: list[Member] = []
    seen: dict[tuple[str, str], Location] = {}
    for i, (item, spot) in enumerate(list_items(value, errors, "members", expected)):
        fields = read_fields(item, MEMBER_FIELDS, spot, errors, f"members[{i + 1}]")
        if fields is None or "name" not in fields:
            continue
        name = as_text(fields["name"], errors, "members: name")
        student_id = _student_id(fields.get("student_id"), errors)
        for key, label in ((name, "member"), (student_id, "student_id")):
            if key and (label, key) in seen:
                first = seen[(label, key)]
                errors.add(f"duplicated {label} {key!r} (first at line {first.line})", spot)
            elif key:
                seen[(label, key)] = spot
        if name:
            members.append(Member(name, student_id, as_text(fields.get("department"), errors,
                                                             "members: department")))
    return tuple(members)


def _student_id(value: Value | None, errors: Errors) -> str:
    """A quoted student id: unquoted YAML reads 0123 as the octal number 83, silently another id."""
    if value is not None and isinstance(value.raw, (int, float)) and not isinstance(value.raw, bool):
        errors.add(f"members: student_id: write the student id in quotes, e.g. \"0123\" (unquoted YAML "
                   f"reads it as the number {value.raw})", value.loc)
        return ""
    return as_text(value, errors, "members: student_id")


def _rules(value: Value | None, names: set[str], errors: Errors) -> Rules:
    if value is None or value.raw is None:
        return Rules()
    fields = read_fields(value.raw, RULE_FIELDS, value.loc, errors, "rules")
    if fields is None:
        return Rules()
    weekday, time = _meeting(fields.get("meeting"), errors)
    deadline = fields.get("report_deadline")
    rotation = as_text_list(fields.get("leader_rotation"), errors, "rules.leader_rotation")
    for name in rotation:
        if name not in names:
            spot = fields["leader_rotation"].loc
            errors.add(f"rules.leader_rotation: unknown member {name!r}; members are: "
                       f"{', '.join(sorted(names))}", spot)
    return Rules(
        meeting_weekday=weekday, meeting_time=time,
        report_deadline=parse_duration(deadline, errors, "rules.report_deadline") if deadline else None,
        leader_rotation=rotation,
        rotation_start_week=as_int(fields.get("rotation_start_week"), errors,
                                   "rules.rotation_start_week", minimum=1, default=1) or 1,
        lateness_limit=as_int(fields.get("lateness_limit"), errors, "rules.lateness_limit",
                              minimum=1, default=None),
        penalty=as_text(fields.get("penalty"), errors, "rules.penalty"),
    )


def _meeting(value: Value | None, errors: Errors) -> tuple[int | None, dt.time | None]:
    if value is None or value.raw is None:
        return None, None
    fields = read_fields(value.raw, MEETING_FIELDS, value.loc, errors, "rules.meeting") or {}
    weekday = parse_weekday(fields["weekday"], errors, "rules.meeting.weekday") \
        if "weekday" in fields else None
    time = parse_time(fields["time"], errors, "rules.meeting.time") if "time" in fields else None
    return weekday, time


def run_init(dir: Path, out: TextIO) -> int:
    """Scaffold a workspace: studykit.yaml, weeks/ (one sample week), questions/, templates/."""
    target = Path(dir)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file, not a folder; pass a new or existing folder to init")
    if (target / CONFIG_NAME).exists():
        raise UsageError(f"{target / CONFIG_NAME} already exists; not overwriting a workspace")
    source = builtin_templates_dir() / "init"
    created: list[Path] = []
    for path in sorted(source.rglob("*")):
        if path.is_dir() or path.name.startswith("__"):
            continue
        dest = target / path.relative_to(source)
        if dest.exists():
            continue  # never overwrite what the user already has
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        except OSError as exc:
            raise UsageError(f"cannot create {exc.filename or dest}: {exc.strerror}") from None
        created.append(dest)
    for path in created:
        print(f"created {path}", file=out)
    print(f"next: edit {target / CONFIG_NAME}, then `studykit -C {target} report week01`", file=out)
    return 0
