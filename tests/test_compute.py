"""compute(): result checks, the in-process and workspace caches, variants, rendering, cite()."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import DATA, run_subprocess

sys.path.insert(0, str(DATA / "bank"))  # the fake verifiers live with the fixture bank
import fakeverifiers as fv  # noqa: E402

from studykit import compute as cmp  # noqa: E402
from studykit.bank import load_bank  # noqa: E402
from studykit.errors import InputError, Location, UsageError, VerifierFailed  # noqa: E402
from studykit.model import AnswerSpec, ParamSpec  # noqa: E402
from studykit.verifiers.registry import Result  # noqa: E402

toy_bank = fv.toy_bank  # the fixture bank's pytest fixture, used by name


def _q(qid: str, workspace: Path | None = None):
    return load_bank(workspace).get(qid)


def _with_answers(question, *answers: AnswerSpec):
    return replace(question, answers=tuple(answers), content_hash=question.content_hash + str(len(answers)))


def test_compute_returns_checked_answers(toy_bank: Path) -> None:
    conv = _q("conv.output")
    result = cmp.compute(conv, {**conv.default_params(), "W": 64})
    span = 64 - 5 + 2 * 2  # closed form of the toy conv: (W - F + 2P)/S + 1
    assert result.answers == {"W2": span + 1, "params": 10 * (5 * 5 * 3 + 1)}
    assert result.valid and result.method == "toy arithmetic on cpu"


def test_compute_is_memoised_per_params_and_device(toy_bank: Path) -> None:
    conv = _q("conv.output")
    params = conv.default_params()
    first = cmp.compute(conv, params)
    assert cmp.compute(conv, dict(reversed(params.items()))) is first  # canonical params key
    assert fv.CALLS == ["conv"]
    cmp.compute(conv, params, "cuda", verifier=fv.conv)  # another device is another entry
    assert fv.CALLS == ["conv", "conv"]


def test_vectors_and_shapes_are_normalised(toy_bank: Path) -> None:
    result = cmp.compute(_q("loss.vec"), {"a": 3, "b": 4})
    assert result.answers == {"w": [0.6, 0.8], "shape": [1, 2], "which": "B"}
    assert all(isinstance(v, float) for v in result.answers["w"])


@pytest.mark.parametrize(("verifier", "message"), [
    (fv.wrong_kind, r"conv\.output: verifier toy\.conv: missing part 'W2'"),
    (fv.raises, r"conv\.output: verifier toy\.conv raised ZeroDivisionError: division by zero"),
    (lambda p, c: {"W2": 1}, r"returned dict, not a Result"),
    (lambda p, c: Result({"W2": 1, "params": 2, "x": 3}), r"undeclared part 'x'"),
    (lambda p, c: Result({"W2": 1.0, "params": 2}), r"'W2' \(integer\): expected an int, got float 1\.0"),
    (lambda p, c: Result({"W2": True, "params": 2}), r"part 'W2' \(integer\): expected an int, got bool"),
    (lambda p, c: Result({"W2": 1, "params": 2}, steps={"t": object()}), r"misconceptions are not JSON"),
])
def test_bad_results_fail_naming_question_and_part(toy_bank: Path, verifier, message: str) -> None:
    conv = _q("conv.output")
    with pytest.raises(VerifierFailed, match=message) as info:
        cmp.compute(conv, conv.default_params(), verifier=verifier)
    assert info.value.exit_code == 1


@pytest.mark.parametrize(("spec", "value", "message"), [
    (AnswerSpec("x", "number"), float("nan"), "not finite"),
    (AnswerSpec("x", "number"), [1.0, float("inf")], "not finite"),
    (AnswerSpec("x", "shape"), [2, -1], "negative dimension"),
    (AnswerSpec("x", "choice", options=("A", "B")), "C", "not among the options A, B"),
    (AnswerSpec("x", "choice", options=("A", "B")), ["A"], "not among the options"),
    (AnswerSpec("x", "symbolic"), "", "non-empty string"),
])
def test_kind_checks(toy_bank: Path, spec: AnswerSpec, value, message: str) -> None:
    question = _with_answers(_q("conv.output"), spec)
    with pytest.raises(VerifierFailed, match=message):
        cmp.compute(question, {}, verifier=lambda p, c: Result({"x": value}))


def test_multiple_choice_keeps_a_list(toy_bank: Path) -> None:
    question = _with_answers(_q("conv.output"), AnswerSpec("x", "choice", options=("A", "B"), multiple=True))
    result = cmp.compute(question, {}, verifier=lambda p, c: Result({"x": ("B", "A")}))
    assert result.answers == {"x": ["B", "A"]}


def test_draw_variant_redraws_invalid_variants_deterministically(toy_bank: Path) -> None:
    conv = _q("conv.output")
    conv = replace(conv, params=(*conv.params, ParamSpec("S", "choice", choices=(1, 2, 3))), content_hash="x")
    for seed in range(0, 400, 37):
        params, result = cmp.draw_variant(conv, seed)
        first_valid = next(k for k in range(cmp.DRAW_ATTEMPTS)
                           if (lambda p: (p["W"] - p["F"] + 2 * p["P"]) % p["S"] == 0)(
                               cmp.draw_params(conv, seed + k)))
        assert params == cmp.draw_params(conv, seed + first_valid)
        assert result.valid and cmp.draw_variant(conv, seed) == (params, result)


def test_draw_variant_falls_back_to_the_textbook(toy_bank: Path) -> None:
    conv = _q("conv.output")
    defaults = conv.default_params()

    def only_defaults(params, ctx):
        return fv.conv(params, ctx) if params == defaults else Result({}, valid=False, reason="no")

    params, result = cmp.draw_variant(conv, 5, verifier=only_defaults)
    assert params == defaults and result.answers["W2"] == 32
    with pytest.raises(VerifierFailed, match="no valid variant in 20 draws .* never valid"):
        cmp.draw_variant(conv, 5, verifier=fv.always_invalid)


def test_render_prompt_and_solution(toy_bank: Path) -> None:
    ce = _q("loss.ce")
    params = {"y": 1, "o": 0.5}
    assert cmp.render_prompt(ce, params) == "y=1, o=0.5일 때 교차 엔트로피 e는?"
    assert cmp.render_prompt(ce, params, lang="en") == "Cross-entropy for y=1, o=0.5?"
    assert cmp.render_solution(ce, params, cmp.compute(ce, params)) == "e = 1.00"


def test_resolve_params(toy_bank: Path) -> None:
    conv = _q("conv.output")
    assert cmp.resolve_params(conv, {"W": 100})["W"] == 100  # outside the spec is allowed
    with pytest.raises(UsageError, match="conv.output has no parameter 'Q'; parameters: D, F, K, P, S, W"):
        cmp.resolve_params(conv, {"Q": 1})
    with pytest.raises(InputError, match=r"^w\.yaml:3: "):
        cmp.resolve_params(conv, {"Q": 1}, Location("w.yaml", 3))


# --- the workspace cache and cite() ---------------------------------------------------------------

def _cache(workspace: Path) -> dict:
    return json.loads((workspace / cmp.CACHE_FILE).read_text(encoding="utf-8"))


def test_cite_computes_once_then_reads_the_cache(toy_bank: Path) -> None:
    citation = cmp.cite(toy_bank, "conv.output", {"W": 64})
    assert citation.rows == [("출력 너비", "64"), ("매개변수 수", "760")]
    assert citation.params["W"] == 64 and citation.title == "컨볼루션 출력 크기와 매개변수 수"
    assert citation.solution.startswith("W2 = (64 − 5 + 2·2)/1 + 1 = 64")
    assert citation.bank_hash == load_bank(toy_bank).hash
    entries = _cache(toy_bank)["entries"]
    assert [e["result"]["answers"] for e in entries.values()] == [{"W2": 64, "params": 760}]
    assert [e["bank_hash"] for e in entries.values()] == [citation.bank_hash]
    cmp.clear_memo()
    assert cmp.cite(toy_bank, "conv.output", {"W": 64}) == citation
    assert fv.CALLS == ["conv"]  # the second cite ran no verifier
    assert not [p for p in (toy_bank / ".studykit").iterdir() if p.name != "answers-cache.json"]


def test_a_changed_question_invalidates_the_cache(toy_bank: Path) -> None:
    cmp.cite(toy_bank, "ws.local", None)
    path = toy_bank / "questions" / "extra.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('prompt: "W={{W}}"', 'prompt: "W = {{W}}"'),
                    encoding="utf-8")
    cmp.clear_memo()
    cmp.cite(toy_bank, "ws.local", None)
    assert fv.CALLS == ["conv", "conv"]
    assert len(_cache(toy_bank)["entries"]) == 2


def test_a_damaged_cache_is_recomputed(toy_bank: Path) -> None:
    (toy_bank / ".studykit").mkdir()
    (toy_bank / cmp.CACHE_FILE).write_text("{not json", encoding="utf-8")
    assert cmp.cite(toy_bank, "ws.local", None).rows == [("W2", "8"), ("params", "20")]
    assert fv.CALLS == ["conv"] and len(_cache(toy_bank)["entries"]) == 1


def test_cite_errors_point_at_the_week_file(toy_bank: Path) -> None:
    where = Location("weeks/week10.yaml", 12)
    with pytest.raises(InputError, match=r"^weeks/week10\.yaml:12: unknown question 'x\.y'"):
        cmp.cite(toy_bank, "x.y", None, where=where)
    with pytest.raises(InputError, match=r"^weeks/week10\.yaml:12: conv\.output: invalid parameters: "):
        cmp.cite(toy_bank, "conv.output", {"S": 2}, where=where)
    assert cmp.cite(None, "conv.output", None).rows[0] == ("출력 너비", "32")  # no workspace: no cache


def test_compute_module_does_not_import_torch(tmp_path: Path) -> None:
    code = "import sys, studykit.compute, studykit.verify, studykit.answer; print('torch' in sys.modules)"
    assert run_subprocess(code=code, cwd=tmp_path).stdout.strip() == "False"
