"""The question bank: load questions/*.yaml (built-in, then the workspace's), hash it; `bank list/show`."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from studykit.bank_schema import canonical_json, parse_question
from studykit.errors import InputError, Location, StudykitError, raise_collected
from studykit.model import Bank, Question
from studykit.paths import builtin_questions_dir, find_workspace
from studykit.verifiers import registry as verifier_registry
from studykit.yamlio import load_yaml


def resolve_workspace(workspace: Path | None) -> Path | None:
    """An explicit --workspace must be one; else the nearest workspace, if any (the bank works without)."""
    if workspace is not None:
        return find_workspace(Path(workspace), required=True)
    return find_workspace(None, required=False)


def load_bank(workspace: Path | None, *, registry: Mapping[str, Any] | None = None,
              builtin_dir: Path | None = None) -> Bank:
    """Built-in questions, extended or overridden by id by the workspace's questions/; all errors at once.

    `registry` maps verifier name -> entry with a `version` (default: the real REGISTRY);
    `builtin_dir` replaces the built-in bank folder (tests).
    """
    registry = verifier_registry.REGISTRY if registry is None else registry
    folders = [builtin_dir or builtin_questions_dir()]
    if workspace is not None and (Path(workspace) / "questions").is_dir():
        folders.append(Path(workspace) / "questions")
    key = _memo_key(folders, registry)
    if key in _MEMO:
        return _MEMO[key]
    errors: list[StudykitError] = []
    merged: dict[str, Question] = {}
    for folder in folders:
        for question in _load_folder(folder, registry, errors):
            merged[question.id] = question  # a later folder overrides by id, keeping the built-in position
    raise_collected(errors)
    questions = tuple(merged.values())
    bank = Bank(questions=questions, hash=bank_hash(questions), sources=tuple(str(f) for f in folders))
    if len(_MEMO) >= 8:
        _MEMO.clear()
    _MEMO[key] = bank
    return bank


# A report citing several questions loads the bank once per process: the memo is keyed by every
# question file's path, size and mtime and by the verifier versions, so any edit reloads.
_MEMO: dict[tuple[Any, ...], Bank] = {}


def _memo_key(folders: list[Path], registry: Mapping[str, Any]) -> tuple[Any, ...]:
    files = []
    for folder in folders:
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []:
            stat = path.stat()
            files.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
    versions = tuple(sorted((name, getattr(entry, "version", 1)) for name, entry in registry.items()))
    return (tuple(str(f) for f in folders), tuple(files), versions)


def bank_hash(questions: Iterable[Question]) -> str:
    """sha256 over every question's content hash (which covers its verifier version), by id."""
    pairs = sorted((q.id, q.content_hash) for q in questions)
    return "sha256:" + hashlib.sha256(canonical_json(pairs).encode()).hexdigest()


def _load_folder(folder: Path, registry: Mapping[str, Any], errors: list[StudykitError]) -> list[Question]:
    """Every question of one folder, in file order; duplicate ids within the folder are errors."""
    if not folder.is_dir():
        return []
    seen: dict[str, Question] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        for question in _load_file(path, registry, errors):
            first = seen.get(question.id)
            if first is not None:
                errors.append(InputError(f"duplicate question id {question.id!r} (first at {first.loc})",
                                         question.loc))
                continue
            seen[question.id] = question
    return list(seen.values())


def _load_file(path: Path, registry: Mapping[str, Any], errors: list[StudykitError]) -> list[Question]:
    try:
        data = load_yaml(path)
    except InputError as exc:
        errors.append(exc)
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        errors.append(InputError("a question file must be a YAML list of questions (- id: ...)",
                                 getattr(data, "loc", Location(path, 1))))
        return []
    questions = []
    for index, item in enumerate(data):
        question = parse_question(item, data.loc_of(index), registry, errors)
        if question is not None:
            questions.append(question)
    return questions


# --- plain-text tables (terminal output) ---------------------------------------------------------

def _width(text: str) -> int:
    """Terminal columns: Hangul and other wide characters take two."""
    if text.isascii():  # most cells (ids, scores): skip the per-character lookup
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A left-aligned text table with a rule under the header; the last column is not padded."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        padded = [c + " " * (widths[i] - _width(c)) for i, c in enumerate(row[:-1])]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- bank list / bank show -----------------------------------------------------------------------

def question_summary(question: Question) -> dict[str, Any]:
    """The JSON object `bank list --json` prints for one question."""
    return {
        "id": question.id, "topic": question.topic, "section": question.section,
        "difficulty": question.difficulty, "parts": question.part_names(), "title": question.title,
        "tags": list(question.tags), "points": question.points, "verifier": question.verifier,
        "params": question.param_names(), "source": question.source,
    }


def run_bank_list(topics: Sequence[str], as_json: bool, workspace: Path | None, out: TextIO) -> int:
    """`studykit bank list`: a table of the questions (or JSON); never imports torch."""
    bank = load_bank(resolve_workspace(workspace))
    questions = bank.select(topics=topics)
    if as_json:
        print(json.dumps([question_summary(q) for q in questions], ensure_ascii=False, indent=2), file=out)
        return 0
    rows = [(q.id, q.topic, q.section, q.difficulty, ", ".join(q.part_names()), q.title) for q in questions]
    print(format_table(("문제 ID", "주제", "절", "난이도", "답 부분", "제목"), rows), file=out)
    print(f"\n{len(questions)}문제 · bank {bank.hash}", file=out)
    return 0


def run_bank_show(qid: str, workspace: Path | None, out: TextIO) -> int:
    """`studykit bank show ID`: metadata, parameter specs, textbook instances and the default prompt."""
    from studykit.compute import cached_result, render_prompt, render_solution

    ws = resolve_workspace(workspace)
    question = load_bank(ws).get(qid)
    print(_show_text(question), file=out)
    defaults = question.default_params()
    print("문제 (기본 매개변수):", file=out)
    print(_indent(render_prompt(question, defaults)), file=out)
    result = cached_result(ws, question, defaults, "cpu")
    if result is None:
        print("정답: 계산하지 않음 (`studykit answer " + question.id + "`로 계산)", file=out)
        return 0
    from studykit.values import format_display

    print("정답 (캐시):", file=out)
    for spec in question.answers:
        value = format_display(spec.kind, result.answers[spec.name], spec.tolerance)
        print(f"  {spec.display_label()}: {value}{' ' + spec.unit if spec.unit else ''}", file=out)
    print("풀이:", file=out)
    print(_indent(render_solution(question, defaults, result)), file=out)
    return 0


def _show_text(q: Question) -> str:
    lines = [f"{q.id} — {q.title}",
             f"주제: {q.topic} · 절: {q.section} · 난이도: {q.difficulty} · 배점: {q.points:g}"
             + (f" · 출처: {q.source}" if q.source else ""),
             f"검증기: {q.verifier} (v{q.verifier_version}) · 파일: {q.loc}"]
    if q.tags:
        lines.append("태그: " + ", ".join(q.tags))
    lines.append("매개변수:")
    specs = {p.name: p for p in q.params}
    for name in q.param_names():
        how = specs[name].describe() if name in specs else "교재 값 고정"
        lines.append(f"  {name}: {how} (기본값 {json.dumps(q.defaults.get(name), ensure_ascii=False)})")
    lines.append("답 부분:")
    for a in q.answers:
        extra = [a.label, f"허용오차 {json.dumps(dict(a.tolerance))}" if a.tolerance else "", a.unit,
                 "선택지 " + ", ".join(a.options) if a.options else ""]
        lines.append(f"  {a.name} ({a.kind}) " + " · ".join(e for e in extra if e))
    lines.append("교재 사례:" if q.textbook else "교재 사례: 없음")
    for n, inst in enumerate(q.textbook, 1):
        params = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in inst.params.items())
        lines.append(f"  {n}. {inst.label}" + (f" ({inst.source})" if inst.source else "") + f": {params}")
        if inst.printed:
            printed = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in inst.printed.items())
            lines.append(f"     인쇄값: {printed}")
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else "" for line in text.rstrip().splitlines())
