"""ResNet (4.4.4): the residual gradient of eq. (4.14) by autograd, basic-block parameter counts
with identity or projection shortcuts, and a real ResNet-34's layer and parameter counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from studykit.verifiers.cnn_common import count_params, invalid, meta_output_shape
from studykit.verifiers.registry import Context, Result


def _residual_stack(a: float, b: float, blocks: int, shortcut: bool, ctx: Context) -> Any:
    """`blocks` real residual blocks x -> F(x) (+ x), F(x) = b·relu(a·x) as two Linear(1, 1) layers."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = nn.Linear(1, 1, bias=False)
            self.second = nn.Linear(1, 1, bias=False)

        def forward(self, x: Any) -> Any:
            residual = self.second(torch.relu(self.first(x)))
            return residual + x if shortcut else residual

    stack = nn.Sequential(*(Block() for _ in range(blocks))).to(device=ctx.device, dtype=ctx.torch_dtype())
    with torch.no_grad():  # after the float64 cast, so a and b are not rounded to float32
        for block in stack:
            block.first.weight.fill_(a)
            block.second.weight.fill_(b)
    return stack


def _grad_through(stack: Any, x0: float, ctx: Context) -> tuple[float, float, list[float]]:
    """(x_L, ∂x_L/∂x_l by autograd, pre-activations a·x_i seen by every ReLU)."""
    import torch

    x = torch.tensor([[x0]], dtype=ctx.torch_dtype(), device=ctx.device, requires_grad=True)
    pre: list[float] = []
    hooks = [block.first.register_forward_hook(lambda _m, _i, out: pre.append(float(out.item())))
             for block in stack]
    out = stack(x)
    for hook in hooks:
        hook.remove()
    (grad,) = torch.autograd.grad(out.sum(), x)
    return float(out.item()), float(grad.item()), pre


def _kink_matters(pre: list[float], a: float, b: float, plain: bool) -> bool:
    """True when a ReLU sits exactly at 0 where its (undefined) slope changes the gradient: not when
    a·b = 0 (F is constant) and not after a plain chain already went through a closed ReLU (slope 0)."""
    if a == 0 or b == 0:
        return False
    for p in pre:
        if abs(p) < 1e-12:
            return True
        if plain and p < 0:
            return False
    return False


def residual_gradient(params: Mapping[str, Any], ctx: Context) -> Result:
    """∂x_L/∂x_l through L residual blocks (eq. 4.14) and through the same blocks without shortcuts
    (resnet.residual-gradient)."""
    a, b, x0 = float(params["a"]), float(params["b"]), float(params["x"])
    blocks = int(params.get("L", 1))
    method = "torch.autograd.grad through real residual blocks y = F(x) + x, F(x) = b·relu(a·x), float64"
    if not 1 <= blocks <= 8:
        return invalid("L은 1..8 이어야 합니다", method)
    xl, residual, pre = _grad_through(_residual_stack(a, b, blocks, True, ctx), x0, ctx)
    plain_out, plain, plain_pre = _grad_through(_residual_stack(a, b, blocks, False, ctx), x0, ctx)
    if _kink_matters(pre, a, b, False) or _kink_matters(plain_pre, a, b, True):
        return invalid("ReLU 입력이 0인 점에서는 미분이 정의되지 않습니다", method)
    return Result(
        answers={"residual": residual, "plain": plain},
        steps={"x_L": xl, "plain_x_L": plain_out, "pre_activations": pre},
        misconceptions={"residual": {"지름길 연결의 +1을 빼먹음 (식 4.14의 1)": plain}},
        method=method,
    )


def _basic_block(cin: int, cout: int, stride: int) -> Any:
    """ResNet's basic block: two 3×3 Conv2d+BatchNorm2d, identity or 1×1 projection shortcut."""
    import torch
    from torch import nn

    class BasicBlock(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout),
                nn.ReLU(),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
            )
            needs_projection = stride != 1 or cin != cout
            self.shortcut = (
                nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
                if needs_projection else nn.Identity()
            )

        def forward(self, x: Any) -> Any:
            return torch.relu(self.body(x) + self.shortcut(x))

    return BasicBlock()


def basic_block(params: Mapping[str, Any], ctx: Context) -> Result:
    """Parameters of a basic block with its shortcut, without it, the shortcut's own, the output shape
    and the additions the shortcut costs (resnet.basic-block)."""
    import torch

    cin, cout, stride, H = (int(params[k]) for k in ("C_in", "C_out", "stride", "H"))
    method = "numel() of a real basic block (Conv2d 3×3 + BatchNorm2d, shortcut) and a meta forward"
    if min(cin, cout, H) < 1 or stride not in (1, 2):
        return invalid("C_in, C_out, H ≥ 1, stride는 1 또는 2여야 합니다", method)
    with torch.device("meta"):
        block = _basic_block(cin, cout, stride)
    shape = meta_output_shape(block, (cin, H, H))
    body, shortcut = count_params(block.body), count_params(block.shortcut)
    return Result(
        answers={"residual": body + shortcut, "plain": body, "shortcut": shortcut, "shape": shape,
                 "adds": shape[0] * shape[1] * shape[2]},
        steps={"projection": shortcut > 0, "bn": sum(count_params(m) for m in block.modules()
                                                    if isinstance(m, torch.nn.BatchNorm2d))},
        misconceptions={"shortcut": {"항등 지름길에도 가중치가 있다고 봄": count_params(block.body[0])}
                        if shortcut == 0 else {}},
        method=method,
    )


@lru_cache(maxsize=4)
def build_resnet34(classes: int = 1000) -> Any:
    """ResNet-34 (He et al. 2016, figure 4-29): 7×7 conv, [3, 4, 6, 3] basic blocks, GAP, one FC."""
    import torch
    from torch import nn

    with torch.device("meta"):
        layers: list[Any] = [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64),
                             nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1)]
        cin = 64
        for stage, (width, count) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3), strict=True)):
            for i in range(count):
                stride = 2 if stage > 0 and i == 0 else 1
                layers.append(_basic_block(cin, width, stride))
                cin = width
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes)]
        return nn.Sequential(*layers)


def resnet34(params: Mapping[str, Any], ctx: Context) -> Result:
    """Weighted layers on the main path, parameters and the FC share of ResNet-34 (resnet.resnet34)."""
    classes = int(params.get("classes", 1000))
    method = "a real ResNet-34 on the meta device: Conv2d/Linear outside shortcuts counted, numel() summed"
    if classes < 1:
        return invalid("classes ≥ 1 이어야 합니다", method)
    answers, steps = _resnet34_summary(classes)
    return Result(answers=dict(answers), steps=dict(steps), method=method)


@lru_cache(maxsize=4)
def _resnet34_summary(classes: int) -> tuple[dict[str, int], dict[str, Any]]:
    """Counts read off the real network once per class count (a meta forward through BatchNorm is slow)."""
    from torch import nn

    net = build_resnet34(classes)
    main_path = [m for name, m in net.named_modules()
                 if isinstance(m, (nn.Conv2d, nn.Linear)) and "shortcut" not in name]
    answers = {"layers": len(main_path), "total": count_params(net), "fc": count_params(net[-1])}
    steps = {"output": meta_output_shape(net, (3, 224, 224)),
             "projections": sum(1 for name, m in net.named_modules()
                                if "shortcut" in name and isinstance(m, nn.Conv2d))}
    return answers, steps
