"""Reading fields out of loaded YAML: Korean keys with English aliases, typed values, collected errors."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from studykit.errors import InputError, Location, StudykitError, raise_collected
from studykit.yamlio import LocDict, LocList, loc_of


@dataclass(frozen=True)
class Field:
    """One accepted key: the canonical spelling first, then its aliases."""

    key: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)

    def describe(self) -> str:
        return self.key if not self.aliases else f"{self.key} ({', '.join(self.aliases)})"


@dataclass(frozen=True)
class Value:
    """A field's raw value and where it was written."""

    raw: Any
    loc: Location


class Errors(list):
    """Errors collected while reading; `add` keeps the location next to the message."""

    def add(self, message: str, loc: Location) -> None:
        self.append(InputError(message, loc))

    def raise_all(self) -> None:
        """Fail once with every error, in file and line order; return when there are none."""
        def order(error: StudykitError) -> tuple[str, int]:
            loc = error.location
            return (str(loc.path), loc.line or 0) if loc else ("", 0)

        raise_collected(sorted(self, key=order))


def read_fields(data: Any, fields: Sequence[Field], where: Location, errors: Errors,
                what: str) -> dict[str, Value] | None:
    """The known fields of a mapping by canonical key; unknown, doubled and missing keys are errors."""
    if not isinstance(data, dict):
        prefix = f"{what}: " if what else ""
        errors.add(f"{prefix}expected a mapping of fields, got {type_name(data)}", loc_of(data, where))
        return None
    here = loc_of(data, where)
    by_spelling = {s: f for f in fields for s in f.spellings}
    what = f"{what}: " if what else ""
    found: dict[str, Value] = {}
    for key in data:
        spot = data.loc_of(key) if isinstance(data, LocDict) else here
        field = by_spelling.get(str(key))
        if field is None:
            known = ", ".join(f.key for f in fields)
            errors.add(f"{what}unknown field {str(key)!r}; expected one of: {known}", spot)
        elif field.key in found:
            errors.add(f"{what}field {field.key!r} is given twice (as {str(key)!r})", spot)
        else:
            found[field.key] = Value(data[key], spot)
    for field in fields:
        if field.required and field.key not in found:
            errors.add(f"{what}missing required field {field.describe()}", here)
    return found


def type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    return f"the {type(value).__name__} {value!r}"


def as_text(value: Value | None, errors: Errors, label: str, *, lines: bool = False) -> str:
    """A text field (numbers are taken as written); a list of lines when `lines` allows it."""
    if value is None or value.raw is None:
        return ""
    raw = value.raw
    if lines and isinstance(raw, list) and all(isinstance(i, (str, int, float)) for i in raw):
        return "\n".join(str(i).strip() for i in raw)
    if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
        return str(raw).strip()
    expected = "text or a list of lines" if lines else "text"
    errors.add(f"{label}: expected {expected}, got {type_name(raw)}", value.loc)
    return ""


def list_items(value: Value | None, errors: Errors, label: str, expected: str
               ) -> list[tuple[Any, Location]]:
    """The items of a list field, each with its line; [] (and an error) when it is not a list."""
    if value is None or value.raw is None:
        return []
    raw = value.raw
    if not isinstance(raw, list):
        errors.add(f"{label}: expected {expected}, got {type_name(raw)}", value.loc)
        return []
    return [(item, raw.loc_of(i) if isinstance(raw, LocList) else value.loc) for i, item in enumerate(raw)]


def as_text_list(value: Value | None, errors: Errors, label: str) -> tuple[str, ...]:
    """A list of texts (a single text counts as a one-item list)."""
    if value is not None and isinstance(value.raw, str):
        return (value.raw.strip(),) if value.raw.strip() else ()
    items = []
    for i, (item, spot) in enumerate(list_items(value, errors, label, "a list of texts")):
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            if str(item).strip():
                items.append(str(item).strip())
        else:
            errors.add(f"{label}: item {i + 1}: expected text, got {type_name(item)}", spot)
    return tuple(items)


def as_int(value: Value | None, errors: Errors, label: str, *, minimum: int, default: int | None
           ) -> int | None:
    if value is None or value.raw is None:
        return default
    if isinstance(value.raw, bool) or not isinstance(value.raw, int) or value.raw < minimum:
        errors.add(f"{label}: expected a whole number ≥ {minimum}, got {type_name(value.raw)}", value.loc)
        return default
    return value.raw


_DATE = re.compile(
    r"(\d{4})\s*(?:[-./]|년)\s*(\d{1,2})\s*(?:[-./]|월)\s*(\d{1,2})\s*일?\.?"
    r"(?:\s*\(\w+\))?"                                     # an optional weekday: (목)
    r"(?:(?:\s+|T)(\d{1,2})(?::(\d{2})(?::(\d{2}))?|\s*시(?:\s*(\d{1,2})\s*분)?))?"
)
YEARS = (1900, 2999)
DATE_HINT = "a date like 2019-11-08 or 2019년 11월 08일"
DATETIME_HINT = "a date and optional time like 2019-11-07 15:00 or 2019년 11월 07일 15시"


def parse_when(value: Value, errors: Errors, label: str, *, with_time: bool
               ) -> tuple[dt.date, dt.time | None] | None:
    """A date (and, when allowed, a time of day); impossible dates name what is wrong."""
    raw = value.raw
    hint = DATETIME_HINT if with_time else DATE_HINT
    if isinstance(raw, dt.date) and not YEARS[0] <= raw.year <= YEARS[1]:
        errors.add(f"{label}: expected {hint} in the years {YEARS[0]}–{YEARS[1]}, got {raw}", value.loc)
        return None
    if isinstance(raw, dt.datetime):
        return raw.date(), raw.time().replace(tzinfo=None) if with_time else None
    if isinstance(raw, dt.date):
        return raw, None
    match = _DATE.fullmatch(str(raw).strip()) if isinstance(raw, str) else None
    if match is None:
        errors.add(f"{label}: expected {hint}, got {type_name(raw)}", value.loc)
        return None
    year, month, day, hour, minute, second, korean_minute = match.groups()
    if hour is not None and not with_time:
        errors.add(f"{label}: expected {hint} without a time, got {raw!r}", value.loc)
        return None
    if not YEARS[0] <= int(year) <= YEARS[1]:  # year 1 minus a deadline would overflow datetime
        errors.add(f"{label}: expected {hint} in the years {YEARS[0]}–{YEARS[1]}, got {raw!r}", value.loc)
        return None
    try:
        date = dt.date(int(year), int(month), int(day))
        time = None
        if hour is not None:
            time = dt.time(int(hour), int(minute or korean_minute or 0), int(second or 0))
    except ValueError as exc:
        errors.add(f"{label}: impossible date or time {raw!r} ({exc})", value.loc)
        return None
    return date, time


_TIME = re.compile(r"(\d{1,2}):(\d{2})|(\d{1,2})\s*시(?:\s*(\d{1,2})\s*분)?")


def parse_time(value: Value, errors: Errors, label: str) -> dt.time | None:
    raw = value.raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        errors.add(f"{label}: write the time in quotes, e.g. \"15:00\" (unquoted YAML reads 15:00 "
                   f"as the number {raw})" if raw >= 60 else
                   f"{label}: expected a time like \"15:00\", got {raw}", value.loc)
        return None
    match = _TIME.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        errors.add(f"{label}: expected a time like \"15:00\" or 15시, got {type_name(raw)}", value.loc)
        return None
    hour, minute = match.group(1) or match.group(3), match.group(2) or match.group(4) or 0
    try:
        return dt.time(int(hour), int(minute))
    except ValueError as exc:
        errors.add(f"{label}: impossible time {raw!r} ({exc})", value.loc)
        return None


# A deadline weeks before the meeting is a typo; far larger ones overflow timedelta and datetime.
MAX_DURATION_HOURS = 24 * 366
_DURATION_PART = re.compile(r"(\d+)\s*(hours?|h|시간|minutes?|min|m|분)", re.I)


def parse_duration(value: Value, errors: Errors, label: str) -> dt.timedelta | None:
    """'1h', '90m', '1h 30m', '1시간', '30분'; a plain number counts hours."""
    raw = value.raw
    expected = f"{label}: expected a duration like 1h, 30m, 1h30m or 1시간"
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 <= raw <= MAX_DURATION_HOURS:
        return dt.timedelta(hours=raw)
    text = raw.strip() if isinstance(raw, str) else ""
    parts = list(_DURATION_PART.finditer(text))
    if not text or not parts or _DURATION_PART.sub("", text).strip():
        errors.add(f"{expected}, got {type_name(raw)}", value.loc)
        return None
    minutes = 0  # summed as an int first: a huge amount would overflow timedelta
    for part in parts:
        amount, unit = int(part.group(1)), part.group(2).lower()
        minutes += amount * 60 if unit[0] in "h시" else amount
    if minutes > MAX_DURATION_HOURS * 60:
        errors.add(f"{expected} of at most {MAX_DURATION_HOURS} hours, got {raw!r}", value.loc)
        return None
    return dt.timedelta(minutes=minutes)


_WEEKDAYS = {
    **{k: i for i, k in enumerate("월화수목금토일")},
    **{k + "요일": i for i, k in enumerate("월화수목금토일")},
    **{k: i for i, k in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{k: i for i, k in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday",
                                   "saturday", "sunday"))},
}


def parse_weekday(value: Value, errors: Errors, label: str) -> int | None:
    """0 = Monday; 목, 목요일, thu and thursday all mean Thursday."""
    key = str(value.raw).strip().lower() if isinstance(value.raw, str) else None
    if key not in _WEEKDAYS:
        errors.add(f"{label}: expected a weekday such as 목, 목요일 or thu, got {type_name(value.raw)}",
                   value.loc)
        return None
    return _WEEKDAYS[key]

