"""`studykit answer`: JSON shape, the Korean table, --param parsing, exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import DATA

sys.path.insert(0, str(DATA / "bank"))  # the fake verifiers live with the fixture bank
import fakeverifiers  # noqa: E402

from studykit.answer import parse_param_args  # noqa: E402
from studykit.errors import UsageError  # noqa: E402

toy_bank = fakeverifiers.toy_bank  # the fixture bank's pytest fixture, used by name


def test_json_is_exactly_one_object(cli, toy_bank: Path) -> None:
    result = cli("-C", toy_bank, "answer", "conv.output", "--param", "W=28", "--param", "P=0",
                 "--device", "cpu", "--json")
    assert result.code == 0 and result.stderr == ""
    payload = json.loads(result.stdout)
    assert payload == {
        "question": "conv.output",
        "params": {"W": 28, "F": 5, "S": 1, "P": 0, "K": 10, "D": 3},
        "answers": {"W2": 28 - 5 + 1, "params": 10 * (5 * 5 * 3 + 1)},
        "device": "cpu",
    }
    assert result.stdout.count("\n") == 1


def test_list_parameters_are_read_as_yaml(cli, toy_bank: Path) -> None:
    result = cli("-C", toy_bank, "answer", "loss.vec", "--param", "a=3", "--param", "b=4", "--json",
                 "--device", "cpu")
    assert json.loads(result.stdout)["answers"]["w"] == [0.6, 0.8]
    assert parse_param_args(["X1=[[1,2],[2,3]]", "name=abc", "o=1e-3"]) == {
        "X1": [[1, 2], [2, 3]], "name": "abc", "o": 0.001}


@pytest.mark.parametrize("bad", ["W", "=3", "W=", "W=[1", "W=1"])
def test_bad_param_arguments(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_param_args([bad, "W=2"] if bad == "W=1" else [bad])


def test_text_output_has_table_and_solution(cli, toy_bank: Path) -> None:
    result = cli("-C", toy_bank, "answer", "conv.output", "--device", "cpu")
    assert result.code == 0
    out = result.stdout
    assert out.startswith("conv.output — 컨볼루션 출력 크기와 매개변수 수 (4.3.3)\n")
    assert "매개변수: W=32, F=5, P=2, K=10, D=3, S=1" in out
    rows = [line.split()[-1] for line in out.splitlines() if line.startswith(("출력 너비", "매개변수 수 "))]
    assert rows == ["32", "760"]
    assert "풀이:\nW2 = (32 − 5 + 2·2)/1 + 1 = 32 (span 31), 매개변수 760" in out


def test_workspace_override_is_used(cli, toy_bank: Path) -> None:
    result = cli("-C", toy_bank, "answer", "loss.ce", "--json", "--device", "cpu")
    assert json.loads(result.stdout)["params"] == {"o": 0.5, "y": 1}  # the workspace's textbook instance


@pytest.mark.parametrize(("args", "message"), [
    (["conv.nope"], "unknown question 'conv.nope'; valid ids: conv.output, loss.ce, loss.vec, ws.local"),
    (["conv.output", "--param", "Q=1"], "conv.output has no parameter 'Q'; parameters: D, F, K, P, S, W"),
    (["conv.output", "--param", "S=2"],
     "conv.output: these parameters give no answer: (31)/2 is not an integer"),
    (["conv.output", "--device", "tpu"], "--device must be auto, cpu or cuda, not 'tpu'"),
])
def test_usage_errors_exit_2(cli, toy_bank: Path, args: list[str], message: str) -> None:
    result = cli("-C", toy_bank, "answer", *args)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr == f"studykit: error: {message}\n"


def test_failing_verifier_exits_1(cli, toy_bank: Path) -> None:
    result = cli("-C", DATA / "bank" / "failing", "answer", "ws.wrong-kind", "--device", "cpu")
    assert result.code == 1 and "part 'n' (integer): expected an int" in result.stderr


@pytest.mark.gpu
def test_cuda_device_is_reported(cli, toy_bank: Path) -> None:
    result = cli("-C", toy_bank, "answer", "conv.output", "--device", "cuda", "--json")
    assert json.loads(result.stdout)["device"] == "cuda"
