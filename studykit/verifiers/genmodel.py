"""Verifiers for generative vs discriminative models (4.5.1, Example 4-1): probability tables by counting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studykit.verifiers.dmlp import flat, invalid, result
from studykit.verifiers.registry import Context, Result

CELLS = ("00", "01", "10", "11")  # x = (x1, x2) in the slide's row order
X_OPTIONS = ("(0,0)", "(0,1)", "(1,0)", "(1,1)")


def _training_set(params: Mapping[str, Any]) -> tuple[list[int], list[int]] | str:
    """Cell index 2·x1 + x2 of each sample, and each label; or what is wrong with X, Y."""
    xs, ys = params.get("X"), params.get("Y")
    if not isinstance(xs, list) or not all(isinstance(v, list) and len(v) == 2 and all(b in (0, 1) for b in v)
                                           for v in xs):
        return f"X must be a list of [x1, x2] with binary entries, got {xs!r}"
    if not isinstance(ys, list) or not all(v in (0, 1) and not isinstance(v, bool) for v in ys):
        return f"Y must be a list of 0/1 labels, got {ys!r}"
    if len(xs) != len(ys) or not xs:
        return f"X and Y must be non-empty and of equal length, got {len(xs)} and {len(ys)}"
    return [2 * int(a) + int(b) for a, b in xs], [int(v) for v in ys]


def tables(cells: list[int], labels: list[int], ctx: Context) -> dict[str, Any]:
    """P(x, y) from one-hot counts (einsum), then the marginals and both conditionals (torch, float64)."""
    import torch

    dtype, device = ctx.torch_dtype(), ctx.device
    onehot_x = torch.nn.functional.one_hot(torch.tensor(cells, device=device), 4).to(dtype)
    onehot_y = torch.nn.functional.one_hot(torch.tensor(labels, device=device), 2).to(dtype)
    counts = torch.einsum("ni,nj->ij", onehot_x, onehot_y)
    joint = counts / counts.sum()
    p_x, p_y = joint.sum(dim=1), joint.sum(dim=0)
    return {"counts": counts, "joint": joint, "p_x": p_x, "p_y": p_y,
            "x_given_y": joint / p_y[None, :], "y_given_x": joint / p_x[:, None]}


def example_4_1(params: Mapping[str, Any], ctx: Context) -> Result:
    """Example 4-1: P(x), P(y), P(x|y), P(x, y) (generative) and P(y|x) (discriminative) by counting."""
    data = _training_set(params)
    if isinstance(data, str):
        return invalid(data)
    t = tables(*data, ctx)
    if (t["p_x"] == 0).any() or (t["p_y"] == 0).any():
        return invalid("every x value and both classes must occur in the training set (else 0/0)")
    answers: dict[str, Any] = {
        "P_x": flat(t["p_x"]), "P_y": flat(t["p_y"]),
        "P_x_given_y0": flat(t["x_given_y"][:, 0]), "P_x_given_y1": flat(t["x_given_y"][:, 1]),
        "P_xy0": flat(t["joint"][:, 0]), "P_xy1": flat(t["joint"][:, 1]),
    }
    for i, cell in enumerate(CELLS):
        for y in (0, 1):
            answers[f"p_y{y}_given_{cell}"] = float(t["y_given_x"][i, y])
    swapped = t["x_given_y"]  # reading P(x|y) where P(y|x) is asked
    return result(
        answers=answers,
        steps={"counts": [[int(v) for v in flat(row)] for row in t["counts"]], "N": len(data[0])},
        misconceptions={"p_y1_given_01": {"P(x|y)를 P(y|x)로 읽음": swapped[1, 1].item()}},
        method="one-hot(x) ⊗ one-hot(y) counted by torch.einsum, normalised: joint, marginals, conditionals",
    )


def sampling(params: Mapping[str, Any], ctx: Context) -> Result:
    """Sampling from the generative model: which x a random number r picks from P(x)'s intervals."""
    import torch

    data = _training_set(params)
    r = params.get("r")
    if isinstance(data, str):
        return invalid(data)
    if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0.0 <= r <= 1.0:
        return invalid(f"r must be a number in [0, 1], got {r!r}")
    p_x = tables(*data, ctx)["p_x"]
    cdf = torch.cumsum(p_x, dim=0)
    # intervals [0, c1], (c1, c2], …: the first cell whose upper end reaches r
    point = torch.tensor([float(r)], dtype=cdf.dtype, device=cdf.device)
    index = int(torch.searchsorted(cdf, point).clamp(max=3))
    while p_x[index].item() == 0.0 and index < 3:  # an empty interval never generates
        index += 1
    return result(
        answers={"x": X_OPTIONS[index]},
        steps={"cdf": flat(cdf), "P_x": flat(p_x)},
        misconceptions={},
        method="torch.cumsum of P(x) from counting, torch.searchsorted of r (right-closed intervals)",
    )


def bayes(params: Mapping[str, Any], ctx: Context) -> Result:
    """A generative model classifying by Bayes: P(y|x) ∝ P(x|y)P(y), normalised; the argmax label."""
    data = _training_set(params)
    x = params.get("x")
    if isinstance(data, str):
        return invalid(data)
    if not isinstance(x, list) or len(x) != 2 or not all(v in (0, 1) for v in x):
        return invalid(f"x must be [x1, x2] with binary entries, got {x!r}")
    t = tables(*data, ctx)
    if (t["p_y"] == 0).any():
        return invalid("both classes must occur in the training set")
    cell = 2 * int(x[0]) + int(x[1])
    unnormalised = t["x_given_y"][cell] * t["p_y"]
    if float(unnormalised.sum()) == 0.0:
        return invalid(f"x = {x} never occurs in the training set: P(x) = 0")
    posterior = unnormalised / unnormalised.sum()
    if posterior[0].item() == posterior[1].item():
        return invalid("P(y=0|x) = P(y=1|x): the label is a tie")
    return result(
        answers={"p_y0": posterior[0].item(), "p_y1": posterior[1].item(),
                 "label": str(int(posterior.argmax()))},
        steps={"likelihood": flat(t["x_given_y"][cell]), "prior": flat(t["p_y"]),
               "product": flat(unnormalised)},
        misconceptions={"p_y1": {"사전확률 P(y)를 곱하지 않음": float(t["x_given_y"][cell, 1]
                                                              / t["x_given_y"][cell].sum())}},
        method="P(x|y) and P(y) by counting (torch.einsum), multiplied and normalised (Bayes)",
    )
