"""Math family questions: the YAML loads, every instance computes, printed-vs-computed, CPU vs CUDA."""

from __future__ import annotations

import math
from typing import Any

import pytest

from studykit.verifiers.registry import REGISTRY, Context, get_verifier

FAMILY = ("dmlp", "backprop", "loss", "gan", "dcgan", "genmodel", "fld")
REQUIRED = {
    "loss.cross-entropy": {"e"},
    "backprop.sigmoid-gate": {"L", "dw0", "dx0", "dw1", "dx1", "dw2"},
    "gan.optimal-discriminator": {"D"},
    "gan.equilibrium-value": {"V"},
    "genmodel.example-4-1": {"p_y1_given_01"},
    "fld.direction": {"w", "J"},
}
# (question, part, printed) the seeds get wrong; everything else they print must agree
KNOWN_WRONG = {
    ("loss.cross-entropy", "e", 13.2877),
    ("gan.equilibrium-objectives", "J_D", 0.5),
    ("gan.equilibrium-objectives", "half", "J_D"),
}


@pytest.fixture(scope="module")
def questions() -> list[Any]:
    from studykit.bank import load_bank

    return [q for q in load_bank(None).questions if q.topic in FAMILY]


def agrees(kind: str, tolerance: dict | None, printed: Any, computed: Any) -> bool:
    if isinstance(printed, list) and kind == "number":
        return len(printed) == len(computed) and all(
            agrees(kind, tolerance, p, c) for p, c in zip(printed, computed, strict=True))
    if kind != "number":
        return printed == computed
    tol = tolerance or {"rtol": 1e-6, "atol": 1e-9}
    if "decimals" in tol:
        return abs(printed - computed) <= 0.5 * 10 ** -tol["decimals"] + 1e-12
    return abs(printed - computed) <= tol.get("atol", 0) + tol.get("rtol", 0) * abs(computed)


def test_family_size_and_required_ids(questions: list[Any]) -> None:
    assert len(questions) >= 25
    by_id = {q.id: q for q in questions}
    for qid, parts in REQUIRED.items():
        assert parts <= set(by_id[qid].part_names()), qid
    assert {"y", "o"} <= set(by_id["loss.cross-entropy"].param_names())
    assert {"X1", "X2"} <= set(by_id["fld.direction"].param_names())


def kind_ok(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        values = value if isinstance(value, list) else [value]
        return bool(values) and all(isinstance(v, float) and math.isfinite(v) for v in values)
    if kind == "shape":
        return isinstance(value, list) and all(isinstance(v, int) for v in value)
    if kind == "choice":
        return isinstance(value, (str, list))
    return isinstance(value, str)


def test_every_instance_and_variant_computes(questions: list[Any]) -> None:
    from studykit.compute import compute, draw_variant, render_prompt, render_solution

    for q in questions:
        cases = [q.default_params()] + [inst.params for inst in q.textbook]
        cases += [draw_variant(q, seed)[0] for seed in range(8)]
        for params in cases:
            res = compute(q, params)
            assert res.valid, (q.id, params, res.reason)
            for spec in q.answers:
                assert kind_ok(spec.kind, res.answers[spec.name]), (q.id, spec.name, res.answers[spec.name])
                if spec.kind == "choice":
                    chosen = res.answers[spec.name]
                    assert set(chosen if isinstance(chosen, list) else [chosen]) <= set(spec.options)
            assert render_prompt(q, params).strip() and render_solution(q, params, res).strip()


def test_printed_values_agree_except_the_known_mistakes(questions: list[Any]) -> None:
    from studykit.compute import compute

    wrong = set()
    for q in questions:
        for inst in q.textbook:
            res = compute(q, inst.params)
            for part, printed in inst.printed.items():
                spec = q.answer(part)
                if spec.kind == "symbolic":
                    continue  # equivalence checked in test_verifiers_backprop.py
                if not agrees(spec.kind, spec.tolerance, printed, res.answers[part]):
                    wrong.add((q.id, part, printed))
    assert wrong == KNOWN_WRONG


def math_verifiers() -> list[str]:
    return [name for name, entry in REGISTRY.items() if entry.module.rsplit(".", 1)[-1] in FAMILY]


def test_every_math_verifier_is_used(questions: list[Any]) -> None:
    assert set(math_verifiers()) == {q.verifier for q in questions}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return abs(a - b) <= 1e-9 + 1e-9 * abs(b)
    return a == b


@pytest.mark.gpu
@pytest.mark.parametrize("name", math_verifiers())
def test_cpu_and_cuda_agree(name: str, questions: list[Any]) -> None:
    verifier = get_verifier(name)
    for q in [q for q in questions if q.verifier == name]:
        for params in [q.default_params()] + [inst.params for inst in q.textbook]:
            cpu, cuda = verifier(params, Context(device="cpu")), verifier(params, Context(device="cuda"))
            assert cpu.valid and cuda.valid
            assert set(cpu.answers) == set(cuda.answers)
            for part in cpu.answers:
                assert same(cpu.answers[part], cuda.answers[part]), (name, part)


def test_symbolic_answers_parse_with_the_graders_parser(questions: list[Any]) -> None:
    from studykit.compute import compute
    from studykit.symbolic import equivalent, parse_expression

    q = next(q for q in questions if q.id == "backprop.midterm-symbolic")
    symbols = tuple(q.answer("grad").symbols)
    for weight in q.params[0].choices:
        parse_expression(compute(q, {"weight": weight}).answers["grad"], symbols)
    inst = q.textbook[0]
    computed = parse_expression(compute(q, inst.params).answers["grad"], symbols)
    assert equivalent(computed, parse_expression(inst.printed["grad"], symbols))
    other = parse_expression(compute(q, {"weight": "w22"}).answers["grad"], symbols)
    assert not equivalent(computed, other)
