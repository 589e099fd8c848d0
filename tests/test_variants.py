"""Variant seeds (stable sha256) and parameter draws (always inside the spec)."""

from __future__ import annotations

import hashlib
import math
import sys

from conftest import DATA, run_subprocess
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(DATA / "bank"))
from fakeverifiers import BUILTIN, REGISTRY  # noqa: E402

from studykit.bank import load_bank  # noqa: E402
from studykit.errors import Location  # noqa: E402
from studykit.model import ParamSpec, Question  # noqa: E402
from studykit.variants import draw_params, variant_seed  # noqa: E402


def _independent_seed(quiz_seed: int, student: str, qid: str) -> int:
    """The documented rule, written differently: first 16 hex digits of the sha256, top 63 bits."""
    text = "\x1f".join(["studykit-variant/1", str(quiz_seed), student, qid])
    return int(hashlib.sha256(text.encode()).hexdigest()[:16], 16) // 2


def _question(specs: list[ParamSpec], defaults: dict | None = None) -> Question:
    return Question(
        id="t.q", topic="t", title="t", section="1", source="", difficulty=1, tags=(), points=1.0,
        params=tuple(specs), prompt="", prompt_en="", answers=(), verifier="toy.conv", solution="",
        textbook=(), loc=Location("t.yaml", 1),
        defaults={**{s.name: s.default() for s in specs}, **(defaults or {})},
    )


@given(st.integers(min_value=-(2**40), max_value=2**40), st.text(max_size=20), st.text(max_size=30))
def test_variant_seed_is_the_sha256_rule(quiz_seed: int, student: str, qid: str) -> None:
    seed = variant_seed(quiz_seed, student, qid)
    assert seed == _independent_seed(quiz_seed, student, qid)
    assert 0 <= seed < 2**63


def test_variant_seed_is_stable_across_interpreters() -> None:
    code = ("from studykit.variants import variant_seed; "
            "print(variant_seed(7, '201500629', 'cnn.conv-output'))")
    runs = {run_subprocess(code=code, env={"PYTHONHASHSEED": str(h)}).stdout.strip() for h in (1, 2)}
    assert runs == {str(_independent_seed(7, "201500629", "cnn.conv-output"))}
    assert variant_seed(7, "201500629", "cnn.conv-output") != variant_seed(7, "201500630", "cnn.conv-output")


names = st.sampled_from(["A", "B", "W", "o", "x1"])
choice = st.builds(lambda n, v: ParamSpec(n, "choice", choices=tuple(v)), names,
                   st.lists(st.one_of(st.integers(), st.text(max_size=3)), min_size=1, max_size=5))
int_spec = st.builds(lambda n, lo, span, step: ParamSpec(n, "int", lo=lo, hi=lo + span, step=step),
                     names, st.integers(-1000, 1000), st.integers(0, 50), st.integers(1, 7))
float_spec = st.builds(  # the range is widened by one grid step so that it holds a value with `dec` decimals
    lambda n, lo, span, dec: ParamSpec(n, "float", lo=lo, hi=lo + span + (0 if dec is None else 10.0**-dec),
                                       decimals=dec),
    names, st.floats(-1e3, 1e3), st.floats(0, 100), st.one_of(st.none(), st.integers(0, 4)))
fixed = st.builds(lambda n, v: ParamSpec(n, "fixed", value=v), names, st.lists(st.integers(), max_size=3))


def _inside(spec: ParamSpec, value: object) -> bool:
    if spec.kind == "choice":
        return value in spec.choices
    if spec.kind == "fixed":
        return value == spec.value
    assert spec.lo is not None and spec.hi is not None
    if not spec.lo <= value <= spec.hi:  # type: ignore[operator]
        return False
    if spec.kind == "int":
        return isinstance(value, int) and (value - spec.lo) % spec.step == 0
    if spec.decimals is not None:
        return math.isclose(round(value, spec.decimals), value, abs_tol=1e-12)  # type: ignore[arg-type]
    return True


@settings(max_examples=200)
@given(st.lists(st.one_of(choice, int_spec, float_spec, fixed), max_size=5, unique_by=lambda s: s.name),
       st.integers(0, 2**63 - 1))
def test_draw_params_stays_inside_the_spec(specs: list[ParamSpec], seed: int) -> None:
    question = _question(specs, {"keep": [1, 2]})
    drawn = draw_params(question, seed)
    assert set(drawn) == {s.name for s in specs} | {"keep"}
    assert drawn["keep"] == [1, 2]  # a parameter without a spec keeps the textbook value
    for spec in specs:
        assert _inside(spec, drawn[spec.name]), (spec, drawn[spec.name])
    assert draw_params(question, seed) == drawn  # deterministic


def test_draws_go_in_name_order() -> None:
    a = ParamSpec("A", "int", lo=0, hi=10**6)
    alone = draw_params(_question([a]), 42)
    with_later = draw_params(_question([ParamSpec("Z", "int", lo=0, hi=9), a]), 42)
    assert with_later["A"] == alone["A"]  # Z sorts after A, so A's draw is unchanged


def test_fixture_bank_draws_cover_the_choices() -> None:
    conv = load_bank(None, registry=REGISTRY, builtin_dir=BUILTIN).get("conv.output")
    draws = [draw_params(conv, variant_seed(0, f"s{i}", conv.id)) for i in range(200)]
    assert {d["W"] for d in draws} == {28, 32, 64}
    assert {d["F"] for d in draws} == {3, 5, 7}
    assert {d["S"] for d in draws} == {1} and {d["D"] for d in draws} == {3}
    assert len({tuple(sorted(d.items())) for d in draws}) > 100
