"""Running verifiers for bank questions: checked results, caches, variants, rendering, report citations."""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studykit.errors import InputError, Location, StudykitError, UsageError, VerifierFailed
from studykit.model import AnswerSpec, Question
from studykit.render import render_string
from studykit.stores import ANSWERS_FILE, ANSWERS_FORMAT, STORE_DIR, AnswerStore, answer_key, params_json
from studykit.values import format_display
from studykit.variants import draw_params
from studykit.verifiers.registry import Context, Result, get_verifier

Verifier = Callable[[Mapping[str, Any], Context], Result]
DRAW_ATTEMPTS = 20  # redraws of an invalid variant before falling back to the textbook parameters
CACHE_FILE = Path(STORE_DIR) / ANSWERS_FILE  # the persistent answer store (studykit/stores.py)
CACHE_FORMAT = ANSWERS_FORMAT

_MEMO: dict[tuple[Any, ...], Result] = {}


def clear_memo() -> None:
    """Forget the in-process results (tests; a long-lived process after the bank changed)."""
    _MEMO.clear()


def compute(question: Question, params: Mapping[str, Any], device: str = "cpu", *,
            verifier: Verifier | None = None, store: AnswerStore | None = None) -> Result:
    """Run the question's verifier on `params`, check the Result against the question, memoise it.

    With a `store`, a Result recorded for this exact question content, verifier (version and code),
    params and device is used instead of running the verifier, and a new one is recorded.
    """
    key = (question.content_hash, question.verifier_version, params_json(params), device, verifier)
    cached = _MEMO.get(key)
    if cached is not None:
        return cached
    use_store = store is not None and verifier is None  # an ad-hoc verifier is never stored
    if use_store:
        stored = store.get(question, params, device)
        if stored is not None:
            _MEMO[key] = stored
            return stored
    result = _run_verifier(question, params, device, verifier)
    _MEMO[key] = result
    if use_store:
        store.put(question, params, device, result)
    return result


def _run_verifier(question: Question, params: Mapping[str, Any], device: str, verifier: Verifier | None
                  ) -> Result:
    function = verifier or get_verifier(question.verifier)
    try:
        raw = function(dict(params), Context(device=device))
    except Exception as exc:  # a verifier bug must name the question, not crash the run
        detail = (str(exc).splitlines() or [""])[0]  # torch errors append many lines of C++ trace
        raise VerifierFailed(f"{question.id}: verifier {question.verifier} raised "
                             f"{type(exc).__name__}: {detail}", question.loc) from exc
    return check_result(question, raw)


def check_result(question: Question, result: Any) -> Result:
    """Every declared part present with a finite value of its kind; values normalised to JSON data."""
    def fail(message: str) -> VerifierFailed:
        return VerifierFailed(f"{question.id}: verifier {question.verifier}: {message}", question.loc)

    if not isinstance(result, Result):
        raise fail(f"returned {type(result).__name__}, not a Result")
    try:
        steps, misconceptions = _jsonable(result.steps), _jsonable(result.misconceptions)
    except TypeError as exc:
        raise fail(f"steps/misconceptions are not JSON data: {exc}") from None
    if not result.valid:
        return Result(answers={}, steps=steps, misconceptions=misconceptions, valid=False,
                      reason=str(result.reason or "invalid parameters"), method=str(result.method))
    missing = [p for p in question.part_names() if p not in result.answers]
    extra = [p for p in result.answers if p not in question.part_names()]
    if missing or extra:
        what = f"missing part {missing[0]!r}" if missing else f"undeclared part {extra[0]!r}"
        raise fail(f"{what} (declared: {', '.join(question.part_names())})")
    answers = {}
    for spec in question.answers:
        try:
            answers[spec.name] = normalise_value(spec, result.answers[spec.name])
        except ValueError as exc:
            raise fail(f"part {spec.name!r} ({spec.kind}): {exc}") from None
    return Result(answers=answers, steps=steps, misconceptions=misconceptions, valid=True,
                  reason="", method=str(result.method))


def normalise_value(spec: AnswerSpec, value: Any) -> Any:
    """The value as the JSON data its kind promises; ValueError says what is wrong."""
    if spec.kind == "integer":
        return _integer(value)
    if spec.kind == "number":
        if isinstance(value, (list, tuple)):
            if not value:
                raise ValueError("empty vector")
            return [_finite(v) for v in value]
        return _finite(value)
    if spec.kind == "shape":
        if not isinstance(value, (list, tuple)) or not value:
            raise ValueError(f"expected a non-empty list of ints, got {value!r}")
        dims = [_integer(v) for v in value]
        if any(d < 0 for d in dims):
            raise ValueError(f"negative dimension in {dims}")
        return dims
    if spec.kind == "choice":
        chosen = list(value) if isinstance(value, (list, tuple)) and spec.multiple else [value]
        if not all(isinstance(c, str) and c in spec.options for c in chosen):
            raise ValueError(f"{value!r} is not among the options {', '.join(spec.options)}")
        return chosen if spec.multiple else chosen[0]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"expected an int, got {type(value).__name__} {value!r}")
    return int(value)


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"expected a float, got {type(value).__name__} {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"not finite: {value!r}")
    return float(value)


def _jsonable(value: Any) -> Any:
    """Plain JSON data (numpy scalars and tuples converted) or TypeError naming the odd type."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"{type(value).__name__} {value!r}")


def resolve_params(question: Question, given: Mapping[str, Any], where: Location | None = None
                   ) -> dict[str, Any]:
    """The default parameters overlaid with `given`, each checked by check_params."""
    check_params(question, given, where)
    return {**question.default_params(), **given}


def check_params(question: Question, given: Mapping[str, Any], where: Location | None = None, *,
                 complete: bool = False, context: str = "") -> None:
    """Every name a parameter of the question, every value of the kind its default (or spec) has.

    `complete`: every parameter must be given (a manifest's recorded variant). The error is an
    InputError at `where` (a file citing the question), else a UsageError (`answer --param`);
    `context` starts its message (e.g. the manifest entry).
    """
    def fail(message: str) -> StudykitError:
        text = f"{context}{question.id}{message}"
        return InputError(text, where) if where else UsageError(text)

    examples = _param_examples(question)
    for name, value in given.items():
        if name not in examples:
            raise fail(f" has no parameter {name!r}; parameters: {', '.join(sorted(examples)) or '(none)'}")
        if not any(_fits(value, example) for example in examples[name]):
            example = question.defaults.get(name, examples[name][0])
            raise fail(f": parameter {name!r} must be {_expected(example)}, not {_shown(value)}")
    missing = [name for name in sorted(examples) if name not in given] if complete else []
    if missing:
        raise fail(f": parameter {missing[0]!r} is missing")


_EXAMPLES: dict[tuple[str, str], dict[str, list[Any]]] = {}


def _param_examples(question: Question) -> dict[str, list[Any]]:
    """name -> values the bank itself gives it (default first, then textbook instances and specs)."""
    if not question.content_hash:  # a question built by hand (tests): nothing to key a cache on
        return _collect_examples(question)
    key = (question.id, question.content_hash)  # grade checks every distinct variant: build this once
    found = _EXAMPLES.get(key)
    if found is None:
        found = _EXAMPLES[key] = _collect_examples(question)
    return found


def _collect_examples(question: Question) -> dict[str, list[Any]]:
    examples: dict[str, list[Any]] = {name: [value] for name, value in question.defaults.items()}
    for instance in question.textbook:
        for name, value in instance.params.items():
            examples.setdefault(name, []).append(value)
    for spec in question.params:
        drawn = {"choice": list(spec.choices), "fixed": [spec.value], "int": [0], "float": [0.0]}[spec.kind]
        examples.setdefault(spec.name, []).extend(drawn)
    return {name: _distinct_kinds(values) for name, values in examples.items()}


def _distinct_kinds(values: list[Any]) -> list[Any]:
    """One representative per kind (0, 0.0, [[0.0]], ...): a 1,000-value choice is checked like one."""
    def kind_of(value: Any) -> Any:
        if isinstance(value, list):
            return _distinct_kinds(value)
        if isinstance(value, dict):
            return {}
        return value if isinstance(value, bool) or value is None else type(value)()

    return list({repr(k): k for k in map(kind_of, values)}.values())


def _fits(value: Any, example: Any) -> bool:
    """`value` has the kind of `example`: int (not bool), finite number for a float, same-depth lists."""
    if isinstance(example, bool) or example is None or isinstance(example, str):
        return type(value) is type(example)
    if isinstance(example, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(example, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if isinstance(example, list):
        return isinstance(value, list) and all(any(_fits(v, e) for e in example) or not example
                                               and _plain_data(v) for v in value)
    if isinstance(example, dict):
        return isinstance(value, dict)
    return False


def _plain_data(value: Any) -> bool:
    """Finite JSON data (an empty example list says nothing more about its elements)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(map(_plain_data, value))
    return isinstance(value, (int, str, bool, dict)) or value is None


def _expected(example: Any) -> str:
    if isinstance(example, bool):
        return "true or false"
    if isinstance(example, int):
        return "an integer"
    if isinstance(example, float):
        return "a finite number"
    if isinstance(example, str):
        return "a string"
    if isinstance(example, list):
        return f"a list like {_shown(example)}"
    return f"like {_shown(example)}"


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def draw_variant(question: Question, seed: int, device: str = "cpu", *, verifier: Verifier | None = None,
                 store: AnswerStore | None = None) -> tuple[dict[str, Any], Result]:
    """Parameters drawn from `seed` (then seed+1, ... while the verifier says invalid), with their Result."""
    for attempt in range(DRAW_ATTEMPTS):
        params = draw_params(question, seed + attempt)
        result = compute(question, params, device, verifier=verifier, store=store)
        if result.valid:
            return params, result
    params = question.default_params()
    result = compute(question, params, device, verifier=verifier, store=store)
    if not result.valid:
        raise VerifierFailed(f"{question.id}: no valid variant in {DRAW_ATTEMPTS} draws and the default "
                             f"parameters are invalid too: {result.reason}", question.loc)
    return params, result


def render_prompt(question: Question, params: Mapping[str, Any], lang: str = "ko") -> str:
    """The question text for these parameters (English when asked for and written)."""
    key = "prompt_en" if lang == "en" and question.prompt_en else "prompt"
    source = question.prompt_en if key == "prompt_en" else question.prompt
    return render_string(source, {**params, "params": dict(params)}, question.loc_of(key))


def shown_answers(question: Question, result: Result) -> dict[str, str]:
    """Each part's value as documents show it (format_display with the part's tolerance)."""
    return {spec.name: format_display(spec.kind, result.answers[spec.name], spec.tolerance)
            for spec in question.answers if spec.name in result.answers}


def render_solution(question: Question, params: Mapping[str, Any], result: Result) -> str:
    """The worked solution: params, answers.<part> (raw), shown.<part> (display text), steps.<name>."""
    context = {**params, "params": dict(params), "answers": dict(result.answers),
               "steps": dict(result.steps), "shown": shown_answers(question, result)}
    return render_string(question.solution, context, question.loc_of("solution"))


# --- the persistent workspace cache (.studykit/answers-cache.json, studykit/stores.py) --------------

def cache_key(question: Question, params: Mapping[str, Any], device: str) -> str:
    return answer_key(question, params, device)


def cached_result(workspace: Path | None, question: Question, params: Mapping[str, Any], device: str
                  ) -> Result | None:
    """The Result recorded for exactly this question content, verifier version, params and device."""
    if workspace is None:
        return None
    return AnswerStore.at(workspace).get(question, params, device)


def compute_cached(workspace: Path | None, question: Question, params: Mapping[str, Any],
                   device: str = "cpu", *, bank_hash: str = "", verifier: Verifier | None = None) -> Result:
    """compute() through the workspace cache: a hit needs no verifier (and so no torch)."""
    store = AnswerStore.at(workspace)
    hit = store.get(question, params, device) if verifier is None else None
    if hit is not None:
        return hit
    result = compute(question, params, device, verifier=verifier)
    if workspace is not None and verifier is None:
        store.put(question, params, device, result, bank_hash)
        store.save()
    return result


# --- citations of bank questions in reports -----------------------------------------------------

@dataclass(frozen=True)
class Citation:
    """A bank question's computed answer, ready for a report's A: rows of (part label, display text)."""

    qid: str
    title: str
    params: Mapping[str, Any]
    rows: list[tuple[str, str]]
    solution: str  # rendered Markdown
    bank_hash: str


def cite(workspace: Path | None, qid: str, params: Mapping[str, Any] | None, *,
         where: Location | None = None, bank: Any = None) -> Citation:
    """Compute (or read from the workspace cache) question `qid` with `params` for a report.

    `where` (the week file's line) makes unknown ids/params InputErrors pointing there.
    """
    from studykit.bank import load_bank

    bank = bank or load_bank(workspace)
    try:
        question = bank.get(qid)
    except UsageError as exc:
        raise (InputError(exc.message, where) if where else exc) from None
    full = resolve_params(question, params or {}, where)
    result = compute_cached(workspace, question, full, "cpu", bank_hash=bank.hash)
    if not result.valid:
        raise InputError(f"{qid}: invalid parameters: {result.reason}", where)
    shown = shown_answers(question, result)
    rows = [(spec.display_label(), shown[spec.name] + (f" {spec.unit}" if spec.unit else ""))
            for spec in question.answers]
    return Citation(qid=qid, title=question.title, params=full, rows=rows,
                    solution=render_solution(question, full, result), bank_hash=bank.hash)
