"""Validation of one question mapping from questions/*.yaml into a model.Question (errors collected)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes

from studykit.errors import InputError, Location, StudykitError
from studykit.model import ANSWER_KINDS, DEFAULT_TOLERANCE, PARAM_KINDS, AnswerSpec, ParamSpec, Question
from studykit.model import TextbookInstance as Instance
from studykit.render import template_env
from studykit.yamlio import LocDict, loc_of

REQUIRED = ("id", "topic", "title", "section", "difficulty", "prompt", "answers", "verifier", "solution")
OPTIONAL = ("source", "tags", "points", "params", "prompt_en", "textbook")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*\.[A-Za-z0-9][A-Za-z0-9_.-]*$")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED = ("params", "answers", "steps", "shown")  # names the templates use for themselves
ANSWER_KEYS = {"kind", "label", "unit", "weight"}
KIND_KEYS = {"number": {"tolerance"}, "choice": {"options", "multiple"}, "symbolic": {"symbols"}}
PARAM_EXTRA = {"int": {"step"}, "float": {"decimals"}, "choice": set(), "fixed": set()}
TOLERANCE_HELP = "tolerance must be {rtol, atol}, {sigfig: n} or {decimals: n}"
INSTANCE_KEYS = ("label", "source", "params", "printed")


def plain(value: Any) -> Any:
    """LocDict/LocList trees as plain dicts and lists (what verifiers and JSON see)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class _Checker:
    """Collects every problem of one question, each with the line it is about."""

    def __init__(self, item: LocDict, errors: list[StudykitError]) -> None:
        self.item, self.errors = item, errors
        self.label = f"question {item.get('id')!r}: " if isinstance(item.get("id"), str) else ""

    def fail(self, message: str, where: Location) -> None:
        self.errors.append(InputError(self.label + message, where))

    def at(self, key: str) -> Location:
        return self.item.loc_of(key)

    def text(self, key: str, default: str = "", required: bool = False) -> str:
        value = self.item.get(key, default)
        if isinstance(value, str) and (value.strip() or not required):
            return value
        hint = ' (quote it, e.g. "4.3.3")' if key == "section" else ""
        what = "a non-empty string" if required else "a string"
        self.fail(f"{key} must be {what}{hint}, got {plain(value)!r}", self.at(key))
        return str(value)


def parse_question(item: Any, where: Location, registry: Mapping[str, Any],
                   errors: list[StudykitError]) -> Question | None:
    """One question mapping -> Question; problems are appended to `errors` (None when any)."""
    if not isinstance(item, dict):
        errors.append(InputError("each question must be a mapping (- id: ..., topic: ...)", where))
        return None
    before = len(errors)
    chk = _Checker(item, errors)
    for key in item:
        if key not in REQUIRED and key not in OPTIONAL:
            chk.fail(f"unknown field {key!r}; allowed: {', '.join(REQUIRED + OPTIONAL)}", chk.at(key))
    missing = [key for key in REQUIRED if key not in item]
    for key in missing:
        chk.fail(f"missing required field {key!r}", item.loc)
    if missing:
        return None
    qid, topic = chk.text("id", required=True), chk.text("topic", required=True)
    title, section = chk.text("title", required=True), chk.text("section", required=True)
    source, prompt_en = chk.text("source"), chk.text("prompt_en")
    if isinstance(item["id"], str) and not ID_RE.match(qid):
        chk.fail(f"id {qid!r} must look like <topic>.<name> (lowercase topic)", chk.at("id"))
    elif isinstance(item["id"], str) and not qid.startswith(f"{topic}."):
        chk.fail(f"id {qid!r} must start with its topic {topic + '.'!r}", chk.at("id"))
    difficulty, points, tags = _grading_fields(chk)
    verifier = item["verifier"]
    if not isinstance(verifier, str) or verifier not in registry:
        chk.fail(f"unknown verifier {verifier!r}; available: {', '.join(sorted(registry)) or '(none)'}",
                 chk.at("verifier"))
    params = _param_specs(chk)
    answers = _answer_specs(chk)
    defaults, textbook = _textbook(chk, params, answers)
    raw_params = item.get("params") if isinstance(item.get("params"), dict) else {}
    _check_templates(chk, sorted({*map(str, raw_params), *defaults}))  # bad specs still count as names
    if len(errors) > before:
        return None
    version = int(getattr(registry[verifier], "version", 1))
    digest = hashlib.sha256(canonical_json({"q": item, "verifier_version": version}).encode()).hexdigest()
    return Question(
        id=qid, topic=topic, title=title, section=section, source=source,
        difficulty=difficulty, tags=tuple(tags), points=float(points), params=tuple(params),
        prompt=item["prompt"], prompt_en=prompt_en, answers=tuple(answers),
        verifier=verifier, solution=item["solution"], textbook=tuple(textbook), loc=item.loc,
        verifier_version=version, content_hash=f"sha256:{digest}", defaults=defaults,
        field_locs={key: item.loc_of(key) for key in item},
    )


def _grading_fields(chk: _Checker) -> tuple[Any, Any, list[str]]:
    """difficulty (1..3), points (> 0, default 1) and tags (strings)."""
    difficulty = chk.item["difficulty"]
    if not _is_int(difficulty) or not 1 <= difficulty <= 3:
        chk.fail(f"difficulty must be 1, 2 or 3, got {difficulty!r}", chk.at("difficulty"))
    points = chk.item.get("points", 1)
    if not _is_number(points) or points <= 0:
        chk.fail(f"points must be a positive number, got {points!r}", chk.at("points"))
    tags = chk.item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        chk.fail("tags must be a list of strings", chk.at("tags"))
        tags = []
    return difficulty, points, tags


def _param_specs(chk: _Checker) -> list[ParamSpec]:
    raw = chk.item.get("params", {})
    if raw is None:
        return []
    if not isinstance(raw, dict):
        chk.fail("params must be a mapping: name: {choice|int|float|fixed: ...}", chk.at("params"))
        return []
    specs = []
    for name, spec in raw.items():
        where = raw.loc_of(name)
        if not isinstance(name, str) or not NAME_RE.match(name) or name in RESERVED:
            chk.fail(f"parameter name {name!r} must be an identifier other than {', '.join(RESERVED)}", where)
            continue
        parsed = _param_spec(chk, name, spec, where)
        if parsed is not None:
            specs.append(parsed)
    return specs


def _param_spec(chk: _Checker, name: str, spec: Any, where: Location) -> ParamSpec | None:
    kinds = [k for k in PARAM_KINDS if isinstance(spec, dict) and k in spec]
    if len(kinds) != 1:
        chk.fail(f"parameter {name!r}: spec must have exactly one of {', '.join(PARAM_KINDS)}", where)
        return None
    kind = kinds[0]
    extra = [k for k in spec if k != kind and k not in PARAM_EXTRA[kind]]
    if extra:
        allowed = ", ".join(sorted({kind} | PARAM_EXTRA[kind]))
        chk.fail(f"parameter {name!r}: unknown key {extra[0]!r} for a {kind} spec; allowed: {allowed}", where)
        return None
    value = plain(spec[kind])
    if kind == "fixed":
        return ParamSpec(name, kind, value=value)
    if kind == "choice":
        if not isinstance(value, list) or not value:
            chk.fail(f"parameter {name!r}: choice must be a non-empty list, got {value!r}", where)
            return None
        return ParamSpec(name, kind, choices=tuple(value))
    return _range_spec(chk, name, kind, value, spec, where)


def _range_spec(chk: _Checker, name: str, kind: str, value: Any, spec: dict, where: Location
                ) -> ParamSpec | None:
    check = _is_int if kind == "int" else _is_number
    if not (isinstance(value, list) and len(value) == 2 and all(check(v) for v in value)
            and value[0] <= value[1]):
        what = "integers" if kind == "int" else "numbers"
        chk.fail(f"parameter {name!r}: {kind} must be [lo, hi] with {what} lo <= hi, got {value!r}", where)
        return None
    lo, hi = value
    if kind == "int":
        step = spec.get("step", 1)
        if not _is_int(step) or step < 1:
            chk.fail(f"parameter {name!r}: step must be a positive integer, got {step!r}", where)
            return None
        return ParamSpec(name, kind, lo=lo, hi=hi, step=step)
    decimals = spec.get("decimals")
    if decimals is not None:
        if not _is_int(decimals) or decimals < 0:
            chk.fail(f"parameter {name!r}: decimals must be an integer >= 0, got {decimals!r}", where)
            return None
        if math.ceil(lo * 10**decimals) > math.floor(hi * 10**decimals):
            chk.fail(f"parameter {name!r}: float [{lo}, {hi}] holds no value with {decimals} decimals", where)
            return None
    return ParamSpec(name, kind, lo=float(lo), hi=float(hi), decimals=decimals)


def _answer_specs(chk: _Checker) -> list[AnswerSpec]:
    raw = chk.item["answers"]
    if not isinstance(raw, dict) or not raw:
        chk.fail("answers must be a non-empty mapping: part: {kind: ...}", chk.at("answers"))
        return []
    specs = []
    for name, spec in raw.items():
        where = raw.loc_of(name)
        if not isinstance(name, str) or not NAME_RE.match(name):
            chk.fail(f"answer part name {name!r} must be an identifier (letters, digits, _)", where)
        elif not isinstance(spec, dict) or spec.get("kind") not in ANSWER_KINDS:
            got = spec.get("kind") if isinstance(spec, dict) else spec
            chk.fail(f"answer {name!r}: kind must be one of {', '.join(ANSWER_KINDS)}, got {got!r}", where)
        else:
            parsed = _answer_spec(chk, name, spec, where)
            if parsed is not None:
                specs.append(parsed)
    return specs


def _answer_spec(chk: _Checker, name: str, spec: dict, where: Location) -> AnswerSpec | None:
    kind = spec["kind"]
    allowed = ANSWER_KEYS | KIND_KEYS.get(kind, set())
    extra = [k for k in spec if k not in allowed]
    if extra:
        chk.fail(f"answer {name!r}: unknown key {extra[0]!r} for kind {kind}; allowed: "
                 f"{', '.join(sorted(allowed))}", where)
        return None
    weight = spec.get("weight", 1.0)
    label, unit = spec.get("label", ""), spec.get("unit", "")
    if not _is_number(weight) or weight <= 0:
        chk.fail(f"answer {name!r}: weight must be a positive number, got {weight!r}", where)
        return None
    if not isinstance(label, str) or not isinstance(unit, (str, int, float)):
        chk.fail(f"answer {name!r}: label and unit must be strings", where)
        return None
    tolerance = _tolerance(chk, name, spec, where) if kind == "number" else None
    options = spec.get("options", [])
    if kind == "choice" and (not isinstance(options, list) or not options):
        chk.fail(f"answer {name!r}: a choice part needs options: [A, B, ...]", where)
        return None
    multiple = spec.get("multiple", False)
    symbols = spec.get("symbols", [])
    if not isinstance(multiple, bool):
        chk.fail(f"answer {name!r}: multiple must be true or false", where)
        return None
    if not isinstance(symbols, list) or not all(isinstance(s, str) and NAME_RE.match(s) for s in symbols):
        chk.fail(f"answer {name!r}: symbols must be a list of names", where)
        return None
    if kind == "number" and tolerance is None:
        return None
    return AnswerSpec(name=name, kind=kind, tolerance=tolerance, unit=str(unit), weight=float(weight),
                      options=tuple(str(o) for o in options), multiple=multiple, symbols=tuple(symbols),
                      label=label)


def _tolerance(chk: _Checker, name: str, spec: dict, where: Location) -> dict[str, float] | None:
    raw = spec.get("tolerance")
    if raw is None:
        return dict(DEFAULT_TOLERANCE)
    keys = set(raw) if isinstance(raw, dict) else set()
    ok = False
    if keys and keys <= {"rtol", "atol"}:
        ok = all(_is_number(raw[k]) and raw[k] >= 0 for k in keys)
        tol = {"rtol": float(raw.get("rtol", 0.0)), "atol": float(raw.get("atol", 0.0))}
    elif keys in ({"sigfig"}, {"decimals"}):
        key = keys.pop()
        ok = _is_int(raw[key]) and raw[key] >= (1 if key == "sigfig" else 0)
        tol = {key: raw.get(key)}
    if not ok:
        chk.fail(f"answer {name!r}: {TOLERANCE_HELP}, got {plain(raw)!r}", loc_of(raw, where))
        return None
    return tol


def _textbook(chk: _Checker, params: list[ParamSpec], answers: list[AnswerSpec]
              ) -> tuple[dict[str, Any], list[Instance]]:
    """Default parameters (specs' defaults under the first instance's) and every instance."""
    raw = chk.item.get("textbook", [])
    items = raw if isinstance(raw, list) else [raw]
    defaults = {p.name: plain(p.default()) for p in params}
    instances: list[Instance] = []
    kinds = {a.name: a.kind for a in answers}
    for index, inst in enumerate(items):
        where = raw.loc_of(index) if isinstance(raw, list) else loc_of(raw, chk.at("textbook"))
        if not isinstance(inst, dict) or any(k not in INSTANCE_KEYS for k in inst):
            chk.fail(f"textbook instance must be a mapping with {', '.join(INSTANCE_KEYS)}", where)
            continue
        own, printed = inst.get("params", {}) or {}, inst.get("printed", {}) or {}
        if not isinstance(own, dict) or not isinstance(printed, dict):
            chk.fail("textbook params and printed must be mappings", where)
            continue
        if index == 0:
            defaults.update(plain(own))
        for key in own:
            if key not in defaults:
                chk.fail(f"textbook parameter {key!r} is not a parameter of this question "
                         f"(parameters: {', '.join(sorted(defaults))})", own.loc_of(key))
        _check_printed(chk, printed, kinds)
        label = inst.get("label", f"교재 사례 {index + 1}")
        source = inst.get("source", chk.item.get("source", ""))
        instances.append(Instance(label=str(label), source=str(source or ""),
                                  params={**defaults, **plain(own)}, printed=plain(printed), loc=where))
    return defaults, instances


def _check_printed(chk: _Checker, printed: LocDict, kinds: Mapping[str, str]) -> None:
    for part, value in printed.items():
        kind = kinds.get(part)
        if kind is None:
            chk.fail(f"printed value for unknown answer part {part!r}; parts: {', '.join(kinds)}",
                     printed.loc_of(part))
        elif not _printed_fits(kind, plain(value)):
            chk.fail(f"printed value {plain(value)!r} for part {part!r} is not a {kind}",
                     printed.loc_of(part))


def _printed_fits(kind: str, value: Any) -> bool:
    if kind == "integer":
        return _is_int(value)
    if kind == "number":
        return _is_number(value) or (isinstance(value, list) and bool(value) and all(map(_is_number, value)))
    if kind == "shape":
        return isinstance(value, list) and all(_is_int(v) for v in value)
    if kind == "choice":
        return isinstance(value, (str, list))
    return isinstance(value, (str, int, float))


@lru_cache(maxsize=1)
def _parse_env() -> jinja2.Environment:
    return template_env(None)


def _free_names(tree: nodes.Template) -> set[str]:
    """Names a template reads but never sets. A plain walk: jinja2.meta's compiler pass costs
    several times more, and loading the bank (done by every report that cites it) pays for it."""
    stored = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    if any(True for _ in tree.find_all(nodes.For)):
        stored.add("loop")  # the for-loop's own variable
    stored |= {m.name for m in tree.find_all(nodes.Macro)}
    return {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"} - stored - set(_parse_env().globals)


def _check_templates(chk: _Checker, param_names: list[str]) -> None:
    """Template syntax and names: a prompt may use the parameters, a solution also answers/steps."""
    env = _parse_env()
    for key, extra in (("prompt", ("params",)), ("prompt_en", ("params",)), ("solution", RESERVED)):
        source = chk.item.get(key)
        if source is None or (key == "prompt_en" and not isinstance(source, str)):
            continue  # an absent prompt_en is fine; a non-string one was reported by text()
        if not isinstance(source, str) or (key != "prompt_en" and not source.strip()):
            chk.fail(f"{key} must be a non-empty string", chk.at(key))
            continue
        base = chk.at(key)
        try:
            names = _free_names(env.parse(source))
        except jinja2.TemplateSyntaxError as exc:
            line = (base.line or 0) + exc.lineno if "\n" in source and base.line else base.line
            chk.fail(f"{key}: template syntax error: {exc.message}", Location(base.path, line))
            continue
        unknown = sorted(set(names) - set(param_names) - set(extra))
        if unknown:
            chk.fail(f"{key} uses unknown name {unknown[0]!r}; parameters: {', '.join(sorted(param_names))}",
                     base)
