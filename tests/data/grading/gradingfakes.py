"""Small stand-in verifiers for the grading tests (registered by the tests only, never in REGISTRY).

Each computes with plain arithmetic and names the misconceptions the grader must recognise.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studykit.verifiers.registry import Context, Result


def conv(params: Mapping[str, Any], ctx: Context) -> Result:
    w, f, p, k, d = params["W"], params["F"], params["P"], params["K"], params["D"]
    width = w - f + 2 * p + 1
    return Result(answers={"W2": width, "params": k * (f * f * d + 1)},
                  misconceptions={"W2": {"덧대기(padding)를 빼먹음": w - f + 1},
                                  "params": {"편향(bias)을 빼먹음": k * f * f * d}},
                  steps={"per_kernel": f * f * d + 1})


def entropy(params: Mapping[str, Any], ctx: Context) -> Result:
    o = params["o"]
    return Result(answers={"e": -math.log2(o)},
                  misconceptions={"e": {"밑이 2가 아닌 자연로그(ln)를 씀": -math.log(o)}})


def shape(params: Mapping[str, Any], ctx: Context) -> Result:
    k, w = params["K"], params["W"]
    return Result(answers={"out": [k, w, w]},
                  misconceptions={"out": {"채널을 맨 뒤에 씀 (H×W×C 순서)": [w, w, k]}})


def sigmoid_grad(params: Mapping[str, Any], ctx: Context) -> Result:
    return Result(answers={"grad": "exp(-x)/(1 + exp(-x))**2"},
                  misconceptions={"grad": {"미분하지 않고 sigma(x)를 씀": "1/(1 + exp(-x))"}})


def choose(params: Mapping[str, Any], ctx: Context) -> Result:
    return Result(answers={"which": ["A", "C"], "why": "A와 C는 생성 모델이다."},
                  misconceptions={"which": {"분별 모델과 혼동함": ["B", "D"]}})


def direction(params: Mapping[str, Any], ctx: Context) -> Result:
    a, b = params["a"], params["b"]
    norm = math.hypot(a, b)
    return Result(answers={"w": [a / norm, b / norm]},
                  misconceptions={"w": {"정규화하지 않음": [float(a), float(b)]}})


# --- test helpers: register these fakes and run the CLI against the fixture workspace ----------

HERE = Path(__file__).resolve().parent
FAKES = {"fix.conv": "conv", "fix.entropy": "entropy", "fix.shape": "shape", "fix.sigmoid": "sigmoid_grad",
         "fix.choose": "choose", "fix.direction": "direction"}


def register(setitem: Any = None) -> None:
    """Put the fakes into REGISTRY and hide the built-in bank (setitem: monkeypatch.setitem or None)."""
    import studykit.bank as bank
    from studykit.verifiers import registry

    for name, function in FAKES.items():
        entry = registry.Entry("gradingfakes", function, 1)
        if setitem:
            setitem(registry.REGISTRY, name, entry)
        else:
            registry.REGISTRY[name] = entry
    empty = HERE / "no-builtin-bank"
    if setitem:
        setitem(bank.__dict__, "builtin_questions_dir", lambda: empty)
    else:
        bank.builtin_questions_dir = lambda: empty


def run_cli(argv: list[str]) -> int:
    """`studykit ARGV` with the fakes registered (for subprocess tests)."""
    register()
    from studykit.cli import main

    return main(argv)


if __name__ == "__main__":
    raise SystemExit(run_cli(sys.argv[1:]))
