"""Reading a quiz manifest (`quizzes/<id>/manifest.json`, written by `quiz`) for `grade`: model and checks.

A hand-edited or foreign file is one InputError naming the file and the JSON path of the bad field
(`questions[2].points`); the parsed form of the manifests graded in a folder is kept in its
.studykit/manifest-index.json (stores.ManifestIndex), keyed by the file's sha256.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studykit.errors import InputError, Location
from studykit.stores import ManifestIndex

MANIFEST_FORMAT = "studykit-quiz/1"
CLASS_ID = "class"  # a class-wide quiz: one variant (the textbook's) for every student


@dataclass(frozen=True)
class ManifestPart:
    name: str
    kind: str
    column: str
    weight: float


@dataclass(frozen=True)
class ManifestQuestion:
    n: int
    id: str
    points: float
    parts: tuple[ManifestPart, ...]


@dataclass(frozen=True)
class Variant:
    params: Mapping[str, Any]
    key: str  # canonical JSON of params: the cache key


@dataclass(frozen=True)
class Manifest:
    """What `quiz` recorded: questions, answer columns and every student's variant parameters."""

    path: Path
    quiz_id: str
    title: str
    date: str
    course: str
    bank_hash: str
    questions: tuple[ManifestQuestion, ...]
    students: Mapping[str, Mapping[str, Variant]]  # student_id -> question id -> variant
    names: Mapping[str, str]

    def columns(self) -> list[str]:
        return [p.column for q in self.questions for p in q.parts]

    def variants_of(self, student_id: str) -> Mapping[str, Variant] | None:
        """A student's variants; in a class-wide quiz everyone shares the one class variant."""
        if student_id in self.students:
            return self.students[student_id]
        if set(self.students) == {CLASS_ID}:
            return self.students[CLASS_ID]
        return None

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)


def _params_key(params: Mapping[str, Any], seen: dict[Any, Variant]) -> Variant:
    """The variant for these params; students sharing params share one Variant (one json.dumps)."""
    try:  # manifests are written with sorted keys: equal params come in the same order
        probe: Any = tuple(params.items())
        hash(probe)
    except TypeError:  # a list-valued parameter: no cheap key, serialise
        probe = None
    if probe is not None and probe in seen:
        return seen[probe]
    text = json.dumps(params, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    variant = Variant(params, text)
    if probe is not None:
        seen[probe] = variant
    return variant


def load_manifest(path: Path, index_root: Callable[[Path], Path | None] | None = None) -> Manifest:
    """Read quizzes/<id>/manifest.json; a missing file or foreign JSON is one InputError.

    `index_root(path)`: the folder whose .studykit/manifest-index.json keeps the parsed form of the
    manifests graded there (keyed by the file's sha256, so any edit reads the file again).
    """
    where = Location(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise InputError("quiz manifest not found (expected quizzes/<quiz-id>/manifest.json)",
                         where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read quiz manifest: {exc}", where) from None
    index = ManifestIndex.at(index_root(path)) if index_root is not None else None
    digest = hashlib.sha256(raw).hexdigest()
    if index is not None:
        found = _manifest_from_index(path, index.get(digest))
        if found is not None:
            return found
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not a studykit quiz manifest: malformed JSON: {exc.msg}",
                         Location(path, exc.lineno, exc.colno)) from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"not a studykit quiz manifest (format {found!r}, expected {MANIFEST_FORMAT!r})",
                         where)
    try:
        loaded = _manifest_from(path, data)
    except KeyError as exc:
        raise InputError(f"malformed quiz manifest: missing field {exc.args[0]}", where) from None
    except (TypeError, ValueError, AttributeError) as exc:  # a list or a string where a mapping belongs
        raise InputError(f"malformed quiz manifest: bad field {exc}", where) from None
    if index is not None:
        index.put(digest, _index_entry(data, loaded))
        index.save()
    return loaded


def _index_entry(data: Mapping[str, Any], manifest: Manifest) -> dict[str, Any]:
    """The parsed manifest as compact JSON: fields, questions, distinct variants and question lists,
    and per student [id, name, question list, variant indices]."""
    variants: dict[int, int] = {}
    table: list[list[Any]] = []
    qid_lists: dict[tuple[str, ...], int] = {}
    students = []
    for sid, by_question in manifest.students.items():
        for variant in by_question.values():
            if id(variant) not in variants:
                variants[id(variant)] = len(table)
                table.append([variant.params, variant.key])
        qids = qid_lists.setdefault(tuple(by_question), len(qid_lists))
        students.append([sid, manifest.names[sid], qids, [variants[id(v)] for v in by_question.values()]])
    fields = {k: getattr(manifest, k) for k in ("quiz_id", "title", "date", "course", "bank_hash")}
    return {**fields, "questions": data["questions"], "variants": table, "qid_lists": list(qid_lists),
            "students": students}


def _manifest_from_index(path: Path, entry: Any) -> Manifest | None:
    """The Manifest an index entry records, or None when the entry is not one (then the file is read)."""
    try:
        table = [Variant(params, str(key)) for params, key in entry["variants"]]
        if not all(isinstance(v.params, dict) for v in table):
            return None
        qid_lists = entry["qid_lists"]
        students = {str(sid): dict(zip(qid_lists[q], (table[i] for i in refs), strict=True))
                    for sid, _, q, refs in entry["students"]}
        names = {str(sid): str(name) for sid, name, _, _ in entry["students"]}
        shell = _manifest_from(path, {**entry, "students": []})
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
    return Manifest(path=path, quiz_id=shell.quiz_id, title=shell.title, date=shell.date, course=shell.course,
                    bank_hash=shell.bank_hash, questions=shell.questions, students=students, names=names)


def _manifest_from(path: Path, data: Mapping[str, Any]) -> Manifest:
    """The Manifest of parsed JSON; a bad field is a ValueError naming its JSON path."""
    questions = tuple(_at(f"questions[{i}]", _question, q) for i, q in enumerate(_list(data, "questions")))
    students: dict[str, dict[str, Variant]] = {}
    names: dict[str, str] = {}
    seen: dict[Any, Variant] = {}
    for i, entry in enumerate(_list(data, "students")):
        sid, name, by_question = _at(f"students[{i}]", _student, entry, seen)
        names[sid], students[sid] = name, by_question
        missing = [q.id for q in questions if q.id not in by_question]
        if missing:
            raise ValueError(f"students[{i}].variants.{missing[0]} (missing)")
    fields = [str(data["quiz_id"]), *(str(data.get(k) or "") for k in ("title", "date", "course",
                                                                        "bank_hash"))]
    return Manifest(path, *fields, questions=questions, students=students, names=names)


def _at(where: str, parse: Callable[..., Any], raw: Any, *args: Any) -> Any:
    """parse(raw, *args), a missing key or a wrong container raised as ValueError('where.key (...)')."""
    try:
        return parse(raw, *args)
    except KeyError as exc:
        raise ValueError(f"{where}.{exc.args[0]} (missing)") from None
    except (TypeError, AttributeError, ValueError) as exc:
        text = str(exc)  # a nested path (".parts[0].weight ...") continues this one
        raise ValueError(where + (text if text.startswith(".") else f": {text}")) from None


def _student(entry: Mapping[str, Any], seen: dict[Any, Variant]) -> tuple[str, str, dict[str, Variant]]:
    variants = entry["variants"]
    if not isinstance(variants, dict):
        raise ValueError(".variants (a mapping of question id to variant)")
    by_question = {}
    for qid, variant in variants.items():
        params = variant["params"]
        if not isinstance(params, dict):
            raise ValueError(f".variants.{qid}.params (a mapping of name to value)")
        by_question[qid] = _params_key(params, seen)
    return str(entry["student_id"]), str(entry.get("name") or ""), by_question


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    found = data[key]
    if not isinstance(found, list):
        raise ValueError(f"{key} (a list)")
    return found


def _question(raw: Mapping[str, Any]) -> ManifestQuestion:
    parts = raw["parts"]
    if not isinstance(parts, list):
        raise ValueError(".parts (a list)")
    return ManifestQuestion(int(raw["n"]), str(raw["id"]), _amount(raw, "points"), tuple(
        _at(f".parts[{j}]", _part, p) for j, p in enumerate(parts)))


def _part(raw: Mapping[str, Any]) -> ManifestPart:
    return ManifestPart(str(raw["name"]), str(raw["kind"]), str(raw["column"]), _amount(raw, "weight"))


def _amount(raw: Mapping[str, Any], key: str) -> float:
    """points or weight: a finite number >= 0 (NaN or a negative would poison every total)."""
    value = raw.get(key, 1)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value < 0:
        raise ValueError(f".{key} (a finite number >= 0, not {value!r})")
    return float(value)
