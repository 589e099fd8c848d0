"""`studykit verify`: the table, printed-value disagreements, failures, exit codes, tolerance checks."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import DATA

sys.path.insert(0, str(DATA / "bank"))  # the fake verifiers live with the fixture bank
import fakeverifiers  # noqa: E402

from studykit.bank import load_bank  # noqa: E402
from studykit.model import AnswerSpec  # noqa: E402
from studykit.verifiers.registry import Result  # noqa: E402
from studykit.verify import check_question, values_agree  # noqa: E402

toy_bank = fakeverifiers.toy_bank  # the fixture bank's pytest fixture, used by name


def _rows(stdout: str) -> dict[str, list[str]]:
    table = stdout.split("\n\n")[1].splitlines()[2:]
    return {line.split()[0]: line.split()[1:] for line in table}


def test_verify_reports_misprints_without_failing(cli, toy_bank: Path, monkeypatch) -> None:
    monkeypatch.setenv("STUDYKIT_PROGRESS", "1")
    result = cli("-C", toy_bank, "verify", "--seeds", "3", "--device", "cpu")
    assert result.code == 0
    assert _rows(result.stdout) == {"conv.output": ["2", "3", "ok"], "loss.ce": ["1", "3", "ok"],
                                    "loss.vec": ["0", "3", "ok"], "ws.local": ["1", "3", "ok"]}
    section = result.stdout.split("인쇄값 불일치")[1].split("\n\n")[1:3]
    # conv.output's second instance prints W2 = 28; (28 - 3 + 0)/1 + 1 = 26.  loss.ce prints ln 2 for log2.
    assert section == [
        "conv.output — 잘못 인쇄된 예제 (002_7c06c41ac063f77c.txt)\n"
        "  W2: 인쇄값 28 · 계산값 26\n  계산 방법: toy arithmetic on cpu",
        "loss.ce — 잘못 인쇄된 교차 엔트로피 (002_7c06c41ac063f77c.txt)\n"
        "  e: 인쇄값 0.69 · 계산값 1.00\n  계산 방법: log2 by math",
    ]
    assert result.stdout.rstrip().splitlines()[-1] == (
        "4 questions, 16 runs, 0 failed, 2 printed values disagree")
    assert "verify [4/4] ws.local" in result.stderr and "verify [" not in result.stdout


def test_verify_topic_filter_and_unknown_topic(cli, toy_bank: Path) -> None:
    result = cli("-C", toy_bank, "verify", "--topic", "loss", "--seeds", "0", "--device", "cpu")
    assert result.code == 0 and list(_rows(result.stdout)) == ["loss.ce", "loss.vec"]
    assert result.stdout.rstrip().endswith("2 questions, 1 runs, 0 failed, 1 printed values disagree")
    bad = cli("-C", toy_bank, "verify", "--topic", "gan", "--device", "cpu")
    assert bad.code == 2 and "unknown topic 'gan'" in bad.stderr
    assert cli("-C", toy_bank, "verify", "--seeds", "-1").code == 2


@pytest.mark.parametrize(("folder", "qid", "reason"), [
    ("failing", "ws.wrong-kind", "verifier toy.wrong_kind: part 'n' (integer): expected an int, got float"),
    ("invalid", "ws.never", "no valid variant in 20 draws and the default parameters are invalid too"),
])
def test_a_failing_verifier_exits_1(cli, toy_bank: Path, folder: str, qid: str, reason: str) -> None:
    result = cli("-C", DATA / "bank" / folder, "verify", "--seeds", "2", "--device", "cpu")
    assert result.code == 1
    assert _rows(result.stdout)[qid][-1] == "실패" and _rows(result.stdout)["conv.output"][-1] == "ok"
    assert f"  {qid}: {reason}" in result.stdout
    assert ", 1 failed, " in result.stdout.splitlines()[-1]


NUM = AnswerSpec("e", "number", tolerance={"rtol": 1e-3, "atol": 0.0})


@pytest.mark.parametrize(("spec", "truth", "other", "agree"), [
    (NUM, 100.0, 100.09, True), (NUM, 100.0, 100.11, False), (NUM, [1.0, 2.0], [1.0, 2.0], True),
    (NUM, [1.0, 2.0], [1.0], False), (NUM, [1.0, 2.0], 1.0, False),
    (AnswerSpec("e", "number", tolerance={"decimals": 2}), 0.32193, 0.32, True),
    (AnswerSpec("e", "number", tolerance={"decimals": 2}), 1.0, 0.69, False),
    (AnswerSpec("e", "number", tolerance={"sigfig": 3}), 0.0012345, 0.00123, True),
    (AnswerSpec("e", "number", tolerance={"sigfig": 3}), 0.0012345, 0.00124, False),
    (AnswerSpec("n", "integer"), 760, 760, True), (AnswerSpec("n", "integer"), 760, 761, False),
    (AnswerSpec("s", "shape"), [96, 55, 55], [96, 55, 55], True),
    (AnswerSpec("s", "shape"), [96, 55, 55], [96, 54, 54], False),
    (AnswerSpec("c", "choice", options=("A", "B"), multiple=True), ["A", "B"], ["B", "A"], True),
    (AnswerSpec("g", "symbolic"), "x*(1 - x)", "x*(1-x)", True),
])
def test_values_agree(spec: AnswerSpec, truth, other, agree: bool) -> None:
    assert values_agree(spec, truth, other) is agree
    assert values_agree(spec, truth, other, graded=True) is agree


def test_printed_values_are_judged_like_submissions() -> None:
    two = AnswerSpec("e", "number", tolerance={"decimals": 2})
    assert values_agree(two, 0.1251, 0.121, graded=True) is False  # 0.13 vs 0.12 once rounded (the grader)
    assert values_agree(two, 0.1251, 0.121) is True  # within half a unit (the CPU/CUDA comparison)
    grad = AnswerSpec("g", "symbolic", symbols=("x", "y"))
    assert values_agree(grad, "-(y - x)*x", "x**2 - x*y", graded=True) is True
    assert values_agree(grad, "x*(1 - x)", "x*(1 + x)", graded=True) is False


@pytest.mark.gpu
def test_verify_compares_cpu_and_cuda(cli, toy_bank: Path) -> None:
    result = cli("-C", toy_bank, "verify", "--seeds", "2", "--device", "cuda")
    assert result.code == 0 and result.stdout.startswith("장치: cpu + cuda (비교)")


def test_cpu_and_cuda_answers_are_compared(toy_bank: Path) -> None:
    ce = load_bank(None).get("loss.ce")

    def drifts_on_cuda(params, ctx):
        result = fakeverifiers.cross_entropy(params, ctx)
        return Result({"e": result.answers["e"] + (0.01 if ctx.device == "cuda" else 0.0)})

    def tiny_drift(params, ctx):
        result = fakeverifiers.cross_entropy(params, ctx)
        return Result({"e": result.answers["e"] + (1e-4 if ctx.device == "cuda" else 0.0)})

    failed = check_question(ce, 2, cuda=True, verifier=drifts_on_cuda)
    assert failed.failure.startswith('cpu and cuda differ at part \'e\' for {"o":0.8,"y":1}: 0.3219')
    assert check_question(ce, 2, cuda=True, verifier=tiny_drift).failure == ""  # within {decimals: 2}


def test_a_solution_that_does_not_render_is_a_failure(toy_bank: Path) -> None:
    broken = replace(load_bank(None).get("loss.ce"), solution="{{ steps.missing }}", content_hash="b")
    check = check_question(broken, 1, cuda=False)
    assert "undefined value in template" in check.failure and check.instances == 0
