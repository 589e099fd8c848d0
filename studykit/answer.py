"""`studykit answer ID [--param K=V ...]`: compute one question's answers with the given parameters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from studykit.bank import format_table, load_bank, resolve_workspace
from studykit.bank_schema import plain
from studykit.compute import compute, render_solution, resolve_params, shown_answers
from studykit.errors import InputError, UsageError
from studykit.verifiers.registry import resolve_device
from studykit.yamlio import load_yaml_text


def parse_param_args(items: Sequence[str]) -> dict[str, Any]:
    """`K=V` strings -> {K: V} with V read as a YAML scalar or list (`X1=[[1,2],[2,3]]`)."""
    given: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--param expects K=V, got {item!r}")
        if name in given:
            raise UsageError(f"--param {name} is given twice")
        try:
            value = plain(load_yaml_text(text, f"--param {name}"))
        except InputError as exc:
            raise UsageError(f"--param {name}: cannot read {text!r} ({exc.message})") from None
        if value is None:
            raise UsageError(f"--param {name} has no value (write {name}=VALUE)")
        given[name] = value
    return given


def run_answer(qid: str, params: Sequence[str], device: str, as_json: bool, workspace: Path | None,
               out: TextIO) -> int:
    """Print the computed answers (a Korean table and the solution, or one JSON object)."""
    given = parse_param_args(params)
    question = load_bank(resolve_workspace(workspace)).get(qid)
    full = resolve_params(question, given)
    resolved = resolve_device(device)
    result = compute(question, full, resolved)
    if not result.valid:
        raise UsageError(f"{qid}: these parameters give no answer: {result.reason}")
    if as_json:
        payload = {"question": qid, "params": full, "answers": dict(result.answers), "device": resolved}
        print(json.dumps(payload, ensure_ascii=False), file=out)
        return 0
    shown = shown_answers(question, result)
    rows = [(f"{spec.display_label()} ({spec.name})" if spec.label else spec.name,
             shown[spec.name] + (f" {spec.unit}" if spec.unit else "")) for spec in question.answers]
    print(f"{question.id} — {question.title} ({question.section})", file=out)
    print("매개변수: " + (", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in full.items())
                         or "없음"), file=out)
    print(f"장치: {resolved}\n", file=out)
    print(format_table(("답 부분", "정답"), rows), file=out)
    if result.method:
        print(f"\n계산 방법: {result.method}", file=out)
    print("\n풀이:", file=out)
    print(render_solution(question, full, result).rstrip(), file=out)
    return 0
