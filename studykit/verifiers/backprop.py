"""Verifiers for backpropagation: gates, the slide's sigmoid-gate code, the midterm ∂J/∂w₁,₂, vanishing."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from studykit.verifiers.dmlp import invalid, numbers, result, tensor
from studykit.verifiers.registry import Context, Result


def _leaves(params: Mapping[str, Any], names: tuple[str, ...], ctx: Context) -> dict[str, Any] | str:
    vals = numbers(params, names)
    if isinstance(vals, str):
        return vals
    return {n: tensor(v, ctx, grad=True) for n, v in zip(names, vals, strict=True)}


def _grads(leaves: dict[str, Any], prefix: str = "d") -> dict[str, float]:
    return {f"{prefix}{n}": t.grad.item() if t.grad is not None else 0.0 for n, t in leaves.items()}


def sigmoid_gate(params: Mapping[str, Any], ctx: Context) -> Result:
    """The slide's f(w0, x0, w1, x1, w2) = sigmoid(w0*x0 + w1*x1 + w2): forward value and autograd grads."""
    import torch

    leaves = _leaves(params, ("w0", "x0", "w1", "x1", "w2"), ctx)
    if isinstance(leaves, str):
        return invalid(leaves)
    w0, x0, w1, x1, w2 = leaves.values()
    s3 = w0 * x0 + w1 * x1 + w2  # s0 = w0*x0, s1 = w1*x1, s2 = s0 + s1, s3 = s2 + w2
    s3.retain_grad()
    loss = torch.sigmoid(s3)
    loss.backward()
    answers = {"L": loss.item(), **_grads(leaves)}
    # a student who forgets the sigmoid's local gradient (1 − L)·L differentiates s3 itself
    raw = _leaves(params, ("w0", "x0", "w1", "x1", "w2"), ctx)
    (raw["w0"] * raw["x0"] + raw["w1"] * raw["x1"] + raw["w2"]).backward()
    no_sigmoid = _grads(raw)
    return result(
        answers=answers,
        steps={"s3": s3.item(), "grad_s3": s3.grad.item()},
        misconceptions={
            "dw0": {"곱셈 게이트에서 x0 대신 w0를 곱함": answers["dx0"],
                    "시그모이드의 국소 그레이디언트 (1−L)L을 빼먹음": no_sigmoid["dw0"]},
            "dx0": {"곱셈 게이트에서 w0 대신 x0를 곱함": answers["dw0"]},
            "dw1": {"곱셈 게이트에서 x1 대신 w1을 곱함": answers["dx1"]},
            "dx1": {"곱셈 게이트에서 w1 대신 x1을 곱함": answers["dw1"]},
            "dw2": {"시그모이드의 국소 그레이디언트 (1−L)L을 빼먹음": no_sigmoid["dw2"]},
        },
        method="torch autograd through s0..s3 and torch.sigmoid, float64",
    )


def add_mul_gate(params: Mapping[str, Any], ctx: Context) -> Result:
    """f = (x + y)·z: add gate distributes, mul gate swaps; gradients by autograd."""
    leaves = _leaves(params, ("x", "y", "z"), ctx)
    if isinstance(leaves, str):
        return invalid(leaves)
    q = leaves["x"] + leaves["y"]
    q.retain_grad()
    f = q * leaves["z"]
    f.backward()
    grads = _grads(leaves)
    return result(
        answers={"f": f.item(), **grads},
        steps={"q": q.item(), "dq": q.grad.item()},
        misconceptions={"dz": {"곱셈 게이트에서 교환하지 않고 z를 그대로 씀": float(leaves["z"].detach())},
                        "dx": {"곱셈 게이트에서 교환하지 않고 x+y를 씀": float(q.detach())}},
        method="torch autograd of (x + y) * z, float64",
    )


def max_copy_gate(params: Mapping[str, Any], ctx: Context) -> Result:
    """f = max(x·y, z) + x: max routes, mul swaps, the copied x adds its two gradients (autograd)."""
    import torch

    leaves = _leaves(params, ("x", "y", "z"), ctx)
    if isinstance(leaves, str):
        return invalid(leaves)
    x, y, z = leaves.values()
    p = x * y
    if p.item() == z.item():
        return invalid("x·y = z: the max gate's gradient is not defined at a tie")
    m = torch.maximum(p, z)
    f = m + x
    f.backward()
    grads = _grads(leaves)
    # the copy gate: without the branch that bypasses the max, x receives only the routed gradient
    only = _leaves(params, ("x", "y", "z"), ctx)
    torch.maximum(only["x"] * only["y"], only["z"]).backward()
    return result(
        answers={"f": f.item(), **grads},
        steps={"p": p.item(), "max": m.item(), "winner": "xy" if p.item() > z.item() else "z"},
        misconceptions={"dx": {"복사 게이트에서 두 경로의 그레이디언트를 더하지 않음": _grads(only)["dx"]}},
        method="torch autograd of torch.maximum(x*y, z) + x, float64",
    )


# ---- the midterm problem of seed 000: J = ½(y − o)², 2-2-1 sigmoid net, ∂J/∂w₁,₂ -----------------

MIDTERM_WEIGHTS = ("w11", "w12", "w21", "w22", "v11", "v21")
MIDTERM_SYMBOLS = ("x1", "x2", "y", *MIDTERM_WEIGHTS)


def _midterm_graph(v: Mapping[str, Any], sigma: Any) -> dict[str, Any]:
    """o = τ(osum), osum = v11·z1 + v21·z2, z_j = τ(zsum_j), zsum_j = w1j·x1 + w2j·x2 (w_ij: x_i → z_j)."""
    zsum1 = v["w11"] * v["x1"] + v["w21"] * v["x2"]
    zsum2 = v["w12"] * v["x1"] + v["w22"] * v["x2"]
    z1, z2 = sigma(zsum1), sigma(zsum2)
    osum = v["v11"] * z1 + v["v21"] * z2
    o = sigma(osum)
    return {"zsum1": zsum1, "zsum2": zsum2, "z1": z1, "z2": z2, "osum": osum, "o": o,
            "J": (v["y"] - o) ** 2 / 2}


def midterm_dw12(params: Mapping[str, Any], ctx: Context) -> Result:
    """Numeric ∂J/∂w₁,₂ and the update w₁,₂ − ρ·∂J/∂w₁,₂ of the midterm network, by autograd."""
    import torch

    vals = numbers(params, ("rho",))
    leaves = _leaves(params, MIDTERM_SYMBOLS, ctx)
    if isinstance(leaves, str) or isinstance(vals, str):
        return invalid(leaves if isinstance(leaves, str) else str(vals))
    graph = _midterm_graph(leaves, torch.sigmoid)
    graph["J"].backward()
    g = {n: float(leaves[n].grad) for n in MIDTERM_WEIGHTS}
    w12 = float(leaves["w12"].detach())
    return result(
        answers={"o": graph["o"].item(), "J": graph["J"].item(), "dw12": g["w12"],
                 "w12_new": w12 - vals[0] * g["w12"]},
        steps={k: graph[k].item() for k in ("zsum1", "zsum2", "z1", "z2", "osum")} | {"grads": g},
        misconceptions={
            "dw12": {"인덱스를 뒤바꿈: x₂를 곱함 (∂J/∂w₂,₂)": g["w22"],
                     "z₁ 경로(v₁,₁)를 따라감 (∂J/∂w₁,₁)": g["w11"],
                     "부호를 반대로 씀 ((y−o) 사용)": -g["w12"]},
            "w12_new": {"그레이디언트 방향으로 더함 (+ρ)": w12 + vals[0] * g["w12"]},
        },
        method="torch autograd of J = ½(y − τ(Σ v·τ(Σ w·x)))², float64",
    )


@functools.cache
def _sigma_function() -> Any:
    """SymPy's σ with σ' = σ(1 − σ), so derivatives come out in the slide's τ'(s) = τ(s)(1 − τ(s)) form."""
    import sympy

    class sigma(sympy.Function):  # noqa: N801 - the grader's parser knows the name `sigma`
        def fdiff(self, argindex: int = 1) -> Any:
            s = sigma(self.args[0])
            return s * (1 - s)

    return sigma


def midterm_symbolic(params: Mapping[str, Any], ctx: Context) -> Result:
    """Symbolic ∂J/∂(weight) of the midterm network by sympy.diff, in terms of σ and the inputs."""
    import sympy

    weight = params.get("weight", "w12")
    if weight not in MIDTERM_WEIGHTS:
        return invalid(f"weight must be one of {', '.join(MIDTERM_WEIGHTS)}, got {weight!r}")
    sym = {n: sympy.Symbol(n) for n in MIDTERM_SYMBOLS}
    graph = _midterm_graph(sym, _sigma_function())
    grad = sympy.factor_terms(sympy.diff(graph["J"], sym[weight]))
    return result(
        answers={"grad": str(grad)},
        steps={"J": str(graph["J"]), "o": str(graph["o"]), "weight": weight},
        misconceptions={"grad": {"부호를 반대로 씀 ((y−o) 사용)": str(-grad)}},
        method="sympy.diff of J = (y − σ(osum))²/2 with σ' = σ(1 − σ), then factor_terms",
    )


def vanishing_gradient(params: Mapping[str, Any], ctx: Context) -> Result:
    """Input gradient of a chain of L sigmoid units h_l = σ(w·h_{l−1}) (4.1, 그레이디언트 소멸)."""
    import torch

    vals = numbers(params, ("w", "x"))
    depth = params.get("L")
    if isinstance(vals, str):
        return invalid(vals)
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 100:
        return invalid(f"L must be an integer from 1 to 100, got {depth!r}")
    x = tensor(vals[1], ctx, grad=True)
    chain = torch.nn.Sequential(*[m for _ in range(depth)
                                  for m in (torch.nn.Linear(1, 1, bias=False, dtype=x.dtype,
                                                            device=x.device), torch.nn.Sigmoid())])
    with torch.no_grad():
        for lin in chain[::2]:
            lin.weight.fill_(vals[0])
    out = chain(x.reshape(1, 1)).squeeze()
    out.backward()
    return result(
        answers={"out": out.item(), "grad": x.grad.item()},
        steps={"L": depth},
        method="torch autograd through L × (Linear(1,1) with weight w, Sigmoid), float64",
    )
