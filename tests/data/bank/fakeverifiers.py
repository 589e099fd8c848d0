"""Tiny stand-in verifiers for the bank/compute tests (registered only inside tests, never in REGISTRY)."""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from studykit.verifiers.registry import Context, Entry, Result

CALLS: list[str] = []  # which fake ran, so tests can tell a cache hit from a computation


def conv(params: Mapping[str, Any], ctx: Context) -> Result:
    CALLS.append("conv")
    span = params["W"] - params["F"] + 2 * params["P"]
    if span % params["S"]:
        return Result(answers={}, valid=False, reason=f"({span})/{params['S']} is not an integer")
    width = span // params["S"] + 1
    count = params["K"] * (params["F"] * params["F"] * params["D"] + 1)
    return Result(answers={"W2": width, "params": count}, steps={"span": span},
                  method="toy arithmetic on " + ctx.device)


def cross_entropy(params: Mapping[str, Any], ctx: Context) -> Result:
    CALLS.append("cross_entropy")
    y, o = params["y"], params["o"]
    e = -(y * math.log2(o) + (1 - y) * math.log2(1 - o))
    return Result(answers={"e": e}, method="log2 by math")


def vector(params: Mapping[str, Any], ctx: Context) -> Result:
    CALLS.append("vector")
    norm = math.hypot(params["a"], params["b"])
    return Result(answers={"w": (params["a"] / norm, params["b"] / norm), "shape": (1, 2), "which": "B"})


def wrong_kind(params: Mapping[str, Any], ctx: Context) -> Result:
    return Result(answers={"n": 2.5})


def not_finite(params: Mapping[str, Any], ctx: Context) -> Result:
    return Result(answers={"x": float("nan")})


def raises(params: Mapping[str, Any], ctx: Context) -> Result:
    raise ZeroDivisionError("division by zero")


def always_invalid(params: Mapping[str, Any], ctx: Context) -> Result:
    return Result(answers={}, valid=False, reason="never valid")


NAMES = ("conv", "cross_entropy", "vector", "wrong_kind", "not_finite", "raises", "always_invalid")
REGISTRY = {f"toy.{name}": Entry("fakeverifiers", name, 1) for name in NAMES}


BANK = Path(__file__).resolve().parent
BUILTIN = BANK / "good" / "builtin"


@pytest.fixture
def toy_bank(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The fixture bank as the built-in one, the fake verifiers registered for this test only.

    Returns a copy of the good workspace (its questions/ override loss.ce and add ws.local); the
    current folder is a scratch folder outside any workspace.
    """
    from studykit import bank, compute
    from studykit.verifiers import registry

    monkeypatch.setattr(registry, "REGISTRY", {**registry.REGISTRY, **REGISTRY})
    monkeypatch.setattr(bank, "builtin_questions_dir", lambda: BUILTIN)
    compute.clear_memo()
    CALLS.clear()
    workspace = tmp_path / "ws"
    shutil.copytree(BANK / "good" / "workspace", workspace)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    return workspace
