"""The question bank's model: frozen dataclasses built by bank.py from validated YAML."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studykit.errors import Location, UsageError

ANSWER_KINDS = ("integer", "number", "shape", "symbolic", "choice", "text")
PARAM_KINDS = ("choice", "int", "float", "fixed")
DEFAULT_TOLERANCE: Mapping[str, float] = {"rtol": 1e-6, "atol": 1e-9}


@dataclass(frozen=True)
class ParamSpec:
    """How one parameter is drawn for a variant: exactly one of choice, int, float, fixed."""

    name: str
    kind: str  # one of PARAM_KINDS
    choices: tuple[Any, ...] = ()  # choice
    lo: float | int | None = None  # int / float: inclusive bounds
    hi: float | int | None = None
    step: int = 1  # int only
    decimals: int | None = None  # float only: values are rounded to this many decimals
    value: Any = None  # fixed (may be a list)

    def describe(self) -> str:
        """Short text for `bank show`: the spec as a user wrote it."""
        if self.kind == "choice":
            return "choice " + ", ".join(str(v) for v in self.choices)
        if self.kind == "int":
            step = f" step {self.step}" if self.step != 1 else ""
            return f"int [{self.lo}, {self.hi}]{step}"
        if self.kind == "float":
            dec = f", {self.decimals} decimals" if self.decimals is not None else ""
            return f"float [{self.lo}, {self.hi}]{dec}"
        return f"fixed {self.value}"

    def default(self) -> Any:
        """The value a spec gives when no textbook instance names the parameter."""
        if self.kind == "choice":
            return self.choices[0]
        if self.kind in ("int", "float"):
            return self.lo
        return self.value


@dataclass(frozen=True)
class AnswerSpec:
    """One named answer part and how it is checked. `tolerance` is set for `number` parts only."""

    name: str
    kind: str  # one of ANSWER_KINDS
    tolerance: Mapping[str, float] | None = None  # {rtol, atol} | {sigfig} | {decimals}
    unit: str = ""
    weight: float = 1.0
    options: tuple[str, ...] = ()  # choice
    multiple: bool = False  # choice: several options may be right
    symbols: tuple[str, ...] = ()  # symbolic: names the grader's parser accepts
    label: str = ""  # Korean label for tables; the part name when empty

    def display_label(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class TextbookInstance:
    """A worked example from the documents: its parameters and the values they print (maybe wrong)."""

    label: str
    source: str
    params: Mapping[str, Any]  # full parameters: the question's defaults overlaid with this instance's
    printed: Mapping[str, Any]
    loc: Location


@dataclass(frozen=True)
class Question:
    """One bank question. Values in params/answers are plain JSON data (no LocDict)."""

    id: str
    topic: str
    title: str
    section: str
    source: str
    difficulty: int
    tags: tuple[str, ...]
    points: float
    params: tuple[ParamSpec, ...]
    prompt: str
    prompt_en: str
    answers: tuple[AnswerSpec, ...]
    verifier: str
    solution: str
    textbook: tuple[TextbookInstance, ...]
    loc: Location
    verifier_version: int = 1
    content_hash: str = ""  # sha256 of the canonical question data and the verifier version
    defaults: Mapping[str, Any] = field(default_factory=dict)
    field_locs: Mapping[str, Location] = field(default_factory=dict)

    def default_params(self) -> dict[str, Any]:
        """The first textbook instance's parameters, completed by the specs' defaults."""
        return _copy(dict(self.defaults))

    def part_names(self) -> list[str]:
        return [a.name for a in self.answers]

    def answer(self, name: str) -> AnswerSpec:
        for spec in self.answers:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def param_names(self) -> list[str]:
        """Every parameter a caller may set: the drawn specs and the textbook's fixed values."""
        return sorted(set(self.defaults) | {p.name for p in self.params})

    def loc_of(self, key: str) -> Location:
        return self.field_locs.get(key, self.loc)


@dataclass(frozen=True)
class Bank:
    """The loaded bank: built-in questions overridden/extended by a workspace's, and their hash."""

    questions: tuple[Question, ...]
    hash: str
    sources: tuple[str, ...] = ()  # folders read, built-in first

    def ids(self) -> list[str]:
        return [q.id for q in self.questions]

    def topics(self) -> list[str]:
        return sorted({q.topic for q in self.questions})

    def get(self, qid: str) -> Question:
        for question in self.questions:
            if question.id == qid:
                return question
        raise UsageError(f"unknown question {qid!r}; valid ids: {', '.join(self.ids()) or '(none)'}")

    def select(self, topics: Iterable[str] = (), tags: Iterable[str] = (), ids: Iterable[str] = (),
               difficulty: Iterable[int | str] = ()) -> list[Question]:
        """Questions matching every given filter (an empty filter matches all), in bank order."""
        topics, tags, ids = list(topics), list(tags), list(ids)
        levels = _levels(difficulty)
        unknown_topics = [t for t in topics if t not in self.topics()]
        if unknown_topics:
            raise UsageError(f"unknown topic {unknown_topics[0]!r}; topics: {', '.join(self.topics())}")
        for qid in ids:
            self.get(qid)  # raises UsageError listing the valid ids
        chosen = []
        for q in self.questions:
            if topics and q.topic not in topics:
                continue
            if tags and not set(tags) & set(q.tags):
                continue
            if ids and q.id not in ids:
                continue
            if levels and q.difficulty not in levels:
                continue
            chosen.append(q)
        return chosen


def _levels(difficulty: Iterable[int | str]) -> set[int]:
    levels = set()
    for item in difficulty:
        try:
            levels.add(int(item))
        except (TypeError, ValueError):
            raise UsageError(f"difficulty must be 1, 2 or 3, not {item!r}") from None
    return levels


def _copy(value: Any) -> Any:
    """Deep copy of plain JSON data, so callers cannot change a frozen question's defaults."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value
