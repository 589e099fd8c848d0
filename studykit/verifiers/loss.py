"""Verifiers for objective functions (seed 002): MSE vs cross-entropy, softmax and the log-likelihood."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studykit.verifiers.dmlp import flat, invalid, numbers, result, tensor
from studykit.verifiers.registry import Context, Result


def _ln2(ctx: Context) -> Any:
    import torch

    return torch.log(tensor(2.0, ctx))


def _binary(params: Mapping[str, Any], names: tuple[str, ...]) -> list[float] | str:
    vals = numbers(params, names)
    if isinstance(vals, str):
        return vals
    if vals[0] not in (0.0, 1.0):
        return f"y must be 0 or 1 (binary label), got {params.get(names[0])!r}"
    return vals


def cross_entropy(params: Mapping[str, Any], ctx: Context) -> Result:
    """Binary cross-entropy e = −(y·log₂o + (1−y)·log₂(1−o)) via F.binary_cross_entropy / ln 2."""
    import torch.nn.functional as F

    vals = _binary(params, ("y", "o"))
    if isinstance(vals, str):
        return invalid(vals)
    if not 0.0 < vals[1] < 1.0:
        return invalid(f"o must lie strictly between 0 and 1, got {vals[1]!r}")
    y, o = tensor(vals[0], ctx), tensor(vals[1], ctx)
    nats = F.binary_cross_entropy(o, y)
    bits = nats / _ln2(ctx)
    return result(
        answers={"e": bits.item()},
        steps={"nats": nats.item()},
        misconceptions={"e": {"자연로그(ln)를 사용함": nats.item(), "부호(−)를 빠뜨림": -bits.item()}},
        method="torch.nn.functional.binary_cross_entropy (float64) divided by ln 2",
    )


def cross_entropy_multi(params: Mapping[str, Any], ctx: Context) -> Result:
    """Cross-entropy over c = 3 sigmoid outputs with one-hot y (class k): Σ_i BCE(o_i, y_i) in bits."""
    import torch
    import torch.nn.functional as F

    vals = numbers(params, ("o1", "o2", "o3"))
    k = params.get("k")
    if isinstance(vals, str):
        return invalid(vals)
    if k not in (1, 2, 3):
        return invalid(f"k (the true class) must be 1, 2 or 3, got {k!r}")
    if not all(0.0 < v < 1.0 for v in vals):
        return invalid(f"every o_i must lie strictly between 0 and 1, got {vals!r}")
    o = tensor(vals, ctx)
    y = torch.nn.functional.one_hot(torch.tensor(k - 1, device=o.device), 3).to(o.dtype)
    per_node = F.binary_cross_entropy(o, y, reduction="none") / _ln2(ctx)
    only_true = -torch.log2(o[k - 1])
    return result(
        answers={"e": float(per_node.sum())},
        steps={"per_node": flat(per_node), "y": flat(y)},
        misconceptions={"e": {"정답 노드 항만 더함 ((1−y)log(1−o) 항 누락)": only_true.item(),
                              "자연로그(ln)를 사용함": float(per_node.sum() * _ln2(ctx))}},
        method="F.binary_cross_entropy(reduction='none') over the 3 outputs, summed, / ln 2",
    )


def _neuron(vals: list[float], ctx: Context, objective: str) -> dict[str, float]:
    """One sigmoid neuron o = σ(wx + b): loss and its autograd gradients w.r.t. w and b."""
    import torch
    import torch.nn.functional as F

    x, y = tensor(vals[0], ctx), tensor(vals[1], ctx)
    w, b = tensor(vals[2], ctx, grad=True), tensor(vals[3], ctx, grad=True)
    z = w * x + b
    o = torch.sigmoid(z)
    if objective == "mse":
        e = F.mse_loss(o, y) / 2  # e = ½(y − o)²
    else:
        e = F.binary_cross_entropy(o, y) / _ln2(ctx)
    e.backward()
    return {"z": z.item(), "o": o.item(), "e": e.item(), "dw": w.grad.item(), "db": b.grad.item()}


def mse_vs_ce(params: Mapping[str, Any], ctx: Context) -> Result:
    """Seed 002's argument: ½(y−o)² and cross-entropy (log₂) of o = σ(wx+b), gradients by autograd."""
    vals = _binary(params, ("y", "x", "w", "b"))
    if isinstance(vals, str):
        return invalid(vals)
    y, x, w, b = vals
    mse = _neuron([x, y, w, b], ctx, "mse")
    ce = _neuron([x, y, w, b], ctx, "ce")
    if not 0.0 < mse["o"] < 1.0:
        return invalid("σ(wx + b) rounds to 0 or 1 in float64: cross-entropy is infinite")
    return result(
        answers={"o": mse["o"], "e_mse": mse["e"], "dw_mse": mse["dw"], "e_ce": ce["e"], "dw_ce": ce["dw"]},
        steps={"z": mse["z"], "db_mse": mse["db"], "db_ce": ce["db"]},
        misconceptions={"e_mse": {"½을 빼먹음": 2 * mse["e"]}},
        method="autograd of F.mse_loss/2 and F.binary_cross_entropy/ln 2 on o = σ(w·x + b), float64",
    )


def _scores(params: Mapping[str, Any]) -> list[float] | str:
    return numbers(params, ("s1", "s2", "s3"))


def softmax(params: Mapping[str, Any], ctx: Context) -> Result:
    """o_j = e^{s_j} / Σ_i e^{s_i} with torch.softmax; the largest output's index (1-based)."""
    import torch

    vals = _scores(params)
    if isinstance(vals, str):
        return invalid(vals)
    s = tensor(vals, ctx)
    o = torch.softmax(s, dim=0)
    shares = s / s.sum() if float(s.sum()) != 0 else s
    return result(
        answers={"o": flat(o), "argmax": int(torch.argmax(o)) + 1},
        steps={"exp": flat(torch.exp(s)), "sum_exp": float(torch.exp(s).sum())},
        misconceptions={"o": {"지수 없이 s_j / Σ s_i 로 정규화함": flat(shares)}},
        method="torch.softmax over the scores, float64",
    )


def log_likelihood(params: Mapping[str, Any], ctx: Context) -> Result:
    """Softmax + negative log-likelihood e = −log₂ o_y via F.cross_entropy / ln 2; gradient by autograd."""
    import torch
    import torch.nn.functional as F

    vals = _scores(params)
    k = params.get("k")
    if isinstance(vals, str):
        return invalid(vals)
    if k not in (1, 2, 3):
        return invalid(f"k (the true class) must be 1, 2 or 3, got {k!r}")
    s = tensor(vals, ctx, grad=True)
    target = torch.tensor([k - 1], device=s.device)
    nats = F.cross_entropy(s[None, :], target)
    bits = nats / _ln2(ctx)
    bits.backward()
    o = torch.softmax(s.detach(), dim=0)
    return result(
        answers={"o_y": o[k - 1].item(), "e": bits.item(), "grad": flat(s.grad)},
        steps={"o": flat(o)},
        misconceptions={"e": {"자연로그(ln)를 사용함": nats.item()},
                        "grad": {"ln 2로 나누지 않음 (자연로그 기준)": flat(s.grad * _ln2(ctx))}},
        method="torch.nn.functional.cross_entropy (softmax + NLL) / ln 2; ∂e/∂s by autograd, float64",
    )
