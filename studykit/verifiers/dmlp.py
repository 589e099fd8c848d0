"""Verifiers for deep MLPs (4.2): weight counts, U^l, forward pass (4.1-4.5), backprop (4.6-4.9), SGD."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from studykit.verifiers.registry import Context, Result

# ---- small helpers shared by the math-family verifiers -----------------------------------------


def tensor(values: Any, ctx: Context, grad: bool = False) -> Any:
    """A float64 tensor on the context's device (a leaf for autograd when grad=True)."""
    import torch

    return torch.tensor(values, dtype=ctx.torch_dtype(), device=ctx.device, requires_grad=grad)


def flat(t: Any) -> list[float]:
    """A tensor's values as a flat list of Python floats (row-major)."""
    return [float(v) for v in t.detach().cpu().reshape(-1).tolist()]


def invalid(reason: str, method: str = "") -> Result:
    return Result(answers={}, valid=False, reason=reason, method=method)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        numeric = isinstance(b, (int, float)) and isinstance(a, (int, float))
        return numeric and abs(a - b) <= 1e-12 * max(1.0, abs(b))
    return a == b


def result(answers: Mapping[str, Any], steps: Mapping[str, Any] | None = None,
           misconceptions: Mapping[str, Mapping[str, Any]] | None = None, method: str = "") -> Result:
    """A valid Result; a misconception whose value equals the correct answer is dropped."""
    kept = {part: {why: value for why, value in wrong.items() if not _same(value, answers.get(part))}
            for part, wrong in (misconceptions or {}).items()}
    return Result(answers=dict(answers), steps=dict(steps or {}),
                  misconceptions={part: wrong for part, wrong in kept.items() if wrong}, method=method)


def numbers(params: Mapping[str, Any], names: Sequence[str]) -> list[float] | str:
    """The named parameters as floats, or a message naming the first one that is not a number."""
    out: list[float] = []
    for name in names:
        value = params.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"parameter {name} must be a number, got {value!r}"
        out.append(float(value))
    return out


def matrix(value: Any, rows: int | None, cols: int | None, name: str) -> list[list[float]] | str:
    """A list-of-lists of numbers with the given shape (None = any), or an error message."""
    ok = isinstance(value, list) and value and all(isinstance(r, list) and r for r in value)
    if ok:
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for r in value for v in r)
    if not ok or len({len(r) for r in value}) != 1:
        return f"parameter {name} must be a rectangular list of number rows, got {value!r}"
    if (rows is not None and len(value) != rows) or (cols is not None and len(value[0]) != cols):
        return f"parameter {name} must be {rows}×{cols}, got {len(value)}×{len(value[0])}"
    return [[float(v) for v in r] for r in value]


def linear_from_u(u: Any, ctx: Context) -> Any:
    """nn.Linear whose [bias | weight] is the textbook's U^l (column 0 multiplies z_0 = 1)."""
    import torch

    layer = torch.nn.Linear(u.shape[1] - 1, u.shape[0], dtype=u.dtype, device=u.device)
    with torch.no_grad():
        layer.bias.copy_(u[:, 0])
        layer.weight.copy_(u[:, 1:])
    return layer


def u_grad(layer: Any) -> Any:
    """∂J/∂U^l in the textbook's layout: [∂J/∂bias | ∂J/∂weight]."""
    import torch

    return torch.cat([layer.bias.grad[:, None], layer.weight.grad], dim=1)


# ---- 4.2.1 structure ----------------------------------------------------------------------------


def weight_count(params: Mapping[str, Any], ctx: Context) -> Result:
    """Parameters of a DMLP with node counts `layers` = [d, n_1, ..., c]: numel() of real nn.Linear layers."""
    import torch

    layers = params.get("layers")
    if not isinstance(layers, list) or len(layers) < 2 or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in layers):
        return invalid(f"layers must be a list of at least two positive integers, got {layers!r}")
    linears = [torch.nn.Linear(a, b, device="meta") for a, b in zip(layers, layers[1:], strict=False)]
    net = torch.nn.Sequential(*[m for lin in linears for m in (lin, torch.nn.ReLU())][:-1])
    per_layer = [sum(p.numel() for p in lin.parameters()) for lin in linears]
    no_bias = sum(lin.weight.numel() for lin in linears)
    total = sum(p.numel() for p in net.parameters())
    return result(
        answers={"total": int(total), "per_layer": [int(n) for n in per_layer], "hidden": len(layers) - 2},
        steps={"per_layer": per_layer, "weights_only": int(no_bias), "layers": layers},
        misconceptions={"total": {"바이어스(편향) 가중치를 빼먹음": int(no_bias)}},
        method="nn.Sequential of nn.Linear on the meta device; sum of parameter numel()",
    )


def weight_matrix(params: Mapping[str, Any], ctx: Context) -> Result:
    """Shape and size of U^l between layers of n_prev and n_l nodes (bias column included)."""
    import torch

    vals = [params.get("n_prev"), params.get("n_l")]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in vals):
        return invalid(f"n_prev and n_l must be positive integers, got {vals!r}")
    layer = torch.nn.Linear(vals[0], vals[1], device="meta")
    u = torch.cat([layer.bias[:, None], layer.weight], dim=1)
    return result(
        answers={"shape": list(u.shape), "count": int(u.numel())},
        steps={"weight_shape": list(layer.weight.shape), "bias_shape": list(layer.bias.shape)},
        misconceptions={"shape": {"바이어스 열을 빼먹음": list(layer.weight.shape),
                                  "행과 열을 뒤바꿈": list(u.T.shape)},
                        "count": {"바이어스를 빼먹음": int(layer.weight.numel())}},
        method="nn.Linear(n_prev, n_l) on meta; U = [bias | weight] concatenated, shape and numel()",
    )


def forward(params: Mapping[str, Any], ctx: Context) -> Result:
    """Forward pass (4.3)-(4.5) of a d-n1-c sigmoid DMLP with given U^1, U^2 on input (x1, x2)."""
    import torch

    x = numbers(params, ("x1", "x2"))
    u1 = matrix(params.get("U1"), None, 3, "U1")
    for item in (x, u1):
        if isinstance(item, str):
            return invalid(item)
    u2 = matrix(params.get("U2"), None, len(u1) + 1, "U2")
    if isinstance(u2, str):
        return invalid(u2)
    l1, l2 = linear_from_u(tensor(u1, ctx), ctx), linear_from_u(tensor(u2, ctx), ctx)
    net = torch.nn.Sequential(l1, torch.nn.Sigmoid(), l2, torch.nn.Sigmoid())
    with torch.no_grad():
        xt = tensor(x, ctx)
        s1 = l1(xt)
        z1 = torch.sigmoid(s1)
        s2 = l2(z1)
        o = net(xt)
        for lin in (l1, l2):
            lin.bias.zero_()
        o_nobias = net(xt)
    answers: dict[str, Any] = {"s1": flat(s1), "z1": flat(z1)}
    answers["o"] = flat(o)[0] if o.numel() == 1 else flat(o)
    return result(
        answers=answers,
        steps={"s2": flat(s2), "z0": [1.0, *x]},
        misconceptions={"o": {"바이어스 입력 z_0 = 1을 빼먹음": flat(o_nobias)[0] if o.numel() == 1
                              else flat(o_nobias)}},
        method="nn.Sequential(Linear, Sigmoid, Linear, Sigmoid), U^l copied into [bias | weight], float64",
    )


# ---- 4.2.2 learning -------------------------------------------------------------------------------


def _two_layer(params: Mapping[str, Any], ctx: Context) -> tuple[Any, Any] | str:
    u1 = matrix(params.get("U1"), 2, 3, "U1")
    u2 = matrix(params.get("U2"), 2, 3, "U2")
    for item in (u1, u2):
        if isinstance(item, str):
            return item
    return linear_from_u(tensor(u1, ctx), ctx), linear_from_u(tensor(u2, ctx), ctx)


def delta_rule(params: Mapping[str, Any], ctx: Context) -> Result:
    """δ and ∂J/∂U of eqs (4.6)-(4.9) for a 2-2-2 sigmoid net, J = ½‖y − o‖², by autograd."""
    import torch

    xy = numbers(params, ("x1", "x2", "y1", "y2"))
    layers = _two_layer(params, ctx)
    for item in (xy, layers):
        if isinstance(item, str):
            return invalid(item)
    l1, l2 = layers
    x, y = tensor(xy[:2], ctx), tensor(xy[2:], ctx)
    s1 = l1(x)
    s1.retain_grad()
    z1 = torch.sigmoid(s1)
    s2 = l2(z1)
    s2.retain_grad()
    o = torch.sigmoid(s2)
    loss = 0.5 * torch.sum((y - o) ** 2)
    loss.backward()
    # the textbook's δ is −∂J/∂s (eq. 4.6 carries (y − o), eq. 4.7 the minus sign)
    return result(
        answers={"delta_out": flat(-s2.grad), "delta_hidden": flat(-s1.grad),
                 "dU2": flat(u_grad(l2)), "dU1": flat(u_grad(l1))},
        steps={"z1": flat(z1), "o": flat(o), "J": loss.item()},
        misconceptions={"dU2": {"부호를 반대로 씀 (−δz 대신 δz)": flat(-u_grad(l2))},
                        "dU1": {"부호를 반대로 씀 (−δz 대신 δz)": flat(-u_grad(l1))}},
        method="autograd on nn.Linear+sigmoid; δ = −∂J/∂s (retain_grad), ∂J/∂U = [bias.grad | weight.grad]",
    )


def sgd_step(params: Mapping[str, Any], ctx: Context) -> Result:
    """One minibatch update of Algorithm 4-1 (U ← U − ρ·(1/t)·ΣΔU) with torch.optim.SGD."""
    import torch

    rho = numbers(params, ("rho",))
    layers = _two_layer(params, ctx)
    xs = matrix(params.get("X"), None, 2, "X")
    ys = matrix(params.get("Y"), None, 2, "Y")
    for item in (rho, layers, xs, ys):
        if isinstance(item, str):
            return invalid(item)
    if len(xs) != len(ys):
        return invalid(f"X and Y must have the same number of samples, got {len(xs)} and {len(ys)}")
    new: dict[str, list[float]] = {}
    for mode in ("mean", "sum"):
        l1, l2 = _two_layer(params, ctx)
        net = torch.nn.Sequential(l1, torch.nn.Sigmoid(), l2, torch.nn.Sigmoid())
        opt = torch.optim.SGD(net.parameters(), lr=rho[0])
        per_sample = 0.5 * torch.sum((tensor(ys, ctx) - net(tensor(xs, ctx))) ** 2, dim=1)
        (per_sample.mean() if mode == "mean" else per_sample.sum()).backward()
        opt.step()
        with torch.no_grad():
            for name, lin in (("U1", l1), ("U2", l2)):
                new[f"{name}_{mode}"] = flat(torch.cat([lin.bias[:, None], lin.weight], dim=1))
    return result(
        answers={"U1_new": new["U1_mean"], "U2_new": new["U2_mean"]},
        steps={"t": len(xs), "rho": rho[0]},
        misconceptions={"U1_new": {"1/t 평균 없이 합으로 갱신함": new["U1_sum"]},
                        "U2_new": {"1/t 평균 없이 합으로 갱신함": new["U2_sum"]}},
        method="torch.optim.SGD(lr=ρ) step on the minibatch mean of J = ½‖y − o‖², float64",
    )
