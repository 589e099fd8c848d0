"""Verifiers for Fisher's linear discriminant (seed 000's midterm note): direction, projection, criterion."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from studykit.verifiers.dmlp import flat, invalid, matrix, numbers, result, tensor
from studykit.verifiers.registry import Context, Result


def _classes(params: Mapping[str, Any], ctx: Context) -> tuple[Any, Any] | str:
    x1 = matrix(params.get("X1"), None, 2, "X1")
    x2 = matrix(params.get("X2"), None, 2, "X2")
    for item in (x1, x2):
        if isinstance(item, str):
            return item
    if len(x1) < 2 or len(x2) < 2:
        return "each class needs at least two points"
    return tensor(x1, ctx), tensor(x2, ctx)


def scatter(points: Any) -> Any:
    """Σ (x − m)(x − m)ᵀ over the class (a scatter matrix, not a covariance)."""
    centred = points - points.mean(dim=0)
    return centred.T @ centred


def unit_positive(v: Any) -> Any:
    """v / ‖v‖ with the first non-zero component made positive (the bank's sign convention)."""
    import torch

    u = v / torch.linalg.vector_norm(v)
    first = u[torch.nonzero(u.abs() > 1e-12)[0, 0]]
    return u * torch.sign(first)


def _statistics(a: Any, b: Any) -> dict[str, Any] | str:
    import torch

    m1, m2 = a.mean(dim=0), b.mean(dim=0)
    s_w = scatter(a) + scatter(b)
    diff = m1 - m2
    if float(torch.linalg.vector_norm(diff)) < 1e-12:
        return "the class means coincide: no discriminant direction"
    if abs(float(torch.linalg.det(s_w))) < 1e-9 * float(torch.linalg.matrix_norm(s_w)) ** 2:
        return "S_W is singular (the points of each class lie on a line): S_W⁻¹ does not exist"
    return {"m1": m1, "m2": m2, "S_W": s_w, "S_B": torch.outer(diff, diff), "diff": diff}


def _fisher(params: Mapping[str, Any], ctx: Context) -> dict[str, Any] | str:
    """Both classes as tensors, their statistics and w = unit(S_W⁻¹(m₁ − m₂)) (torch.linalg.solve)."""
    import torch

    classes = _classes(params, ctx)
    if isinstance(classes, str):
        return classes
    st = _statistics(*classes)
    if isinstance(st, str):
        return st
    st["w"] = unit_positive(torch.linalg.solve(st["S_W"], st["diff"]))
    st["X1"], st["X2"] = classes
    return st


def criterion(w: Any, s_b: Any, s_w: Any) -> float:
    """Fisher's J(w) = wᵀS_B w / wᵀS_W w."""
    return float((w @ s_b @ w) / (w @ s_w @ w))


def direction(params: Mapping[str, Any], ctx: Context) -> Result:
    """w ∝ S_W⁻¹(m₁ − m₂) by torch.linalg.solve, as a unit vector; J(w) = wᵀS_B w / wᵀS_W w."""
    import torch

    st = _fisher(params, ctx)
    if isinstance(st, str):
        return invalid(st)
    w, classes = st["w"], (st["X1"], st["X2"])
    cov_w = torch.cov(classes[0].T) + torch.cov(classes[1].T)  # the covariance-sum mistake
    w_cov = unit_positive(torch.linalg.solve(cov_w, st["diff"]))
    w_means = unit_positive(st["diff"])
    return result(
        answers={"w": flat(w), "J": criterion(w, st["S_B"], st["S_W"])},
        steps={"m1": flat(st["m1"]), "m2": flat(st["m2"]), "S_W": [flat(r) for r in st["S_W"]],
               "S_B": [flat(r) for r in st["S_B"]]},
        misconceptions={"w": {"산포행렬 대신 공분산의 합을 씀": flat(w_cov),
                              "S_W⁻¹ 없이 m₁ − m₂ 방향을 씀": flat(w_means)},
                        "J": {"S_W⁻¹ 없이 m₁ − m₂ 방향을 씀": criterion(w_means, st["S_B"], st["S_W"])}},
        method="scatter matrices from centred tensors; torch.linalg.solve(S_W, m1 − m2), normalised; float64",
    )


def projection(params: Mapping[str, Any], ctx: Context) -> Result:
    """Projected means m̃_k = wᵀm_k, scatters s̃_k² = Σ (wᵀx − m̃_k)², J = (m̃₁ − m̃₂)²/(s̃₁² + s̃₂²)."""
    st = _fisher(params, ctx)
    if isinstance(st, str):
        return invalid(st)
    w, classes = st["w"], (st["X1"], st["X2"])
    y1, y2 = classes[0] @ w, classes[1] @ w  # the 1-D projections (n-D → a line)
    s1, s2 = ((y1 - y1.mean()) ** 2).sum(), ((y2 - y2.mean()) ** 2).sum()
    return result(
        answers={"m1p": float(y1.mean()), "m2p": float(y2.mean()), "s1": s1.item(), "s2": s2.item(),
                 "J": float((y1.mean() - y2.mean()) ** 2 / (s1 + s2))},
        steps={"w": flat(w), "y1": flat(y1), "y2": flat(y2)},
        misconceptions={"s1": {"분산(1/n)으로 계산함": float(s1 / len(y1))}},
        method="points projected onto w = unit(S_W⁻¹(m1 − m2)) (torch.linalg.solve); means, scatters",
    )


def criterion_compare(params: Mapping[str, Any], ctx: Context) -> Result:
    """J(w_θ), w_θ = (cos θ, sin θ), against the best J: the largest eigenvalue of S_W⁻¹S_B."""
    import torch

    theta = numbers(params, ("theta",))
    st = _fisher(params, ctx)
    for item in (theta, st):
        if isinstance(item, str):
            return invalid(item)
    rad = math.radians(theta[0])
    w_theta = tensor([math.cos(rad), math.sin(rad)], ctx)
    eigenvalues = torch.linalg.eigvals(torch.linalg.solve(st["S_W"], st["S_B"])).real
    j_opt = float(eigenvalues.max())
    j_theta = criterion(w_theta, st["S_B"], st["S_W"])
    return result(
        answers={"J_theta": j_theta, "J_opt": j_opt, "ratio": j_theta / j_opt},
        steps={"eigenvalues": flat(eigenvalues), "w_theta": flat(w_theta)},
        misconceptions={},
        method="J(w) = wᵀS_B w / wᵀS_W w (torch); J_opt = max eigenvalue of S_W⁻¹S_B (torch.linalg.eigvals)",
    )
