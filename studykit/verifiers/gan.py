"""Verifiers for GANs (4.5.2): optimal discriminator, equilibrium values, objectives, generator gradients."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from studykit.verifiers.dmlp import flat, invalid, numbers, result, tensor
from studykit.verifiers.registry import Context, Result

COMPARE_OPTIONS = ("크다", "같다", "작다")  # V(D*, G) against the equilibrium value −log 4
OPTIONS_GRADIENT = ("A", "B")  # A: min log(1 − D(G(z))) (saturating), B: min −log D(G(z)) (non-saturating)


def pointwise_objective(p_data: Any, p_g: Any, d: Any) -> Any:
    """p_data·log D + p_g·log(1 − D), with 0·log 0 = 0 (torch.xlogy)."""
    import torch

    return torch.xlogy(p_data, d) + torch.xlogy(p_g, 1 - d)


def maximise_discriminator(p_data: Any, p_g: Any) -> Any:
    """argmax over D ∈ [0, 1] of the pointwise objective: golden-section search, then autograd Newton."""
    import torch

    lo, hi = torch.zeros_like(p_data), torch.ones_like(p_data)
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(90):  # 0.618^90 < 1e-18: the bracket is below float64 resolution
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        left = pointwise_objective(p_data, p_g, a) >= pointwise_objective(p_data, p_g, b)
        hi, lo = torch.where(left, b, hi), torch.where(left, lo, a)
    d = (lo + hi) / 2
    interior = (p_data > 0) & (p_g > 0)
    for _ in range(4):  # Newton on the concave objective polishes the last digits
        d = d.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(pointwise_objective(p_data, p_g, d).sum(), d, create_graph=True)
        (h,) = torch.autograd.grad(g.sum(), d)
        step = torch.where(interior & (h < 0), g / torch.where(h < 0, h, -torch.ones_like(h)), 0 * g)
        d = (d - step).clamp(0.0, 1.0)
    return d.detach()


def _newton_in_logit(p_data: Any, p_g: Any) -> Any:
    """argmax over D ∈ (0, 1) where both densities are positive: Newton on the pointwise objective
    with D = sigmoid(t), gradient and curvature by autograd. The objective is concave in t and, from
    t = 0, Newton's iterates approach the maximum from one side (sigmoid is convex below 0 and
    concave above), so they neither overshoot nor leave (0, 1)."""
    import torch

    t = torch.zeros_like(p_data)
    for _ in range(2000):  # ~6 steps for densities within 1e3 of each other; about one per e-fold beyond
        t = t.detach().requires_grad_(True)
        value = pointwise_objective(p_data, p_g, torch.sigmoid(t)).sum()
        (g,) = torch.autograd.grad(value, t, create_graph=True)
        (h,) = torch.autograd.grad(g.sum(), t)
        step = (g / h).detach()
        t = t.detach() - step
        if bool((step.abs() <= 1e-14 * (1.0 + t.abs())).all()):
            break
    return torch.sigmoid(t)


def maximise_pointwise(p_data: Any, p_g: Any) -> Any:
    """argmax over D ∈ [0, 1] of the pointwise objective, elementwise; the fast path of
    optimal_discriminator. With a zero density the objective is monotone on [0, 1], so its
    maximum is the better endpoint, chosen by evaluating the objective there."""
    import torch

    interior = (p_data > 0) & (p_g > 0)
    safe_p, safe_g = torch.where(interior, p_data, 1.0), torch.where(interior, p_g, 1.0)
    d = _newton_in_logit(safe_p, safe_g)
    zero, one = torch.zeros_like(d), torch.ones_like(d)
    end = torch.where(pointwise_objective(p_data, p_g, zero) >= pointwise_objective(p_data, p_g, one),
                      zero, one)
    return torch.where(interior, d, end)


def optimal_discriminator(params: Mapping[str, Any], ctx: Context) -> Result:
    """D*(x) maximising p_data·log D + p_g·log(1 − D) at one point, found by numerical maximisation."""
    vals = numbers(params, ("p_data", "p_g"))
    if isinstance(vals, str):
        return invalid(vals)
    if min(vals) < 0 or max(vals) <= 0:
        return invalid(f"densities must be >= 0 and not both 0, got {vals!r}")
    # The answer and the swapped-densities misconception in one vectorised maximisation.
    p_data, p_g = tensor([vals[0], vals[1]], ctx), tensor([vals[1], vals[0]], ctx)
    d = maximise_pointwise(p_data, p_g)
    value = pointwise_objective(p_data[:1], p_g[:1], d[:1])
    return result(
        answers={"D": flat(d)[0]},
        steps={"value": flat(value)[0]},
        misconceptions={"D": {"진짜와 가짜 밀도를 뒤바꿈": flat(d)[1]}},
        method="Newton steps (autograd gradient and curvature) on p_data·log D + p_g·log(1−D) "
               "with D = sigmoid(t); the better endpoint when a density is 0",
    )


def _equilibrium(ctx: Context) -> tuple[Any, Any, Any]:
    """p_g = p_data on a discretised standard normal; D* found pointwise; V(D*, G*) summed over x."""
    import torch

    x = torch.linspace(-6.0, 6.0, 241, dtype=ctx.torch_dtype(), device=ctx.device)
    p_data = torch.softmax(-x * x / 2, dim=0)  # a probability mass function over the grid
    p_g = p_data.clone()  # the generator's distribution at equilibrium: p_g = p_data
    d = maximise_discriminator(p_data, p_g)
    return p_data, d, pointwise_objective(p_data, p_g, d).sum()


def equilibrium_value(params: Mapping[str, Any], ctx: Context) -> Result:
    """V(D*, G*) at the equilibrium p_g = p_data (natural log), evaluated from the maximised D*."""
    import torch

    p_data, d, value = _equilibrium(ctx)
    real_only = torch.xlogy(p_data, d).sum()
    return result(
        answers={"V": value.item(), "D": float((p_data * d).sum())},
        steps={"D_min": float(d.min()), "D_max": float(d.max())},
        misconceptions={"V": {"진짜 데이터 항 E[log D(x)]만 셈": real_only.item(),
                              "D(x) = 1/2을 목적함수 값으로 착각함": float((p_data * d).sum())}},
        method="D* maximised pointwise with p_g = p_data (discretised N(0,1)); V = Σ p·log D* + p·log(1−D*)",
    )


def equilibrium_objectives(params: Mapping[str, Any], ctx: Context) -> Result:
    """J_D = log f_D(x_real) + log(1 − f_D(f_G(z))) and J_G = log(1 − f_D(f_G(z))) at equilibrium."""
    import torch

    p_data, d, _ = _equilibrium(ctx)
    d_star = (p_data * d).sum()
    j_g = torch.log1p(-d_star)
    j_d = torch.log(d_star) + j_g
    values = {"D": d_star.item(), "J_D": j_d.item(), "J_G": j_g.item()}
    half = min(values, key=lambda name: abs(values[name] - 0.5))  # which quantity converges to 1/2
    return result(
        answers={**values, "half": half},
        steps={"log_D": float(torch.log(d_star))},
        misconceptions={"J_D": {"D(x) = 1/2을 목적함수 값으로 착각함": d_star.item()},
                        "J_G": {"D(x) = 1/2을 목적함수 값으로 착각함": d_star.item()},
                        "half": {"분별기의 목적함수 값이 1/2이 된다고 봄": "J_D"}},
        method="D* = pointwise argmax with p_g = p_data; J_D, J_G evaluated with torch.log at that D*",
    )


def objective_values(params: Mapping[str, Any], ctx: Context) -> Result:
    """J_D, J_G and the non-saturating −log D(G(z)) for given D outputs, via F.binary_cross_entropy."""
    import torch
    import torch.nn.functional as F

    vals = numbers(params, ("d_real", "d_fake"))
    if isinstance(vals, str):
        return invalid(vals)
    if not all(0.0 < v < 1.0 for v in vals):
        return invalid(f"D outputs must lie strictly between 0 and 1, got {vals!r}")
    real, fake = tensor(vals[0], ctx), tensor(vals[1], ctx)
    log_real = -F.binary_cross_entropy(real, torch.ones_like(real))  # log D(x_real)
    log_not_fake = -F.binary_cross_entropy(fake, torch.zeros_like(fake))  # log(1 − D(G(z)))
    non_saturating = F.binary_cross_entropy(fake, torch.ones_like(fake))  # −log D(G(z))
    return result(
        answers={"J_D": float(log_real + log_not_fake), "J_G": log_not_fake.item(),
                 "J_G_ns": non_saturating.item()},
        steps={"log_real": log_real.item(), "log_not_fake": log_not_fake.item()},
        misconceptions={"J_D": {"가짜 항에 log D(G(z))를 씀": float(log_real - non_saturating)}},
        method="torch.nn.functional.binary_cross_entropy with targets 1/0 (natural log), float64",
    )


def generator_gradient(params: Mapping[str, Any], ctx: Context) -> Result:
    """∂/∂a of log(1 − σ(a)) and of −log σ(a) at D(G(z)) = σ(a) = d, by autograd (GAN balance)."""
    import torch
    import torch.nn.functional as F

    vals = numbers(params, ("d",))
    if isinstance(vals, str):
        return invalid(vals)
    if not 0.0 < vals[0] < 1.0:
        return invalid(f"d = D(G(z)) must lie strictly between 0 and 1, got {vals[0]!r}")
    grads = []
    for objective in ("saturating", "non_saturating"):
        logit = torch.logit(tensor(vals[0], ctx)).requires_grad_(True)
        if objective == "saturating":
            value = F.logsigmoid(-logit)  # log(1 − σ(a)), which G minimises
        else:
            value = -F.logsigmoid(logit)  # −log σ(a), which G minimises
        value.backward()
        grads.append(logit.grad.item())
    better = OPTIONS_GRADIENT[0] if abs(grads[0]) > abs(grads[1]) else OPTIONS_GRADIENT[1]
    return result(
        answers={"g_sat": grads[0], "g_nonsat": grads[1], "better": better},
        steps={"ratio": abs(grads[1]) / abs(grads[0]) if grads[0] else math.inf},
        misconceptions={"better": {"포화되는 log(1−D(G(z)))가 더 큰 신호를 준다고 봄": OPTIONS_GRADIENT[0]}},
        method="autograd w.r.t. the discriminator logit a = logit(d) of logsigmoid(−a) and −logsigmoid(a)",
    )


def mode_collapse(params: Mapping[str, Any], ctx: Context) -> Result:
    """p_data uniform on K modes, G covering only m of them: D* per mode, V(D*, G) and the JS divergence."""
    import torch

    K, m = params.get("K"), params.get("m")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (K, m)) or not 1 <= m <= K <= 1000:
        return invalid(f"need integers 1 <= m <= K <= 1000, got K={K!r}, m={m!r}")
    p_data = torch.full((K,), 1.0 / K, dtype=ctx.torch_dtype(), device=ctx.device)
    covered = torch.arange(K, device=ctx.device) < m
    p_g = torch.where(covered, p_data.new_full((K,), 1.0 / m), p_data.new_zeros(K))
    d = maximise_discriminator(p_data, p_g)
    value = pointwise_objective(p_data, p_g, d).sum()
    _, _, v_eq = _equilibrium(ctx)
    gap = float(value - v_eq)
    compare = COMPARE_OPTIONS[1] if abs(gap) < 1e-9 else COMPARE_OPTIONS[0 if gap > 0 else 2]
    return result(
        answers={"D_on": d[0].item(), "D_off": d[-1].item() if m < K else d[0].item(),
                 "V": value.item(), "JSD": gap / 2, "compare": compare},
        steps={"V_equilibrium": v_eq.item()},
        misconceptions={"V": {"붕괴와 상관없이 평형값 −log 4라고 봄": v_eq.item()},
                        "compare": {"붕괴와 상관없이 평형값 −log 4라고 봄": COMPARE_OPTIONS[1]}},
        method="D maximised per mode; V summed; JSD = (V(D*,G) − V(D*,G*))/2 with V(D*,G*) computed",
    )
